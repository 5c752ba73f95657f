package dev.jfuser.examples.handover;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.examples.MountSupport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A planned hand-over through a real mount: memfs served by the CLI in one process is replaced, again and again,
 * by a new process ({@code --resume S --handover S'}) while a client holds a file open (also one unlinked), writes
 * and reads through it, and runs a stat loop, a metadata loop and {@code fio --verify}. Zero errors, the data
 * intact, the mount never gone; the pause each caller saw is printed.
 */
@Tag("mount")
class HandoverMountTest {
    private static final int REPLACEMENTS = 10;

    private Path base;
    private Path mp;
    private final List<Process> daemons = new ArrayList<>();
    private final StringBuffer logs = new StringBuffer();

    @BeforeEach
    void setUp() throws IOException {
        MountSupport.assumeRootAndFuse();
        MountSupport.assumeTool("fio", "fio");
        base = Files.createTempDirectory("jfuser-handover");
        mp = Files.createDirectory(base.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (Process p : daemons) {
                if (p.isAlive()) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } finally {
            boolean left = MountSupport.forceUnmount(mp);
            MountSupport.run("rm", "-rf", base.toString());
            assertFalse(left, "the test left " + mp + " mounted");
        }
    }

    /** Starts a memfs CLI with {@code args} and waits for its "mounted" line. */
    private Process start(String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of("memfs", mp.toString()));
        a.addAll(List.of(args));
        Process p = new ProcessBuilder(MountSupport.cliCommand(a.toArray(String[]::new))).start();
        daemons.add(p);
        int n = daemons.size();
        Thread.ofPlatform().daemon().start(() -> drain(p.getErrorStream(), "daemon " + n + " err: "));
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                line.complete(out.readLine());
                for (String l; (l = out.readLine()) != null; ) {
                    logs.append("daemon ").append(n).append(": ").append(l).append('\n');
                }
            } catch (IOException e) {
                line.complete(null);
            }
        });
        String first = line.get(60, TimeUnit.SECONDS);
        assertTrue(first != null && first.contains("mounted"), "daemon " + n + " did not serve: " + first + "\n"
                + logs);
        return p;
    }

    private void drain(InputStream in, String prefix) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                logs.append(prefix).append(l).append('\n');
            }
        } catch (IOException ignored) {
            // the process is gone
        }
    }

    private static void awaitFile(Path p, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!Files.exists(p) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    @Test
    void memfsIsReplacedTenTimesUnderLoadWithoutAnErrorOrLostByte() throws Exception {
        Path[] sockets = {base.resolve("s0"), base.resolve("s1")};
        Process current = start("--handover", sockets[0].toString());
        awaitFile(sockets[0], 10);

        byte[] initial = new byte[1 << 20];
        new Random(42).nextBytes(initial);
        Path data = mp.resolve("data");
        Files.write(data, initial);
        Path dir = Files.createDirectory(mp.resolve("dir"));
        // Held open across every hand-over: its fh must stay valid in each new process.
        FileChannel held = FileChannel.open(data, StandardOpenOption.READ, StandardOpenOption.WRITE);
        // Open and unlinked: only the live state (not the image) keeps it.
        Path ghostPath = mp.resolve("ghost");
        Files.writeString(ghostPath, "still here");
        FileChannel ghost = FileChannel.open(ghostPath, StandardOpenOption.READ);
        Files.delete(ghostPath);

        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicLong writes = new AtomicLong();
        AtomicLong metadataRounds = new AtomicLong();
        Latencies statNanos = new Latencies();
        Latencies metaNanos = new Latencies();
        AtomicLong fioRuns = new AtomicLong();
        byte[] expected = initial.clone();
        Object expectedLock = new Object();

        Thread statLoop = Thread.ofPlatform().start(() -> {
            while (running.get()) {
                long t0 = System.nanoTime();
                try {
                    BasicFileAttributes a = Files.readAttributes(data, BasicFileAttributes.class);
                    if (a.size() != initial.length) {
                        errors.add("stat: size " + a.size());
                    }
                } catch (IOException e) {
                    errors.add("stat: " + e);
                }
                statNanos.add(System.nanoTime() - t0);
            }
        });
        Thread metaLoop = Thread.ofPlatform().start(() -> {
            for (long i = 0; running.get(); i++) {
                long t0 = System.nanoTime();
                try {
                    Path f = dir.resolve("f" + i);
                    Files.writeString(f, "n" + i);
                    Path g = dir.resolve("g" + i);
                    Files.move(f, g);
                    if (!Files.readString(g).equals("n" + i)) {
                        errors.add("metadata: content of " + g);
                    }
                    if (i >= 8) {
                        Files.delete(dir.resolve("g" + (i - 8)));
                    }
                } catch (IOException e) {
                    errors.add("metadata " + i + ": " + e);
                }
                metaNanos.add(System.nanoTime() - t0);
                metadataRounds.set(i + 1);
            }
        });
        Thread writeLoop = Thread.ofPlatform().start(() -> {
            Random r = new Random(7);
            byte[] block = new byte[4096];
            while (running.get()) {
                r.nextBytes(block);
                int at = r.nextInt(initial.length / block.length) * block.length;
                try {
                    synchronized (expectedLock) {
                        int n = held.write(ByteBuffer.wrap(block), at);
                        if (n != block.length) {
                            errors.add("write: " + n + " bytes");
                        }
                        System.arraycopy(block, 0, expected, at, block.length);
                        ByteBuffer back = ByteBuffer.allocate(block.length);
                        held.read(back, at);
                        if (!Arrays.equals(back.array(), block)) {
                            errors.add("read back at " + at + " differs");
                        }
                    }
                    writes.incrementAndGet();
                } catch (IOException e) {
                    errors.add("write: " + e);
                }
            }
        });

        // fio writes random blocks with checksums and reads them all back, run after run, through every hand-over.
        Thread fioLoop = Thread.ofPlatform().start(() -> {
            for (int run = 0; running.get(); run++) {
                try {
                    MountSupport.Result r = MountSupport.run("fio", "--name=verify", "--filename="
                            + mp.resolve("fio.dat"), "--size=8m", "--bs=4k", "--rw=randwrite", "--ioengine=psync",
                            "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--verify_state_save=0",
                            "--randseed=" + run,
                            "--minimal");
                    if (r.exitCode() != 0) {
                        errors.add("fio run " + run + ": exit " + r.exitCode() + ": " + r.output());
                    }
                    fioRuns.incrementAndGet();
                } catch (IOException e) {
                    errors.add("fio run " + run + ": " + e);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        List<Long> pauses = new ArrayList<>();
        try {
            Thread.sleep(300);
            for (int k = 0; k < REPLACEMENTS; k++) {
                Path from = sockets[k % 2];
                Path to = sockets[(k + 1) % 2];
                long before = metadataRounds.get();
                long t0 = System.nanoTime();
                Process next = start("--resume", from.toString(), "--handover", to.toString());
                assertTrue(current.waitFor(60, TimeUnit.SECONDS), "the old daemon did not exit\n" + logs);
                assertEquals(0, current.exitValue(), "the old daemon's exit status\n" + logs);
                pauses.add(System.nanoTime() - t0);
                assertTrue(MountSupport.isMounted(mp), "the mount disappeared at hand-over " + (k + 1));
                awaitFile(to, 30);
                assertTrue(Files.exists(to), "daemon " + daemons.size() + " does not listen on " + to + "\n" + logs);
                current = next;
                // The new daemon serves: the loops go on through it.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (metadataRounds.get() < before + 5 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertTrue(metadataRounds.get() >= before + 5, "the metadata loop stalled after hand-over "
                        + (k + 1) + "\n" + logs);
            }
            Thread.sleep(300);
        } finally {
            running.set(false);
            statLoop.join(30_000);
            metaLoop.join(30_000);
            writeLoop.join(30_000);
            fioLoop.join(60_000);
        }

        assertTrue(errors.isEmpty(), "errors seen by callers: " + errors + "\n" + logs);
        assertTrue(logs.toString().contains("handed over"), logs.toString());
        byte[] viaHeld = new byte[initial.length];
        ByteBuffer all = ByteBuffer.wrap(viaHeld);
        while (all.hasRemaining() && held.read(all, all.position()) > 0) {
            // read on
        }
        synchronized (expectedLock) {
            assertArrayEquals(expected, viaHeld, "the data read through the held descriptor");
            assertArrayEquals(expected, Files.readAllBytes(data), "the data read by name");
        }
        ByteBuffer g = ByteBuffer.allocate(64);
        int n = ghost.read(g, 0);
        assertEquals("still here", new String(g.array(), 0, n, StandardCharsets.UTF_8), "the unlinked open file");
        held.close();
        ghost.close();

        assertTrue(fioRuns.get() > 0, "fio never completed a run");
        statNanos.print("stat loop");
        metaNanos.print("metadata loop (create+rename+read+unlink)");
        long[] p = pauses.stream().mapToLong(Long::longValue).toArray();
        System.out.printf("handover: %d replacements; %d writes verified, %d metadata rounds, %d fio --verify runs;"
                + " new process start to old exit: p50 %.0f ms, max %.0f ms%n", REPLACEMENTS, writes.get(),
                metadataRounds.get(), fioRuns.get(),
                pct(p, 50) / 1e6, pct(p, 100) / 1e6);

        MountSupport.run("umount", mp.toString());
        assertTrue(current.waitFor(30, TimeUnit.SECONDS), "the last daemon did not end at unmount\n" + logs);
        assertEquals(0, current.exitValue(), logs.toString());
        assertFalse(MountSupport.isMounted(mp));
    }

    @Test
    void memfsHoldingALockRefusesAndStaysServingUntilTheLockIsGone() throws Exception {
        Path socket = base.resolve("s");
        Process first = start("--handover", socket.toString());
        awaitFile(socket, 10);
        Path file = mp.resolve("locked");
        Files.writeString(file, "x");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            java.nio.channels.FileLock lock = ch.lock();
            Process refused = new ProcessBuilder(MountSupport.cliCommand("memfs", mp.toString(), "--resume",
                    socket.toString())).redirectErrorStream(true).start();
            daemons.add(refused);
            assertTrue(refused.waitFor(60, TimeUnit.SECONDS));
            String said = new String(refused.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(1, refused.exitValue(), said);
            assertTrue(said.contains("without handing its mount over"), said);
            awaitFile(socket, 10);
            assertTrue(first.isAlive(), "the refusing daemon still serves\n" + logs);
            assertEquals("x", Files.readString(file));
            assertTrue(logs.toString().contains("locks") && logs.toString().contains("listening again"),
                    logs.toString());
            lock.release();
        }
        Process second = start("--resume", socket.toString());
        assertTrue(first.waitFor(60, TimeUnit.SECONDS), logs.toString());
        assertEquals(0, first.exitValue(), logs.toString());
        assertEquals("x", Files.readString(file));
        MountSupport.run("umount", mp.toString());
        assertTrue(second.waitFor(30, TimeUnit.SECONDS), logs.toString());
        assertEquals(0, second.exitValue(), logs.toString());
    }

    /** Call latencies: the exact maximum and count, percentiles from a uniform sample (reservoir) of them. */
    private static final class Latencies {
        private final long[] sample = new long[1 << 20];
        private final Random random = new Random(1);
        private long count;
        private long max;

        synchronized void add(long nanos) {
            if (count < sample.length) {
                sample[(int) count] = nanos;
            } else {
                long j = (long) (random.nextDouble() * (count + 1));
                if (j < sample.length) {
                    sample[(int) j] = nanos;
                }
            }
            count++;
            max = Math.max(max, nanos);
        }

        synchronized void print(String what) {
            long[] d = Arrays.copyOf(sample, (int) Math.min(count, sample.length));
            System.out.printf("handover: %s, %d calls: p50 %.3f ms, p99 %.3f ms, max %.1f ms%n", what, count,
                    pct(d, 50) / 1e6, pct(d, 99) / 1e6, max / 1e6);
        }
    }

    private static double pct(long[] values, double p) {
        if (values.length == 0) {
            return 0;
        }
        long[] s = values.clone();
        Arrays.sort(s);
        int i = (int) Math.min(s.length - 1, Math.ceil(p / 100.0 * s.length) - 1);
        return s[Math.max(0, i)];
    }
}
