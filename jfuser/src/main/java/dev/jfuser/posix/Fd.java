package dev.jfuser.posix;

import dev.jfuser.internal.sys.LibC;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An open file descriptor of this process, made by {@link Posix}: a directory handle for the {@code *at()} calls,
 * an {@code O_PATH} handle of any file, or an open file. Close it when done; closing twice does nothing.
 *
 * <p>Closing while another thread still uses the descriptor is the caller's race to avoid (the number may be
 * reused by a later open), as with any descriptor.
 */
public final class Fd implements AutoCloseable {
    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();

    Fd(int fd) {
        this.fd = fd;
    }

    /**
     * The descriptor number, e.g. for {@link dev.jfuser.BackingFiles#open(int)}.
     *
     * @return the descriptor number in this process
     */
    public int intValue() {
        return fd;
    }

    /**
     * Whether {@link #close()} was called.
     *
     * @return whether the descriptor was closed through this object
     */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * The {@code /proc/self/fd/N} path that reaches this descriptor's file (for calls that need a path).
     *
     * @return the path's bytes, valid while this descriptor is open
     */
    public byte[] procPath() {
        return ("/proc/self/fd/" + fd).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            LibC.closeQuietly(fd);
        }
    }

    @Override
    public String toString() {
        return "Fd[" + fd + (closed.get() ? ", closed" : "") + "]";
    }
}
