package dev.jfuser.internal.transport;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Where the answer to one request goes: the /dev/fuse descriptor it was read from, or the io_uring entry that
 * carried it.
 */
public interface ReplyChannel {
    /**
     * Writes one message: {@code headLength} bytes of {@code head} (the 16-byte {@code fuse_out_header} and the
     * reply struct), then {@code payloadLength} bytes of {@code payload} (null when there is none). Both are native
     * memory. {@code scratch} is 32 bytes of native memory the caller owns for the duration of the call (room for
     * two iovecs). A reply to a request the kernel no longer waits for (interrupted, aborted) is dropped silently.
     */
    void send(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload, long payloadLength)
            throws IOException;
}
