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

    record Lookup(String name) implements Operation {}

    record Forget(long nlookup) implements Operation {}

    /** BATCH_FORGET: several (node id, count) pairs. */
    record BatchForget(long[] nodeIds, long[] nlookups) implements Operation {}

    /** @param fh valid when {@code (flags & Abi.GETATTR_FH) != 0} */
    record Getattr(int flags, long fh) implements Operation {
        /** The GETATTR of a path, not through an open file (flags and fh 0): the common case, decoded once. */
        public static final Getattr OF_PATH = new Getattr(0, 0);
    }

    /** {@code fuse_setattr_in}; {@code valid} holds the {@code FATTR_*} bits of the fields present. */
    record Setattr(int valid, long fh, long size, long lockOwner, long atime, long mtime, long ctime,
                   int atimeNsec, int mtimeNsec, int ctimeNsec, int mode, int uid, int gid) implements Operation {}

    record Readlink() implements Operation {}

    record Symlink(String name, String target) implements Operation {}

    record Mknod(int mode, int rdev, int umask, String name) implements Operation {}

    record Mkdir(int mode, int umask, String name) implements Operation {}

    record Unlink(String name) implements Operation {}

    record Rmdir(String name) implements Operation {}

    /** RENAME and RENAME2 ({@code flags} is 0 for RENAME). */
    record Rename(long newDir, int flags, String oldName, String newName) implements Operation {}

    record Link(long oldNodeId, String newName) implements Operation {}

    record Open(int flags, int openFlags) implements Operation {}

    record Opendir(int flags, int openFlags) implements Operation {}

    record Read(long fh, long offset, int size, int readFlags, long lockOwner, int flags) implements Operation {}

    record Readdir(long fh, long offset, int size, boolean plus) implements Operation {}

    /** @param data the bytes to write: a view valid until the request is answered */
    record Write(long fh, long offset, int size, int writeFlags, long lockOwner, int flags, ByteBuffer data)
            implements Operation {}

    record Statfs() implements Operation {}

    record Release(long fh, int flags, int releaseFlags, long lockOwner) implements Operation {}

    record Releasedir(long fh, int flags, int releaseFlags, long lockOwner) implements Operation {}

    record Fsync(long fh, int fsyncFlags) implements Operation {}

    record Fsyncdir(long fh, int fsyncFlags) implements Operation {}

    /** @param setxattrFlags only with the {@code SETXATTR_EXT} capability, else 0 */
    record Setxattr(String name, byte[] value, int flags, int setxattrFlags) implements Operation {}

    /** @param size buffer size of the caller; 0 asks only for the value's size */
    record Getxattr(String name, int size) implements Operation {}

    record Listxattr(int size) implements Operation {}

    record Removexattr(String name) implements Operation {}

    record Flush(long fh, long lockOwner) implements Operation {}

    /** @param flags {@code flags | flags2 << 32} (flags2 only when {@code INIT_EXT} is set) */
    record Init(int major, int minor, int maxReadahead, long flags) implements Operation {}

    /** GETLK, SETLK and SETLKW; {@code sleep} is true for SETLKW. */
    record Lk(long fh, long owner, long start, long end, int type, int pid, int lkFlags, boolean sleep)
            implements Operation {}

    record Access(int mask) implements Operation {}

    record Create(int flags, int mode, int umask, int openFlags, String name) implements Operation {}

    record Tmpfile(int flags, int mode, int umask, int openFlags) implements Operation {}

    record Interrupt(long unique) implements Operation {}

    record Bmap(long block, int blocksize) implements Operation {}

    record Destroy() implements Operation {}

    record Ioctl(long fh, int flags, int cmd, long arg, int inSize, int outSize, byte[] in) implements Operation {}

    record Poll(long fh, long kh, int flags, int events) implements Operation {}

    /** The kernel's answer to a FUSE_NOTIFY_RETRIEVE: data of node {@code header.nodeId} from {@code offset}. */
    record NotifyReply(long offset, int size, ByteBuffer data) implements Operation {}

    record Fallocate(long fh, long offset, long length, int mode) implements Operation {}

    record Lseek(long fh, long offset, int whence) implements Operation {}

    /** COPY_FILE_RANGE and COPY_FILE_RANGE_64 ({@code wide}: the reply is a 64-bit count). */
    record CopyFileRange(long fhIn, long offIn, long nodeIdOut, long fhOut, long offOut, long len, long flags,
                         boolean wide) implements Operation {}

    record SetupMapping(long fh, long foffset, long len, long flags, long moffset) implements Operation {}

    record RemoveMapping(long[] moffsets, long[] lens) implements Operation {}

    record Syncfs() implements Operation {}

    record Statx(int getattrFlags, long fh, int sxFlags, int sxMask) implements Operation {}

    /** An opcode this protocol version does not define; answered ENOSYS. */
    record Unknown(int opcode) implements Operation {}
}
