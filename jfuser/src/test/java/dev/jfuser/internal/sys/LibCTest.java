package dev.jfuser.internal.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LibCTest {
    @TempDir
    Path tmp;

    private final Arena arena = Arena.ofConfined();
    private final List<Integer> openFds = new ArrayList<>();

    @AfterEach
    void closeEverything() {
        openFds.forEach(LibC::closeQuietly);
        arena.close();
    }

    private int track(int fd) {
        openFds.add(fd);
        return fd;
    }

    private MemorySegment bytes(String s) {
        return arena.allocateFrom(s).asSlice(0, s.getBytes(StandardCharsets.UTF_8).length); // without the NUL
    }

    /** Reads until EOF through LibC.read, as a string. */
    private String readAll(int fd) {
        MemorySegment buf = arena.allocate(256);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            long n = LibC.read(fd, buf, buf.byteSize());
            if (n == -LibC.EINTR) {
                continue;
            }
            assertTrue(n >= 0, () -> "read failed: " + LibC.errnoName((int) -n));
            if (n == 0) {
                return out.toString(StandardCharsets.UTF_8);
            }
            out.writeBytes(buf.asSlice(0, n).toArray(JAVA_BYTE));
        }
    }

    @Test
    void checkNativeAccessPassesWhenEnabled() {
        LibC.checkNativeAccess();
    }

    @Test
    void openWriteReadClose() throws Exception {
        Path file = tmp.resolve("data");
        int fd = LibC.open(file.toString(), LibC.O_RDWR | LibC.O_CREAT | LibC.O_TRUNC | LibC.O_CLOEXEC, 0644);
        assertEquals(5, LibC.write(fd, bytes("hello"), 5));
        LibC.close(fd);
        assertEquals("hello", Files.readString(file));

        fd = track(LibC.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC));
        MemorySegment buf = arena.allocate(16);
        assertEquals(5, LibC.read(fd, buf, 16));
        assertEquals("hello", new String(buf.asSlice(0, 5).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
        assertEquals(0, LibC.read(fd, buf, 16), "EOF");
    }

    @Test
    void openOfMissingPathNamesCallPathAndErrno() {
        String path = tmp.resolve("missing").toString();
        NativeException e = assertThrows(NativeException.class, () -> LibC.open(path, LibC.O_RDONLY));
        assertEquals(LibC.ENOENT, e.errno());
        assertEquals("open", e.call());
        assertEquals("open(\"" + path + "\"): No such file or directory (ENOENT, errno 2)", e.getMessage());
    }

    @Test
    void closeOfBadFdThrowsEbadf() {
        NativeException e = assertThrows(NativeException.class, () -> LibC.close(-1));
        assertEquals(LibC.EBADF, e.errno());
        assertTrue(e.getMessage().startsWith("close(-1): "), e.getMessage());
    }

    @Test
    void hotPathReturnsNegativeErrnoInsteadOfThrowing() {
        MemorySegment buf = arena.allocate(8);
        assertEquals(-LibC.EBADF, LibC.read(-1, buf, 8));
        assertEquals(-LibC.EBADF, LibC.write(-1, buf, 8));
        MemorySegment state = LibC.allocateCallState(arena);
        assertEquals(-LibC.EBADF, LibC.read(state, -1, buf, 8));
        assertEquals(LibC.EBADF, LibC.errno(state));
    }

    @Test
    void hotPathRejectsCountsBeyondTheBuffer() {
        MemorySegment buf = arena.allocate(8);
        assertThrows(IndexOutOfBoundsException.class, () -> LibC.read(0, buf, 9));
    }

    @Test
    void writevGathersTwoIovecs() throws Exception {
        Path file = tmp.resolve("gathered");
        int fd = track(LibC.open(file.toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_CLOEXEC, 0600));
        MemorySegment iov = Iovec.allocate(arena, 2);
        Iovec.set(iov, 0, bytes("hello, "));
        Iovec.set(iov, 1, bytes("world"));
        assertEquals(12, Iovec.totalLength(iov, 2));
        assertEquals(12, LibC.writev(fd, iov, 2));
        assertEquals("hello, world", Files.readString(file));
    }

    @Test
    void iovecRefusesHeapMemory() {
        MemorySegment iov = Iovec.allocate(arena, 1);
        assertThrows(IllegalArgumentException.class, () -> Iovec.set(iov, 0, MemorySegment.ofArray(new byte[4])));
    }

    @Test
    void sendFdPassesAWorkingDescriptor() throws Exception {
        int[] sp = LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC);
        track(sp[0]);
        track(sp[1]);
        Path file = tmp.resolve("passed");
        int original = track(LibC.open(file.toString(), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_CLOEXEC, 0600));

        LibC.sendFd(sp[0], original);
        int received = track(LibC.recvFd(sp[1]));

        assertNotEquals(original, received, "a new descriptor for the same open file");
        assertEquals(LibC.FD_CLOEXEC, LibC.fcntl(received, LibC.F_GETFD, 0) & LibC.FD_CLOEXEC,
                "received close-on-exec (MSG_CMSG_CLOEXEC)");
        assertEquals(9, LibC.write(received, bytes("via SCM_R"), 9));
        assertEquals("via SCM_R", Files.readString(file));
    }

    @Test
    void recvFdReturnsMinusOneWhenPeerClosesWithoutSending() throws Exception {
        int[] sp = LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC);
        track(sp[1]);
        LibC.close(sp[0]);
        assertEquals(-1, LibC.recvFd(sp[1]));
    }

    @Test
    void recvFdRejectsDataWithoutDescriptor() throws Exception {
        int[] sp = LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC);
        track(sp[0]);
        track(sp[1]);
        assertEquals(1, LibC.write(sp[0], bytes("x"), 1));
        NativeException e = assertThrows(NativeException.class, () -> LibC.recvFd(sp[1]));
        assertEquals(LibC.EPROTO, e.errno());
        assertTrue(e.getMessage().contains("no file descriptor"), e.getMessage());
    }

    @Test
    void posixSpawnKeepsTheDupedFdOpenInTheChild() throws Exception {
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        track(pipe[0]);
        int pid;
        try {
            pid = LibC.posixSpawn("/bin/sh", List.of("sh", "-c", "echo hi >&3"), Map.of("PATH", "/usr/bin:/bin"),
                    new int[] {pipe[1]}, new int[] {3});
        } finally {
            LibC.close(pipe[1]); // or we would never see EOF
        }
        assertEquals("hi\n", readAll(pipe[0]));
        int status = LibC.waitpid(pid, false);
        assertEquals(0, LibC.exitCode(status), LibC.describeStatus(status));
    }

    @Test
    void posixSpawnPassesTheEnvironmentAndSeveralFds() throws Exception {
        int[] a = LibC.pipe(LibC.O_CLOEXEC);
        int[] b = LibC.pipe(LibC.O_CLOEXEC);
        track(a[0]);
        track(b[0]);
        int pid;
        try {
            pid = LibC.posixSpawn("sh", List.of("sh", "-c", "echo \"$GREETING\" >&4; echo b >&3; exit 7"),
                    Map.of("GREETING", "hello there"), new int[] {a[1], b[1]}, new int[] {4, 3});
        } finally {
            LibC.close(a[1]);
            LibC.close(b[1]);
        }
        assertEquals("hello there\n", readAll(a[0]));
        assertEquals("b\n", readAll(b[0]));
        int status = LibC.waitpid(pid, false);
        assertEquals(7, LibC.exitCode(status));
        assertEquals("exit code 7", LibC.describeStatus(status));
    }

    @Test
    void posixSpawnClosesFdsThatWereNotListed() throws Exception {
        // Opened without O_CLOEXEC: only posix_spawn_file_actions_addclosefrom_np keeps it from the child.
        int leaky = track(LibC.open("/dev/null", LibC.O_RDONLY));
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        track(pipe[0]);
        int pid;
        try {
            String script = "if [ -e /proc/self/fd/" + leaky + " ]; then echo leaked; else echo closed; fi >&3";
            pid = LibC.posixSpawn("/bin/sh", List.of("sh", "-c", script), Map.of(), new int[] {pipe[1]}, new int[] {3});
        } finally {
            LibC.close(pipe[1]);
        }
        assertEquals("closed\n", readAll(pipe[0]));
        LibC.waitpid(pid, false);
    }

    @Test
    void posixSpawnCanStartANewSession() throws Exception {
        int pid = LibC.posixSpawn("/bin/sleep", List.of("sleep", "30"), Map.of(), new int[0], new int[0], true);
        try {
            // /proc/PID/stat: pid (comm) state ppid pgrp session ...
            String[] stat = Files.readString(Path.of("/proc/" + pid + "/stat")).replaceFirst(".*\\) ", "").split(" ");
            assertEquals(Integer.toString(pid), stat[3], "session leader");
            assertEquals(Integer.toString(pid), stat[2], "own process group");
        } finally {
            LibC.kill(pid, LibC.SIGKILL);
            LibC.waitpid(pid, false);
        }
    }

    @Test
    void posixSpawnOfMissingProgramNamesIt() {
        NativeException e = assertThrows(NativeException.class, () -> LibC.posixSpawn("/nonexistent/prog",
                List.of("prog"), Map.of(), new int[0], new int[0]));
        assertEquals(LibC.ENOENT, e.errno());
        assertTrue(e.getMessage().startsWith("posix_spawnp(\"/nonexistent/prog\"): "), e.getMessage());
    }

    @Test
    void waitpidNoHangThenKill() throws Exception {
        int pid = LibC.posixSpawn("/bin/sleep", List.of("sleep", "30"), Map.of(), new int[0], new int[0]);
        try {
            assertEquals(-1, LibC.waitpid(pid, true), "still running");
        } finally {
            LibC.kill(pid, LibC.SIGKILL);
        }
        int status = LibC.waitpid(pid, false);
        assertEquals(-1, LibC.exitCode(status));
        assertEquals("killed by signal 9", LibC.describeStatus(status));
        NativeException e = assertThrows(NativeException.class, () -> LibC.waitpid(pid, false));
        assertEquals(LibC.ECHILD, e.errno());
    }

    @Test
    void eventfdWakesPoll() throws Exception {
        int efd = track(LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK));
        MemorySegment fds = PollFd.allocate(arena, 1);
        PollFd.set(fds, 0, efd, PollFd.POLLIN);
        assertEquals(0, LibC.poll(fds, 1, 0), "nothing to read yet");

        Thread waker = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ignored) {
                return;
            }
            LibC.eventfdWrite(efd, 3);
        });
        int n;
        do {
            n = LibC.poll(fds, 1, 5000);
        } while (n == -LibC.EINTR);
        waker.join();
        assertEquals(1, n);
        assertEquals(PollFd.POLLIN, PollFd.revents(fds, 0) & PollFd.POLLIN);
        assertEquals(3, LibC.eventfdRead(efd));
        assertEquals(-LibC.EAGAIN, LibC.eventfdRead(efd), "counter was reset by the read");
    }

    @Test
    void fcntlTogglesNonBlockingAndCloexec() throws Exception {
        int[] pipe = LibC.pipe(0);
        track(pipe[0]);
        track(pipe[1]);
        assertEquals(0, LibC.fcntl(pipe[0], LibC.F_GETFD, 0) & LibC.FD_CLOEXEC);
        LibC.setCloexec(pipe[0], true);
        assertEquals(LibC.FD_CLOEXEC, LibC.fcntl(pipe[0], LibC.F_GETFD, 0) & LibC.FD_CLOEXEC);

        LibC.setNonBlocking(pipe[0], true);
        assertEquals(-LibC.EAGAIN, LibC.read(pipe[0], arena.allocate(1), 1), "empty pipe, non-blocking");
        LibC.setNonBlocking(pipe[0], false);
        assertEquals(0, LibC.fcntl(pipe[0], LibC.F_GETFL, 0) & LibC.O_NONBLOCK);
    }

    @Test
    void ioctlOnAFileIsEnotty() throws Exception {
        int fd = track(LibC.open("/dev/null", LibC.O_RDONLY | LibC.O_CLOEXEC));
        NativeException e = assertThrows(NativeException.class,
                () -> LibC.ioctlInt(fd, LibC.FUSE_DEV_IOC_CLONE, 0));
        assertEquals(25, e.errno()); // ENOTTY
        assertTrue(e.getMessage().startsWith("ioctl(" + fd + ", 0x8004e500): "), e.getMessage());
    }

    @Test
    void umountOfANonMountIsEinval() {
        NativeException e = assertThrows(NativeException.class, () -> LibC.umount2(tmp.toString(), 0));
        // EINVAL as root (not a mount point), EPERM otherwise.
        assertTrue(e.errno() == LibC.EINVAL || e.errno() == LibC.EPERM, e.getMessage());
        assertTrue(e.getMessage().startsWith("umount2(\"" + tmp + "\"): "), e.getMessage());
    }

    @Test
    void identityMatchesTheJvm() throws Exception {
        assertEquals(ProcessHandle.current().pid(), LibC.getpid());
        // /proc/self belongs to the process's effective uid and gid.
        assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"), LibC.geteuid());
        assertEquals(Files.getAttribute(Path.of("/proc/self"), "unix:gid"), LibC.getgid());
        assertTrue(LibC.getuid() >= 0);
    }

    @Test
    void errnoNamesAndMessages() {
        assertEquals("ENOENT", LibC.errnoName(2));
        assertEquals("EOPNOTSUPP", LibC.errnoName(95));
        assertEquals("ENODATA", LibC.errnoName(61));
        assertEquals("ENOTEMPTY", LibC.errnoName(39));
        assertEquals("errno 4242", LibC.errnoName(4242));
        assertEquals("No such file or directory", LibC.strerror(LibC.ENOENT));
        assertEquals("Device or resource busy", LibC.strerror(LibC.EBUSY));
        for (int errno = 1; errno <= 133; errno++) {
            assertTrue(!LibC.strerror(errno).isEmpty());
        }
    }
}
