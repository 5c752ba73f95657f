package dev.jfuser.protocol;

import dev.jfuser.FileAttr;
import dev.jfuser.FileLock;
import dev.jfuser.FsStats;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;

/**
 * Encodes reply structs into a little-endian buffer at absolute positions. Pure: no I/O, no allocation.
 *
 * <p>Each method writes one {@code *_out} struct at {@code p} and returns the number of bytes written, so a reply
 * is built as {@code header(...)} at 0 followed by the struct at {@link Abi#OUT_HEADER_SIZE}. Sizes honour the
 * negotiated minor version where the kernel expects a shorter (COMPAT) struct from older servers.
 */
public final class ReplyEncoder {
    private ReplyEncoder() {}

    /**
     * {@code fuse_out_header}: total length, negated errno (0 on success), and the request's unique id.
     *
     * @param b the reply buffer
     * @param totalLength the whole reply's length, header included
     * @param negErrno 0, or a negated errno
     * @param unique the request id
     * @return the bytes written
     */
    public static int header(ByteBuffer b, int totalLength, int negErrno, long unique) {
        b.putInt(0, totalLength);
        b.putInt(4, negErrno);
        b.putLong(8, unique);
        return Abi.OUT_HEADER_SIZE;
    }

    /**
     * {@code fuse_attr} (88 bytes; the trailing blksize/flags exist since 7.9 and 7.32 and are harmless before).
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param a the attributes
     * @return the bytes written
     */
    public static int attr(ByteBuffer b, int p, FileAttr a) {
        b.putLong(p, a.ino());
        b.putLong(p + 8, a.size());
        b.putLong(p + 16, a.blocks());
        putTime(b, p + 24, p + 48, a.atime());
        putTime(b, p + 32, p + 52, a.mtime());
        putTime(b, p + 40, p + 56, a.ctime());
        b.putInt(p + 60, a.mode());
        b.putInt(p + 64, a.nlink());
        b.putInt(p + 68, a.uid());
        b.putInt(p + 72, a.gid());
        b.putInt(p + 76, a.rdev());
        b.putInt(p + 80, a.blksize());
        b.putInt(p + 84, a.flags());
        return Abi.ATTR_SIZE;
    }

    private static void putTime(ByteBuffer b, int secAt, int nsecAt, Instant t) {
        b.putLong(secAt, t.getEpochSecond());
        b.putInt(nsecAt, t.getNano());
    }

    /**
     * Size of {@code fuse_entry_out} the kernel expects at this minor version.
     *
     * @param minor the protocol minor version
     * @return the bytes written
     */
    public static int entryOutSize(int minor) {
        return minor < 9 ? Abi.COMPAT_ENTRY_OUT_SIZE : Abi.ENTRY_OUT_SIZE;
    }

    /**
     * Size of {@code fuse_attr_out} the kernel expects at this minor version.
     *
     * @param minor the protocol minor version
     * @return the bytes written
     */
    public static int attrOutSize(int minor) {
        return minor < 9 ? Abi.COMPAT_ATTR_OUT_SIZE : Abi.ATTR_OUT_SIZE;
    }

    /**
     * {@code fuse_entry_out}. A negative entry has node id 0 and zeroed attributes.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param nodeId the node id the kernel will use for the name, 0 for a negative entry
     * @param generation the node's generation (with the node id unique for the filesystem's life)
     * @param entryTimeout how long the kernel may cache the name
     * @param attrTimeout how long the kernel may cache the attributes
     * @param attr the node's attributes (ignored for a negative entry)
     * @return bytes written (always the full 128; callers send {@link #entryOutSize} of them)
     */
    public static int entryOut(ByteBuffer b, int p, long nodeId, long generation, Duration entryTimeout,
                               Duration attrTimeout, FileAttr attr) {
        b.putLong(p, nodeId);
        b.putLong(p + 8, generation);
        b.putLong(p + 16, seconds(entryTimeout));
        b.putLong(p + 24, seconds(attrTimeout));
        b.putInt(p + 32, nanos(entryTimeout));
        b.putInt(p + 36, nanos(attrTimeout));
        if (attr != null) {
            attr(b, p + 40, attr);
        } else {
            for (int i = p + 40; i < p + Abi.ENTRY_OUT_SIZE; i += 8) {
                b.putLong(i, 0);
            }
        }
        return Abi.ENTRY_OUT_SIZE;
    }

