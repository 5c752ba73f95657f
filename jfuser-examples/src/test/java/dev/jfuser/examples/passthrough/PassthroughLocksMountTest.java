package dev.jfuser.examples.passthrough;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.contract.Shell;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Locks through a passthrough mount are locks on the source: a process using the source directly and one using the
 * mount exclude each other, for flock and for fcntl locks, with and without kernel passthrough; a blocked wait
 * through the mount ends when its caller is killed, and GETLK through the mount sees locks taken on the source.
 */
@Tag("mount")
class PassthroughLocksMountTest {
    private PassthroughMount m;

    @AfterEach
    void unmount() throws Exception {
        if (m != null) {
            m.close();
        }
    }

    private static final String PRELUDE = """
            import errno, fcntl, os, struct, sys, time
            def err(f):
                try:
                    f()
                    return 'OK'
                except OSError as e:
                    return errno.errorcode[e.errno]
            """;

    /** Runs python {@code code} in {@code dir}: its output, stripped. */
    private static String py(Path dir, String code) throws Exception {
        Process p = new ProcessBuilder(Shell.PYTHON, "-c", PRELUDE + code).directory(dir.toFile())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "python did not finish: " + code);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    /** Starts a process in {@code dir} that takes a lock with {@code code}, says "locked" and then holds it. */
    private static Process holder(Path dir, String code) throws Exception {
        Process p = new ProcessBuilder(Shell.PYTHON, "-c", PRELUDE + code + """

                print('locked', flush=True)
                time.sleep(60)
                """).directory(dir.toFile()).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
        assertEquals("locked", said, "the holder did not take its lock");
        return p;
    }

