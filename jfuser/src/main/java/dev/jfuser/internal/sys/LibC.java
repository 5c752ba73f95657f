package dev.jfuser.internal.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The C library calls jfuser needs, bound once through the FFM {@link Linker} (Linux, 64-bit glibc or musl).
 *
 * <p>Two calling conventions:
 * <ul>
 *   <li><b>Hot path</b> ({@link #read}, {@link #write}, {@link #writev}, {@link #poll}, {@link #eventfdRead}): no
 *       exceptions, no allocation. They return the result, or {@code -errno} on failure. {@code errno} is captured
 *       by the linker ({@code captureCallState("errno")}) into a small native "call state" segment: by default a
 *       per-thread one (allocated once per thread in its own automatic arena, so it is freed with the thread), or
 *       one the caller passes in (from {@link #allocateCallState}) to skip even the thread-local lookup.
 *       Buffers must be native (off-heap) segments.</li>
 *   <li><b>Setup calls</b> (open, mount, spawn...): throw {@link NativeException} naming the call, its target and
 *       the errno.</li>
 * </ul>
 *
 * <p>This is the only class of the project that uses {@code Linker}, {@code SymbolLookup} and
 * {@code MemorySegment.reinterpret}. When the JVM denies native access ({@code --illegal-native-access=deny}, or a
 * future default) the first use fails with an {@link IllegalCallerException} that says which flag to add;
 * {@link #checkNativeAccess()} runs that check up front.
 */
public final class LibC {
    private LibC() {}

    static final String NATIVE_ACCESS_DENIED =
            "native access denied: run with --enable-native-access=dev.jfuser (or ALL-UNNAMED on the class path)";

    // ---- errno values (Linux, all architectures we run on) ----
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ENOSYS = 38;
    public static final int EPROTO = 71;
    public static final int ENOTCONN = 107;

    // ---- open(2) / fcntl(2) ----
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0x40;
    public static final int O_EXCL = 0x80;
    public static final int O_TRUNC = 0x200;
    public static final int O_APPEND = 0x400;
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int F_DUPFD_CLOEXEC = 1030;
    public static final int FD_CLOEXEC = 1;

    // ---- eventfd(2) ----
    public static final int EFD_SEMAPHORE = 1;
    public static final int EFD_NONBLOCK = O_NONBLOCK;
    public static final int EFD_CLOEXEC = O_CLOEXEC;

    // ---- mount(2) / umount2(2) ----
    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_SYNCHRONOUS = 16;
    public static final long MS_DIRSYNC = 128;
    public static final long MS_NOATIME = 1024;
    public static final long MS_NODIRATIME = 2048;
    public static final long MS_RELATIME = 1L << 21;
    public static final long MS_STRICTATIME = 1L << 24;
    public static final long MS_LAZYTIME = 1L << 25;
    public static final int MNT_FORCE = 1;
    public static final int MNT_DETACH = 2;
    public static final int UMOUNT_NOFOLLOW = 8;

    // ---- sockets ----
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_SEQPACKET = 5;
    public static final int SOCK_NONBLOCK = O_NONBLOCK;
    public static final int SOCK_CLOEXEC = O_CLOEXEC;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_CTRUNC = 0x8;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;

    // ---- processes ----
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;
    private static final int WNOHANG = 1;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** glibc 2.26+ and musl: the child calls setsid(), leaving our process group and terminal. */
    private static final short POSIX_SPAWN_SETSID = 0x80;

    /** {@code FUSE_DEV_IOC_CLONE = _IOR(229, 0, uint32_t)}: binds a fresh /dev/fuse fd to the session fd pointed to. */
    public static final long FUSE_DEV_IOC_CLONE = 0x8004E500L;
    /** {@code FUSE_DEV_IOC_BACKING_OPEN = _IOW(229, 1, struct fuse_backing_map)}: registers a backing file. */
    public static final long FUSE_DEV_IOC_BACKING_OPEN = 0x4010E501L;
    /** {@code FUSE_DEV_IOC_BACKING_CLOSE = _IOW(229, 2, uint32_t)}: drops a backing id. */
    public static final long FUSE_DEV_IOC_BACKING_CLOSE = 0x4004E502L;

    /**
     * FUSE_DEV_IOC_BACKING_OPEN on the connection's /dev/fuse descriptor {@code devFd}: registers {@code fd} (a
     * regular file) as a backing file and returns its positive backing id. Fails with EPERM without CAP_SYS_ADMIN or
     * when passthrough was not negotiated, ELOOP when the file's filesystem is stacked too deep, EINVAL/EISDIR for a
     * file that is not regular, EOPNOTSUPP from a kernel built without passthrough.
     */
    public static int backingOpen(int devFd, int fd) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            // struct fuse_backing_map { int32_t fd; uint32_t flags; uint64_t padding; }
            MemorySegment map = arena.allocate(16, 8);
            map.set(JAVA_INT, 0, fd);
            return ioctl(devFd, FUSE_DEV_IOC_BACKING_OPEN, map);
        }
    }

    /** FUSE_DEV_IOC_BACKING_CLOSE: drops backing id {@code id}; files opened with it keep their backing file. */
    public static void backingClose(int devFd, int id) throws NativeException {
        ioctlInt(devFd, FUSE_DEV_IOC_BACKING_CLOSE, id);
    }

    /**
     * Throws a clear {@link IllegalCallerException} if native access is denied, instead of the
     * {@code ExceptionInInitializerError} the first native call would otherwise surface. Cheap after the first call.
     */
    public static void checkNativeAccess() {
        try {
            Native.ensureInitialized();
        } catch (LinkageError e) { // ExceptionInInitializerError first time, NoClassDefFoundError afterwards
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IllegalCallerException) {
                    throw new IllegalCallerException(NATIVE_ACCESS_DENIED, e);
                }
            }
            throw e;
        }
    }

    /** Allocates a call-state segment for the hot-path overloads that take one; one per thread, never shared. */
    public static MemorySegment allocateCallState(Arena arena) {
        return arena.allocate(Native.CALL_STATE_LAYOUT);
    }

    /** The errno the last call made with {@code callState} left. */
    public static int errno(MemorySegment callState) {
        return callState.get(JAVA_INT, Native.ERRNO_OFFSET);
    }

    // Freed with its thread: each thread's segment lives in an automatic arena only that thread references.
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(Native.CALL_STATE_LAYOUT));

    // =====================================================================================================
    // Hot path: return value or -errno, never throw for a failed call, never allocate.
    // =====================================================================================================

    /** {@code read(2)} into {@code buf[0, count)}: bytes read, 0 at EOF, or {@code -errno}. */
    public static long read(int fd, MemorySegment buf, long count) {
        return read(CALL_STATE.get(), fd, buf, count);
    }

    /** {@link #read(int, MemorySegment, long)} with a caller-owned call state. */
    public static long read(MemorySegment callState, int fd, MemorySegment buf, long count) {
        checkCount(buf, count);
        try {
            long r = (long) Native.READ.invokeExact(callState, fd, buf, count);
            return r >= 0 ? r : -errno(callState);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code write(2)} of {@code buf[0, count)}: bytes written or {@code -errno}. */
    public static long write(int fd, MemorySegment buf, long count) {
        return write(CALL_STATE.get(), fd, buf, count);
    }

    /** {@link #write(int, MemorySegment, long)} with a caller-owned call state. */
    public static long write(MemorySegment callState, int fd, MemorySegment buf, long count) {
        checkCount(buf, count);
        try {
            long r = (long) Native.WRITE.invokeExact(callState, fd, buf, count);
            return r >= 0 ? r : -errno(callState);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code writev(2)} of the first {@code iovcnt} entries of an {@link Iovec} array: bytes written or
     * {@code -errno}. /dev/fuse takes a reply only as a single write, so there a short count never happens: either
     * everything is written or the call fails (ENOENT: the request was interrupted meanwhile; EINVAL: bad reply).
     */
    public static long writev(int fd, MemorySegment iovecs, int iovcnt) {
        return writev(CALL_STATE.get(), fd, iovecs, iovcnt);
    }

    /** {@link #writev(int, MemorySegment, int)} with a caller-owned call state. */
    public static long writev(MemorySegment callState, int fd, MemorySegment iovecs, int iovcnt) {
        if (iovcnt < 0 || iovcnt * Iovec.BYTES > iovecs.byteSize()) {
            throw new IndexOutOfBoundsException("iovcnt " + iovcnt + " does not fit an iovec array of "
                    + iovecs.byteSize() + " bytes");
        }
        try {
            long r = (long) Native.WRITEV.invokeExact(callState, fd, iovecs, iovcnt);
            return r >= 0 ? r : -errno(callState);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code poll(2)} on the first {@code nfds} entries of a {@link PollFd} array: the number of entries with
     * events, 0 on timeout, or {@code -errno} ({@code -EINTR} is possible; retry). A negative timeout waits forever.
     */
    public static int poll(MemorySegment pollfds, int nfds, int timeoutMillis) {
        return poll(CALL_STATE.get(), pollfds, nfds, timeoutMillis);
    }

    /** {@link #poll(MemorySegment, int, int)} with a caller-owned call state. */
    public static int poll(MemorySegment callState, MemorySegment pollfds, int nfds, int timeoutMillis) {
        if (nfds < 0 || nfds * PollFd.BYTES > pollfds.byteSize()) {
            throw new IndexOutOfBoundsException("nfds " + nfds + " does not fit a pollfd array of "
                    + pollfds.byteSize() + " bytes");
        }
        try {
            int r = (int) Native.POLL.invokeExact(callState, pollfds, (long) nfds, timeoutMillis);
            return r >= 0 ? r : -errno(callState);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code dup3(2)}: makes {@code newFd} refer to what {@code oldFd} refers to, atomically closing what it referred
     * to before, so the number never becomes free for another thread's open. Returns {@code newFd} or
     * {@code -errno}. Allocation-free: the way out when the heap is exhausted uses it.
     */
    public static int dup3(MemorySegment callState, int oldFd, int newFd, int flags) {
        try {
            int r = (int) Native.DUP3.invokeExact(callState, oldFd, newFd, flags);
            return r >= 0 ? r : -errno(callState);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static void checkCount(MemorySegment buf, long count) {
        if (count < 0 || count > buf.byteSize()) {
            throw new IndexOutOfBoundsException("count " + count + " outside a buffer of " + buf.byteSize() + " bytes");
        }
    }

    // =====================================================================================================
    // Files and descriptors
    // =====================================================================================================

    /** {@code open(2)} without {@code O_CREAT}. */
    public static int open(String path, int flags) throws NativeException {
        return open(path, flags, 0);
    }

    /** {@code open(2)}; {@code mode} applies with {@code O_CREAT}. */
    public static int open(String path, int flags, int mode) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            MemorySegment cpath = arena.allocateFrom(path);
            while (true) {
                int fd = (int) Native.OPEN.invokeExact(state, cpath, flags, mode);
                if (fd >= 0) {
                    return fd;
                }
                int errno = errno(state);
                if (errno != EINTR) {
                    throw new NativeException("open", NativeException.quote(path), errno);
                }
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code close(2)}. On Linux the fd is released even when close reports EINTR, so it is never retried (a retry
     * could close an fd another thread just opened) and EINTR is not an error.
     */
    public static void close(int fd) throws NativeException {
        MemorySegment state = CALL_STATE.get();
        int r;
        try {
            r = (int) Native.CLOSE.invokeExact(state, fd);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        if (r < 0 && errno(state) != EINTR) {
            throw new NativeException("close", Integer.toString(fd), errno(state));
        }
    }

    /** {@code ioctl(2)} with a pointer argument; returns the (non-negative) result. */
    public static int ioctl(int fd, long request, MemorySegment arg) throws NativeException {
        MemorySegment state = CALL_STATE.get();
        int r;
        try {
            r = (int) Native.IOCTL.invokeExact(state, fd, request, arg);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        if (r < 0) {
            throw new NativeException("ioctl", fd + ", 0x" + Long.toHexString(request), errno(state));
        }
        return r;
    }

    /**
     * {@code ioctl(2)} whose argument is a pointer to a {@code uint32_t} holding {@code value}, e.g.
     * {@code ioctlInt(cloneFd, FUSE_DEV_IOC_CLONE, sessionFd)}.
     */
    public static void ioctlInt(int fd, long request, int value) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            ioctl(fd, request, arena.allocateFrom(JAVA_INT, value));
        }
    }

    /** {@code fcntl(2)} with an int argument; returns the (non-negative) result. */
    public static int fcntl(int fd, int cmd, int arg) throws NativeException {
        MemorySegment state = CALL_STATE.get();
        int r;
        try {
            r = (int) Native.FCNTL.invokeExact(state, fd, cmd, arg);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        if (r < 0) {
            throw new NativeException("fcntl", fd + ", " + cmd, errno(state));
        }
        return r;
    }

    /** Sets or clears {@code O_NONBLOCK} on the open file description. */
    public static void setNonBlocking(int fd, boolean nonBlocking) throws NativeException {
        int flags = fcntl(fd, F_GETFL, 0);
        int wanted = nonBlocking ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (wanted != flags) {
            fcntl(fd, F_SETFL, wanted);
        }
    }

    /** Sets or clears {@code FD_CLOEXEC}: whether the fd is closed when this process (or a child) execs. */
    public static void setCloexec(int fd, boolean cloexec) throws NativeException {
        int flags = fcntl(fd, F_GETFD, 0);
        int wanted = cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        if (wanted != flags) {
            fcntl(fd, F_SETFD, wanted);
        }
    }

    /** A close-on-exec duplicate of {@code fd} numbered {@code minFd} or higher. */
    public static int dupCloexec(int fd, int minFd) throws NativeException {
        return fcntl(fd, F_DUPFD_CLOEXEC, minFd);
    }

    /** {@code pipe2(2)}: {@code [readEnd, writeEnd]}; pass {@link #O_CLOEXEC} so children do not inherit them. */
    public static int[] pipe(int flags) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int r = (int) Native.PIPE2.invokeExact(state, fds, flags);
            if (r < 0) {
                throw new NativeException("pipe2", "", errno(state));
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // =====================================================================================================
    // eventfd: a counter fd other threads write to wake a poller
    // =====================================================================================================

    /** {@code eventfd(2)}; use {@code EFD_CLOEXEC | EFD_NONBLOCK} for a wake-up fd. */
    public static int eventfd(int initval, int flags) throws NativeException {
        MemorySegment state = CALL_STATE.get();
        int r;
        try {
            r = (int) Native.EVENTFD.invokeExact(state, initval, flags);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        if (r < 0) {
            throw new NativeException("eventfd", Integer.toString(initval), errno(state));
        }
        return r;
    }

    /**
     * Adds {@code value} to an eventfd counter, waking its pollers. EAGAIN (counter saturated on a non-blocking
     * eventfd) is ignored: the counter is non-zero, so pollers are awake anyway.
     *
     * @throws UncheckedIOException wrapping a {@link NativeException} for any other failure (a closed fd)
     */
    public static void eventfdWrite(int fd, long value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            MemorySegment buf = arena.allocateFrom(JAVA_LONG, value);
            long r = write(state, fd, buf, Long.BYTES);
            if (r < 0 && r != -EAGAIN) {
                throw new UncheckedIOException(new NativeException("write", "eventfd " + fd, (int) -r));
            }
        }
    }

    /**
     * Reads and resets an eventfd counter: the counter value (positive), or {@code -errno} ({@code -EAGAIN} when it
     * is zero on a non-blocking eventfd).
     */
    public static long eventfdRead(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            MemorySegment buf = arena.allocate(JAVA_LONG);
            long r = read(state, fd, buf, Long.BYTES);
            return r < 0 ? r : buf.get(JAVA_LONG, 0);
        }
    }

    // =====================================================================================================
    // Mounting
    // =====================================================================================================

    /** {@code mount(2)}. {@code data} (the filesystem's option string) may be null. */
    public static void mount(String source, String target, String fstype, long mountFlags, String data)
            throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            MemorySegment d = data == null ? MemorySegment.NULL : arena.allocateFrom(data);
            int r = (int) Native.MOUNT.invokeExact(state, arena.allocateFrom(source), arena.allocateFrom(target),
                    arena.allocateFrom(fstype), mountFlags, d);
            if (r < 0) {
                throw new NativeException("mount", NativeException.quote(target), errno(state));
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code umount2(2)} with {@link #MNT_FORCE}, {@link #MNT_DETACH}, {@link #UMOUNT_NOFOLLOW}. */
    public static void umount2(String target, int flags) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            int r = (int) Native.UMOUNT2.invokeExact(state, arena.allocateFrom(target), flags);
            if (r < 0) {
                throw new NativeException("umount2", NativeException.quote(target), errno(state));
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // =====================================================================================================
    // Unix sockets and fd passing (how fusermount3 hands back the /dev/fuse fd)
    // =====================================================================================================

    /** {@code socketpair(2)} with protocol 0; or {@link #SOCK_CLOEXEC} into {@code type}. */
    public static int[] socketpair(int domain, int type) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            MemorySegment sv = arena.allocate(JAVA_INT, 2);
            int r = (int) Native.SOCKETPAIR.invokeExact(state, domain, type, 0, sv);
            if (r < 0) {
                throw new NativeException("socketpair", domain + ", " + type, errno(state));
            }
            return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Sends {@code fd} over a Unix socket as an {@code SCM_RIGHTS} control message riding on one byte of ordinary
     * data (a control message without data is not delivered on a stream socket, and fusermount3 sends one byte too).
     */
    public static void sendFd(int socket, int fd) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            MemorySegment msg = FdMessage.allocate(arena);
            FdMessage.setFd(msg, fd);
            while (true) {
                long r = (long) Native.SENDMSG.invokeExact(state, socket, FdMessage.header(msg), MSG_NOSIGNAL);
                if (r >= 0) {
                    return;
                }
                if (errno(state) != EINTR) {
                    throw new NativeException("sendmsg", "socket " + socket + ", fd " + fd, errno(state));
                }
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * Receives one fd sent with {@link #sendFd} (or by fusermount3). The fd arrives close-on-exec
     * ({@code MSG_CMSG_CLOEXEC}) so it cannot leak into children we spawn later.
     *
     * @return the received fd, or -1 if the peer closed the socket without sending one (fusermount3 does that when it
     *         fails, after printing its reason on stderr)
     * @throws NativeException with errno {@link #EPROTO} if data arrived without a descriptor
     */
    public static int recvFd(int socket) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            MemorySegment msg = FdMessage.allocate(arena);
            long r;
            while (true) {
                r = (long) Native.RECVMSG.invokeExact(state, socket, FdMessage.header(msg), MSG_CMSG_CLOEXEC);
                if (r >= 0) {
                    break;
                }
                if (errno(state) != EINTR) {
                    throw new NativeException("recvmsg", "socket " + socket, errno(state));
                }
            }
            int fd = FdMessage.fd(msg);
            if (fd >= 0) {
                return fd;
            }
            if (r == 0) {
                return -1;
            }
            boolean truncated = (FdMessage.flags(msg) & MSG_CTRUNC) != 0;
            throw new NativeException("recvmsg", "socket " + socket, EPROTO,
                    "received " + r + " byte(s) but no file descriptor"
                            + (truncated ? " (control data truncated: the peer sent more than one fd)" : ""));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * One {@code struct msghdr} with one iovec of one byte and room for one {@code SCM_RIGHTS} fd, in one segment.
     * Layouts follow the Linux 64-bit ABI; offsets come from the layouts, not from constants.
     */
    private static final class FdMessage {
        static final StructLayout MSGHDR = MemoryLayout.structLayout(
                ADDRESS.withName("msg_name"),
                JAVA_INT.withName("msg_namelen"),
                MemoryLayout.paddingLayout(4),
                ADDRESS.withName("msg_iov"),
                JAVA_LONG.withName("msg_iovlen"), // size_t in glibc (int in POSIX, but Linux uses size_t)
                ADDRESS.withName("msg_control"),
                JAVA_LONG.withName("msg_controllen"),
                JAVA_INT.withName("msg_flags"),
                MemoryLayout.paddingLayout(4));
        static final StructLayout CMSGHDR = MemoryLayout.structLayout(
                JAVA_LONG.withName("cmsg_len"),
                JAVA_INT.withName("cmsg_level"),
                JAVA_INT.withName("cmsg_type"));
        // CMSG_ALIGN rounds to sizeof(size_t); CMSG_LEN(n) = aligned header + n; CMSG_SPACE(n) pads n too.
        static final long CMSG_DATA = align(CMSGHDR.byteSize());
        static final long CMSG_LEN_FD = CMSG_DATA + Integer.BYTES;
        static final long CMSG_SPACE_FD = CMSG_DATA + align(Integer.BYTES);

        // Segment layout: [msghdr][iovec][control (CMSG_SPACE)][1 data byte]
        static final long IOV_AT = MSGHDR.byteSize();
        static final long CONTROL_AT = IOV_AT + Iovec.BYTES;
        static final long DATA_AT = CONTROL_AT + CMSG_SPACE_FD;
        static final long SIZE = DATA_AT + 8;

        static long align(long n) {
            return (n + Long.BYTES - 1) & -Long.BYTES;
        }

        static long off(String field) {
            return MSGHDR.byteOffset(groupElement(field));
        }

        static MemorySegment allocate(Arena arena) {
            MemorySegment seg = arena.allocate(SIZE, 8); // zeroed
            MemorySegment hdr = header(seg);
            MemorySegment iov = seg.asSlice(IOV_AT, Iovec.BYTES);
            Iovec.set(iov, 0, seg.asSlice(DATA_AT, 1));
            hdr.set(ADDRESS, off("msg_iov"), iov);
            hdr.set(JAVA_LONG, off("msg_iovlen"), 1);
            hdr.set(ADDRESS, off("msg_control"), seg.asSlice(CONTROL_AT, CMSG_SPACE_FD));
            hdr.set(JAVA_LONG, off("msg_controllen"), CMSG_SPACE_FD);
            return seg;
        }

        static MemorySegment header(MemorySegment seg) {
            return seg.asSlice(0, MSGHDR.byteSize());
        }

        static void setFd(MemorySegment seg, int fd) {
            MemorySegment c = seg.asSlice(CONTROL_AT, CMSG_SPACE_FD);
            c.set(JAVA_LONG, CMSGHDR.byteOffset(groupElement("cmsg_len")), CMSG_LEN_FD);
            c.set(JAVA_INT, CMSGHDR.byteOffset(groupElement("cmsg_level")), SOL_SOCKET);
            c.set(JAVA_INT, CMSGHDR.byteOffset(groupElement("cmsg_type")), SCM_RIGHTS);
            c.set(JAVA_INT, CMSG_DATA, fd);
        }

        /** The fd of the first control message if it is SCM_RIGHTS, else -1. */
        static int fd(MemorySegment seg) {
            long controllen = seg.get(JAVA_LONG, off("msg_controllen"));
            if (controllen < CMSG_LEN_FD) {
                return -1;
            }
            MemorySegment c = seg.asSlice(CONTROL_AT, CMSG_SPACE_FD);
            long len = c.get(JAVA_LONG, CMSGHDR.byteOffset(groupElement("cmsg_len")));
            int level = c.get(JAVA_INT, CMSGHDR.byteOffset(groupElement("cmsg_level")));
            int type = c.get(JAVA_INT, CMSGHDR.byteOffset(groupElement("cmsg_type")));
            if (level != SOL_SOCKET || type != SCM_RIGHTS || len < CMSG_LEN_FD) {
                return -1;
            }
            return c.get(JAVA_INT, CMSG_DATA);
        }

        static int flags(MemorySegment seg) {
            return seg.get(JAVA_INT, off("msg_flags"));
        }
    }

    // =====================================================================================================
    // Identity
    // =====================================================================================================

    public static int getuid() {
        return idCall(Native.GETUID);
    }

    public static int geteuid() {
        return idCall(Native.GETEUID);
    }

    public static int getgid() {
        return idCall(Native.GETGID);
    }

    public static int getpid() {
        return idCall(Native.GETPID);
    }

    private static int idCall(MethodHandle h) {
        try {
            return (int) h.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    // =====================================================================================================
    // Processes
    // =====================================================================================================

    /**
     * Starts {@code program} with {@code posix_spawnp}, making {@code dupFrom[i]} available as fd {@code dupTo[i]} in
     * the child. {@link ProcessBuilder} cannot do this: it closes every fd above 2 in the child, and fusermount3 needs
     * its socket at the fd number named by {@code _FUSE_COMMFD}.
     *
     * <p>The child gets exactly the listed fds plus 0, 1 and 2 (unless redirected): every other fd is closed with
     * {@code posix_spawn_file_actions_addclosefrom_np} where the C library has it (glibc 2.34+); elsewhere only
     * close-on-exec fds are withheld. Its signal mask is cleared (JVM threads block some signals).
     *
     * @param program a name looked up in the parent's PATH, or a path
     * @param argv    the full argument vector including {@code argv[0]}
     * @param env     the child's complete environment (not merged with ours)
     * @return the child's pid; reap it with {@link #waitpid}
     */
    public static int posixSpawn(String program, List<String> argv, Map<String, String> env, int[] dupFrom,
                                 int[] dupTo) throws NativeException {
        return posixSpawn(program, argv, env, dupFrom, dupTo, false);
    }

    /**
     * {@link #posixSpawn(String, List, Map, int[], int[])}, optionally in a new session: a child that must outlive
     * us (a watchdog) then escapes the terminal's Ctrl-C and hang-up, which go to our process group.
     */
    public static int posixSpawn(String program, List<String> argv, Map<String, String> env, int[] dupFrom,
                                 int[] dupTo, boolean newSession) throws NativeException {
        if (dupFrom.length != dupTo.length) {
            throw new IllegalArgumentException("dupFrom and dupTo differ in length: " + Arrays.toString(dupFrom)
                    + " vs " + Arrays.toString(dupTo));
        }
        int highestTarget = 2;
        for (int to : dupTo) {
            if (to < 0) {
                throw new IllegalArgumentException("negative target fd " + to + " in " + Arrays.toString(dupTo));
            }
            highestTarget = Math.max(highestTarget, to);
        }
        // dup2 actions run in order, so a source numbered like an earlier target would be clobbered first. Moving
        // every source above all targets (as close-on-exec copies) makes the order irrelevant.
        int[] sources = new int[dupFrom.length];
        Arrays.fill(sources, -1);
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < dupFrom.length; i++) {
                sources[i] = dupCloexec(dupFrom[i], highestTarget + 1);
            }
            MemorySegment actions = arena.allocate(256, 16); // glibc's posix_spawn_file_actions_t is 80 bytes
            MemorySegment attr = arena.allocate(1024, 16);   // glibc's posix_spawnattr_t is 336 bytes
            MemorySegment sigset = arena.allocate(128, 16);  // sigset_t is 1024 bits in glibc
            check("posix_spawn_file_actions_init", program, (int) Native.SPAWN_FA_INIT.invokeExact(actions));
            try {
                check("posix_spawnattr_init", program, (int) Native.SPAWNATTR_INIT.invokeExact(attr));
                try {
                    for (int i = 0; i < sources.length; i++) {
                        check("posix_spawn_file_actions_adddup2", sources[i] + " -> " + dupTo[i],
                                (int) Native.SPAWN_FA_ADDDUP2.invokeExact(actions, sources[i], dupTo[i]));
                    }
                    if (Native.SPAWN_FA_ADDCLOSEFROM.isPresent()) {
                        check("posix_spawn_file_actions_addclosefrom_np", program,
                                (int) Native.SPAWN_FA_ADDCLOSEFROM.get().invokeExact(actions, highestTarget + 1));
                    }
                    check("sigemptyset", program, (int) Native.SIGEMPTYSET.invokeExact(sigset));
                    check("posix_spawnattr_setsigmask", program,
                            (int) Native.SPAWNATTR_SETSIGMASK.invokeExact(attr, sigset));
                    check("posix_spawnattr_setflags", program,
                            (int) Native.SPAWNATTR_SETFLAGS.invokeExact(attr, (short) (POSIX_SPAWN_SETSIGMASK
                                    | (newSession ? POSIX_SPAWN_SETSID : 0))));
                    MemorySegment pid = arena.allocate(JAVA_INT);
                    MemorySegment argvArray = stringArray(arena, argv);
                    MemorySegment envArray = stringArray(arena, env.entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue()).toList());
                    // posix_spawnp returns the error number (it does not set errno); exec failures are reported here
                    // too because glibc's implementation waits for the exec (CLONE_VFORK).
                    int rc = (int) Native.POSIX_SPAWNP.invokeExact(pid, arena.allocateFrom(program), actions, attr,
                            argvArray, envArray);
                    check("posix_spawnp", NativeException.quote(program), rc);
                    return pid.get(JAVA_INT, 0);
                } finally {
                    int ignored = (int) Native.SPAWNATTR_DESTROY.invokeExact(attr);
                }
            } finally {
                int ignored = (int) Native.SPAWN_FA_DESTROY.invokeExact(actions);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        } finally {
            for (int fd : sources) {
                if (fd >= 0) {
                    closeQuietly(fd);
                }
            }
        }
    }

    private static void check(String call, String argument, int rc) throws NativeException {
        if (rc != 0) {
            throw new NativeException(call, argument, rc);
        }
    }

    private static MemorySegment stringArray(Arena arena, List<String> strings) {
        MemorySegment array = arena.allocate(ADDRESS, strings.size() + 1L); // zeroed: NULL-terminated
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(ADDRESS, i, arena.allocateFrom(strings.get(i)));
        }
        return array;
    }

    /**
     * {@code waitpid(2)} for one child, retrying on EINTR.
     *
     * @return the raw wait status (decode with {@link #exitCode} / {@link #describeStatus}), or -1 if
     *         {@code noHang} and the child is still running
     * @throws NativeException if {@code pid} is not our child or was already reaped (ECHILD)
     */
    public static int waitpid(int pid, boolean noHang) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                int r = (int) Native.WAITPID.invokeExact(state, pid, status, noHang ? WNOHANG : 0);
                if (r == pid) {
                    return status.get(JAVA_INT, 0);
                }
                if (r == 0) {
                    return -1;
                }
                if (errno(state) != EINTR) {
                    throw new NativeException("waitpid", Integer.toString(pid), errno(state));
                }
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** The exit code of a raw wait status, or -1 if the child did not exit normally (killed by a signal). */
    public static int exitCode(int status) {
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1;
    }

    /** {@code "exit code 1"} or {@code "killed by signal 9"}. */
    public static String describeStatus(int status) {
        int signal = status & 0x7f;
        return signal == 0 ? "exit code " + ((status >> 8) & 0xff) : "killed by signal " + signal;
    }

    /** {@code kill(2)}. */
    public static void kill(int pid, int signal) throws NativeException {
        MemorySegment state = CALL_STATE.get();
        int r;
        try {
            r = (int) Native.KILL.invokeExact(state, pid, signal);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        if (r < 0) {
            throw new NativeException("kill", pid + ", " + signal, errno(state));
        }
    }

    /** Closes {@code fd}, ignoring errors: for cleanup paths that already report a better error. */
    public static void closeQuietly(int fd) {
        try {
            close(fd);
        } catch (NativeException ignored) {
            // Nothing useful to add to the error being reported.
        }
    }

    // =====================================================================================================
    // io_uring (raw system calls: glibc has no wrappers) and memory mappings
    // =====================================================================================================

    /** io_uring's system call numbers are the same on x86_64 and on every architecture with the generic table. */
    private static final long SYS_IO_URING_SETUP = 425;
    private static final long SYS_IO_URING_ENTER = 426;
    private static final long SYS_IO_URING_REGISTER = 427;

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 1;
    public static final int MAP_POPULATE = 0x8000;

    /**
     * {@code io_uring_setup(2)}: creates a ring of {@code entries} submission slots described by {@code params}
     * (a zeroed {@code struct io_uring_params} with the wanted flags; the kernel fills in the rest).
     *
     * @return the ring's file descriptor
     */
    public static int ioUringSetup(int entries, MemorySegment params) throws NativeException {
        long r = syscall(CALL_STATE.get(), SYS_IO_URING_SETUP, entries, params.address(), 0, 0, 0, 0);
        if (r < 0) {
            throw new NativeException("io_uring_setup", entries + " entries", (int) -r);
        }
        return (int) r;
    }

    /**
     * {@code io_uring_enter(2)} without a signal mask: submits {@code toSubmit} queued entries and, with
     * {@code IORING_ENTER_GETEVENTS} in {@code flags}, waits for {@code minComplete} completions. Hot path: returns
     * the number submitted or {@code -errno} ({@code -EINTR} when a signal or task work cut a wait short).
     */
    public static int ioUringEnter(MemorySegment callState, int ringFd, int toSubmit, int minComplete, int flags) {
        return (int) syscall(callState, SYS_IO_URING_ENTER, ringFd, toSubmit, minComplete, flags, 0, 0);
    }

    /** {@code io_uring_register(2)}: returns the (non-negative) result. */
    public static int ioUringRegister(int ringFd, int opcode, MemorySegment arg, int count) throws NativeException {
        long r = syscall(CALL_STATE.get(), SYS_IO_URING_REGISTER, ringFd, opcode, arg.address(), count, 0, 0);
        if (r < 0) {
            throw new NativeException("io_uring_register", "ring " + ringFd + ", opcode " + opcode, (int) -r);
        }
        return (int) r;
    }

    /**
     * Binds the calling thread to one CPU ({@code sched_setaffinity(0, ...)} acts on the calling thread, not the
     * process).
     */
    public static void pinCurrentThread(int cpu) throws NativeException {
        if (cpu < 0 || cpu >= 1024) {
            throw new IllegalArgumentException("cpu " + cpu + " outside 0..1023");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(128, 8); // cpu_set_t: 1024 bits
            mask.set(JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            MemorySegment state = arena.allocate(Native.CALL_STATE_LAYOUT);
            int r = (int) Native.SCHED_SETAFFINITY.invokeExact(state, 0, 128L, mask);
            if (r < 0) {
                throw new NativeException("sched_setaffinity", "cpu " + cpu, errno(state));
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static long syscall(MemorySegment state, long number, long a, long b, long c, long d, long e, long f) {
        try {
            long r = (long) Native.SYSCALL.invokeExact(state, number, a, b, c, d, e, f);
            return r >= 0 ? r : -errno(state);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * {@code mmap(2)} of {@code length} bytes of {@code fd} at {@code offset} (shared), as a segment of that size.
     * The segment is not tied to an arena: it stays valid until {@link #munmap}, which the owner must call exactly
     * once and only when no thread can touch the segment any more.
     */
    @SuppressWarnings("restricted") // reinterpret: mmap returns a bare address whose size we know
    public static MemorySegment mmap(long length, int prot, int flags, int fd, long offset) throws NativeException {
        MemorySegment state = CALL_STATE.get();
        MemorySegment r;
        try {
            r = (MemorySegment) Native.MMAP.invokeExact(state, MemorySegment.NULL, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        if (r.address() == -1L) { // MAP_FAILED
            throw new NativeException("mmap", "fd " + fd + ", offset 0x" + Long.toHexString(offset) + ", " + length
                    + " bytes", errno(state));
        }
        return r.reinterpret(length);
    }

    /** {@code munmap(2)} of a segment returned by {@link #mmap}. */
    public static void munmap(MemorySegment mapping) throws NativeException {
        MemorySegment state = CALL_STATE.get();
        int r;
        try {
            r = (int) Native.MUNMAP.invokeExact(state, mapping, mapping.byteSize());
        } catch (Throwable t) {
            throw unexpected(t);
        }
        if (r < 0) {
            throw new NativeException("munmap", mapping.byteSize() + " bytes", errno(state));
        }
    }

    // =====================================================================================================
    // Error texts
    // =====================================================================================================

    /** The C library's message for {@code errno}, e.g. "No such file or directory"; "errno N" if unavailable. */
    @SuppressWarnings("restricted") // reinterpret: strerror returns a pointer to a NUL-terminated static string
    public static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Native.STRERROR.invokeExact(errno);
            return s.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) { // no native access: messages must still be producible
            return "errno " + errno;
        }
    }

    /** The symbolic name of a Linux errno value ({@code "ENOENT"}), or {@code "errno N"} for unlisted ones. */
    public static String errnoName(int errno) {
        return switch (errno) {
            case 1 -> "EPERM";
            case 2 -> "ENOENT";
            case 3 -> "ESRCH";
            case 4 -> "EINTR";
            case 5 -> "EIO";
            case 6 -> "ENXIO";
            case 7 -> "E2BIG";
            case 8 -> "ENOEXEC";
            case 9 -> "EBADF";
            case 10 -> "ECHILD";
            case 11 -> "EAGAIN";
            case 12 -> "ENOMEM";
            case 13 -> "EACCES";
            case 14 -> "EFAULT";
            case 15 -> "ENOTBLK";
            case 16 -> "EBUSY";
            case 17 -> "EEXIST";
            case 18 -> "EXDEV";
            case 19 -> "ENODEV";
            case 20 -> "ENOTDIR";
            case 21 -> "EISDIR";
            case 22 -> "EINVAL";
            case 23 -> "ENFILE";
            case 24 -> "EMFILE";
            case 25 -> "ENOTTY";
            case 26 -> "ETXTBSY";
            case 27 -> "EFBIG";
            case 28 -> "ENOSPC";
            case 29 -> "ESPIPE";
            case 30 -> "EROFS";
            case 31 -> "EMLINK";
            case 32 -> "EPIPE";
            case 33 -> "EDOM";
            case 34 -> "ERANGE";
            case 35 -> "EDEADLK";
            case 36 -> "ENAMETOOLONG";
            case 37 -> "ENOLCK";
            case 38 -> "ENOSYS";
            case 39 -> "ENOTEMPTY";
            case 40 -> "ELOOP";
            case 42 -> "ENOMSG";
            case 43 -> "EIDRM";
            case 61 -> "ENODATA"; // also ENOATTR
            case 62 -> "ETIME";
            case 71 -> "EPROTO";
            case 74 -> "EBADMSG";
            case 75 -> "EOVERFLOW";
            case 84 -> "EILSEQ";
            case 88 -> "ENOTSOCK";
            case 90 -> "EMSGSIZE";
            case 95 -> "EOPNOTSUPP"; // also ENOTSUP
            case 97 -> "EAFNOSUPPORT";
            case 98 -> "EADDRINUSE";
            case 103 -> "ECONNABORTED";
            case 104 -> "ECONNRESET";
            case 105 -> "ENOBUFS";
            case 107 -> "ENOTCONN";
            case 110 -> "ETIMEDOUT";
            case 111 -> "ECONNREFUSED";
            case 114 -> "EALREADY";
            case 115 -> "EINPROGRESS";
            case 116 -> "ESTALE";
            case 122 -> "EDQUOT";
            case 125 -> "ECANCELED";
            case 130 -> "EOWNERDEAD";
            case 131 -> "ENOTRECOVERABLE";
            default -> "errno " + errno;
        };
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        // Downcall handles declare Throwable but native code cannot throw checked exceptions.
        return new IllegalStateException("unexpected exception from a native call", t);
    }

    /**
     * The method handles, in a holder class so that a failure to link (native access denied) leaves the rest of
     * {@link LibC} (errno names, constants) usable. Fields are static final so the JIT can inline the downcalls.
     */
    @SuppressWarnings("restricted")
    private static final class Native {
        static final Linker LINKER = Linker.nativeLinker();
        static final SymbolLookup LIBC = LINKER.defaultLookup();
        static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();
        static final long ERRNO_OFFSET = CALL_STATE_LAYOUT.byteOffset(groupElement("errno"));
        static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
        // open, fcntl and ioctl are variadic in C: their third argument must be passed the variadic way.
        static final Linker.Option VARIADIC_AT_2 = Linker.Option.firstVariadicArg(2);

        static final MethodHandle READ = withErrno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle WRITE = withErrno("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle WRITEV = withErrno("writev", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle POLL = withErrno("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        static final MethodHandle OPEN = withErrno("open",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), VARIADIC_AT_2);
        static final MethodHandle CLOSE = withErrno("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle DUP3 = withErrno("dup3", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle IOCTL = withErrno("ioctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), VARIADIC_AT_2);
        static final MethodHandle FCNTL = withErrno("fcntl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), VARIADIC_AT_2);
        static final MethodHandle PIPE2 = withErrno("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle EVENTFD = withErrno("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        static final MethodHandle MOUNT = withErrno("mount",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
        static final MethodHandle UMOUNT2 = withErrno("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle SOCKETPAIR = withErrno("socketpair",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        static final MethodHandle SENDMSG = withErrno("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle RECVMSG = withErrno("recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle WAITPID = withErrno("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle KILL = withErrno("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
        // long syscall(long number, ...): every argument passed as a 64-bit variadic integer.
        static final MethodHandle SYSCALL = withErrno("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG,
                JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
        static final MethodHandle MMAP = withErrno("mmap",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
        static final MethodHandle SCHED_SETAFFINITY = withErrno("sched_setaffinity",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));
        static final MethodHandle MUNMAP = withErrno("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));

        // These cannot fail, or report failure in their return value rather than errno.
        static final MethodHandle GETUID = plain("getuid", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle GETEUID = plain("geteuid", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle GETGID = plain("getgid", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle GETPID = plain("getpid", FunctionDescriptor.of(JAVA_INT));
        static final MethodHandle STRERROR = plain("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        static final MethodHandle POSIX_SPAWNP = plain("posix_spawnp",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle SPAWN_FA_INIT = plain("posix_spawn_file_actions_init",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SPAWN_FA_DESTROY = plain("posix_spawn_file_actions_destroy",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SPAWN_FA_ADDDUP2 = plain("posix_spawn_file_actions_adddup2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        static final Optional<MethodHandle> SPAWN_FA_ADDCLOSEFROM = LIBC.find("posix_spawn_file_actions_addclosefrom_np")
                .map(addr -> link("posix_spawn_file_actions_addclosefrom_np", addr,
                        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT)));
        static final MethodHandle SPAWNATTR_INIT = plain("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SPAWNATTR_DESTROY = plain("posix_spawnattr_destroy",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SPAWNATTR_SETSIGMASK = plain("posix_spawnattr_setsigmask",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SPAWNATTR_SETFLAGS = plain("posix_spawnattr_setflags",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
        static final MethodHandle SIGEMPTYSET = plain("sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS));

        static void ensureInitialized() {
            // Touching the class runs the initializer above; nothing else to do.
        }

        private static MethodHandle withErrno(String name, FunctionDescriptor fd, Linker.Option... options) {
            Linker.Option[] all = Arrays.copyOf(options, options.length + 1);
            all[options.length] = ERRNO;
            return link(name, find(name), fd, all);
        }

        private static MethodHandle plain(String name, FunctionDescriptor fd) {
            return link(name, find(name), fd);
        }

        private static MemorySegment find(String name) {
            return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError(
                    "C library function " + name + " not found: jfuser needs Linux with glibc or musl"));
        }

        private static MethodHandle link(String name, MemorySegment address, FunctionDescriptor fd,
                                         Linker.Option... options) {
            try {
                return LINKER.downcallHandle(address, fd, options);
            } catch (IllegalCallerException e) {
                throw new IllegalCallerException(NATIVE_ACCESS_DENIED + " (while binding " + name + ")", e);
            }
        }
    }
}
