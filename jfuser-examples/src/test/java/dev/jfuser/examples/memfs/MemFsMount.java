package dev.jfuser.examples.memfs;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.examples.MountSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A memfs mounted for a test class: a mount point every user can reach (so tests may run as nobody), and an
 * unmount that also works when the test left files open or failed.
 */
final class MemFsMount {
    final Path base;
    final Path mountpoint;
    final MemFs fs;
    final Mount mount;

    private MemFsMount(Path base, Path mountpoint, MemFs fs, Mount mount) {
        this.base = base;
        this.mountpoint = mountpoint;
        this.fs = fs;
        this.mount = mount;
    }

    /** Mounts {@code fs} with {@code allow_other} (plus {@code extraOptions}) under a fresh directory in /tmp. */
    static MemFsMount mount(MemFs fs, String extraOptions) throws IOException {
        MountSupport.assumeRootAndFuse();
        Path base = Files.createTempDirectory("jfuser-test-memfs-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path mp = Files.createDirectory(base.resolve("mnt"));
        String options = "fsname=memfs-test,subtype=memfs,allow_other" + (extraOptions.isEmpty() ? "" : "," + extraOptions);
        Mount m = Fuse.mount(fs, mp, MountOptions.parse(options));
        return new MemFsMount(base, mp, fs, m);
    }

    /**
     * Unmounts (lazily if something still holds the mount) and checks nothing is left mounted. The kernel sends
     * RELEASE in the background after the last close, and drops those it has not sent yet when the mount goes: so
     * first wait, up to 10 s, until memfs has seen every RELEASE, or the check for leaked handles below would
     * depend on timing.
     */
    void close() throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        while (fs.openHandles() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        String busy = null;
        try {
            try {
                mount.close();
            } catch (dev.jfuser.MountBusyException e) {
                busy = MountSupport.holders(mountpoint);
                mount.unmount(true);
                mount.awaitUnmount(java.time.Duration.ofSeconds(20));
            }
        } finally {
            boolean leaked = MountSupport.forceUnmount(mountpoint);
            Files.deleteIfExists(mountpoint);
            Files.deleteIfExists(base);
            if (leaked) {
                throw new AssertionError("memfs was still mounted at " + mountpoint + " after close");
            }
        }
        if (busy != null) {
            throw new AssertionError("the test left files open in " + mountpoint + " (unmounted lazily)"
                    + (busy.isEmpty() ? "" : "; held by:\n" + busy));
        }
        // an unmount releases every open file first: a handle left over would be a leak in memfs
        if (fs.openHandles() != 0) {
            throw new AssertionError(fs.openHandles() + " handles still open in memfs after unmount");
        }
    }
}
