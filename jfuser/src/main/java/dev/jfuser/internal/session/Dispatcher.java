package dev.jfuser.internal.session;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Errno;
import dev.jfuser.FileLock;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import dev.jfuser.protocol.Operation;
import java.time.Instant;
import java.util.EnumSet;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The one dispatch path: turns a decoded operation into a call on an {@link AsyncFilesystem} and its completed
 * stage into the reply. The blocking {@code Filesystem} reaches this path through {@link BlockingAdapter}.
 */
final class Dispatcher {
    /** A method taking longer than this to return its stage is blocking its reader thread. */
    private static final long SLOW_CALL_NANOS = 100_000_000;

    /** The answer to an operation not implemented; shared, as FLUSH left to its default comes on every close. */
    private static final FuseException NOT_IMPLEMENTED = new FuseException(Errno.ENOSYS);

    private final AsyncFilesystem fs;
    private final java.util.Set<Opcode> slowWarned = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** FLUSH, FSYNC, FSYNCDIR left to their default: answered ENOSYS, which the kernel takes as success. */
    private final Set<Opcode> answeredNotImplemented;

    /**
     * Whether EXPORT_SUPPORT was negotiated: only then does the kernel send LOOKUP of "." and "..", and only then
     * are they routed to lookupNode and lookupParent. Set at INIT, before the first other request is read.
     */
    private volatile boolean exportSupport;

    Dispatcher(AsyncFilesystem fs) {
        this.fs = fs;
        Set<Opcode> skip = EnumSet.noneOf(Opcode.class);
        for (Opcode op : DefaultMethods.of(fs)) {
            if (op.enosysMeansSuccess()) {
                skip.add(op);
            }
        }
        this.answeredNotImplemented = skip;
    }

    /** Records the INIT flags agreed with the kernel. */
    void negotiated(long flags) {
        this.exportSupport = (flags & Abi.EXPORT_SUPPORT) != 0;
    }

