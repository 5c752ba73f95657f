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
    /** {@code FATTR_MODE}: the mode is to be set. */
    public static final int FATTR_MODE = 1;
    /** {@code FATTR_UID}: the owner is to be set. */
    public static final int FATTR_UID = 1 << 1;
    /** {@code FATTR_GID}: the group is to be set. */
    public static final int FATTR_GID = 1 << 2;
    /** {@code FATTR_SIZE}: the size is to be set (truncate). */
    public static final int FATTR_SIZE = 1 << 3;
    /** {@code FATTR_ATIME}: the access time is to be set to the given value. */
    public static final int FATTR_ATIME = 1 << 4;
    /** {@code FATTR_MTIME}: the modification time is to be set to the given value. */
    public static final int FATTR_MTIME = 1 << 5;
    /** {@code FATTR_FH}: the request carries a file handle. */
    public static final int FATTR_FH = 1 << 6;
    /** {@code FATTR_ATIME_NOW}: the access time is to be set to now. */
    public static final int FATTR_ATIME_NOW = 1 << 7;
    /** {@code FATTR_MTIME_NOW}: the modification time is to be set to now. */
    public static final int FATTR_MTIME_NOW = 1 << 8;
    /** {@code FATTR_LOCKOWNER}: the request carries a lock owner. */
    public static final int FATTR_LOCKOWNER = 1 << 9;
    /** {@code FATTR_CTIME}: the change time is to be set to the given value. */
    public static final int FATTR_CTIME = 1 << 10;
    /** {@code FATTR_KILL_SUIDGID}: clear the set-user-ID and set-group-ID bits. */
    public static final int FATTR_KILL_SUIDGID = 1 << 11;

    // open reply flags
    /** {@code FOPEN_DIRECT_IO}: bypass the page cache for this open file. */
    public static final int FOPEN_DIRECT_IO = 1;
    /** {@code FOPEN_KEEP_CACHE}: keep cached data from earlier opens. */
    public static final int FOPEN_KEEP_CACHE = 1 << 1;
    /** {@code FOPEN_NONSEEKABLE}: the file is not seekable. */
    public static final int FOPEN_NONSEEKABLE = 1 << 2;
    /** {@code FOPEN_CACHE_DIR}: allow caching this directory's listing. */
    public static final int FOPEN_CACHE_DIR = 1 << 3;
    /** {@code FOPEN_STREAM}: the file is a stream: no file position, reads and writes are not ordered by offset. */
    public static final int FOPEN_STREAM = 1 << 4;
    /** {@code FOPEN_NOFLUSH}: do not send FLUSH on close. */
    public static final int FOPEN_NOFLUSH = 1 << 5;
    /** {@code FOPEN_PARALLEL_DIRECT_WRITES}: direct writes to this file may run in parallel. */
    public static final int FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;
    /** {@code FOPEN_PASSTHROUGH}: reads and writes go straight to a backing file. */
    public static final int FOPEN_PASSTHROUGH = 1 << 7;

    // INIT flags (flags | flags2 << 32)
    /** {@code FUSE_ASYNC_READ}: reads may be sent asynchronously, several at once. */
    public static final long ASYNC_READ = 1L;
    /** {@code FUSE_POSIX_LOCKS}: the filesystem handles POSIX (fcntl) locks. */
    public static final long POSIX_LOCKS = 1L << 1;
    /** {@code FUSE_FILE_OPS}: the kernel sends file handles in requests. */
    public static final long FILE_OPS = 1L << 2;
    /** {@code FUSE_ATOMIC_O_TRUNC}: the filesystem handles O_TRUNC in OPEN. */
    public static final long ATOMIC_O_TRUNC = 1L << 3;
    /** {@code FUSE_EXPORT_SUPPORT}: the filesystem handles lookups of "." and "..", so it can be exported over NFS. */
    public static final long EXPORT_SUPPORT = 1L << 4;
    /** {@code FUSE_BIG_WRITES}: writes larger than 4 KiB are allowed. */
    public static final long BIG_WRITES = 1L << 5;
    /** {@code FUSE_DONT_MASK}: the kernel does not apply the umask to create modes. */
    public static final long DONT_MASK = 1L << 6;
    /** {@code FUSE_SPLICE_WRITE}: the kernel may splice into the device (writes). */
    public static final long SPLICE_WRITE = 1L << 7;
    /** {@code FUSE_SPLICE_MOVE}: the kernel may move pages when splicing. */
    public static final long SPLICE_MOVE = 1L << 8;
    /** {@code FUSE_SPLICE_READ}: the kernel may splice from the device (reads). */
    public static final long SPLICE_READ = 1L << 9;
    /** {@code FUSE_FLOCK_LOCKS}: the filesystem handles BSD flock locks. */
    public static final long FLOCK_LOCKS = 1L << 10;
    /** {@code FUSE_HAS_IOCTL_DIR}: ioctl on directories is supported. */
    public static final long HAS_IOCTL_DIR = 1L << 11;
    /** {@code FUSE_AUTO_INVAL_DATA}: cached data is invalidated when the size or mtime changes. */
    public static final long AUTO_INVAL_DATA = 1L << 12;
    /** {@code FUSE_DO_READDIRPLUS}: READDIRPLUS is used for listings. */
    public static final long DO_READDIRPLUS = 1L << 13;
    /** {@code FUSE_READDIRPLUS_AUTO}: the kernel chooses between READDIR and READDIRPLUS. */
    public static final long READDIRPLUS_AUTO = 1L << 14;
    /** {@code FUSE_ASYNC_DIO}: direct I/O may be submitted asynchronously. */
    public static final long ASYNC_DIO = 1L << 15;
    /** {@code FUSE_WRITEBACK_CACHE}: the kernel caches writes and writes them back later. */
    public static final long WRITEBACK_CACHE = 1L << 16;
    /** {@code FUSE_NO_OPEN_SUPPORT}: OPEN is not needed: the kernel stops sending it after ENOSYS. */
    public static final long NO_OPEN_SUPPORT = 1L << 17;
    /** {@code FUSE_PARALLEL_DIROPS}: lookups and readdirs in one directory may run in parallel. */
    public static final long PARALLEL_DIROPS = 1L << 18;
    /** {@code FUSE_HANDLE_KILLPRIV}: the filesystem clears setuid/setgid bits on write, truncate, chown. */
    public static final long HANDLE_KILLPRIV = 1L << 19;
    /** {@code FUSE_POSIX_ACL}: the kernel enforces POSIX ACLs stored in xattrs. */
    public static final long POSIX_ACL = 1L << 20;
    /** {@code FUSE_ABORT_ERROR}: reads from an aborted connection fail with ECONNABORTED. */
    public static final long ABORT_ERROR = 1L << 21;
    /** {@code FUSE_MAX_PAGES}: init_out.max_pages is valid. */
    public static final long MAX_PAGES = 1L << 22;
    /** {@code FUSE_CACHE_SYMLINKS}: symlink targets are cached. */
    public static final long CACHE_SYMLINKS = 1L << 23;
    /** {@code FUSE_NO_OPENDIR_SUPPORT}: OPENDIR is not needed: the kernel stops sending it after ENOSYS. */
    public static final long NO_OPENDIR_SUPPORT = 1L << 24;
    /** {@code FUSE_EXPLICIT_INVAL_DATA}: cached data is invalidated only on the filesystem's notification. */
    public static final long EXPLICIT_INVAL_DATA = 1L << 25;
    /** {@code FUSE_MAP_ALIGNMENT}: init_out.map_alignment is valid (DAX). */
    public static final long MAP_ALIGNMENT = 1L << 26;
    /** {@code FUSE_SUBMOUNTS}: the filesystem may announce submounts. */
    public static final long SUBMOUNTS = 1L << 27;
    /** {@code FUSE_HANDLE_KILLPRIV_V2}: the same, in its second version (also on chmod). */
    public static final long HANDLE_KILLPRIV_V2 = 1L << 28;
    /** {@code FUSE_SETXATTR_EXT}: setxattr_in has the extended layout with flags. */
    public static final long SETXATTR_EXT = 1L << 29;
    /** {@code FUSE_INIT_EXT}: init_in/init_out carry flags2 (the upper 32 flag bits). */
    public static final long INIT_EXT = 1L << 30;
    /** {@code FUSE_INIT_RESERVED}: reserved by the kernel; never set. */
    public static final long INIT_RESERVED = 1L << 31;
    /** {@code FUSE_SECURITY_CTX}: create requests carry the security context. */
    public static final long SECURITY_CTX = 1L << 32;
    /** {@code FUSE_HAS_INODE_DAX}: DAX may be enabled per inode. */
    public static final long HAS_INODE_DAX = 1L << 33;
    /** {@code FUSE_CREATE_SUPP_GROUP}: create requests carry the caller's supplementary group. */
    public static final long CREATE_SUPP_GROUP = 1L << 34;
    /** {@code FUSE_HAS_EXPIRE_ONLY}: entry notifications may only expire entries. */
    public static final long HAS_EXPIRE_ONLY = 1L << 35;
    /** {@code FUSE_DIRECT_IO_ALLOW_MMAP}: files opened with direct I/O may be mapped shared. */
    public static final long DIRECT_IO_ALLOW_MMAP = 1L << 36;
    /** {@code FUSE_PASSTHROUGH}: open files may be passed through to a backing file. */
    public static final long PASSTHROUGH = 1L << 37;
    /** {@code FUSE_NO_EXPORT_SUPPORT}: the filesystem refuses export (no file handles). */
    public static final long NO_EXPORT_SUPPORT = 1L << 38;
    /** {@code FUSE_HAS_RESEND}: the kernel can resend pending requests (NOTIFY_RESEND). */
    public static final long HAS_RESEND = 1L << 39;
    /** {@code FUSE_ALLOW_IDMAP}: idmapped mounts are allowed. */
    public static final long ALLOW_IDMAP = 1L << 40;
    /** {@code FUSE_OVER_IO_URING}: requests may be served over io_uring. */
    public static final long OVER_IO_URING = 1L << 41;
    /** {@code FUSE_REQUEST_TIMEOUT}: init_out.request_timeout is valid. */
    public static final long REQUEST_TIMEOUT = 1L << 42;

    // release / getattr / lock / write / read / ioctl / poll / fsync flags
    /** {@code FUSE_RELEASE_FLUSH}: RELEASE: flush before releasing. */
    public static final int RELEASE_FLUSH = 1;
    /** {@code FUSE_RELEASE_FLOCK_UNLOCK}: RELEASE: drop the flock locks of this file. */
    public static final int RELEASE_FLOCK_UNLOCK = 1 << 1;
    /** {@code FUSE_GETATTR_FH}: GETATTR: the request carries a file handle. */
    public static final int GETATTR_FH = 1;
    /** {@code FUSE_LK_FLOCK}: lock requests: a BSD flock rather than a POSIX lock. */
    public static final int LK_FLOCK = 1;
    /** {@code FUSE_WRITE_CACHE}: WRITE: a delayed write from the page cache. */
    public static final int WRITE_CACHE = 1;
    /** {@code FUSE_WRITE_LOCKOWNER}: WRITE: the request carries a lock owner. */
    public static final int WRITE_LOCKOWNER = 1 << 1;
    /** {@code FUSE_WRITE_KILL_SUIDGID}: WRITE: clear the set-user-ID and set-group-ID bits. */
    public static final int WRITE_KILL_SUIDGID = 1 << 2;
    /** {@code FUSE_READ_LOCKOWNER}: READ: the request carries a lock owner. */
    public static final int READ_LOCKOWNER = 1 << 1;
    /** {@code FUSE_IOCTL_COMPAT}: IOCTL: a 32-bit compat ioctl. */
    public static final int IOCTL_COMPAT = 1;
    /** {@code FUSE_IOCTL_UNRESTRICTED}: IOCTL: not restricted to the encoded size. */
    public static final int IOCTL_UNRESTRICTED = 1 << 1;
    /** {@code FUSE_IOCTL_RETRY}: IOCTL reply: retry with the given buffers. */
    public static final int IOCTL_RETRY = 1 << 2;
    /** {@code FUSE_IOCTL_32BIT}: IOCTL: from a 32-bit process. */
    public static final int IOCTL_32BIT = 1 << 3;
    /** {@code FUSE_IOCTL_DIR}: IOCTL: on a directory. */
    public static final int IOCTL_DIR = 1 << 4;
    /** {@code FUSE_IOCTL_COMPAT_X32}: IOCTL: from an x32 process. */
    public static final int IOCTL_COMPAT_X32 = 1 << 5;
    /** {@code FUSE_IOCTL_MAX_IOV}: the most buffers an unrestricted ioctl retry may name. */
    public static final int IOCTL_MAX_IOV = 256;
    /** {@code FUSE_POLL_SCHEDULE_NOTIFY}: POLL: the caller waits; notify on change. */
    public static final int POLL_SCHEDULE_NOTIFY = 1;
    /** {@code FUSE_FSYNC_FDATASYNC}: FSYNC: data only (fdatasync). */
    public static final int FSYNC_FDATASYNC = 1;
    /** {@code FUSE_ATTR_SUBMOUNT}: fuse_attr.flags: the entry is a submount root. */
    public static final int ATTR_SUBMOUNT = 1;
    /** {@code FUSE_ATTR_DAX}: fuse_attr.flags: DAX is enabled for this inode. */
    public static final int ATTR_DAX = 1 << 1;
    /** {@code FUSE_OPEN_KILL_SUIDGID}: OPEN/CREATE: clear the set-user-ID and set-group-ID bits on truncation. */
    public static final int OPEN_KILL_SUIDGID = 1;
    /** {@code FUSE_SETXATTR_ACL_KILL_SGID}: SETXATTR: clear the set-group-ID bit when setting an ACL. */
    public static final int SETXATTR_ACL_KILL_SGID = 1;
    /** {@code FUSE_EXPIRE_ONLY}: NOTIFY_INVAL_ENTRY: expire the entry rather than drop it. */
    public static final int EXPIRE_ONLY = 1;

    // extension types in the area after the request (7.38+)
    /** Extension types 0..31 carry the security context; the value is the number of contexts allowed. */
    public static final int MAX_NR_SECCTX = 31;
    /** {@code FUSE_EXT_GROUPS}: extension type: the caller's supplementary groups. */
    public static final int EXT_GROUPS = 32;

    // fixed sizes and the compat sizes older minors use
    /** Bytes of {@code fuse_out_header}. */
    public static final int OUT_HEADER_SIZE = 16;
    /** Bytes of {@code fuse_attr}. */
    public static final int ATTR_SIZE = 88;
    /** Bytes of {@code fuse_entry_out}. */
    public static final int ENTRY_OUT_SIZE = 128;
    /** Bytes of {@code fuse_attr_out}. */
    public static final int ATTR_OUT_SIZE = 104;
    /** Bytes of {@code fuse_open_out}. */
    public static final int OPEN_OUT_SIZE = 16;
    /** Bytes of {@code fuse_statfs_out}. */
    public static final int STATFS_OUT_SIZE = 80;
    /** Bytes of {@code fuse_init_out}. */
    public static final int INIT_OUT_SIZE = 64;
    /** Bytes of {@code fuse_statx_out}. */
    public static final int STATX_OUT_SIZE = 288;
    /** Bytes of {@code fuse_lk_out}. */
    public static final int LK_OUT_SIZE = 24;
    /** Bytes of {@code fuse_entry_out} before minor 9. */
    public static final int COMPAT_ENTRY_OUT_SIZE = 120;
    /** Bytes of {@code fuse_attr_out} before minor 9. */
    public static final int COMPAT_ATTR_OUT_SIZE = 96;
    /** Bytes of {@code fuse_mknod_in} before minor 12. */
    public static final int COMPAT_MKNOD_IN_SIZE = 8;
    /** Bytes of {@code fuse_write_in} before minor 9. */
    public static final int COMPAT_WRITE_IN_SIZE = 24;
    /** Bytes of {@code fuse_statfs_out} before minor 4. */
    public static final int COMPAT_STATFS_SIZE = 48;
    /** Bytes of {@code fuse_setxattr_in} without SETXATTR_EXT. */
    public static final int COMPAT_SETXATTR_IN_SIZE = 8;
    /** Bytes of {@code fuse_init_out} before minor 5. */
    public static final int COMPAT_INIT_OUT_SIZE = 8;
    /** Bytes of {@code fuse_init_out} before minor 23. */
    public static final int COMPAT_22_INIT_OUT_SIZE = 24;
    /** Bytes of {@code fuse_dirent} before the name. */
    public static final int DIRENT_SIZE = 24;
    /** Bytes of {@code fuse_direntplus} before the name. */
    public static final int DIRENTPLUS_SIZE = 152;

    // notification codes (the 'error' field of an unsolicited message, unique = 0)
    /** {@code FUSE_NOTIFY_POLL}: wake up a poll waiter. */
    public static final int NOTIFY_POLL = 1;
    /** {@code FUSE_NOTIFY_INVAL_INODE}: invalidate an inode's attributes and cached data. */
    public static final int NOTIFY_INVAL_INODE = 2;
    /** {@code FUSE_NOTIFY_INVAL_ENTRY}: invalidate a directory entry. */
    public static final int NOTIFY_INVAL_ENTRY = 3;
    /** {@code FUSE_NOTIFY_STORE}: store data in the page cache. */
    public static final int NOTIFY_STORE = 4;
    /** {@code FUSE_NOTIFY_RETRIEVE}: retrieve data from the page cache. */
    public static final int NOTIFY_RETRIEVE = 5;
    /** {@code FUSE_NOTIFY_DELETE}: a directory entry was deleted. */
    public static final int NOTIFY_DELETE = 6;
    /** {@code FUSE_NOTIFY_RESEND}: resend all pending requests. */
    public static final int NOTIFY_RESEND = 7;
    /** {@code FUSE_NOTIFY_INC_EPOCH}: increment the epoch: every cached entry is stale. */
    public static final int NOTIFY_INC_EPOCH = 8;
    /** {@code FUSE_NOTIFY_PRUNE}: prune the given inodes from the kernel's caches. */
    public static final int NOTIFY_PRUNE = 9;

    /** {@code _IOR(229, 0, uint32_t)}: clone a /dev/fuse fd onto an existing session. */
    public static final long DEV_IOC_CLONE = 0x8004E500L;
}
