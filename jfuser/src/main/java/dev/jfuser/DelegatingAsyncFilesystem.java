package dev.jfuser;

import dev.jfuser.internal.session.BlockingAdapter;
import dev.jfuser.internal.session.Delegation;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;

/**
 * An {@link AsyncFilesystem} whose every operation is answered by a blocking {@link Filesystem}, each call on its own
 * virtual thread, exactly as if that filesystem were mounted itself: so porting a filesystem to the async API can go
 * one method at a time. Subclass it, pass the blocking filesystem to the constructor, and override the operations
 * that are async already; the others keep running the blocking code.
 *
 * <pre>{@code
 * final class MyAsyncFs extends DelegatingAsyncFilesystem {
 *     MyAsyncFs(MyBlockingFs fs) {
 *         super(fs);
 *     }
 *
 *     @Override  // READ is async now; LOOKUP, GETATTR, OPEN, ... still run MyBlockingFs's methods
 *     public CompletionStage<ReadData> read(Request req, long node, long fh, long offset, int size, int flags,
 *                                           long lockOwner) {
 *         return http.sendAsync(rangeRequest(node, offset, size), BodyHandlers.ofByteArray())
 *                 .thenApply(response -> ReadData.of(response.body()));
 *     }
 * }
 * Fuse.mount(new MyAsyncFs(new MyBlockingFs()), mountpoint, options);
 * }</pre>
 *
 * <p>A delegated call behaves as in a mounted {@code Filesystem}: it runs on a new virtual thread, so it may block;
 * an INTERRUPT marks its {@link Request} and interrupts that thread, and the answer is still what the method returns
 * or throws. Operations the blocking filesystem left to its defaults answer at once on the reader thread, and
 * FLUSH, FSYNC and FSYNCDIR left to their defaults in both are answered ENOSYS so the kernel stops sending them, as
 * for a mounted {@code Filesystem}. An overridden operation follows the {@link AsyncFilesystem} contract instead
 * (return the stage without blocking). {@link #init}, {@link #destroy} and {@link #forget} go to the blocking
 * filesystem directly, on the calling thread.
 *
 * <p>The two halves share state the way any two objects do: the subclass reaches the blocking filesystem through
 * its own field or {@link #delegate()}, and both must be thread-safe.
 */
public class DelegatingAsyncFilesystem implements AsyncFilesystem {
    static {
        Delegation.register(DelegatingAsyncFilesystem.class, d -> ((DelegatingAsyncFilesystem) d).adapter);
    }

    private final Filesystem delegate;
    private final BlockingAdapter adapter;

    /**
     * Answers every operation not overridden with {@code delegate}'s blocking method.
     *
     * @param delegate the blocking filesystem that answers the operations this class does not override
     */
    public DelegatingAsyncFilesystem(Filesystem delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate: the blocking filesystem to delegate to");
        this.adapter = new BlockingAdapter(delegate);
    }

    /**
     * The blocking filesystem the operations not overridden go to.
     *
     * @return the filesystem given to the constructor
     */
    public final Filesystem delegate() {
        return delegate;
    }

    @Override
    public void init(KernelConfig config) throws IOException {
        delegate.init(config);
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        delegate.forget(nodeId, nlookup);
    }

    @Override
    public CompletionStage<Entry> lookup(Request req, long parent, String name) {
        return adapter.lookup(req, parent, name);
    }

    @Override
    public CompletionStage<Entry> lookupNode(Request req, long nodeId) {
        return adapter.lookupNode(req, nodeId);
    }

    @Override
    public CompletionStage<Entry> lookupParent(Request req, long nodeId) {
        return adapter.lookupParent(req, nodeId);
    }

