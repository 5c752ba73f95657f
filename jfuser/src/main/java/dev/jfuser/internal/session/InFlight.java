package dev.jfuser.internal.session;

import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileLock;
import dev.jfuser.FsStats;
import dev.jfuser.IoctlReply;
import dev.jfuser.Names;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.StatxReply;
import dev.jfuser.internal.transport.ReplyChannel;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import dev.jfuser.protocol.ReplyEncoder;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;

/**
 * One request between its arrival and its reply: the reply-once object every handler path ends in.
 *
 * <p>Exactly one of the {@code reply*} / {@link #error} methods may run; a second call throws
 * {@link IllegalStateException} (a bug in the dispatch path, never the user's). Replies are encoded into a pooled
 * native {@link ReplyBuffer} and written with one writev; payloads already in native memory are not copied.
 *
 * <p>Hot-path allocation: the dispatcher records which reply a stage's value becomes ({@link #kind}, plus
 * {@link #aux}/{@link #auxObject} for the few replies that need a request argument), and this object itself is
 * the stage's completion callback, so answering a request allocates no lambdas. Structs are encoded straight
 * into the reply buffer by a switch, not through captured writers.
 */
final class InFlight implements BiConsumer<Object, Throwable> {
    private static final VarHandle ANSWERED;

    static {
        try {
            ANSWERED = MethodHandles.lookup().findVarHandle(InFlight.class, "answered", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // What a successful stage's value is answered with (see deliver).
    static final int EMPTY = 0;
    static final int ENTRY = 1;
    static final int ATTR = 2;
    static final int OPEN = 3;
    static final int CREATE = 4;
    static final int WRITE = 5;
    static final int STATFS = 6;
    static final int LOCK = 7;
    static final int U64 = 8;
    static final int POLL = 9;
    static final int STATX = 10;
    static final int DATA = 11;
    static final int READLINK = 12;
    static final int XATTR = 13;
    static final int XATTR_LIST = 14;
    static final int IOCTL = 15;
    static final int DIRECTORY = 16;
    static final int COPY_RANGE = 17;

    final Session session;
    final ReplyChannel channel;
    final long unique;
    final Opcode opcode;
    final Request request;
    /** Whether the session counts this request in flight (false for replies it sends on its own). */
    final boolean tracked;
    /** The stage the filesystem returned; cancelled on INTERRUPT. */
    private volatile CompletionStage<?> stage;
    /** Set by INTERRUPT; read by {@link #attach} in case the interrupt overtook the filesystem's return. */
    private volatile boolean interrupted;
    /** A request buffer this request holds (WRITE payload), returned to the pool once answered. */
    MemorySegment heldBuffer;
    /** The reply buffer a READDIR listing is written into, after the header's room. */
    ReplyBuffer listingBuffer;
    /** The reply a successful stage becomes, and the request arguments that reply needs. */
    int kind;
    int aux;
    Object auxObject;
    /** Chains requests in a bucket of the session's {@link InFlightTable}; guarded by the bucket's stripe. */
    InFlight nextInTable;
    @SuppressWarnings("unused") // accessed through ANSWERED
    private volatile int answered;

    InFlight(Session session, ReplyChannel channel, long unique, Opcode opcode, Request request, boolean tracked) {
        this.session = session;
        this.tracked = tracked;
        this.channel = channel;
        this.unique = unique;
        this.opcode = opcode;
        this.request = request;
    }

    boolean isAnswered() {
        return answered != 0;
    }

    /**
     * Interrupts the request: marks its {@link Request} and cancels the filesystem's stage, which answers EINTR
     * through the stage's own completion. Runs on a reader thread, so it must not block.
     *
     * <p>The INTERRUPT may arrive (on another reader) before the filesystem method has returned its stage; then
     * {@link #attach} does the cancelling. Both sides write their volatile field before reading the other's, so
     * at least one of them sees both and cancels (a second cancel is harmless).
     */
    void interrupt() {
        request.markInterrupted();
        interrupted = true;
        CompletionStage<?> s = stage;
        if (s != null) {
            cancel(s);
        }
    }

    /** Records the stage the filesystem returned for this request; cancels it at once if already interrupted. */
    void attach(CompletionStage<?> s) {
        stage = s;
        if (interrupted) {
            cancel(s);
        }
    }

    /**
     * Cancels a stage. A {@link Future} (every {@link java.util.concurrent.CompletableFuture}) is cancelled, which
     * completes it with a {@code CancellationException} answered as EINTR. A stage that cannot be cancelled (not a
     * {@code Future}, or one whose {@code cancel} is unsupported, like {@code minimalCompletionStage()}) would
     * otherwise hold its in-flight slot until it completes, possibly never: answer EINTR now and drop its late
     * result.
     */
    private void cancel(CompletionStage<?> s) {
        if (s instanceof Future<?> f) {
            try {
                f.cancel(true);
                return;
            } catch (UnsupportedOperationException notCancellable) {
                // fall through: answer it ourselves
            }
        }
        if (!isAnswered()) {
            try {
                error(Errno.EINTR);
            } catch (IllegalStateException raced) {
                // the stage completed meanwhile and its answer went out first
            }
        }
    }

    private void claim() {
        if (!ANSWERED.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("request " + unique + " (" + opcode + ") was already answered");
        }
    }

    /** The stage's completion: answers with its value as {@link #kind} says, or with its failure's errno. */
    @Override
    public void accept(Object value, Throwable failure) {
        if (failure != null) {
            fail(failure);
        } else if (value == null && kind != EMPTY && kind != DIRECTORY) {
            fail(new NullPointerException("the filesystem answered " + opcode + " with null"));
        } else if (!isAnswered()) {
            try {
                deliver(value);
            } catch (IllegalStateException alreadyAnswered) {
                // answered concurrently (the session failing it at shutdown)
            }
        }
    }

    /** Answers with a successful value of the type {@link #kind} names. */
    void deliver(Object v) {
        switch (kind) {
            case EMPTY -> replyEmpty();
            case ENTRY -> replyEntry((Entry) v);
            case ATTR -> replyAttr((AttrReply) v);
            case OPEN -> replyOpen((OpenReply) v);
            case CREATE -> replyCreate((CreateReply) v);
            case WRITE -> replyWrite((Integer) v);
            case STATFS -> replyStatfs((FsStats) v);
            case LOCK -> replyLock((FileLock) v);
            case U64 -> replyU64((Long) v);
            case POLL -> replyPoll((Integer) v);
            case STATX -> replyStatx((StatxReply) v);
            case DATA -> replyData((ReadData) v);
            case READLINK -> replyReadlink((String) v);
            case XATTR -> replyXattr((byte[]) v, aux);
            case XATTR_LIST -> replyXattrList(castList(v), aux);
            case IOCTL -> replyIoctl((IoctlReply) v, aux);
            case DIRECTORY -> replyDirectory((DirectoryListing) auxObject);
            case COPY_RANGE -> {
                long n = (Long) v;
                if (aux != 0) {
                    replyU64(n);
                } else {
                    // COPY_FILE_RANGE answers with fuse_write_out: a 32-bit count
                    replyWrite((int) Math.min(n, 0xffff_f000L));
                }
            }
            default -> throw new IllegalStateException("unknown reply kind " + kind);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object v) {
        return (List<String>) v;
    }

    /** Answers a failure: its errno if expected, else EIO after logging it. Ignored once answered. */
    void fail(Throwable failure) {
        Throwable t = ErrnoMapper.unwrap(failure);
        Errno errno = ErrnoMapper.expected(t);
        if (errno == null) {
            session.log(System.Logger.Level.ERROR, opcode + " request " + unique + " on node "
                    + request.nodeId() + " failed; answering EIO", t);
            errno = Errno.EIO;
        }
        if (isAnswered()) {
            return;
        }
        try {
            error(errno);
        } catch (IllegalStateException raced) {
            // answered concurrently (e.g. the session failing it at shutdown)
        }
    }

    /** Answers with an error. */
    void error(Errno errno) {
        claim();
        sendError(errno);
    }

    private void sendError(Errno errno) {
        ReplyBuffer b = session.replyBuffers.take();
        try {
            ReplyEncoder.header(b.bytes, Abi.OUT_HEADER_SIZE, -errno.code(), unique);
            send(b, Abi.OUT_HEADER_SIZE, null, 0, errno);
        } finally {
            session.replyBuffers.give(b);
        }
    }

    /** Answers success with no body (unlink, release, fsync…). */
    void replyEmpty() {
        claim();
        finish(session.replyBuffers.take(), 0, null);
    }

    void replyEntry(Entry e) {
        ReplyBuffer b = begin();
        try {
            ReplyEncoder.entryOut(b.bytes, Abi.OUT_HEADER_SIZE, e.nodeId(), e.generation(), e.entryTimeout(),
                    e.attrTimeout(), e.attr());
        } catch (RuntimeException x) {
            unencodable(b, x);
            return;
        }
        finish(b, ReplyEncoder.entryOutSize(session.minor()), null);
    }

    void replyAttr(AttrReply a) {
        ReplyBuffer b = begin();
        try {
            ReplyEncoder.attrOut(b.bytes, Abi.OUT_HEADER_SIZE, a.timeout(), a.attr());
        } catch (RuntimeException x) {
            unencodable(b, x);
            return;
        }
        finish(b, ReplyEncoder.attrOutSize(session.minor()), null);
    }

    void replyOpen(OpenReply o) {
        ReplyBuffer b = begin();
        ReplyEncoder.openOut(b.bytes, Abi.OUT_HEADER_SIZE, o.fh(), o.flags(), o.backingId());
        finish(b, Abi.OPEN_OUT_SIZE, null);
    }

    void replyCreate(CreateReply c) {
        Entry e = c.entry();
        OpenReply o = c.open();
        int entrySize = ReplyEncoder.entryOutSize(session.minor());
        ReplyBuffer b = begin();
        try {
            ReplyEncoder.entryOut(b.bytes, Abi.OUT_HEADER_SIZE, e.nodeId(), e.generation(), e.entryTimeout(),
                    e.attrTimeout(), e.attr());
            ReplyEncoder.openOut(b.bytes, Abi.OUT_HEADER_SIZE + entrySize, o.fh(), o.flags(), o.backingId());
        } catch (RuntimeException x) {
            unencodable(b, x);
            return;
        }
        finish(b, entrySize + Abi.OPEN_OUT_SIZE, null);
    }

    void replyWrite(int count) {
        ReplyBuffer b = begin();
        ReplyEncoder.writeOut(b.bytes, Abi.OUT_HEADER_SIZE, count);
        finish(b, 8, null);
    }

    void replyStatfs(FsStats s) {
        int minor = session.minor();
        ReplyBuffer b = begin();
        int size = ReplyEncoder.statfsOut(b.bytes, Abi.OUT_HEADER_SIZE, minor, s);
        finish(b, size, null);
    }

    void replyLock(FileLock l) {
        ReplyBuffer b = begin();
        ReplyEncoder.lkOut(b.bytes, Abi.OUT_HEADER_SIZE, l);
        finish(b, Abi.LK_OUT_SIZE, null);
    }

    void replyU64(long v) {
        ReplyBuffer b = begin();
        ReplyEncoder.u64Out(b.bytes, Abi.OUT_HEADER_SIZE, v);
        finish(b, 8, null);
    }

    void replyPoll(int revents) {
        ReplyBuffer b = begin();
        ReplyEncoder.pollOut(b.bytes, Abi.OUT_HEADER_SIZE, revents);
        finish(b, 8, null);
    }

    void replyStatx(StatxReply s) {
        ReplyBuffer b = begin();
        try {
            ReplyEncoder.statxOut(b.bytes, Abi.OUT_HEADER_SIZE, s.timeout(), s.mask(), s.attr(), s.btime(),
                    s.attributes(), s.attributesMask());
        } catch (RuntimeException x) {
            unencodable(b, x);
            return;
        }
        finish(b, Abi.STATX_OUT_SIZE, null);
    }

    /** Answers getxattr: the size when probed ({@code size == 0}), ERANGE if too small, else the value. */
    void replyXattr(byte[] value, int size) {
        if (size == 0) {
            ReplyBuffer b = begin();
            ReplyEncoder.getxattrOut(b.bytes, Abi.OUT_HEADER_SIZE, value.length);
            finish(b, 8, null);
        } else if (value.length > size) {
            error(Errno.ERANGE);
        } else {
            replyData(MemorySegment.ofArray(value));
        }
    }

    /** Answers listxattr: names NUL-terminated back to back, with the same probing rules as getxattr. */
    void replyXattrList(List<String> names, int size) {
        byte[][] encoded = new byte[names.size()][];
        int total = 0;
        try {
            for (int i = 0; i < encoded.length; i++) {
                encoded[i] = Names.bytes(names.get(i));
                total += encoded[i].length + 1;
            }
        } catch (IllegalArgumentException notAName) {
            fail(new IllegalArgumentException("listxattr answered with a name that has no bytes", notAName));
            return;
        }
        byte[] list = new byte[total];
        int p = 0;
        for (byte[] b : encoded) {
            System.arraycopy(b, 0, list, p, b.length);
            p += b.length + 1;
        }
        replyXattr(list, size);
    }

    void replyIoctl(IoctlReply r, int outSize) {
        byte[] out = r.out();
        if (out.length > outSize) {
            error(Errno.EINVAL);
            return;
        }
        ReplyBuffer b = begin();
        ReplyEncoder.ioctlOut(b.bytes, Abi.OUT_HEADER_SIZE, r.result());
        finish(b, 16, MemorySegment.ofArray(out));
    }

    /** Answers a read, or readlink and friends: the bytes follow the header directly. */
    void replyData(MemorySegment data) {
        claim();
        finish(session.replyBuffers.take(), 0, data);
    }

    void replyData(ReadData data) {
        replyData(data.segment());
    }

    void replyDirectory(DirectoryListing listing) {
        ReplyBuffer listed = listingBuffer;
        if (listed != null) {
            // The entries already sit after the header in this buffer. It goes back to the pool only here, after
            // success: on a failure the filesystem may still be writing into it (an interrupted async listing),
            // so it is dropped and the GC frees it.
            listingBuffer = null;
            claim();
            finish(listed, listing.encodedLength(), null);
            return;
        }
        claim();
        ReplyBuffer b = session.replyBuffers.take();
        finish(b, 0, MemorySegment.ofBuffer(listing.encoded()));
    }

    void replyReadlink(String target) {
        byte[] bytes;
        try {
            bytes = Names.bytes(target);
        } catch (IllegalArgumentException notATarget) {
            fail(new IllegalArgumentException("readlink answered with a target that has no bytes", notATarget));
            return;
        }
        replyData(MemorySegment.ofArray(bytes));
    }

    /** Writes the struct produced by {@code writer} ({@code size} bytes) after the header (rare replies). */
    void replyStruct(int size, StructWriter writer) {
        ReplyBuffer b = begin();
        try {
            writer.write(b.bytes, Abi.OUT_HEADER_SIZE);
        } catch (RuntimeException x) {
            unencodable(b, x);
            return;
        }
        finish(b, size, null);
    }

    /** Claims the answer and takes a reply buffer; the struct goes at {@link Abi#OUT_HEADER_SIZE}. */
    private ReplyBuffer begin() {
        claim();
        return session.replyBuffers.take();
    }

    /** A reply that could not be encoded (a bug in the filesystem's answer) still answers the request: EIO. */
    private void unencodable(ReplyBuffer b, RuntimeException e) {
        session.replyBuffers.give(b);
        session.log(System.Logger.Level.ERROR, "could not encode the reply to request " + unique + " (" + opcode
                + "); answering EIO", e);
        sendError(Errno.EIO);
    }

    /** Sends the header, the {@code structSize}-byte struct already in {@code b}, and {@code data}; gives b back. */
    private void finish(ReplyBuffer b, int structSize, MemorySegment data) {
        boolean sent = false;
        try {
            int head = Abi.OUT_HEADER_SIZE + structSize;
            long dataLen = data == null ? 0 : data.byteSize();
            long total = head + dataLen;
            if (total > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("reply of " + total + " bytes is too large");
            }
            ReplyEncoder.header(b.bytes, (int) total, 0, unique);
            if (dataLen == 0) {
                send(b, head, null, 0, null);
            } else if (data.isNative()) {
                // zero copy: the payload goes out from where the filesystem holds it
                send(b, head, data, dataLen, null);
            } else if (head + dataLen <= ReplyBuffer.SIZE) {
                MemorySegment.copy(data, 0, b.segment, head, dataLen);
                send(b, (int) total, null, 0, null);
            } else {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment copy = arena.allocate(dataLen, 8);
                    MemorySegment.copy(data, 0, copy, 0, dataLen);
                    send(b, head, copy, dataLen, null);
                }
            }
            sent = true;
        } catch (RuntimeException e) {
            // An unencodable answer (e.g. a reply larger than the kernel can take) must still answer the request.
            session.log(System.Logger.Level.ERROR, "could not encode the reply to request " + unique + " (" + opcode
                    + "); answering EIO", e);
        } finally {
            session.replyBuffers.give(b);
        }
        if (!sent) {
            sendError(Errno.EIO);
        }
    }

    private void send(ReplyBuffer b, int headLength, MemorySegment data, long dataLength, Errno error) {
        long total = headLength + dataLength;
        session.debug.reply(unique, opcode, error, total);
        try {
            channel.send(b.iovecs, b.segment, headLength, data, dataLength);
        } catch (IOException e) {
            session.log(System.Logger.Level.WARNING, "could not send the reply to request " + unique + " ("
                    + opcode + "): " + e.getMessage(), null);
        } finally {
            session.finished(this);
        }
    }

    /** Writes a reply struct at an absolute position and returns its length. */
    @FunctionalInterface
    interface StructWriter {
        int write(ByteBuffer buf, int position);
    }
}
