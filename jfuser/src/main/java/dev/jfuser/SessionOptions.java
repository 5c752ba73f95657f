package dev.jfuser;

import java.io.PrintStream;

/**
 * How a session serves requests: reader threads, limits, debug output. The defaults suit most filesystems.
 *
 * @param readerThreads platform threads reading /dev/fuse, each on its own cloned descriptor (1..64)
 * @param maxInFlight requests being handled at once; further requests wait in the kernel (backpressure)
 * @param maxWriteBuffers WRITE payload buffers (max_write each) held by requests in flight at once
 * @param debug where to print each request and reply ({@code -d}), or null
 */
public record SessionOptions(int readerThreads, int maxInFlight, int maxWriteBuffers, PrintStream debug) {

    /** Two readers, 10,000 requests and 64 write buffers in flight, no debug output. */
    public static final SessionOptions DEFAULT = new SessionOptions(2, 10_000, 64, null);

    public SessionOptions {
        if (readerThreads < 1 || readerThreads > 64) {
            throw new IllegalArgumentException("readerThreads must be 1..64, got " + readerThreads);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        if (maxWriteBuffers < 1) {
            throw new IllegalArgumentException("maxWriteBuffers must be at least 1, got " + maxWriteBuffers);
        }
    }

    /** These options with {@code readerThreads} readers. */
    public SessionOptions withReaderThreads(int readerThreads) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug);
    }

    /** These options with at most {@code maxInFlight} requests handled at once. */
    public SessionOptions withMaxInFlight(int maxInFlight) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug);
    }

    /** These options printing every request and reply to {@code out} (null: off). */
    public SessionOptions withDebug(PrintStream out) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, out);
    }
}
