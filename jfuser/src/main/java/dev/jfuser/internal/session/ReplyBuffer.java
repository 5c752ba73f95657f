package dev.jfuser.internal.session;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Native memory for building one reply: the header and reply struct (and small payloads) in {@link #bytes}, plus
 * scratch room for the two iovecs the channel gathers them with, so a large native payload is never copied.
 */
final class ReplyBuffer {
    /** Header + struct + small payloads; readdir listings and heap read data up to this size are copied in. */
    static final int SIZE = 64 * 1024;

    final MemorySegment segment;
    final ByteBuffer bytes;
    final MemorySegment iovecs;

    private ReplyBuffer(Arena arena) {
        this.segment = arena.allocate(SIZE, 8);
        this.bytes = segment.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        this.iovecs = arena.allocate(32, 8);
    }

    /** A bounded free list of reply buffers shared by a session's threads. */
    static final class Pool {
        private final ConcurrentLinkedQueue<ReplyBuffer> free = new ConcurrentLinkedQueue<>();
        private final Arena arena = Arena.ofAuto();

        ReplyBuffer take() {
            ReplyBuffer b = free.poll();
            return b != null ? b : new ReplyBuffer(arena);
        }

        void give(ReplyBuffer b) {
            b.bytes.clear();
            free.offer(b);
        }
    }
}
