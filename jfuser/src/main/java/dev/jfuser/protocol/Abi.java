package dev.jfuser.protocol;

/**
 * Constants of the FUSE 7.45 kernel ABI: versions, flag bits and fixed struct sizes.
 *
 * <p>Names keep the kernel's spelling (without the {@code FUSE_} prefix where it would only repeat the class)
 * so they can be looked up in the kernel header directly.
 */
public final class Abi {
    private Abi() {}

    /** The protocol major version we speak; a kernel with another major must be negotiated down or refused. */
    public static final int KERNEL_VERSION = 7;
    /** The newest protocol minor version this library knows. */
    public static final int KERNEL_MINOR_VERSION = 45;
    /** The oldest minor version we agree to serve. Older kernels (before Linux 3.15) are refused at INIT. */
    public static final int MIN_MINOR_VERSION = 19;
    /** The inode number of the mount's root directory. */
    public static final long ROOT_ID = 1;
    /** The kernel refuses reads from /dev/fuse into buffers smaller than this. */
    public static final int MIN_READ_BUFFER = 8192;
    /** Set in {@code fuse_in_header.unique} when the kernel resends a request after FUSE_NOTIFY_RESEND. */
    public static final long UNIQUE_RESEND = 1L << 63;

    // setattr valid bits
    public static final int FATTR_MODE = 1;
    public static final int FATTR_UID = 1 << 1;
    public static final int FATTR_GID = 1 << 2;
    public static final int FATTR_SIZE = 1 << 3;
    public static final int FATTR_ATIME = 1 << 4;
    public static final int FATTR_MTIME = 1 << 5;
    public static final int FATTR_FH = 1 << 6;
    public static final int FATTR_ATIME_NOW = 1 << 7;
    public static final int FATTR_MTIME_NOW = 1 << 8;
    public static final int FATTR_LOCKOWNER = 1 << 9;
    public static final int FATTR_CTIME = 1 << 10;
    public static final int FATTR_KILL_SUIDGID = 1 << 11;

    // open reply flags
    public static final int FOPEN_DIRECT_IO = 1;
    public static final int FOPEN_KEEP_CACHE = 1 << 1;
    public static final int FOPEN_NONSEEKABLE = 1 << 2;
    public static final int FOPEN_CACHE_DIR = 1 << 3;
    public static final int FOPEN_STREAM = 1 << 4;
    public static final int FOPEN_NOFLUSH = 1 << 5;
    public static final int FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;
    public static final int FOPEN_PASSTHROUGH = 1 << 7;

    // INIT flags (flags | flags2 << 32)
    public static final long ASYNC_READ = 1L;
    public static final long POSIX_LOCKS = 1L << 1;
    public static final long FILE_OPS = 1L << 2;
    public static final long ATOMIC_O_TRUNC = 1L << 3;
    public static final long EXPORT_SUPPORT = 1L << 4;
    public static final long BIG_WRITES = 1L << 5;
    public static final long DONT_MASK = 1L << 6;
    public static final long SPLICE_WRITE = 1L << 7;
    public static final long SPLICE_MOVE = 1L << 8;
    public static final long SPLICE_READ = 1L << 9;
    public static final long FLOCK_LOCKS = 1L << 10;
    public static final long HAS_IOCTL_DIR = 1L << 11;
    public static final long AUTO_INVAL_DATA = 1L << 12;
    public static final long DO_READDIRPLUS = 1L << 13;
    public static final long READDIRPLUS_AUTO = 1L << 14;
    public static final long ASYNC_DIO = 1L << 15;
    public static final long WRITEBACK_CACHE = 1L << 16;
    public static final long NO_OPEN_SUPPORT = 1L << 17;
    public static final long PARALLEL_DIROPS = 1L << 18;
    public static final long HANDLE_KILLPRIV = 1L << 19;
    public static final long POSIX_ACL = 1L << 20;
    public static final long ABORT_ERROR = 1L << 21;
    public static final long MAX_PAGES = 1L << 22;
    public static final long CACHE_SYMLINKS = 1L << 23;
    public static final long NO_OPENDIR_SUPPORT = 1L << 24;
    public static final long EXPLICIT_INVAL_DATA = 1L << 25;
    public static final long MAP_ALIGNMENT = 1L << 26;
    public static final long SUBMOUNTS = 1L << 27;
    public static final long HANDLE_KILLPRIV_V2 = 1L << 28;
    public static final long SETXATTR_EXT = 1L << 29;
    public static final long INIT_EXT = 1L << 30;
    public static final long INIT_RESERVED = 1L << 31;
    public static final long SECURITY_CTX = 1L << 32;
    public static final long HAS_INODE_DAX = 1L << 33;
    public static final long CREATE_SUPP_GROUP = 1L << 34;
    public static final long HAS_EXPIRE_ONLY = 1L << 35;
    public static final long DIRECT_IO_ALLOW_MMAP = 1L << 36;
    public static final long PASSTHROUGH = 1L << 37;
    public static final long NO_EXPORT_SUPPORT = 1L << 38;
    public static final long HAS_RESEND = 1L << 39;
    public static final long ALLOW_IDMAP = 1L << 40;
    public static final long OVER_IO_URING = 1L << 41;
    public static final long REQUEST_TIMEOUT = 1L << 42;

