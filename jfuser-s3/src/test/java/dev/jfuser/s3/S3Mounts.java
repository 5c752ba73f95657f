package dev.jfuser.s3;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The mounts of one test: each unmounted (and checked gone) at the end, also when the test failed. */
final class S3Mounts {
    private final Path dir;
    private final List<Mount> mounts = new ArrayList<>();
    private final List<Path> points = new ArrayList<>();

    S3Mounts(Path dir) {
        this.dir = dir;
    }

    /** Mounts {@code fs} on a new directory under the test's directory. */
    Path mount(S3Fs fs) throws Exception {
        Path mp = Files.createDirectory(dir.resolve("mnt" + points.size()));
        points.add(mp);
        MountOptions.Builder o = MountOptions.builder().fsname("s3fs-test").subtype("s3fs");
        if (fs.options().readOnly()) {
            o.readOnly();
        }
        mounts.add(Boolean.getBoolean("jfuser.s3.debug") ? Fuse.mount(fs, mp, o.build(), dev.jfuser.SessionOptions.DEFAULT.withDebug(System.err)) : Fuse.mount(fs, mp, o.build()));
        return mp;
    }

    public void close() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Mount m : mounts) {
            try {
                m.unmount(true);
                if (!m.awaitUnmount(Duration.ofSeconds(15))) {
                    failures.add("session did not end after unmount");
                }
            } catch (Exception e) {
                failures.add(e.toString());
            }
        }
        boolean left = false;
        for (Path p : points) {
            left |= Shell.forceUnmount(p);
        }
        assertFalse(left, "the test left a mount under " + dir);
        assertTrue(failures.isEmpty(), failures.toString());
    }
}
