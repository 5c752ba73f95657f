package dev.jfuser.internal.session;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.FileLock;
import dev.jfuser.Filesystem;
import dev.jfuser.FsStats;
import dev.jfuser.IoctlReply;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.StatxReply;
import dev.jfuser.protocol.Opcode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadFactory;

/**
 * Runs a blocking {@link Filesystem} behind the async dispatch path: each call gets its own virtual thread, so a
 * handler that blocks holds up only its own request.
 *
 * <p>An INTERRUPT for a running call interrupts its virtual thread (and marks its {@link Request}); the answer is
 * still whatever the method returns or throws, so a write that did complete is never reported as failed.
 * {@link #forget} runs inline on the reader thread: it must be cheap and must not block. So do methods the
 * filesystem did not override, and those named by {@code SessionOptions.withInline}.
 */
public final class BlockingAdapter implements AsyncFilesystem {
    private final Filesystem fs;
    private final ThreadFactory threads;
    /**
     * Opcodes run on the calling (reader) thread: those named by SessionOptions.withInline and those whose method
     * the filesystem left to its default.
     */
    private final Set<Opcode> inline;
    /** Told first of a VirtualMachineError in a handler (the session's way out); null until a session sets it. */
    private volatile java.util.function.Consumer<Throwable> fatalErrors;

    public BlockingAdapter(Filesystem fs) {
        this(fs, Set.of());
    }

    public BlockingAdapter(Filesystem fs, Set<Opcode> inline) {
        this.fs = fs;
        this.threads = Thread.ofVirtual().name("jfuser-request-", 0).factory();
        this.inline = inline.isEmpty() ? EnumSet.noneOf(Opcode.class) : EnumSet.copyOf(inline);
        // A method left to its default answers at once (ENOSYS or a fixed success): a virtual thread for it would
        // cost more than the call.
        this.inline.addAll(DefaultMethods.of(fs));
    }

    /**
     * Who is told of a {@link VirtualMachineError} thrown by a handler, before the call's future is completed:
     * completing it allocates, which may fail again on an exhausted heap and leave the request unanswered.
     */
    public void onFatalError(java.util.function.Consumer<Throwable> handler) {
        this.fatalErrors = handler;
    }

    /** The wrapped filesystem. */
    public Filesystem filesystem() {
        return fs;
    }

    @FunctionalInterface
    private interface IoCall<T> {
        T call() throws Exception;
    }

    @FunctionalInterface
    private interface IoRun {
        void run() throws Exception;
    }

