package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.contract.Shell;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * File locks as processes see them, on tmpfs (the oracle), on memfs implementing the locks itself, and on memfs
 * leaving them to the kernel: OFD, POSIX and flock ownership (what each close releases), which conflicting lock
 * {@code F_GETLK} reports, deadlock detection, and lock waits ended by signals. Each scenario is a Python program
 * (several processes, by fork) run in a fresh directory of each filesystem; its output must be the expected one
 * everywhere. Every lock call runs under an alarm, so a lock that is never granted fails the test, never hangs it.
 */
@Tag("mount")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemFsLocksTest {
    /** Helpers for the scenarios. FUSE sends RELEASE after close() returned, so what a RELEASE frees is polled. */
    private static final String PRELUDE = """
            import os, sys, errno, fcntl, struct, time, signal, threading
            F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
            R, W, U = fcntl.F_RDLCK, fcntl.F_WRLCK, fcntl.F_UNLCK
            class Hung(Exception):
                pass
            def ring(signum, frame):
                raise Hung()
            signal.signal(signal.SIGALRM, ring)
            signal.alarm(20)
            def lk(t, start, length):
                return struct.pack('hhqqi', t, 0, start, length, 0)
            def setlk(fd, cmd, t, start, length):
                fcntl.fcntl(fd, cmd, lk(t, start, length))
            def getlk(fd, cmd, t, start, length):
                t, w, s, l, pid = struct.unpack('hhqqi', fcntl.fcntl(fd, cmd, lk(t, start, length)))
                return ('%s %d %d' % ('RWU'[t], s, l)) if t != U else 'U', pid
            def err(fn):
                try:
                    fn()
                    return 'OK'
                except OSError as e:
                    return 'EDEADLK' if e.errno == errno.EDEADLK else errno.errorcode[e.errno]
                except Hung:
                    return 'hung'
            def eventually(fn, seconds=3.0):
                end = time.time() + seconds
                while True:
                    r = err(fn)
                    if r not in ('EAGAIN', 'EWOULDBLOCK') or time.time() > end:
                        return r
                    time.sleep(0.02)
            def child(body):
                # runs body() in a forked process; returns (pid, wait): wait() lets it exit and reaps it
                ready_r, ready_w = os.pipe()
                go_r, go_w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    signal.alarm(20)
                    os.close(ready_r)
                    os.close(go_w)
                    try:
                        body()
                    except BaseException as e:
                        print('child failed:', repr(e), flush=True)
                    os.write(ready_w, b'x')
                    os.read(go_r, 1)
                    os._exit(0)
                os.close(ready_w)
                os.close(go_r)
                os.read(ready_r, 1)
                os.close(ready_r)
                def wait():
                    os.write(go_w, b'x')  # not just a close: later children hold copies of this pipe
                    os.close(go_w)
                    os.waitpid(pid, 0)
                return pid, wait
            def touch(name):
                os.close(os.open(name, os.O_RDWR | os.O_CREAT, 0o644))
            """;

    private Path base;
    private Path tmpfs;
    private MemFsMount memfs;
    private MemFsMount kernelLocks;
    private int runs;

    @BeforeAll
    void mountAll() throws Exception {
        MountSupport.assumeRootAndFuse();
        base = Files.createTempDirectory("jfuser-test-locks-");
        tmpfs = Files.createDirectory(base.resolve("tmpfs"));
        Shell.run(null, "mount", "-t", "tmpfs", "-o", "size=16m,mode=755", "locks-oracle", tmpfs.toString()).ok();
        memfs = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(16L << 20)), "");
        kernelLocks = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(16L << 20)
                .withKernelLocks()), "");
    }

    @AfterAll
    void unmountAll() throws Exception {
        try {
            if (memfs != null) {
                memfs.close();
            }
        } finally {
            try {
                if (kernelLocks != null) {
                    kernelLocks.close();
                }
            } finally {
                if (tmpfs != null) {
                    if (Shell.run(null, "umount", tmpfs.toString()).exitCode() != 0) {
                        Shell.run(null, "umount", "-l", tmpfs.toString());
                    }
                    Files.deleteIfExists(tmpfs);
                    Files.deleteIfExists(base);
                }
            }
        }
    }

    /** The filesystems under test, by name, tmpfs first. */
    private Map<String, Path> targets() {
        Map<String, Path> t = new LinkedHashMap<>();
        t.put("tmpfs", tmpfs);
        t.put("memfs", memfs.mountpoint);
        t.put("memfs with kernel locks", kernelLocks.mountpoint);
        return t;
    }

    /** Runs {@code code} in a fresh directory of every target; each output must be {@code expected}. */
    private void expectEverywhere(String expected, String code) throws Exception {
        List<String> wrong = new ArrayList<>();
        runs++;
        for (Map.Entry<String, Path> t : targets().entrySet()) {
            Path dir = Files.createDirectory(t.getValue().resolve("run" + runs));
            String out = python(dir, code);
            if (!out.equals(expected)) {
                wrong.add(t.getKey() + ": " + out);
            }
        }
        if (!wrong.isEmpty()) {
            fail("expected '" + expected + "' (tmpfs's answer), got\n  " + String.join("\n  ", wrong));
        }
        assertEquals(0, memfs.fs.lockWaits(), "lock requests still waiting in memfs");
    }

    /** Runs a scenario; kills it after 60 s (its own alarms should have ended it long before). */
    private static String python(Path dir, String code) throws Exception {
        Process p = new ProcessBuilder(Shell.PYTHON, "-c", PRELUDE + code).directory(dir.toFile())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        CompletableFuture<String> out = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                out.complete(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.completeExceptionally(e);
            }
        });
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("the scenario did not finish in 60 s");
        }
        return out.get(10, TimeUnit.SECONDS).strip();
    }

    // ---------------------------------------------------------------------------------------------- OFD locks

    @Test
    void anOfdLockGoesAwayWhenItsHolderExits() throws Exception {
        expectEverywhere("OK OK", """
                touch('f')
                fd = os.open('f', os.O_RDWR)
                def take():
                    setlk(os.open('f', os.O_RDWR), F_OFD_SETLK, W, 0, 10)
                pid, wait = child(take)
                wait()
                print(eventually(lambda: setlk(fd, F_OFD_SETLK, W, 0, 10)), end=' ')
                setlk(fd, F_OFD_SETLK, U, 0, 0)
                print(getlk(os.open('f', os.O_RDWR), F_OFD_GETLK, W, 0, 0)[0] == 'U' and 'OK')
                """);
    }

    @Test
    void aWaitingOfdLockIsGrantedWhenTheHolderExits() throws Exception {
        expectEverywhere("OK waited", """
                touch('f')
                fd = os.open('f', os.O_RDWR)
                def take():
                    setlk(os.open('f', os.O_RDWR), F_OFD_SETLK, W, 0, 0)
                pid, wait = child(take)
                threading.Timer(0.3, wait).start()
                start = time.time()
                print(err(lambda: setlk(fd, F_OFD_SETLKW, W, 0, 0)),
                      'waited' if time.time() - start >= 0.25 else 'did not wait')
                """);
    }

    @Test
    void anOfdLockLastsUntilTheLastDescriptorOfItsDescriptionCloses() throws Exception {
        expectEverywhere("EAGAIN EAGAIN EAGAIN OK", """
                touch('f')
                a = os.open('f', os.O_RDWR)
                probe = os.open('f', os.O_RDWR)
                setlk(a, F_OFD_SETLK, W, 0, 0)
                os.close(os.dup(a))  # a close by the holding process: POSIX locks would go, OFD locks stay
                r1 = err(lambda: setlk(probe, F_OFD_SETLK, W, 0, 0))
                pid, wait = child(lambda: os.close(a))  # a close by another process sharing the description
                wait()
                r2 = err(lambda: setlk(probe, F_OFD_SETLK, W, 0, 0))
                b = os.dup(a)
                os.close(a)
                r3 = err(lambda: setlk(probe, F_OFD_SETLK, W, 0, 0))
                os.close(b)
                print(r1, r2, r3, eventually(lambda: setlk(probe, F_OFD_SETLK, W, 0, 0)))
                """);
    }

    // -------------------------------------------------------------------------------------------- POSIX locks

    @Test
    void aPosixLockGoesWithAnyCloseOfItsOwner() throws Exception {
        expectEverywhere("W 0 10 U", """
                touch('f')
                probe = os.open('f', os.O_RDWR)
                a = os.open('f', os.O_RDWR)
                b = os.open('f', os.O_RDWR)
                def lock_then_close_another():
                    setlk(a, fcntl.F_SETLK, W, 0, 10)
                    print(getlk(probe, F_OFD_GETLK, W, 0, 0)[0], end=' ', flush=True)
                    os.close(b)  # not the descriptor it locked through: the lock goes all the same
                pid, wait = child(lock_then_close_another)
                print(getlk(probe, fcntl.F_GETLK, W, 0, 0)[0])
                wait()
                """);
    }

    @Test
    void theReleaseOfADescriptionLeavesPosixLocksTakenAgainElsewhere() throws Exception {
        // The child locks through a description it shares with the parent, closes it (its lock goes), locks again
        // through another one; the parent's close of the shared description (its RELEASE) must leave that lock.
        expectEverywhere("U W 0 10 OK", """
                touch('f')
                y = os.open('f', os.O_RDWR)
                probe = os.open('f', os.O_RDWR)
                def relock():
                    setlk(y, fcntl.F_SETLK, W, 0, 10)
                    z = os.open('f', os.O_RDWR)
                    os.close(y)
                    print(getlk(probe, F_OFD_GETLK, W, 0, 0)[0], end=' ', flush=True)
                    setlk(z, fcntl.F_SETLK, W, 0, 10)
                pid, wait = child(relock)
                os.close(y)
                time.sleep(0.3)  # the RELEASE of y reaches the filesystem
                print(getlk(probe, fcntl.F_GETLK, W, 0, 0)[0], end=' ')
                wait()
                print(eventually(lambda: setlk(probe, fcntl.F_SETLK, W, 0, 0)))
                """);
    }

    // -------------------------------------------------------------------------------------------------- flock

    @Test
    void aFlockLastsUntilTheLastDescriptorOfItsDescriptionCloses() throws Exception {
        expectEverywhere("EAGAIN EAGAIN OK", """
                touch('f')
                a = os.open('f', os.O_RDWR)
                probe = os.open('f', os.O_RDWR)
                fcntl.flock(a, fcntl.LOCK_EX)
                b = os.dup(a)
                os.close(a)
                r1 = err(lambda: fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB))
                pid, wait = child(lambda: os.close(b))
                wait()
                r2 = err(lambda: fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB))
                os.close(b)
                print(r1, r2, eventually(lambda: fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)))
                """);
    }

    // ------------------------------------------------------------------------ F_GETLK, deadlocks, lock waits

    @Test
    void getlkReportsTheConflictingLockLinuxWould() throws Exception {
        // Linux keeps each owner's locks sorted by start, owners in the order they first locked, and reports the
        // first conflict in that order: not the oldest lock, and not always the lowest start either.
        expectEverywhere("R 10 10/h1, W 30 10/h2, R 50 10/h1, R 10 10/h1, R 50 10/h1, R 0 5/h3", """
                touch('f')
                probe = os.open('f', os.O_RDWR)
                def locker(*ranges):
                    def body():
                        fd = os.open('f', os.O_RDWR)
                        for t, start, length in ranges:
                            setlk(fd, fcntl.F_SETLK, t, start, length)
                    return child(body)
                p1, w1 = locker((R, 50, 10), (R, 10, 10))
                p2, w2 = locker((W, 30, 10))
                p3, w3 = locker((R, 0, 5))
                names = {p1: 'h1', p2: 'h2', p3: 'h3'}
                out = []
                for t, start, length in ((W, 0, 0), (R, 0, 0), (W, 40, 0), (W, 0, 12), (W, 25, 30), (W, 0, 9)):
                    held, pid = getlk(probe, fcntl.F_GETLK, t, start, length)
                    out.append('%s/%s' % (held, names.get(pid, pid)))
                print(', '.join(out))
                w1(); w2(); w3()
                """);
    }

    @Test
    void aDeadlockedLockWaitFailsWithEdeadlk() throws Exception {
        // A holds 0-1 and waits for 2-3, which B holds; B then asks for 0-1 and would wait forever.
        expectEverywhere("B EDEADLK A OK", """
                touch('f')
                a = os.open('f', os.O_RDWR)
                setlk(a, fcntl.F_SETLK, W, 0, 2)
                held_r, held_w = os.pipe()
                go_r, go_w = os.pipe()
                res_r, res_w = os.pipe()
                pid = os.fork()
                if pid == 0:
                    signal.alarm(5)
                    fd = os.open('f', os.O_RDWR)
                    setlk(fd, fcntl.F_SETLK, W, 2, 2)
                    os.write(held_w, b'x')
                    os.read(go_r, 1)
                    os.write(res_w, err(lambda: setlk(fd, fcntl.F_SETLKW, W, 0, 2)).encode())
                    os._exit(0)
                os.read(held_r, 1)
                a_waited = []
                t = threading.Thread(target=lambda: a_waited.append(err(lambda: setlk(a, fcntl.F_SETLKW, W, 2, 2))),
                                     daemon=True)
                t.start()
                time.sleep(0.3)  # A is waiting now
                os.write(go_w, b'x')
                b = os.read(res_r, 64).decode()
                os.waitpid(pid, 0)  # B exits: its lock goes and A's wait ends
                t.join(10)
                print('B', b, 'A', a_waited[0] if a_waited else 'still waiting')
                """);
    }

    @Test
    void aKilledWaiterLeavesNeitherAWaitNorALockBehind() throws Exception {
        expectEverywhere("reaped OK", """
                touch('f')
                a = os.open('f', os.O_RDWR)
                setlk(a, fcntl.F_SETLK, W, 0, 0)
                pid = os.fork()
                if pid == 0:
                    setlk(os.open('f', os.O_RDWR), fcntl.F_SETLKW, W, 0, 0)
                    os._exit(3)
                time.sleep(0.3)  # the child waits for the lock
                os.kill(pid, signal.SIGKILL)
                end = time.time() + 5
                reaped = 'not reaped'
                while time.time() < end:
                    p, status = os.waitpid(pid, os.WNOHANG)
                    if p:
                        reaped = 'reaped' if os.WIFSIGNALED(status) else 'exited %d' % os.WEXITSTATUS(status)
                        break
                    time.sleep(0.02)
                setlk(a, fcntl.F_SETLK, U, 0, 0)
                time.sleep(0.2)  # a wait that outlived its process would take the lock now
                p2, w2 = child(lambda: print(reaped, err(lambda: setlk(os.open('f', os.O_RDWR), fcntl.F_SETLK, W, 0, 0)),
                                             flush=True))
                w2()
                """);
    }
}
