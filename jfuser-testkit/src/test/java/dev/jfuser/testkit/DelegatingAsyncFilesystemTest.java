package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AttrReply;
import dev.jfuser.DelegatingAsyncFilesystem;
import dev.jfuser.Errno;
import dev.jfuser.FileType;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.protocol.Opcode;
import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link DelegatingAsyncFilesystem}: an async filesystem that overrides one operation and leaves the others to a
 * blocking one, through the real session.
 */
class DelegatingAsyncFilesystemTest {
    private static final byte[] ASYNC = "from the async read".getBytes(StandardCharsets.UTF_8);

    @Test
    void theOverriddenOperationIsAsyncTheOthersRunTheBlockingCode() throws Exception {
        MiniFs blocking = new MiniFs(false);
        AtomicInteger asyncReads = new AtomicInteger();
        DelegatingAsyncFilesystem fs = new DelegatingAsyncFilesystem(blocking) {
            @Override
            public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size,
                    int flags, long lockOwner) {
                asyncReads.incrementAndGet();
                int from = (int) Math.min(offset, ASYNC.length);
                return CompletableFuture.completedFuture(ReadData.of(java.util.Arrays.copyOfRange(ASYNC, from,
                        Math.min(ASYNC.length, from + size))));
            }
        };
        assertTrue(fs.delegate() == blocking);
        try (FakeKernel k = FakeKernel.start(fs)) {
            k.mkdir("/d", 0755);
            k.writeFile("/d/f", "written by the blocking write".getBytes(StandardCharsets.UTF_8));
            assertEquals(FileType.REGULAR_FILE, k.stat("/d/f").type());
            assertEquals(29, k.stat("/d/f").size(), "getattr answered by the blocking filesystem");
            assertArrayEquals(ASYNC, k.readFile("/d/f"));
            assertTrue(asyncReads.get() > 0);
            assertEquals(java.util.List.of("f"), k.list("/d"));
        }
        assertTrue(blocking.destroyed, "destroy reaches the blocking filesystem");
    }

    @Test
    void delegatedCallsRunOnVirtualThreadsAndMayBlock() throws Exception {
        AtomicBoolean virtual = new AtomicBoolean();
        MiniFs blocking = new MiniFs(false) {
            @Override
            public synchronized AttrReply getattr(Request req, long nodeId, OptionalLong fh)
                    throws dev.jfuser.FuseException {
                virtual.set(Thread.currentThread().isVirtual());
                try {
                    Thread.sleep(20); // blocking here holds up no reader
                } catch (InterruptedException e) {
                    throw new dev.jfuser.FuseException(Errno.EINTR);
                }
                return super.getattr(req, nodeId, fh);
            }
        };
        try (FakeKernel k = FakeKernel.start(new DelegatingAsyncFilesystem(blocking))) {
            assertEquals(FileType.DIRECTORY, k.stat("/").type());
            assertTrue(virtual.get(), "getattr ran on a virtual thread");
        }
    }

    @Test
    void operationsLeftToDefaultsInBothStayDefaults() throws Exception {
        // MiniFs leaves flush to its default: a FLUSH is answered ENOSYS, so the kernel stops sending it.
        try (FakeKernel k = FakeKernel.start(new DelegatingAsyncFilesystem(new MiniFs(false)))) {
            k.writeFile("/f", new byte[1]);
            Reply r = k.request(Opcode.FLUSH, 1, new Wire().u64(0).u32(0).u32(0).u64(0).build());
            assertEquals(Errno.ENOSYS, r.errno());
        }
        AtomicInteger flushes = new AtomicInteger();
        DelegatingAsyncFilesystem overriding = new DelegatingAsyncFilesystem(new MiniFs(false)) {
            @Override
            public CompletionStage<Void> flush(Request req, long nodeId, long fh, long lockOwner) {
                flushes.incrementAndGet();
                return CompletableFuture.completedFuture(null);
            }
        };
        try (FakeKernel k = FakeKernel.start(overriding)) {
            Reply r = k.request(Opcode.FLUSH, 1, new Wire().u64(0).u32(0).u32(0).u64(0).build());
            assertTrue(r.ok(), "an overridden flush is called: error " + r.error());
            assertEquals(1, flushes.get());
        }
        assertFalse(flushes.get() > 1);
    }
}
