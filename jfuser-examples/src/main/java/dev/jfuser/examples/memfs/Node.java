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
    /** Created with O_TMPFILE and not linked yet: link() may give it a first name although nlink is 0. */
    boolean tmpfile;
    /** Extended attributes in insertion order; null while there are none. */
    LinkedHashMap<String, byte[]> xattrs;

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

    DirEntry addEntry(String name, Node child) {
        DirEntry e = new DirEntry(name, nextCookie++, child);
        byName.put(name, e);
        byCookie.put(e.cookie, e);
        return e;
    }

    void removeEntry(DirEntry e) {
        byName.remove(e.name);
        byCookie.remove(e.cookie);
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
