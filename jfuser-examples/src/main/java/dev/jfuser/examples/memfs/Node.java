package dev.jfuser.examples.memfs;

import dev.jfuser.FileType;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * One inode of {@link MemFs}. Every field is guarded by the filesystem's lock; nothing here synchronizes.
 *
 * <p>Regular files keep their bytes in {@link #chunks}: a sorted map from chunk index ({@code offset / CHUNK}) to a
 * {@value #CHUNK}-byte array. An absent chunk is a hole and reads as zeros, so a 1 TiB sparse file with a few
 * written pages costs a few pages. {@link #RESERVED} marks a chunk that fallocate reserved but nobody wrote: it
 * counts as allocated space (st_blocks, statfs, ENOSPC) yet is a hole for SEEK_DATA, as in tmpfs, where
 * fallocated pages are not "uptodate".
 */
final class Node {
    /** Chunk size: the page size, so SEEK_DATA/SEEK_HOLE answers match tmpfs page for page. */
    static final int CHUNK = 4096;
    /** Shared marker for an allocated, never written (all zero) chunk; compared by identity, never written to. */
    static final byte[] RESERVED = new byte[0];
    /** The largest file size, as on tmpfs ({@code MAX_LFS_FILESIZE}): the last byte a file can hold is at 2^63-2. */
    static final long MAX_FILE_SIZE = Long.MAX_VALUE;

    // What memfs charges against its size limit besides the data chunks, roughly what the JVM spends on each
    // (objects, map entries, strings). See "memfs charges what it stores" in docs/decisions.md.
    /** Per inode, linked or not. */
    static final int INODE_COST = 256;
    /** Per directory entry, plus the name's UTF-8 bytes. */
    static final int ENTRY_COST = 128;
    /** Per extended attribute, plus the name's UTF-8 bytes and the value. */
    static final int XATTR_COST = 96;

    final long ino;
    FileType type;
    int perm;
    int uid;
    int gid;
    int rdev;
    /** Hard links; for directories 2 + subdirectories, 0 once removed. */
    int nlink;
    Instant atime;
    Instant mtime;
    Instant ctime;
    /** The kernel's lookup count: references it holds through Entries it was given. */
    long lookups;
    /** Open file handles on this node. */
    int opens;
    /**
     * Inode flags ({@code chattr}): {@code FS_IMMUTABLE_FL}, {@code FS_APPEND_FL}, {@code FS_NODUMP_FL},
     * {@code FS_NOATIME_FL}, as {@code FS_IOC_GETFLAGS} reports them.
     */
    int flags;
    /** Created with O_TMPFILE and not linked yet: link() may give it a first name although nlink is 0. */
    boolean tmpfile;
    /** Extended attributes in insertion order; null while there are none. Changed only by putXattr/removeXattr. */
    LinkedHashMap<String, byte[]> xattrs;
    /** The size of listxattr's answer for all names (UTF-8 name plus NUL each), kept so no call re-encodes them. */
    int xattrListBytes;
    /** What the xattrs are charged: XATTR_COST plus name and value bytes, each. */
    long xattrBytes;

    // regular files
    long size;
    TreeMap<Long, byte[]> chunks;

    // directories
    Node parent;
    /** Entries by name, and the same entries by their readdir cookie (stable offsets across changes). */
    HashMap<String, DirEntry> byName;
    TreeMap<Long, DirEntry> byCookie;
    /** Next cookie to hand out; 1 and 2 are "." and "..". */
    long nextCookie = 3;
    /** What the entries are charged: ENTRY_COST plus the name's UTF-8 bytes, each. */
    long entryBytes;

    // symlinks
    String target;

    // locks (null until first used)
    Locks locks;

    Node(long ino, FileType type, int perm, int uid, int gid, Instant now) {
        this.ino = ino;
        this.type = type;
        this.perm = perm;
        this.uid = uid;
        this.gid = gid;
        this.atime = now;
        this.mtime = now;
        this.ctime = now;
        if (type == FileType.DIRECTORY) {
            nlink = 2;
            byName = new HashMap<>();
            byCookie = new TreeMap<>();
        } else {
            nlink = 1;
        }
        if (type == FileType.REGULAR_FILE) {
            chunks = new TreeMap<>();
        }
    }

    boolean isDir() {
        return type == FileType.DIRECTORY;
    }

    /** A directory entry: a name in a directory, with the cookie readdir uses as its offset. */
    static final class DirEntry {
        final String name;
        final long cookie;
        Node node;

        DirEntry(String name, long cookie, Node node) {
            this.name = name;
            this.cookie = cookie;
            this.node = node;
        }
    }

    DirEntry entry(String name) {
        return byName.get(name);
    }

    /** Adds an entry with the next cookie; returns the bytes it is charged. */
    long addEntry(String name, Node child) {
        return putEntry(new DirEntry(name, nextCookie++, child));
    }

    /** Adds {@code e} as it is (an image being loaded); returns the bytes it is charged. */
    long putEntry(DirEntry e) {
        byName.put(e.name, e);
        byCookie.put(e.cookie, e);
        long cost = entryCost(e.name);
        entryBytes += cost;
        return cost;
    }

    /** Removes {@code e}; returns the bytes it was charged. */
    long removeEntry(DirEntry e) {
        byName.remove(e.name);
        byCookie.remove(e.cookie);
        long cost = entryCost(e.name);
        entryBytes -= cost;
        return cost;
    }

    static long entryCost(String name) {
        return ENTRY_COST + utf8Length(name);
    }

    static long xattrCost(String name, int valueLength) {
        return XATTR_COST + utf8Length(name) + valueLength;
    }

    /**
     * The length of {@code s} in bytes as {@link dev.jfuser.Names#bytes} encodes it (each escaped byte, a lone
     * surrogate, one byte), without encoding it.
     */
    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n++; // an escaped byte
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * Sets xattr {@code name} to {@code value} (kept as given, not copied); returns the change of the charge in bytes.
     */
    long putXattr(String name, byte[] value) {
        if (xattrs == null) {
            xattrs = new LinkedHashMap<>();
        }
        byte[] old = xattrs.put(name, value);
        long delta;
        if (old == null) {
            xattrListBytes += utf8Length(name) + 1;
            delta = xattrCost(name, value.length);
        } else {
            delta = (long) value.length - old.length;
        }
        xattrBytes += delta;
        return delta;
    }

    /** Removes xattr {@code name}; returns the bytes it was charged, or -1 if there was none. */
    long removeXattr(String name) {
        byte[] old = xattrs == null ? null : xattrs.remove(name);
        if (old == null) {
            return -1;
        }
        long cost = xattrCost(name, old.length);
        xattrListBytes -= utf8Length(name) + 1;
        xattrBytes -= cost;
        if (xattrs.isEmpty()) {
            xattrs = null;
        }
        return cost;
    }

    /** Everything this node is charged: the inode, its data, xattrs, symlink target and directory entries. */
    long charge() {
        return INODE_COST + allocatedChunks() * CHUNK + xattrBytes + entryBytes
                + (target == null ? 0 : utf8Length(target));
    }

    /** Size like tmpfs reports it for directories: 20 bytes per entry including "." and "..". */
    long dirSize() {
        return 20L * (byName.size() + 2);
    }

    /** Chunks holding space (written or reserved). */
    long allocatedChunks() {
        return chunks == null ? 0 : chunks.size();
    }

    Map<String, byte[]> xattrsOrEmpty() {
        return xattrs == null ? Map.of() : xattrs;
    }
}
