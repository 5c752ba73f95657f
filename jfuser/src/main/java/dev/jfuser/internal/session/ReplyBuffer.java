package dev.jfuser.internal.session;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Native memory for building one reply: the header and reply struct (and small payloads) in {@link #bytes}, plus
 * scratch room for the two iovecs the channel gathers them with, so a large native payload is never copied.
 */
final class ReplyBuffer {
    /** Header + struct + small payloads; readdir listings and heap read data up to this size are copied in. */
    static final int SIZE = 64 * 1024;

    private final Arena arena;
    final MemorySegment segment;
    final ByteBuffer bytes;
    final MemorySegment iovecs;

    /**
     * Each buffer has its own shared arena, closed when the buffer is not kept: one the pool has no room for, or
     * a READDIR listing abandoned by a cancelled handler. Its native memory is then freed at once rather than
     * when the GC gets to it; a thread still writing through a view of it gets an {@link IllegalStateException}
     * (the listing's writer takes that as a full listing), never another reply's memory.
     */
    private ReplyBuffer() {
        this.arena = Arena.ofShared();
        this.segment = arena.allocate(SIZE, 8);
        this.bytes = segment.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        this.iovecs = arena.allocate(32, 8);
    }

    /**
     * A bounded free list of reply buffers shared by a session's threads (readers and virtual threads alike).
     *
     * <p>Slots in an atomic array, claimed with getAndSet / compareAndSet: taking and giving back allocate nothing
     * (a {@code ConcurrentLinkedQueue} allocates a node per offer), and a slot holds a whole buffer, so there is
     * no ABA hazard as in a linked free list of reused nodes. Each thread starts its scan at a slot derived from
     * its id to keep threads off each other's slots. A buffer given back to a full pool is freed at once.
     */
    static final class Pool {
        private static final int SLOTS = 64;
        private final AtomicReferenceArray<ReplyBuffer> free = new AtomicReferenceArray<>(SLOTS);
        /** Buffers allocated by this pool and not yet freed, in the pool or in use. */
        private final AtomicInteger live = new AtomicInteger();

        /** Buffers of this pool whose native memory is allocated (in the pool or in use). */
        int live() {
            return live.get();
        }

        private static int start() {
            return (int) (Thread.currentThread().threadId() * 7) & (SLOTS - 1);
        }

        ReplyBuffer take() {
            int s = start();
            for (int i = 0; i < SLOTS; i++) {
                int slot = (s + i) & (SLOTS - 1);
                if (free.getPlain(slot) != null) {
                    ReplyBuffer b = free.getAndSet(slot, null);
                    if (b != null) {
                        return b;
                    }
                }
            }
            live.incrementAndGet();
            return new ReplyBuffer();
        }

        /** Takes a buffer back for reuse; one the pool has no room for is freed. */
        void give(ReplyBuffer b) {
            b.bytes.clear();
            int s = start();
            for (int i = 0; i < SLOTS; i++) {
                int slot = (s + i) & (SLOTS - 1);
                if (free.getPlain(slot) == null && free.compareAndSet(slot, null, b)) {
                    return;
                }
            }
            free(b);
        }

        /** Frees a buffer that must not be reused (a view of it may still be written to). */
        void free(ReplyBuffer b) {
            b.arena.close();
            live.decrementAndGet();
        }
    }
}
