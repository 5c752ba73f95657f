package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AttrReply;
import dev.jfuser.Capability;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The session driven by a scripted fake kernel: negotiation, dispatch, errors, interrupts, forget, the end. */
class SessionTest extends SessionFixture {
    private static final long ALL_FLAGS = Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT
            | Abi.PARALLEL_DIROPS | Abi.DO_READDIRPLUS | Abi.WRITEBACK_CACHE | Abi.AUTO_INVAL_DATA;


    /** A filesystem with a root and one file "a" (node 2); "boom" throws, "gone" throws NoSuchFileException. */
    static class TestFs implements Filesystem {
        final List<String> forgets = new CopyOnWriteArrayList<>();
        final AtomicInteger destroys = new AtomicInteger();
        final CountDownLatch slowStarted = new CountDownLatch(1);
        volatile boolean sawInterrupt;

        @Override
        public Entry lookup(Request req, long parent, String name) throws IOException {
            return switch (name) {
                case "a" -> Entry.of(FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).size(5).build());
                case "boom" -> throw new IllegalStateException("a bug in the filesystem");
                case "gone" -> throw new NoSuchFileException(name);
                case "slow" -> {
                    slowStarted.countDown();
                    try {
                        Thread.sleep(10_000);
                    } catch (InterruptedException e) {
                        sawInterrupt = req.isInterrupted();
                        throw new FuseException(Errno.EINTR);
                    }
                    throw new AssertionError("not interrupted");
                }
                default -> throw new FuseException(Errno.ENOENT);
            };
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
            return AttrReply.of(FileAttr.builder(nodeId, FileType.DIRECTORY).perm(0755).build());
        }

        @Override
        public void forget(long nodeId, long nlookup) {
            forgets.add(nodeId + ":" + nlookup);
        }

