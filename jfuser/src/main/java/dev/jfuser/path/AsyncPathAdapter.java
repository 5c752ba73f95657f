package dev.jfuser.path;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Serves an {@link AsyncPathFilesystem} to the kernel: an {@link AsyncFilesystem} with the node table of
 * {@link PathAdapter} (node ids, lookup counts, FORGET, hard links, renames of open files and directories,
 * unlinked open files, listing snapshots, {@code .} and {@code ..}), updated when the filesystem's stages complete.
 */
public final class AsyncPathAdapter implements AsyncFilesystem {

    private final AsyncPathFilesystem fs;
    private final PathAdapter t;
    private final boolean flushes;
    private final boolean fsyncs;

    /**
     * An adapter whose answers the kernel may cache for one second ({@link Entry#DEFAULT_TIMEOUT}).
     *
     * @param fs the filesystem to serve
     */
    public AsyncPathAdapter(AsyncPathFilesystem fs) {
        this(fs, Entry.DEFAULT_TIMEOUT);
    }

    /**
     * An adapter whose names and attributes the kernel may cache for {@code timeout}.
     *
     * @param fs the filesystem to serve
     * @param timeout how long the kernel may cache names and attributes
     */
    public AsyncPathAdapter(AsyncPathFilesystem fs, Duration timeout) {
        this.fs = Objects.requireNonNull(fs, "fs");
        this.t = PathAdapter.table(Objects.requireNonNull(timeout, "timeout"));
        this.flushes = overrides(fs, "flush", Request.class, String.class, long.class);
        this.fsyncs = overrides(fs, "fsync", Request.class, String.class, long.class, boolean.class);
    }

