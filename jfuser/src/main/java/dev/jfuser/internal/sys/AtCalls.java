package dev.jfuser.internal.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.jfuser.posix.DirEntry;
import dev.jfuser.posix.Stat;
import dev.jfuser.posix.StatFs;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code *at()} family and file I/O on descriptors, for {@code dev.jfuser.posix}: names are raw bytes (a Linux
 * name is bytes), every failure a {@link NativeException} with its errno. EINTR is retried where a retry is safe.
 */
@SuppressWarnings("restricted")
public final class AtCalls {
    private AtCalls() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final long ERRNO = STATE.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final int EINTR = 4;
    private static final int ERANGE = 34;

    private static MethodHandle h(String name, FunctionDescriptor fd, Linker.Option... more) {
        Linker.Option[] all = Arrays.copyOf(more, more.length + 1);
        all[more.length] = Linker.Option.captureCallState("errno");
        MemorySegment addr = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library function " + name + " not found"));
        return LINKER.downcallHandle(addr, fd, all);
    }

    private static final MethodHandle OPENAT = h("openat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT,
            JAVA_INT), Linker.Option.firstVariadicArg(3));
    private static final MethodHandle STATX = h("statx", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT,
            JAVA_INT, ADDRESS));
    private static final MethodHandle MKDIRAT = h("mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MKNODAT = h("mknodat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT,
            JAVA_LONG));
    private static final MethodHandle SYMLINKAT = h("symlinkat", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT,
            ADDRESS));
    private static final MethodHandle READLINKAT = h("readlinkat", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            ADDRESS, JAVA_LONG));
    private static final MethodHandle UNLINKAT = h("unlinkat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RENAMEAT2 = h("renameat2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LINKAT = h("linkat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT,
            ADDRESS, JAVA_INT));
    private static final MethodHandle FCHMODAT = h("fchmodat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_INT, JAVA_INT));
    private static final MethodHandle FCHOWNAT = h("fchownat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
            JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle UTIMENSAT = h("utimensat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
            ADDRESS, JAVA_INT));
    private static final MethodHandle FTRUNCATE = h("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle PREAD = h("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG,
            JAVA_LONG));
    private static final MethodHandle PWRITE = h("pwrite", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG,
            JAVA_LONG));
    private static final MethodHandle FSYNC = h("fsync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FDATASYNC = h("fdatasync", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SYNCFS = h("syncfs", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FALLOCATE = h("fallocate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT,
            JAVA_LONG, JAVA_LONG));
    private static final MethodHandle LSEEK = h("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle COPY_FILE_RANGE = h("copy_file_range", FunctionDescriptor.of(JAVA_LONG, JAVA_INT,
            ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle FSTATVFS = h("fstatvfs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle GETXATTR = h("getxattr", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS,
            ADDRESS, JAVA_LONG));
    private static final MethodHandle SETXATTR = h("setxattr", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
            ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle LISTXATTR = h("listxattr", FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS,
            JAVA_LONG));
    private static final MethodHandle REMOVEXATTR = h("removexattr", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETDENTS64 = h("getdents64", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_LONG));
    private static final MethodHandle FLOCK = h("flock", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    // fcntl is variadic: the struct flock pointer is passed the variadic way.
    private static final MethodHandle FCNTL_LOCK = h("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT,
            ADDRESS), Linker.Option.firstVariadicArg(2));
    /** Open-file-description lock commands of fcntl(2) (the same on every Linux architecture). */
    public static final int F_OFD_GETLK = 36, F_OFD_SETLK = 37, F_OFD_SETLKW = 38;
    /** struct flock (the same layout on x86_64 and aarch64): l_type, l_whence, l_start, l_len, l_pid. */
    private static final long FLOCK_SIZE = 32, L_TYPE = 0, L_WHENCE = 2, L_START = 8, L_LEN = 16, L_PID = 24;

    /** A NUL-terminated copy of {@code name}; a name holding NUL is refused (EINVAL) rather than cut short. */
    private static MemorySegment cstr(Arena a, byte[] name) throws NativeException {
        for (byte b : name) {
            if (b == 0) {
                throw new NativeException("name", "", 22, "a name cannot contain a NUL byte");
            }
        }
        MemorySegment s = a.allocate(name.length + 1L);
        MemorySegment.copy(name, 0, s, JAVA_BYTE, 0, name.length);
        return s;
    }

    private static MemorySegment state(Arena a) {
        return a.allocate(STATE);
    }

    private static int errno(MemorySegment state) {
        return state.get(JAVA_INT, ERRNO);
    }

    private static long check(String call, Object arg, long r, MemorySegment state) throws NativeException {
        if (r < 0) {
            throw new NativeException(call, String.valueOf(arg), errno(state));
        }
        return r;
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected exception from a native call", t);
    }

    private static String show(byte[] name) {
        return new String(name, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** openat(2); returns the new descriptor. */
    public static int openat(int dir, byte[] name, int flags, int mode) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment n = cstr(a, name);
            while (true) {
                int fd = (int) OPENAT.invokeExact(st, dir, n, flags, mode);
                if (fd >= 0) {
                    return fd;
                }
                if (errno(st) != EINTR) {
                    throw new NativeException("openat", dir + ", \"" + show(name) + "\"", errno(st));
                }
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** statx(2) with the basic stats. */
    public static Stat statx(int dir, byte[] name, int flags) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment buf = a.allocate(256, 8);
            int r = (int) STATX.invokeExact(st, dir, cstr(a, name), flags, 0x7ff, buf);
            check("statx", dir + ", \"" + show(name) + "\"", r, st);
            return new Stat(
                    ((long) buf.get(JAVA_INT, 136) << 32) | (buf.get(JAVA_INT, 140) & 0xffffffffL),
                    buf.get(JAVA_LONG, 32), buf.get(JAVA_SHORT, 28) & 0xffff, buf.get(JAVA_INT, 16),
                    buf.get(JAVA_INT, 20), buf.get(JAVA_INT, 24), buf.get(JAVA_INT, 128), buf.get(JAVA_INT, 132),
                    buf.get(JAVA_LONG, 40), buf.get(JAVA_LONG, 48), buf.get(JAVA_INT, 4),
                    time(buf, 64), time(buf, 112), time(buf, 96));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static Instant time(MemorySegment buf, long off) {
        return Instant.ofEpochSecond(buf.get(JAVA_LONG, off), buf.get(JAVA_INT, off + 8) & 0xffffffffL);
    }

    /** mkdirat(2). */
    public static void mkdirat(int dir, byte[] name, int mode) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("mkdirat", show(name), (int) MKDIRAT.invokeExact(st, dir, cstr(a, name), mode), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** mknodat(2); {@code dev} in glibc's dev_t encoding. */
    public static void mknodat(int dir, byte[] name, int mode, long dev) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("mknodat", show(name), (int) MKNODAT.invokeExact(st, dir, cstr(a, name), mode, dev), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** symlinkat(2). */
    public static void symlinkat(byte[] target, int dir, byte[] name) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("symlinkat", show(name), (int) SYMLINKAT.invokeExact(st, cstr(a, target), dir, cstr(a, name)), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** readlinkat(2): the link's target as stored, whatever its length. */
    public static byte[] readlinkat(int dir, byte[] name) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment n = cstr(a, name);
            for (long size = 256; ; size *= 4) {
                MemorySegment buf = a.allocate(size);
                long r = check("readlinkat", dir, (long) READLINKAT.invokeExact(st, dir, n, buf, size), st);
                if (r < size) {
                    return buf.asSlice(0, r).toArray(JAVA_BYTE);
                }
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** unlinkat(2). */
    public static void unlinkat(int dir, byte[] name, int flags) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("unlinkat", show(name), (int) UNLINKAT.invokeExact(st, dir, cstr(a, name), flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** renameat2(2). */
    public static void renameat2(int oldDir, byte[] oldName, int newDir, byte[] newName, int flags)
            throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("renameat2", show(oldName) + " -> " + show(newName), (int) RENAMEAT2.invokeExact(st, oldDir,
                    cstr(a, oldName), newDir, cstr(a, newName), flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** linkat(2). */
    public static void linkat(int oldDir, byte[] oldName, int newDir, byte[] newName, int flags)
            throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("linkat", show(newName), (int) LINKAT.invokeExact(st, oldDir, cstr(a, oldName), newDir,
                    cstr(a, newName), flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fchmodat(2). */
    public static void fchmodat(int dir, byte[] name, int mode, int flags) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("fchmodat", show(name), (int) FCHMODAT.invokeExact(st, dir, cstr(a, name), mode, flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fchownat(2); -1 leaves an id unchanged. */
    public static void fchownat(int dir, byte[] name, int uid, int gid, int flags) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("fchownat", show(name), (int) FCHOWNAT.invokeExact(st, dir, cstr(a, name), uid, gid, flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** utimensat(2); each time is {seconds, nanoseconds} with UTIME_NOW / UTIME_OMIT in the nanoseconds. */
    public static void utimensat(int dir, byte[] name, long aSec, long aNsec, long mSec, long mNsec, int flags)
            throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment ts = a.allocate(32, 8);
            ts.set(JAVA_LONG, 0, aSec);
            ts.set(JAVA_LONG, 8, aNsec);
            ts.set(JAVA_LONG, 16, mSec);
            ts.set(JAVA_LONG, 24, mNsec);
            check("utimensat", show(name), (int) UTIMENSAT.invokeExact(st, dir, cstr(a, name), ts, flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** ftruncate(2). */
    public static void ftruncate(int fd, long size) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("ftruncate", fd, (int) FTRUNCATE.invokeExact(st, fd, size), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pread(2) of up to {@code size} bytes: the bytes read (fewer at the end of the file). */
    public static byte[] pread(int fd, int size, long offset) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment buf = a.allocate(Math.max(1, size));
            long done = 0;
            while (done < size) {
                long r = (long) PREAD.invokeExact(st, fd, buf.asSlice(done), size - done, offset + done);
                if (r < 0 && errno(st) == EINTR) {
                    continue;
                }
                check("pread", fd, r, st);
                if (r == 0) {
                    break;
                }
                done += r;
            }
            return buf.asSlice(0, done).toArray(JAVA_BYTE);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** pwrite(2) of all of {@code data}'s remaining bytes (the buffer's position is left alone). */
    public static int pwrite(int fd, ByteBuffer data, long offset) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            int n = data.remaining();
            MemorySegment src;
            if (data.isDirect()) {
                src = MemorySegment.ofBuffer(data);
            } else {
                src = a.allocate(Math.max(1, n));
                MemorySegment.copy(MemorySegment.ofBuffer(data), 0, src, 0, n);
            }
            long done = 0;
            while (done < n) {
                long r = (long) PWRITE.invokeExact(st, fd, src.asSlice(done), n - done, offset + done);
                if (r < 0 && errno(st) == EINTR) {
                    continue;
                }
                check("pwrite", fd, r, st);
                done += r;
            }
            return (int) done;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fsync(2), or fdatasync(2) when {@code dataOnly}. */
    public static void fsync(int fd, boolean dataOnly) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            int r = dataOnly ? (int) FDATASYNC.invokeExact(st, fd) : (int) FSYNC.invokeExact(st, fd);
            check(dataOnly ? "fdatasync" : "fsync", fd, r, st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** syncfs(2). */
    public static void syncfs(int fd) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("syncfs", fd, (int) SYNCFS.invokeExact(st, fd), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fallocate(2). */
    public static void fallocate(int fd, int mode, long offset, long length) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("fallocate", fd, (int) FALLOCATE.invokeExact(st, fd, mode, offset, length), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** lseek(2). */
    public static long lseek(int fd, long offset, int whence) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            return check("lseek", fd, (long) LSEEK.invokeExact(st, fd, offset, whence), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** copy_file_range(2) between explicit offsets; returns the bytes copied. */
    public static long copyFileRange(int fdIn, long offIn, int fdOut, long offOut, long length, int flags)
            throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment in = a.allocateFrom(JAVA_LONG, offIn);
            MemorySegment out = a.allocateFrom(JAVA_LONG, offOut);
            return check("copy_file_range", fdIn + " -> " + fdOut, (long) COPY_FILE_RANGE.invokeExact(st, fdIn, in,
                    fdOut, out, length, flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** flock(2). */
    public static void flock(int fd, int operation) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("flock", fd, (int) FLOCK.invokeExact(st, fd, operation), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /**
     * fcntl(2) with a struct flock: {@code cmd} is {@link #F_OFD_GETLK} or {@link #F_OFD_SETLK} (non-blocking; the
     * blocking {@link #F_OFD_SETLKW} would pin a virtual thread's carrier for the whole wait). The range is
     * {@code SEEK_SET}-relative, {@code len} 0 meaning to the end of the file.
     *
     * @return the struct after the call: {@code {type, start, len, pid}} (GETLK's answer)
     */
    public static long[] fcntlLock(int fd, int cmd, int type, long start, long len) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment fl = a.allocate(FLOCK_SIZE, 8);
            fl.set(JAVA_SHORT, L_TYPE, (short) type);
            fl.set(JAVA_SHORT, L_WHENCE, (short) 0);
            fl.set(JAVA_LONG, L_START, start);
            fl.set(JAVA_LONG, L_LEN, len);
            fl.set(JAVA_INT, L_PID, 0);
            check("fcntl", fd + ", " + cmd, (int) FCNTL_LOCK.invokeExact(st, fd, cmd, fl), st);
            return new long[] {fl.get(JAVA_SHORT, L_TYPE), fl.get(JAVA_LONG, L_START), fl.get(JAVA_LONG, L_LEN),
                    fl.get(JAVA_INT, L_PID)};
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** fstatvfs(3). */
    public static StatFs fstatvfs(int fd) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment b = a.allocate(112, 8);
            check("fstatvfs", fd, (int) FSTATVFS.invokeExact(st, fd, b), st);
            return new StatFs(b.get(JAVA_LONG, 0), b.get(JAVA_LONG, 8), b.get(JAVA_LONG, 16), b.get(JAVA_LONG, 24),
                    b.get(JAVA_LONG, 32), b.get(JAVA_LONG, 40), b.get(JAVA_LONG, 48), b.get(JAVA_LONG, 80));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** getxattr(2) on {@code path}: the whole value, however large. */
    public static byte[] getxattr(byte[] path, byte[] name) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment p = cstr(a, path);
            MemorySegment n = cstr(a, name);
            while (true) {
                long size = check("getxattr", show(name), (long) GETXATTR.invokeExact(st, p, n, MemorySegment.NULL,
                        0L), st);
                MemorySegment buf = a.allocate(Math.max(1, size));
                long r = (long) GETXATTR.invokeExact(st, p, n, buf, size);
                if (r < 0 && errno(st) == ERANGE) {
                    continue; // grew meanwhile
                }
                check("getxattr", show(name), r, st);
                return buf.asSlice(0, r).toArray(JAVA_BYTE);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** setxattr(2) on {@code path}. */
    public static void setxattr(byte[] path, byte[] name, byte[] value, int flags) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment v = a.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
            check("setxattr", show(name), (int) SETXATTR.invokeExact(st, cstr(a, path), cstr(a, name), v,
                    (long) value.length, flags), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** listxattr(2) on {@code path}: the names. */
    public static List<byte[]> listxattr(byte[] path) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment p = cstr(a, path);
            while (true) {
                long size = check("listxattr", show(path), (long) LISTXATTR.invokeExact(st, p, MemorySegment.NULL,
                        0L), st);
                MemorySegment buf = a.allocate(Math.max(1, size));
                long r = (long) LISTXATTR.invokeExact(st, p, buf, size);
                if (r < 0 && errno(st) == ERANGE) {
                    continue;
                }
                check("listxattr", show(path), r, st);
                byte[] all = buf.asSlice(0, r).toArray(JAVA_BYTE);
                List<byte[]> names = new ArrayList<>();
                int start = 0;
                for (int i = 0; i < all.length; i++) {
                    if (all[i] == 0) {
                        names.add(Arrays.copyOfRange(all, start, i));
                        start = i + 1;
                    }
                }
                return names;
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** removexattr(2) on {@code path}. */
    public static void removexattr(byte[] path, byte[] name) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            check("removexattr", show(name), (int) REMOVEXATTR.invokeExact(st, cstr(a, path), cstr(a, name)), st);
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Every entry of the open directory {@code fd} (getdents64 from its current position to the end). */
    public static List<DirEntry> readdir(int fd) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = state(a);
            MemorySegment buf = a.allocate(32768, 8);
            List<DirEntry> out = new ArrayList<>();
            while (true) {
                long n = (long) GETDENTS64.invokeExact(st, fd, buf, buf.byteSize());
                if (n < 0 && errno(st) == EINTR) {
                    continue;
                }
                check("getdents64", fd, n, st);
                if (n == 0) {
                    return out;
                }
                // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
                for (long p = 0; p < n; ) {
                    int reclen = buf.get(JAVA_SHORT, p + 16) & 0xffff;
                    long nameStart = p + 19;
                    long end = nameStart;
                    while (buf.get(JAVA_BYTE, end) != 0) {
                        end++;
                    }
                    out.add(new DirEntry(buf.get(JAVA_LONG, p), buf.get(JAVA_BYTE, p + 18) & 0xff,
                            buf.asSlice(nameStart, end - nameStart).toArray(JAVA_BYTE)));
                    p += reclen;
                }
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