    /**
     * Starts the operation; the reply is sent whenever its stage completes. Never throws. Every path ends in
     * {@link InFlight#accept} exactly once, which answers and then records that the filesystem is done with the
     * request (so its buffers may be reused and destroy may run).
     */
    void dispatch(Operation op, InFlight r) {
        if (r.opcode != null && answeredNotImplemented.contains(r.opcode)) {
            // The kernel reports success to the caller and stops sending this operation for the mount.
            r.accept(null, NOT_IMPLEMENTED);
            return;
        }
        Request q = r.request;
        long node = q.nodeId();
        CompletionStage<?> s;
        long began = System.nanoTime();
        try {
            switch (op) {
                case Operation.Lookup o -> {
                    r.kind = InFlight.ENTRY;
                    String name = o.name();
                    // The kernel's export operations: "." decodes a handle by node id, ".." finds a parent.
                    if (exportSupport && name.equals(".")) {
                        s = fs.lookupNode(q, node);
                    } else if (exportSupport && name.equals("..")) {
                        s = fs.lookupParent(q, node);
                    } else {
                        s = fs.lookup(q, node, name);
                    }
                }
                case Operation.Getattr o -> {
                    r.kind = InFlight.ATTR;
                    s = fs.getattr(q, node, fh(o.flags(), o.fh()));
                }
                case Operation.Setattr o -> {
                    r.kind = InFlight.ATTR;
                    s = fs.setattr(q, node, setAttr(o));
                }
                case Operation.Readlink o -> {
                    r.kind = InFlight.READLINK;
                    s = fs.readlink(q, node);
                }
                case Operation.Symlink o -> {
                    r.kind = InFlight.ENTRY;
                    s = fs.symlink(q, node, o.name(), o.target());
                }
                case Operation.Mknod o -> {
                    r.kind = InFlight.ENTRY;
                    s = fs.mknod(q, node, o.name(), o.mode(), o.umask(), o.rdev());
                }
                case Operation.Mkdir o -> {
                    r.kind = InFlight.ENTRY;
                    s = fs.mkdir(q, node, o.name(), o.mode(), o.umask());
                }
                case Operation.Unlink o -> s = fs.unlink(q, node, o.name());
                case Operation.Rmdir o -> s = fs.rmdir(q, node, o.name());
                case Operation.Rename o -> s = fs.rename(q, node, o.oldName(), o.newDir(), o.newName(), o.flags());
                case Operation.Link o -> {
                    r.kind = InFlight.ENTRY;
                    s = fs.link(q, o.oldNodeId(), node, o.newName());
                }
                case Operation.Open o -> {
                    r.kind = InFlight.OPEN;
                    s = fs.open(q, node, o.flags());
                }
                case Operation.Read o -> {
                    r.kind = InFlight.DATA;
                    r.aux = o.size();
                    s = fs.read(q, node, o.fh(), o.offset(), o.size(), o.flags(),
                            (o.readFlags() & Abi.READ_LOCKOWNER) != 0 ? o.lockOwner() : 0);
                }
                case Operation.Write o -> {
                    r.kind = InFlight.WRITE;
                    r.aux = o.data().remaining();
                    s = fs.write(q, node, o.fh(), o.offset(), o.data(), o.writeFlags(), o.flags(),
                            (o.writeFlags() & Abi.WRITE_LOCKOWNER) != 0 ? o.lockOwner() : 0);
                }
                case Operation.Statfs o -> {
                    r.kind = InFlight.STATFS;
                    s = fs.statfs(q, node);
                }
                case Operation.Release o -> s = fs.release(q, node, o.fh(), o.flags(), o.releaseFlags(),
                        o.lockOwner());
                case Operation.Fsync o -> s = fs.fsync(q, node, o.fh(), (o.fsyncFlags() & Abi.FSYNC_FDATASYNC) != 0);
                case Operation.Setxattr o -> s = fs.setxattr(q, node, o.name(), o.value(), o.flags(),
                        o.setxattrFlags());
                case Operation.Getxattr o -> {
                    r.kind = InFlight.XATTR;
                    r.aux = o.size();
                    s = fs.getxattr(q, node, o.name());
                }
                case Operation.Listxattr o -> {
                    r.kind = InFlight.XATTR_LIST;
                    r.aux = o.size();
                    s = fs.listxattr(q, node);
                }
                case Operation.Removexattr o -> s = fs.removexattr(q, node, o.name());
                case Operation.Flush o -> s = fs.flush(q, node, o.fh(), o.lockOwner());
                case Operation.Opendir o -> {
                    r.kind = InFlight.OPEN;
                    s = fs.opendir(q, node, o.flags());
                }
                case Operation.Readdir o -> {
                    DirectoryListing listing;
                    if (o.size() <= ReplyBuffer.SIZE - Abi.OUT_HEADER_SIZE) {
                        // Listed straight into the native buffer the reply goes out from, right after its header.
                        ReplyBuffer b = r.session.replyBuffers.take();
                        r.listingBuffer = b;
                        // The listing takes its own view of [position, limit); the buffer's is reset at once.
                        b.bytes.limit(Abi.OUT_HEADER_SIZE + o.size()).position(Abi.OUT_HEADER_SIZE);
                        listing = new DirectoryListing(b.bytes, o.plus());
                        b.bytes.clear();
                    } else {
                        listing = new DirectoryListing(o.size(), o.plus());
                    }
                    r.kind = InFlight.DIRECTORY;
                    r.auxObject = listing;
                    s = o.plus() ? fs.readdirplus(q, node, o.fh(), o.offset(), listing)
                            : fs.readdir(q, node, o.fh(), o.offset(), listing);
                }
                case Operation.Releasedir o -> s = fs.releasedir(q, node, o.fh(), o.flags());
                case Operation.Fsyncdir o -> s = fs.fsyncdir(q, node, o.fh(),
                        (o.fsyncFlags() & Abi.FSYNC_FDATASYNC) != 0);
                case Operation.Lk o -> {
                    FileLock lock = new FileLock(o.start(), o.end(), o.type(), o.pid());
                    boolean flock = (o.lkFlags() & Abi.LK_FLOCK) != 0;
                    if (q.opcode() == dev.jfuser.protocol.Opcode.GETLK) {
                        r.kind = InFlight.LOCK;
                        s = fs.getlk(q, node, o.fh(), o.owner(), lock);
                    } else {
                        s = fs.setlk(q, node, o.fh(), o.owner(), lock, o.sleep(), flock);
                    }
                }
                case Operation.Access o -> s = fs.access(q, node, o.mask());
                case Operation.Create o -> {
                    r.kind = InFlight.CREATE;
                    s = fs.create(q, node, o.name(), o.mode(), o.umask(), o.flags());
                }
                case Operation.Tmpfile o -> {
                    r.kind = InFlight.CREATE;
                    s = fs.tmpfile(q, node, o.mode(), o.umask(), o.flags());
                }
                case Operation.Bmap o -> {
                    r.kind = InFlight.U64;
                    s = fs.bmap(q, node, o.blocksize(), o.block());
                }
                case Operation.Ioctl o -> {
                    r.kind = InFlight.IOCTL;
                    r.aux = o.outSize();
                    s = fs.ioctl(q, node, o.fh(), o.flags(), o.cmd(), o.arg(), o.in(), o.outSize());
                }
                case Operation.Poll o -> {
                    r.kind = InFlight.POLL;
                    s = fs.poll(q, node, o.fh(), o.kh(), o.flags(), o.events());
                }
                case Operation.Fallocate o -> s = fs.fallocate(q, node, o.fh(), o.offset(), o.length(), o.mode());
                case Operation.Lseek o -> {
                    r.kind = InFlight.U64;
                    s = fs.lseek(q, node, o.fh(), o.offset(), o.whence());
                }
                case Operation.CopyFileRange o -> {
                    r.kind = InFlight.COPY_RANGE;
                    r.aux = o.wide() ? 1 : 0;
                    s = fs.copyFileRange(q, node, o.fhIn(), o.offIn(), o.nodeIdOut(), o.fhOut(), o.offOut(),
                            o.len(), o.flags());
                }
                case Operation.SetupMapping o -> s = fs.setupMapping(q, node, o.fh(), o.foffset(), o.len(),
                        o.flags(), o.moffset());
                case Operation.RemoveMapping o -> s = fs.removeMapping(q, o.moffsets(), o.lens());
                case Operation.Syncfs o -> s = fs.syncfs(q, node);
                case Operation.Statx o -> {
                    r.kind = InFlight.STATX;
                    s = fs.statx(q, node, fh(o.getattrFlags(), o.fh()), o.sxFlags(), o.sxMask());
                }
                // handled by the session before dispatch; answered here only if one slips through
                case Operation.Forget o -> s = CompletableFuture.failedFuture(NOT_IMPLEMENTED);
                case Operation.BatchForget o -> s = CompletableFuture.failedFuture(NOT_IMPLEMENTED);
                case Operation.Init o -> s = CompletableFuture.failedFuture(new FuseException(Errno.EIO));
                case Operation.Destroy o -> s = CompletableFuture.completedFuture(null);
                case Operation.Interrupt o -> s = CompletableFuture.failedFuture(NOT_IMPLEMENTED);
                case Operation.NotifyReply o -> s = CompletableFuture.failedFuture(NOT_IMPLEMENTED);
                case Operation.Unknown o -> s = CompletableFuture.failedFuture(NOT_IMPLEMENTED);
            }
        } catch (Throwable t) {
            r.accept(null, t);
            return;
        } finally {
            noticeSlowCall(r, System.nanoTime() - began);
        }
        complete(r, s);
    }

