package dev.jfuser.internal.session;

import dev.jfuser.internal.transport.FuseChannel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A scripted kernel on an in-memory channel: the test enqueues request bytes, the session's readers take them,
 * and every reply is captured by its unique id.
 */
final class FakeKernel implements FuseChannel {
    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> requests = new LinkedBlockingQueue<>();
    private final ConcurrentHashMap<Long, BlockingQueue<Reply>> replies = new ConcurrentHashMap<>();
    final BlockingQueue<Reply> allReplies = new LinkedBlockingQueue<>();
    private final AtomicLong nextUnique = new AtomicLong(2);
    private volatile boolean ended;
    /** Set when the session aborted the connection ({@link #abort}). */
    volatile boolean aborted;
    /** Thrown by the next {@link #receive} (on the reader's own thread), then cleared. */
    volatile Error failNextReceive;

    /** One captured reply. */
    record Reply(int length, int error, long unique, ByteBuffer body) {
    }

    /** The size of the buffer of the latest {@link #receive}: what a reader offers the kernel to read into. */
    private volatile long lastReadSize;

    long lastReadSize() {
        return lastReadSize;
    }

    @Override
    public int receive(MemorySegment buffer) throws java.io.IOException {
        lastReadSize = buffer.byteSize();
        if (ended) {
            return -1;
        }
        Error fail = failNextReceive;
        if (fail != null) {
            failNextReceive = null;
            throw fail;
        }
        try {
            byte[] r = requests.take();
            if (r == END) {
                ended = true;
                requests.offer(END);
                return -1;
            }
            MemorySegment.copy(MemorySegment.ofArray(r), 0, buffer, 0, r.length);
            return r.length;
        } catch (InterruptedException e) {
            throw new java.io.InterruptedIOException();
        }
    }

    @Override
    public void send(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload,
                     long payloadLength) {
        byte[] all = new byte[(int) (headLength + (payload == null ? 0 : payloadLength))];
        MemorySegment.copy(head, ValueLayout.JAVA_BYTE, 0, all, 0, (int) headLength);
        if (payload != null) {
            MemorySegment.copy(payload, ValueLayout.JAVA_BYTE, 0, all, (int) headLength, (int) payloadLength);
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        Reply reply = new Reply(b.getInt(0), b.getInt(4), b.getLong(8),
                b.slice(16, all.length - 16).order(ByteOrder.LITTLE_ENDIAN));
        if (reply.length() != all.length) {
            throw new AssertionError("reply header says " + reply.length() + " bytes, " + all.length + " sent");
        }
        queue(reply.unique()).offer(reply);
        allReplies.offer(reply);
    }

    private BlockingQueue<Reply> queue(long unique) {
        return replies.computeIfAbsent(unique, u -> new LinkedBlockingQueue<>());
    }

    @Override
    public FuseChannel cloneChannel() {
        return this;
    }

    @Override
    public void wakeup() {
        requests.offer(END);
    }

    @Override
    public void abort() {
        aborted = true;
        requests.offer(END);
    }

    @Override
    public void close() {
    }

    /** Ends the session as an unmount would (ENODEV on read). */
    void unmount() {
        requests.offer(END);
    }

    long unique() {
        return nextUnique.getAndAdd(2);
    }

    /** Enqueues a raw request. */
    void push(byte[] request) {
        requests.offer(request);
    }

    /** Sends a request and waits for its reply. */
    Reply call(int opcode, long nodeId, byte[] body) throws InterruptedException {
        long u = unique();
        push(request(opcode, u, nodeId, body));
        return await(u);
    }

    Reply await(long unique) throws InterruptedException {
        Reply r = queue(unique).poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no reply to request " + unique + " within 10 s");
        }
        return r;
    }

    /** Any further reply to {@code unique} within {@code millis}, or null. */
    Reply extraReply(long unique, long millis) throws InterruptedException {
        return queue(unique).poll(millis, TimeUnit.MILLISECONDS);
    }

    static byte[] request(int opcode, long unique, long nodeId, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(40 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(40 + body.length).putInt(opcode).putLong(unique).putLong(nodeId)
                .putInt(1000).putInt(1000).putInt(4242).putShort((short) 0).putShort((short) 0).put(body);
        return b.array();
    }

    static byte[] init(int major, int minor, long flags) {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(major).putInt(minor).putInt(131072).putInt((int) flags).putInt((int) (flags >>> 32));
        return b.array();
    }

    static byte[] name(String s) {
        byte[] n = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[n.length + 1];
        System.arraycopy(n, 0, out, 0, n.length);
        return out;
    }

    static byte[] le(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }
}
