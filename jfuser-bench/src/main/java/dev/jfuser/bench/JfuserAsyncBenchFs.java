package dev.jfuser.bench;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The benchmark tree on jfuser's async API: every answer is known at once, so every stage is already complete
 * and the request is answered on the reader thread that read it — the async API's best case.
 */
public final class JfuserAsyncBenchFs implements AsyncFilesystem {
    private final JfuserBenchFs fs;

    public JfuserAsyncBenchFs(Tree tree, boolean cache, boolean readdirplus) {
        this.fs = new JfuserBenchFs(tree, cache, readdirplus);
    }

    @FunctionalInterface
    private interface Call<T> {
        T call() throws IOException;
    }

    private static <T> CompletionStage<T> now(Call<T> call) {
        try {
            return CompletableFuture.completedFuture(call.call());
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void init(KernelConfig config) {
        fs.init(config);
    }

    @Override
    public CompletionStage<Entry> lookup(Request req, long parent, String name) {
        return now(() -> fs.lookup(req, parent, name));
    }

    @Override
    public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        return now(() -> fs.getattr(req, nodeId, fh));
    }

    @Override
    public CompletionStage<AttrReply> setattr(Request req, long nodeId, SetAttr changes) {
        return now(() -> fs.setattr(req, nodeId, changes));
    }

    @Override
    public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        return now(() -> fs.open(req, nodeId, flags));
    }

    @Override
    public CompletionStage<CreateReply> create(Request req, long parent, String name, int mode, int umask,
                                               int flags) {
        return now(() -> fs.create(req, parent, name, mode, umask, flags));
    }

    @Override
    public CompletionStage<Void> unlink(Request req, long parent, String name) {
        return now(() -> {
            fs.unlink(req, parent, name);
            return null;
        });
    }

    @Override
    public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
                                          long lockOwner) {
        return CompletableFuture.completedFuture(fs.read(req, nodeId, fh, offset, size, flags, lockOwner));
    }

    @Override
    public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
                                          int writeFlags, int flags, long lockOwner) {
        return now(() -> fs.write(req, nodeId, fh, offset, data, writeFlags, flags, lockOwner));
    }

    @Override
    public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        return now(() -> {
            fs.fill(nodeId, offset, listing);
            return null;
        });
    }

    @Override
    public CompletionStage<Void> readdirplus(Request req, long nodeId, long fh, long offset,
                                             DirectoryListing listing) {
        return readdir(req, nodeId, fh, offset, listing);
    }
}