    private static boolean overrides(AsyncPathFilesystem fs, String name, Class<?>... params) {
        try {
            return fs.getClass().getMethod(name, params).getDeclaringClass() != AsyncPathFilesystem.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    /**
     * How many nodes the kernel holds now, the root included.
     *
     * @return the number of nodes in the table
     */
    public int nodeCount() {
        return t.nodeCount();
    }

    // ---- plumbing ----

    private interface Step<T> {
        CompletionStage<T> run() throws IOException;
    }

    /** Runs {@code step}; what it throws before it has a stage (a stale node, a bad name) fails the stage. */
    private static <T> CompletionStage<T> guard(Step<T> step) {
        try {
            return Objects.requireNonNull(step.run(), "the filesystem answered null instead of a stage");
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static boolean notFound(Throwable e) {
        return e instanceof NoSuchFileException
                || e instanceof FuseException f && f.errno().code() == Errno.ENOENT.code();
    }

    /**
     * Runs {@code call} at the node's path; a call that finds nothing there while renames moved the node is run
     * again at its new path, as {@link PathAdapter} does.
     */
    private <T> CompletionStage<T> onPath(PathAdapter.Node n, Function<String, CompletionStage<T>> call) {
        String p = t.path(n);
        CompletableFuture<T> out = new CompletableFuture<>();
        guard(() -> call.apply(p)).whenComplete((v, e) -> {
            if (e == null) {
                out.complete(v);
                return;
            }
            Throwable cause = unwrap(e);
            if (!notFound(cause)) {
                out.completeExceptionally(cause);
                return;
            }
            retryWhenSettled(n, p, call, cause, System.nanoTime() + PathAdapter.RETRY_NANOS, 1, out);
        });
        return out;
    }

    private <T> void retryWhenSettled(PathAdapter.Node n, String p, Function<String, CompletionStage<T>> call,
                                      Throwable failure, long deadline, int attempt, CompletableFuture<T> out) {
        if (t.renaming.get() > 0 && System.nanoTime() < deadline) {
            CompletableFuture.delayedExecutor(50, TimeUnit.MICROSECONDS)
                    .execute(() -> retryWhenSettled(n, p, call, failure, deadline, attempt, out));
            return;
        }
        String q = t.path(n);
        if (q.equals(p) || attempt == PathAdapter.RETRY_ATTEMPTS || System.nanoTime() >= deadline) {
            out.completeExceptionally(failure);
            return;
        }
        guard(() -> call.apply(q)).whenComplete((v, e) -> {
            Throwable cause = e == null ? null : unwrap(e);
            if (e == null) {
                out.complete(v);
            } else if (notFound(cause)) {
                retryWhenSettled(n, q, call, cause, deadline, attempt + 1, out); // moved again meanwhile
            } else {
                out.completeExceptionally(cause);
            }
        });
    }

    private static FuseException enosys() {
        return new FuseException(Errno.ENOSYS);
    }

    // ---- AsyncFilesystem ----

    @Override
    public void init(KernelConfig config) throws IOException {
        fs.init(config);
    }

    @Override
    public void destroy() {
        fs.destroy();
    }

    @Override
    public CompletionStage<Entry> lookup(Request req, long parent, String name) {
        return guard(() -> {
            PathAdapter.Node p = t.node(parent);
            if (name.equals(".") || name.equals("..")) {
                PathAdapter.Node n = name.equals(".") ? p : t.parentOf(p);
                return onPath(n, path -> fs.getattr(req, path, n.anyOpen())).thenApply(a -> {
                    if (!n.acquire()) {
                        throw new CompletionException(new FuseException(Errno.ESTALE));
                    }
                    return t.entry(n, a);
                });
            }
            PathAdapter.checkName(name);
            return onPath(p, pp -> fs.getattr(req, PathAdapter.child(pp, name), OptionalLong.empty()))
                    .thenApply(a -> t.entry(t.bind(p, name, a), a));
        });
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        t.forget(nodeId, nlookup);
    }

    @Override
    public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        return guard(() -> {
            PathAdapter.Node n = t.node(nodeId);
            OptionalLong handle = fh.isPresent() ? fh : n.anyOpen();
            return onPath(n, path -> fs.getattr(req, path, handle))
                    .thenApply(a -> new AttrReply(PathAdapter.withIno(a, n), t.timeout));
        });
    }

    @Override
    public CompletionStage<AttrReply> setattr(Request req, long nodeId, SetAttr changes) {
        return guard(() -> {
            PathAdapter.Node n = t.node(nodeId);
            OptionalLong handle = changes.fh().isPresent() ? changes.fh() : n.anyOpen();
            return onPath(n, path -> fs.setattr(req, path, changes))
                    .thenCompose(v -> onPath(n, path -> fs.getattr(req, path, handle)))
                    .thenApply(a -> new AttrReply(PathAdapter.withIno(a, n), t.timeout));
        });
    }

    @Override
    public CompletionStage<String> readlink(Request req, long nodeId) {
        return guard(() -> onPath(t.node(nodeId), path -> fs.readlink(req, path)));
    }

    /** Makes {@code parent/name} with {@code make}, then answers its entry. */
    private CompletionStage<Entry> create(Request req, long parent, String name,
                                          Function<String, CompletionStage<Void>> make) {
        return guard(() -> {
            PathAdapter.checkName(name);
            PathAdapter.Node p = t.node(parent);
            String path = PathAdapter.child(t.path(p), name);
            return make.apply(path).thenCompose(v -> fs.getattr(req, path, OptionalLong.empty()))
                    .thenApply(a -> t.entry(t.bind(p, name, a), a));
        });
    }

    @Override
    public CompletionStage<Entry> mknod(Request req, long parent, String name, int mode, int umask, int rdev) {
        return create(req, parent, name, path -> fs.mknod(req, path, mode, rdev));
    }

    @Override
    public CompletionStage<Entry> mkdir(Request req, long parent, String name, int mode, int umask) {
        return create(req, parent, name, path -> fs.mkdir(req, path, mode & 07777));
    }

    @Override
    public CompletionStage<Entry> symlink(Request req, long parent, String name, String target) {
        return create(req, parent, name, path -> fs.symlink(req, target, path));
    }

    @Override
    public CompletionStage<Void> unlink(Request req, long parent, String name) {
        return remove(parent, name, path -> fs.unlink(req, path));
    }

    @Override
    public CompletionStage<Void> rmdir(Request req, long parent, String name) {
        return remove(parent, name, path -> fs.rmdir(req, path));
    }

    private CompletionStage<Void> remove(long parent, String name, Function<String, CompletionStage<Void>> rm) {
        return guard(() -> {
            PathAdapter.Node p = t.node(parent);
            String path = PathAdapter.child(t.path(p), name);
            return rm.apply(path).thenRun(() -> t.unbind(p, name, path));
        });
    }

    @Override
    public CompletionStage<Void> rename(Request req, long parent, String name, long newParent, String newName,
                                        int flags) {
        return guard(() -> {
            PathAdapter.checkName(newName);
            PathAdapter.Node p = t.node(parent);
            PathAdapter.Node np = t.node(newParent);
            PathAdapter.Key fromKey = new PathAdapter.Key(p.id, name);
            PathAdapter.Key toKey = new PathAdapter.Key(np.id, newName);
            t.checkNotBelowItself(fromKey, np);
            String from = PathAdapter.child(t.path(p), name);
            String to = PathAdapter.child(t.path(np), newName);
            t.renaming.incrementAndGet();
            CompletionStage<Void> renamed;
            try {
                renamed = guard(() -> fs.rename(req, from, to, flags)).thenRun(() -> {
                    if (!fromKey.equals(toKey)) {
                        t.renamed(p, name, np, newName, fromKey, toKey, to, flags);
                    }
                });
            } catch (RuntimeException e) {
                t.renaming.decrementAndGet();
                throw e;
            }
            return renamed.whenComplete((v, e) -> t.renaming.decrementAndGet());
        });
    }

    @Override
    public CompletionStage<Entry> link(Request req, long nodeId, long newParent, String newName) {
        return guard(() -> {
            String from = t.path(t.node(nodeId));
            return create(req, newParent, newName, to -> fs.link(req, from, to));
        });
    }

    @Override
    public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        return guard(() -> {
            PathAdapter.Node n = t.node(nodeId);
            return onPath(n, path -> fs.open(req, path, flags)).thenApply(r -> {
                n.opened(r.fh());
                return r;
            });
        });
    }

    @Override
    public CompletionStage<CreateReply> create(Request req, long parent, String name, int mode, int umask,
                                               int flags) {
        return guard(() -> {
            PathAdapter.checkName(name);
            PathAdapter.Node p = t.node(parent);
            String path = PathAdapter.child(t.path(p), name);
            return fs.create(req, path, mode, flags).thenCompose(r -> fs.getattr(req, path, OptionalLong.of(r.fh()))
                    .handle((a, e) -> {
                        if (e != null) {
                            fs.release(req, path, r.fh()); // the file stays, its handle is given back
                            throw new CompletionException(unwrap(e));
                        }
                        PathAdapter.Node n = t.bind(p, name, a);
                        n.opened(r.fh());
                        return new CreateReply(t.entry(n, a), r);
                    }));
        });
    }

    @Override
    public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
                                          long lockOwner) {
        return guard(() -> onPath(t.node(nodeId), path -> fs.read(req, path, fh, offset, size)));
    }

    @Override
    public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
                                          int writeFlags, int flags, long lockOwner) {
        int start = data.position();
        return guard(() -> onPath(t.node(nodeId), path -> fs.write(req, path, fh, offset, data.position(start))));
    }

