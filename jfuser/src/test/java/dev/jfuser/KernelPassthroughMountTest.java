package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernel passthrough through the real kernel: a filesystem whose one file "f" is backed by a file of the test's
 * temporary directory. With passthrough the kernel reads and writes the backing file itself (READ and WRITE never
 * reach the filesystem); without it the filesystem serves them, with the same data.
 */
@Tag("mount")
class KernelPassthroughMountTest {
    @TempDir
    Path dir;

    /** Node 1: the root; node 2: "f", backed by {@code source}. */
    static class BackedFs implements Filesystem {
        final Path source;
        final boolean passthrough;
        final AtomicInteger reads = new AtomicInteger();
        final AtomicInteger writes = new AtomicInteger();
        final AtomicInteger passthroughOpens = new AtomicInteger();
        volatile String refusal = "";
        volatile String unavailable;
        private BackingFiles backing;
        private BackingFiles.BackingFile file;
        private int openCount;

        BackedFs(Path source, boolean passthrough) {
            this.source = source;
            this.passthrough = passthrough;
        }

        @Override
        public void init(KernelConfig config) {
            if (passthrough) {
                config.enable(Capability.PASSTHROUGH);
            }
            backing = config.backingFiles();
        }

        private FileAttr attr(long node) throws IOException {
            return node == 1 ? FileAttr.builder(1, FileType.DIRECTORY).perm(0755).build()
                    : FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).size(Files.size(source)).build();
        }

        @Override
        public Entry lookup(Request req, long parent, String name) throws IOException {
            if (parent == 1 && name.equals("f")) {
                return Entry.of(2, attr(2), Duration.ZERO);
            }
            throw new FuseException(Errno.ENOENT);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
            return new AttrReply(attr(nodeId), Duration.ZERO);
        }

        @Override
        public AttrReply setattr(Request req, long nodeId, SetAttr changes) throws IOException {
            if (changes.size().isPresent()) {
                try (FileChannel ch = FileChannel.open(source, StandardOpenOption.WRITE)) {
                    ch.truncate(changes.size().getAsLong());
                }
            }
            return new AttrReply(attr(nodeId), Duration.ZERO);
        }

        /** One backing file for the node while any of its files is open: the kernel wants the same one. */
        @Override
        public synchronized OpenReply open(Request req, long nodeId, int flags) throws IOException {
            unavailable = backing.unavailableReason();
            if (backing.available()) {
                try {
                    if (file == null) {
                        file = backing.open(source, true);
                    }
                    openCount++;
                    passthroughOpens.incrementAndGet();
                    return file.openReply(7, 0);
                } catch (FuseException e) {
                    refusal = e.getMessage();
                }
            }
            return OpenReply.of(0); // the fallback: read and write below serve the file
        }

        @Override
        public synchronized void release(Request req, long nodeId, long fh, int flags, int releaseFlags,
                                         long lockOwner) throws IOException {
            if (fh == 7 && --openCount == 0) {
                file.close();
                file = null;
            }
        }

        @Override
        public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
                throws IOException {
            reads.incrementAndGet();
            try (FileChannel ch = FileChannel.open(source)) {
                ByteBuffer b = ByteBuffer.allocate(size);
                int n = Math.max(0, ch.read(b, offset));
                return ReadData.of(b.array(), 0, n);
            }
        }

