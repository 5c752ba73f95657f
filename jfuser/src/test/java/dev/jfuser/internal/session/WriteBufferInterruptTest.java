package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * INTERRUPTs are read while every WRITE buffer is held by a write in flight: a reader that would have waited for a
 * free buffer, reading nothing, reads on; a WRITE it reads meanwhile waits for a buffer without running.
 */
class WriteBufferInterruptTest extends SessionFixture {
    private static final long FLAGS = Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT;
    private static final FileAttr FILE = FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).build();
    private static final int SIZE = 64 * 1024;

    /** Writes named by their first byte; each is held until interrupted (blocking) or never completes (async). */
    static final class StuckWrites implements Filesystem {
        final List<Character> started = new CopyOnWriteArrayList<>();
        final Map<Character, Boolean> sawInterrupt = new ConcurrentHashMap<>();

        @Override
        public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                long lockOwner) throws FuseException {
            char name = (char) data.get(data.position());
            started.add(name);
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                sawInterrupt.put(name, req.isInterrupted());
                throw new FuseException(Errno.EINTR);
            }
            return data.remaining();
        }

        @Override
        public Entry lookup(Request req, long parent, String name) {
            return Entry.of(FILE);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
            return AttrReply.of(FILE);
        }
    }

    static final class PendingWrites implements AsyncFilesystem {
        final List<Character> started = new CopyOnWriteArrayList<>();
        final Map<Character, CompletableFuture<Integer>> stages = new ConcurrentHashMap<>();

        @Override
        public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
                int writeFlags, int flags, long lockOwner) {
            char name = (char) data.get(data.position());
            started.add(name);
            CompletableFuture<Integer> f = new CompletableFuture<>();
            stages.put(name, f);
            return f;
        }

        @Override
        public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
            return CompletableFuture.completedFuture(AttrReply.of(FILE));
        }
    }

    private void start(AsyncFilesystem fs) throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, FLAGS)));
        // One reader, one WRITE buffer: the fewest the options allow.
        session = new Session(kernel, fs, new SessionOptions(1, 10_000, 1, null), -1);
        session.start();
        assertEquals(0, kernel.await(1).error());
    }

    private long write(char fill) {
        byte[] data = new byte[SIZE];
        Arrays.fill(data, (byte) fill);
        long u = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.WRITE.code(), u, 2, UnencodableReplyTest.cat(FakeKernel.le(2, 0),
                UnencodableReplyTest.ints(SIZE, 0), FakeKernel.le(0), UnencodableReplyTest.ints(0, 0), data)));
        return u;
    }

    private void interrupt(long target) {
        kernel.push(FakeKernel.request(Opcode.INTERRUPT.code(), kernel.unique() | 1, 0, FakeKernel.le(target)));
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

    @ParameterizedTest(name = "blocking {0}")
    @ValueSource(booleans = {true, false})
    void anInterruptReachesAStuckWriteWhileEveryWriteBufferIsHeld(boolean blocking) throws Exception {
        StuckWrites stuck = new StuckWrites();
        PendingWrites pending = new PendingWrites();
        start(blocking ? new BlockingAdapter(stuck) : pending);
        List<Character> started = blocking ? stuck.started : pending.started;

        long a = write('A');
        eventually("the first write is in its handler", () -> started.contains('A'));
        // The only WRITE buffer is A's: B is read, but waits for a buffer without running.
        long b = write('B');
        Thread.sleep(200);
        assertEquals(List.of('A'), started, "a write beyond the buffers does not start");
        // Other requests are still served meanwhile.
        assertEquals(0, kernel.call(Opcode.GETATTR.code(), 2, new byte[16]).error());

        // An INTERRUPT for the waiting write answers it without running it.
        interrupt(b);
        assertEquals(-Errno.EINTR.code(), kernel.await(b).error());
        assertFalse(started.contains('B'), "the interrupted write never reached the filesystem");

        // An INTERRUPT for the stuck write that holds the buffer reaches it, though no buffer is free.
        long c = write('C');
        Thread.sleep(100);
        interrupt(a);
        assertEquals(-Errno.EINTR.code(), kernel.await(a).error());
        if (blocking) {
            assertEquals(Boolean.TRUE, stuck.sawInterrupt.get('A'), "the handler saw Request.isInterrupted()");
        } else {
            assertTrue(pending.stages.get('A').isCancelled(), "the stage was cancelled");
        }
        // The buffer given back goes to the write that waited for it.
        eventually("the waiting write started", () -> started.contains('C'));
        interrupt(c);
        assertEquals(-Errno.EINTR.code(), kernel.await(c).error());
        eventually("nothing left in flight", () -> session.inFlightCount() == 0 && session.parkedCount() == 0);
    }
}