        @Override
        public void destroy() {
            destroys.incrementAndGet();
        }
    }

    private TestFs startWith(TestFs fs, int minor, long flags) throws IOException {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, minor, flags)));
        session = new Session(kernel, new BlockingAdapter(fs), SessionOptions.DEFAULT.withReaderThreads(1), -1);
        // The kernel's default max_pages limit, whatever this machine's sysctl says at the moment.
        session.maxPagesLimitFile = java.nio.file.Path.of("/nonexistent/max_pages_limit");
        session.start();
        return fs;
    }

    @Test
    void initNegotiatesOurDefaultsAndLargeWrites() throws Exception {
        startWith(new TestFs(), 45, ALL_FLAGS);
        FakeKernel.Reply init = kernel.await(1);
        assertEquals(0, init.error());
        assertEquals(16 + 64, init.length());
        assertEquals(7, init.body().getInt(0));
        assertEquals(45, init.body().getInt(4));
        long flags = (init.body().getInt(12) & 0xffffffffL) | ((long) init.body().getInt(32) << 32);
        assertTrue((flags & Abi.ASYNC_READ) != 0, "async read on by default");
        assertTrue((flags & Abi.PARALLEL_DIROPS) != 0, "parallel dirops on by default");
        assertTrue((flags & Abi.MAX_PAGES) != 0);
        assertEquals(0, flags & Abi.WRITEBACK_CACHE, "writeback cache is opt-in");
        assertEquals(0, flags & Abi.DO_READDIRPLUS, "readdirplus is opt-in");
        assertEquals(1 << 20, init.body().getInt(20), "max_write 1 MiB");
        assertEquals(256, init.body().getShort(28), "max_pages");
    }

    @Test
    void olderKernelGetsItsMinorAndTheShortInitReply() throws Exception {
        startWith(new TestFs(), 22, Abi.ASYNC_READ | Abi.BIG_WRITES);
        FakeKernel.Reply init = kernel.await(1);
        assertEquals(22, init.body().getInt(4));
        assertEquals(16 + 24, init.length(), "7.22 takes the 24-byte COMPAT init_out");
    }

    @Test
    void tooOldKernelIsRefusedWithAClearError() {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 18, 0)));
        Session s = new Session(kernel, new BlockingAdapter(new TestFs()), SessionOptions.DEFAULT, -1);
        IOException e = assertThrows(IOException.class, s::start);
        assertTrue(e.getMessage().contains("7.18") && e.getMessage().contains("7.19"), e.getMessage());
    }

    @Test
    void newerMajorIsAnsweredWithOursAndInitIsRetried() throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(8, 0, 0)));
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 3, 0, FakeKernel.init(7, 45, ALL_FLAGS)));
        session = new Session(kernel, new BlockingAdapter(new TestFs()), SessionOptions.DEFAULT, -1);
        session.start();
        FakeKernel.Reply first = kernel.await(1);
        assertEquals(16 + 8, first.length());
        assertEquals(7, first.body().getInt(0));
        assertEquals(0, kernel.await(3).error());
    }

    @Test
    void refusedCapabilityFailsStartWithItsName() {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, Abi.BIG_WRITES)));
        Filesystem fs = new Filesystem() {
            @Override
            public void init(KernelConfig config) {
                config.enable(Capability.WRITEBACK_CACHE);
            }
        };
        Session s = new Session(kernel, new BlockingAdapter(fs), SessionOptions.DEFAULT, -1);
        IOException e = assertThrows(IOException.class, s::start);
        assertTrue(e.getMessage().contains("WRITEBACK_CACHE"), e.getMessage());
    }

    @Test
    void lookupAnswersAnEntry() throws Exception {
        startWith(new TestFs(), 45, ALL_FLAGS);
        FakeKernel.Reply r = kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("a"));
        assertEquals(0, r.error());
        assertEquals(16 + 128, r.length());
        assertEquals(2, r.body().getLong(0), "node id");
        assertEquals(5, r.body().getLong(40 + 8), "attr.size");
    }

    @Test
    void errorsMapToErrnoAndABuggyHandlerGetsEioWhileTheSessionKeepsServing() throws Exception {
        startWith(new TestFs(), 45, ALL_FLAGS);
        assertEquals(-Errno.ENOENT.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("x")).error());
        assertEquals(-Errno.ENOENT.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("gone")).error());
        assertEquals(-Errno.EIO.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("boom")).error());
        assertEquals(0, kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("a")).error());
    }

    @Test
    void unknownAndUnimplementedOpcodesGetEnosys() throws Exception {
        startWith(new TestFs(), 45, ALL_FLAGS);
        assertEquals(-Errno.ENOSYS.code(), kernel.call(999, 1, new byte[0]).error());
        assertEquals(-Errno.ENOSYS.code(), kernel.call(Opcode.READLINK.code(), 1, new byte[0]).error());
        assertEquals(-Errno.ENOSYS.code(), kernel.call(Opcode.SYNCFS.code(), 1, new byte[8]).error());
    }

    @Test
    void truncatedRequestGetsEioAndTheSessionContinues() throws Exception {
        startWith(new TestFs(), 45, ALL_FLAGS);
        long u = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.GETATTR.code(), u, 1, new byte[7]));
        assertEquals(-Errno.EIO.code(), kernel.await(u).error());
        assertEquals(0, kernel.call(Opcode.GETATTR.code(), 1, new byte[16]).error());
    }

    @Test
    void everyRequestIsAnsweredExactlyOnce() throws Exception {
        startWith(new TestFs(), 45, ALL_FLAGS);
        long[] uniques = new long[200];
        for (int i = 0; i < uniques.length; i++) {
            uniques[i] = kernel.unique();
            String n = i % 3 == 0 ? "a" : i % 3 == 1 ? "boom" : "x";
            kernel.push(FakeKernel.request(Opcode.LOOKUP.code(), uniques[i], 1, FakeKernel.name(n)));
        }
        for (long u : uniques) {
            kernel.await(u);
        }
        for (long u : uniques) {
            assertNull(kernel.extraReply(u, 1), "second reply to " + u);
        }
        assertEquals(0, session.inFlightCount());
    }

    @Test
    void interruptReachesABlockingHandlerWhichAnswersEintr() throws Exception {
        TestFs fs = startWith(new TestFs(), 45, ALL_FLAGS);
        long u = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.LOOKUP.code(), u, 1, FakeKernel.name("slow")));
        assertTrue(fs.slowStarted.await(5, TimeUnit.SECONDS));
        kernel.push(FakeKernel.request(Opcode.INTERRUPT.code(), u | 1, 0, FakeKernel.le(u)));
        assertEquals(-Errno.EINTR.code(), kernel.await(u).error());
        assertTrue(fs.sawInterrupt, "Request.isInterrupted() was set");
    }

    @Test
    void forgetAndBatchForgetReachTheFilesystemWithoutReplies() throws Exception {
        TestFs fs = startWith(new TestFs(), 45, ALL_FLAGS);
        long u1 = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.FORGET.code(), u1, 2, FakeKernel.le(3)));
        long u2 = kernel.unique();
        byte[] batch = new byte[8 + 32];
        java.nio.ByteBuffer.wrap(batch).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(2).putInt(0)
                .putLong(5).putLong(1).putLong(6).putLong(2);
        kernel.push(FakeKernel.request(Opcode.BATCH_FORGET.code(), u2, 0, batch));
        // Two readers take the two forgets in either order, and a later request is no barrier for the other
        // reader: wait for all three, then compare without order.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (fs.forgets.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(List.of("2:3", "5:1", "6:2"), fs.forgets.stream().sorted().toList());
        assertNull(kernel.extraReply(u1, 50));
        assertNull(kernel.extraReply(u2, 50));
    }

    @Test
    void unmountEndsTheSessionAndDestroyRunsOnce() throws Exception {
        TestFs fs = startWith(new TestFs(), 45, ALL_FLAGS);
        kernel.call(Opcode.DESTROY.code(), 0, new byte[0]);
        session.terminated().get(10, TimeUnit.SECONDS);
        assertEquals(1, fs.destroys.get());
    }
}