    @Override
    public CompletionStage<Void> flush(Request req, long nodeId, long fh, long lockOwner) {
        if (!flushes) {
            return CompletableFuture.failedFuture(enosys()); // success to the caller, and no more FLUSH
        }
        return guard(() -> onPath(t.node(nodeId), path -> fs.flush(req, path, fh)));
    }

    @Override
    public CompletionStage<Void> release(Request req, long nodeId, long fh, int flags, int releaseFlags,
                                         long lockOwner) {
        return guard(() -> {
            PathAdapter.Node n = t.node(nodeId);
            n.released(fh);
            return onPath(n, path -> fs.release(req, path, fh));
        });
    }

    @Override
    public CompletionStage<Void> fsync(Request req, long nodeId, long fh, boolean datasync) {
        if (!fsyncs) {
            return CompletableFuture.failedFuture(enosys());
        }
        return guard(() -> onPath(t.node(nodeId), path -> fs.fsync(req, path, fh, datasync)));
    }

    @Override
    public CompletionStage<OpenReply> opendir(Request req, long nodeId, int flags) {
        return guard(() -> {
            PathAdapter.Node n = t.node(nodeId);
            return onPath(n, path -> fs.opendir(req, path)).thenApply(userFh -> {
                long fh = t.nextDir.getAndIncrement();
                t.dirs.put(fh, new PathAdapter.OpenDir(userFh, n));
                return OpenReply.of(fh);
            });
        });
    }

