package dev.jfuser.internal.session;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.BackingFiles;
import dev.jfuser.KernelConfig;
import dev.jfuser.Notifier;
import dev.jfuser.internal.transport.DevFuseChannel;
import dev.jfuser.internal.transport.FuseChannel;
import dev.jfuser.internal.transport.UringTransport;
import dev.jfuser.protocol.Abi;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * One hand-over of a session's connection to another process, as {@link Session#quiesceForHandOver} runs it: the
 * readers stop at a request boundary, the shutdown thread drains what was read and completes this with the
 * connection; and the other side, {@link #adopt}ing the INIT state in a new session.
 */
public final class SessionHandOver {
    /** Flags the session adds itself whatever the filesystem asked for (see Session#negotiate). */
    private static final long SESSION_FLAGS = Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT | Abi.OVER_IO_URING;

    /**
     * The connection, handed over.
     *
     * @param fd    a new descriptor of the /dev/fuse connection, close-on-exec, owned by the receiver
     * @param state what INIT agreed
     */
    public record Result(int fd, InitState state) {
    }

    final long drainMillis;
    private final CompletableFuture<Result> done = new CompletableFuture<>();

    SessionHandOver(long drainMillis) {
        if (drainMillis <= 0) {
            throw new IllegalArgumentException("the drain timeout must be positive, got " + drainMillis + " ms");
        }
        this.drainMillis = drainMillis;
    }

    /** Why a session cannot be handed over, or null when it can. */
    static String whyNot(FuseChannel main, UringTransport rings, InitState init, boolean ending) {
        if (rings != null) {
            return "it serves over io_uring, whose queues are registered with this process's rings and whose "
                    + "fetched entries cannot be moved to another process yet; serve with Transport.DEV_FUSE to "
                    + "hand mounts over";
        }
        if (!(main instanceof DevFuseChannel)) {
            return "it runs on " + main.getClass().getSimpleName() + ", not a /dev/fuse descriptor";
        }
        if (init == null) {
            return "INIT has not been answered yet";
        }
        if (ending) {
            return "it is ending or being handed over already";
        }
        return null;
    }

    /** Waits for the result; fails when the session ended otherwise (an unmount, a fatal error) meanwhile. */
    Result await(CompletableFuture<Void> terminated) throws IOException, InterruptedException {
        try {
            CompletableFuture.anyOf(done, terminated).get();
            if (!done.isDone()) {
                // terminated completes after done on a hand-over: give a racing completion its moment
                return done.get(1, java.util.concurrent.TimeUnit.SECONDS);
            }
            return done.get();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("the session ended (unmounted or aborted) before it could be handed over", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("the session ended before it could be handed over: " + e.getCause(), e.getCause());
        }
    }

    void complete(Result r) {
        done.complete(r);
    }

    void fail(IOException e) {
        done.completeExceptionally(e);
    }

    /** A log line's sink: level, message, cause or null. */
    interface Log {
        void log(System.Logger.Level level, String message, Throwable t);
    }

    /**
     * The receiving side: runs the filesystem's init with the kernel's offer as INIT made it (so it sets itself up
     * as on a fresh mount: its notifier, its capabilities), and returns that config. The agreed flags stay those
     * of {@code state} (the kernel holds them); a filesystem now asking for others is told so in the log.
     */
    static KernelConfig adopt(InitState state, AsyncFilesystem fs, Notifier notifier, BackingFiles backingFiles,
                              Log log) throws IOException {
        if ((state.flags() & Abi.OVER_IO_URING) != 0) {
            throw new IOException("the INIT state agreed io_uring, which a hand-over does not carry yet");
        }
        KernelConfig cfg = new KernelConfig(state.kernelMinor(), state.offeredFlags(), state.kernelMaxReadahead(),
                notifier, backingFiles);
        try {
            fs.init(cfg);
        } catch (IOException | RuntimeException e) {
            throw new IOException("the filesystem's init failed while resuming a handed-over mount: "
                    + e.getMessage(), e);
        }
        long wanted = cfg.requestedFlags() & state.offeredFlags() & ~SESSION_FLAGS;
        long agreed = state.flags() & ~SESSION_FLAGS;
        if (wanted != agreed) {
            log.log(System.Logger.Level.WARNING, "the filesystem's init asks for flags 0x" + Long.toHexString(wanted)
                    + " but the mount was set up with 0x" + Long.toHexString(agreed) + " by the process that"
                    + " answered INIT; the kernel keeps those until the next mount", null);
        }
        return cfg;
    }
}
