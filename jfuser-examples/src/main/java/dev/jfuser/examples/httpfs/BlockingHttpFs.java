package dev.jfuser.examples.httpfs;

import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.Filesystem;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * httpfs written the blocking way, for comparison: the same logic as {@link HttpFs}, but every request is a
 * blocking {@code HttpClient.send} on the virtual thread the session gives each {@link Filesystem} call.
 *
 * <p>It is as concurrent as the async version (each request has its own virtual thread, parked while the network
 * works), which is the point of the comparison: the async API is not needed for concurrency, it is for not
 * needing a thread per request at all, and for libraries that are asynchronous to begin with. The benchmark
 * ({@code bin/bench-httpfs}) measures both.
 */
public final class BlockingHttpFs implements Filesystem {
    private final HttpFs logic;

    private BlockingHttpFs(HttpFs logic) {
        this.logic = logic;
    }

    /**
     * A blocking httpfs: {@link HttpFs}'s logic over a transport that sends synchronously on the calling thread,
     * so each of its futures is already complete when returned; a fetch another thread started first (a listing,
     * a block) is waited for on this thread, which then carries on itself.
     */
    public static BlockingHttpFs create(HttpFsOptions options) {
        HttpClient client = HttpFs.newClient(options);
        return new BlockingHttpFs(new HttpFs(options, request -> {
            try {
                return CompletableFuture.completedFuture(client.send(request,
                        HttpResponse.BodyHandlers.ofByteArray()));
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            } catch (InterruptedException e) {
                // The session interrupts this virtual thread when the kernel sends INTERRUPT.
                Thread.currentThread().interrupt();
                return CompletableFuture.failedFuture(new FuseException(Errno.EINTR));
            }
        }, client, true));
    }

    /** The shared logic (statistics, cache). */
    public HttpFs logic() {
        return logic;
    }

    /** Waits for a stage and rethrows its failure as the method's own. */
    private static <T> T await(CompletionStage<T> stage) throws IOException {
        try {
            return stage.toCompletableFuture().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(cause);
        }
    }

    @Override
    public void init(KernelConfig config) {
        logic.init(config);
    }

    @Override
    public void destroy() {
        logic.destroy();
    }

    @Override
    public Entry lookup(Request req, long parent, String name) throws IOException {
        return await(logic.lookup(req, parent, name));
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
        return await(logic.getattr(req, nodeId, fh));
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws IOException {
        return await(logic.open(req, nodeId, flags));
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
            throws IOException {
        return await(logic.read(req, nodeId, fh, offset, size, flags, lockOwner));
    }

    @Override
    public OpenReply opendir(Request req, long nodeId, int flags) throws IOException {
        return await(logic.opendir(req, nodeId, flags));
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        await(logic.readdir(req, nodeId, fh, offset, listing));
    }

    @Override
    public void releasedir(Request req, long nodeId, long fh, int flags) throws IOException {
        await(logic.releasedir(req, nodeId, fh, flags));
    }

    @Override
    public FsStats statfs(Request req, long nodeId) throws IOException {
        return await(logic.statfs(req, nodeId));
    }

    @Override
    public void access(Request req, long nodeId, int mask) throws IOException {
        await(logic.access(req, nodeId, mask));
    }
}
