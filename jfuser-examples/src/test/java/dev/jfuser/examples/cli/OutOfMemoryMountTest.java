package dev.jfuser.examples.cli;

import static dev.jfuser.examples.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
 * A memfs whose {@code --size} is far beyond its heap, filled until the heap is gone: the writer gets an error
 * within a bound instead of waiting forever in D state, no dead mount is left, and the daemon exits.
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

    @Test
    void fillingTheHeapFailsTheWriterAtOnceAndLeavesNoDeadMount() throws Exception {
        List<String> cmd = MountSupport.cliCommand("memfs", mp.toString(), "--size", "1G");
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

        // 400 MiB into a 64 MiB heap.
        writer = new ProcessBuilder("dd", "if=/dev/urandom", "of=" + mp.resolve("big"), "bs=1M", "count=400")
                .redirectErrorStream(true).start();
        assertTrue(writer.waitFor(30, TimeUnit.SECONDS), "the writer still waits after 30 s (D state: "
                + "the mount is wedged)\n" + output);
        String dd = new String(writer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertNotEquals(0, writer.exitValue(), "dd cannot have stored 400 MiB in a 64 MiB heap: " + dd);

        assertTrue(cli.waitFor(30, TimeUnit.SECONDS), "the daemon did not exit after the abort\n" + output);
        assertNotEquals(0, cli.exitValue(), "the daemon reports the failure");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (MountSupport.isMounted(mp) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(MountSupport.isMounted(mp), "a dead mount was left behind");
    }
}