    private static void end(Process p) throws Exception {
        p.destroyForcibly();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "process " + p.pid() + " did not end");
    }

    private static int flock(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("flock"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "flock did not finish: " + cmd);
        return p.exitValue();
    }

    private void mount(boolean kernelPassthrough) throws Exception {
        m = PassthroughMount.mount(kernelPassthrough);
        Files.writeString(m.source.resolve("f"), "0123456789");
    }

    @ParameterizedTest(name = "kernel passthrough {0}")
    @ValueSource(booleans = {false, true})
    void flockOnTheSourceAndFlockThroughTheMountExcludeEachOther(boolean kernelPassthrough) throws Exception {
        MountSupport.assumeTool("flock", "util-linux");
        mount(kernelPassthrough);
        Process src = holder(m.source, "a = os.open('f', os.O_RDWR); fcntl.flock(a, fcntl.LOCK_EX)");
        try {
            assertEquals(1, flock(m.mountpoint, "-n", "f", "true"), "exclusive flock taken beside the source's");
            assertEquals(1, flock(m.mountpoint, "-n", "-s", "f", "true"), "shared flock taken beside an exclusive");
        } finally {
            end(src);
        }
        assertEquals(0, flock(m.mountpoint, "-n", "f", "true"), "the source's flock went with its holder");

        Process mnt = holder(m.mountpoint, "a = os.open('f', os.O_RDWR); fcntl.flock(a, fcntl.LOCK_SH)");
        try {
            assertEquals(1, flock(m.source, "-n", "f", "true"), "the source ignored a shared flock of the mount");
            assertEquals(0, flock(m.source, "-n", "-s", "f", "true"), "shared flocks exclude each other");
        } finally {
            end(mnt);
        }
        // the holder's RELEASE, which drops its flock, reaches the daemon asynchronously after its exit
        assertEquals(0, flock(m.source, "-w", "5", "f", "true"), "the mount's flock stayed after its holder");
    }

    @ParameterizedTest(name = "kernel passthrough {0}")
    @ValueSource(booleans = {false, true})
    void posixLocksOnTheSourceAndThroughTheMountExcludeEachOther(boolean kernelPassthrough) throws Exception {
        mount(kernelPassthrough);
        String probe = """
                fd = os.open('f', os.O_RDWR)
                print(err(lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 4, 2)),
                      err(lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 2, 0)), end=' ')
                lk = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack('hhqqi', fcntl.F_WRLCK, 0, 0, 0, 0))
                t, w, s, l, pid = struct.unpack('hhqqi', lk)
                print(t == fcntl.F_WRLCK, s, l, pid)
                """;
        Process src = holder(m.source, "fd = os.open('f', os.O_RDWR); fcntl.lockf(fd, fcntl.LOCK_EX, 4, 2)");
        try {
            // bytes 2..5 are the source holder's, 0..1 are free; GETLK through the mount names the holder
            assertEquals("EAGAIN OK True 2 4 " + src.pid(), py(m.mountpoint, probe));
        } finally {
            end(src);
        }
        assertEquals("OK", py(m.mountpoint,
                "print(err(lambda: fcntl.lockf(os.open('f', os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)))"));

        Process mnt = holder(m.mountpoint, """
                fd = os.open('f', os.O_RDWR)
                fcntl.lockf(fd, fcntl.LOCK_EX, 4, 2)
                fcntl.lockf(fd, fcntl.LOCK_EX, 8, 0)
                fcntl.lockf(fd, fcntl.LOCK_UN, 2, 0)""");
        try {
            // the mount's owner holds 2..7 after a merge and a split; on the source that is an OFD lock (pid -1)
            assertEquals("EAGAIN OK True 2 6 -1", py(m.source, probe.replace("4, 2)", "4, 3)")));
        } finally {
            end(mnt);
        }
        assertEquals("OK", py(m.source,
                "print(err(lambda: fcntl.lockf(os.open('f', os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)))"));
    }

    @ParameterizedTest(name = "kernel passthrough {0}")
    @ValueSource(booleans = {false, true})
    void aClientsOwnOfdLocksThroughTheMountReachTheSourceAndGoWithTheirOpenFile(boolean kernelPassthrough)
            throws Exception {
        mount(kernelPassthrough);
        int before = m.fs.openDescriptors();
        assertEquals("EAGAIN OK EAGAIN OK", py(m.mountpoint, """
                def ofd(fd, t):
                    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack('hhqqi', t, 0, 0, 0, 0))
                def src():
                    return err(lambda: fcntl.lockf(os.open('%s/f', os.O_RDWR), fcntl.LOCK_SH | fcntl.LOCK_NB))
                a = os.open('f', os.O_RDWR)
                b = os.open('f', os.O_RDWR)
                ofd(a, fcntl.F_WRLCK)
                r1 = err(lambda: ofd(b, fcntl.F_RDLCK))
                os.close(a)
                # the lock goes with the RELEASE of a, which the kernel sends asynchronously
                for i in range(200):
                    r2 = err(lambda: ofd(b, fcntl.F_WRLCK))
                    if r2 == 'OK':
                        break
                    time.sleep(0.01)
                print(r1, r2, src(), end=' ')
                os.close(b)
                for i in range(200):
                    r3 = src()
                    if r3 == 'OK':
                        break
                    time.sleep(0.01)
                print(r3)
                """.formatted(m.source)));
        // a daemon descriptor per lock owner: none left once the open files are gone
        for (int i = 0; i < 100 && m.fs.openDescriptors() > before + 1; i++) {
            Thread.sleep(20);
        }
        assertEquals(before + 1, m.fs.openDescriptors(), "the file's node, and no lock descriptor");
    }

    @ParameterizedTest(name = "kernel passthrough {0}")
    @ValueSource(booleans = {false, true})
    void unlockingEverythingThroughTheMountFreesTheSourceAndItsDescriptor(boolean kernelPassthrough)
            throws Exception {
        mount(kernelPassthrough);
        int before = m.fs.openDescriptors();
        Process p = new ProcessBuilder(Shell.PYTHON, "-c", PRELUDE + """
                fd = os.open('f', os.O_RDWR)
                fcntl.lockf(fd, fcntl.LOCK_EX, 0, 0)
                print('locked', flush=True)
                sys.stdin.readline()
                fcntl.lockf(fd, fcntl.LOCK_UN, 0, 0)
                print('unlocked', flush=True)
                sys.stdin.readline()
                """).directory(m.mountpoint.toFile()).redirectErrorStream(true).start();
        try {
            assertEquals("locked\n", new String(p.getInputStream().readNBytes(7), StandardCharsets.US_ASCII));
            assertEquals("EAGAIN", py(m.source,
                    "print(err(lambda: fcntl.lockf(os.open('f', os.O_RDWR), fcntl.LOCK_SH | fcntl.LOCK_NB)))"));
            // the file's node and its open handle, and the lock owner's descriptor
            assertEquals(before + 3, m.fs.openDescriptors());
            p.getOutputStream().write('\n');
            p.getOutputStream().flush();
            assertEquals("unlocked", new String(p.getInputStream().readNBytes(8), StandardCharsets.US_ASCII));
            assertEquals("OK", py(m.source,
                    "print(err(lambda: fcntl.lockf(os.open('f', os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)))"));
            // the file is still open through the mount, but no lock descriptor is left for it
            assertEquals(before + 2, m.fs.openDescriptors());
        } finally {
            end(p);
        }
    }

    @ParameterizedTest(name = "kernel passthrough {0}")
    @ValueSource(booleans = {false, true})
    void aBlockedWaitThroughTheMountIsGrantedWhenTheSourceLetsGo(boolean kernelPassthrough) throws Exception {
        MountSupport.assumeTool("flock", "util-linux");
        mount(kernelPassthrough);
        for (String lock : List.of("a = os.open('f', os.O_RDWR); fcntl.flock(a, fcntl.LOCK_EX)",
                "a = os.open('f', os.O_RDWR); fcntl.lockf(a, fcntl.LOCK_EX)")) {
            boolean isFlock = lock.contains("flock");
            Process src = holder(m.source, lock);
            Process waiter = isFlock
                    ? new ProcessBuilder("flock", "-w", "20", "f", "echo", "granted").directory(m.mountpoint.toFile())
                            .redirectErrorStream(true).start()
                    : new ProcessBuilder(Shell.PYTHON, "-c", PRELUDE
                            + "fcntl.lockf(os.open('f', os.O_RDWR), fcntl.LOCK_EX); print('granted')")
                            .directory(m.mountpoint.toFile()).redirectErrorStream(true).start();
            try {
                assertFalse(waiter.waitFor(500, TimeUnit.MILLISECONDS), "granted while the source held it: " + lock);
                end(src);
                assertTrue(waiter.waitFor(10, TimeUnit.SECONDS), "still waiting after the source let go: " + lock);
                assertEquals("granted", new String(waiter.getInputStream().readAllBytes(),
                        StandardCharsets.UTF_8).strip());
            } finally {
                end(src);
                end(waiter);
            }
        }
    }

    @ParameterizedTest(name = "kernel passthrough {0}")
    @ValueSource(booleans = {false, true})
    void aBlockedWaitThroughTheMountEndsWhenItsCallerIsKilled(boolean kernelPassthrough) throws Exception {
        MountSupport.assumeTool("flock", "util-linux");
        mount(kernelPassthrough);
        Process src = holder(m.source, """
                a = os.open('f', os.O_RDWR)
                fcntl.flock(a, fcntl.LOCK_EX)
                fcntl.lockf(a, fcntl.LOCK_EX)""");
        List<Process> waiters = new java.util.ArrayList<>();
        try {
            // More waiters than a 2-core machine has carrier threads: none of them may hold one. Fewer than the
            // io_uring ring depth (8 per queue): over io_uring each pending request holds an entry of the queue of
            // its caller's CPU, and a queue whose entries are all held serves nothing else.
            for (int i = 0; i < 3; i++) {
                waiters.add(new ProcessBuilder("flock", "f", "echo", "granted?!")
                        .directory(m.mountpoint.toFile()).redirectErrorStream(true).start());
                Process posixWaiter = new ProcessBuilder(Shell.PYTHON, "-c",
                        PRELUDE + "fd = os.open('f', os.O_RDWR); print('waiting', flush=True);"
                                + " fcntl.lockf(fd, fcntl.LOCK_EX); print('granted?!')")
                        .directory(m.mountpoint.toFile()).redirectErrorStream(true).start();
                waiters.add(posixWaiter);
                assertEquals("waiting", new String(posixWaiter.getInputStream().readNBytes(7),
                        StandardCharsets.US_ASCII));
            }
            Thread.sleep(300);
            for (Process w : waiters) {
                assertTrue(w.isAlive(), "a lock was granted beside the source's: " + w.info().commandLine());
            }
            // the daemon serves other requests meanwhile
            assertEquals("0123456789", Files.readString(m.mountpoint.resolve("f")));
            Files.writeString(m.mountpoint.resolve("g"), "made while 6 lock waits were pending");
            assertEquals("made while 6 lock waits were pending", Files.readString(m.source.resolve("g")));
            for (Process w : waiters) {
                w.destroy(); // SIGTERM: the kernel sends INTERRUPT for the waiting request, which must end the wait
            }
            for (Process w : waiters) {
                assertTrue(w.waitFor(5, TimeUnit.SECONDS), "a killed waiter hangs: " + w.info().commandLine());
            }
            // the daemon keeps serving, and the source's locks are still in force
            assertEquals("0123456789", Files.readString(m.mountpoint.resolve("f")));
            assertEquals(1, flock(m.mountpoint, "-n", "f", "true"));
            assertEquals("EAGAIN", py(m.mountpoint,
                    "print(err(lambda: fcntl.lockf(os.open('f', os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)))"));
        } finally {
            for (Process w : waiters) {
                end(w);
            }
            end(src);
        }
        assertEquals(0, flock(m.mountpoint, "-n", "f", "true"));
        assertEquals("OK", py(m.mountpoint,
                "print(err(lambda: fcntl.lockf(os.open('f', os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)))"));
    }
}