    @Override
    public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        return adapter.getattr(req, nodeId, fh);
    }

    @Override
    public CompletionStage<AttrReply> setattr(Request req, long nodeId, SetAttr changes) {
        return adapter.setattr(req, nodeId, changes);
    }

    @Override
    public CompletionStage<String> readlink(Request req, long nodeId) {
        return adapter.readlink(req, nodeId);
    }

    @Override
    public CompletionStage<Entry> mknod(Request req, long parent, String name, int mode, int umask, int rdev) {
        return adapter.mknod(req, parent, name, mode, umask, rdev);
    }

    @Override
    public CompletionStage<Entry> mkdir(Request req, long parent, String name, int mode, int umask) {
        return adapter.mkdir(req, parent, name, mode, umask);
    }

    @Override
    public CompletionStage<Void> unlink(Request req, long parent, String name) {
        return adapter.unlink(req, parent, name);
    }

    @Override
    public CompletionStage<Void> rmdir(Request req, long parent, String name) {
        return adapter.rmdir(req, parent, name);
    }

    @Override
    public CompletionStage<Entry> symlink(Request req, long parent, String name, String target) {
        return adapter.symlink(req, parent, name, target);
    }

    @Override
    public CompletionStage<Void> rename(Request req, long parent, String name, long newParent, String newName,
            int flags) {
        return adapter.rename(req, parent, name, newParent, newName, flags);
    }

    @Override
    public CompletionStage<Entry> link(Request req, long nodeId, long newParent, String newName) {
        return adapter.link(req, nodeId, newParent, newName);
    }

    @Override
    public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        return adapter.open(req, nodeId, flags);
    }

    @Override
    public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
            long lockOwner) {
        return adapter.read(req, nodeId, fh, offset, size, flags, lockOwner);
    }

    @Override
    public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
            int writeFlags, int flags, long lockOwner) {
        return adapter.write(req, nodeId, fh, offset, data, writeFlags, flags, lockOwner);
    }

    @Override
    public CompletionStage<Void> flush(Request req, long nodeId, long fh, long lockOwner) {
        return adapter.flush(req, nodeId, fh, lockOwner);
    }

    @Override
    public CompletionStage<Void> release(Request req, long nodeId, long fh, int flags, int releaseFlags,
            long lockOwner) {
        return adapter.release(req, nodeId, fh, flags, releaseFlags, lockOwner);
    }

    @Override
    public CompletionStage<Void> fsync(Request req, long nodeId, long fh, boolean datasync) {
        return adapter.fsync(req, nodeId, fh, datasync);
    }

    @Override
    public CompletionStage<OpenReply> opendir(Request req, long nodeId, int flags) {
        return adapter.opendir(req, nodeId, flags);
    }

    @Override
    public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        return adapter.readdir(req, nodeId, fh, offset, listing);
    }

    @Override
    public CompletionStage<Void> readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        return adapter.readdirplus(req, nodeId, fh, offset, listing);
    }

    @Override
    public CompletionStage<Void> releasedir(Request req, long nodeId, long fh, int flags) {
        return adapter.releasedir(req, nodeId, fh, flags);
    }

    @Override
    public CompletionStage<Void> fsyncdir(Request req, long nodeId, long fh, boolean datasync) {
        return adapter.fsyncdir(req, nodeId, fh, datasync);
    }

    @Override
    public CompletionStage<FsStats> statfs(Request req, long nodeId) {
        return adapter.statfs(req, nodeId);
    }

    @Override
    public CompletionStage<Void> setxattr(Request req, long nodeId, String name, byte[] value, int flags,
            int setxattrFlags) {
        return adapter.setxattr(req, nodeId, name, value, flags, setxattrFlags);
    }

    @Override
    public CompletionStage<byte[]> getxattr(Request req, long nodeId, String name) {
        return adapter.getxattr(req, nodeId, name);
    }

    @Override
    public CompletionStage<List<String>> listxattr(Request req, long nodeId) {
        return adapter.listxattr(req, nodeId);
    }

    @Override
    public CompletionStage<Void> removexattr(Request req, long nodeId, String name) {
        return adapter.removexattr(req, nodeId, name);
    }

    @Override
    public CompletionStage<Void> access(Request req, long nodeId, int mask) {
        return adapter.access(req, nodeId, mask);
    }

    @Override
    public CompletionStage<CreateReply> create(Request req, long parent, String name, int mode, int umask, int flags) {
        return adapter.create(req, parent, name, mode, umask, flags);
    }

    @Override
    public CompletionStage<FileLock> getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) {
        return adapter.getlk(req, nodeId, fh, lockOwner, lock);
    }

    @Override
    public CompletionStage<Void> setlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock, boolean sleep,
            boolean flock) {
        return adapter.setlk(req, nodeId, fh, lockOwner, lock, sleep, flock);
    }

    @Override
    public CompletionStage<Long> bmap(Request req, long nodeId, int blocksize, long block) {
        return adapter.bmap(req, nodeId, blocksize, block);
    }

    @Override
    public CompletionStage<IoctlReply> ioctl(Request req, long nodeId, long fh, int flags, int cmd, long arg, byte[] in,
            int outSize) {
        return adapter.ioctl(req, nodeId, fh, flags, cmd, arg, in, outSize);
    }

    @Override
    public CompletionStage<Integer> poll(Request req, long nodeId, long fh, long kh, int flags, int events) {
        return adapter.poll(req, nodeId, fh, kh, flags, events);
    }

    @Override
    public CompletionStage<Void> fallocate(Request req, long nodeId, long fh, long offset, long length, int mode) {
        return adapter.fallocate(req, nodeId, fh, offset, length, mode);
    }

    @Override
    public CompletionStage<Long> lseek(Request req, long nodeId, long fh, long offset, int whence) {
        return adapter.lseek(req, nodeId, fh, offset, whence);
    }

    @Override
    public CompletionStage<Long> copyFileRange(Request req, long nodeIdIn, long fhIn, long offsetIn, long nodeIdOut,
            long fhOut, long offsetOut, long length, long flags) {
        return adapter.copyFileRange(req, nodeIdIn, fhIn, offsetIn, nodeIdOut, fhOut, offsetOut, length, flags);
    }

    @Override
    public CompletionStage<Void> syncfs(Request req, long nodeId) {
        return adapter.syncfs(req, nodeId);
    }

    @Override
    public CompletionStage<CreateReply> tmpfile(Request req, long parent, int mode, int umask, int flags) {
        return adapter.tmpfile(req, parent, mode, umask, flags);
    }

    @Override
    public CompletionStage<StatxReply> statx(Request req, long nodeId, OptionalLong fh, int flags, int mask) {
        return adapter.statx(req, nodeId, fh, flags, mask);
    }

    @Override
    public CompletionStage<Void> setupMapping(Request req, long nodeId, long fh, long fileOffset, long length,
            long flags, long windowOffset) {
        return adapter.setupMapping(req, nodeId, fh, fileOffset, length, flags, windowOffset);
    }

    @Override
    public CompletionStage<Void> removeMapping(Request req, long[] windowOffsets, long[] lengths) {
        return adapter.removeMapping(req, windowOffsets, lengths);
    }
}
