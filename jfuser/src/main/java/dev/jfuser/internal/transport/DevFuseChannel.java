package dev.jfuser.internal.transport;

import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import dev.jfuser.protocol.Abi;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A channel over a /dev/fuse file descriptor.
 *
 * <p>The descriptor is non-blocking: a reader calls read(2) directly and only when nothing is queued waits in
 * poll(2) on the device and on an eventfd that {@link #wakeup()} signals. A thread blocked in read(2) could not
 * be woken when the session is stopped without an unmount (a session on an fd mounted by someone else), and
 * close(2) does not wake a reader on Linux.
 */
public final class DevFuseChannel implements FuseChannel {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EFD_CLOEXEC = 0x80000;
    private static final int EINTR = 4;
    private static final int ENOENT = 2;
    private static final int EAGAIN = 11;
    private static final int ENODEV = 19;
    private static final int ECONNABORTED = 103;
    private static final short POLLIN = 1;

    private final int fd;
    private final Wakeup wakeup;
    private final MemorySegment pollFds;
    /** Whether the descriptor was closed; guarded by this channel's monitor (so abort never hits a reused number). */
    private boolean closed;
    private final MemorySegment abortState = LibC.allocateCallState(Arena.ofAuto());
    private final boolean ownsWakeup;
    /** False for a channel sharing another's descriptor ({@link #shareChannel}). */
    private final boolean ownsFd;

    private DevFuseChannel(int fd, Wakeup wakeup, boolean ownsWakeup, boolean ownsFd) throws NativeException {
        this.fd = fd;
        this.wakeup = wakeup;
        this.ownsWakeup = ownsWakeup;
        this.ownsFd = ownsFd;
        // Links the call abort() makes (EBADF here): linking allocates, which must not first happen when the
        // heap is exhausted.
        LibC.dup3(abortState, -1, -1, 0);
        LibC.setNonBlocking(fd, true);
        // struct pollfd[2] { int fd; short events; short revents; }: the device and the wakeup eventfd
        this.pollFds = Arena.ofAuto().allocate(16, 8);
        pollFds.set(ValueLayout.JAVA_INT, 0, fd);
        pollFds.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
        pollFds.set(ValueLayout.JAVA_INT, 8, wakeup.fd);
        pollFds.set(ValueLayout.JAVA_SHORT, 12, POLLIN);
    }

    /** A channel over {@code fd}, which this channel now owns; closing it also closes the session's wakeup fd. */
    public static DevFuseChannel of(int fd) throws IOException {
        int event = LibC.eventfd(0, EFD_CLOEXEC);
        int devNull;
        try {
            devNull = LibC.open("/dev/null", O_RDWR | O_CLOEXEC);
        } catch (IOException e) {
            LibC.closeQuietly(event);
            throw e;
        }
        return new DevFuseChannel(fd, new Wakeup(event, devNull), true, true);
    }

    /** The underlying descriptor. */
    public int fd() {
        return fd;
    }

    private volatile boolean aborted;

    @Override
    public boolean abortedByKernel() {
        return aborted;
    }

    @Override
    public int receive(MemorySegment buffer) throws IOException {
        while (true) {
            if (wakeup.signalled) {
                return -1;
            }
            long n = LibC.read(fd, buffer, buffer.byteSize());
            if (n > 0) {
                return (int) n;
            }
            if (n == 0) {
                // End of file: /dev/fuse never returns 0; the descriptor now refers to /dev/null (abort).
                return -1;
            }
            int errno = (int) -n;
            switch (errno) {
                case EAGAIN -> awaitReadable();
                // ENOENT: the request was interrupted before we got it; just read the next one.
                case EINTR, ENOENT -> { }
                // ENODEV: unmounted (or aborted, without FUSE_ABORT_ERROR); the clean end of a session.
                case ENODEV -> {
                    return -1;
                }
                // Aborted (fusectl's abort, a request timeout), with FUSE_ABORT_ERROR negotiated.
                case ECONNABORTED -> {
                    aborted = true;
                    return -1;
                }
                default -> throw new NativeException("read", "/dev/fuse fd " + fd, errno);
            }
        }
    }

    private void awaitReadable() throws IOException {
        pollFds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
        pollFds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
        int r = LibC.poll(pollFds, 2, -1);
        if (r < 0 && -r != EINTR) {
            throw new NativeException("poll", "/dev/fuse fd " + fd, -r);
        }
    }

    @Override
    public void send(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload,
                     long payloadLength) throws IOException {
        int errno = write(scratch, head, headLength, payload, payloadLength);
        // ENOENT: the kernel no longer waits for this request (interrupted or already aborted): not an error.
        // ENODEV: the connection is gone; the readers will see it and end the session.
        if (errno == 0 || errno == ENOENT || errno == ENODEV || errno == ECONNABORTED) {
            return;
        }
        throw new NativeException("writev", "/dev/fuse fd " + fd + ", " + (headLength + payloadLength) + " bytes",
                errno);
    }

    @Override
    public int notify(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload,
                      long payloadLength) throws IOException {
        int errno;
        do {
            errno = write(scratch, head, headLength, payload, payloadLength);
        } while (errno == EINTR);
        return errno;
    }

    /** One writev of header and payload; 0 or the errno it failed with. */
    private int write(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload,
                      long payloadLength) throws IOException {
        // struct iovec[2] { void *base; size_t len; }: header and payload gathered without a copy
        scratch.set(ValueLayout.JAVA_LONG, 0, head.address());
        scratch.set(ValueLayout.JAVA_LONG, 8, headLength);
        int count = 1;
        if (payload != null && payloadLength > 0) {
            scratch.set(ValueLayout.JAVA_LONG, 16, payload.address());
            scratch.set(ValueLayout.JAVA_LONG, 24, payloadLength);
            count = 2;
        }
        long totalLength = headLength + (count == 2 ? payloadLength : 0);
        long n = LibC.writev(fd, scratch, count);
        if (n >= 0) {
            if (n != totalLength) {
                throw new IOException("short write to /dev/fuse: " + n + " of " + totalLength + " bytes");
            }
            return 0;
        }
        return (int) -n;
    }

    @Override
    public FuseChannel cloneChannel() throws IOException {
        int clone = LibC.open("/dev/fuse", O_RDWR | O_CLOEXEC);
        try {
            LibC.ioctlInt(clone, Abi.DEV_IOC_CLONE, fd);
            return new DevFuseChannel(clone, wakeup, false, true);
        } catch (IOException | RuntimeException e) {
            try {
                LibC.close(clone);
            } catch (NativeException ignored) {
                // the clone failure is what matters
            }
            throw e;
        }
    }

    @Override
    public FuseChannel shareChannel() {
        try {
            // Its own pollfd array (poll writes revents), the same descriptor and wakeup.
            return new DevFuseChannel(fd, wakeup, false, false);
        } catch (NativeException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void wakeup() {
        wakeup.signal();
    }

    /**
     * Wakes every reader, then points this channel's descriptor at /dev/null ({@code dup3}): the /dev/fuse file
     * loses this reference at once (the kernel drops it when no system call of ours is still inside it), while the
     * number stays ours until {@link #close}. Reads then return end of file, replies vanish.
     */
    @Override
    public void abort() {
        wakeup.signal();
        synchronized (this) {
            if (!closed && ownsFd) {
                LibC.dup3(abortState, wakeup.devNull, fd, O_CLOEXEC);
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (ownsFd) {
            LibC.closeQuietly(fd);
        }
        if (ownsWakeup) {
            wakeup.close();
        }
    }

    /**
     * An eventfd shared by all channels of a session: once signalled, every poller wakes up. Signalling allocates
     * nothing (it is part of the way out of an exhausted heap). Also holds the /dev/null descriptor abort uses.
     */
    private static final class Wakeup {
        final int fd;
        final int devNull;
        volatile boolean signalled;
        private final MemorySegment one = Arena.ofAuto().allocate(8, 8);
        private final MemorySegment state = LibC.allocateCallState(Arena.ofAuto());
        private boolean closed; // guarded by this: never write a number that may have been reused

        Wakeup(int fd, int devNull) {
            this.fd = fd;
            this.devNull = devNull;
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            LibC.write(state, devNull, one, 8); // links the call signal() makes, see DevFuseChannel's constructor
        }

        void signal() {
            signalled = true;
            synchronized (this) {
                if (!closed) {
                    // errno is not looked at; EAGAIN (counter saturated) still leaves every poller awake
                    LibC.write(state, fd, one, 8);
                }
            }
        }

        synchronized void close() {
            if (!closed) {
                closed = true;
                LibC.closeQuietly(fd);
                LibC.closeQuietly(devNull);
            }
        }
    }
}
