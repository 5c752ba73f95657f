package dev.jfuser.examples.passthrough;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.examples.MountSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * passthrough mounted for a test class over a fresh tmpfs source: a mount point every user can reach, an unmount
 * that also works when a test failed, and checks that every source descriptor is closed afterwards.
 */
final class PassthroughMount {
    /** The size of the tmpfs source unless given. */
    static final long SIZE = 64L << 20;
    final Path base;
    final Path source;
    final Path mountpoint;
    final PassthroughFs fs;
    final Mount mount;

    private PassthroughMount(Path base, Path source, Path mountpoint, PassthroughFs fs, Mount mount) {
        this.base = base;
        this.source = source;
        this.mountpoint = mountpoint;
        this.fs = fs;
        this.mount = mount;
    }

    static PassthroughMount mount(boolean kernelPassthrough) throws Exception {
        return mount(kernelPassthrough, Duration.ofSeconds(1));
    }

    static PassthroughMount mount(boolean kernelPassthrough, Duration timeout) throws Exception {
        return mount(kernelPassthrough, timeout, SIZE);
    }

    /** Mounts passthrough over a fresh tmpfs of {@code size} bytes, for every user. */
    static PassthroughMount mount(boolean kernelPassthrough, Duration timeout, long size) throws Exception {
        return mount(kernelPassthrough, timeout, size, "allow_other,default_permissions");
    }

    /** Mounts passthrough over a fresh tmpfs of {@code size} bytes with {@code options}. */
    static PassthroughMount mount(boolean kernelPassthrough, Duration timeout, long size, String options)
            throws Exception {
        MountSupport.assumeRootAndFuse();
        Path base = Files.createTempDirectory("jfuser-test-passthrough-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path src = Files.createDirectory(base.resolve("src"));
        MountSupport.Result r = MountSupport.run("mount", "-t", "tmpfs", "-o", "size=" + (size >> 20) + "m,mode=0755", "passthrough-test-src", src.toString());
        if (r.exitCode() != 0) {
            throw new java.io.IOException("cannot mount the tmpfs source: " + r.output());
        }
        Path mp = Files.createDirectory(base.resolve("mnt"));
        PassthroughFs fs = new PassthroughFs(src, kernelPassthrough, timeout);
        Mount m = Fuse.mount(fs, mp, MountOptions.parse(
                "fsname=passthrough-test,subtype=passthrough," + options));
        return new PassthroughMount(base, src, mp, fs, m);
    }

    /** Descriptors of this process that point into the source. */
    List<String> descriptorsIntoSource() throws IOException {
        List<String> out = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith(source.toString())) {
                        out.add(fd.getFileName() + " -> " + target);
                    }
                } catch (IOException gone) {
                    // closed meanwhile (the listing's own descriptor)
                }
            }
        }
        return out;
    }

    /** Unmounts, checks that no source descriptor is left open, and removes the source. */
    void close() throws Exception {
        boolean busy = false;
        try {
            try {
                mount.close();
            } catch (dev.jfuser.MountBusyException e) {
                busy = true;
                mount.unmount(true);
                mount.awaitUnmount(Duration.ofSeconds(20));
            }
        } finally {
            boolean leaked = MountSupport.forceUnmount(mountpoint);
            List<String> open = descriptorsIntoSource();
            fs.close();
            MountSupport.run("umount", "-l", source.toString());
            Files.deleteIfExists(mountpoint);
            Files.deleteIfExists(source);
            Files.deleteIfExists(base);
            if (leaked) {
                throw new AssertionError("passthrough was still mounted at " + mountpoint + " after close");
            }
            if (!open.isEmpty()) {
                throw new AssertionError("descriptors into the source still open after unmount: " + open);
            }
        }
        if (busy) {
            throw new AssertionError("the test left files open in " + mountpoint + " (unmounted lazily)");
        }
    }
}
