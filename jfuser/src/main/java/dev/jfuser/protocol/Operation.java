package dev.jfuser.protocol;

import java.nio.ByteBuffer;

/**
 * The decoded arguments of one request: one record per opcode family, fields named after the kernel's
 * {@code *_in} structs. Strings are the NUL-terminated names that follow the struct, decoded as UTF-8.
 *
 * <p>Records that carry payload ({@link Write}, {@link NotifyReply}) hold a {@link ByteBuffer} view into the
 * request buffer: valid only until the request is answered.
 */
public sealed interface Operation {

    /**
     * LOOKUP: the name to look up in the parent ({@code header.nodeId}).
     *
     * @param name the entry name
     */
    record Lookup(String name) implements Operation {}

    /**
     * FORGET: drop {@code nlookup} lookups of {@code header.nodeId}; never answered.
     *
     * @param nlookup the number of lookups to drop
     */
    record Forget(long nlookup) implements Operation {}

    /**
     * BATCH_FORGET: several (node id, count) pairs.
     *
     * @param nodeIds the node ids
     * @param nlookups the lookup counts to drop, one per node id
     */
    record BatchForget(long[] nodeIds, long[] nlookups) implements Operation {}

    /**
     * The GETATTR request.
     *
     * @param flags {@link Abi#GETATTR_FH} or 0
     * @param fh valid when {@code (flags & Abi.GETATTR_FH) != 0}
     */
    record Getattr(int flags, long fh) implements Operation {
        /** The GETATTR of a path, not through an open file (flags and fh 0): the common case, decoded once. */
        public static final Getattr OF_PATH = new Getattr(0, 0);
    }

    /**
     * {@code fuse_setattr_in}; {@code valid} holds the {@code FATTR_*} bits of the fields present.
     *
     * @param valid the {@code FATTR_*} bits of the fields present
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param size the new size
     * @param lockOwner the lock owner (valid when the matching LOCKOWNER flag is set)
     * @param atime the access time, seconds
     * @param mtime the modification time, seconds
     * @param ctime the change time, seconds
     * @param atimeNsec nanoseconds of {@code atime}
     * @param mtimeNsec nanoseconds of {@code mtime}
     * @param ctimeNsec nanoseconds of {@code ctime}
     * @param mode the new mode
     * @param uid the new owner
     * @param gid the new group
     */
    record Setattr(int valid, long fh, long size, long lockOwner, long atime, long mtime, long ctime,
                   int atimeNsec, int mtimeNsec, int ctimeNsec, int mode, int uid, int gid) implements Operation {}

    /** READLINK of {@code header.nodeId}. */
    record Readlink() implements Operation {}

    /**
     * SYMLINK: create {@code name} pointing to {@code target}.
     *
     * @param name the entry name
     * @param target the link's target
     */
    record Symlink(String name, String target) implements Operation {}

    /**
     * MKNOD ({@code fuse_mknod_in}): a device, FIFO, socket or regular file.
     *
     * @param mode the file type and permission bits
     * @param rdev the device number of a device node
     * @param umask the caller's umask (applied by the filesystem unless DONT_MASK)
     * @param name the entry name
     */
    record Mknod(int mode, int rdev, int umask, String name) implements Operation {}

    /**
     * MKDIR ({@code fuse_mkdir_in}).
     *
     * @param mode the file type and permission bits
     * @param umask the caller's umask (applied by the filesystem unless DONT_MASK)
     * @param name the entry name
     */
    record Mkdir(int mode, int umask, String name) implements Operation {}

    /**
     * UNLINK of {@code name} in {@code header.nodeId}.
     *
     * @param name the entry name
     */
    record Unlink(String name) implements Operation {}

    /**
     * RMDIR of {@code name} in {@code header.nodeId}.
     *
     * @param name the entry name
     */
    record Rmdir(String name) implements Operation {}

    /**
     * RENAME and RENAME2 ({@code flags} is 0 for RENAME).
     *
     * @param newDir the destination directory
     * @param flags {@code RENAME_NOREPLACE}, {@code RENAME_EXCHANGE}, {@code RENAME_WHITEOUT}, or 0
     * @param oldName the current name (in {@code header.nodeId})
     * @param newName the new name
     */
    record Rename(long newDir, int flags, String oldName, String newName) implements Operation {}

    /**
     * LINK: a new name in {@code header.nodeId} for {@code oldNodeId}.
     *
     * @param oldNodeId the node to link to
     * @param newName the new name
     */
    record Link(long oldNodeId, String newName) implements Operation {}

    /**
     * OPEN ({@code fuse_open_in}): {@code flags} are open(2)'s.
     *
     * @param flags the open(2) flags of the file, or the operation's flags
     * @param openFlags {@code FUSE_OPEN_*} flags
     */
    record Open(int flags, int openFlags) implements Operation {}

    /**
     * OPENDIR ({@code fuse_open_in}).
     *
     * @param flags the open(2) flags of the file, or the operation's flags
     * @param openFlags {@code FUSE_OPEN_*} flags
     */
    record Opendir(int flags, int openFlags) implements Operation {}