    /**
     * {@code fuse_attr_out}.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param timeout how long the kernel may cache the answer
     * @param attr the attributes
     * @return the bytes written
     */
    public static int attrOut(ByteBuffer b, int p, Duration timeout, FileAttr attr) {
        b.putLong(p, seconds(timeout));
        b.putInt(p + 8, nanos(timeout));
        b.putInt(p + 12, 0);
        attr(b, p + 16, attr);
        return Abi.ATTR_OUT_SIZE;
    }

    /**
     * {@code fuse_open_out}.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param fh a file handle of the filesystem's choice, passed back in later requests
     * @param openFlags {@code FOPEN_*} flags
     * @param backingId the passthrough backing file id, or 0
     * @return the bytes written
     */
    public static int openOut(ByteBuffer b, int p, long fh, int openFlags, int backingId) {
        b.putLong(p, fh);
        b.putInt(p + 8, openFlags);
        b.putInt(p + 12, backingId);
        return Abi.OPEN_OUT_SIZE;
    }

    /**
     * {@code fuse_write_out}.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param size the size in bytes
     * @return the bytes written
     */
    public static int writeOut(ByteBuffer b, int p, int size) {
        b.putInt(p, size);
        b.putInt(p + 4, 0);
        return 8;
    }

    /**
     * {@code fuse_statfs_out} ({@code fuse_kstatfs}); 48 bytes before 7.4.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param minor the protocol minor version
     * @param s the statistics
     * @return the bytes written
     */
    public static int statfsOut(ByteBuffer b, int p, int minor, FsStats s) {
        b.putLong(p, s.blocks());
        b.putLong(p + 8, s.bfree());
        b.putLong(p + 16, s.bavail());
        b.putLong(p + 24, s.files());
        b.putLong(p + 32, s.ffree());
        b.putInt(p + 40, s.bsize());
        b.putInt(p + 44, s.namelen());
        b.putInt(p + 48, s.frsize());
        b.putInt(p + 52, 0);
        for (int i = 56; i < 80; i += 8) {
            b.putLong(p + i, 0);
        }
        return minor < 4 ? Abi.COMPAT_STATFS_SIZE : Abi.STATFS_OUT_SIZE;
    }

    /**
     * {@code fuse_getxattr_out}: the size of a value or list, answering a size probe (size 0 in the request).
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param size the size in bytes
     * @return the bytes written
     */
    public static int getxattrOut(ByteBuffer b, int p, int size) {
        b.putInt(p, size);
        b.putInt(p + 4, 0);
        return 8;
    }

    /**
     * {@code fuse_lk_out}.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param lock the conflicting lock, or the unlocked answer
     * @return the bytes written
     */
    public static int lkOut(ByteBuffer b, int p, FileLock lock) {
        b.putLong(p, lock.start());
        b.putLong(p + 8, lock.end());
        b.putInt(p + 16, lock.type());
        b.putInt(p + 20, lock.pid());
        return Abi.LK_OUT_SIZE;
    }

    /**
     * {@code fuse_bmap_out}, {@code fuse_lseek_out}, {@code fuse_copy_file_range_out}: one u64.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param value the name, as in {@code -Djfuser.transport}
     * @return the bytes written
     */
    public static int u64Out(ByteBuffer b, int p, long value) {
        b.putLong(p, value);
        return 8;
    }

    /**
     * {@code fuse_poll_out}.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param revents the poll(2) events that are ready
     * @return the bytes written
     */
    public static int pollOut(ByteBuffer b, int p, int revents) {
        b.putInt(p, revents);
        b.putInt(p + 4, 0);
        return 8;
    }

    /**
     * {@code fuse_ioctl_out} for a restricted ioctl (no retry, no iovecs).
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param result the ioctl(2) return value
     * @return the bytes written
     */
    public static int ioctlOut(ByteBuffer b, int p, int result) {
        b.putInt(p, result);
        b.putInt(p + 4, 0);
        b.putInt(p + 8, 0);
        b.putInt(p + 12, 0);
        return 16;
    }