    // release / getattr / lock / write / read / ioctl / poll / fsync flags
    public static final int RELEASE_FLUSH = 1;
    public static final int RELEASE_FLOCK_UNLOCK = 1 << 1;
    public static final int GETATTR_FH = 1;
    public static final int LK_FLOCK = 1;
    public static final int WRITE_CACHE = 1;
    public static final int WRITE_LOCKOWNER = 1 << 1;
    public static final int WRITE_KILL_SUIDGID = 1 << 2;
    public static final int READ_LOCKOWNER = 1 << 1;
    public static final int IOCTL_COMPAT = 1;
    public static final int IOCTL_UNRESTRICTED = 1 << 1;
    public static final int IOCTL_RETRY = 1 << 2;
    public static final int IOCTL_32BIT = 1 << 3;
    public static final int IOCTL_DIR = 1 << 4;
    public static final int IOCTL_COMPAT_X32 = 1 << 5;
    public static final int IOCTL_MAX_IOV = 256;
    public static final int POLL_SCHEDULE_NOTIFY = 1;
    public static final int FSYNC_FDATASYNC = 1;
    public static final int ATTR_SUBMOUNT = 1;
    public static final int ATTR_DAX = 1 << 1;
    public static final int OPEN_KILL_SUIDGID = 1;
    public static final int SETXATTR_ACL_KILL_SGID = 1;
    public static final int EXPIRE_ONLY = 1;

    // extension types in the area after the request (7.38+)
    /** Extension types 0..31 carry the security context; the value is the number of contexts allowed. */
    public static final int MAX_NR_SECCTX = 31;
    public static final int EXT_GROUPS = 32;

    // fixed sizes and the compat sizes older minors use
    public static final int OUT_HEADER_SIZE = 16;
    public static final int ATTR_SIZE = 88;
    public static final int ENTRY_OUT_SIZE = 128;
    public static final int ATTR_OUT_SIZE = 104;
    public static final int OPEN_OUT_SIZE = 16;
    public static final int STATFS_OUT_SIZE = 80;
    public static final int INIT_OUT_SIZE = 64;
    public static final int STATX_OUT_SIZE = 288;
    public static final int LK_OUT_SIZE = 24;
    public static final int COMPAT_ENTRY_OUT_SIZE = 120;
    public static final int COMPAT_ATTR_OUT_SIZE = 96;
    public static final int COMPAT_MKNOD_IN_SIZE = 8;
    public static final int COMPAT_WRITE_IN_SIZE = 24;
    public static final int COMPAT_STATFS_SIZE = 48;
    public static final int COMPAT_SETXATTR_IN_SIZE = 8;
    public static final int COMPAT_INIT_OUT_SIZE = 8;
    public static final int COMPAT_22_INIT_OUT_SIZE = 24;
    public static final int DIRENT_SIZE = 24;
    public static final int DIRENTPLUS_SIZE = 152;

    // notification codes (the 'error' field of an unsolicited message, unique = 0)
    public static final int NOTIFY_POLL = 1;
    public static final int NOTIFY_INVAL_INODE = 2;
    public static final int NOTIFY_INVAL_ENTRY = 3;
    public static final int NOTIFY_STORE = 4;
    public static final int NOTIFY_RETRIEVE = 5;
    public static final int NOTIFY_DELETE = 6;
    public static final int NOTIFY_RESEND = 7;
    public static final int NOTIFY_INC_EPOCH = 8;
    public static final int NOTIFY_PRUNE = 9;

    /** {@code _IOR(229, 0, uint32_t)}: clone a /dev/fuse fd onto an existing session. */
    public static final long DEV_IOC_CLONE = 0x8004E500L;
}
