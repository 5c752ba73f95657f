package dev.jfuser;

import dev.jfuser.internal.mount.MountedDevice;
import dev.jfuser.internal.session.Session;
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

    @Override
    public String toString() {
        return "Mount[" + (mountpoint == null ? "fd session" : mountpoint) + (isServing() ? ", serving]" : ", ended]");
    }
}
