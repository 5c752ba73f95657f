package dev.jfuser.internal.session;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicReferenceArray;

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

    /** Each buffer has its own automatic arena: one that is dropped (not given back) is freed by the GC. */
    private ReplyBuffer() {
        Arena arena = Arena.ofAuto();
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
     * its id to keep threads off each other's slots. A buffer given back to a full pool, or never given back, is
     * left to the GC (its arena is automatic and its own).
     */
    static final class Pool {
        private static final int SLOTS = 64;
        private final AtomicReferenceArray<ReplyBuffer> free = new AtomicReferenceArray<>(SLOTS);

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
            return new ReplyBuffer();
        }

        void give(ReplyBuffer b) {
            b.bytes.clear();
            int s = start();
            for (int i = 0; i < SLOTS; i++) {
                int slot = (s + i) & (SLOTS - 1);
                if (free.getPlain(slot) == null && free.compareAndSet(slot, null, b)) {
                    return;
                }
            }
        }
    }
}