    /** A future whose cancel (from INTERRUPT) interrupts the worker instead of completing the request. */
    static final class Call<T> extends CompletableFuture<T> {
        volatile Thread worker;

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            Thread t = worker;
            if (t != null && mayInterruptIfRunning) {
                t.interrupt();
            }
            return false;
        }
    }

    private <T> CompletionStage<T> run(Request req, IoCall<T> call) {
        if (inline.contains(req.opcode())) {
            // On the reader thread: the stage is complete when returned, and the session answers at once.
            try {
                return CompletableFuture.completedFuture(call.call());
            } catch (Throwable e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        Call<T> f = new Call<>();
        Thread t = threads.newThread(() -> {
            try {
                f.complete(call.call());
            } catch (Throwable e) {
                java.util.function.Consumer<Throwable> fatal = fatalErrors;
                if (fatal != null && e instanceof VirtualMachineError) {
                    fatal.accept(e);
                }
                f.completeExceptionally(e);
            }
        });
        f.worker = t;
        t.start();
        return f;
    }

    private CompletionStage<Void> runVoid(Request req, IoRun call) {
        return run(req, () -> {
            call.run();
            return (Void) null;
        });
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
    public void forget(long nodeId, long nlookup) {
        fs.forget(nodeId, nlookup);
    }

    @Override
    public CompletionStage<Entry> lookup(Request req, long parent, String name) {
        return run(req, () -> fs.lookup(req, parent, name));
    }

    @Override
    public CompletionStage<Entry> lookupNode(Request req, long nodeId) {
        return run(req, () -> fs.lookupNode(req, nodeId));
    }

    @Override
    public CompletionStage<Entry> lookupParent(Request req, long nodeId) {
        return run(req, () -> fs.lookupParent(req, nodeId));
    }

    @Override
    public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        return run(req, () -> fs.getattr(req, nodeId, fh));
    }

    @Override
    public CompletionStage<AttrReply> setattr(Request req, long nodeId, SetAttr changes) {
        return run(req, () -> fs.setattr(req, nodeId, changes));
    }

    @Override
    public CompletionStage<String> readlink(Request req, long nodeId) {
        return run(req, () -> fs.readlink(req, nodeId));
    }

    @Override
    public CompletionStage<Entry> mknod(Request req, long parent, String name, int mode, int umask, int rdev) {
        return run(req, () -> fs.mknod(req, parent, name, mode, umask, rdev));
    }

    @Override
    public CompletionStage<Entry> mkdir(Request req, long parent, String name, int mode, int umask) {
        return run(req, () -> fs.mkdir(req, parent, name, mode, umask));
    }

    @Override
    public CompletionStage<Void> unlink(Request req, long parent, String name) {
        return runVoid(req, () -> fs.unlink(req, parent, name));
    }

    @Override
    public CompletionStage<Void> rmdir(Request req, long parent, String name) {
        return runVoid(req, () -> fs.rmdir(req, parent, name));
    }

    @Override
    public CompletionStage<Entry> symlink(Request req, long parent, String name, String target) {
        return run(req, () -> fs.symlink(req, parent, name, target));
    }

    @Override
    public CompletionStage<Void> rename(Request req, long parent, String name, long newParent, String newName,
            int flags) {
        return runVoid(req, () -> fs.rename(req, parent, name, newParent, newName, flags));
    }

    @Override
    public CompletionStage<Entry> link(Request req, long nodeId, long newParent, String newName) {
        return run(req, () -> fs.link(req, nodeId, newParent, newName));
    }

    @Override
    public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        return run(req, () -> fs.open(req, nodeId, flags));
    }

    @Override
    public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
            long lockOwner) {
        return run(req, () -> fs.read(req, nodeId, fh, offset, size, flags, lockOwner));
    }

    @Override
    public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
            int writeFlags, int flags, long lockOwner) {
        return run(req, () -> fs.write(req, nodeId, fh, offset, data, writeFlags, flags, lockOwner));
    }

    @Override
    public CompletionStage<Void> flush(Request req, long nodeId, long fh, long lockOwner) {
        return runVoid(req, () -> fs.flush(req, nodeId, fh, lockOwner));
    }

    @Override
    public CompletionStage<Void> release(Request req, long nodeId, long fh, int flags, int releaseFlags,
            long lockOwner) {
        return runVoid(req, () -> fs.release(req, nodeId, fh, flags, releaseFlags, lockOwner));
    }

    @Override
    public CompletionStage<Void> fsync(Request req, long nodeId, long fh, boolean datasync) {
        return runVoid(req, () -> fs.fsync(req, nodeId, fh, datasync));
    }

    @Override
    public CompletionStage<OpenReply> opendir(Request req, long nodeId, int flags) {
        return run(req, () -> fs.opendir(req, nodeId, flags));
    }

    @Override
    public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        return runVoid(req, () -> fs.readdir(req, nodeId, fh, offset, listing));
    }

    @Override
    public CompletionStage<Void> readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        return runVoid(req, () -> fs.readdirplus(req, nodeId, fh, offset, listing));
    }

    @Override
    public CompletionStage<Void> releasedir(Request req, long nodeId, long fh, int flags) {
        return runVoid(req, () -> fs.releasedir(req, nodeId, fh, flags));
    }

    @Override
    public CompletionStage<Void> fsyncdir(Request req, long nodeId, long fh, boolean datasync) {
        return runVoid(req, () -> fs.fsyncdir(req, nodeId, fh, datasync));
    }

    @Override
    public CompletionStage<FsStats> statfs(Request req, long nodeId) {
        return run(req, () -> fs.statfs(req, nodeId));
    }

    @Override
    public CompletionStage<Void> setxattr(Request req, long nodeId, String name, byte[] value, int flags,
            int setxattrFlags) {
        return runVoid(req, () -> fs.setxattr(req, nodeId, name, value, flags, setxattrFlags));
    }

    @Override
    public CompletionStage<byte[]> getxattr(Request req, long nodeId, String name) {
        return run(req, () -> fs.getxattr(req, nodeId, name));
    }

    @Override
    public CompletionStage<List<String>> listxattr(Request req, long nodeId) {
        return run(req, () -> fs.listxattr(req, nodeId));
    }

    @Override
    public CompletionStage<Void> removexattr(Request req, long nodeId, String name) {
        return runVoid(req, () -> fs.removexattr(req, nodeId, name));
    }

    @Override
    public CompletionStage<Void> access(Request req, long nodeId, int mask) {
        return runVoid(req, () -> fs.access(req, nodeId, mask));
    }

    @Override
    public CompletionStage<CreateReply> create(Request req, long parent, String name, int mode, int umask, int flags) {
        return run(req, () -> fs.create(req, parent, name, mode, umask, flags));
    }

    @Override
    public CompletionStage<FileLock> getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) {
        return run(req, () -> fs.getlk(req, nodeId, fh, lockOwner, lock));
    }

    @Override
    public CompletionStage<Void> setlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock,
            boolean sleep, boolean flock) {
        return runVoid(req, () -> fs.setlk(req, nodeId, fh, lockOwner, lock, sleep, flock));
    }

    @Override
    public CompletionStage<Long> bmap(Request req, long nodeId, int blocksize, long block) {
        return run(req, () -> fs.bmap(req, nodeId, blocksize, block));
    }

    @Override
    public CompletionStage<IoctlReply> ioctl(Request req, long nodeId, long fh, int flags, int cmd, long arg,
            byte[] in, int outSize) {
        return run(req, () -> fs.ioctl(req, nodeId, fh, flags, cmd, arg, in, outSize));
    }

    @Override
    public CompletionStage<Integer> poll(Request req, long nodeId, long fh, long kh, int flags, int events) {
        return run(req, () -> fs.poll(req, nodeId, fh, kh, flags, events));
    }

    @Override
    public CompletionStage<Void> fallocate(Request req, long nodeId, long fh, long offset, long length, int mode) {
        return runVoid(req, () -> fs.fallocate(req, nodeId, fh, offset, length, mode));
    }

    @Override
    public CompletionStage<Long> lseek(Request req, long nodeId, long fh, long offset, int whence) {
        return run(req, () -> fs.lseek(req, nodeId, fh, offset, whence));
    }

    @Override
    public CompletionStage<Long> copyFileRange(Request req, long nodeIdIn, long fhIn, long offsetIn, long nodeIdOut,
            long fhOut, long offsetOut, long length, long flags) {
        return run(req, 
                () -> fs.copyFileRange(req, nodeIdIn, fhIn, offsetIn, nodeIdOut, fhOut, offsetOut, length, flags));
    }

    @Override
    public CompletionStage<Void> syncfs(Request req, long nodeId) {
        return runVoid(req, () -> fs.syncfs(req, nodeId));
    }

    @Override
    public CompletionStage<CreateReply> tmpfile(Request req, long parent, int mode, int umask, int flags) {
        return run(req, () -> fs.tmpfile(req, parent, mode, umask, flags));
    }

    @Override
    public CompletionStage<StatxReply> statx(Request req, long nodeId, OptionalLong fh, int flags, int mask) {
        return run(req, () -> fs.statx(req, nodeId, fh, flags, mask));
    }

    @Override
    public CompletionStage<Void> setupMapping(Request req, long nodeId, long fh, long fileOffset, long length,
            long flags, long windowOffset) {
        return runVoid(req, () -> fs.setupMapping(req, nodeId, fh, fileOffset, length, flags, windowOffset));
    }

    @Override
    public CompletionStage<Void> removeMapping(Request req, long[] windowOffsets, long[] lengths) {
        return runVoid(req, () -> fs.removeMapping(req, windowOffsets, lengths));
    }
}