    /**
     * READ ({@code fuse_read_in}).
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param offset the file offset
     * @param size the byte count asked for
     * @param readFlags {@code FUSE_READ_*} flags
     * @param lockOwner the lock owner (valid when the matching LOCKOWNER flag is set)
     * @param flags the open(2) flags of the file, or the operation's flags
     */
    record Read(long fh, long offset, int size, int readFlags, long lockOwner, int flags) implements Operation {}

    /**
     * READDIR, or READDIRPLUS when {@code plus}.
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param offset the file offset
     * @param size the most bytes of entries to return
     * @param plus READDIRPLUS rather than READDIR
     */
    record Readdir(long fh, long offset, int size, boolean plus) implements Operation {}

    /**
     * The WRITE request.
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param offset the file offset
     * @param size the byte count
     * @param writeFlags {@code FUSE_WRITE_*} flags
     * @param lockOwner the lock owner (valid when the matching LOCKOWNER flag is set)
     * @param flags the open(2) flags of the file, or the operation's flags
     * @param data the bytes to write: a view valid until the request is answered
     */
    record Write(long fh, long offset, int size, int writeFlags, long lockOwner, int flags, ByteBuffer data)
            implements Operation {}

    /** STATFS of the filesystem. */
    record Statfs() implements Operation {}

    /**
     * RELEASE ({@code fuse_release_in}): the last close of an open file.
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param flags the open(2) flags of the file
     * @param releaseFlags {@code FUSE_RELEASE_*} flags
     * @param lockOwner the lock owner (valid when the matching LOCKOWNER flag is set)
     */
    record Release(long fh, int flags, int releaseFlags, long lockOwner) implements Operation {}

    /**
     * RELEASEDIR ({@code fuse_release_in}).
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param flags the open(2) flags of the file, or the operation's flags
     * @param releaseFlags {@code FUSE_RELEASE_*} flags
     * @param lockOwner the lock owner (valid when the matching LOCKOWNER flag is set)
     */
    record Releasedir(long fh, int flags, int releaseFlags, long lockOwner) implements Operation {}

    /**
     * FSYNC ({@code fuse_fsync_in}).
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param fsyncFlags {@link Abi#FSYNC_FDATASYNC} or 0
     */
    record Fsync(long fh, int fsyncFlags) implements Operation {}

    /**
     * FSYNCDIR ({@code fuse_fsync_in}).
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param fsyncFlags {@link Abi#FSYNC_FDATASYNC} or 0
     */
    record Fsyncdir(long fh, int fsyncFlags) implements Operation {}

    /**
     * The SETXATTR request.
     *
     * @param name the entry name
     * @param value the attribute value
     * @param flags {@code XATTR_CREATE}, {@code XATTR_REPLACE} or 0
     * @param setxattrFlags only with the {@code SETXATTR_EXT} capability, else 0
     */
    record Setxattr(String name, byte[] value, int flags, int setxattrFlags) implements Operation {}

    /**
     * The GETXATTR request.
     *
     * @param name the entry name
     * @param size buffer size of the caller; 0 asks only for the value's size
     */
    record Getxattr(String name, int size) implements Operation {}

    /**
     * LISTXATTR; {@code size} 0 asks only for the list's size.
     *
     * @param size the caller's buffer size; 0 asks only for the list's size
     */
    record Listxattr(int size) implements Operation {}

    /**
     * REMOVEXATTR of {@code name}.
     *
     * @param name the entry name
     */
    record Removexattr(String name) implements Operation {}

    /**
     * FLUSH ({@code fuse_flush_in}): a close(2) of one descriptor.
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param lockOwner the lock owner (valid when the matching LOCKOWNER flag is set)
     */
    record Flush(long fh, long lockOwner) implements Operation {}

    /**
     * The INIT request.
     *
     * @param major the kernel's protocol major version
     * @param minor the kernel's protocol minor version
     * @param maxReadahead the kernel's readahead limit in bytes
     * @param flags {@code flags | flags2 << 32} (flags2 only when {@code INIT_EXT} is set)
     */
    record Init(int major, int minor, int maxReadahead, long flags) implements Operation {}

    /**
     * GETLK, SETLK and SETLKW; {@code sleep} is true for SETLKW.
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param owner the lock owner
     * @param start the first byte of the range
     * @param end the last byte of the range (inclusive)
     * @param type {@code F_RDLCK}, {@code F_WRLCK} or {@code F_UNLCK}
     * @param pid the process holding the lock (GETLK answers)
     * @param lkFlags {@link Abi#LK_FLOCK} for a flock lock, or 0
     * @param sleep whether to wait for a conflicting lock (SETLKW)
     */
    record Lk(long fh, long owner, long start, long end, int type, int pid, int lkFlags, boolean sleep)
            implements Operation {}

    /**
     * ACCESS: {@code mask} of R_OK, W_OK, X_OK or F_OK.
     *
     * @param mask the access mask
     */
    record Access(int mask) implements Operation {}

