package dev.jfuser.examples.httpfs;

import static dev.jfuser.examples.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.examples.MountSupport;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * httpfs mounted through the real kernel against real servers: the JDK's SimpleFileServer in this JVM and nginx as a
 * child process. The served directory is the oracle: {@code diff -r} and {@code find}'s sizes must agree.
 */
@Tag("mount")
class HttpFsMountTest {
    @TempDir
    Path dir;
    private Path root;
    private Path mp;
    private Mount mount;
    private final List<AutoCloseable> servers = new ArrayList<>();

    @BeforeEach
    void tree() throws Exception {
        MountSupport.assumeRootAndFuse();
        root = Files.createDirectory(dir.resolve("served"));
        HttpServers.writeTree(root);
        mp = Files.createDirectory(dir.resolve("mnt"));
    }

    @AfterEach
    void unmount() throws Exception {
        try {
            if (mount != null) {
                mount.unmount(true);
                assertTrue(mount.awaitUnmount(Duration.ofSeconds(10)), "session did not end after unmount");
            }
        } finally {
            boolean left = mp != null && MountSupport.forceUnmount(mp);
            for (AutoCloseable s : servers) {
                s.close();
            }
            assertFalse(left, "the test left " + mp + " mounted");
            assertFalse(MountSupport.fuseMounts().stream().anyMatch(m -> m.startsWith(dir.toString())),
                    "FUSE mounts left under " + dir + ": " + MountSupport.fuseMounts());
        }
    }

    private <S extends AutoCloseable> S serve(S server) {
        servers.add(server);
        return server;
    }

