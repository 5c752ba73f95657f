package dev.jfuser;

import dev.jfuser.protocol.Abi;

/**
 * Optional kernel features negotiated at INIT. A filesystem turns them on in {@link Filesystem#init} through
 * {@link KernelConfig}; the kernel offers each only from the protocol version that introduced it.
 * {@link KernelConfig#enable} means "required": a capability the kernel does not offer fails the mount with the
 * flag's {@linkplain #kernelName() kernel name}; {@link KernelConfig#enableIfSupported} asks only if offered.
 *
 * <p>Some are on without being asked for: the defaults {@link KernelConfig} lists, and those an implemented method
 * calls for ({@link #READDIRPLUS} and {@link #READDIRPLUS_AUTO} when {@code readdirplus} is overridden,
 * {@link #POSIX_LOCKS} when {@code getlk} and {@code setlk} are, {@link #FLOCK_LOCKS} when {@code setlk} is);
 * {@link KernelConfig#disable} in {@code init} turns any of them off.
 *
 * <p>The INIT flags of protocol 7.45 that are not here are the library's to set or not reachable: FUSE_BIG_WRITES,
 * FUSE_MAX_PAGES and FUSE_INIT_EXT are always sent when offered ({@link KernelConfig#maxWrite(int)} sets the
 * sizes they carry), and so is FUSE_ABORT_ERROR (an aborted connection then reads as ECONNABORTED rather than
 * ENODEV, so the session can tell an abort from an unmount and log it), FUSE_REQUEST_TIMEOUT is sent with {@link KernelConfig#requestTimeoutSeconds(int)},
 * FUSE_OVER_IO_URING with {@link Transport#IO_URING}; FUSE_FILE_OPS, FUSE_SPLICE_READ, FUSE_SPLICE_WRITE,
 * FUSE_SPLICE_MOVE and FUSE_INIT_RESERVED are neither offered nor read by the kernel; FUSE_MAP_ALIGNMENT,
 * FUSE_SUBMOUNTS and FUSE_HAS_INODE_DAX belong to virtiofs (DAX windows, submounts), which /dev/fuse never offers;
 * FUSE_SECURITY_CTX is not asked for (jfuser skips the security-context extension of create requests instead of
 * handing labels to the filesystem).
 */