    /**
     * An {@link AsyncFilesystem} method runs on a reader thread: while it blocks, that reader reads nothing, not
     * even the INTERRUPT that would cancel it. Say so once per opcode, naming the method, so the mistake is found
     * in development rather than as a mysteriously slow mount.
     */
    private void noticeSlowCall(InFlight r, long nanos) {
        // A BlockingAdapter only starts a virtual thread (or runs an inline method on purpose).
        if (nanos < SLOW_CALL_NANOS || fs instanceof BlockingAdapter || r.opcode == null
                || !slowWarned.add(r.opcode)) {
            return;
        }
        r.session.log(System.Logger.Level.WARNING, fs.getClass().getName() + " took " + nanos / 1_000_000
                + " ms to return the stage for " + r.opcode + " on reader thread " + Thread.currentThread().getName()
                + "; AsyncFilesystem methods must start their work and return without blocking (see the "
                + "AsyncFilesystem documentation)", null);
    }

    /**
     * Replies once {@code stage} completes. A stage that is already complete (an async filesystem that knew the
     * answer at once) is answered right here, without registering a callback or creating a dependent stage.
     */
    private static void complete(InFlight r, CompletionStage<?> stage) {
        if (stage == null) {
            r.accept(null, new NullPointerException("the filesystem returned a null stage for " + r.opcode));
            return;
        }
        // Exact class only: subclasses such as minimalCompletionStage() throw from isDone()/state().
        if (stage.getClass() == CompletableFuture.class && ((CompletableFuture<?>) stage).isDone()) {
            CompletableFuture<?> f = (CompletableFuture<?>) stage;
            switch (f.state()) {
                case SUCCESS -> r.accept(f.resultNow(), null);
                case FAILED -> r.accept(null, f.exceptionNow());
                default -> r.accept(null, new CancellationException("the filesystem's stage was cancelled"));
            }
            return;
        }
        r.attach(stage);
        stage.whenComplete(r);
    }

