package dev.jfuser.examples.cli;

import static dev.jfuser.examples.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.examples.MountSupport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * memfs and the heap: a --size the heap cannot hold is refused at start, and a memfs sized for its heap fills up
 * with ENOSPC, never with an OutOfMemoryError.
 */
@Tag("mount")
class OutOfMemoryMountTest {
    private Path base;
    private Path mp;
    private Process cli;
    private Process writer;
    private final StringBuffer output = new StringBuffer();

    @BeforeEach
    void setUp() throws IOException {
        MountSupport.assumeRootAndFuse();
        base = Files.createTempDirectory("jfuser-test-oom");
        mp = Files.createDirectory(base.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (cli != null && cli.isAlive()) {
                // Its death closes every /dev/fuse descriptor: the kernel aborts the connection, releasing dd.
                cli.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            if (writer != null && writer.isAlive()) {
                writer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            boolean left = MountSupport.forceUnmount(mp);
            run("rm", "-rf", base.toString());
            assertFalse(left, "the test left " + mp + " mounted");
        }
    }

    /**
     * The CLI no longer mounts a memfs its heap cannot hold: the size check refuses it, saying how to fix it. What
     * happens when a heap is exhausted anyway (the library's way out) is {@code DaemonFaultMountTest}'s to show.
     */
    @Test
    void aSizeBeyondTheHeapIsRefusedBeforeAnythingIsMounted() throws Exception {
        List<String> cmd = MountSupport.cliCommand("memfs", mp.toString(), "--size", "1G");
        cmd.add(1, "-Xmx64m");
        cli = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(cli.waitFor(30, TimeUnit.SECONDS), "the CLI did not exit");
        String said = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, cli.exitValue(), said);
        assertTrue(said.contains("--size 1G does not fit in the Java heap") && said.contains("-Xmx"), said);
        assertFalse(MountSupport.isMounted(mp), "mounted although refused");
    }

    /**
     * Filling memfs past a heap it was sized for: ENOSPC from the size limit, long before the heap runs out; the
     * daemon serves on and the data written before is intact.
     */
    @Test
    void fillingAMemfsSizedForItsHeapEndsInEnospcNotOutOfMemory() throws Exception {
        List<String> cmd = MountSupport.cliCommand("memfs", mp.toString(), "--size", "32M");
        cmd.add(1, "-Xmx64m");
        cli = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> first = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    if (!first.isDone() && line.contains("mounted")) {
                        first.complete(line);
                    }
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                // the process ended
            }
            first.complete(null);
        });
        String mounted = first.get(30, TimeUnit.SECONDS);
        assertTrue(mounted != null && MountSupport.isMounted(mp), "memfs did not mount:\n" + output);
        for (int round = 0; round < 3; round++) {
            writer = new ProcessBuilder("dd", "if=/dev/urandom", "of=" + mp.resolve("big" + round), "bs=1M",
                    "count=100").redirectErrorStream(true).start();
            assertTrue(writer.waitFor(60, TimeUnit.SECONDS), "the writer still waits after 60 s\n" + output);
            String dd = new String(writer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(dd.contains("No space left on device"), dd);
            assertTrue(cli.isAlive() && MountSupport.isMounted(mp), "memfs stopped serving\n" + output);
            assertEquals(0, run("rm", mp.resolve("big" + round).toString()).exitCode());
        }
        assertFalse(output.toString().contains("OutOfMemoryError"), output.toString());
        cli.destroy(); // SIGTERM: the library's exit hook unmounts
        assertTrue(cli.waitFor(30, TimeUnit.SECONDS), "the daemon did not exit on SIGTERM\n" + output);
        assertFalse(MountSupport.isMounted(mp), "SIGTERM left the mount behind\n" + output);
    }
}
