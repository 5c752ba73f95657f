package dev.jfuser;

import dev.jfuser.protocol.Opcode;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.Set;

/**
 * How a session serves requests: reader threads, limits, debug output. The defaults suit most filesystems.
 *
 * @param readerThreads platform threads reading /dev/fuse, each on its own cloned descriptor (1..64)
 * @param maxInFlight requests being handled at once; further requests wait in the kernel (backpressure)
 * @param maxWriteBuffers WRITE payload buffers (max_write each) held by requests in flight at once
 * @param debug where to print each request and reply ({@code -d}), or null
 * @param inline operations whose {@link Filesystem} methods run on the reader thread that read the request
 *     instead of on a virtual thread of their own (see {@link #withInline})
 */
public record SessionOptions(int readerThreads, int maxInFlight, int maxWriteBuffers, PrintStream debug,
                             Set<Opcode> inline) {

    /** Two readers, 10,000 requests and 64 write buffers in flight, no debug output, nothing inline. */
    public static final SessionOptions DEFAULT = new SessionOptions(2, 10_000, 64, null, Set.of());

    /** Options with nothing inline (the form before {@code inline} existed). */
    public SessionOptions(int readerThreads, int maxInFlight, int maxWriteBuffers, PrintStream debug) {
        this(readerThreads, maxInFlight, maxWriteBuffers, debug, Set.of());
    }

    public SessionOptions {
        inline = inline.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(inline));
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
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, inline);
    }

    /** These options with at most {@code maxInFlight} requests handled at once. */
    public SessionOptions withMaxInFlight(int maxInFlight) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, inline);
    }

    /** These options printing every request and reply to {@code out} (null: off). */
    public SessionOptions withDebug(PrintStream out) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, out, inline);
    }

    /**
     * These options with the blocking {@link Filesystem} methods of {@code ops} run inline, on the reader thread
     * that read the request, instead of each on a new virtual thread. Saves the hand-off between threads: cheap
     * requests answer about twice as fast (see the Performance section of the README). Only for methods that
     * never block — answered from memory — because a reader busy in a method reads no other request, and an
     * INTERRUPT cannot interrupt it. Has no effect on an {@link AsyncFilesystem}, which always starts on the
     * reader. FORGET always runs inline.
     */
    public SessionOptions withInline(Opcode... ops) {
        Set<Opcode> set = EnumSet.noneOf(Opcode.class);
        set.addAll(java.util.List.of(ops));
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, set);
    }
}
