package dev.jfuser.examples.hello;

import dev.jfuser.Access;
import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.OpenFlags;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * The smallest useful filesystem: a read-only root directory holding one file, {@code hello.txt}.
 *
 * <p>It shows the core of every FUSE filesystem: node ids (1 is the root, 2 the file), {@code lookup} to turn a
 * name into a node, {@code getattr} for {@code stat}, {@code readdir} for {@code ls}, and {@code open}/{@code read}
 * for {@code cat}. Everything else answers ENOSYS (not implemented) or, for writes, EROFS.
 */
public final class HelloFs implements Filesystem {
    /** The file's name. */
    public static final String FILE_NAME = "hello.txt";
    /** The file's contents. */
    public static final byte[] CONTENT = "Hello, World!\n".getBytes(StandardCharsets.UTF_8);

    private static final long ROOT = 1;
    private static final long FILE = 2;

    private final Instant mounted = Instant.now();
    private final int uid;
    private final int gid;

    /** A hello filesystem owned by {@code uid}/{@code gid} (shown by {@code ls -l}). */
    public HelloFs(int uid, int gid) {
        this.uid = uid;
        this.gid = gid;
    }

    private FileAttr attr(long node) {
        FileAttr.Builder b = node == ROOT
                ? FileAttr.builder(ROOT, FileType.DIRECTORY).perm(0755).nlink(2)
                : FileAttr.builder(FILE, FileType.REGULAR_FILE).perm(0444).size(CONTENT.length).blocks(1);
        return b.times(mounted).uid(uid).gid(gid).blksize(4096).build();
    }

    @Override
    public Entry lookup(Request req, long parent, String name) throws FuseException {
        if (parent == ROOT && name.equals(FILE_NAME)) {
            return Entry.of(attr(FILE));
        }
        throw new FuseException(Errno.ENOENT);
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws FuseException {
        if (nodeId == ROOT || nodeId == FILE) {
            return AttrReply.of(attr(nodeId));
        }
        throw new FuseException(Errno.ENOENT);
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws FuseException {
        if (nodeId != FILE) {
            throw new FuseException(Errno.EISDIR);
        }
        if (OpenFlags.accessMode(flags) != OpenFlags.O_RDONLY) {
            throw new FuseException(Errno.EROFS);
        }
        // The content never changes: let the kernel keep it cached across opens.
        return OpenReply.of(0, OpenReply.KEEP_CACHE);
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner) {
        if (offset >= CONTENT.length) {
            return ReadData.empty();
        }
        int n = (int) Math.min(size, CONTENT.length - offset);
        return ReadData.of(CONTENT, (int) offset, n);
    }

    @Override
    public OpenReply opendir(Request req, long nodeId, int flags) throws FuseException {
        if (nodeId != ROOT) {
            throw new FuseException(Errno.ENOTDIR);
        }
        return OpenReply.of(0);
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws FuseException {
        if (nodeId != ROOT) {
            throw new FuseException(Errno.ENOTDIR);
        }
        // Offsets: entry i is followed by offset i + 1, so a listing resumed at offset k starts at entry k.
        String[] names = {".", "..", FILE_NAME};
        long[] nodes = {ROOT, ROOT, FILE};
        for (int i = (int) offset; i < names.length; i++) {
            FileType type = nodes[i] == ROOT ? FileType.DIRECTORY : FileType.REGULAR_FILE;
            if (!listing.add(names[i], nodes[i], type, i + 1)) {
                break;
            }
        }
    }

    @Override
    public FsStats statfs(Request req, long nodeId) {
        return new FsStats(1, 0, 0, 2, 0, 4096, 255, 4096);
    }

    @Override
    public void access(Request req, long nodeId, int mask) throws FuseException {
        if ((mask & Access.W_OK) != 0) {
            throw new FuseException(Errno.EROFS);
        }
    }
}
