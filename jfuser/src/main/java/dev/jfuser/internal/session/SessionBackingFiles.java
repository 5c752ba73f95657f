package dev.jfuser.internal.session;

import dev.jfuser.BackingFiles;
import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import dev.jfuser.internal.transport.DevFuseChannel;
import dev.jfuser.internal.transport.FuseChannel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The session's {@link BackingFiles}: FUSE_DEV_IOC_BACKING_OPEN/CLOSE on the mount's /dev/fuse descriptor.
 *
 * <p>Like the notifier, {@link #close} takes the write lock before the session closes its descriptors, so no
 * ioctl runs on a closed (and possibly reused) descriptor number.
 */
final class SessionBackingFiles implements BackingFiles {
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int O_NOCTTY = 0x100;

    private final FuseChannel channel;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean ready;
    private volatile boolean closed;
    private volatile String unavailable = "INIT was not answered yet";
    private volatile int maxStackDepth;

    SessionBackingFiles(FuseChannel channel) {
        this.channel = channel;
    }

    /** INIT was answered; {@code why} is empty when passthrough was negotiated, else the reason it was not. */
    void negotiated(String why, int depth) {
        this.unavailable = why;
        this.maxStackDepth = depth;
        this.ready = true;
    }

    @Override
    public boolean available() {
        return ready && !closed && unavailable.isEmpty();
    }

    @Override
    public String unavailableReason() {
        return closed ? "the session has ended" : unavailable;
    }

    @Override
    public BackingFile open(int fd) throws IOException {
        lock.readLock().lock();
        try {
            int devFd = checkUsable();
            int id;
            try {
                id = LibC.backingOpen(devFd, fd);
            } catch (NativeException e) {
                throw refused(e, fd);
            }
            return new Registered(id);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public BackingFile open(Path file, boolean writable) throws IOException {
        int fd;
        try {
            fd = LibC.open(file.toString(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
        } catch (NativeException e) {
            throw new FuseException(Errno.of(e.errno()), "cannot open backing file " + file + ": " + e.getMessage());
        }
        try {
            return open(fd);
        } finally {
            LibC.closeQuietly(fd);
        }
    }

    private int checkUsable() throws FuseException {
        if (!ready) {
            throw new IllegalStateException("backing files can be registered once init has returned");
        }
        if (closed) {
            throw new FuseException(Errno.ENOTCONN, "the session has ended");
        }
        if (!unavailable.isEmpty()) {
            throw new FuseException(Errno.ENOTSUP, "kernel passthrough is not available: " + unavailable);
        }
        return ((DevFuseChannel) channel).fd();
    }

    private FuseException refused(NativeException e, int fd) {
        Errno errno = Errno.of(e.errno());
        String why = switch (e.errno()) {
            case 1 -> "the kernel refused (EPERM): kernel passthrough needs CAP_SYS_ADMIN in the initial user"
                    + " namespace, and this process (euid " + LibC.geteuid() + ") lacks it (or the kernel did not"
                    + " accept passthrough at INIT); serve reads and writes without passthrough";
            case 40 -> "the backing file's filesystem is stacked at least max_stack_depth (" + maxStackDepth
                    + ") deep (ELOOP): a file on another FUSE filesystem or on overlayfs needs"
                    + " KernelConfig.maxStackDepth(2)";
            case 21 -> "the backing file is a directory (EISDIR): only regular files can back passthrough";
            case 22 -> "the backing file is not a regular file (EINVAL)";
            case 9 -> "descriptor " + fd + " is not open (EBADF)";
            case 95 -> "the kernel was built without CONFIG_FUSE_PASSTHROUGH (EOPNOTSUPP)";
            default -> e.getMessage();
        };
        return new FuseException(errno, "FUSE_DEV_IOC_BACKING_OPEN of descriptor " + fd + ": " + why);
    }

    /** The session ends: waits for ioctls in progress, then refuses new ones. */
    void close() {
        boolean locked = false;
        try {
            locked = lock.writeLock().tryLock(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        if (locked) {
            lock.writeLock().unlock();
        }
    }

    private final class Registered implements BackingFile {
        private final int id;
        private final AtomicBoolean released = new AtomicBoolean();

        Registered(int id) {
            this.id = id;
        }

        @Override
        public int id() {
            return id;
        }

        @Override
        public void close() throws IOException {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            lock.readLock().lock();
            try {
                if (closed) {
                    return; // the connection is gone and its backing ids with it
                }
                LibC.backingClose(((DevFuseChannel) channel).fd(), id);
            } catch (NativeException e) {
                throw new FuseException(Errno.of(e.errno()), "FUSE_DEV_IOC_BACKING_CLOSE of id " + id + ": "
                        + e.getMessage());
            } finally {
                lock.readLock().unlock();
            }
        }

        @Override
        public String toString() {
            return "BackingFile[" + id + "]";
        }
    }
}