    @Override
    public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        return guard(() -> {
            PathAdapter.OpenDir d = t.dirs.get(fh);
            if (d == null) {
                throw new FuseException(Errno.EBADF, "directory handle " + fh + " is not open");
            }
            PathAdapter.Node n = d.node;
            PathAdapter.Node parent = t.parentOf(n);
            CompletionStage<Void> ready = offset == 0 || d.snapshot == null
                    ? onPath(n, path -> fs.readdir(req, path, d.fh)).thenAccept(list -> d.snapshot = List.copyOf(list))
                    : CompletableFuture.completedFuture(null);
            return ready.thenCompose(v -> learned(req, n)).thenCompose(v -> learned(req, parent))
                    .thenRun(() -> t.fill(d, offset, listing, PathAdapter.inoOf(n), PathAdapter.inoOf(parent)));
        });
    }

    /** Learns a directory's inode number from its attributes if none was seen yet (the root, before any stat). */
    private CompletionStage<Void> learned(Request req, PathAdapter.Node n) {
        if (n.shownIno != 0 || n.ino != 0) {
            return CompletableFuture.completedFuture(null);
        }
        return guard(() -> fs.getattr(req, t.path(n), n.anyOpen()))
                .handle((a, e) -> {
                    if (a != null) {
                        PathAdapter.withIno(a, n);
                    }
                    return null;
                });
    }

    @Override
    public CompletionStage<Void> releasedir(Request req, long nodeId, long fh, int flags) {
        PathAdapter.OpenDir d = t.dirs.remove(fh);
        if (d == null) {
            return CompletableFuture.completedFuture(null);
        }
        return guard(() -> fs.releasedir(req, t.path(d.node), d.fh));
    }

    @Override
    public CompletionStage<FsStats> statfs(Request req, long nodeId) {
        return guard(() -> onPath(t.node(nodeId), path -> fs.statfs(req, path)));
    }

    @Override
    public CompletionStage<Void> setxattr(Request req, long nodeId, String name, byte[] value, int flags,
                                          int setxattrFlags) {
        return guard(() -> onPath(t.node(nodeId), path -> fs.setxattr(req, path, name, value, flags)));
    }

    @Override
    public CompletionStage<byte[]> getxattr(Request req, long nodeId, String name) {
        return guard(() -> onPath(t.node(nodeId), path -> fs.getxattr(req, path, name)));
    }

    @Override
    public CompletionStage<List<String>> listxattr(Request req, long nodeId) {
        return guard(() -> onPath(t.node(nodeId), path -> fs.listxattr(req, path)));
    }

    @Override
    public CompletionStage<Void> removexattr(Request req, long nodeId, String name) {
        return guard(() -> onPath(t.node(nodeId), path -> fs.removexattr(req, path, name)));
    }
}
