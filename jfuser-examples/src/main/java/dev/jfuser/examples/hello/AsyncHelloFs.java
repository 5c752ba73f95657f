package dev.jfuser.examples.hello;

import dev.jfuser.Access;
import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.OpenFlags;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@link HelloFs} written against {@link AsyncFilesystem}: the same tree (a root holding {@code hello.txt}), every
 * answer an already completed stage. Everything is in memory, so each method can answer on the reader thread at
 * once; that is the cheapest way through the session, with no thread per request at all.
 */
public final class AsyncHelloFs implements AsyncFilesystem {
    private static final long ROOT = 1;
    private static final long FILE = 2;

    private final Instant mounted = Instant.now();
    private final int uid;
    private final int gid;

    /** A hello filesystem owned by {@code uid}/{@code gid}. */
    public AsyncHelloFs(int uid, int gid) {
        this.uid = uid;
        this.gid = gid;
    }

    private FileAttr attr(long node) {
        FileAttr.Builder b = node == ROOT
                ? FileAttr.builder(ROOT, FileType.DIRECTORY).perm(0755).nlink(2)
                : FileAttr.builder(FILE, FileType.REGULAR_FILE).perm(0444).size(HelloFs.CONTENT.length).blocks(1);
        return b.times(mounted).uid(uid).gid(gid).blksize(4096).build();
    }

    private static <T> CompletionStage<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    private static <T> CompletionStage<T> fail(Errno errno) {
        return CompletableFuture.failedFuture(new FuseException(errno));
    }

    @Override
    public CompletionStage<Entry> lookup(Request req, long parent, String name) {
        return parent == ROOT && name.equals(HelloFs.FILE_NAME) ? done(Entry.of(attr(FILE))) : fail(Errno.ENOENT);
    }

    @Override
    public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        return nodeId == ROOT || nodeId == FILE ? done(AttrReply.of(attr(nodeId))) : fail(Errno.ENOENT);
    }

    @Override
    public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        if (nodeId != FILE) {
            return fail(Errno.EISDIR);
        }
        return OpenFlags.isWritable(flags) ? fail(Errno.EROFS) : done(OpenReply.of(0, OpenReply.KEEP_CACHE));
    }

    @Override
    public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
            long lockOwner) {
        byte[] content = HelloFs.CONTENT;
        if (offset >= content.length) {
            return done(ReadData.empty());
        }
        return done(ReadData.of(content, (int) offset, (int) Math.min(size, content.length - offset)));
    }

    @Override
    public CompletionStage<OpenReply> opendir(Request req, long nodeId, int flags) {
        return nodeId == ROOT ? done(OpenReply.of(0)) : fail(Errno.ENOTDIR);
    }

    @Override
    public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        String[] names = {".", "..", HelloFs.FILE_NAME};
        long[] nodes = {ROOT, ROOT, FILE};
        for (int i = (int) offset; i < names.length; i++) {
            FileType type = nodes[i] == ROOT ? FileType.DIRECTORY : FileType.REGULAR_FILE;
            if (!listing.add(names[i], nodes[i], type, i + 1)) {
                break;
            }
        }
        return done(null);
    }

    @Override
    public CompletionStage<FsStats> statfs(Request req, long nodeId) {
        return done(new FsStats(1, 0, 0, 2, 0, 4096, 255, 4096));
    }

    @Override
    public CompletionStage<Void> access(Request req, long nodeId, int mask) {
        return (mask & Access.W_OK) != 0 ? fail(Errno.EROFS) : done(null);
    }
}
