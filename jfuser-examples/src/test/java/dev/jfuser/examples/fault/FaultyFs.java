package dev.jfuser.examples.fault;

import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Filesystem;
import dev.jfuser.FsStats;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.examples.memfs.MemFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A memfs whose files misbehave on purpose, chosen by the prefix of their name, so each fault case picks its fault
 * by the file it touches (in the test JVM or in a child JVM that only gets a command line):
 *
 * <ul>
 *   <li>{@code throw-*}: read, write and listxattr throw an unchecked exception (a bug in the filesystem);
 *   <li>{@code null-*}: read, listxattr and getxattr return null;
 *   <li>{@code badxattr-*}: listxattr returns a list holding a null name (a value no reply can encode);
 *   <li>{@code slow-*}: read and write sleep {@value #SLOW_MILLIS} ms first (interruptibly), so a client is always
 *       in the middle of a request;
 *   <li>{@code block-*}: read and write block until interrupted (an INTERRUPT from the kernel ends them);
 *   <li>{@code stuck-*}: read and write block and ignore interrupts until {@link #release()} (a wedged handler);
 *   <li>{@code hog-*}: write allocates until the heap is gone, then lets go and answers what the error made of it.
 * </ul>
 *
 * Everything else is memfs, so data written outside the faulty files can be checked afterwards.
 */
public final class FaultyFs implements Filesystem {
    /** How long a {@code slow-} read or write waits. */
    public static final int SLOW_MILLIS = 100;

    enum Fault { NONE, THROW, NULL, BADXATTR, SLOW, BLOCK, STUCK, HOG }

    private final MemFs fs;
    private final Map<Long, Fault> faults = new ConcurrentHashMap<>();
    private final CountDownLatch released = new CountDownLatch(1);
    /** Handlers currently inside a {@code block-} or {@code stuck-} call. */
    private final AtomicInteger blocked = new AtomicInteger();
    /** Faulty calls entered so far. */
    private final AtomicInteger entered = new AtomicInteger();

    public FaultyFs() throws IOException {
        this(new MemFs(MemFs.Options.defaults().withSizeLimit(256L << 20)));
    }

    public FaultyFs(MemFs fs) {
        this.fs = fs;
    }

    /** The memfs behind the faults. */
    public MemFs memfs() {
        return fs;
    }

    /** Lets every {@code stuck-} handler return (with EIO); later ones return at once. */
    public void release() {
        released.countDown();
    }

    /** Handlers now waiting in a {@code block-} or {@code stuck-} file. */
    public int blockedHandlers() {
        return blocked.get();
    }

    /** Faulty calls entered so far. */
    public int faultyCalls() {
        return entered.get();
    }

    static Fault faultOf(String name) {
        int dash = name.indexOf('-');
        if (dash <= 0) {
            return Fault.NONE;
        }
        return switch (name.substring(0, dash)) {
            case "throw" -> Fault.THROW;
            case "null" -> Fault.NULL;
            case "badxattr" -> Fault.BADXATTR;
            case "slow" -> Fault.SLOW;
            case "block" -> Fault.BLOCK;
            case "stuck" -> Fault.STUCK;
            case "hog" -> Fault.HOG;
            default -> Fault.NONE;
        };
    }

    private Entry note(Entry e, String name) {
        Fault f = faultOf(name);
        if (f != Fault.NONE && e.nodeId() != 0) {
            faults.put(e.nodeId(), f);
        }
        return e;
    }

    private Fault fault(long node) {
        return faults.getOrDefault(node, Fault.NONE);
    }

    /** Applies the read/write faults that happen before (or instead of) the real call. */
    private void before(Fault f) throws IOException {
        if (f == Fault.NONE) {
            return;
        }
        entered.incrementAndGet();
        switch (f) {
            case THROW -> throw new IllegalStateException("injected fault: a bug in the filesystem");
            case SLOW -> sleep(SLOW_MILLIS);
            case BLOCK -> {
                blocked.incrementAndGet();
                try {
                    sleep(Long.MAX_VALUE);
                } finally {
                    blocked.decrementAndGet();
                }
            }
            case STUCK -> {
                blocked.incrementAndGet();
                try {
                    while (true) {
                        try {
                            released.await();
                            break;
                        } catch (InterruptedException ignored) {
                            // a wedged handler: deaf to interrupts
                        }
                    }
                } finally {
                    blocked.decrementAndGet();
                }
                throw new IOException("released after being stuck");
            }
            case HOG -> hog();
            default -> {
                // NULL, BADXATTR: handled by the caller
            }
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted by the kernel");
        }
    }

    /** Allocates until the heap is exhausted, then drops it all; the OutOfMemoryError goes to the session. */
    private static void hog() {
        List<long[]> hoard = new ArrayList<>();
        while (true) {
            hoard.add(new long[1 << 17]);
        }
    }

    @Override
    public void init(KernelConfig config) {
        fs.init(config);
    }

    @Override
    public void destroy() {
        release();
        fs.destroy();
    }

    @Override
    public Entry lookup(Request req, long parent, String name) throws IOException {
        return note(fs.lookup(req, parent, name), name);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        fs.forget(nodeId, nlookup);
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
        return fs.getattr(req, nodeId, fh);
    }

    @Override
    public AttrReply setattr(Request req, long nodeId, SetAttr changes) throws IOException {
        return fs.setattr(req, nodeId, changes);
    }

    @Override
    public Entry mkdir(Request req, long parent, String name, int mode, int umask) throws IOException {
        return note(fs.mkdir(req, parent, name, mode, umask), name);
    }

    @Override
    public Entry mknod(Request req, long parent, String name, int mode, int umask, int rdev) throws IOException {
        return note(fs.mknod(req, parent, name, mode, umask, rdev), name);
    }

    @Override
    public void unlink(Request req, long parent, String name) throws IOException {
        fs.unlink(req, parent, name);
    }

    @Override
    public void rmdir(Request req, long parent, String name) throws IOException {
        fs.rmdir(req, parent, name);
    }

    @Override
    public void rename(Request req, long parent, String name, long newParent, String newName, int flags)
            throws IOException {
        fs.rename(req, parent, name, newParent, newName, flags);
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws IOException {
        return fs.open(req, nodeId, flags);
    }

    @Override
    public CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        CreateReply r = fs.create(req, parent, name, mode, umask, flags);
        note(r.entry(), name);
        return r;
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
            throws IOException {
        Fault f = fault(nodeId);
        before(f == Fault.HOG ? Fault.NONE : f);
        return f == Fault.NULL ? null : fs.read(req, nodeId, fh, offset, size, flags, lockOwner);
    }

    @Override
    public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
            long lockOwner) throws IOException {
        Fault f = fault(nodeId);
        before(f == Fault.NULL || f == Fault.BADXATTR ? Fault.NONE : f);
        return fs.write(req, nodeId, fh, offset, data, writeFlags, flags, lockOwner);
    }

    @Override
    public void flush(Request req, long nodeId, long fh, long lockOwner) {
        fs.flush(req, nodeId, fh, lockOwner);
    }

    @Override
    public void release(Request req, long nodeId, long fh, int flags, int releaseFlags, long lockOwner) {
        fs.release(req, nodeId, fh, flags, releaseFlags, lockOwner);
    }

    @Override
    public void fsync(Request req, long nodeId, long fh, boolean datasync) {
        fs.fsync(req, nodeId, fh, datasync);
    }

    @Override
    public OpenReply opendir(Request req, long nodeId, int flags) throws IOException {
        return fs.opendir(req, nodeId, flags);
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        fs.readdir(req, nodeId, fh, offset, listing);
    }

    @Override
    public void readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        fs.readdirplus(req, nodeId, fh, offset, listing);
    }

    @Override
    public void releasedir(Request req, long nodeId, long fh, int flags) {
        fs.releasedir(req, nodeId, fh, flags);
    }

    @Override
    public FsStats statfs(Request req, long nodeId) {
        return fs.statfs(req, nodeId);
    }

    @Override
    public void access(Request req, long nodeId, int mask) throws IOException {
        fs.access(req, nodeId, mask);
    }

    @Override
    public void setxattr(Request req, long nodeId, String name, byte[] value, int flags, int setxattrFlags)
            throws IOException {
        fs.setxattr(req, nodeId, name, value, flags, setxattrFlags);
    }

    @Override
    public byte[] getxattr(Request req, long nodeId, String name) throws IOException {
        return fault(nodeId) == Fault.NULL ? null : fs.getxattr(req, nodeId, name);
    }

    @Override
    public List<String> listxattr(Request req, long nodeId) throws IOException {
        return switch (fault(nodeId)) {
            case THROW -> throw new IllegalStateException("injected fault: listxattr bug");
            case NULL -> null;
            case BADXATTR -> Arrays.asList("user.a", null);
            default -> fs.listxattr(req, nodeId);
        };
    }

    @Override
    public void removexattr(Request req, long nodeId, String name) throws IOException {
        fs.removexattr(req, nodeId, name);
    }
}
