package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * What the filesystem was given outlives its handler, and the filesystem's destroy waits for its handlers: WRITE
 * payloads after an INTERRUPT, READDIR buffers of abandoned listings, destroy at the end of the session.
 */
class HandlerLifetimeTest extends SessionFixture {
    private static final long FLAGS = Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT;
    private static final FileAttr FILE = FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).build();

    private void start(AsyncFilesystem fs) throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, FLAGS)));
        session = new Session(kernel, fs, SessionOptions.DEFAULT.withReaderThreads(1), -1);
        session.start();
        assertEquals(0, kernel.await(1).error());
    }

    private long push(Opcode op, long node, byte[] body) {
        long u = kernel.unique();
        kernel.push(FakeKernel.request(op.code(), u, node, body));
        return u;
    }

    private void interrupt(long target) {
        kernel.push(FakeKernel.request(Opcode.INTERRUPT.code(), kernel.unique() | 1, 0, FakeKernel.le(target)));
    }

    private static byte[] write(byte fill, int size) {
        byte[] data = new byte[size];
        Arrays.fill(data, fill);
        return UnencodableReplyTest.cat(FakeKernel.le(2, 0), UnencodableReplyTest.ints(size, 0), FakeKernel.le(0),
                UnencodableReplyTest.ints(0, 0), data);
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Async writes: the first (bytes 'A') is held by the handler and never completes; the others answer at once. */
    static final class HoldingWriteFs implements AsyncFilesystem {
        final AtomicReference<ByteBuffer> held = new AtomicReference<>();

        @Override
        public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
                int writeFlags, int flags, long lockOwner) {
            if (held.compareAndSet(null, data)) {
                return new CompletableFuture<>(); // still working on it when the INTERRUPT comes
            }
            return CompletableFuture.completedFuture(data.remaining());
        }
    }

    @Test
    void aWritePayloadStaysIntactAfterTheWriteWasAnsweredEintrByCancellation() throws Exception {
        HoldingWriteFs fs = new HoldingWriteFs();
        start(fs);
        int size = 64 * 1024;
        long first = push(Opcode.WRITE, 2, write((byte) 'A', size));
        eventually("the first write is held", () -> fs.held.get() != null);
        interrupt(first);
        assertEquals(-Errno.EINTR.code(), kernel.await(first).error());
        for (int i = 0; i < 8; i++) {
            long u = push(Opcode.WRITE, 2, write((byte) ('B' + i), size));
            assertEquals(0, kernel.await(u).error());
        }
        ByteBuffer view = fs.held.get();
        assertEquals(size, view.remaining());
        for (int i = view.position(); i < view.limit(); i++) {
            if (view.get(i) != 'A') {
                throw new AssertionError("byte " + i + " of the held write is now '" + (char) view.get(i) + "'");
            }
        }
    }

    @Test
    void aBlockingWriteStillRunningAfterAnInterruptKeepsItsPayload() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<ByteBuffer> held = new AtomicReference<>();
        AtomicBoolean intact = new AtomicBoolean();
        Filesystem fs = new Filesystem() {
            @Override
            public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags,
                    int flags, long lockOwner) {
                if (held.compareAndSet(null, data)) {
                    // ignores the interrupt and reads its payload only after other writes went through
                    while (true) {
                        try {
                            release.await();
                            break;
                        } catch (InterruptedException e) {
                            // keep working
                        }
                    }
                    boolean allA = true;
                    for (int i = data.position(); i < data.limit(); i++) {
                        allA &= data.get(i) == 'A';
                    }
                    intact.set(allA);
                }
                return data.remaining();
            }
        };
        start(new BlockingAdapter(fs));
        long first = push(Opcode.WRITE, 2, write((byte) 'A', 4096));
        eventually("the first write is held", () -> held.get() != null);
        interrupt(first);
        for (int i = 0; i < 8; i++) {
            long u = push(Opcode.WRITE, 2, write((byte) ('B' + i), 4096));
            assertEquals(0, kernel.await(u).error());
        }
        release.countDown();
        assertEquals(0, kernel.await(first).error(), "the write did complete: answered as such");
        assertTrue(intact.get(), "the held payload was overwritten");
    }

    @Test
    void abandonedListingsFreeTheirNativeBuffersAtOnce() throws Exception {
        AsyncFilesystem fs = new AsyncFilesystem() {
            @Override
            public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset,
                    DirectoryListing listing) {
                return new CompletableFuture<>(); // the listing is abandoned: interrupted, never completed
            }

            @Override
            public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
                return CompletableFuture.completedFuture(AttrReply.of(FILE));
            }
        };
        start(fs);
        byte[] readdir = UnencodableReplyTest.cat(FakeKernel.le(0, 0), UnencodableReplyTest.ints(4096, 0),
                FakeKernel.le(0), UnencodableReplyTest.ints(0, 0));
        for (int i = 0; i < 500; i++) {
            long u = push(Opcode.READDIR, 1, readdir);
            interrupt(u);
            // The INTERRUPT may overtake nothing here (one reader, in order): the stage is cancelled at once.
            assertEquals(-Errno.EINTR.code(), kernel.await(u).error());
        }
        long g = push(Opcode.GETATTR, 2, UnencodableReplyTest.cat(UnencodableReplyTest.ints(0, 0),
                FakeKernel.le(0)));
        assertEquals(0, kernel.await(g).error());
        int live = session.replyBuffers.live();
        assertTrue(live <= 8, live + " reply buffers still allocated after 500 abandoned listings");
    }

    @Test
    void destroyWaitsForAHandlerThatOutlivesItsAnswer() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        AtomicBoolean handlerReturned = new AtomicBoolean();
        AtomicBoolean destroyedWhileRunning = new AtomicBoolean();
        CountDownLatch destroyed = new CountDownLatch(1);
        CompletableFuture<Entry> stage = new CompletableFuture<>();
        AsyncFilesystem fs = new AsyncFilesystem() {
            @Override
            public CompletionStage<Entry> lookup(Request req, long parent, String name) {
                // A stage that cannot be cancelled: the INTERRUPT is answered EINTR while the work goes on.
                Thread.ofPlatform().start(() -> {
                    running.countDown();
                    sleep(600);
                    handlerReturned.set(true);
                    stage.complete(Entry.of(FILE));
                });
                return stage.minimalCompletionStage();
            }

            @Override
            public void destroy() {
                destroyedWhileRunning.set(!handlerReturned.get());
                destroyed.countDown();
            }
        };
        start(fs);
        long u = push(Opcode.LOOKUP, 1, FakeKernel.name("x"));
        assertTrue(running.await(5, TimeUnit.SECONDS));
        interrupt(u);
        assertEquals(-Errno.EINTR.code(), kernel.await(u).error());
        kernel.unmount();
        assertTrue(destroyed.await(10, TimeUnit.SECONDS), "destroy ran");
        assertFalse(destroyedWhileRunning.get(), "destroy ran while a handler was still running");
    }

    @Test
    void destroyWaitsForABlockingHandlerAnsweredEioAtTheEnd() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        AtomicBoolean handlerReturned = new AtomicBoolean();
        AtomicBoolean destroyedWhileRunning = new AtomicBoolean();
        CountDownLatch destroyed = new CountDownLatch(1);
        Filesystem fs = new Filesystem() {
            @Override
            public Entry lookup(Request req, long parent, String name) {
                running.countDown();
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(800);
                while (System.nanoTime() < end) {
                    sleep(10); // ignores interrupts: still running when the session ends
                }
                handlerReturned.set(true);
                return Entry.of(FILE);
            }

            @Override
            public void destroy() {
                destroyedWhileRunning.set(!handlerReturned.get());
                destroyed.countDown();
            }
        };
        start(new BlockingAdapter(fs));
        session.drainMillis = 100;
        long u = push(Opcode.LOOKUP, 1, FakeKernel.name("x"));
        assertTrue(running.await(5, TimeUnit.SECONDS));
        kernel.unmount();
        assertEquals(-Errno.EIO.code(), kernel.await(u).error(), "answered EIO at the end of the session");
        assertTrue(destroyed.await(10, TimeUnit.SECONDS), "destroy ran");
        assertFalse(destroyedWhileRunning.get(), "destroy ran while a handler was still running");
    }

    @Test
    void aHandlerStuckForeverDelaysDestroyOnlyByTheGracePeriod() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch destroyed = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        Filesystem fs = new Filesystem() {
            @Override
            public Entry lookup(Request req, long parent, String name) throws java.io.IOException {
                running.countDown();
                while (true) {
                    try {
                        never.await();
                        return Entry.of(FILE);
                    } catch (InterruptedException e) {
                        // stuck for good
                    }
                }
            }

            @Override
            public void destroy() {
                destroyed.countDown();
            }
        };
        start(new BlockingAdapter(fs));
        session.drainMillis = 100;
        session.handlerGraceMillis = 300;
        long u = push(Opcode.LOOKUP, 1, FakeKernel.name("x"));
        assertTrue(running.await(5, TimeUnit.SECONDS));
        long began = System.nanoTime();
        kernel.unmount();
        assertEquals(-Errno.EIO.code(), kernel.await(u).error());
        assertTrue(destroyed.await(5, TimeUnit.SECONDS), "destroy ran after the grace period");
        assertTrue(System.nanoTime() - began >= TimeUnit.MILLISECONDS.toNanos(300), "destroy waited");
        session.terminated().get(5, TimeUnit.SECONDS);
        never.countDown();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            // the callers decide whether to stop
        }
    }
}
