package dev.jfuser.internal.session;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.Names;
import dev.jfuser.Notifier;
import dev.jfuser.internal.transport.FuseChannel;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.ReplyEncoder;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The session's {@link Notifier}: encodes each notification into a pooled reply buffer and writes it on the
 * mount's /dev/fuse channel (never on an io_uring entry: the kernel reads notifications only from the device).
 *
 * <p>Open from the INIT reply until the session's shutdown: {@link #close} takes the write lock, so no write is
 * in progress when the session closes its descriptors afterwards (a write on a closed and reused fd number would
 * land on another file). Retrieves wait in {@link #pending} by the unique id the NOTIFY_REPLY carries.
 */
final class SessionNotifier implements Notifier {
    /** The kernel's name length limit (FUSE_NAME_MAX). */
    private static final int NAME_MAX = 1024;
    /** Node ids of one PRUNE message at most, so a message stays within one reply buffer. */
    private static final int PRUNE_BATCH = 4096;

    private final Session session;
    private final FuseChannel channel;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Map<Long, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
    private final AtomicLong retrieveUniques = new AtomicLong();
    private final AtomicLong unmatched = new AtomicLong();
    /** Set once INIT was answered. */
    private volatile boolean ready;
    private volatile boolean closed;
    private volatile int minor;
    private volatile long offered;

    SessionNotifier(Session session, FuseChannel channel) {
        this.session = session;
        this.channel = channel;
    }

    /** INIT was answered at protocol 7.{@code minor}; the kernel offered {@code offered}. */
    void negotiated(int minor, long offered) {
        this.minor = minor;
        this.offered = offered;
        this.ready = true;
    }

    @Override
    public void invalInode(long node, long offset, long length) throws IOException {
        String what = "INVAL_INODE node " + node + ", offset " + offset + ", length " + length;
        send(Abi.NOTIFY_INVAL_INODE, what, b -> ReplyEncoder.notifyInvalInode(b, Abi.OUT_HEADER_SIZE, node, offset,
                length), null);
    }

    @Override
    public void invalEntry(long parent, String name) throws IOException {
        byte[] n = name(name);
        send(Abi.NOTIFY_INVAL_ENTRY, "INVAL_ENTRY parent " + parent + ", name \"" + name + "\"",
                b -> ReplyEncoder.notifyInvalEntry(b, Abi.OUT_HEADER_SIZE, parent, n, 0), null);
    }

    @Override
    public void expireEntry(long parent, String name) throws IOException {
        byte[] n = name(name);
        checkReady();
        if ((offered & Abi.HAS_EXPIRE_ONLY) == 0) {
            throw new UnsupportedOperationException("expireEntry needs FUSE_HAS_EXPIRE_ONLY, which the kernel (FUSE"
                    + " protocol 7." + minor + ") does not offer (7.38, Linux 6.2); use invalEntry");
        }
        send(Abi.NOTIFY_INVAL_ENTRY, "INVAL_ENTRY parent " + parent + ", name \"" + name + "\", EXPIRE_ONLY",
                b -> ReplyEncoder.notifyInvalEntry(b, Abi.OUT_HEADER_SIZE, parent, n, Abi.EXPIRE_ONLY), null);
    }

    @Override
    public void delete(long parent, long child, String name) throws IOException {
        byte[] n = name(name);
        send(Abi.NOTIFY_DELETE, "DELETE parent " + parent + ", child " + child + ", name \"" + name + "\"",
                b -> ReplyEncoder.notifyDelete(b, Abi.OUT_HEADER_SIZE, parent, child, n), null);
    }

    @Override
    public void store(long node, long offset, ByteBuffer data) throws IOException {
        Objects.requireNonNull(data, "data");
        int size = data.remaining();
        MemorySegment payload = MemorySegment.ofBuffer(data);
        send(Abi.NOTIFY_STORE, "STORE node " + node + ", offset " + offset + ", size " + size,
                b -> ReplyEncoder.notifyStore(b, Abi.OUT_HEADER_SIZE, node, offset, size), payload);
    }

    @Override
    public CompletableFuture<byte[]> retrieve(long node, long offset, int size) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative, got " + size);
        }
        long unique = retrieveUniques.incrementAndGet();
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        pending.put(unique, answer);
        // A cancelled, timed-out or failed retrieve is forgotten; a reply arriving later counts as unmatched.
        answer.whenComplete((v, t) -> pending.remove(unique, answer));
        try {
            send(Abi.NOTIFY_RETRIEVE, "RETRIEVE node " + node + ", offset " + offset + ", size " + size
                    + ", notify_unique " + unique,
                    b -> ReplyEncoder.notifyRetrieve(b, Abi.OUT_HEADER_SIZE, unique, node, offset, size), null);
        } catch (IOException | RuntimeException e) {
            answer.completeExceptionally(e);
        }
        return answer;
    }

    @Override
    public void pollWakeup(long kh) throws IOException {
        send(Abi.NOTIFY_POLL, "POLL kh " + kh, b -> ReplyEncoder.notifyPollWakeup(b, Abi.OUT_HEADER_SIZE, kh), null);
    }

    @Override
    public void resend() throws IOException {
        checkReady();
        if ((offered & Abi.HAS_RESEND) == 0) {
            throw new UnsupportedOperationException("resend needs FUSE_HAS_RESEND, which the kernel (FUSE protocol"
                    + " 7." + minor + ") does not offer (7.40, Linux 6.9)");
        }
        send(Abi.NOTIFY_RESEND, "RESEND", b -> 0, null);
    }

    @Override
    public void incEpoch() throws IOException {
        needMinor(44, "incEpoch (FUSE_NOTIFY_INC_EPOCH)");
        send(Abi.NOTIFY_INC_EPOCH, "INC_EPOCH", b -> 0, null);
    }

    @Override
    public void prune(long... nodes) throws IOException {
        Objects.requireNonNull(nodes, "nodes");
        needMinor(45, "prune (FUSE_NOTIFY_PRUNE)");
        for (int from = 0; from < nodes.length; from += PRUNE_BATCH) {
            int start = from;
            int count = Math.min(PRUNE_BATCH, nodes.length - from);
            send(Abi.NOTIFY_PRUNE, "PRUNE " + count + " nodes", b -> ReplyEncoder.notifyPrune(b,
                    Abi.OUT_HEADER_SIZE, nodes, start, count), null);
        }
    }

    @Override
    public long unmatchedReplies() {
        return unmatched.get();
    }

    /** A NOTIFY_REPLY arrived: completes the retrieve it answers (copying the bytes out of the request buffer). */
    void replied(long unique, long node, long offset, ByteBuffer data) {
        CompletableFuture<byte[]> f = pending.remove(unique);
        if (f == null) {
            long n = unmatched.incrementAndGet();
            session.debug.note("NOTIFY_REPLY " + unique + " (node " + node + ", offset " + offset + ", "
                    + data.remaining() + " bytes) matches no pending retrieve; " + n + " unmatched so far");
            return;
        }
        byte[] bytes = new byte[data.remaining()];
        data.get(data.position(), bytes);
        f.complete(bytes);
    }

    /** The session is ending: no write may start or be in progress once this returns; fails pending retrieves. */
    void close() {
        boolean locked = false;
        try {
            // A write blocked in the kernel ends once the connection is gone; do not wait forever for one.
            locked = lock.writeLock().tryLock(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            closed = true;
        } finally {
            if (locked) {
                lock.writeLock().unlock();
            }
        }
        for (Long u : pending.keySet()) {
            CompletableFuture<byte[]> f = pending.remove(u);
            if (f != null) {
                f.completeExceptionally(ended("retrieve"));
            }
        }
    }

    private interface Body {
        /** Encodes the notification's struct at {@link Abi#OUT_HEADER_SIZE}; returns its length. */
        int encode(ByteBuffer b);
    }

    private void send(int code, String what, Body body, MemorySegment payload) throws IOException {
        checkReady();
        ReplyBuffer b = session.replyBuffers.take();
        int errno;
        lock.readLock().lock();
        try {
            if (closed) {
                throw ended(what);
            }
            int head = Abi.OUT_HEADER_SIZE + body.encode(b.bytes);
            long payloadLength = payload == null ? 0 : payload.byteSize();
            long total = head + payloadLength;
            if (total > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + ": a message of " + total + " bytes is too large");
            }
            // fuse_out_header of a notification: unique 0, and the notify code where a reply has its error
            ReplyEncoder.header(b.bytes, (int) total, code, 0);
            if (payload == null || payloadLength == 0) {
                errno = channel.notify(b.iovecs, b.segment, head, null, 0);
            } else if (payload.isNative()) {
                errno = channel.notify(b.iovecs, b.segment, head, payload, payloadLength);
            } else if (total <= ReplyBuffer.SIZE) {
                MemorySegment.copy(payload, 0, b.segment, head, payloadLength);
                errno = channel.notify(b.iovecs, b.segment, total, null, 0);
            } else {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment copy = arena.allocate(payloadLength, 8);
                    MemorySegment.copy(payload, 0, copy, 0, payloadLength);
                    errno = channel.notify(b.iovecs, b.segment, head, copy, payloadLength);
                }
            }
        } finally {
            lock.readLock().unlock();
            session.replyBuffers.give(b);
        }
        Errno e = errno == 0 ? null : Errno.of(errno);
        session.debug.notification(what, e);
        session.stats.notified(e != null);
        if (errno == Errno.ENODEV.code() || errno == Errno.ECONNABORTED.code()) {
            throw ended(what);
        }
        if (e != null) {
            throw new FuseException(e, "the kernel refused FUSE_NOTIFY_" + what + " (" + e.description() + ")");
        }
    }

    private void checkReady() {
        if (!ready) {
            throw new IllegalStateException("notifications can be sent once the filesystem's init has returned");
        }
    }

    private void needMinor(int needed, String what) {
        checkReady();
        if (minor < needed) {
            throw new UnsupportedOperationException(what + " needs FUSE protocol 7." + needed + "; the kernel speaks"
                    + " 7." + minor);
        }
    }

    private static FuseException ended(String what) {
        return new FuseException(Errno.ENOTCONN, "the FUSE session has ended (unmounted or aborted); cannot send "
                + what);
    }

    private static byte[] name(String name) {
        byte[] n = Names.bytes(Objects.requireNonNull(name, "name"));
        if (n.length == 0 || n.length > NAME_MAX || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a file name: \"" + name + "\"");
        }
        return n;
    }
}