public enum Capability {
    /** Several READs of one file may be in flight at once (readahead in parallel). On by default. */
    ASYNC_READ(Abi.ASYNC_READ, "FUSE_ASYNC_READ"),
    /**
     * The filesystem implements record locks (getlk/setlk); otherwise the kernel handles them locally. Both
     * {@code fcntl} kinds arrive alike, told apart by nothing but their lock owner: a POSIX lock's owner is the
     * process (its file table), released by the FLUSH of every {@code close()} that process makes of the file,
     * so such a filesystem must implement flush; an open-file-description lock's ({@code F_OFD_SETLK}) owner is
     * the open file, released with its last close, which the kernel sends as the RELEASE of the handle the lock
     * came through, without naming the owner. Linux's deadlock detection (EDEADLK) is the filesystem's to do.
     * On by itself when the filesystem overrides both {@code getlk} and {@code setlk}.
     */
    POSIX_LOCKS(Abi.POSIX_LOCKS, "FUSE_POSIX_LOCKS"),
    /** {@code open(O_TRUNC)} is sent as OPEN with O_TRUNC instead of a separate SETATTR(size=0). */
    ATOMIC_O_TRUNC(Abi.ATOMIC_O_TRUNC, "FUSE_ATOMIC_O_TRUNC"),
    /**
     * File handles that outlive the kernel's inode cache ({@code open_by_handle_at(2)}, NFS export): the kernel
     * asks the filesystem for a node by its id alone ({@link Filesystem#lookupNode}) and for a directory's parent
     * ({@link Filesystem#lookupParent}). Without it a handle decodes only while its inode is cached and is stale
     * (ESTALE) afterwards.
     */
    EXPORT_SUPPORT(Abi.EXPORT_SUPPORT, "FUSE_EXPORT_SUPPORT"),
    /** The kernel does not apply the umask; the filesystem gets it in create/mkdir/mknod and applies it. */
    DONT_MASK(Abi.DONT_MASK, "FUSE_DONT_MASK"),
    /**
     * The filesystem implements BSD {@code flock()} locks (setlk with the flock flag). Their owner is the open
     * file; the RELEASE of its last close carries {@code RELEASE_FLOCK_UNLOCK} and that owner. On by itself when
     * the filesystem overrides {@code setlk}.
     */
    FLOCK_LOCKS(Abi.FLOCK_LOCKS, "FUSE_FLOCK_LOCKS"),
    /**
     * An announcement more than a request: the kernel (7.18+) sends ioctls on directories to the filesystem
     * ({@code FUSE_IOCTL_DIR} in their flags) whether or not this is asked for. On by default.
     */
    IOCTL_DIR(Abi.HAS_IOCTL_DIR, "FUSE_HAS_IOCTL_DIR"),
    /**
     * The kernel drops cached pages when it sees the file's mtime or size change (in a GETATTR or LOOKUP answer).
     * On by default. Changes that keep size and mtime need {@link Notifier#invalInode}.
     */
    AUTO_INVAL_DATA(Abi.AUTO_INVAL_DATA, "FUSE_AUTO_INVAL_DATA"),
    /**
     * Directory listings use READDIRPLUS (entries with attributes, each a lookup), so a listing followed by
     * {@code stat} of every entry ({@code ls -l}) costs one request per chunk instead of one per name. On by itself
     * when the filesystem overrides {@code readdirplus}.
     */
    READDIRPLUS(Abi.DO_READDIRPLUS, "FUSE_DO_READDIRPLUS"),
    /**
     * With {@link #READDIRPLUS}: the kernel chooses between READDIR and READDIRPLUS, sending READDIRPLUS only for
     * the first chunk of a listing and when the names listed were then looked up. On by itself, as libfuse does,
     * when the filesystem overrides {@code readdirplus}; disable it for READDIRPLUS always.
     */
    READDIRPLUS_AUTO(Abi.READDIRPLUS_AUTO, "FUSE_READDIRPLUS_AUTO"),
    /** Asynchronous direct I/O: several requests of one O_DIRECT call in flight. On by default. */
    ASYNC_DIO(Abi.ASYNC_DIO, "FUSE_ASYNC_DIO"),
    /** Writes are cached by the kernel and written back later, like a local filesystem (faster small writes). */
    WRITEBACK_CACHE(Abi.WRITEBACK_CACHE, "FUSE_WRITEBACK_CACHE"),
    /** A filesystem without open: the kernel stops sending OPEN after an ENOSYS answer. */
    NO_OPEN_SUPPORT(Abi.NO_OPEN_SUPPORT, "FUSE_NO_OPEN_SUPPORT"),
    /** Lookups and readdirs in one directory may run in parallel. On by default. */
    PARALLEL_DIROPS(Abi.PARALLEL_DIROPS, "FUSE_PARALLEL_DIROPS"),
    /** The filesystem clears set-uid/set-gid bits itself on write, truncate and chown. */
    HANDLE_KILLPRIV(Abi.HANDLE_KILLPRIV, "FUSE_HANDLE_KILLPRIV"),
    /**
     * POSIX ACLs: the kernel enforces them and turns on {@code default_permissions} for the mount, whatever its
     * options. It reads an inode's ACLs with GETXATTR of {@code system.posix_acl_access} and
     * {@code system.posix_acl_default} (values in the kernel's xattr form: a little-endian u32 version 2, then
     * entries of u16 tag, u16 permissions, u32 id), stores them with SETXATTR/REMOVEXATTR of those names, and
     * caches them. The filesystem keeps the rest in step: it sets the mode's permission bits from an access ACL it
     * is given (owner, mask or else group, other) and may drop an ACL the mode says entirely; it updates the ACL's
     * owner, mask (or group) and other entries on chmod; and it gives a node created in a directory with a
     * default ACL that ACL (masked by the requested mode, the umask not applied, so {@link #DONT_MASK} is needed)
     * and, for a directory, the default ACL too. With {@link #SETXATTR_EXT} the setxattr of an ACL says when the
     * set-gid bit must go. memfs is an implementation to read.
     */
    POSIX_ACL(Abi.POSIX_ACL, "FUSE_POSIX_ACL"),
    /** The kernel caches symlink targets in the page cache. */
    CACHE_SYMLINKS(Abi.CACHE_SYMLINKS, "FUSE_CACHE_SYMLINKS"),
    /** A filesystem without opendir: the kernel stops sending OPENDIR after an ENOSYS answer. */
    NO_OPENDIR_SUPPORT(Abi.NO_OPENDIR_SUPPORT, "FUSE_NO_OPENDIR_SUPPORT"),
    /**
     * The kernel keeps a file's cached pages even when it sees its size or mtime change (the opposite of
     * {@link #AUTO_INVAL_DATA}, which this replaces): cached data goes only when the filesystem drops it with
     * {@link Notifier#invalInode} (or a file is opened without keep-cache). For a filesystem that knows exactly
     * when its data changes and wants no spurious cache loss from attribute updates.
     */
    EXPLICIT_INVAL_DATA(Abi.EXPLICIT_INVAL_DATA, "FUSE_EXPLICIT_INVAL_DATA"),
    /** Version 2 of {@link #HANDLE_KILLPRIV}: the kernel says when to kill privileges (FATTR_KILL_SUIDGID…). */
    HANDLE_KILLPRIV_V2(Abi.HANDLE_KILLPRIV_V2, "FUSE_HANDLE_KILLPRIV_V2"),
    /** Extended setxattr request carrying setxattr flags (ACL kill-sgid). */
    SETXATTR_EXT(Abi.SETXATTR_EXT, "FUSE_SETXATTR_EXT"),
    /** create/mkdir/mknod/symlink carry the caller's supplementary groups (for set-gid directory rules). */
    CREATE_SUPP_GROUP(Abi.CREATE_SUPP_GROUP, "FUSE_CREATE_SUPP_GROUP"),
    /** mmap is allowed on files opened with direct I/O. */
    DIRECT_IO_ALLOW_MMAP(Abi.DIRECT_IO_ALLOW_MMAP, "FUSE_DIRECT_IO_ALLOW_MMAP"),
    /** Reads and writes of files opened with a backing id go straight to a backing file in the kernel. */
    PASSTHROUGH(Abi.PASSTHROUGH, "FUSE_PASSTHROUGH"),
    /**
     * No file handles at all: {@code name_to_handle_at(2)} fails with EOPNOTSUPP and the filesystem cannot be
     * exported over NFS. Without it (and without {@link #EXPORT_SUPPORT}) a handle decodes only while its inode
     * is cached, which NFS clients see as random ESTALE errors; this makes the refusal explicit.
     */
    NO_EXPORT_SUPPORT(Abi.NO_EXPORT_SUPPORT, "FUSE_NO_EXPORT_SUPPORT"),
    /**
     * Idmapped bind mounts of this filesystem are allowed ({@code mount_setattr(2)} with
     * {@code MOUNT_ATTR_IDMAP}): requests then carry the ids as mapped. The kernel accepts it only on a mount with
     * {@code default_permissions} (it refuses the INIT otherwise, and the mount fails).
     */
    ALLOW_IDMAP(Abi.ALLOW_IDMAP, "FUSE_ALLOW_IDMAP"),
    /**
     * An announcement, not a behaviour: the kernel can expire a cached name without dropping it
     * ({@link Notifier#expireEntry}, 7.38). Enabling it only makes the mount fail on a kernel without it.
     */
    HAS_EXPIRE_ONLY(Abi.HAS_EXPIRE_ONLY, "FUSE_HAS_EXPIRE_ONLY"),
    /**
     * An announcement, not a behaviour: the kernel can send every unanswered request again
     * ({@link Notifier#resend}, 7.40). Enabling it only makes the mount fail on a kernel without it.
     */
    HAS_RESEND(Abi.HAS_RESEND, "FUSE_HAS_RESEND");

    private final long flag;
    private final String kernelName;

    Capability(long flag, String kernelName) {
        this.flag = flag;
        this.kernelName = kernelName;
    }

    /**
     * The flag's name in the kernel's UAPI header ({@code <linux/fuse.h>}), as error messages name it.
     *
     * @return the {@code FUSE_*} name of this capability's INIT flag, such as {@code "FUSE_DO_READDIRPLUS"}
     */
    public String kernelName() {
        return kernelName;
    }

    /**
     * The INIT flag bit ({@code flags | flags2 << 32}).
     *
     * @return the bit this capability sets in the INIT flags, the high word for FLAGS2 capabilities
     */
    public long flag() {
        return flag;
    }
}
