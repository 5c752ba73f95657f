package dev.jfuser.internal.transport;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.jfuser.internal.sys.IoUring;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One FUSE-over-io_uring queue: the ring for one CPU (qid = CPU number), its entries, and the loop that runs it on
 * one platform thread.
 *
 * <p>The kernel queues a request made on CPU {@code n} to queue {@code n}, into the first entry parked there (an
 * IORING_OP_URING_CMD it has not completed yet), copies it into that entry's buffers and completes the command
 * (CQE res 0). The entry then belongs to us until its reply is committed with COMMIT_AND_FETCH, which parks it
 * again.
 *
 * <p>Only the queue's thread submits. An io_uring command runs its completion work in the task that submitted it
 * (fs/fuse copies the next request into our buffers there); if any replying thread submitted, the next request
 * for that entry would have to wake that thread first. With one submitter the ring can also use
 * SINGLE_ISSUER|DEFER_TASKRUN: that work runs only when the queue's thread waits for completions anyway. So a
 * reply produced on another thread (a virtual thread running a blocking filesystem) is handed over: the entry is
 * queued, and if the loop sleeps, an eventfd the ring has a READ pending on wakes it. A reply produced on the
 * queue's own thread while it handles completions (an async filesystem answering at once) is published directly.
 * Everything published goes out with the loop's next wait: one system call per batch.
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
    private static final long WAKE = -1L;

    // errno values seen in completions
    private static final int ENOENT = 2;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int EBUSY = 16;
    private static final int ENODEV = 19;
    private static final int EINVAL = 22;
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

        /** Something worth a line in the debug trace only. */
        void note(String message);
    }

    final int qid;
    final int devFd;
    final int payloadSize;
    private final IoUring ring;
    /** Whether the ring was made for one submitter with deferred task work (Linux 6.1+). */
    private final boolean singleIssuer;
    private final RingEntry[] entries;
    private final int wakeFd;
    /** 8 bytes: the eventfd counter read by the ring, and the value 1 written to it (separate halves). */
    private final MemorySegment wakeBuffer;
    private final MemorySegment wakeState = LibC.allocateCallState(Arena.ofAuto());
    private final MemorySegment loopState = LibC.allocateCallState(Arena.ofAuto());
    private final boolean pin;
    /** Replies committed by other threads, waiting for the queue's thread to submit them. */
    private final ConcurrentLinkedQueue<RingEntry> committed = new ConcurrentLinkedQueue<>();
    /** Set while the loop is (about to be) blocked in io_uring_enter: a committer must then wake it. */
    private final AtomicBoolean sleeping = new AtomicBoolean();
    private volatile Thread thread;
    /** True while the queue's thread handles a batch of completions (read only by that thread). */
    private boolean reaping;
    private volatile boolean stopping;
    private boolean closed; // guarded by wakeBuffer's monitor: the eventfd must not be written once closed

    UringQueue(int qid, int devFd, int depth, int payloadSize, boolean pin) throws NativeException {
        this.qid = qid;
        this.devFd = devFd;
        this.payloadSize = payloadSize;
        this.pin = pin;
        // 128-byte SQEs: fuse_uring_cmd_req lives in the command area, which a 64-byte SQE has only 16 bytes of.
        // Room for every entry's command plus the wake-up read; completions never outnumber outstanding commands.
        int sq = depth + 2;
        IoUring r;
        boolean single;
        try {
            // Disabled until the queue's thread enables it: that thread becomes the single issuer.
            r = IoUring.setup(sq, 2 * sq, IoUring.SETUP_SQE128 | IoUring.SETUP_SINGLE_ISSUER
                    | IoUring.SETUP_DEFER_TASKRUN | IoUring.SETUP_R_DISABLED);
            single = true;
        } catch (NativeException e) {
            if (e.errno() != EINVAL) {
                throw e;
            }
            r = IoUring.setup(sq, 2 * sq, IoUring.SETUP_SQE128); // before Linux 6.1
            single = false;
        }
        this.ring = r;
        this.singleIssuer = single;
        try {
            // Blocking: io_uring waits for a blocking file to become readable; a non-blocking one would fail EAGAIN.
            this.wakeFd = LibC.eventfd(0, LibC.EFD_CLOEXEC);
        } catch (NativeException e) {
            ring.close();
            throw e;
        }
        try {
            Arena arena = Arena.ofAuto(); // freed by the GC: a late reply can never write into freed memory
            this.wakeBuffer = arena.allocate(16, 8);
            wakeBuffer.set(JAVA_LONG, 8, 1L);
            this.entries = new RingEntry[depth];
            for (int i = 0; i < depth; i++) {
                entries[i] = new RingEntry(this, i, arena.allocate(PAYLOAD_AT + (long) payloadSize, 4096),
                        arena.allocate(32, 8));
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            ring.close();
            LibC.closeQuietly(wakeFd);
            throw e;
        }
    }

    public int qid() {
        return qid;
    }

    /** Whether the ring runs with SINGLE_ISSUER|DEFER_TASKRUN (Linux 6.1+). */
    boolean singleIssuer() {
        return singleIssuer;
    }

    /**
     * Registers every entry and serves until {@link #stop()} or until every entry is gone (the connection
     * ended). Runs on the queue's own platform thread, the ring's only submitter.
     */
    public void run(Handler handler) {
        thread = Thread.currentThread();
        if (pin) {
            try {
                LibC.pinCurrentThread(qid);
            } catch (NativeException | RuntimeException e) {
                // e.g. a cpuset without this CPU: the queue still works, only without the locality
                handler.note("jfuser: io_uring queue " + qid + " not pinned to its CPU: " + e.getMessage());
            }
        }
        if (singleIssuer) {
            try {
                ring.enable();
            } catch (NativeException e) {
                // The kernel was told io_uring and holds requests back until every queue has an entry; only a
                // failed REGISTER would send it back to /dev/fuse, and this ring cannot submit one. Ending the
                // session (the caller stops it) beats leaving every caller hanging.
                throw new IllegalStateException("cannot enable the io_uring of queue " + qid + ": " + e.getMessage(),
                        e);
            }
        }
        for (RingEntry e : entries) {
            publish(e, CMD_REGISTER);
        }
        armWake();
        int live = entries.length;
        while (live > 0 && !stopping) {
            for (RingEntry e; (e = committed.poll()) != null; ) {
                publish(e, CMD_COMMIT_AND_FETCH);
            }
            // Announce the wait, then look again: a reply queued after the poll above sees sleeping and wakes us.
            sleeping.set(true);
            int wait = committed.isEmpty() && !stopping ? 1 : 0;
            int r = ring.enter(loopState, ring.sqPending(), wait);
            sleeping.set(false);
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
                    if (userData == WAKE) {
                        armWake();
                    } else if (!completion(entries[(int) userData], res, handler)) {
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
                publish(e, e.lastCmd);
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
                    publish(e, CMD_REGISTER);
                    return true;
                }
                handler.warn("io_uring queue " + qid + " entry " + e.index + ": command " + e.lastCmd + " failed with "
                        + LibC.errnoName(errno) + "; entry dropped");
                return false;
            }
        }
    }

    /**
     * Commits {@code e}'s reply (already in its buffers) and parks it for the next request. Any thread: on the
     * queue's own thread while it handles completions the command is published at once, else it is handed over.
     */
    void commit(RingEntry e) {
        if (reaping && Thread.currentThread() == thread) {
            publish(e, CMD_COMMIT_AND_FETCH);
            return;
        }
        committed.offer(e);
        if (sleeping.get() && sleeping.compareAndSet(true, false)) {
            wake();
        }
    }

    /** Queue thread only: fills an SQE for {@code cmd} on {@code e}; it goes out with the loop's next enter. */
    private void publish(RingEntry e, int cmd) {
        MemorySegment sqe = nextSqe();
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

    /** Queue thread only: a READ of the eventfd, completing (user_data WAKE) when someone writes it. */
    private void armWake() {
        IoUring.prepareRead(nextSqe(), wakeFd, wakeBuffer.address(), 8, WAKE);
        ring.publish();
    }

    private MemorySegment nextSqe() {
        MemorySegment sqe = ring.nextSqe();
        if (sqe == null) {
            // Not with one command per entry plus the wake-up read in a ring sized for them; never overwrite.
            ring.enter(loopState, ring.sqPending(), 0);
            sqe = ring.nextSqe();
            if (sqe == null) {
                throw new IllegalStateException("io_uring queue " + qid + ": submission ring full");
            }
        }
        return sqe;
    }

    private void wake() {
        synchronized (wakeBuffer) {
            if (!closed) {
                // errno is not looked at: the state segment is shared by all wakers
                LibC.write(wakeState, wakeFd, wakeBuffer.asSlice(8, 8), 8);
            }
        }
    }

    /** Wakes the queue's thread and makes its loop end. */
    public void stop() {
        stopping = true;
        wake();
    }

    /**
     * Unmaps the ring and closes it (the kernel then cancels the commands parked in it). Call after the queue's
     * thread has ended; replies arriving later are dropped.
     */
    public void close() {
        synchronized (wakeBuffer) {
            if (closed) {
                return;
            }
            closed = true;
            LibC.closeQuietly(wakeFd);
        }
        ring.close();
    }
}