    /**
     * {@code fuse_init_out}. Before 7.5 the kernel takes 8 bytes, before 7.23 24 bytes.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param o the negotiated values to send
     * @return the number of bytes the kernel expects at {@code minor}
     */
    public static int initOut(ByteBuffer b, int p, InitOut o) {
        for (int i = 0; i < Abi.INIT_OUT_SIZE; i += 8) {
            b.putLong(p + i, 0);
        }
        b.putInt(p, o.major());
        b.putInt(p + 4, o.minor());
        b.putInt(p + 8, o.maxReadahead());
        b.putInt(p + 12, (int) o.flags());
        b.putShort(p + 16, (short) o.maxBackground());
        b.putShort(p + 18, (short) o.congestionThreshold());
        b.putInt(p + 20, o.maxWrite());
        b.putInt(p + 24, o.timeGran());
        b.putShort(p + 28, (short) o.maxPages());
        b.putShort(p + 30, (short) o.mapAlignment());
        b.putInt(p + 32, (int) (o.flags() >>> 32));
        b.putInt(p + 36, o.maxStackDepth());
        b.putShort(p + 40, (short) o.requestTimeout());
        if (o.minor() < 5) {
            return Abi.COMPAT_INIT_OUT_SIZE;
        }
        return o.minor() < 23 ? Abi.COMPAT_22_INIT_OUT_SIZE : Abi.INIT_OUT_SIZE;
    }

    /**
     * {@code fuse_statx_out}.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param timeout how long the kernel may cache the answer
     * @param mask the {@code STATX_*} fields that are valid
     * @param a the attributes
     * @param btime the birth time
     * @param attributes the {@code STATX_ATTR_*} bits
     * @param attributesMask the {@code STATX_ATTR_*} bits the filesystem supports
     * @return the bytes written
     */
    public static int statxOut(ByteBuffer b, int p, Duration timeout, int mask, FileAttr a, Instant btime,
                               long attributes, long attributesMask) {
        for (int i = 0; i < Abi.STATX_OUT_SIZE; i += 8) {
            b.putLong(p + i, 0);
        }
        b.putLong(p, seconds(timeout));
        b.putInt(p + 8, nanos(timeout));
        int s = p + 32;
        b.putInt(s, mask);
        b.putInt(s + 4, a.blksize());
        b.putLong(s + 8, attributes);
        b.putInt(s + 16, a.nlink());
        b.putInt(s + 20, a.uid());
        b.putInt(s + 24, a.gid());
        b.putShort(s + 28, (short) a.mode());
        b.putLong(s + 32, a.ino());
        b.putLong(s + 40, a.size());
        b.putLong(s + 48, a.blocks());
        b.putLong(s + 56, attributesMask);
        sxTime(b, s + 64, a.atime());
        sxTime(b, s + 80, btime);
        sxTime(b, s + 96, a.ctime());
        sxTime(b, s + 112, a.mtime());
        // rdev is a Linux dev_t (new encoding): major in bits 8..19 and 32..63, minor in 0..7 and 20..31
        int rdev = a.rdev();
        b.putInt(s + 128, (rdev >>> 8) & 0xfff);
        b.putInt(s + 132, (rdev & 0xff) | ((rdev >>> 12) & 0xfff00));
        return Abi.STATX_OUT_SIZE;
    }

    private static void sxTime(ByteBuffer b, int p, Instant t) {
        b.putLong(p, t.getEpochSecond());
        b.putInt(p + 8, t.getNano());
        b.putInt(p + 12, 0);
    }

    // Notification bodies, each written after a fuse_out_header whose unique is 0 and whose error field holds the
    // notify code. FUSE_NOTIFY_RESEND and FUSE_NOTIFY_INC_EPOCH have no body.

    /**
     * Writes the body of a NOTIFY_INVAL_INODE ({@code fuse_notify_inval_inode_out}).
     *
     * @param b the buffer
     * @param p where the body starts
     * @param ino the inode whose attributes and cached data to drop
     * @param off the start of the data range to drop; negative drops attributes only
     * @param len the length of the range, 0 for all of the file from {@code off}
     * @return the bytes written
     */
    public static int notifyInvalInode(ByteBuffer b, int p, long ino, long off, long len) {
        b.putLong(p, ino);
        b.putLong(p + 8, off);
        b.putLong(p + 16, len);
        return 24;
    }

