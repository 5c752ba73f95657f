package dev.jfuser.examples.lifecycle;

import static dev.jfuser.examples.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.examples.MountSupport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signals to a program written as the README shows ({@link ReadmeProgram}, in a JVM of its own): SIGINT and SIGTERM
 * leave no dead mount and the data is saved; SIGKILL leaves none with {@code auto_unmount}, and without it leaves the
 * dead mount documented in SessionOptions.withUnmountOnExit.
 */
@Tag("mount")
class ExitSignalsTest {
    /** How long a signalled program may take to unmount and exit. */
    private static final long EXIT_BOUND_MILLIS = 10_000;

    @TempDir
    Path dir;

    private Path mp;
    private Process child;
    private final StringBuffer output = new StringBuffer();

    @BeforeEach
    void setUp() throws IOException {
        MountSupport.assumeRootAndFuse();
        mp = Files.createDirectory(dir.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (child != null && child.isAlive()) {
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            MountSupport.forceUnmount(mp);
        }
    }

    /** Starts ReadmeProgram and waits for it to serve. */
    private void start(String options, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(MountSupport.javaCommand());
        cmd.add(ReadmeProgram.class.getName());
        cmd.add(mp.toString());
        cmd.add(options);
        cmd.addAll(List.of(more));
        output.setLength(0);
        child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> first = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    output.append(line).append('\n');
                    if (line.equals("mounted")) {
                        first.complete(line);
                    }
                }
            } catch (IOException ignored) {
                // the program ended
            }
            first.complete(null);
        });
        assertEquals("mounted", first.get(30, TimeUnit.SECONDS), "the program did not mount:\n" + output);
        assertTrue(MountSupport.isMounted(mp));
    }

    /** Sends the signal; returns how long the program took to exit, in milliseconds. */
    private long signal(String name) throws Exception {
        long t0 = System.nanoTime();
        assertEquals(0, run("kill", "-" + name, Long.toString(child.pid())).exitCode());
        assertTrue(child.waitFor(EXIT_BOUND_MILLIS, TimeUnit.MILLISECONDS),
                "the program did not exit within " + EXIT_BOUND_MILLIS + " ms of SIG" + name + "\n" + output);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    private void assertNoDeadMount(String signal) throws Exception {
        assertFalse(MountSupport.isMounted(mp), "SIG" + signal + " left " + mp + " mounted\n" + output);
        MountSupport.Result stat = run("stat", mp.toString());
        assertEquals(0, stat.exitCode(), stat.output());
        assertFalse(stat.output().contains("not connected"), stat.output());
    }

    @Test
    void sigintUnmountsAndExitsPromptly() throws Exception {
        start("fsname=exit-test");
        Files.writeString(mp.resolve("a"), "before the signal");
        long ms = signal("INT");
        assertNoDeadMount("INT");
        System.out.println("ExitSignalsTest: SIGINT to exit " + ms + " ms");
    }

    @Test
    void sigtermSavesTheImageAndLeavesNoDeadMount() throws Exception {
        Path image = dir.resolve("memfs.img");
        start("fsname=exit-test", image.toString());
        Files.writeString(mp.resolve("kept"), "written before SIGTERM");
        Files.createDirectory(mp.resolve("d"));
        long ms = signal("TERM");
        assertNoDeadMount("TERM");
        System.out.println("ExitSignalsTest: SIGTERM to exit " + ms + " ms");
        assertTrue(Files.size(image) > 0, "no image saved");
        // Mounted again from the image: the data written before the signal is all there.
        start("fsname=exit-test", image.toString());
        assertEquals("written before SIGTERM", Files.readString(mp.resolve("kept")));
        assertTrue(Files.isDirectory(mp.resolve("d")));
        signal("TERM");
        assertNoDeadMount("TERM");
    }

    @Test
    void sigkillWithAutoUnmountLeavesNoMount() throws Exception {
        MountSupport.assumeFusermount3();
        start("auto_unmount");
        Files.writeString(mp.resolve("a"), "x");
        long t0 = System.nanoTime();
        assertEquals(0, run("kill", "-KILL", Long.toString(child.pid())).exitCode());
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        long deadline = System.currentTimeMillis() + EXIT_BOUND_MILLIS;
        while (MountSupport.isMounted(mp) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertNoDeadMount("KILL");
        System.out.println("ExitSignalsTest: SIGKILL to unmounted by auto_unmount "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
    }

    @Test
    void sigkillWithoutAutoUnmountLeavesTheDocumentedDeadMount() throws Exception {
        start("fsname=exit-test");
        assertEquals(0, run("kill", "-KILL", Long.toString(child.pid())).exitCode());
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));
        // No hook runs on SIGKILL: the mount stays, dead, until someone unmounts it (tearDown does).
        assertTrue(MountSupport.isMounted(mp));
        assertDeadMount();
    }

    /**
     * The mount answers ENOTCONN. Over io_uring the kernel releases the connection a moment after the process died,
     * and a request racing that fails with ECONNABORTED first.
     */
    private void assertDeadMount() throws Exception {
        long deadline = System.currentTimeMillis() + 5_000;
        MountSupport.Result stat = run("stat", mp.toString());
        while (stat.output().contains("connection abort") && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            stat = run("stat", mp.toString());
        }
        assertTrue(stat.output().contains("Transport endpoint is not connected"), stat.output());
    }

    @Test
    void withoutTheExitHookSigtermLeavesADeadMount() throws Exception {
        start("fsname=exit-test", "--no-unmount-on-exit");
        signal("TERM");
        assertTrue(MountSupport.isMounted(mp), "opted out of the hook: the mount stays behind, as documented");
        assertDeadMount();
    }
}
