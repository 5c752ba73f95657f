package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.protocol.Opcode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The fake kernel's VFS client and the session's tricky paths, deterministic and without root. */
class FakeKernelTest {

    @Test
    void fileAndDirectoryRoundTrip() throws Exception {
        MiniFs fs = new MiniFs(false);
        try (FakeKernel k = FakeKernel.start(fs)) {
            k.mkdir("/docs", 0755);
            k.writeFile("/docs/a.txt", MiniFs.utf8("hello"));
            assertArrayEquals(MiniFs.utf8("hello"), k.readFile("/docs/a.txt"));
            FileAttr a = k.stat("/docs/a.txt");
            assertEquals(5, a.size());
            assertEquals(FileType.REGULAR_FILE, a.type());
            assertEquals(List.of("a.txt"), k.list("/docs"));
            k.rename("/docs/a.txt", "/docs/b.txt");
            assertFalse(k.exists("/docs/a.txt"));
            k.symlink("b.txt", "/docs/link");
            assertEquals("b.txt", k.readlink("/docs/link"));
            k.link("/docs/b.txt", "/hard");
            assertEquals(2, k.stat("/hard").nlink());
            k.setxattr("/hard", "user.k", MiniFs.utf8("v"), 0);
            assertArrayEquals(MiniFs.utf8("v"), k.getxattr("/hard", "user.k"));
            assertEquals(List.of("user.k"), k.listxattr("/hard"));
            k.removexattr("/hard", "user.k");
            assertEquals(Errno.ENODATA, assertThrows(FuseException.class, () -> k.getxattr("/hard", "user.k"))
                    .errno());
            assertEquals(0644, k.chmod("/hard", 0644).perm());
            assertEquals(2, k.truncate("/hard", 2).size());
            assertEquals(Errno.ENOTEMPTY, assertThrows(FuseException.class, () -> k.rmdir("/docs")).errno());
            k.unlink("/docs/b.txt");
            k.unlink("/docs/link");
            k.rmdir("/docs");
            assertEquals(List.of("hard"), k.list("/"));
            assertEquals(4096, k.statfs().bsize());
            assertEquals(0, fs.outstandingLookups(), "every lookup was forgotten after each operation");
        }
        assertTrue(fs.destroyed);
    }

    @Test
    void withoutExportSupportAHandleIsStaleOnceTheKernelForgotItsInode() throws Exception {
        MiniFs fs = new MiniFs(false);
        try (FakeKernel k = FakeKernel.start(fs)) {
            k.writeFile("/f", new byte[3]);
            FakeKernel.FileHandle h = k.handle("/f");
            assertFalse(k.exportSupport());
            assertEquals(Errno.ESTALE, assertThrows(FuseException.class, () -> k.openByHandle(h)).errno());
            assertEquals(Errno.ESTALE, assertThrows(FuseException.class, () -> k.lookupParent(1)).errno());
        }
    }

