package dev.jfuser.examples.memfs;

import dev.jfuser.examples.contract.Shell;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A tmpfs of a test's own, the oracle memfs is compared with: mounted in a fresh world-readable temporary directory
 * (so other users the tests switch to can reach it), unmounted and removed by {@link #close()} (lazily if busy).
 */
final class TmpfsOracle implements AutoCloseable {
    private final Path base;
    /** The tmpfs's root. */
    final Path root;

    private TmpfsOracle(Path base, Path root) {
        this.base = base;
        this.root = root;
    }

    /** Mounts a 64 MiB tmpfs, mode 0755, with the extra mount {@code options} (e.g. "relatime"; "" for none). */
    static TmpfsOracle mount(String name, String options) throws IOException, InterruptedException {
        Path base = Files.createTempDirectory("jfuser-test-" + name + "-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path root = Files.createDirectory(base.resolve("tmpfs"));
        String all = "size=64m,mode=755" + (options.isEmpty() ? "" : "," + options);
        Shell.run(null, "mount", "-t", "tmpfs", "-o", all, "memfs-" + name + "-oracle", root.toString()).ok();
        return new TmpfsOracle(base, root);
    }

    /**
     * A fresh directory, mode 0755, named after the test, on memfs (under {@code memfsRoot}) and on this tmpfs:
     * [memfs's, tmpfs's].
     */
    Path[] freshDirs(Path memfsRoot, String name) throws IOException {
        Path[] both = {Files.createDirectory(memfsRoot.resolve(name)), Files.createDirectory(root.resolve(name))};
        for (Path p : both) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return both;
    }

    /** Closes {@code oracle} and then {@code memfs}, each if it was made, the second even if the first fails. */
    static void closeBoth(TmpfsOracle oracle, MemFsMount memfs) throws Exception {
        try {
            if (oracle != null) {
                oracle.close();
            }
        } finally {
            if (memfs != null) {
                memfs.close();
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (Shell.run(null, "umount", root.toString()).exitCode() != 0) {
                Shell.run(null, "umount", "-l", root.toString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted unmounting " + root);
        }
        Files.deleteIfExists(root);
        Files.deleteIfExists(base);
    }
}
