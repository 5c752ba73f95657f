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
import java.util.concurrent.CancellationException;
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
    private static final VarHandle ENDS;
    /** The longest symlink target the kernel takes (PATH_MAX with its NUL). */
    private static final int PATH_MAX = 4096;
    /** The largest extended attribute value, and listxattr list, Linux handles (XATTR_SIZE_MAX). */
    static final int XATTR_SIZE_MAX = 65536;

    static {
        try {
            ANSWERED = MethodHandles.lookup().findVarHandle(InFlight.class, "answered", int.class);
            ENDS = MethodHandles.lookup().findVarHandle(InFlight.class, "ends", int.class);
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
    /**
     * The decoded operation while the request waits parked for an in-flight permit (null once dispatched). A
     * request answered while parked (EINTR, EIO) never held a permit, so none is given back for it.
     */
    volatile dev.jfuser.protocol.Operation parkedOperation;
    /**
     * A request buffer this request holds (WRITE payload, viewed by the filesystem): back to the pool only once
     * the request is answered and the filesystem is done with it, never while it may still hold the view.
     */
    MemorySegment heldBuffer;
    /**
     * Whether this WRITE holds one of the session's write-buffer permits (given back at its answer); false while it
     * waits for one with its buffer, not dispatched.
     */
    volatile boolean writePermit;
    /**
     * The reply buffer a READDIR listing is written into, after the header's room; it becomes the reply, or goes
     * back to the pool (or is freed) once the request is answered and the filesystem is done with the listing.
     */
    volatile ReplyBuffer listingBuffer;
    /**
     * Set for a WRITE whose payload lies in an io_uring entry's buffer: answering it commits the entry, which the
     * kernel then fills with another request while the handler may still read its view. An INTERRUPT therefore
     * only marks such a request, like a blocking one; its stage's own completion answers it.
     */
    boolean payloadInRing;
    /** Set just before this request cancels its stage (see {@link #accept}). */
    private volatile boolean cancelling;
    /**
     * Set when the stage completed by this request's own cancellation: the filesystem may still be working on
     * it, so the memory it was given is never reused.
     */
    volatile boolean abandoned;
    /** What {@link #encode} leaves besides the struct: a payload, or an errno the value answers with. */
    private MemorySegment payload;
    private Errno encodedError;
    /** The ends of a tracked request seen so far: its answer and its handler's end (see {@link #endOne}). */
    @SuppressWarnings("unused") // accessed through ENDS
    private volatile int ends;
    /** The reply a successful stage becomes, and the request arguments that reply needs. */
    int kind;
    int aux;
    Object auxObject;
    /** Chains requests in a bucket of the session's {@link InFlightTable}; guarded by the bucket's stripe. */
    InFlight nextInTable;
    @SuppressWarnings("unused") // accessed through ANSWERED
    private volatile int answered;
    /** When the request was read ({@link System#nanoTime}), for its latency in {@link SessionStats}. */
    private final long startNanos = System.nanoTime();
    /** The request's JFR event while a recording wants it, else null. */
    private final RequestEvent event = RequestEvent.beginIfEnabled();

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
     * through the stage's own completion (a blocking method's thread is interrupted instead); only marks it when
     * its payload lies in a ring entry ({@link #payloadInRing}). Runs on a reader thread, so it must not block.
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
        if (s instanceof BlockingAdapter.Call<?> call) {
            // A blocking method's call: cancelling interrupts its thread and answers nothing.
            call.cancel(true);
            return;
        }
        if (payloadInRing) {
            // Completing the stage here would commit the ring entry under a handler still reading its payload.
            return;
        }
        if (s instanceof Future<?> f) {
            try {
                // Set first: cancelling completes the stage, whose completion then runs on this thread.
                cancelling = true;
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

    /**
     * The stage's completion: answers with its value as {@link #kind} says, or with its failure's errno; then
     * records that the filesystem is done with the request. A completion by this request's own cancellation marks
     * the handler abandoned: it may still be running, so the memory it was given is never reused.
     */
    @Override
    public void accept(Object value, Throwable failure) {
        try {
            if (failure != null) {
                if (cancelling && ErrnoMapper.unwrap(failure) instanceof CancellationException) {
                    abandoned = true;
                }
                fail(failure);
            } else {
                deliver(value);
            }
        } catch (VirtualMachineError e) {
            // Thrown while answering (say, out of memory encoding the reply): a stage's callback would swallow it.
            session.fatal(e);
            throw e;
        } finally {
            handlerDone();
        }
    }

    /**
     * Records that the filesystem is done with this request: its method returned or threw, or its stage
     * completed. Called exactly once per dispatched request; buffers the filesystem was given are reused only
     * after this and the reply both happened.
     */
    void handlerDone() {
        session.handlerDone(this);
    }

    /** Counts one of the two ends of a tracked request (answered, handler done); true for the second. */
    boolean endOne() {
        return (int) ENDS.getAndAdd(this, 1) == 1;
    }

    /**
     * Answers with a successful value of the type {@link #kind} names. The value is encoded first, then the answer
     * is claimed and sent: a value that cannot be encoded (null where a record is expected, a null name, a count
     * larger than asked…) is answered EIO with one log line, whatever the reply kind. Ignored once answered.
     */
    void deliver(Object v) {
        if (isAnswered()) {
            return;
        }
        ReplyBuffer b = null;
        int structSize;
        try {
            if (v == null && kind != EMPTY && kind != DIRECTORY) {
                throw new Unencodable("the filesystem answered with null");
            }
            if (kind == DIRECTORY && listingBuffer != null) {
                // The entries already sit after the header in this buffer: it is the reply.
                b = listingBuffer;
                structSize = encodedLength((DirectoryListing) auxObject, b);
            } else {
                b = session.replyBuffers.take();
                structSize = encode(b, v);
            }
        } catch (Unencodable | RuntimeException e) {
            if (b != null && b != listingBuffer) {
                session.replyBuffers.give(b);
            }
            unencodable(e);
            return;
        }
        if (encodedError != null) {
            // The value answers with an errno (a getxattr buffer too small, an ioctl answer too large).
            session.replyBuffers.give(b);
            claimOrIgnore();
            return;
        }
        MemorySegment data = payload;
        payload = null;
        if (!tryClaim()) {
            if (b != listingBuffer) {
                session.replyBuffers.give(b);
            }
            return;
        }
        if (b == listingBuffer) {
            // Goes back to the pool after the send, like any reply buffer.
            listingBuffer = null;
        }
        finish(b, structSize, data);
    }

    /** Claims the answer for {@link #encodedError} and sends it; ignored if answered meanwhile. */
    private void claimOrIgnore() {
        if (tryClaim()) {
            sendError(encodedError);
        }
    }

    private boolean tryClaim() {
        return ANSWERED.compareAndSet(this, 0, 1);
    }

    /**
     * Encodes the value for {@link #kind} after the header in {@code b}; returns the struct's size. A payload to
     * send after the struct is left in {@link #payload}; a value that answers with an errno leaves it in
     * {@link #encodedError}.
     */
    private int encode(ReplyBuffer b, Object v) throws Unencodable {
        ByteBuffer out = b.bytes;
        int at = Abi.OUT_HEADER_SIZE;
        switch (kind) {
            case EMPTY -> {
                return 0;
            }
            case ENTRY -> {
                Entry e = as(v, Entry.class);
                if (e.nodeId() == 0 && opcode != Opcode.LOOKUP) {
                    throw new Unencodable("a negative entry (node id 0) answers only LOOKUP, not " + opcode);
                }
                ReplyEncoder.entryOut(out, at, e.nodeId(), e.generation(), e.entryTimeout(), e.attrTimeout(),
                        e.attr());
                return ReplyEncoder.entryOutSize(session.minor());
            }
            case ATTR -> {
                AttrReply a = as(v, AttrReply.class);
                ReplyEncoder.attrOut(out, at, a.timeout(), a.attr());
                return ReplyEncoder.attrOutSize(session.minor());
            }
            case OPEN -> {
                OpenReply o = as(v, OpenReply.class);
                ReplyEncoder.openOut(out, at, o.fh(), o.flags(), o.backingId());
                return Abi.OPEN_OUT_SIZE;
            }
            case CREATE -> {
                CreateReply c = as(v, CreateReply.class);
                Entry e = c.entry();
                OpenReply o = c.open();
                int entrySize = ReplyEncoder.entryOutSize(session.minor());
                ReplyEncoder.entryOut(out, at, e.nodeId(), e.generation(), e.entryTimeout(), e.attrTimeout(),
                        e.attr());
                ReplyEncoder.openOut(out, at + entrySize, o.fh(), o.flags(), o.backingId());
                return entrySize + Abi.OPEN_OUT_SIZE;
            }
            case WRITE -> {
                int count = as(v, Integer.class);
                checkCount(count, aux, "bytes written");
                ReplyEncoder.writeOut(out, at, count);
                return 8;
            }
            case STATFS -> {
                return ReplyEncoder.statfsOut(out, at, session.minor(), as(v, FsStats.class));
            }
            case LOCK -> {
                ReplyEncoder.lkOut(out, at, as(v, FileLock.class));
                return Abi.LK_OUT_SIZE;
            }
            case U64 -> {
                long n = as(v, Long.class);
                if (n < 0 && opcode == Opcode.LSEEK) {
                    throw new Unencodable("negative offset " + n);
                }
                ReplyEncoder.u64Out(out, at, n);
                return 8;
            }
            case POLL -> {
                ReplyEncoder.pollOut(out, at, as(v, Integer.class));
                return 8;
            }
            case STATX -> {
                StatxReply s = as(v, StatxReply.class);
                ReplyEncoder.statxOut(out, at, s.timeout(), s.mask(), s.attr(), s.btime(), s.attributes(),
                        s.attributesMask());
                return Abi.STATX_OUT_SIZE;
            }
            case DATA -> {
                MemorySegment data = as(v, ReadData.class).segment();
                if (data == null) {
                    throw new Unencodable("the ReadData has no segment");
                }
                if (data.byteSize() > aux) {
                    throw new Unencodable(data.byteSize() + " bytes of data for a read of " + aux);
                }
                payload = alive(data);
                return 0;
            }
            case READLINK -> {
                String target = as(v, String.class);
                byte[] bytes = nameBytes(target, "symlink target");
                if (bytes.length == 0 || bytes.length > PATH_MAX - 1 || target.indexOf('\0') >= 0) {
                    throw new Unencodable("not a valid symlink target (" + bytes.length + " bytes"
                            + (target.indexOf('\0') >= 0 ? ", contains NUL)" : ")"));
                }
                payload = MemorySegment.ofArray(bytes);
                return 0;
            }
            case XATTR -> {
                return xattr(out, at, as(v, byte[].class));
            }
            case XATTR_LIST -> {
                return xattr(out, at, xattrList(as(v, List.class)));
            }
            case IOCTL -> {
                IoctlReply r = as(v, IoctlReply.class);
                byte[] data = r.out();
                if (data == null) {
                    throw new Unencodable("the ioctl answer has no output bytes");
                }
                if (data.length > aux) {
                    encodedError = Errno.EINVAL;
                    return 0;
                }
                ReplyEncoder.ioctlOut(out, at, r.result());
                payload = MemorySegment.ofArray(data);
                return 16;
            }
            case DIRECTORY -> {
                DirectoryListing listing = (DirectoryListing) auxObject;
                payload = MemorySegment.ofBuffer(listing.encoded());
                return 0;
            }
            case COPY_RANGE -> {
                long n = as(v, Long.class);
                if (n < 0) {
                    throw new Unencodable("negative count " + n);
                }
                if (aux != 0) {
                    ReplyEncoder.u64Out(out, at, n);
                } else {
                    // COPY_FILE_RANGE answers with fuse_write_out: a 32-bit count
                    ReplyEncoder.writeOut(out, at, (int) Math.min(n, 0xffff_f000L));
                }
                return 8;
            }
            default -> throw new IllegalStateException("unknown reply kind " + kind);
        }
    }

    private static int encodedLength(DirectoryListing listing, ReplyBuffer b) throws Unencodable {
        int n = listing.encodedLength();
        if (n < 0 || Abi.OUT_HEADER_SIZE + n > b.segment.byteSize()) {
            throw new Unencodable("a listing of " + n + " bytes");
        }
        return n;
    }

    /** Getxattr/listxattr: the size when probed ({@code aux == 0}), ERANGE if too small, else the value. */
    private int xattr(ByteBuffer out, int at, byte[] value) throws Unencodable {
        if (value.length > XATTR_SIZE_MAX) {
            throw new Unencodable("a value of " + value.length + " bytes (Linux takes at most " + XATTR_SIZE_MAX
                    + ")");
        }
        if (aux == 0) {
            ReplyEncoder.getxattrOut(out, at, value.length);
            return 8;
        }
        if (value.length > aux) {
            encodedError = Errno.ERANGE;
            return 0;
        }
        payload = MemorySegment.ofArray(value);
        return 0;
    }

    /** Listxattr's names, NUL-terminated back to back. */
    private static byte[] xattrList(List<?> names) throws Unencodable {
        byte[][] encoded = new byte[names.size()][];
        int total = 0;
        for (int i = 0; i < encoded.length; i++) {
            Object o = names.get(i);
            if (!(o instanceof String n)) {
                throw new Unencodable("name " + i + " of the list is " + (o == null ? "null" : "a " + o.getClass()
                        .getName()));
            }
            if (n.isEmpty() || n.indexOf('\0') >= 0) {
                throw new Unencodable("name " + i + " of the list is " + (n.isEmpty() ? "empty" : "has a NUL"));
            }
            encoded[i] = nameBytes(n, "name " + i + " of the list");
            total += encoded[i].length + 1;
            if (total > XATTR_SIZE_MAX) {
                throw new Unencodable("a list longer than " + XATTR_SIZE_MAX + " bytes");
            }
        }
        byte[] list = new byte[total];
        int p = 0;
        for (byte[] b : encoded) {
            System.arraycopy(b, 0, list, p, b.length);
            p += b.length + 1;
        }
        return list;
    }

    /** The bytes a name, target or xattr name stands for ({@link Names}); a string no bytes decode to is refused. */
    private static byte[] nameBytes(String s, String what) throws Unencodable {
        try {
            return Names.bytes(s);
        } catch (IllegalArgumentException notBytes) {
            throw new Unencodable(what + " has no bytes: " + notBytes.getMessage());
        }
    }

    private static void checkCount(long count, long asked, String what) throws Unencodable {
        if (count < 0 || count > asked) {
            throw new Unencodable(count + " " + what + " of " + asked);
        }
    }

    private static MemorySegment alive(MemorySegment data) throws Unencodable {
        if (!data.scope().isAlive()) {
            throw new Unencodable("the data's memory was already freed (its arena is closed)");
        }
        return data;
    }

    private <T> T as(Object v, Class<T> type) throws Unencodable {
        if (!type.isInstance(v)) {
            throw new Unencodable("expected " + type.getSimpleName() + ", got " + (v == null ? "null"
                    : v.getClass().getName()));
        }
        return type.cast(v);
    }

    /** Answers a failure: its errno if expected, else EIO after logging it. Ignored once answered. */
    void fail(Throwable failure) {
        Throwable t = ErrnoMapper.unwrap(failure);
        if (Session.isFatal(t)) {
            // Out of memory or stack in the handler: the session ends (and the connection with it, so this
            // request's caller is released too). Nothing here may allocate first.
            session.fatal(t);
            return;
        }
        Errno errno = ErrnoMapper.expected(t);
        if (errno == null) {
            session.log(System.Logger.Level.ERROR, opcode + " request " + unique + " on node "
                    + request.nodeId() + " failed; answering EIO", t);
            errno = Errno.EIO;
        }
        if (tryClaim()) {
            sendError(errno);
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

    /** Writes the struct produced by {@code writer} ({@code size} bytes) after the header (the session's own). */
    void replyStruct(int size, StructWriter writer) {
        ReplyBuffer b = session.replyBuffers.take();
        try {
            writer.write(b.bytes, Abi.OUT_HEADER_SIZE);
        } catch (RuntimeException x) {
            session.replyBuffers.give(b);
            unencodable(x);
            return;
        }
        claim();
        finish(b, size, null);
    }

    /** A value that could not be encoded (a bug in the filesystem's answer) still answers the request: EIO. */
    private void unencodable(Exception e) {
        if (!tryClaim()) {
            return;
        }
        String what = e instanceof Unencodable ? e.getMessage() : e.toString();
        session.log(System.Logger.Level.ERROR, "could not encode the reply to " + opcode + " request " + unique
                + " on node " + request.nodeId() + ": " + what + "; answering EIO", null);
        sendError(Errno.EIO);
    }

    /** Sends the header, the {@code structSize}-byte struct already in {@code b}, and {@code data}; gives b back. */
    private void finish(ReplyBuffer b, int structSize, MemorySegment data) {
        boolean sent = false;
        String why = null;
        try {
            int head = Abi.OUT_HEADER_SIZE + structSize;
            long dataLen = data == null ? 0 : data.byteSize();
            long total = head + dataLen;
            if (total > Integer.MAX_VALUE) {
                why = "a reply of " + total + " bytes";
            } else {
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
            }
        } catch (RuntimeException e) {
            // Failed before anything was written (e.g. the payload's memory freed meanwhile): still answered.
            why = e.toString();
        } finally {
            session.replyBuffers.give(b);
        }
        if (!sent) {
            session.log(System.Logger.Level.ERROR, "could not encode the reply to " + opcode + " request " + unique
                    + " on node " + request.nodeId() + ": " + why + "; answering EIO", null);
            sendError(Errno.EIO);
        }
    }

    /** Writes one reply; the request is finished afterwards whatever happened, exactly once. */
    private void send(ReplyBuffer b, int headLength, MemorySegment data, long dataLength, Errno error) {
        long total = headLength + dataLength;
        session.debug.reply(unique, opcode, error, total);
        try {
            channel.send(b.iovecs, b.segment, headLength, data, dataLength);
        } catch (IOException e) {
            session.log(System.Logger.Level.WARNING, "could not send the reply to request " + unique + " ("
                    + opcode + "): " + e.getMessage(), null);
        } catch (RuntimeException e) {
            session.log(System.Logger.Level.ERROR, "could not send the reply to request " + unique + " ("
                    + opcode + ")", e);
        } finally {
            if (event != null) {
                event.commit(this, error, total);
            }
            // After the event: once a reply is counted its event is committed (tests wait on the count).
            session.stats.replied(opcode, error, startNanos);
            session.finished(this);
        }
    }

    /** A value the kernel cannot be given; its message says what is wrong with it. */
    private static final class Unencodable extends Exception {
        private static final long serialVersionUID = 1L;

        Unencodable(String message) {
            super(message, null, false, false);
        }
    }

    /** Writes a reply struct at an absolute position and returns its length. */
    @FunctionalInterface
    interface StructWriter {
        int write(ByteBuffer buf, int position);
    }
}
