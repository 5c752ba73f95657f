package dev.jfuser.internal.transport;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * One connection to the kernel's FUSE device: requests in, replies out.
 *
 * <p>This is the seam between the session and the kernel: {@link DevFuseChannel} talks to /dev/fuse, a fake
 * kernel implements it in memory. A reply must go out on the same channel its request came in on (each cloned
 * /dev/fuse fd has its own list of requests awaiting a reply).
 */
public interface FuseChannel extends ReplyChannel {
    /**
     * Reads one whole request into {@code buffer} (native memory, at least max_write + 4 KiB).
     *
     * @return the request's length, or -1 when the session is over (unmounted, aborted, or {@link #wakeup()}ed)
     */
    int receive(MemorySegment buffer) throws IOException;

    /**
     * Whether a {@link #receive} ended because the kernel aborted the connection (ECONNABORTED, with
     * FUSE_ABORT_ERROR negotiated) rather than because it was unmounted.
     */
    default boolean abortedByKernel() {
        return false;
    }

    /** Writes one message in one write; see {@link ReplyChannel#send}. */
    @Override
    void send(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload, long payloadLength)
            throws IOException;

    /**
     * Writes one notification (a message with unique 0 and the notify code in the error field), laid out like
     * {@link #send}. Unlike a reply, the kernel's refusal matters to the sender: returns 0 when the kernel applied
     * it, else the positive errno the write failed with (ENOENT for an unknown node, ENODEV once the connection is
     * gone…). The default sends it like a reply and reports success, for channels that only carry replies.
     */
    default int notify(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload,
                       long payloadLength) throws IOException {
        send(scratch, head, headLength, payload, payloadLength);
        return 0;
    }

    /** A new channel on the same session for another reader thread (FUSE_DEV_IOC_CLONE), or this one. */
    FuseChannel cloneChannel() throws IOException;

    /**
     * A channel for another reader thread on this very descriptor (no clone): the readers then share one kernel
     * list of requests awaiting replies. Closing it leaves the descriptor open.
     */
    default FuseChannel shareChannel() {
        return this;
    }

    /** Makes every {@link #receive} of this session return -1, now and later. */
    void wakeup();

    /**
     * Cuts this channel's hold on the connection at once, from any thread, without allocating on the Java heap:
     * the way out when the JVM can no longer be trusted to allocate (the heap is exhausted). Also wakes every
     * {@link #receive}, which then returns -1. Once every channel of the connection (and every io_uring entry) has
     * let go, the kernel aborts the connection: callers waiting for a reply get ECONNABORTED, new ones ENOTCONN,
     * until the mount is unmounted. The descriptor number stays allocated until {@link #close}, so a reader still
     * using it can never touch a file opened meanwhile.
     */
    default void abort() {
        wakeup();
    }

    /** Closes this channel's descriptor. */
    void close();
}
