package dev.jfuser.internal.session;

import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileLock;
import dev.jfuser.FsStats;
import dev.jfuser.IoctlReply;
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
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;

/**
 * One request between its arrival and its reply: the reply-once object every handler path ends in.
 *
 * <p>Exactly one of the {@code reply*} / {@link #error} methods may run; a second call throws
 * {@link IllegalStateException} (a bug in the dispatch path, never the user's). Replies are encoded into a pooled
 * native {@link ReplyBuffer} and written with one writev; payloads already in native memory are not copied.
 */
final class InFlight {
    private static final VarHandle ANSWERED;

    static {
        try {
            ANSWERED = MethodHandles.lookup().findVarHandle(InFlight.class, "answered", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final Session session;
    final ReplyChannel channel;
    final long unique;
    final Opcode opcode;
    final Request request;
    /** Whether the session counts this request in flight (false for replies it sends on its own). */
    final boolean tracked;
    /** The stage the filesystem returned; cancelled on INTERRUPT. */
    volatile CompletionStage<?> stage;
    /** A request buffer this request holds (WRITE payload), returned to the pool once answered. */
    MemorySegment heldBuffer;
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

    /** Interrupts the request: the filesystem may notice, an async stage is cancelled. */
    void interrupt() {
        request.markInterrupted();
        CompletionStage<?> s = stage;
        if (s instanceof Future<?> f) {
            f.cancel(true);
        }
    }

    /**
     * Records the stage the filesystem returned. An INTERRUPT (read by another thread) can arrive after the handler
     * started but before its stage is known here; then {@link #interrupt()} found no stage to cancel, so cancel it
     * now. Both sides write their volatile first and read the other's after, so at least one of them cancels.
     */
    void started(CompletionStage<?> s) {
        stage = s;
        if (request.isInterrupted() && s instanceof Future<?> f) {
            f.cancel(true);
        }
    }

    private void claim() {
        if (!ANSWERED.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("request " + unique + " (" + opcode + ") was already answered");
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
        replyStruct(0, null);
    }

    void replyEntry(Entry e) {
        int minor = session.minor();
        replyStruct(ReplyEncoder.entryOutSize(minor), (buf, p) -> ReplyEncoder.entryOut(buf, p, e.nodeId(),
                e.generation(), e.entryTimeout(), e.attrTimeout(), e.attr()));
    }

    void replyAttr(AttrReply a) {
        replyStruct(ReplyEncoder.attrOutSize(session.minor()),
                (buf, p) -> ReplyEncoder.attrOut(buf, p, a.timeout(), a.attr()));
    }

    void replyOpen(OpenReply o) {
        replyStruct(Abi.OPEN_OUT_SIZE, (buf, p) -> ReplyEncoder.openOut(buf, p, o.fh(), o.flags(), o.backingId()));
    }

    void replyCreate(CreateReply c) {
        Entry e = c.entry();
        OpenReply o = c.open();
        int entrySize = ReplyEncoder.entryOutSize(session.minor());
        replyStruct(entrySize + Abi.OPEN_OUT_SIZE, (buf, p) -> {
            ReplyEncoder.entryOut(buf, p, e.nodeId(), e.generation(), e.entryTimeout(), e.attrTimeout(), e.attr());
            ReplyEncoder.openOut(buf, p + entrySize, o.fh(), o.flags(), o.backingId());
            return entrySize + Abi.OPEN_OUT_SIZE;
        });
    }

    void replyWrite(int count) {
        replyStruct(8, (buf, p) -> ReplyEncoder.writeOut(buf, p, count));
    }

    void replyStatfs(FsStats s) {
        int minor = session.minor();
        replyStruct(minor < 4 ? Abi.COMPAT_STATFS_SIZE : Abi.STATFS_OUT_SIZE,
                (buf, p) -> ReplyEncoder.statfsOut(buf, p, minor, s));
    }

    void replyLock(FileLock l) {
        replyStruct(Abi.LK_OUT_SIZE, (buf, p) -> ReplyEncoder.lkOut(buf, p, l));
    }

    void replyU64(long v) {
        replyStruct(8, (buf, p) -> ReplyEncoder.u64Out(buf, p, v));
    }

    void replyPoll(int revents) {
        replyStruct(8, (buf, p) -> ReplyEncoder.pollOut(buf, p, revents));
    }

    void replyStatx(StatxReply s) {
        replyStruct(Abi.STATX_OUT_SIZE, (buf, p) -> ReplyEncoder.statxOut(buf, p, s.timeout(), s.mask(), s.attr(),
                s.btime(), s.attributes(), s.attributesMask()));
    }

    /** Answers getxattr: the size when probed ({@code size == 0}), ERANGE if too small, else the value. */
    void replyXattr(byte[] value, int size) {
        if (size == 0) {
            replyStruct(8, (buf, p) -> ReplyEncoder.getxattrOut(buf, p, value.length));
        } else if (value.length > size) {
            error(Errno.ERANGE);
        } else {
            replyData(MemorySegment.ofArray(value));
        }
    }

    /** Answers listxattr: names NUL-terminated back to back, with the same probing rules as getxattr. */
    void replyXattrList(List<String> names, int size) {
        int total = 0;
        for (String n : names) {
            total += n.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        byte[] list = new byte[total];
        int p = 0;
        for (String n : names) {
            byte[] b = n.getBytes(StandardCharsets.UTF_8);
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
        replyStructAndData(16, (buf, p) -> ReplyEncoder.ioctlOut(buf, p, r.result()), MemorySegment.ofArray(out));
    }

    /** Answers a read, or readlink and friends: the bytes follow the header directly. */
    void replyData(MemorySegment data) {
        replyStructAndData(0, null, data);
    }

    void replyData(ReadData data) {
        replyData(data.segment());
    }

    void replyDirectory(DirectoryListing listing) {
        ByteBuffer encoded = listing.encoded();
        replyData(MemorySegment.ofBuffer(encoded));
    }

    void replyReadlink(String target) {
        replyData(MemorySegment.ofArray(target.getBytes(StandardCharsets.UTF_8)));
    }

    /** Writes the struct produced by {@code writer} ({@code size} bytes) after the header. */
    void replyStruct(int size, StructWriter writer) {
        replyStructAndData(size, writer, null);
    }

    private void replyStructAndData(int structSize, StructWriter writer, MemorySegment data) {
        claim();
        ReplyBuffer b = session.replyBuffers.take();
        boolean sent = false;
        try {
            if (writer != null) {
                writer.write(b.bytes, Abi.OUT_HEADER_SIZE);
            }
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
