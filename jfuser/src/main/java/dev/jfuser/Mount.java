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
 */
public final class Mount implements AutoCloseable {
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
     * The capabilities and limits agreed with the kernel at INIT.
     *
     * @return the capabilities and limits agreed with the kernel at INIT
     */
    public KernelConfig kernelConfig() {
        return session.config();
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
     * Whether the session is still serving.
     *
     * @return whether the session is still serving
     */
    public boolean isServing() {
        return !session.terminated().isDone();
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
     * detached from the namespace at once and the session ends when its last user lets go.
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
        }
    }

    /**
     * Unmounts (not lazily) and waits for the session to end; does nothing if already unmounted.
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

    @Override
    public String toString() {
        return "Mount[" + (mountpoint == null ? "fd session" : mountpoint) + (isServing() ? ", serving]" : ", ended]");
    }
}
