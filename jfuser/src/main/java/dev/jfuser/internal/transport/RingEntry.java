package dev.jfuser.internal.transport;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemorySegment;

/**
 * One io_uring entry of a {@link UringQueue}: a header buffer ({@code struct fuse_uring_req_header}) and a payload
 * buffer the kernel copies requests into, and the channel the request's reply goes back through.
 *
 * <p>A request arrives split: {@code fuse_in_header} in the header's {@code in_out}, the op's argument struct
 * ({@code fuse_*_in}, possibly empty) in {@code op_in}, names and data in the payload, whose length is
 * {@code ring_ent_in_out.payload_sz}; the struct's length is what remains of {@code in_header.len}. A reply goes
 * back split the other way: {@code fuse_out_header} in {@code in_out}, everything after it (reply struct and
 * data) at the start of the payload, its length in {@code payload_sz}; then COMMIT_AND_FETCH with the
 * {@code commit_id} the kernel gave (the request's unique).
 */
public final class RingEntry implements ReplyChannel {
    private static final int OUT_HEADER_SIZE = 16;
    private static final int IN_HEADER_SIZE = 40;
    private static final int EIO = 5;

    final UringQueue queue;
    final int index;
    /** Header at 0, payload at {@link UringQueue#PAYLOAD_AT}. */
    private final MemorySegment memory;
    private final MemorySegment payload;
    /** {@code struct iovec[2]} {header, payload} handed over with REGISTER. */
    final MemorySegment iovecs;
    /** The command last submitted for this entry (queue lock). */
    int lastCmd;
    /** The kernel's id for the request now in this entry, echoed by COMMIT_AND_FETCH. */
    long commitId;

    RingEntry(UringQueue queue, int index, MemorySegment memory, MemorySegment iovecs) {
        this.queue = queue;
        this.index = index;
        this.memory = memory;
        this.payload = memory.asSlice(UringQueue.PAYLOAD_AT, queue.payloadSize);
        this.iovecs = iovecs;
        iovecs.set(JAVA_LONG, 0, memory.address());
        iovecs.set(JAVA_LONG, 8, UringQueue.HEADER_SIZE);
        iovecs.set(JAVA_LONG, 16, payload.address());
        iovecs.set(JAVA_LONG, 24, payload.byteSize());
    }

    /** The queue (= CPU) this entry belongs to. */
    public int qid() {
        return queue.qid;
    }

    /** A request is in the buffers: lay it out contiguously and hand it to the session. Queue thread. */
    void arrived(UringQueue.Handler handler) {
        commitId = memory.get(JAVA_LONG, UringQueue.ENT_COMMIT_ID);
        int payloadSize = memory.get(JAVA_INT, UringQueue.ENT_PAYLOAD_SZ);
        int len = memory.get(JAVA_INT, 0);
        int opLen = len - IN_HEADER_SIZE - payloadSize;
        if (opLen < 0 || opLen > UringQueue.OP_IN_SIZE || payloadSize < 0 || payloadSize > payload.byteSize()) {
            handler.warn("io_uring queue " + queue.qid + ": request " + commitId + " of " + len + " bytes with a "
                    + payloadSize + "-byte payload does not fit the ring layout; answering EIO");
            answerError(commitId, EIO);
            return;
        }
        // fuse_in_header and the op struct go right before the payload: [start, PAYLOAD_AT + payloadSize)
        int start = UringQueue.PAYLOAD_AT - opLen - IN_HEADER_SIZE;
        MemorySegment.copy(memory, 0, memory, start, IN_HEADER_SIZE);
        MemorySegment.copy(memory, UringQueue.OP_IN, memory, UringQueue.PAYLOAD_AT - opLen, opLen);
        handler.request(this, memory.asSlice(start, len));
    }

    @Override
    public void send(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment data,
                     long dataLength) {
        long body = headLength - OUT_HEADER_SIZE + (data == null ? 0 : dataLength);
        if (body > payload.byteSize()) {
            // The kernel reads at most max_payload_sz bytes of a reply; a longer one could not arrive whole.
            answerError(head.get(JAVA_LONG, 8), EIO);
            return;
        }
        MemorySegment.copy(head, 0, memory, 0, OUT_HEADER_SIZE);
        MemorySegment.copy(head, OUT_HEADER_SIZE, payload, 0, headLength - OUT_HEADER_SIZE);
        if (data != null && dataLength > 0) {
            long at = headLength - OUT_HEADER_SIZE;
            // A payload already in place (a filesystem that filled the entry's own buffer) needs no copy; any
            // other overlap is handled by copy() as if through a temporary buffer.
            if (data.address() != payload.address() + at) {
                MemorySegment.copy(data, 0, payload, at, dataLength);
            }
        }
        memory.set(JAVA_INT, UringQueue.ENT_PAYLOAD_SZ, (int) body);
        queue.commit(this);
    }

    private void answerError(long unique, int errno) {
        // struct fuse_out_header { u32 len; s32 error; u64 unique; }
        memory.set(JAVA_INT, 0, OUT_HEADER_SIZE);
        memory.set(JAVA_INT, 4, -errno);
        memory.set(JAVA_LONG, 8, unique);
        memory.set(JAVA_INT, UringQueue.ENT_PAYLOAD_SZ, 0);
        queue.commit(this);
    }

    @Override
    public String toString() {
        return "ring entry " + queue.qid + "/" + index;
    }
}
