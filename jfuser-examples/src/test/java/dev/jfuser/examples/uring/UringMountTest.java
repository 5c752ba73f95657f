package dev.jfuser.examples.uring;

import static dev.jfuser.examples.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.hello.HelloFs;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FUSE over io_uring through the real kernel, whatever transport the rest of the suite runs on: both filesystem
 * APIs, large payloads both ways, every CPU's queue, the fallback to /dev/fuse, and teardown with entries parked in
 * the rings, with a request held by the filesystem, on abort, and after kill -9.
 */
@Tag("mount")
class UringMountTest {
    private static final Path ENABLE_URING = Path.of("/sys/module/fuse/parameters/enable_uring");
    private static String enableUringBefore;

    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;
    private Process cli;
    private final ByteArrayOutputStream debug = new ByteArrayOutputStream();

    @BeforeAll
    static void enableUring() throws IOException {
        MountSupport.assumeRootAndFuse();
        assumeTrue(Files.exists(ENABLE_URING), "the kernel has no FUSE-over-io_uring (CONFIG_FUSE_IO_URING)");
        enableUringBefore = Files.readString(ENABLE_URING).trim();
        Files.writeString(ENABLE_URING, "1");
    }

    @AfterAll
    static void restoreEnableUring() throws IOException {
        if (enableUringBefore != null) {
            Files.writeString(ENABLE_URING, enableUringBefore.equals("Y") ? "1" : "0");
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        mp = Files.createDirectory(dir.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (cli != null && cli.isAlive()) {
                cli.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            if (mount != null && mount.isServing()) {
                mount.unmount(true);
                mount.awaitUnmount(Duration.ofSeconds(10));
            }
        } finally {
            Files.writeString(ENABLE_URING, "1");
            assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
        }
    }

    private SessionOptions uring() {
        return SessionOptions.DEFAULT.withTransport(Transport.IO_URING)
                .withDebug(new PrintStream(debug, true, StandardCharsets.UTF_8));
    }

    private String debugText() {
        return debug.toString(StandardCharsets.UTF_8);
    }

    private static int cpus() {
        return Runtime.getRuntime().availableProcessors();
    }

    @Test
    void blockingFilesystemMovesLargePayloadsBothWaysOnEveryQueue() throws Exception {
        FlatMemFs fs = new FlatMemFs();
        mount = Fuse.mount(fs, mp, MountOptions.defaults(), uring());
        assertEquals(Transport.IO_URING, mount.transport());
        byte[] data = new byte[3 * 1024 * 1024 + 12345]; // several max_write-sized WRITEs plus a tail
        new Random(42).nextBytes(data);
        Path src = Files.write(dir.resolve("src"), data);
        for (int cpu = 0; cpu < cpus(); cpu++) {
            Path f = mp.resolve("f" + cpu);
            // taskset: a request is queued to the ring of the CPU its caller runs on
            MountSupport.Result cp = run("taskset", "-c", Integer.toString(cpu), "dd", "if=" + src, "of=" + f,
                    "bs=1M", "conv=fsync");
            assertEquals(0, cp.exitCode(), cp.output());
            MountSupport.Result cmp = run("taskset", "-c", Integer.toString(cpu), "cmp", src.toString(),
                    f.toString());
            assertEquals(0, cmp.exitCode(), cmp.output());
            assertTrue(debugText().contains("[io_uring queue " + cpu + "]"), "no request on queue " + cpu);
        }
        assertArrayEquals(data, Files.readAllBytes(mp.resolve("f0")));
        List<String> names = new ArrayList<>();
        try (var s = Files.list(mp)) {
            s.forEach(p -> names.add(p.getFileName().toString()));
        }
        assertEquals(cpus(), names.size(), names.toString());
        Files.delete(mp.resolve("f0"));
        assertFalse(Files.exists(mp.resolve("f0")));
        mount.close();
        assertNoSessionThreads();
    }

    @Test
    void asyncFilesystemAnsweringInlineServesEveryQueue() throws Exception {
        mount = Fuse.mount(new AsyncHello(), mp, MountOptions.defaults(), uring());
        assertEquals(Transport.IO_URING, mount.transport());
        for (int round = 0; round < 50; round++) {
            int cpu = round % cpus();
            MountSupport.Result cat = run("taskset", "-c", Integer.toString(cpu), "cat",
                    mp.resolve(HelloFs.FILE_NAME).toString());
            assertEquals("Hello, World!\n", cat.output());
        }
        for (int cpu = 0; cpu < cpus(); cpu++) {
            assertTrue(debugText().contains("[io_uring queue " + cpu + "]"), "no request on queue " + cpu);
        }
        mount.close();
        assertNoSessionThreads();
    }

    @Test
    void fallsBackToDevFuseSayingWhyWhenTheKernelDoesNotOfferIt() throws Exception {
        Files.writeString(ENABLE_URING, "0");
        mount = Fuse.mount(new HelloFs(0, 0), mp, MountOptions.defaults(), uring());
        assertEquals(Transport.DEV_FUSE, mount.transport());
        assertEquals("Hello, World!\n", Files.readString(mp.resolve(HelloFs.FILE_NAME)));
        assertTrue(debugText().contains("io_uring transport not used: the fuse module has io_uring disabled: "
                + "echo 1 > /sys/module/fuse/parameters/enable_uring; serving through /dev/fuse"), debugText());
        assertFalse(debugText().contains("[io_uring queue"));
        mount.close();
        assertNoSessionThreads();
    }

    @Test
    void devFuseStaysTheDefault() throws Exception {
        assumeTrue(System.getProperty(Transport.PROPERTY) == null, "the suite runs with " + Transport.PROPERTY);
        mount = Fuse.mount(new HelloFs(0, 0), mp, MountOptions.defaults());
        assertEquals(Transport.DEV_FUSE, mount.transport());
        mount.close();
    }

    @Test
    void theSuitePropertySelectsTheTransportOfDefaultMounts() throws Exception {
        String property = System.getProperty(Transport.PROPERTY);
        assumeTrue(property != null, "the suite runs with the default transport");
        mount = Fuse.mount(new HelloFs(0, 0), mp, MountOptions.defaults());
        // This pass must really run over what it names, not over a silent fallback.
        assertEquals(Transport.parse(property) == Transport.DEV_FUSE ? Transport.DEV_FUSE : Transport.IO_URING,
                mount.transport());
        mount.close();
    }

    @Test
    void unmountWithEveryEntryParkedInTheRingsEndsTheSession() throws Exception {
        mount = Fuse.mount(new HelloFs(0, 0), mp, MountOptions.defaults(), uring());
        assertEquals("Hello, World!\n", Files.readString(mp.resolve(HelloFs.FILE_NAME)));
        Thread.sleep(100); // every entry back in the kernel, waiting for a request
        mount.close();
        assertFalse(mount.isServing());
        assertFalse(MountSupport.isMounted(mp));
        assertNoSessionThreads();
    }

    @Test
    void lazyUnmountWhileTheFilesystemHoldsARequest() throws Exception {
        FlatMemFs fs = new FlatMemFs();
        mount = Fuse.mount(fs, mp, MountOptions.defaults(), uring());
        Process stat = new ProcessBuilder("stat", mp.resolve(FlatMemFs.BLOCK).toString()).redirectErrorStream(true)
                .start();
        assertTrue(fs.blockEntered.await(10, TimeUnit.SECONDS), "the lookup did not reach the filesystem");
        assertEquals(0, run("umount", "-l", mp.toString()).exitCode());
        assertFalse(MountSupport.isMounted(mp), "detached at once");
        assertTrue(mount.isServing(), "still serving the request in flight");
        fs.release.countDown();
        assertTrue(stat.waitFor(10, TimeUnit.SECONDS), "stat still waits");
        assertNotEquals(0, stat.exitValue(), "the name does not exist");
        assertTrue(mount.awaitUnmount(Duration.ofSeconds(10)), "the session did not end");
        assertNoSessionThreads();
    }

    @Test
    void interruptFromDevFuseReachesARequestDeliveredByARing() throws Exception {
        FlatMemFs fs = new FlatMemFs();
        mount = Fuse.mount(fs, mp, MountOptions.defaults(), uring());
        Process stat = new ProcessBuilder("stat", mp.resolve(FlatMemFs.BLOCK).toString()).redirectErrorStream(true)
                .start();
        assertTrue(fs.blockEntered.await(10, TimeUnit.SECONDS), "the lookup did not reach the filesystem");
        assertTrue(debugText().contains("Lookup[name=block]  [io_uring queue"), "the lookup came through a ring");
        // A signal makes the kernel send INTERRUPT, which always travels through /dev/fuse.
        assertEquals(0, run("kill", "-INT", Long.toString(stat.pid())).exitCode());
        assertTrue(stat.waitFor(10, TimeUnit.SECONDS), "the caller still waits: the interrupt was lost");
        assertTrue(fs.blockInterrupted, "the handler's thread was interrupted");
        assertTrue(debugText().contains("opcode: INTERRUPT"), debugText());
        assertEquals("Hello", writeAndRead("after-interrupt", "Hello"), "the entry serves on");
        mount.close();
        assertNoSessionThreads();
    }

    private String writeAndRead(String name, String text) throws IOException {
        Files.writeString(mp.resolve(name), text);
        return Files.readString(mp.resolve(name));
    }

    @Test
    void abortThroughFusectlEndsTheSessionAndFreesTheCaller() throws Exception {
        boolean mountedFusectl = ensureFusectl();
        try {
            FlatMemFs fs = new FlatMemFs();
            mount = Fuse.mount(fs, mp, MountOptions.defaults(), uring());
            Process stat = new ProcessBuilder("stat", mp.resolve(FlatMemFs.BLOCK).toString())
                    .redirectErrorStream(true).start();
            assertTrue(fs.blockEntered.await(10, TimeUnit.SECONDS), "the lookup did not reach the filesystem");
            Files.writeString(Path.of("/sys/fs/fuse/connections", Integer.toString(deviceMinor(mp)), "abort"), "1");
            assertTrue(stat.waitFor(10, TimeUnit.SECONDS), "the caller still waits after the abort");
            String out = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(out.contains("connection abort") || out.contains("not connected"), out);
            assertTrue(mount.awaitUnmount(Duration.ofSeconds(15)), "the session did not end after the abort");
            // The session ends once it has interrupted the handler; the handler's thread notes it a moment later.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!fs.blockInterrupted && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(fs.blockInterrupted, "the handler still held at the end was interrupted");
            assertNoSessionThreads();
            MountSupport.Result ls = run("timeout", "5", "ls", mp.toString());
            assertTrue(ls.output().contains("not connected"), "dead, not hung: " + ls.output());
            assertEquals(0, run("umount", "-l", mp.toString()).exitCode());
        } finally {
            if (mountedFusectl) {
                run("umount", "/sys/fs/fuse/connections");
            }
        }
    }

    @Test
    void killMinus9WithAutoUnmountLeavesNoMountBehind() throws Exception {
        MountSupport.assumeFusermount3();
        startCli("-o", "auto_unmount");
        killCli();
        long deadline = System.currentTimeMillis() + 10_000;
        while (MountSupport.isMounted(mp) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(MountSupport.isMounted(mp), "auto_unmount did not unmount after kill -9");
    }

    @Test
    void killMinus9LeavesADeadMountNotAHungOne() throws Exception {
        startCli();
        killCli();
        // Without auto_unmount the mount stays, but the connection is gone: callers get ENOTCONN at once.
        long deadline = System.currentTimeMillis() + 10_000;
        String out = "";
        while (System.currentTimeMillis() < deadline) {
            out = run("timeout", "5", "stat", mp.toString()).output();
            if (out.contains("not connected")) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(out.contains("not connected"), out);
        assertEquals(0, run("umount", "-l", mp.toString()).exitCode());
    }

    /** Starts the CLI serving hello over io_uring and waits for its "mounted (io_uring)" line. */
    private void startCli(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("hello", mp.toString(), "--transport", "io_uring"));
        args.addAll(List.of(extra));
        cli = new ProcessBuilder(MountSupport.cliCommand(args.toArray(String[]::new)))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> line = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                line.complete(out.readLine());
                while (out.readLine() != null) {
                    // drain
                }
            } catch (IOException e) {
                line.complete(null);
            }
        });
        String first = line.get(30, TimeUnit.SECONDS);
        assertTrue(first != null && first.contains("mounted (io_uring)"), "CLI did not mount over io_uring: " + first);
        assertEquals("Hello, World!\n", Files.readString(mp.resolve(HelloFs.FILE_NAME)));
    }