    /**
     * Writes the body of a NOTIFY_INVAL_ENTRY ({@code fuse_notify_inval_entry_out}) and the name after it.
     *
     * @param b the buffer
     * @param p where the body starts
     * @param parent the directory holding the entry
     * @param name the entry's name, without the terminating NUL (written here)
     * @param flags {@link Abi#EXPIRE_ONLY} or 0
     * @return the bytes written
     */
    public static int notifyInvalEntry(ByteBuffer b, int p, long parent, byte[] name, int flags) {
        b.putLong(p, parent);
        b.putInt(p + 8, name.length);
        b.putInt(p + 12, flags);
        b.put(p + 16, name);
        b.put(p + 16 + name.length, (byte) 0);
        return 16 + name.length + 1;
    }

    /**
     * Writes the body of a NOTIFY_DELETE ({@code fuse_notify_delete_out}) and the name after it.
     *
     * @param b the buffer
     * @param p where the body starts
     * @param parent the directory that held the entry
     * @param child the node the entry named
     * @param name the entry's name, without the terminating NUL (written here)
     * @return the bytes written
     */
    public static int notifyDelete(ByteBuffer b, int p, long parent, long child, byte[] name) {
        b.putLong(p, parent);
        b.putLong(p + 8, child);
        b.putInt(p + 16, name.length);
        b.putInt(p + 20, 0);
        b.put(p + 24, name);
        b.put(p + 24 + name.length, (byte) 0);
        return 24 + name.length + 1;
    }

    /**
     * Writes the header of a NOTIFY_STORE ({@code fuse_notify_store_out}); the {@code size} data bytes follow it.
     *
     * @param b the buffer
     * @param p where the body starts
     * @param nodeId the node whose page cache receives the data
     * @param offset the file offset of the data
     * @param size how many data bytes follow
     * @return the bytes written
     */
    public static int notifyStore(ByteBuffer b, int p, long nodeId, long offset, int size) {
        b.putLong(p, nodeId);
        b.putLong(p + 8, offset);
        b.putInt(p + 16, size);
        b.putInt(p + 20, 0);
        return 24;
    }

    /**
     * Writes the body of a NOTIFY_RETRIEVE ({@code fuse_notify_retrieve_out}); the kernel answers with a
     * NOTIFY_REPLY request carrying {@code notifyUnique}.
     *
     * @param b the buffer
     * @param p where the body starts
     * @param notifyUnique the id the kernel's answer will carry
     * @param nodeId the node whose cached data to retrieve
     * @param offset the file offset to start at
     * @param size how many bytes to retrieve
     * @return the bytes written
     */
    public static int notifyRetrieve(ByteBuffer b, int p, long notifyUnique, long nodeId, long offset, int size) {
        b.putLong(p, notifyUnique);
        b.putLong(p + 8, nodeId);
        b.putLong(p + 16, offset);
        b.putInt(p + 24, size);
        b.putInt(p + 28, 0);
        return 32;
    }

    /**
     * Writes the body of a NOTIFY_POLL ({@code fuse_notify_poll_wakeup_out}).
     *
     * @param b the buffer
     * @param p where the body starts
     * @param kh the poll handle the kernel sent in POLL
     * @return the bytes written
     */
    public static int notifyPollWakeup(ByteBuffer b, int p, long kh) {
        b.putLong(p, kh);
        return 8;
    }

    /**
     * {@code fuse_notify_prune_out} (count, padding, spare) followed by {@code count} node ids from
     * {@code nodes[from..]}.
     *
     * @param b the reply buffer
     * @param p the absolute position where the struct starts
     * @param nodes the node ids the kernel is asked to forget if unused
     * @param from the index of the first id to send
     * @param count how many ids to send from there
     * @return the bytes written
     */
    public static int notifyPrune(ByteBuffer b, int p, long[] nodes, int from, int count) {
        b.putInt(p, count);
        b.putInt(p + 4, 0);
        b.putLong(p + 8, 0);
        for (int i = 0; i < count; i++) {
            b.putLong(p + 16 + 8 * i, nodes[from + i]);
        }
        return 16 + 8 * count;
    }

    static long seconds(Duration d) {
        return d.getSeconds();
    }

    static int nanos(Duration d) {
        return d.getNano();
    }
}
