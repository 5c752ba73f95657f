package dev.jfuser.examples.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.examples.MountSupport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The poll example through the kernel: clients asleep in {@code poll(2)}, {@code select(2)} and {@code epoll_wait}
 * (python3's {@code select} module, a real process) wake when an event is posted, only because the filesystem
 * calls {@code pollWakeup}; a blocking read waits for the next event. The wakeup latency is measured and printed.
 */
@Tag("mount")
class PollMountTest {
    private static final int WAKEUPS = 300;

    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;
    private PollFs fs;

    private void mount() throws Exception {
        MountSupport.assumeRootAndFuse();
        MountSupport.assumeTool("python3", "python3");
        mp = Files.createDirectory(dir.resolve("mnt"));
        fs = new PollFs(0, 0);
        mount = Fuse.mount(fs, mp, MountOptions.builder().fsname("poll-test").build(), SessionOptions.DEFAULT);
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            try {
                mount.close();
            } finally {
                assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
            }
        }
    }

    private Process python(String script) throws Exception {
        return new ProcessBuilder("timeout", "60", "python3", "-c", script).redirectErrorStream(true).start();
    }

    /** Ends a {@code timeout ... python3} child: SIGTERM, which timeout passes on to python. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static BufferedReader lines(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Waits until poll told a poller to sleep more than {@code seen} times: a process is asleep (or going). */
    private void awaitSleeper(long seen) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (fs.sleepingPolls() <= seen) {
            assertTrue(System.nanoTime() < deadline, "no poller went to sleep on events");
            LockSupport.parkNanos(20_000);
        }
    }

    @Test
    void aClientBlockedInPollWakesAtEachEventAndTheWakeupIsMeasured() throws Exception {
        mount();
        String script = "import os, select, time\n"
                + "fd = os.open('" + mp.resolve(PollFs.EVENTS) + "', os.O_RDONLY | os.O_NONBLOCK)\n"
                + "p = select.poll()\n"
                + "p.register(fd, select.POLLIN)\n"
                + "print('open', flush=True)\n"
                + "for i in range(" + WAKEUPS + "):\n"
                + "    r = p.poll(20000)\n"
                + "    t = time.monotonic_ns()\n"
                + "    if not r:\n"
                + "        print('timed out', flush=True)\n"
                + "        break\n"
                + "    print(t, os.read(fd, 4096).decode().strip(), flush=True)\n";
        Process client = python(script);
        try {
            BufferedReader out = lines(client);
            assertEquals("open", out.readLine());
            long[] micros = new long[WAKEUPS];
            long seen = 0;
            for (int i = 0; i < WAKEUPS; i++) {
                awaitSleeper(seen);
                seen = fs.sleepingPolls(); // the next increment is the client's next sleep, after this event
                // System.nanoTime and python's time.monotonic_ns both read CLOCK_MONOTONIC.
                long t0 = System.nanoTime();
                fs.post("event " + i + "\n");
                String line = out.readLine();
                String[] parts = line == null ? new String[0] : line.split(" ", 2);
                assertTrue(parts.length == 2 && parts[1].equals("event " + i), "woke with: " + line);
                micros[i] = (Long.parseLong(parts[0]) - t0) / 1000;
            }
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
            Arrays.sort(micros);
            System.out.printf("poll wakeup (post -> pollWakeup -> poll(2) returns in another process) over %s, %d "
                    + "wakeups: median %d us, p90 %d us, p99 %d us%n", mount.transport(), WAKEUPS,
                    micros[WAKEUPS / 2], micros[WAKEUPS * 9 / 10], micros[WAKEUPS * 99 / 100]);
        } finally {
            stop(client);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"select", "epoll"})
    void selectAndEpollWakeToo(String call) throws Exception {
        mount();
        String wait = call.equals("select")
                ? "r, _, _ = select.select([fd], [], [], 20)\n"
                : "ep = select.epoll()\nep.register(fd, select.EPOLLIN)\nr = ep.poll(20)\n";
        String script = "import os, select\n"
                + "fd = os.open('" + mp.resolve(PollFs.EVENTS) + "', os.O_RDONLY | os.O_NONBLOCK)\n"
                + "print('open', flush=True)\n"
                + wait
                + "print('ready' if r else 'timed out', os.read(fd, 100).decode().strip() if r else '', flush=True)\n";
        Process client = python(script);
        try {
            BufferedReader out = lines(client);
            assertEquals("open", out.readLine());
            awaitSleeper(0);
            Thread.sleep(100);
            fs.post("ping\n");
            assertEquals("ready ping", out.readLine());
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
        } finally {
            stop(client);
        }
    }

    @Test
    void aBlockingReadWaitsForTheNextEventAndANonBlockingOneIsEagain() throws Exception {
        mount();
        String script = "import os, errno\n"
                + "fd = os.open('" + mp.resolve(PollFs.EVENTS) + "', os.O_RDONLY | os.O_NONBLOCK)\n"
                + "try:\n"
                + "    os.read(fd, 100)\n"
                + "    print('read without an event', flush=True)\n"
                + "except BlockingIOError:\n"
                + "    print('EAGAIN', flush=True)\n"
                + "os.set_blocking(fd, True)\n"
                + "print('read', os.read(fd, 100).decode().strip(), flush=True)\n";
        Process client = python(script);
        try {
            BufferedReader out = lines(client);
            assertEquals("EAGAIN", out.readLine());
            Thread.sleep(300); // the blocking read is waiting in the filesystem now
            assertTrue(client.isAlive(), "the read did not wait");
            MountSupport.Result post = MountSupport.run("sh", "-c", "echo hello > '" + mp.resolve(PollFs.POST)
                    + "'");
            assertEquals(0, post.exitCode(), post.output());
            assertEquals("read hello", out.readLine());
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
        } finally {
            stop(client);
        }
    }

    @Test
    void ctrlCEndsAReadWaitingForAnEvent() throws Exception {
        mount();
        long began = System.nanoTime();
        MountSupport.Result cat = MountSupport.run("timeout", "-s", "INT", "1", "cat",
                mp.resolve(PollFs.EVENTS).toString());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertEquals(124, cat.exitCode(), cat.output());
        assertTrue(millis < 10_000, "cat took " + millis + " ms to die");
        assertTrue(mount.isServing());
    }

    @Test
    void binJfuserPollWakesAPollerWhenALineIsWrittenToPost() throws Exception {
        MountSupport.assumeRootAndFuse();
        MountSupport.assumeTool("python3", "python3");
        mp = Files.createDirectory(dir.resolve("mnt"));
        Process cli = new ProcessBuilder(MountSupport.cliCommand("poll", mp.toString())).redirectErrorStream(true)
                .start();
        Process client = null;
        try {
            BufferedReader cliOut = lines(cli);
            String first = cliOut.readLine();
            assertTrue(first != null && first.contains("mounted"), "CLI did not mount: " + first);
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    cliOut.transferTo(java.io.Writer.nullWriter());
                } catch (java.io.IOException ignored) {
                    // the CLI ended
                }
            });
            client = python("import os, select\n"
                    + "fd = os.open('" + mp.resolve(PollFs.EVENTS) + "', os.O_RDONLY)\n"
                    + "p = select.poll()\n"
                    + "p.register(fd, select.POLLIN)\n"
                    + "print('open', flush=True)\n"
                    + "r = p.poll(20000)\n"
                    + "print('events', [e for _, e in r], os.read(fd, 100).decode().strip() if r else '', "
                    + "flush=True)\n");
            BufferedReader out = lines(client);
            assertEquals("open", out.readLine());
            Thread.sleep(500); // asleep in poll(2)
            MountSupport.Result post = MountSupport.run("sh", "-c", "echo hello > '" + mp.resolve(PollFs.POST)
                    + "'");
            assertEquals(0, post.exitCode(), post.output());
            assertEquals("events [1] hello", out.readLine());
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
        } finally {
            if (client != null) {
                stop(client);
            }
            MountSupport.run("umount", mp.toString());
            if (!cli.waitFor(20, TimeUnit.SECONDS)) {
                cli.destroyForcibly();
            }
            assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
        }
    }
}