    private void killCli() throws Exception {
        assertEquals(0, run("kill", "-9", Long.toString(cli.pid())).exitCode());
        assertTrue(cli.waitFor(10, TimeUnit.SECONDS));
    }

    /** Mounts the FUSE control filesystem if it is not; returns whether this call did. */
    private static boolean ensureFusectl() throws Exception {
        if (Files.exists(Path.of("/sys/fs/fuse/connections")) && Files.readString(Path.of("/proc/self/mountinfo"))
                .contains(" /sys/fs/fuse/connections ")) {
            return false;
        }
        MountSupport.Result r = run("mount", "-t", "fusectl", "none", "/sys/fs/fuse/connections");
        assertEquals(0, r.exitCode(), r.output());
        return true;
    }

    /** The connection number under /sys/fs/fuse/connections: the minor of the mount's device. */
    private static int deviceMinor(Path mountpoint) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f[4].equals(mountpoint.toString())) {
                return Integer.parseInt(f[2].split(":")[1]);
            }
        }
        throw new AssertionError(mountpoint + " is not mounted");
    }

    /** Waits until no reader, ring or shutdown thread of a session is alive. */
    private static void assertNoSessionThreads() throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        List<String> alive;
        do {
            alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                    .filter(n -> n.startsWith("jfuser-ring-") || n.startsWith("jfuser-reader-")
                            || n.startsWith("jfuser-shutdown"))
                    .toList();
            if (alive.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        } while (System.currentTimeMillis() < deadline);
        throw new AssertionError("session threads still alive: " + alive);
    }
}
