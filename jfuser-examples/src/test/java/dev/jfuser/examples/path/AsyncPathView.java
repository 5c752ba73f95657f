package dev.jfuser.examples.path;

import dev.jfuser.FileAttr;
import dev.jfuser.FsStats;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.path.AsyncPathFilesystem;
import dev.jfuser.path.DirEntry;
import dev.jfuser.path.PathFilesystem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** A blocking path filesystem seen through the async path API: each call runs on {@code executor}. */
final class AsyncPathView implements AsyncPathFilesystem {
    private final PathFilesystem fs;
    private final Executor executor;

    AsyncPathView(PathFilesystem fs, Executor executor) {
        this.fs = fs;
        this.executor = executor;
    }

    private interface Call<T> {
        T call() throws IOException;
    }

    private <T> CompletionStage<T> run(Call<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }, executor);
    }

    @Override
    public void init(KernelConfig config) throws IOException {
        fs.init(config);
    }

    @Override
    public void destroy() {
        fs.destroy();
    }

    @Override
    public CompletionStage<FileAttr> getattr(Request req, String path, OptionalLong fh) {
        return run(() -> fs.getattr(req, path, fh));
    }

    @Override
    public CompletionStage<Void> setattr(Request req, String path, SetAttr changes) {
        return run(() -> { fs.setattr(req, path, changes); return null; });
    }

    @Override
    public CompletionStage<String> readlink(Request req, String path) {
        return run(() -> fs.readlink(req, path));
    }

    @Override
    public CompletionStage<Void> mknod(Request req, String path, int mode, int rdev) {
        return run(() -> { fs.mknod(req, path, mode, rdev); return null; });
    }

    @Override
    public CompletionStage<Void> mkdir(Request req, String path, int mode) {
        return run(() -> { fs.mkdir(req, path, mode); return null; });
    }

    @Override
    public CompletionStage<Void> unlink(Request req, String path) {
        return run(() -> { fs.unlink(req, path); return null; });
    }

    @Override
    public CompletionStage<Void> rmdir(Request req, String path) {
        return run(() -> { fs.rmdir(req, path); return null; });
    }

    @Override
    public CompletionStage<Void> symlink(Request req, String target, String path) {
        return run(() -> { fs.symlink(req, target, path); return null; });
    }

    @Override
    public CompletionStage<Void> rename(Request req, String from, String to, int flags) {
        return run(() -> { fs.rename(req, from, to, flags); return null; });
    }

    @Override
    public CompletionStage<Void> link(Request req, String from, String to) {
        return run(() -> { fs.link(req, from, to); return null; });
    }

    @Override
    public CompletionStage<OpenReply> create(Request req, String path, int mode, int flags) {
        return run(() -> fs.create(req, path, mode, flags));
    }

    @Override
    public CompletionStage<OpenReply> open(Request req, String path, int flags) {
        return run(() -> fs.open(req, path, flags));
    }

    @Override
    public CompletionStage<ReadData> read(Request req, String path, long fh, long offset, int size) {
        return run(() -> fs.read(req, path, fh, offset, size));
    }

    @Override
    public CompletionStage<Integer> write(Request req, String path, long fh, long offset, ByteBuffer data) {
        return run(() -> fs.write(req, path, fh, offset, data));
    }

    @Override
    public CompletionStage<Void> flush(Request req, String path, long fh) {
        return run(() -> { fs.flush(req, path, fh); return null; });
    }

    @Override
    public CompletionStage<Void> release(Request req, String path, long fh) {
        return run(() -> { fs.release(req, path, fh); return null; });
    }

    @Override
    public CompletionStage<Void> fsync(Request req, String path, long fh, boolean datasync) {
        return run(() -> { fs.fsync(req, path, fh, datasync); return null; });
    }

    @Override
    public CompletionStage<Long> opendir(Request req, String path) {
        return run(() -> fs.opendir(req, path));
    }

    @Override
    public CompletionStage<List<DirEntry>> readdir(Request req, String path, long fh) {
        return run(() -> fs.readdir(req, path, fh));
    }

    @Override
    public CompletionStage<Void> releasedir(Request req, String path, long fh) {
        return run(() -> { fs.releasedir(req, path, fh); return null; });
    }

    @Override
    public CompletionStage<FsStats> statfs(Request req, String path) {
        return run(() -> fs.statfs(req, path));
    }

    @Override
    public CompletionStage<Void> setxattr(Request req, String path, String name, byte[] value, int flags) {
        return run(() -> { fs.setxattr(req, path, name, value, flags); return null; });
    }

    @Override
    public CompletionStage<byte[]> getxattr(Request req, String path, String name) {
        return run(() -> fs.getxattr(req, path, name));
    }

    @Override
    public CompletionStage<List<String>> listxattr(Request req, String path) {
        return run(() -> fs.listxattr(req, path));
    }

    @Override
    public CompletionStage<Void> removexattr(Request req, String path, String name) {
        return run(() -> { fs.removexattr(req, path, name); return null; });
    }
}
