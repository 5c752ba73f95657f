package dev.jfuser.internal.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * One io_uring instance driven through raw system calls and its three shared mappings, without liburing.
 *
 * <p>Layout (see {@code include/uapi/linux/io_uring.h}): the kernel describes where the head, tail, mask and arrays
 * sit inside the mappings in {@code struct io_uring_params}; the submission ring holds indexes into a separate array
 * of SQEs, the completion ring holds the CQEs themselves. The SQ index array is filled once with the identity
 * (slot {@code i} always names SQE {@code i}), so submitting is: fill SQE {@code tail & mask}, publish
 * {@code tail + 1} with release semantics, call {@link #enter}. Completions are read between our head and the
 * kernel's tail (acquire) and handed back by storing our head (release).
 *
 * <p>Not thread-safe: one producer at a time may fill and publish SQEs, and one consumer reaps CQEs; callers
 * serialise producers themselves. {@link #close()} unmaps the rings: nobody may use the instance afterwards.
 */
public final class IoUring implements AutoCloseable {
    // io_uring_setup flags
    public static final int SETUP_CQSIZE = 1 << 3;
    public static final int SETUP_CLAMP = 1 << 4;
    public static final int SETUP_R_DISABLED = 1 << 6;
    public static final int SETUP_SUBMIT_ALL = 1 << 7;
    public static final int SETUP_COOP_TASKRUN = 1 << 8;
    public static final int SETUP_SQE128 = 1 << 10;
    public static final int SETUP_SINGLE_ISSUER = 1 << 12;
    public static final int SETUP_DEFER_TASKRUN = 1 << 13;
    // io_uring_enter flags
    public static final int ENTER_GETEVENTS = 1;
    // features
    private static final int FEAT_SINGLE_MMAP = 1;
    // opcodes
    public static final byte OP_NOP = 0;
    public static final byte OP_READ = 22;
    public static final byte OP_URING_CMD = 46;
    // io_uring_register opcodes
    private static final int REGISTER_ENABLE_RINGS = 12;
    // mmap offsets
    private static final long OFF_SQ_RING = 0L;
    private static final long OFF_CQ_RING = 0x8000000L;
    private static final long OFF_SQES = 0x10000000L;

    // struct io_uring_sqe (64 bytes; 128 with SQE128, the extra 64 bytes extending the command area at 48)
    public static final int SQE_OPCODE = 0;
    public static final int SQE_FLAGS = 1;
    public static final int SQE_FD = 4;
    /** {@code off}, or for IORING_OP_URING_CMD {@code cmd_op} (u32) and {@code __pad1} (u32). */
    public static final int SQE_CMD_OP = 8;
    public static final int SQE_ADDR = 16;
    public static final int SQE_LEN = 24;
    public static final int SQE_USER_DATA = 32;
    /** Start of the command area of an IORING_OP_URING_CMD: 16 bytes, or 80 with SQE128. */
    public static final int SQE_CMD = 48;

    private static final VarHandle INT = JAVA_INT.varHandle();

    private final int fd;
    private final int sqEntries;
    private final int cqEntries;
    private final int sqMask;
    private final int cqMask;
    private final int sqeSize;
    private final MemorySegment sqRing;
    private final MemorySegment cqRing; // the same mapping as sqRing with FEAT_SINGLE_MMAP
    private final MemorySegment sqes;
    private final long sqHeadOff;
    private final long sqTailOff;
    private final long cqHeadOff;
    private final long cqTailOff;
    private final long cqesOff;
    /** Our copy of the SQ tail: only the (single, serialised) producer moves it. */
    private int sqTail;
    /** Our copy of the CQ head: only the consumer moves it. */
    private int cqHead;
    private boolean closed;

    private IoUring(int fd, int sqEntries, int cqEntries, int sqeSize, MemorySegment sqRing, MemorySegment cqRing,
                    MemorySegment sqes, MemorySegment params) {
        this.fd = fd;
        this.sqEntries = sqEntries;
        this.cqEntries = cqEntries;
        this.sqeSize = sqeSize;
        this.sqRing = sqRing;
        this.cqRing = cqRing;
        this.sqes = sqes;
        this.sqMask = sqRing.get(JAVA_INT, params.get(JAVA_INT, 48));
        this.cqMask = cqRing.get(JAVA_INT, params.get(JAVA_INT, 88));
        this.sqHeadOff = params.get(JAVA_INT, 40);
        this.sqTailOff = params.get(JAVA_INT, 44);
        this.cqHeadOff = params.get(JAVA_INT, 80);
        this.cqTailOff = params.get(JAVA_INT, 84);
        this.cqesOff = params.get(JAVA_INT, 100);
        long arrayOff = params.get(JAVA_INT, 64);
        for (int i = 0; i < sqEntries; i++) {
            sqRing.set(JAVA_INT, arrayOff + 4L * i, i);
        }
        this.sqTail = sqRing.get(JAVA_INT, sqTailOff);
        this.cqHead = cqRing.get(JAVA_INT, cqHeadOff);
    }

    /**
     * Creates a ring with at least {@code entries} submission slots and {@code cqEntries} completion slots
     * ({@code setupFlags} from the {@code SETUP_*} constants; SQE128 makes each SQE 128 bytes).
     *
     * @throws NativeException naming the failed call: EPERM from io_uring_setup means io_uring is disabled
     *     (sysctl kernel.io_uring_disabled) or forbidden by a seccomp filter; ENOSYS that the kernel lacks it
     */
    public static IoUring setup(int entries, int cqEntries, int setupFlags) throws NativeException {
        int flags = setupFlags | (cqEntries > 0 ? SETUP_CQSIZE : 0);
        MemorySegment params = Arena.ofAuto().allocate(120, 8);
        params.set(JAVA_INT, 4, cqEntries);
        params.set(JAVA_INT, 8, flags);
        int fd = LibC.ioUringSetup(entries, params);
        MemorySegment sqRing = null;
        MemorySegment cqRing = null;
        MemorySegment sqes = null;
        try {
            int sqN = params.get(JAVA_INT, 0);
            int cqN = params.get(JAVA_INT, 4);
            int features = params.get(JAVA_INT, 20);
            int sqeSize = (flags & SETUP_SQE128) != 0 ? 128 : 64;
            long sqSize = params.get(JAVA_INT, 64) + 4L * sqN;
            long cqSize = params.get(JAVA_INT, 100) + 16L * cqN;
            int prot = LibC.PROT_READ | LibC.PROT_WRITE;
            int mapFlags = LibC.MAP_SHARED | LibC.MAP_POPULATE;
            if ((features & FEAT_SINGLE_MMAP) != 0) {
                sqRing = LibC.mmap(Math.max(sqSize, cqSize), prot, mapFlags, fd, OFF_SQ_RING);
                cqRing = sqRing;
            } else {
                sqRing = LibC.mmap(sqSize, prot, mapFlags, fd, OFF_SQ_RING);
                cqRing = LibC.mmap(cqSize, prot, mapFlags, fd, OFF_CQ_RING);
            }
            sqes = LibC.mmap((long) sqeSize * sqN, prot, mapFlags, fd, OFF_SQES);
            return new IoUring(fd, sqN, cqN, sqeSize, sqRing, cqRing, sqes, params);
        } catch (NativeException | RuntimeException e) {
            unmapQuietly(sqes);
            if (cqRing != sqRing) {
                unmapQuietly(cqRing);
            }
            unmapQuietly(sqRing);
            LibC.closeQuietly(fd);
            throw e;
        }
    }

    /** The ring's file descriptor. */
    public int fd() {
        return fd;
    }

    public int sqEntries() {
        return sqEntries;
    }

    public int cqEntries() {
        return cqEntries;
    }

    /** Submission slots filled but not yet consumed by the kernel. */
    public int sqPending() {
        return sqTail - (int) INT.getAcquire(sqRing, sqHeadOff);
    }

    /**
     * The next free SQE, zeroed, or null when the submission ring is full (call {@link #enter} to let the kernel
     * consume what is queued). Fill it, then {@link #publish()} it.
     */
    public MemorySegment nextSqe() {
        if (sqPending() >= sqEntries) {
            return null;
        }
        MemorySegment sqe = sqes.asSlice((long) (sqTail & sqMask) * sqeSize, sqeSize);
        sqe.fill((byte) 0);
        return sqe;
    }

    /** Makes the SQE returned by the last {@link #nextSqe()} visible to the kernel (it still needs an enter). */
    public void publish() {
        sqTail++;
        INT.setRelease(sqRing, sqTailOff, sqTail);
    }

    /** Fills a URING_CMD SQE: {@code fd}, {@code cmd_op} and {@code user_data}; the caller adds addr/len/cmd. */
    public static void prepareUringCmd(MemorySegment sqe, int targetFd, int cmdOp, long userData) {
        sqe.set(JAVA_BYTE, SQE_OPCODE, OP_URING_CMD);
        sqe.set(JAVA_INT, SQE_FD, targetFd);
        sqe.set(JAVA_INT, SQE_CMD_OP, cmdOp);
        sqe.set(JAVA_LONG, SQE_USER_DATA, userData);
    }

    /** Fills a READ SQE: {@code len} bytes of {@code targetFd} into native memory at {@code address}. */
    public static void prepareRead(MemorySegment sqe, int targetFd, long address, int len, long userData) {
        sqe.set(JAVA_BYTE, SQE_OPCODE, OP_READ);
        sqe.set(JAVA_INT, SQE_FD, targetFd);
        sqe.set(JAVA_LONG, SQE_ADDR, address);
        sqe.set(JAVA_INT, SQE_LEN, len);
        sqe.set(JAVA_LONG, SQE_USER_DATA, userData);
    }

    /**
     * Enables a ring created with {@link #SETUP_R_DISABLED}; with {@link #SETUP_SINGLE_ISSUER} the calling thread
     * becomes the only one allowed to submit.
     */
    public void enable() throws NativeException {
        LibC.ioUringRegister(fd, REGISTER_ENABLE_RINGS, MemorySegment.NULL, 0);
    }

    /** Fills a NOP SQE: completes at once with res 0 and {@code userData}, waking whoever waits. */
    public static void prepareNop(MemorySegment sqe, long userData) {
        sqe.set(JAVA_BYTE, SQE_OPCODE, OP_NOP);
        sqe.set(JAVA_LONG, SQE_USER_DATA, userData);
    }

    /**
     * {@code io_uring_enter}: submits up to {@code toSubmit} published SQEs and, if {@code minComplete > 0}, waits
     * for that many completions. Returns the number submitted or {@code -errno}.
     */
    public int enter(MemorySegment callState, int toSubmit, int minComplete) {
        return LibC.ioUringEnter(callState, fd, toSubmit, minComplete, minComplete > 0 ? ENTER_GETEVENTS : 0);
    }

    /** Completions ready to be read ({@link #cqeUserData}, {@link #cqeRes} for {@code i} below this). */
    public int cqReady() {
        return (int) INT.getAcquire(cqRing, cqTailOff) - cqHead;
    }

    /** {@code user_data} of the {@code i}-th ready completion. */
    public long cqeUserData(int i) {
        return cqRing.get(JAVA_LONG, cqeOffset(i));
    }

    /** {@code res} of the {@code i}-th ready completion: the result, or {@code -errno}. */
    public int cqeRes(int i) {
        return cqRing.get(JAVA_INT, cqeOffset(i) + 8);
    }

    private long cqeOffset(int i) {
        return cqesOff + 16L * ((cqHead + i) & cqMask);
    }

    /** Hands {@code n} read completions back to the kernel. */
    public void cqAdvance(int n) {
        cqHead += n;
        INT.setRelease(cqRing, cqHeadOff, cqHead);
    }

    /** Unmaps the rings and closes the descriptor; commands still in the kernel are cancelled by it. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        unmapQuietly(sqes);
        if (cqRing != sqRing) {
            unmapQuietly(cqRing);
        }
        unmapQuietly(sqRing);
        LibC.closeQuietly(fd);
    }

    private static void unmapQuietly(MemorySegment m) {
        if (m != null) {
            try {
                LibC.munmap(m);
            } catch (NativeException ignored) {
                // nothing useful to do: the mapping goes away with the process at the latest
            }
        }
    }
}
