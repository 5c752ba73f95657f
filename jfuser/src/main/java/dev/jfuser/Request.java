package dev.jfuser;

import dev.jfuser.protocol.Opcode;

/**
 * Who is asking: the context of one kernel request, passed to every {@link Filesystem} and
 * {@link AsyncFilesystem} method.
 *
 * <p>{@code uid}, {@code gid} and {@code pid} are those of the calling thread as the kernel saw them (the
 * filesystem uid/gid). They are what a filesystem that checks permissions itself (without the
 * {@code default_permissions} mount option) must check. Some requests have no meaningful caller (e.g. writeback
 * of cached pages, FORGET); their pid is 0.
 */
public final class Request {
    /**
     * {@link #openFlags()} bit: the kernel asks the filesystem to clear set-uid and set-gid as part of this open
     * or create ({@code FUSE_OPEN_KILL_SUIDGID}).
     */
    public static final int OPEN_KILL_SUIDGID = 1;

    private static final int[] NO_GROUPS = new int[0];

    private final long unique;
    private final Opcode opcode;
    private final long nodeId;
    private final int uid;
    private final int gid;
    private final int pid;
    private final int[] supplementaryGroups;
    private final int openFlags;
    private volatile boolean interrupted;

    /**
     * A request context; built by the session, public for test doubles and adapters.
     *
     * @param supplementaryGroups the caller's supplementary groups when the kernel sent them (create-like
     *     requests with the {@code CREATE_SUPP_GROUP} capability), else {@code null}
     * @param unique the request id
     * @param opcode the opcode
     * @param nodeId the node id
     * @param uid the caller's user id
     * @param gid the caller's group id
     * @param pid the caller's process id
     */
    public Request(long unique, Opcode opcode, long nodeId, int uid, int gid, int pid, int[] supplementaryGroups) {
        this(unique, opcode, nodeId, uid, gid, pid, supplementaryGroups, 0);
    }

    /**
     * A request context with the kernel's {@code open_flags} (OPEN, CREATE, TMPFILE); built by the session, public
     * for test doubles and adapters.
     *
     * @param unique the request's unique id, as in the kernel's header
     * @param opcode the request's operation
     * @param nodeId the node the request is about
     * @param uid the caller's user id
     * @param gid the caller's group id
     * @param pid the caller's process id
     * @param supplementaryGroups as for {@link #Request(long, Opcode, long, int, int, int, int[])}
     * @param openFlags the {@code open_flags} field of the request, see {@link #openFlags()}
     */
    public Request(long unique, Opcode opcode, long nodeId, int uid, int gid, int pid, int[] supplementaryGroups,
            int openFlags) {
        this.openFlags = openFlags;
        this.unique = unique;
        this.opcode = opcode;
        this.nodeId = nodeId;
        this.uid = uid;
        this.gid = gid;
        this.pid = pid;
        this.supplementaryGroups = supplementaryGroups == null ? NO_GROUPS : supplementaryGroups.clone();
    }

    /**
     * The kernel's id of this request, unique among requests in flight; shown in logs and debug output.
     *
     * @return the kernel's id of this request, unique among requests in flight
     */
    public long unique() {
        return unique;
    }

    /**
     * The operation requested.
     *
     * @return the operation requested
     */
    public Opcode opcode() {
        return opcode;
    }

    /**
     * The node id in the request header (the inode the operation is about).
     *
     * @return the node id in the request header (the inode the operation is about)
     */
    public long nodeId() {
        return nodeId;
    }

    /**
     * The caller's filesystem user id.
     *
     * @return the caller's filesystem user id
     */
    public int uid() {
        return uid;
    }

    /**
     * The caller's filesystem group id.
     *
     * @return the caller's filesystem group id
     */
    public int gid() {
        return gid;
    }

    /**
     * The caller's thread id, 0 if the kernel did not know it.
     *
     * @return the caller's thread id, 0 if the kernel did not know it
     */
    public int pid() {
        return pid;
    }

    /**
     * Supplementary groups the kernel sent with this request (empty unless negotiated and applicable).
     *
     * @return the group ids, a fresh array
     */
    public int[] supplementaryGroups() {
        return supplementaryGroups.clone();
    }

    /**
     * The kernel's {@code open_flags} for OPEN, CREATE and TMPFILE (0 for other requests): requests about the open
     * beyond the {@code O_*} flags the method receives. Defined so far: {@link #OPEN_KILL_SUIDGID}, sent with
     * {@code O_TRUNC} by a caller without {@code CAP_FSETID} when {@code HANDLE_KILLPRIV_V2} is negotiated.
     *
     * @return the kernel's {@code FUSE_OPEN_*} bits; 0 for requests other than OPEN, CREATE and TMPFILE
     */
    public int openFlags() {
        return openFlags;
    }

    /**
     * Whether this open or create asks the filesystem to clear set-uid, and set-gid when group execute is set, as
     * Linux does when an unprivileged caller truncates ({@link #OPEN_KILL_SUIDGID} in {@link #openFlags()}).
     *
     * @return {@code true} if the filesystem should clear set-uid (and set-gid, with group execute) on this open
     */
    public boolean killSuidgid() {
        return (openFlags & OPEN_KILL_SUIDGID) != 0;
    }

    /**
     * Whether the kernel asked to interrupt this request (the caller got a signal). A long-running handler may
     * check it and give up with {@link Errno#EINTR}; blocking handlers also see their virtual thread interrupted.
     *
     * @return whether an INTERRUPT for this request arrived
     */
    public boolean isInterrupted() {
        return interrupted;
    }

    /** Marks the request interrupted; called by the session when FUSE_INTERRUPT names it. */
    public void markInterrupted() {
        interrupted = true;
    }

    @Override
    public String toString() {
        return "Request[unique=" + unique + ", op=" + opcode + ", node=" + nodeId + ", uid=" + uid + ", gid=" + gid
                + ", pid=" + pid + "]";
    }
}
