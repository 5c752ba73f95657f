package dev.jfuser.internal.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Blocking AF_UNIX stream sockets on a path, for handing a live mount from one process to another: the /dev/fuse
 * descriptor travels as {@code SCM_RIGHTS} ({@link LibC#sendFd}/{@link LibC#recvFd}), the state as plain bytes.
 * Java's own Unix-domain {@code SocketChannel} cannot carry descriptors and hides its fd, so the whole socket is
 * done here. Every descriptor is close-on-exec; every failure a {@link NativeException} naming the call and path.
 */
@SuppressWarnings("restricted")
public final class UnixSockets {
    private UnixSockets() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final long ERRNO = STATE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    /** {@code sizeof(struct sockaddr_un)}: a 2-byte family, then 108 bytes of NUL-terminated path. */
    private static final int SOCKADDR_UN = 110;
    private static final int SUN_PATH_MAX = 107;

    private static MethodHandle h(String name, FunctionDescriptor fd) {
        MemorySegment addr = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function " + name + " not found"));
        return LINKER.downcallHandle(addr, fd, Linker.Option.captureCallState("errno"));
    }

    private static final MethodHandle SOCKET = h("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_INT));
    private static final MethodHandle BIND = h("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = h("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_INT));
    private static final MethodHandle LISTEN = h("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = h("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
            ADDRESS, JAVA_INT));

    /**
     * Runs every call a hand-over makes once, on a socket pair, so their first-use cost (linking the downcalls,
     * loading classes) is paid before the mount pauses rather than during the pause.
     */
    public static void warmUp() throws NativeException {
        int[] pair = LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC);
        try {
            LibC.sendFd(pair[0], pair[1]);
            LibC.closeQuietly(LibC.recvFd(pair[1]));
            writeFully(pair[0], new byte[] {1, 2, 3, 4});
            readFully(pair[1], 4);
        } finally {
            LibC.closeQuietly(pair[0]);
            LibC.closeQuietly(pair[1]);
        }
    }

    /** A socket bound to {@code path} and listening (backlog 1). The path must not exist. */
    public static int listen(Path path) throws NativeException {
        int s = socket();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            MemorySegment addr = address(arena, path);
            int r = (int) BIND.invokeExact(state, s, addr, SOCKADDR_UN);
            if (r < 0) {
                throw new NativeException("bind", path.toString(), errno(state));
            }
            r = (int) LISTEN.invokeExact(state, s, 1);
            if (r < 0) {
                throw new NativeException("listen", path.toString(), errno(state));
            }
            return s;
        } catch (Throwable t) {
            LibC.closeQuietly(s);
            throw rethrow(t);
        }
    }

    /** Waits for one connection on a {@link #listen}ing socket; returns the connected socket. */
    public static int accept(int listening) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            while (true) {
                int r = (int) ACCEPT4.invokeExact(state, listening, MemorySegment.NULL, MemorySegment.NULL,
                        LibC.SOCK_CLOEXEC);
                if (r >= 0) {
                    return r;
                }
                if (errno(state) != LibC.EINTR) {
                    throw new NativeException("accept4", "socket " + listening, errno(state));
                }
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** A socket connected to the one listening at {@code path}. */
    public static int connect(Path path) throws NativeException {
        int s = socket();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            MemorySegment addr = address(arena, path);
            while (true) {
                int r = (int) CONNECT.invokeExact(state, s, addr, SOCKADDR_UN);
                if (r >= 0) {
                    return s;
                }
                if (errno(state) != LibC.EINTR) {
                    throw new NativeException("connect", path.toString(), errno(state));
                }
            }
        } catch (Throwable t) {
            LibC.closeQuietly(s);
            throw rethrow(t);
        }
    }

    /** Writes all of {@code data} to a connected socket. */
    public static void writeFully(int socket, byte[] data) throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, data.length);
            long done = 0;
            while (done < data.length) {
                long n = LibC.write(socket, buf.asSlice(done), data.length - done);
                if (n < 0) {
                    if (-n == LibC.EINTR) {
                        continue;
                    }
                    throw new NativeException("write", "socket " + socket, (int) -n);
                }
                done += n;
            }
        }
    }

    /**
     * Reads exactly {@code length} bytes from a connected socket.
     *
     * @throws NativeException with errno {@link LibC#EPROTO} if the peer closed the socket before sending them
     */
    public static byte[] readFully(int socket, int length) throws NativeException {
        byte[] out = new byte[length];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, length));
            long done = 0;
            while (done < length) {
                long n = LibC.read(socket, buf.asSlice(done), length - done);
                if (n < 0) {
                    if (-n == LibC.EINTR) {
                        continue;
                    }
                    throw new NativeException("read", "socket " + socket, (int) -n);
                }
                if (n == 0) {
                    throw new NativeException("read", "socket " + socket, LibC.EPROTO,
                            "the peer closed the socket after " + done + " of " + length + " bytes");
                }
                done += n;
            }
            MemorySegment.copy(buf, JAVA_BYTE, 0, out, 0, length);
        }
        return out;
    }

    private static int socket() throws NativeException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(STATE);
            int s = (int) SOCKET.invokeExact(state, LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
            if (s < 0) {
                throw new NativeException("socket", "AF_UNIX", errno(state));
            }
            return s;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static MemorySegment address(Arena arena, Path path) throws NativeException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > SUN_PATH_MAX) {
            throw new NativeException("bind", path.toString(), LibC.EINVAL, "the socket path is " + name.length
                    + " bytes long; a Unix socket path holds at most " + SUN_PATH_MAX + ": use a shorter path");
        }
        MemorySegment addr = arena.allocate(SOCKADDR_UN, 2); // zeroed: the path ends in NUL
        addr.set(JAVA_SHORT, 0, (short) LibC.AF_UNIX);
        MemorySegment.copy(name, 0, addr, JAVA_BYTE, 2, name.length);
        return addr;
    }

    private static int errno(MemorySegment state) {
        return state.get(JAVA_INT, ERRNO);
    }

    private static NativeException rethrow(Throwable t) throws NativeException {
        if (t instanceof NativeException e) {
            throw e;
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected exception from a native call", t);
    }
}
