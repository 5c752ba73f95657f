package dev.jfuser;

import dev.jfuser.protocol.Opcode;
import java.io.PrintStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * How a session serves requests: reader threads, limits, transport, debug output. The defaults suit most
 * filesystems.
 *
 * @param readerThreads platform threads reading /dev/fuse, each on its own cloned descriptor (1..64); with the
 *     io_uring transport one reader stays on /dev/fuse for FORGET and INTERRUPT and the rings serve the rest
 * @param maxInFlight requests being handled at once; further requests wait in the kernel (backpressure)
 * @param maxWriteBuffers WRITEs holding a payload buffer (max_write each) handled at once (/dev/fuse; with
 *     io_uring each ring entry owns its buffer); a WRITE beyond waits, read but not started, for a buffer (one such
 *     per reader), so request buffers take at most (maxWriteBuffers + 2 × readers) × max_write
 * @param debug where to print each request and reply ({@code -d}), or null (then the system property
 *     {@code jfuser.debug=true} sends the trace to standard error)
 * @param inline operations whose {@link Filesystem} methods run on the thread that read the request instead of on
 *     a virtual thread of their own (see {@link #withInline})
 * @param transport /dev/fuse, io_uring, or io_uring when available; see {@link Transport}
 * @param ringDepth io_uring entries per queue (one queue per possible CPU), 1..1024; each entry holds a buffer of
 *     max_write bytes, so memory is CPUs × depth × max_write
 * @param pinRingThreads whether each io_uring queue's thread is bound to the CPU whose requests its ring gets (see
 *     {@link #withRingThreadsPinned})
 * @param unmountOnExit whether a JVM shutdown (Ctrl-C, SIGTERM, {@code System.exit}, the last non-daemon thread
 *     ending) unmounts the mount and lets its session end first (see {@link #withUnmountOnExit})
 */
public record SessionOptions(int readerThreads, int maxInFlight, int maxWriteBuffers, PrintStream debug,
                             Set<Opcode> inline, Transport transport, int ringDepth, boolean pinRingThreads,
                             boolean unmountOnExit) {

    /** io_uring entries per queue unless told otherwise: libfuse's default too. */
    public static final int DEFAULT_RING_DEPTH = 8;

    /** How long the shutdown hook waits for the kernel to end the connection after the lazy unmount, in seconds. */
    public static final int EXIT_UNMOUNT_SECONDS = 5;

    /** How long the shutdown hook then waits for the session to end ({@code destroy} included), in seconds. */
    public static final int EXIT_DESTROY_SECONDS = 30;

    /** The system property giving the default of {@link #pinRingThreads()} ({@code true} unless set to false). */
    public static final String PIN_RING_THREADS_PROPERTY = "jfuser.uring.pin";

    /**
     * Two readers, 10,000 requests and 64 write buffers in flight, no debug output, nothing inline, the transport
     * named by the system property {@value Transport#PROPERTY} (default /dev/fuse), 8 ring entries per queue, ring
     * threads pinned unless the system property {@value #PIN_RING_THREADS_PROPERTY} is {@code false}, unmounted
     * when the JVM shuts down.
     */
    public static final SessionOptions DEFAULT = new SessionOptions(2, 10_000, 64, null);

    /**
     * Checks the settings: {@code readerThreads} 1 to 64, {@code maxInFlight} and {@code maxWriteBuffers} at least
     * 1, {@code ringDepth} 1 to 1024, a transport; {@code inline} is copied (null means none).
     *
     * @throws IllegalArgumentException if a setting is out of range, with the method that sets it and its default
     */
    public SessionOptions {
        inline = inline == null || inline.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(inline));
        if (readerThreads < 1 || readerThreads > 64) {
            throw new IllegalArgumentException("readerThreads (withReaderThreads) must be 1 to 64, got " + readerThreads
                    + ": e.g. 2, the default");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight (withMaxInFlight) must be at least 1, got " + maxInFlight
                    + ": e.g. 10000, the default");
        }
        if (maxWriteBuffers < 1) {
            throw new IllegalArgumentException("maxWriteBuffers must be at least 1, got " + maxWriteBuffers
                    + ": e.g. 64, the default");
        }
        if (transport == null) {
            throw new IllegalArgumentException("transport (withTransport) must not be null: use Transport.DEV_FUSE, "
                    + "IO_URING or AUTO");
        }
        if (ringDepth < 1 || ringDepth > 1024) {
            throw new IllegalArgumentException("ringDepth (withRingDepth) must be 1 to 1024, got " + ringDepth
                    + ": e.g. " + DEFAULT_RING_DEPTH + ", the default");
        }
    }

    /**
     * Options with nothing inline, the transport from the system property {@value Transport#PROPERTY}, the
     * default ring depth, ring-thread pinning from {@value #PIN_RING_THREADS_PROPERTY}, and unmounting on exit.
     *
     * @param readerThreads how many threads read requests from the kernel (1 to 64)
     * @param maxInFlight the most requests being handled at once; further requests wait in the kernel
     * @param maxWriteBuffers the most WRITE payload buffers held at once; a WRITE beyond them waits to be read
     * @param debug where every request and reply is printed, or null for no tracing
     */
    public SessionOptions(int readerThreads, int maxInFlight, int maxWriteBuffers, PrintStream debug) {
        this(readerThreads, maxInFlight, maxWriteBuffers, debug, Set.of(), Transport.fromSystemProperty(),
                DEFAULT_RING_DEPTH, !"false".equalsIgnoreCase(System.getProperty(PIN_RING_THREADS_PROPERTY)), true);
    }

    /**
     * These options with {@code readerThreads} readers.
     *
     * @param readerThreads how many platform threads read /dev/fuse (1 to 64), each on its own cloned descriptor
     * @return a copy of these options with only that setting changed
     */
    public SessionOptions withReaderThreads(int readerThreads) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, inline, transport, ringDepth,
                pinRingThreads, unmountOnExit);
    }

    /**
     * These options with at most {@code maxInFlight} requests handled at once.
     *
     * @param maxInFlight the most requests being handled at once (at least 1); when it is reached the readers stop
     *     reading and further requests wait in the kernel's queue
     * @return a copy of these options with only that setting changed
     */
    public SessionOptions withMaxInFlight(int maxInFlight) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, inline, transport, ringDepth,
                pinRingThreads, unmountOnExit);
    }

    /**
     * These options printing every request and reply to {@code out} (null: off, unless the system property
     * {@code jfuser.debug} is {@code true}, which sends the trace to standard error). Modes are printed in octal and
     * flags by name.
     *
     * @param out where the trace goes, one line per request and per reply (e.g. {@code System.err}); null for none
     * @return a copy of these options with only that setting changed
     */
    public SessionOptions withDebug(PrintStream out) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, out, inline, transport, ringDepth,
                pinRingThreads, unmountOnExit);
    }

    /**
     * These options with the blocking {@link Filesystem} methods of {@code ops} run inline, on the thread that read
     * the request, instead of each on a new virtual thread. Saves the hand-off between threads: cheap requests
     * answer about twice as fast (see the Performance section of the README). Only for methods that never block —
     * answered from memory — because a reader busy in a method reads no other request, and an INTERRUPT cannot
     * interrupt it. Has no effect on an {@link AsyncFilesystem}, which always starts on the reader. FORGET always
     * runs inline.
     *
     * @param ops the opcodes whose methods run on the reader thread (none: every method on its own virtual thread)
     * @return a copy of these options with only that setting changed
     */
    public SessionOptions withInline(Opcode... ops) {
        Set<Opcode> set = EnumSet.noneOf(Opcode.class);
        set.addAll(List.of(ops));
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, set, transport, ringDepth,
                pinRingThreads, unmountOnExit);
    }

    /**
     * These options over {@code transport}.
     *
     * @param transport how requests are read and replies written: /dev/fuse reads and writes, io_uring, or
     *     {@link Transport#AUTO} (io_uring when the kernel offers it)
     * @return a copy of these options with only that setting changed
     */
    public SessionOptions withTransport(Transport transport) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, inline, transport, ringDepth,
                pinRingThreads, unmountOnExit);
    }

    /**
     * These options with {@code ringDepth} io_uring entries per queue.
     *
     * @param ringDepth how many requests each per-CPU queue can hold at once (1 to 1024); ignored over /dev/fuse
     * @return a copy of these options with only that setting changed
     */
    public SessionOptions withRingDepth(int ringDepth) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, inline, transport, ringDepth,
                pinRingThreads, unmountOnExit);
    }

    /**
     * These options with io_uring queue threads bound to their CPU ({@code true}, the default) or left to the
     * scheduler. The kernel puts a request on the ring of the CPU its caller runs on; a bound queue thread is
     * already there, which measured best for metadata and reads (one caller's stat 1.48x of libfuse C bound,
     * 0.58x unbound). But it then shares that CPU with the callers queued there: sixteen writers of 1 MiB blocks
     * got 0.52x of libfuse C bound and 1.20x unbound. Write-heavy filesystems may prefer {@code false}.
     *
     * @param pin whether each io_uring queue thread is bound to the CPU its queue serves
     * @return a copy of these options with only that setting changed
     */
    public SessionOptions withRingThreadsPinned(boolean pin) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, inline, transport, ringDepth,
                pin, unmountOnExit);
    }

    /**
     * These options with ({@code true}, the default) or without a JVM shutdown hook for the mount. With it, a
     * shutdown of the JVM - Ctrl-C (SIGINT), SIGTERM, {@code System.exit}, or the last non-daemon thread ending -
     * first unmounts the mount lazily (a user who presses Ctrl-C wants the process to end, even while a shell has
     * its working directory inside), waits for the session to end so the filesystem's {@code destroy} runs (where a
     * filesystem saves its data), and only then lets the JVM exit. Without it, a JVM that exits while mounted closes
     * the /dev/fuse descriptor with the mount still in place: a dead mount that answers "Transport endpoint is not
     * connected" until someone runs {@code umount}. Turn it off only to unmount in a hook of your own.
     *
     * <p>The hook waits up to {@value #EXIT_UNMOUNT_SECONDS} s for the kernel to end the connection (a process still
     * using the detached mount keeps it alive), then ends the session itself, and waits up to
     * {@value #EXIT_DESTROY_SECONDS} s more for {@code destroy}. No hook survives SIGKILL: there, the
     * {@code auto_unmount} mount option is the answer ({@link MountOptions#autoUnmount()}). For
     * {@link Fuse#serve}, which does not unmount, the hook only ends the session.
     *
     * @param unmountOnExit whether the JVM's shutdown unmounts the mount and lets the session end first
     * @return a copy of these options with only that setting changed
     */
    public SessionOptions withUnmountOnExit(boolean unmountOnExit) {
        return new SessionOptions(readerThreads, maxInFlight, maxWriteBuffers, debug, inline, transport, ringDepth,
                pinRingThreads, unmountOnExit);
    }
}
