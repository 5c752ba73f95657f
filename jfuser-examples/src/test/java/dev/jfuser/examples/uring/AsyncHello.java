package dev.jfuser.examples.uring;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.examples.hello.HelloFs;
import java.io.IOException;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * HelloFs behind the asynchronous API, answering every request before returning: the replies are produced on
 * the thread that received the request (an io_uring queue's own thread), the path that batches a commit with
 * the queue's next wait.
 */
final class AsyncHello implements AsyncFilesystem {
    private final HelloFs hello = new HelloFs(0, 0);

    @FunctionalInterface
    private interface Call<T> {
        T call() throws IOException;
    }

    private static <T> CompletionStage<T> now(Call<T> c) {
        try {
            return CompletableFuture.completedFuture(c.call());
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletionStage<Entry> lookup(Request req, long parent, String name) {
        return now(() -> hello.lookup(req, parent, name));
    }

    @Override
    public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        return now(() -> hello.getattr(req, nodeId, fh));
    }

    @Override
    public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        return now(() -> hello.open(req, nodeId, flags));
    }

    @Override
    public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
                                          long lockOwner) {
        return now(() -> hello.read(req, nodeId, fh, offset, size, flags, lockOwner));
    }

    @Override
    public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        return now(() -> {
            hello.readdir(req, nodeId, fh, offset, listing);
            return null;
        });
    }
}
