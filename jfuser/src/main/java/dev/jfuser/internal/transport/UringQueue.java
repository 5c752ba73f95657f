package dev.jfuser.internal.transport;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.jfuser.internal.sys.IoUring;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One FUSE-over-io_uring queue: the ring for one CPU (qid = CPU number), its entries, and the loop that reaps
 * completions on one platform thread.
 *
 * <p>The kernel queues a request made on CPU {@code n} to queue {@code n}, into the first entry parked there (an
 * IORING_OP_URING_CMD it has not completed yet), copies it into that entry's buffers and completes the command
 * (CQE res 0). The entry then belongs to us until its reply is committed with COMMIT_AND_FETCH, which parks it
 * again.
 *
 * <p>Submissions come from any thread: a reply is committed by whoever produced it. Filling and publishing an SQE
 * and the {@code io_uring_enter} that submits it happen under {@link #lock} (the SQ ring has one producer at a
 * time, and {@link #close()} must not unmap the rings under a submitter). A reply produced on the queue's own
 * thread while it reaps completions is only published: the loop submits it with its next wait, one system call
 * for the whole batch. Submitting asks for every published SQE ({@link IoUring#sqPending()}): the kernel takes
 * the oldest first and never more than are there, so asking for too many is harmless.
 */
public final class UringQueue {
    /** {@code enum fuse_uring_cmd}. */
    static final int CMD_REGISTER = 1;
    static final int CMD_COMMIT_AND_FETCH = 2;
    /** {@code struct fuse_uring_req_header}: in_out[128] @0, op_in[128] @128, ring_ent_in_out @256; 288 bytes. */
    static final int HEADER_SIZE = 288;
    static final int OP_IN = 128;
    static final int OP_IN_SIZE = 128;
    static final int ENT_COMMIT_ID = 256 + 8;
    static final int ENT_PAYLOAD_SZ = 256 + 16;
    /**
     * Each entry is one allocation: the 288-byte header at 0, then a gap where a request's fuse_in_header and
     * op struct are copied to sit right before the payload, which starts at this offset. The decoder then sees one
     * contiguous request without the payload (up to 1 MiB of WRITE data) being copied.
     */
    static final int PAYLOAD_AT = 4096;
    private static final int IN_HEADER_SIZE = 40;
    private static final long WAKE = -1L;

    // errno values seen in completions
    private static final int ENOENT = 2;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ENODEV = 19;
    private static final int EBUSY = 16;
    private static final int ECONNABORTED = 103;
    private static final int ENOTCONN = 107;
    private static final int ECANCELED = 125;

    /** What the queue's loop reports to the session. */
    public interface Handler {
        /**
         * A request arrived in {@code entry}: {@code request} holds it whole (fuse_in_header, op struct, payload)
         * and stays valid until the reply is sent through the entry. Called on the queue's thread.
         */
        void request(RingEntry entry, MemorySegment request);

        /** The kernel refused to register entries (so it serves everything through /dev/fuse instead). */
        void registrationFailed(int qid, int errno);

        /** Something unexpected worth a log line. */
        void warn(String message);
    }

    final int qid;
    final int devFd;
    final int payloadSize;
    private final IoUring ring;
    private final RingEntry[] entries;
    private final ReentrantLock lock = new ReentrantLock();
    private final MemorySegment submitState = LibC.allocateCallState(Arena.ofAuto());
    private final MemorySegment loopState = LibC.allocateCallState(Arena.ofAuto());
    private final boolean pin;
    private volatile Thread thread;
    /** True while the queue's thread handles a batch of completions (read only by that thread). */
    private boolean reaping;
    private volatile boolean stopping;
    private boolean closed; // guarded by lock

    UringQueue(int qid, int devFd, int depth, int payloadSize, boolean pin) throws NativeException {
        this.qid = qid;
        this.devFd = devFd;
        this.payloadSize = payloadSize;
        this.pin = pin;
        // 128-byte SQEs: fuse_uring_cmd_req lives in the command area, which a 64-byte SQE has only 16 bytes of.
        // Room for every entry's command plus wake-up NOPs; completions never outnumber outstanding commands.
        this.ring = IoUring.setup(depth + 2, 2 * (depth + 2), IoUring.SETUP_SQE128);
        try {
            Arena arena = Arena.ofAuto(); // freed by the GC: a late reply can never write into freed memory
            this.entries = new RingEntry[depth];
            for (int i = 0; i < depth; i++) {
                entries[i] = new RingEntry(this, i, arena.allocate(PAYLOAD_AT + (long) payloadSize, 4096),
                        arena.allocate(32, 8));
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            ring.close();
            throw e;
        }
    }

    public int qid() {
        return qid;
    }

    /**
     * Registers every entry and reaps completions until {@link #stop()} or until every entry is gone (the
     * connection ended). Runs on the queue's own platform thread.
     */
    public void run(Handler handler) {
        thread = Thread.currentThread();
        if (pin) {
            try {
                LibC.pinCurrentThread(qid);
            } catch (NativeException | RuntimeException e) {
                handler.warn("could not pin io_uring queue " + qid + " to its CPU: " + e.getMessage());
            }
        }
        int live = entries.length;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            for (RingEntry e : entries) {
                publish(e, CMD_REGISTER);
            }
            submitLocked();
        } finally {
            lock.unlock();
        }
        while (live > 0 && !stopping) {
            int pending;
            lock.lock();
            try {
                pending = ring.sqPending();
            } finally {
                lock.unlock();
            }
            int r = ring.enter(loopState, pending, 1);
            if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
                handler.warn("io_uring_enter on queue " + qid + " failed: " + LibC.errnoName(-r) + "; queue stops");
                return;
            }
            int n = ring.cqReady();
            if (n == 0) {
                continue;
            }
            reaping = true;
            try {
                for (int i = 0; i < n; i++) {
                    long userData = ring.cqeUserData(i);
                    int res = ring.cqeRes(i);
                    if (userData != WAKE && !completion(entries[(int) userData], res, handler)) {
                        live--;
                    }
                }
            } finally {
                reaping = false;
                ring.cqAdvance(n);
            }
        }
    }

    /** Handles one entry's completion; returns false when the entry is gone for good. */
    private boolean completion(RingEntry e, int res, Handler handler) {
        if (res == 0) {
            e.arrived(handler);
            return true;
        }
        int errno = -res;
        switch (errno) {
            case EINTR, EAGAIN -> {
                resubmit(e, e.lastCmd);
                return true;
            }
            // The connection is over (unmount, abort) or the ring is being torn down.
            case ENOTCONN, ECONNABORTED, ENODEV, ECANCELED -> {
                return false;
            }
            default -> {
                if (e.lastCmd == CMD_REGISTER) {
                    handler.registrationFailed(qid, errno);
                    return false;
                }
                if (errno == ENOENT) {
                    // The kernel no longer knew the request we answered (it was aborted meanwhile) and left the
                    // entry without a command: offer the same buffers again as a new entry.
                    resubmit(e, CMD_REGISTER);
                    return true;
                }
                handler.warn("io_uring queue " + qid + " entry " + e.index + ": command " + e.lastCmd + " failed with "
                        + LibC.errnoName(errno) + "; entry dropped");
                return false;
            }
        }
    }

    private void resubmit(RingEntry e, int cmd) {
        lock.lock();
        try {
            if (!closed) {
                publish(e, cmd);
                // submitted with the loop's next enter
            }
        } finally {
            lock.unlock();
        }
    }

    /** Commits {@code e}'s reply (already in its buffers) and parks it for the next request. Any thread. */
    void commit(RingEntry e) {
        lock.lock();
        try {
            if (closed) {
                return; // the session is over: nobody waits for this answer any more
            }
            publish(e, CMD_COMMIT_AND_FETCH);
            if (reaping && Thread.currentThread() == thread) {
                return; // the loop submits it with its next wait
            }
            submitLocked();
        } finally {
            lock.unlock();
        }
    }

    private void publish(RingEntry e, int cmd) {
        MemorySegment sqe = ring.nextSqe();
        if (sqe == null) {
            // Cannot happen with one command per entry and a ring sized for all of them, but never overwrite.
            submitLocked();
            sqe = ring.nextSqe();
            if (sqe == null) {
                throw new IllegalStateException("io_uring queue " + qid + ": submission ring full");
            }
        }
        e.lastCmd = cmd;
        IoUring.prepareUringCmd(sqe, devFd, cmd, e.index);
        // struct fuse_uring_cmd_req in the command area: flags u64 @0, commit_id u64 @8, qid u16 @16
        if (cmd == CMD_REGISTER) {
            sqe.set(JAVA_LONG, IoUring.SQE_ADDR, e.iovecs.address());
            sqe.set(JAVA_INT, IoUring.SQE_LEN, 2);
        } else {
            sqe.set(JAVA_LONG, IoUring.SQE_CMD + 8, e.commitId);
        }
        sqe.set(JAVA_SHORT, IoUring.SQE_CMD + 16, (short) qid);
        ring.publish();
    }

    private void submitLocked() {
        while (true) {
            int pending = ring.sqPending();
            if (pending == 0) {
                return;
            }
            int r = ring.enter(submitState, pending, 0);
            if (r >= 0 || (r != -EINTR && r != -EAGAIN && r != -EBUSY)) {
                return; // errors of single commands arrive as completions
            }
        }
    }

    /** Wakes the queue's thread and makes its loop end. */
    public void stop() {
        stopping = true;
        lock.lock();
        try {
            if (closed || thread == null) {
                return;
            }
            MemorySegment sqe = ring.nextSqe();
            if (sqe != null) {
                IoUring.prepareNop(sqe, WAKE);
                ring.publish();
            }
            submitLocked();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Unmaps the ring and closes it (the kernel then cancels the commands parked in it). Call after the queue's
     * thread has ended; replies arriving later are dropped.
     */
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                ring.close();
            }
        } finally {
            lock.unlock();
        }
    }

    int payloadCapacity() {
        return payloadSize;
    }
}