    private static HttpFsOptions options(URI base) {
        return HttpFsOptions.of(base).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3));
    }

    private void mountAsync(HttpFsOptions options) throws Exception {
        mount = Fuse.mount(HttpFs.create(options), mp, mountOptions());
    }

    private static MountOptions mountOptions() {
        return MountOptions.builder().fsname("httpfs-test").subtype("httpfs").readOnly().build();
    }

    /** diff -r, then the sizes of every file and the list of directories as find (stat) sees them. */
    private void assertSameTree() throws Exception {
        MountSupport.Result diff = run("diff", "-r", root.toString(), mp.toString());
        assertEquals(0, diff.exitCode(), "diff -r:\n" + diff.output());
        assertEquals(find(root, "f", "%P %s\\n"), find(mp, "f", "%P %s\\n"), "file sizes");
        assertEquals(find(root, "d", "%P\\n"), find(mp, "d", "%P\\n"), "directories");
        MountSupport.Result ls = run("ls", "-lR", mp.toString());
        assertEquals(0, ls.exitCode(), ls.output());
        assertTrue(ls.output().contains(" 5242880 ") && ls.output().contains(" 1048579 ")
                && ls.output().contains("grüße.txt"), ls.output());
        for (String f : List.of("sub dir/nested/deeper/5MiB.bin", "sub dir/4097", "one", "empty",
                "ünïcödé ✓/数据.bin")) {
            MountSupport.Result cmp = run("cmp", root.resolve(f).toString(), mp.resolve(f).toString());
            assertEquals(0, cmp.exitCode(), cmp.output());
        }
    }

    private static String find(Path top, String type, String format) throws Exception {
        MountSupport.Result r = run("sh", "-c", "cd \"$1\" && find . -type " + type + " -printf '" + format
                + "' | LC_ALL=C sort", "find", top.toString());
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    @Test
    void simpleFileServerTreeReadsBackIdentical() throws Exception {
        HttpServers.Server server = serve(HttpServers.simpleFileServer(root));
        mountAsync(options(server.base()));
        assertSameTree();
    }

    @Test
    void nginxTreeReadsBackIdentical() throws Exception {
        HttpServers.assumeNginx();
        HttpServers.Server server = serve(HttpServers.nginx(root, Files.createDirectory(dir.resolve("nginx"))));
        mountAsync(options(server.base()));
        assertSameTree();
    }

    @Test
    void theBlockingVariantReadsTheSameTree() throws Exception {
        HttpServers.Server server = serve(HttpServers.simpleFileServer(root, h -> new RangeHandler(root)));
        mount = Fuse.mount(BlockingHttpFs.create(options(server.base())), mp, mountOptions());
        assertSameTree();
    }

    @Test
    void aStoppedServerMakesReadsFailWithEioQuickly() throws Exception {
        HttpServers.Server server = serve(HttpServers.simpleFileServer(root));
        mountAsync(options(server.base()));
        Path file = mp.resolve("sub dir/nested/1MiB+3.bin");
        assertEquals("1048579", run("stat", "-c", "%s", file.toString()).output().strip());
        server.close();
        long began = System.nanoTime();
        MountSupport.Result cat = run("cat", file.toString());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertNotEquals(0, cat.exitCode());
        assertTrue(cat.output().contains("Input/output error"), cat.output());
        assertTrue(millis < 3_000 + 3_000, "cat took " + millis + " ms; the request timeout is 3 s");
        MountSupport.Result ls = run("ls", mp.resolve("ünïcödé ✓").toString());
        assertTrue(ls.output().contains("Input/output error"), ls.output());
        assertTrue(mount.isServing(), "errors end requests, not the session");
    }

    @Test
    void aSlowFileDoesNotHoldUpTheOthers() throws Exception {
        // Every GET of one file takes 5 s (its HEAD is quick, so the slow part is the read itself).
        String slowPath = "/sub%20dir/4097";
        HttpServers.Server server = serve(HttpServers.simpleFileServer(root, files -> exchange -> {
            if (exchange.getRequestMethod().equals("GET") && exchange.getRequestURI().getRawPath().equals(slowPath)) {
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            files.handle(exchange);
        }));
        // A TTL longer than the test, so the kernel does not re-validate the slow file's size mid-read.
        mountAsync(options(server.base()).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(20))
                .withTtl(Duration.ofSeconds(60)));
        run("ls", mp.resolve("sub dir").toString()); // listings are not slow
        Process slow = new ProcessBuilder("cat", mp.resolve("sub dir/4097").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Thread.sleep(300);
        assertTrue(slow.isAlive(), "the slow file is still on its way");
        for (String f : List.of("hello world.txt", "ünïcödé ✓/grüße.txt", "sub dir/4095")) {
            long began = System.nanoTime();
            byte[] got = Files.readAllBytes(mp.resolve(f));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
            assertEquals(Files.size(root.resolve(f)), got.length);
            assertTrue(millis < 1_000, f + " took " + millis + " ms while another file was slow");
        }
        assertTrue(slow.isAlive(), "the other reads did not wait for the slow one to finish");
        byte[] slowBytes = slow.getInputStream().readAllBytes();
        assertTrue(slow.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, slow.exitValue());
        assertEquals(new String(Files.readAllBytes(root.resolve("sub dir/4097")), StandardCharsets.ISO_8859_1),
                new String(slowBytes, StandardCharsets.ISO_8859_1));
    }

    @Test
    void ctrlCOnASlowRequestIsAnsweredAtOnceThroughInterrupt() throws Exception {
        // A lookup is a synchronous request: on SIGINT the kernel sends INTERRUPT and then waits, uninterruptibly,
        // for the answer. Only the session cancelling the stage (EINTR) lets the process die before the server
        // answers. (Page-cache reads would not show this: those are background requests the caller does not
        // wait for once it is killed.)
        HttpServers.Server server = serve(HttpServers.simpleFileServer(root, files -> exchange -> {
            if (exchange.getRequestMethod().equals("HEAD") && exchange.getRequestURI().getRawPath().equals("/one")) {
                try {
                    Thread.sleep(8_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            files.handle(exchange);
        }));
        mountAsync(options(server.base()).withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(20)));
        long began = System.nanoTime();
        MountSupport.Result stat = run("timeout", "-s", "INT", "1", "stat", mp.resolve("one").toString());
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertEquals(124, stat.exitCode(), "timeout reports the signal: " + stat.output());
        assertTrue(millis < 4_000, "stat took " + millis + " ms to die; the server would have taken 8 s");
        assertTrue(mount.isServing());
        assertEquals("odd name\n", Files.readString(mp.resolve("a&b + c%20d 'q'.txt")));
    }
}
