package dev.jfuser.examples.fault;

import static dev.jfuser.examples.fault.FaultSupport.CALLER_BOUND;
import static dev.jfuser.examples.fault.FaultSupport.assertIntact;
import static dev.jfuser.examples.fault.FaultSupport.assertServing;
import static dev.jfuser.examples.fault.FaultSupport.runBounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.fault.FaultSupport.Client;
import dev.jfuser.examples.fault.FaultSupport.Daemon;
import dev.jfuser.examples.memfs.MemFs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fault suite, daemon part: a program written as the README shows ({@link FaultDaemon}) in its own JVM, signalled
 * (SIGINT, SIGTERM, SIGKILL, with and without auto_unmount) while clients are in the middle of requests, or starved
 * of heap. No client may wait past a bound, no dead mount may stay (except the one the kernel leaves when a daemon
 * dies by SIGKILL without auto_unmount: nothing in the process can run then), and the memfs image keeps what was
 * written before.
 */
@Tag("mount")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DaemonFaultMountTest {
    /** How long a signalled daemon may take to go, with its shutdown (5 s drain of blocked requests included). */
    private static final Duration EXIT_BOUND = Duration.ofSeconds(30);

    private Path base;
    private Path mp;
    private Daemon daemon;
    private final List<Client> clients = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        MountSupport.assumeRootAndFuse();
        base = Files.createTempDirectory("jfuser-fault-daemon");
        mp = Files.createDirectory(base.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Client c : clients) {
            c.destroy();
        }
        if (daemon != null) {
            daemon.destroy();
        }
        boolean left = FaultSupport.abortAndDetach(mp);
        MountSupport.run("rm", "-rf", base.toString());
        assertFalse(left, "the case left " + mp + " mounted (aborted and detached it)");
    }

    private Client client(String... command) throws Exception {
        Client c = Client.start(command);
        clients.add(c);
        return c;
    }

    /** Makes a memfs image holding {@code before} (through a real mount, cleanly unmounted); returns its hash. */
    private String seedImage(Path image) throws Exception {
        MemFs fs = new MemFs(MemFs.Options.defaults().withImage(image));
        String sha;
        try (Mount m = Fuse.mount(fs, mp, MountOptions.parse("fsname=seed"))) {
            assertTrue(m.isServing());
            sha = FaultSupport.writeRandom(mp.resolve("before"), 300_000, 1);
        }
        assertTrue(Files.exists(image), "memfs did not save its image");
        return sha;
    }

    /** Mounts the image in this JVM and checks the files named; unmounts again. */
    private void assertImageHolds(Path image, String... nameShaPairs) throws Exception {
        MemFs fs = new MemFs(MemFs.Options.defaults().withImage(image));
        try (Mount m = Fuse.mount(fs, mp, MountOptions.parse("fsname=check"))) {
            assertTrue(m.isServing());
            for (int i = 0; i < nameShaPairs.length; i += 2) {
                assertIntact(mp.resolve(nameShaPairs[i]), nameShaPairs[i + 1]);
            }
        }
    }

    static Stream<Arguments> signals() {
        List<Arguments> out = new ArrayList<>();
        for (String signal : List.of("INT", "TERM", "KILL")) {
            for (boolean auto : List.of(false, true)) {
                out.add(Arguments.of(signal, auto));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "SIG{0}, auto_unmount {1}")
    @MethodSource("signals")
    void aSignalledDaemonLeavesNoCallerWaitingAndNoDeadMount(String signal, boolean autoUnmount) throws Exception {
        Path image = base.resolve("fs.img");
        String beforeSha = seedImage(image);
        daemon = Daemon.start(null, mp, "fsname=faultd" + (autoUnmount ? ",auto_unmount" : ""), image, 0);
        assertIntact(mp.resolve("before"), beforeSha);
        String keepSha = FaultSupport.writeRandom(mp.resolve("keep"), 500_000, 2);
        FaultSupport.writeRandom(mp.resolve("slow-r"), 256 << 10, 3);
        assertEquals(0, runBounded(CALLER_BOUND, "truncate", "-s", "8192", mp.resolve("block-r").toString())
                .exitCode());
        // Callers in the middle of requests when the signal comes: one served slowly, one blocked in its handler.
        Client slow = client("dd", "if=" + mp.resolve("slow-r"), "of=/dev/null", "bs=4k", "iflag=direct");
        Client blocked = client("cat", mp.resolve("block-r").toString());
        Thread.sleep(500);
        assertTrue(slow.process.isAlive() && blocked.process.isAlive(), "the clients should still be waiting");
        daemon.signal(signal);
        assertTrue(daemon.process.waitFor(EXIT_BOUND.toMillis(), TimeUnit.MILLISECONDS),
                "the daemon did not exit within " + EXIT_BOUND.toSeconds() + " s of SIG" + signal + "\n"
                + daemon.log());
        slow.assertEndsWithin(CALLER_BOUND);
        blocked.assertEndsWithin(CALLER_BOUND);
        if (signal.equals("KILL") && !autoUnmount) {
            // Nothing of the process runs after SIGKILL: the kernel aborts the connection, and the mount stays
            // until someone unmounts it (auto_unmount exists for this). Callers were released above.
            assertTrue(FaultSupport.isDead(mp), "expected the dead mount SIGKILL leaves without auto_unmount");
            assertEquals(0, MountSupport.run("umount", mp.toString()).exitCode());
        } else {
            FaultSupport.assertUnmountedWithin(mp, Duration.ofSeconds(10));
        }
        if (signal.equals("KILL")) {
            // Killed before it could save: the image is the one from before, untouched.
            assertImageHolds(image, "before", beforeSha);
        } else {
            // An orderly stop saves what was written.
            assertImageHolds(image, "before", beforeSha, "keep", keepSha);
        }
    }

    /**
     * A handler that allocates until the heap is gone: its caller gets an answer, and afterwards the mount serves
     * with the data intact, or (if the session had to end) it is gone - never wedged, never dead.
     */
    @Test
    void aHandlerExhaustingTheHeap() throws Exception {
        daemon = Daemon.start("64m", mp, "fsname=faultd-hog", null, 0);
        String keepSha = FaultSupport.writeRandom(mp.resolve("keep"), 1 << 20, 4);
        Client hog = client("dd", "if=/dev/zero", "of=" + mp.resolve("hog-w"), "bs=64k", "count=4");
        hog.assertEndsWithin(Duration.ofSeconds(60));
        assertServingOrGone(keepSha);
    }

    /**
     * memfs filled past the JVM's heap (its size limit far above it), as in {@code JAVA_TOOL_OPTIONS=-Xmx128m
     * bin/jfuser memfs MP --size 1G} and a 400 MB dd.
     */
    @Test
    void memfsFilledPastTheHeap() throws Exception {
        daemon = Daemon.start("96m", mp, "fsname=faultd-fill", null, 1L << 30);
        String keepSha = FaultSupport.writeRandom(mp.resolve("keep"), 1 << 20, 5);
        Client dd = client("dd", "if=/dev/urandom", "of=" + mp.resolve("big"), "bs=1M", "count=400");
        try {
            dd.assertEndsWithin(Duration.ofSeconds(90));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\ndaemon alive: " + daemon.process.isAlive() + ", its output:\n"
                    + tail(daemon.log()), e);
        }
        assertServingOrGone(keepSha);
    }

    private void assertServingOrGone(String keepSha) throws Exception {
        // A session ended by the error is still on its way out for a moment (unmounting, destroy): give it the time
        // to finish before deciding which of the two outcomes this is.
        daemon.process.waitFor(3, TimeUnit.SECONDS);
        if (daemon.process.isAlive() && MountSupport.isMounted(mp) && !FaultSupport.isDead(mp)) {
            assertServing(mp);
            assertIntact(mp.resolve("keep"), keepSha);
            // Still a working daemon: an umount ends it as usual.
            assertEquals(0, MountSupport.run("umount", mp.toString()).exitCode());
            assertTrue(daemon.process.waitFor(EXIT_BOUND.toMillis(), TimeUnit.MILLISECONDS),
                    "the daemon did not end after umount\n" + tail(daemon.log()));
            return;
        }
        // The session ended: the daemon must be gone too, and the mount with it.
        assertTrue(daemon.process.waitFor(EXIT_BOUND.toMillis(), TimeUnit.MILLISECONDS),
                "the mount stopped serving but the daemon lives on (wedged)\n" + tail(daemon.log()));
        FaultSupport.assertUnmountedWithin(mp, Duration.ofSeconds(10));
    }

    private static String tail(String log) {
        return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    }
}
