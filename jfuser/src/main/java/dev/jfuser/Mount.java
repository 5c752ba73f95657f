package dev.jfuser;

import dev.jfuser.internal.mount.MountedDevice;
import dev.jfuser.internal.session.Session;
import dev.jfuser.internal.session.SessionHandOver;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import dev.jfuser.internal.sys.UnixSockets;
import java.nio.file.Files;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A mounted filesystem being served. {@link #close()} unmounts it and waits until the session has ended;
 * {@link #awaitUnmount()} waits for someone else to unmount it ({@code umount}, {@code fusermount3 -u}).
 *
 * <p>Unless {@link SessionOptions#withUnmountOnExit} turned it off, a JVM shutdown hook unmounts the mount lazily and
 * lets its session end when the JVM exits (Ctrl-C, SIGTERM, {@code System.exit}), so a program that is stopped
 * while it serves leaves no dead mount behind. The hook goes away when the session ends.
 */
public final class Mount implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.jfuser.mount");

    private final Path mountpoint;
    private final MountedDevice device;
    private final Session session;
    /** The filesystem's state for a hand-over, when it offers one. */
    private volatile HandoverSource handoverSource;
    /** Uid allowed besides root when allow_root is emulated, else -1; carried to a process taking the mount over. */
    private volatile int allowRootOwner = -1;

    Mount(Path mountpoint, MountedDevice device, Session session) {
        this.mountpoint = mountpoint;
        this.device = device;
        this.session = session;
    }

    /**
     * Where the filesystem is mounted; empty for a session served on a descriptor mounted elsewhere.
     *
     * @return the mountpoint, if jfuser mounted it
     */
    public Optional<Path> mountpoint() {
        return Optional.ofNullable(mountpoint);
    }

    /**
     * The capabilities and limits agreed with the kernel at INIT; null for a mount that was unmounted before the
     * kernel sent INIT (see {@link Fuse}).
     *
     * @return the capabilities and limits agreed with the kernel at INIT, or null (see above)
     */
    public KernelConfig kernelConfig() {
        return session.config();
    }

    /**
     * The session's {@link Notifier} (the same one {@link KernelConfig#notifier()} handed to {@code init}): tells
     * the kernel that cached names, attributes or data changed. After the session ended its methods throw
     * {@link FuseException} with ENOTCONN.
     *
     * @return the notifier of this mount's session
     */
    public Notifier notifier() {
        return session.notifier();
    }

    /**
     * The session's {@link BackingFiles} for kernel passthrough (the same object {@link KernelConfig#backingFiles()}
     * handed to {@code init}).
     *
     * @return the backing-file registry of this mount's session
     */
    public BackingFiles backingFiles() {
        return session.backingFiles();
    }

    /**
     * The transport requests travel on: {@link Transport#IO_URING} when it was asked for, offered by the kernel and
     * set up, else {@link Transport#DEV_FUSE}.
     *
     * @return the transport in use
     */
    public Transport transport() {
        return session.transport();
    }

    /**
     * A snapshot of the session's counters: per kind of request how many were answered, with which errors and how
     * fast (p50, p90, p99, max), and the session's INTERRUPTs, notifications and requests in flight. Counting is
     * always on and allocates nothing per request; taking a snapshot adds the counters up. Also after the session
     * ended (the counts of the whole session). {@link MountStats#table()} formats it; the {@code jfuser} command
     * prints it with {@code --stats}.
     *
     * @return the counters now
     */
    public MountStats stats() {
        return session.stats();
    }

    /**
     * Whether the session is still serving.
     *
     * @return whether the session is still serving
     */
    public boolean isServing() {
        return !session.terminated().isDone();
    }

    /**
     * Whether the mount is still in place: listed at its mountpoint in {@code /proc/self/mountinfo}. After the
     * session ended this tells a clean unmount (false) from a connection that was aborted and left a dead mount
     * behind (true: {@code umount -l} removes it). Never touches the filesystem itself. Always false for a session
     * from {@link Fuse#serve}, which mounted nothing.
     *
     * @return whether the mountpoint still shows this mount
     */
    public boolean isMounted() {
        return device != null && device.isMounted();
    }

    /**
     * Blocks until the filesystem is unmounted (by anyone) and the session has ended.
     *
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public void awaitUnmount() throws InterruptedException {
        try {
            session.terminated().get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the session ended with a failure", e.getCause());
        }
    }

    /**
     * Like {@link #awaitUnmount()} but gives up after {@code timeout}; returns whether the session ended.
     *
     * @param timeout how long the kernel may cache the answer
     * @return whether the session ended within {@code timeout}
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public boolean awaitUnmount(Duration timeout) throws InterruptedException {
        try {
            session.terminated().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the session ended with a failure", e.getCause());
        }
    }

    /**
     * Unmounts. A busy mount (a process has a file open in it or its working directory inside) is not unmounted:
     * this throws {@link MountBusyException} and the filesystem keeps serving. With {@code lazy}, the mount is
     * detached from the namespace at once and the session ends when its last user lets go. A dead mount left
     * behind by an aborted connection (the session ended, {@link #isMounted()} still true) is detached, lazily.
     *
     * @param lazy detach now and finish once no longer busy ({@code MNT_DETACH}) instead of failing
     * @throws IOException {@link MountBusyException} when the mount is busy and not {@code lazy}, or if umount fails
     */
    public void unmount(boolean lazy) throws IOException {
        if (device == null) {
            session.stop();
            return;
        }
        if (!session.terminated().isDone()) {
            device.unmount(lazy);
        } else if (device.isMounted()) {
            // The kernel aborted the connection (a request timeout, fusectl's abort) and left a dead mount that
            // answers nothing: detach it, whoever still holds it.
            device.unmount(true);
        }
    }

    /**
     * Unmounts (not lazily) and waits for the session to end; does nothing if already unmounted, and removes the
     * dead mount an aborted connection left behind.
     *
     * @throws MountBusyException if the mount is busy; it stays mounted and served
     */
    @Override
    public void close() throws IOException {
        unmount(false);
        try {
            awaitUnmount();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the session to end");
        }
    }

    /**
     * Registers the shutdown hook that unmounts at JVM exit; it is removed when the session ends. Does nothing if
     * the session already ended or the JVM is already shutting down.
     */
    void unmountOnExit() {
        Thread hook = new Thread(this::exitHook, "jfuser-unmount-on-exit");
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            return;
        }
        session.terminated().whenComplete((v, t) -> {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook may be running: it is this very exit it was made for
            }
        });
    }

    private void exitHook() {
        if (session.terminated().isDone()) {
            return;
        }
        String where = mountpoint == null ? "the session on a descriptor" : mountpoint.toString();
        try {
            unmount(true);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not unmount " + where + " at exit (" + e.getMessage()
                    + "); if it stays behind as a dead mount, run: umount -l " + where);
        }
        if (!awaitQuietly(SessionOptions.EXIT_UNMOUNT_SECONDS)) {
            // Still in use through the detached mount (a process with a file open there): end the session anyway.
            session.stop();
            if (!awaitQuietly(SessionOptions.EXIT_DESTROY_SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "the session of " + where + " did not end within "
                        + (SessionOptions.EXIT_UNMOUNT_SECONDS + SessionOptions.EXIT_DESTROY_SECONDS)
                        + " s of the JVM's shutdown (a filesystem method or destroy still running); exiting anyway");
            }
        }
    }

    private boolean awaitQuietly(int seconds) {
        try {
            session.terminated().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    int allowRootOwnerOf() {
        return allowRootOwner;
    }

    /** Remembers {@code fs} as the state source of a hand-over, if it is one. */
    void handoverSource(Object fs, int allowRootOwner) {
        if (fs instanceof HandoverSource h) {
            this.handoverSource = h;
        }
        this.allowRootOwner = allowRootOwner;
    }

    /**
     * Hands this mount over to another process, which goes on serving it where this one stops: the mount never
     * disappears and callers see at most a pause. Listens on a Unix socket at {@code socket} (which must not exist;
     * it is removed once a process connected) and waits there for a process calling {@link Fuse#receiveHandover}
     * with the same path. Then this session stops reading at a request boundary, lets every request already read be
     * answered (requests not read yet stay queued in the kernel for the new process), asks the filesystem for its
     * {@link HandoverSource#handoverState()}, and sends the /dev/fuse descriptor ({@code SCM_RIGHTS}), what INIT
     * agreed and that state. It returns once the new process confirmed that it serves ({@link Fuse#resume}); this
     * mount has ended then ({@link #isServing()} is false) without the filesystem's {@code destroy}, and the process
     * may exit.
     *
     * <pre>{@code
     * // old process
     * mount.handOver(Path.of("/run/myfs.sock"), Duration.ofSeconds(30));
     * // new process
     * try (HandoverState h = Fuse.receiveHandover(Path.of("/run/myfs.sock"))) {
     *     MyFs fs = MyFs.restore(h.filesystemState());
     *     Mount m = Fuse.resume(fs, h, SessionOptions.DEFAULT);
     *     m.awaitUnmount();
     * }
     * }</pre>
     *
     * <p>Limits: only a session on /dev/fuse ({@link Transport#DEV_FUSE}) can be handed over; io_uring queues are
     * refused with an {@link IOException} saying so. A mount with an auto_unmount watcher is refused (the watcher
     * would unmount when this process exits). Both processes must run the same jfuser version.
     *
     * @param socket       where to listen for the process taking over
     * @param drainTimeout how long requests already read may take to be answered; when exceeded the hand-over is
     *                     abandoned and this session ends as after an unmount (callers then see errors)
     * @throws IOException if the socket cannot be made, the session cannot be handed over (the message says why),
     *     the drain timed out, or the new process did not confirm (then it holds the mount, or nobody does and the
     *     kernel aborted the connection)
     * @throws InterruptedException if interrupted while waiting for a process to connect or for the drain
     */
    public void handOver(Path socket, Duration drainTimeout) throws IOException, InterruptedException {
        java.util.Objects.requireNonNull(socket, "socket");
        long drainMillis = drainTimeout.toMillis();
        if (drainMillis <= 0) {
            throw new IllegalArgumentException("drainTimeout must be positive, got " + drainTimeout);
        }
        if (device != null && device.hasWatcher()) {
            throw new IOException("cannot hand " + mountpoint + " over: it was mounted with auto_unmount, whose "
                    + "watcher unmounts it when this process exits; mount without auto_unmount to hand it over");
        }
        if (!isServing()) {
            throw new IllegalStateException("the session of " + this + " has ended; there is nothing to hand over");
        }
        UnixSockets.warmUp();
        int listening = UnixSockets.listen(socket);
        int conn;
        try {
            conn = UnixSockets.accept(listening);
        } finally {
            LibC.closeQuietly(listening);
            Files.deleteIfExists(socket);
        }
        try {
            HandoverSource check = handoverSource;
            if (check != null) {
                // Still serving: a refusal leaves the mount untouched (the connecting process sees the socket close).
                check.checkHandover();
            }
            SessionHandOver.Result r = session.quiesceForHandOver(drainMillis);
            try {
                HandoverSource src = handoverSource;
                byte[] fsState = src == null ? new byte[0] : src.handoverState();
                byte[] message = HandoverState.encode(r.state(), mountpoint, device == null ? null
                        : device.fusermount(), device == null ? -1 : device.ownerUid(), device == null ? -1
                        : device.mountId(), allowRootOwner, fsState);
                LibC.sendFd(conn, r.fd());
                UnixSockets.writeFully(conn, message);
            } finally {
                // The descriptor in flight (or received) holds the connection now.
                LibC.closeQuietly(r.fd());
            }
            try {
                UnixSockets.readFully(conn, 1);
            } catch (NativeException e) {
                throw new IOException("the process that connected to " + socket + " took the mount's descriptor but"
                        + " did not confirm that it serves it (" + e.getMessage() + "); if it exited, the kernel has"
                        + " aborted the connection: unmount " + mountpoint + " and mount again", e);
            }
        } finally {
            LibC.closeQuietly(conn);
        }
    }

    @Override
    public String toString() {
        return "Mount[" + (mountpoint == null ? "fd session" : mountpoint) + (isServing() ? ", serving]" : ", ended]");
    }
}