    /**
     * CREATE ({@code fuse_create_in}): create and open {@code name}.
     *
     * @param flags the open(2) flags of the file, or the operation's flags
     * @param mode the file type and permission bits
     * @param umask the caller's umask (applied by the filesystem unless DONT_MASK)
     * @param openFlags {@code FUSE_OPEN_*} flags
     * @param name the entry name
     */
    record Create(int flags, int mode, int umask, int openFlags, String name) implements Operation {}

    /**
     * TMPFILE: an unnamed file in {@code header.nodeId}.
     *
     * @param flags the open(2) flags of the file, or the operation's flags
     * @param mode the file type and permission bits
     * @param umask the caller's umask (applied by the filesystem unless DONT_MASK)
     * @param openFlags {@code FUSE_OPEN_*} flags
     */
    record Tmpfile(int flags, int mode, int umask, int openFlags) implements Operation {}

    /**
     * INTERRUPT of the request {@code unique}.
     *
     * @param unique the unique id of the interrupted request
     */
    record Interrupt(long unique) implements Operation {}

    /**
     * BMAP ({@code fuse_bmap_in}).
     *
     * @param block the block number in the file
     * @param blocksize the block size
     */
    record Bmap(long block, int blocksize) implements Operation {}

    /** DESTROY: the filesystem is being unmounted. */
    record Destroy() implements Operation {}

    /**
     * IOCTL ({@code fuse_ioctl_in}) with the {@code in} bytes.
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param flags {@code FUSE_IOCTL_*} flags
     * @param cmd the ioctl command
     * @param arg the ioctl argument (a user-space pointer or value)
     * @param inSize the bytes passed in
     * @param outSize the most bytes the caller takes back
     * @param in the input bytes
     */
    record Ioctl(long fh, int flags, int cmd, long arg, int inSize, int outSize, byte[] in) implements Operation {}

    /**
     * POLL ({@code fuse_poll_in}).
     *
     * @param fh the file handle
     * @param kh the poll handle for a later NOTIFY_POLL
     * @param flags {@link Abi#POLL_SCHEDULE_NOTIFY} or 0
     * @param events the poll(2) events asked for
     */
    record Poll(long fh, long kh, int flags, int events) implements Operation {}

    /**
     * The kernel's answer to a FUSE_NOTIFY_RETRIEVE: data of node {@code header.nodeId} from {@code offset}.
     *
     * @param offset the file offset of the data
     * @param size the byte count
     * @param data the bytes: a view valid until the request is answered
     */
    record NotifyReply(long offset, int size, ByteBuffer data) implements Operation {}

    /**
     * FALLOCATE ({@code fuse_fallocate_in}).
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param offset the start of the range
     * @param length the length of the range
     * @param mode the fallocate(2) mode
     */
    record Fallocate(long fh, long offset, long length, int mode) implements Operation {}

    /**
     * LSEEK ({@code fuse_lseek_in}): SEEK_DATA or SEEK_HOLE.
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param offset the file offset
     * @param whence {@code SEEK_DATA} (3) or {@code SEEK_HOLE} (4)
     */
    record Lseek(long fh, long offset, int whence) implements Operation {}

    /**
     * COPY_FILE_RANGE and COPY_FILE_RANGE_64 ({@code wide}: the reply is a 64-bit count).
     *
     * @param fhIn the source file handle
     * @param offIn the source offset
     * @param nodeIdOut the destination node
     * @param fhOut the destination file handle
     * @param offOut the destination offset
     * @param len the byte count
     * @param flags copy_file_range(2) flags (0)
     * @param wide COPY_FILE_RANGE_64 (a 64-bit count in the reply)
     */
    record CopyFileRange(long fhIn, long offIn, long nodeIdOut, long fhOut, long offOut, long len, long flags,
                         boolean wide) implements Operation {}

    /**
     * SETUPMAPPING (DAX).
     *
     * @param fh the file handle from OPEN, OPENDIR or CREATE
     * @param foffset the file offset of the mapping
     * @param len the length of the mapping
     * @param flags the mapping flags (read, write)
     * @param moffset the offset in the DAX window
     */
    record SetupMapping(long fh, long foffset, long len, long flags, long moffset) implements Operation {}

    /**
     * REMOVEMAPPING (DAX).
     *
     * @param moffsets the mapping offsets
     * @param lens the lengths, one per offset
     */
    record RemoveMapping(long[] moffsets, long[] lens) implements Operation {}

    /** SYNCFS of the filesystem. */
    record Syncfs() implements Operation {}

    /**
     * STATX ({@code fuse_statx_in}).
     *
     * @param getattrFlags {@code FUSE_GETATTR_*} flags
     * @param fh valid when {@code getattrFlags} has {@link Abi#GETATTR_FH}
     * @param sxFlags the {@code AT_STATX_*} sync flags
     * @param sxMask the {@code STATX_*} fields asked for
     */
    record Statx(int getattrFlags, long fh, int sxFlags, int sxMask) implements Operation {}

    /**
     * An opcode this protocol version does not define; answered ENOSYS.
     *
     * @param opcode the opcode number
     */
    record Unknown(int opcode) implements Operation {}
}