        @Override
        public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                         long lockOwner) throws IOException {
            writes.incrementAndGet();
            try (FileChannel ch = FileChannel.open(source, StandardOpenOption.WRITE)) {
                return ch.write(data, offset);
            }
        }
    }

    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + (i >> 9));
        }
        return b;
    }

    private void assumeRoot() {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse");
        assumeTrue("root".equals(System.getProperty("user.name")), "kernel passthrough needs root");
    }

    /** Reads and writes of the mounted file, then checks the source; returns the filesystem's counters. */
    private BackedFs exercise(boolean passthrough) throws Exception {
        Path source = dir.resolve("source");
        byte[] content = pattern(3 * 1024 * 1024 + 123);
        Files.write(source, content);
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        BackedFs fs = new BackedFs(source, passthrough);
        try (Mount mount = Fuse.mount(fs, mp, MountOptions.defaults())) {
            assertEquals(passthrough, mount.backingFiles().available(), mount.backingFiles().unavailableReason());
            assertArrayEquals(content, Files.readAllBytes(mp.resolve("f")), "read through the mount");
            Process cat = new ProcessBuilder("cmp", source.toString(), mp.resolve("f").toString())
                    .redirectErrorStream(true).start();
            assertEquals(0, cat.waitFor(), new String(cat.getInputStream().readAllBytes(), StandardCharsets.UTF_8));

            byte[] patch = "written through the mount".getBytes(StandardCharsets.UTF_8);
            try (FileChannel ch = FileChannel.open(mp.resolve("f"), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(patch), 1_000_000);
                ch.write(ByteBuffer.wrap(patch), content.length); // extends the file
                ch.force(true);
            }
            byte[] expected = Arrays.copyOf(content, content.length + patch.length);
            System.arraycopy(patch, 0, expected, 1_000_000, patch.length);
            System.arraycopy(patch, 0, expected, content.length, patch.length);
            assertArrayEquals(expected, Files.readAllBytes(source), "the writes landed in the backing file");
            assertEquals(expected.length, Files.size(mp.resolve("f")), "the size seen through the mount");
            assertArrayEquals(expected, Files.readAllBytes(mp.resolve("f")), "read back through the mount");
        } finally {
            if (dev.jfuser.internal.mount.Mounter.isMountPoint(mp)) {
                new ProcessBuilder("umount", "-l", mp.toString()).start().waitFor();
            }
        }
        return fs;
    }

    @Test
    void withPassthroughReadsAndWritesNeverReachTheFilesystem() throws Exception {
        assumeRoot();
        BackedFs fs = exercise(true);
        assertEquals("", fs.refusal, "the kernel refused the backing file");
        assertTrue(fs.passthroughOpens.get() >= 3, "opens answered with a backing id: " + fs.passthroughOpens);
        assertEquals(0, fs.reads.get(), "READ requests that reached the filesystem");
        assertEquals(0, fs.writes.get(), "WRITE requests that reached the filesystem");
    }

    @Test
    void withoutPassthroughTheFilesystemServesTheSameDataAndKnowsWhy() throws Exception {
        assumeRoot();
        BackedFs fs = exercise(false);
        assertEquals(0, fs.passthroughOpens.get());
        assertEquals("the filesystem did not enable Capability.PASSTHROUGH in init", fs.unavailable);
        assertTrue(fs.reads.get() > 0 && fs.writes.get() > 0, "reads " + fs.reads + ", writes " + fs.writes);
    }

    @Test
    void aDirectoryCannotBackAFileAndTheReasonSaysSo() throws Exception {
        assumeRoot();
        Path source = Files.writeString(dir.resolve("source"), "x");
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        BackedFs fs = new BackedFs(source, true);
        try (Mount mount = Fuse.mount(fs, mp, MountOptions.defaults())) {
            assertTrue(Files.isRegularFile(mp.resolve("f")));
            FuseException e = assertThrows(FuseException.class, () -> mount.backingFiles().open(dir, false));
            assertTrue(e.getMessage().contains("directory"), e.getMessage());
            assertEquals(Errno.EISDIR, e.errno());
        } finally {
            if (dev.jfuser.internal.mount.Mounter.isMountPoint(mp)) {
                new ProcessBuilder("umount", "-l", mp.toString()).start().waitFor();
            }
        }
        assertFalse(dev.jfuser.internal.mount.Mounter.isMountPoint(mp));
    }

    @Test
    void passthroughWithTheWritebackCacheFailsTheMountNamingBoth() throws Exception {
        assumeRoot();
        Path source = Files.writeString(dir.resolve("source"), "x");
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        BackedFs fs = new BackedFs(source, true) {
            @Override
            public void init(KernelConfig config) {
                super.init(config);
                config.enable(Capability.WRITEBACK_CACHE);
            }
        };
        try {
            IOException e = assertThrows(IOException.class, () -> Fuse.mount(fs, mp, MountOptions.defaults()).close());
            assertTrue(e.getMessage().contains("PASSTHROUGH and WRITEBACK_CACHE"), e.getMessage());
        } finally {
            if (dev.jfuser.internal.mount.Mounter.isMountPoint(mp)) {
                new ProcessBuilder("umount", "-l", mp.toString()).start().waitFor();
            }
        }
    }
}
