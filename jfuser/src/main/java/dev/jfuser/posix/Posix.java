package dev.jfuser.posix;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.OpenFlags;
import dev.jfuser.internal.sys.AtCalls;
import dev.jfuser.internal.sys.NativeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A small set of Linux file calls for filesystems that mirror another directory: the {@code *at()} family on
 * directory descriptors, file I/O on descriptors, extended attributes and directory listings. Names are raw bytes,
 * as Linux stores them; every failure is a {@link FuseException} carrying the call's errno, so a filesystem can let
 * it through as its answer.
 *
 * <p>Resolving every name relative to a directory descriptor with {@link #O_NOFOLLOW}/{@link #AT_SYMLINK_NOFOLLOW}
 * keeps a mirror confined to its source: no symlink is followed and no path is walked from a root. Descriptors of
 * {@code O_PATH} handles take the calls that need a real open file through {@link Fd#procPath()}, as
 * {@link #reopen}, {@link #link} and the xattr calls do.
 */
public final class Posix {
    private Posix() {}

    /**
     * open flags, the same values as {@link OpenFlags} (which documents them): {@code O_DIRECTORY},
     * {@code O_NOFOLLOW} and {@code O_TMPFILE} depend on the architecture, so they are not compile-time constants.
     */
    public static final int O_RDONLY = OpenFlags.O_RDONLY, O_WRONLY = OpenFlags.O_WRONLY, O_RDWR = OpenFlags.O_RDWR,
            O_ACCMODE = OpenFlags.O_ACCMODE, O_CREAT = OpenFlags.O_CREAT, O_EXCL = OpenFlags.O_EXCL,
            O_NOCTTY = OpenFlags.O_NOCTTY, O_TRUNC = OpenFlags.O_TRUNC, O_APPEND = OpenFlags.O_APPEND,
            O_NONBLOCK = OpenFlags.O_NONBLOCK, O_DIRECTORY = OpenFlags.O_DIRECTORY,
            O_NOFOLLOW = OpenFlags.O_NOFOLLOW, O_CLOEXEC = OpenFlags.O_CLOEXEC, O_PATH = OpenFlags.O_PATH,
            O_TMPFILE = OpenFlags.O_TMPFILE;
    /** The current directory, for the {@code dir} argument of the *at calls. */
    public static final int AT_FDCWD = -100;
    /** *at flags. */
    public static final int AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400,
            AT_EMPTY_PATH = 0x1000;
    /** utimensat's special nanosecond values. */
    public static final long UTIME_NOW = (1L << 30) - 1, UTIME_OMIT = (1L << 30) - 2;
    /** lseek whence values. */
    public static final int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;

    private static final byte[] EMPTY = new byte[0];

    private static FuseException fail(NativeException e) {
        return new FuseException(Errno.of(e.errno()), e.getMessage(), e);
    }

    /**
     * Opens {@code path} (absolute or relative to the working directory) with {@code flags}.
     *
     * @param path the file to open
     * @param flags {@code O_*} flags of this class, e.g. {@code O_RDONLY | O_DIRECTORY}
     * @return the open descriptor; close it when done
     * @throws FuseException with the call's errno if it fails
     */
    public static Fd open(Path path, int flags) throws FuseException {
        try {
            return new Fd(AtCalls.openat(AT_FDCWD, path.toString().getBytes(StandardCharsets.UTF_8),
                    flags | O_CLOEXEC, 0));
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code openat(2)}: opens {@code name} in directory {@code dir}; O_CLOEXEC is always added.
     *
     * @param dir a descriptor of the directory the name is resolved in ({@link #AT_FDCWD} for the working directory)
     * @param name the entry's name in {@code dir}, raw bytes without '/'
     * @param flags {@code O_*} flags of this class; {@code O_NOFOLLOW} keeps a final symlink from being followed
     * @param mode the permission bits of a file {@code O_CREAT} or {@code O_TMPFILE} makes, else ignored
     * @return the open descriptor; close it when done
     * @throws FuseException with the call's errno if it fails
     */
    public static Fd openat(Fd dir, byte[] name, int flags, int mode) throws FuseException {
        try {
            return new Fd(AtCalls.openat(dir.intValue(), name, flags | O_CLOEXEC, mode));
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * Opens the file an {@code O_PATH} handle refers to, for I/O, with {@code flags} (O_CREAT, O_EXCL and
     * O_NOFOLLOW are dropped): through {@code /proc/self/fd}, which reaches the very inode, never a path.
     *
     * @param file the {@code O_PATH} handle
     * @param flags {@code O_*} flags for the new open, e.g. {@code O_RDWR | O_APPEND}
     * @return a new descriptor of the same inode; close it when done
     * @throws FuseException with the call's errno if it fails
     */
    public static Fd reopen(Fd file, int flags) throws FuseException {
        try {
            return new Fd(AtCalls.openat(AT_FDCWD, file.procPath(),
                    (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC, 0));
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code statx(2)} of {@code name} in {@code dir}, not following a final symlink.
     *
     * @param dir a descriptor of the directory the name is resolved in ({@link #AT_FDCWD} for the working directory)
     * @param name the entry's name in {@code dir}, raw bytes without '/'
     * @return the entry's status, of the symlink itself if it is one
     * @throws FuseException with the call's errno if it fails
     */
    public static Stat stat(Fd dir, byte[] name) throws FuseException {
        try {
            return AtCalls.statx(dir.intValue(), name, AT_SYMLINK_NOFOLLOW | (name.length == 0 ? AT_EMPTY_PATH : 0));
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code statx(2)} of the file {@code file} refers to (also an {@code O_PATH} handle).
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @return the file's status
     * @throws FuseException with the call's errno if it fails
     */
    public static Stat stat(Fd file) throws FuseException {
        return stat(file, EMPTY);
    }

    /**
     * {@code mkdirat(2)}.
     *
     * @param dir a descriptor of the directory the name is resolved in ({@link #AT_FDCWD} for the working directory)
     * @param name the new directory's name in {@code dir}
     * @param mode its permission bits (the process umask applies)
     * @throws FuseException with the call's errno if it fails
     */
    public static void mkdirat(Fd dir, byte[] name, int mode) throws FuseException {
        try {
            AtCalls.mkdirat(dir.intValue(), name, mode);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code mknodat(2)} of a device file, FIFO or socket; {@code rdev} in the kernel's 32-bit encoding.
     *
     * @param dir a descriptor of the directory the name is resolved in ({@link #AT_FDCWD} for the working directory)
     * @param name the new node's name in {@code dir}
     * @param mode its full {@code st_mode}: type ({@code S_IFCHR}, {@code S_IFIFO}, …) and permission bits
     * @param rdev the device number of a device node, else 0
     * @throws FuseException with the call's errno if it fails
     */
    public static void mknodat(Fd dir, byte[] name, int mode, int rdev) throws FuseException {
        long major = (rdev & 0xfff00L) >>> 8;
        long minor = (rdev & 0xffL) | ((rdev >>> 12) & 0xfff00L);
        long dev = ((major & 0xfffL) << 8) | (minor & 0xffL) | ((major & ~0xfffL) << 32) | ((minor & ~0xffL) << 12);
        try {
            AtCalls.mknodat(dir.intValue(), name, mode, dev);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code symlinkat(2)}: {@code name} in {@code dir} becomes a symlink holding {@code target} verbatim.
     *
     * @param target the link's content, stored as given
     * @param dir a descriptor of the directory the name is resolved in ({@link #AT_FDCWD} for the working directory)
     * @param name the link's name in {@code dir}
     * @throws FuseException with the call's errno if it fails
     */
    public static void symlinkat(byte[] target, Fd dir, byte[] name) throws FuseException {
        try {
            AtCalls.symlinkat(target, dir.intValue(), name);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code readlinkat(2)} of the symlink an {@code O_PATH | O_NOFOLLOW} handle refers to: its target as stored.
     *
     * @param symlink an {@code O_PATH | O_NOFOLLOW} handle of the symlink
     * @return the target's bytes
     * @throws FuseException with the call's errno if it fails
     */
    public static byte[] readlink(Fd symlink) throws FuseException {
        try {
            return AtCalls.readlinkat(symlink.intValue(), EMPTY);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code unlinkat(2)}; {@link #AT_REMOVEDIR} removes a directory.
     *
     * @param dir a descriptor of the directory the name is resolved in ({@link #AT_FDCWD} for the working directory)
     * @param name the name to remove from {@code dir}
     * @param flags 0 for a file, {@link #AT_REMOVEDIR} for an empty directory
     * @throws FuseException with the call's errno if it fails
     */
    public static void unlinkat(Fd dir, byte[] name, int flags) throws FuseException {
        try {
            AtCalls.unlinkat(dir.intValue(), name, flags);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code renameat2(2)} with RENAME_NOREPLACE (1), RENAME_EXCHANGE (2), RENAME_WHITEOUT (4) flags.
     *
     * @param oldDir the directory the entry is in
     * @param oldName its name there
     * @param newDir the directory it moves to
     * @param newName its name there
     * @param flags 0 or {@code RENAME_*} bits
     * @throws FuseException with the call's errno if it fails
     */
    public static void renameat2(Fd oldDir, byte[] oldName, Fd newDir, byte[] newName, int flags)
            throws FuseException {
        try {
            AtCalls.renameat2(oldDir.intValue(), oldName, newDir.intValue(), newName, flags);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code linkat(2)}: a new name {@code newName} in {@code newDir} for the file {@code file} refers to.
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @param newDir the directory the new name goes in
     * @param newName the new name
     * @throws FuseException with the call's errno if it fails
     */
    public static void link(Fd file, Fd newDir, byte[] newName) throws FuseException {
        try {
            AtCalls.linkat(AT_FDCWD, file.procPath(), newDir.intValue(), newName, AT_SYMLINK_FOLLOW);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * Changes the permission bits of the file {@code file} refers to (not of a symlink: EOPNOTSUPP).
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @param mode the new permission bits (07777)
     * @throws FuseException with the call's errno if it fails
     */
    public static void chmod(Fd file, int mode) throws FuseException {
        try {
            AtCalls.fchmodat(AT_FDCWD, file.procPath(), mode, 0);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code fchownat(2)} of the file {@code file} refers to, symlinks included; -1 keeps an id.
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @param uid the new owner, or -1 to keep it
     * @param gid the new group, or -1 to keep it
     * @throws FuseException with the call's errno if it fails
     */
    public static void chown(Fd file, int uid, int gid) throws FuseException {
        try {
            AtCalls.fchownat(file.intValue(), EMPTY, uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code utimensat(2)} of the file {@code file} refers to, symlinks included; nanoseconds may be
     * {@link #UTIME_NOW} or {@link #UTIME_OMIT}.
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @param atimeSec the new access time, seconds since the epoch
     * @param atimeNsec its nanoseconds, or {@link #UTIME_NOW} / {@link #UTIME_OMIT}
     * @param mtimeSec the new modification time, seconds since the epoch
     * @param mtimeNsec its nanoseconds, or {@link #UTIME_NOW} / {@link #UTIME_OMIT}
     * @throws FuseException with the call's errno if it fails
     */
    public static void utimens(Fd file, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
            throws FuseException {
        try {
            AtCalls.utimensat(file.intValue(), EMPTY, atimeSec, atimeNsec, mtimeSec, mtimeNsec,
                    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code ftruncate(2)} of an open file.
     *
     * @param file an open descriptor of the file, opened for writing
     * @param size the new length in bytes
     * @throws FuseException with the call's errno if it fails
     */
    public static void truncate(Fd file, long size) throws FuseException {
        try {
            AtCalls.ftruncate(file.intValue(), size);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code pread(2)}: up to {@code size} bytes at {@code offset}, fewer at the end of the file.
     *
     * @param file an open descriptor of the file, opened for I/O
     * @param size the most bytes to read
     * @param offset where reading starts
     * @return the bytes read; shorter than {@code size} only at the end of the file
     * @throws FuseException with the call's errno if it fails
     */
    public static byte[] pread(Fd file, int size, long offset) throws FuseException {
        try {
            return AtCalls.pread(file.intValue(), size, offset);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code pwrite(2)} of {@code data}'s remaining bytes at {@code offset}; returns the count.
     *
     * @param file an open descriptor of the file, opened for I/O
     * @param data the bytes to write, from position to limit (the position is not moved)
     * @param offset where writing starts
     * @return the number of bytes written
     * @throws FuseException with the call's errno if it fails
     */
    public static int pwrite(Fd file, ByteBuffer data, long offset) throws FuseException {
        try {
            return AtCalls.pwrite(file.intValue(), data, offset);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code fsync(2)}, or {@code fdatasync(2)} when {@code dataOnly}.
     *
     * @param file an open descriptor of the file, opened for I/O
     * @param dataOnly {@code true} for {@code fdatasync(2)}
     * @throws FuseException with the call's errno if it fails
     */
    public static void fsync(Fd file, boolean dataOnly) throws FuseException {
        try {
            AtCalls.fsync(file.intValue(), dataOnly);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code syncfs(2)} of the filesystem holding {@code file}.
     *
     * @param file any open descriptor on that filesystem
     * @throws FuseException with the call's errno if it fails
     */
    public static void syncfs(Fd file) throws FuseException {
        try {
            AtCalls.syncfs(file.intValue());
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code fallocate(2)}.
     *
     * @param file an open descriptor of the file, opened for writing
     * @param mode 0 or {@code FALLOC_FL_*} bits, as {@link dev.jfuser.Filesystem#fallocate} receives them
     * @param offset the start of the range
     * @param length the range's length
     * @throws FuseException with the call's errno if it fails
     */
    public static void fallocate(Fd file, int mode, long offset, long length) throws FuseException {
        try {
            AtCalls.fallocate(file.intValue(), mode, offset, length);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code lseek(2)}, e.g. with {@link #SEEK_DATA} or {@link #SEEK_HOLE}.
     *
     * @param file an open descriptor of the file, opened for I/O
     * @param offset the offset, interpreted by {@code whence}
     * @param whence one of the {@code SEEK_*} values of this class
     * @return the resulting offset
     * @throws FuseException with the call's errno if it fails
     */
    public static long lseek(Fd file, long offset, int whence) throws FuseException {
        try {
            return AtCalls.lseek(file.intValue(), offset, whence);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code copy_file_range(2)} between explicit offsets; returns the bytes copied.
     *
     * @param in the source, open for reading
     * @param offIn where reading starts in it
     * @param out the destination, open for writing
     * @param offOut where writing starts in it
     * @param length the most bytes to copy
     * @param flags 0 (no flags are defined)
     * @return the bytes copied; 0 at the source's end
     * @throws FuseException with the call's errno if it fails
     */
    public static long copyFileRange(Fd in, long offIn, Fd out, long offOut, long length, int flags)
            throws FuseException {
        try {
            return AtCalls.copyFileRange(in.intValue(), offIn, out.intValue(), offOut, length, flags);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * {@code flock(2)}: LOCK_SH 1, LOCK_EX 2, LOCK_NB 4, LOCK_UN 8.
     *
     * @param file an open descriptor of the file, opened for I/O
     * @param operation {@code LOCK_SH}, {@code LOCK_EX} or {@code LOCK_UN}, optionally with {@code LOCK_NB}
     * @throws FuseException with the call's errno if it fails
     */
    public static void flock(Fd file, int operation) throws FuseException {
        try {
            AtCalls.flock(file.intValue(), operation);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * Takes, changes or releases an open-file-description lock ({@code fcntl(2)} {@code F_OFD_SETLK}) on a byte
     * range, without waiting. The lock belongs to the open file description of {@code file}: locks taken through
     * other open file descriptions, also of this process, and classic POSIX locks of other processes conflict with
     * it; locks through the same description merge and split as one owner's POSIX locks do. It goes when the last
     * descriptor of that description is closed.
     *
     * @param file an open descriptor of the file: open for reading for a read lock, for writing for a write lock
     * @param type {@link dev.jfuser.FileLock#F_RDLCK}, {@link dev.jfuser.FileLock#F_WRLCK} or
     *     {@link dev.jfuser.FileLock#F_UNLCK}
     * @param start the first byte of the range
     * @param end the last byte of the range, inclusive; {@link Long#MAX_VALUE} for "to the end of the file"
     * @return {@code true} if done, {@code false} if a conflicting lock is held (EAGAIN)
     * @throws FuseException with the call's errno for any other failure
     */
    public static boolean ofdSetLock(Fd file, int type, long start, long end) throws FuseException {
        try {
            AtCalls.fcntlLock(file.intValue(), AtCalls.F_OFD_SETLK, type, start, length(start, end));
            return true;
        } catch (NativeException e) {
            if (e.errno() == Errno.EAGAIN.code() || e.errno() == Errno.EACCES.code()) {
                return false;
            }
            throw fail(e);
        }
    }

    /**
     * Tests for a lock conflicting with the one described ({@code fcntl(2)} {@code F_OFD_GETLK}): locks of
     * {@code file}'s own open file description never conflict.
     *
     * @param file an open descriptor of the file
     * @param type {@link dev.jfuser.FileLock#F_RDLCK} or {@link dev.jfuser.FileLock#F_WRLCK}
     * @param start the first byte of the range
     * @param end the last byte of the range, inclusive; {@link Long#MAX_VALUE} for "to the end of the file"
     * @return the conflicting lock (its end inclusive, {@link Long#MAX_VALUE} for "to the end"; its pid -1 for an
     *     open-file-description lock, which no process owns), or {@link dev.jfuser.FileLock#unlocked()} if none
     * @throws FuseException with the call's errno if it fails
     */
    public static dev.jfuser.FileLock ofdGetLock(Fd file, int type, long start, long end) throws FuseException {
        long[] r;
        try {
            r = AtCalls.fcntlLock(file.intValue(), AtCalls.F_OFD_GETLK, type, start, length(start, end));
        } catch (NativeException e) {
            throw fail(e);
        }
        if (r[0] == dev.jfuser.FileLock.F_UNLCK) {
            return dev.jfuser.FileLock.unlocked();
        }
        long last = r[2] == 0 ? Long.MAX_VALUE : r[1] + r[2] - 1;
        return new dev.jfuser.FileLock(r[1], last, (int) r[0], (int) r[3]);
    }

    /** struct flock's l_len for an inclusive range: 0 means to the end of the file. */
    private static long length(long start, long end) throws FuseException {
        if (start < 0 || end < start) {
            throw new FuseException(Errno.EINVAL, "lock range " + start + ".." + end + " is empty or negative");
        }
        return end == Long.MAX_VALUE ? 0 : end - start + 1;
    }

    /**
     * {@code fstatvfs(3)} of the filesystem holding {@code file} (an {@code O_PATH} handle will do).
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @return the filesystem's sizes and limits
     * @throws FuseException with the call's errno if it fails
     */
    public static StatFs statfs(Fd file) throws FuseException {
        try {
            return AtCalls.fstatvfs(file.intValue());
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * The value of extended attribute {@code name} of the file {@code file} refers to.
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @param name the attribute's full name, with its namespace
     * @return the value's bytes
     * @throws FuseException ENODATA if the attribute is absent, else the call's errno
     */
    public static byte[] getxattr(Fd file, byte[] name) throws FuseException {
        try {
            return AtCalls.getxattr(file.procPath(), name);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * Sets extended attribute {@code name}; {@code flags} XATTR_CREATE 1, XATTR_REPLACE 2.
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @param name the attribute's full name, with its namespace
     * @param value the new value
     * @param flags 0, {@code XATTR_CREATE} or {@code XATTR_REPLACE}
     * @throws FuseException with the call's errno if it fails
     */
    public static void setxattr(Fd file, byte[] name, byte[] value, int flags) throws FuseException {
        try {
            AtCalls.setxattr(file.procPath(), name, value, flags);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * The names of the extended attributes of the file {@code file} refers to.
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @return each attribute name's bytes
     * @throws FuseException with the call's errno if it fails
     */
    public static List<byte[]> listxattr(Fd file) throws FuseException {
        try {
            return AtCalls.listxattr(file.procPath());
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * Removes extended attribute {@code name}.
     *
     * @param file an open descriptor of the file (an {@code O_PATH} handle will do)
     * @param name the attribute's full name, with its namespace
     * @throws FuseException with the call's errno if it fails
     */
    public static void removexattr(Fd file, byte[] name) throws FuseException {
        try {
            AtCalls.removexattr(file.procPath(), name);
        } catch (NativeException e) {
            throw fail(e);
        }
    }

    /**
     * Every entry of directory {@code dir} ("." and ".." included), read through a descriptor of its own so
     * {@code dir} (an {@code O_PATH} handle will do) keeps no position.
     *
     * @param dir a descriptor of the directory
     * @return the entries in the order the kernel lists them
     * @throws FuseException with the call's errno if it fails
     */
    public static List<DirEntry> readdir(Fd dir) throws FuseException {
        try (Fd d = openat(dir, ".".getBytes(StandardCharsets.US_ASCII), O_RDONLY | O_DIRECTORY, 0)) {
            return AtCalls.readdir(d.intValue());
        } catch (NativeException e) {
            throw fail(e);
        }
    }
}
