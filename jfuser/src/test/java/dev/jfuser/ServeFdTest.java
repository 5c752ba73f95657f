package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.internal.mount.MountedDevice;
import dev.jfuser.internal.mount.Mounter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A session on a /dev/fuse descriptor that was mounted by someone else (here: the internal mounter). */
@Tag("mount")
class ServeFdTest {
    @TempDir
    Path dir;

    /** A root directory with one empty file, "x". */
    static final class TinyFs implements Filesystem {
        private static FileAttr attr(long node) {
            return node == 1 ? FileAttr.builder(1, FileType.DIRECTORY).perm(0755).build()
                    : FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).build();
        }

        @Override
        public Entry lookup(Request req, long parent, String name) throws FuseException {
            if (name.equals("x")) {
                return Entry.of(attr(2));
            }
            throw new FuseException(Errno.ENOENT);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
            return AttrReply.of(attr(nodeId));
        }
    }

    @Test
    void servesADescriptorMountedElsewhereUntilItIsUnmounted() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount");
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        MountedDevice device = Mounter.mount(mp, MountOptions.defaults());
        try {
            Mount mount = Fuse.serve(new TinyFs(), device.fd(), SessionOptions.DEFAULT);
            assertTrue(mount.mountpoint().isEmpty());
            assertTrue(Files.isRegularFile(mp.resolve("x")));
            Process umount = new ProcessBuilder("umount", mp.toString()).start();
            assertEquals(0, umount.waitFor(), new String(umount.getErrorStream().readAllBytes(),
                    StandardCharsets.UTF_8));
            assertTrue(mount.awaitUnmount(Duration.ofSeconds(10)), "session did not end after umount");
        } finally {
            if (Mounter.isMountPoint(mp)) {
                device.unmount(true);
            }
        }
    }
}