    @Test
    void readdirWithSmallChunksResumesAtOffsets() throws Exception {
        MiniFs fs = new MiniFs(false);
        try (FakeKernel k = FakeKernel.start(fs)) {
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String n = String.format("file-%03d", i);
                k.mknod("/" + n, FileType.REGULAR_FILE.modeBits() | 0644, 0);
                expected.add(n);
            }
            List<String> names = k.readdir("/", false, 128).stream().map(FakeKernel.DirEntry::name).toList();
            assertEquals(expected, names);
        }
    }

    @Test
    void readdirplusCountsAreForgottenByTheKit() throws Exception {
        MiniFs fs = new MiniFs(true);
        try (FakeKernel k = FakeKernel.start(fs)) {
            for (int i = 0; i < 50; i++) {
                k.mkdir("/d" + i, 0755);
            }
            List<FakeKernel.DirEntry> entries = k.readdir("/", true, 1024);
            assertEquals(50, entries.size());
            assertTrue(entries.stream().allMatch(e -> e.attr() != null && e.attr().type() == FileType.DIRECTORY));
            assertEquals(0, fs.outstandingLookups());
        }
    }

    @Test
    void unlinkedButStillLookedUpNodesLiveUntilForgotten() throws Exception {
        MiniFs fs = new MiniFs(false);
        try (FakeKernel k = FakeKernel.start(fs)) {
            k.writeFile("/f", MiniFs.utf8("data"));
            try (FakeKernel.OpenFile f = k.open("/f", 0)) {
                long node = f.nodeId();
                k.unlink("/f");
                assertTrue(fs.nodes.containsKey(node), "open file survives its unlink");
                assertArrayEquals(MiniFs.utf8("data"), f.read(0, 10));
            }
            assertEquals(1, fs.nodes.size(), "the node went away with its last lookup count");
        }
    }

    @Test
    void teardownReportsFilesLeftOpen() throws Exception {
        MiniFs fs = new MiniFs(false);
        FakeKernel k = FakeKernel.start(fs);
        k.writeFile("/f", new byte[1]);
        k.open("/f", 0);
        AssertionError e = assertThrows(AssertionError.class, k::close);
        assertTrue(e.getMessage().contains("left open: file /f"), e.getMessage());
    }

    @Test
    void olderProtocolVersionsWork() throws Exception {
        try (FakeKernel k = FakeKernel.builder(new MiniFs(false)).protocolMinor(19).offeredFlags(0).start()) {
            assertEquals(24, k.initReply().body().remaining(), "7.19 gets the 24-byte init_out");
            k.mkdir("/x", 0700);
            assertEquals(0700, k.stat("/x").perm());
        }
    }

    /** A filesystem whose handlers fail in the different ways users' code does. */
    static final class FailingFs implements Filesystem {
        @Override
        public Entry lookup(Request req, long parent, String name) throws IOException {
            return switch (name) {
                case "bug" -> throw new IllegalArgumentException("bug");
                case "nio" -> throw new NoSuchFileException(name);
                case "null" -> null;
                default -> throw new FuseException(Errno.EACCES);
            };
        }
    }

    @Test
    void exceptionsBecomeErrnosAndTheSessionGoesOn() throws Exception {
        try (FakeKernel k = FakeKernel.start(new FailingFs())) {
            assertEquals(Errno.EIO, assertThrows(FuseException.class, () -> k.stat("/bug")).errno());
            assertEquals(Errno.ENOENT, assertThrows(FuseException.class, () -> k.stat("/nio")).errno());
            assertEquals(Errno.EIO, assertThrows(FuseException.class, () -> k.stat("/null")).errno());
            assertEquals(Errno.EACCES, assertThrows(FuseException.class, () -> k.stat("/other")).errno());
            assertEquals(Errno.ENOSYS, assertThrows(FuseException.class, () -> k.mkdir("/d", 0755)).errno());
        }
    }

    @Test
    void malformedAndUnknownRequests() throws Exception {
        try (FakeKernel k = FakeKernel.start(new MiniFs(false))) {
            long u = k.nextUnique();
            ByteBuffer bad = ByteBuffer.allocate(40 + 5).order(ByteOrder.LITTLE_ENDIAN);
            bad.putInt(45).putInt(Opcode.GETATTR.code()).putLong(u).putLong(1);
            k.inject(bad.array());
            assertEquals(Errno.EIO, k.awaitReply(u).errno(), "a truncated GETATTR is answered EIO");
            assertEquals(Errno.ENOSYS, k.awaitReply(k.submit(4000, 1, new byte[0])).errno());
            assertTrue(k.stat("/").type() == FileType.DIRECTORY, "the session still serves");
        }
    }

    /** An async filesystem whose getattr never completes: only an INTERRUPT can end it. */
    static final class StuckFs implements AsyncFilesystem {
        final CompletableFuture<AttrReply> never = new CompletableFuture<>();

        @Override
        public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
            return never;
        }
    }

    @Test
    void interruptCancelsANeverCompletingStageWithEintr() throws Exception {
        StuckFs fs = new StuckFs();
        try (FakeKernel k = FakeKernel.start(fs)) {
            long u = k.submit(Opcode.GETATTR.code(), 1, new byte[16]);
            Thread.sleep(50);
            k.interrupt(u);
            assertEquals(Errno.EINTR, k.awaitReply(u).errno());
            assertTrue(fs.never.isCancelled());
        }
    }

    /** Blocking handlers that finish right around the time the interrupt arrives. */
    static final class RacyFs implements Filesystem {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
            calls.incrementAndGet();
            long spin = System.nanoTime() + (nodeId % 3) * 200_000;
            while (System.nanoTime() < spin) {
                Thread.onSpinWait();
            }
            if (Thread.interrupted()) {
                throw new FuseException(Errno.EINTR);
            }
            return AttrReply.of(FileAttr.builder(nodeId, FileType.DIRECTORY).build());
        }
    }

    @Test
    void interruptRacingTheReplyStillAnswersExactlyOnce() throws Exception {
        RacyFs fs = new RacyFs();
        try (FakeKernel k = FakeKernel.start(fs)) {
            long[] uniques = new long[300];
            for (int i = 0; i < uniques.length; i++) {
                uniques[i] = k.submit(Opcode.GETATTR.code(), 1 + i, new byte[16]);
                k.interrupt(uniques[i]);
            }
            for (long u : uniques) {
                Reply r = k.awaitReply(u);
                assertTrue(r.ok() || r.errno().equals(Errno.EINTR), "unexpected " + r);
            }
            assertEquals(List.of(), k.violations());
        }
    }

    /** A filesystem with a slow operation, to end the session while it runs. */
    static final class SlowFs implements Filesystem {
        final CountDownLatch started = new CountDownLatch(1);
        final AtomicInteger destroys = new AtomicInteger();
        volatile boolean finishedBeforeDestroy;

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
            started.countDown();
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                throw new FuseException(Errno.EINTR);
            }
            finishedBeforeDestroy = destroys.get() == 0;
            return AttrReply.of(FileAttr.builder(nodeId, FileType.DIRECTORY).build());
        }

        @Override
        public void destroy() {
            destroys.incrementAndGet();
        }
    }

    @Test
    void destroyWithARequestInFlightAnswersItAndDestroysOnce() throws Exception {
        SlowFs fs = new SlowFs();
        FakeKernel k = FakeKernel.start(fs);
        long u = k.submit(Opcode.GETATTR.code(), 1, new byte[16]);
        assertTrue(fs.started.await(5, TimeUnit.SECONDS));
        k.close();
        assertTrue(k.awaitReply(u).ok(), "the request in flight was answered");
        assertEquals(1, fs.destroys.get());
    }
}