    private static OptionalLong fh(int flags, long fh) {
        return (flags & Abi.GETATTR_FH) != 0 ? OptionalLong.of(fh) : OptionalLong.empty();
    }

    static SetAttr setAttr(Operation.Setattr o) {
        int v = o.valid();
        Instant now = (v & (Abi.FATTR_ATIME_NOW | Abi.FATTR_MTIME_NOW)) != 0 ? Instant.now() : null;
        Instant atime = null;
        if ((v & Abi.FATTR_ATIME) != 0) {
            atime = (v & Abi.FATTR_ATIME_NOW) != 0 ? now : time(o.atime(), o.atimeNsec());
        }
        Instant mtime = null;
        if ((v & Abi.FATTR_MTIME) != 0) {
            mtime = (v & Abi.FATTR_MTIME_NOW) != 0 ? now : time(o.mtime(), o.mtimeNsec());
        }
        return new SetAttr(
                (v & Abi.FATTR_MODE) != 0 ? o.mode() : null,
                (v & Abi.FATTR_UID) != 0 ? o.uid() : null,
                (v & Abi.FATTR_GID) != 0 ? o.gid() : null,
                (v & Abi.FATTR_SIZE) != 0 ? o.size() : null,
                atime, (v & Abi.FATTR_ATIME_NOW) != 0,
                mtime, (v & Abi.FATTR_MTIME_NOW) != 0,
                (v & Abi.FATTR_CTIME) != 0 ? time(o.ctime(), o.ctimeNsec()) : null,
                (v & Abi.FATTR_FH) != 0 ? o.fh() : null,
                (v & Abi.FATTR_LOCKOWNER) != 0 ? o.lockOwner() : null,
                (v & Abi.FATTR_KILL_SUIDGID) != 0);
    }

    private static final long MIN_SECOND = Instant.MIN.getEpochSecond();
    private static final long MAX_SECOND = Instant.MAX.getEpochSecond();
    private static final long NANOS = 1_000_000_000L;

    /**
     * A time of the wire as an {@link Instant}, for every value the kernel may send: utimensat takes any 64-bit
     * seconds, {@code Instant} ends at about ±10^9 years. Beyond its range the time clamps to its first or last
     * whole second, with 0 ns, which is what the kernel's {@code timestamp_truncate} does at the limits of a
     * filesystem's time range. Nanoseconds are a u32 the kernel keeps below 10^9; larger ones carry into seconds.
     */
    static Instant time(long seconds, int nanosU32) {
        long nanos = Integer.toUnsignedLong(nanosU32);
        long sec = seconds;
        if (nanos >= NANOS) {
            long carry = nanos / NANOS;
            nanos %= NANOS;
            sec = sec > Long.MAX_VALUE - carry ? Long.MAX_VALUE : sec + carry;
        }
        if (sec > MAX_SECOND) {
            return Instant.ofEpochSecond(MAX_SECOND);
        }
        if (sec < MIN_SECOND) {
            return Instant.ofEpochSecond(MIN_SECOND);
        }
        return Instant.ofEpochSecond(sec, nanos);
    }
}
