package dev.jfuser.examples.httpfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jfuser.Filesystem;
import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.examples.MountSupport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A file changing on the server behind an httpfs mount whose kernel caches pages across opens (keep-cache): once
 * the TTL has passed, the next stat, open or read through an open file sees the new bytes, because revalidation
 * finds the new ETag and httpfs invalidates the kernel's cache. The change keeps the size and Last-Modified, so the
 * kernel's own check (AUTO_INVAL_DATA) cannot see it: with the invalidation turned off the old bytes are served.
 */
@Tag("mount")
class HttpFsChangeMountTest {
    private static final Duration TTL = Duration.ofMillis(500);
    private static final String LAST_MODIFIED = "Tue, 01 Dec 2026 10:00:00 GMT";

    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;
    private HttpServer server;
    private ExecutorService executor;
    /** The served files: name to content; each change gets a new ETag. */
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, Long> versions = new ConcurrentHashMap<>();
    private final AtomicLong gets = new AtomicLong();

    @BeforeEach
    void serve() throws IOException {
        MountSupport.assumeRootAndFuse();
        mp = Files.createDirectory(dir.resolve("mnt"));
        change("data", "version 1 of the file\n");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.start();
    }

    @AfterEach
    void unmount() throws Exception {
        try {
            if (mount != null) {
                mount.close();
            }
        } finally {
            boolean left = mp != null && MountSupport.forceUnmount(mp);
            if (server != null) {
                server.stop(0);
                executor.shutdownNow();
            }
            assertFalse(left, "the test left " + mp + " mounted");
        }
    }

    /** The file's new content, with a new ETag but the same Last-Modified (and here the same size). */
    private void change(String name, String content) {
        files.put(name, content.getBytes(StandardCharsets.UTF_8));
        versions.merge(name, 1L, Long::sum);
    }

    /** A listing of the files at "/", and each file with ETag, Last-Modified and ranges. */
    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/")) {
                StringBuilder html = new StringBuilder("<ul>");
                for (String name : files.keySet()) {
                    html.append("<li><a href=\"").append(name).append("\">").append(name).append("</a></li>");
                }
                byte[] body = html.append("</ul>").toString().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/html");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                return;
            }
            String name = path.substring(1);
            byte[] all = files.get(name);
            if (all == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.getResponseHeaders().set("ETag", "\"v" + versions.get(name) + "\"");
            ex.getResponseHeaders().set("Last-Modified", LAST_MODIFIED);
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.getResponseHeaders().set("Content-Length", Long.toString(all.length));
                ex.sendResponseHeaders(200, -1);
                return;
            }
            gets.incrementAndGet();
            String range = ex.getRequestHeaders().getFirst("Range");
            int from = 0;
            int to = all.length - 1;
            if (range != null && range.startsWith("bytes=")) {
                String[] ends = range.substring(6).split("-", 2);
                from = Integer.parseInt(ends[0]);
                to = ends[1].isEmpty() ? to : Math.min(to, Integer.parseInt(ends[1]));
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + all.length);
                ex.sendResponseHeaders(206, to - from + 1);
            } else {
                ex.sendResponseHeaders(200, all.length);
            }
            try (OutputStream out = ex.getResponseBody()) {
                out.write(all, from, to - from + 1);
            }
        }
    }

    private HttpFsOptions options() {
        return HttpFsOptions.of(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)).withTtl(TTL);
    }

    private HttpFs mount(boolean blocking, boolean notify) throws IOException {
        MountOptions o = MountOptions.builder().fsname("httpfs-change-test").subtype("httpfs").readOnly().build();
        HttpFs logic;
        Filesystem fs = null;
        if (blocking) {
            BlockingHttpFs b = BlockingHttpFs.create(options());
            logic = b.logic();
            fs = b;
        } else {
            logic = HttpFs.create(options());
        }
        logic.notifyChanges(notify);
        mount = fs != null ? Fuse.mount(fs, mp, o) : Fuse.mount(logic, mp, o);
        return logic;
    }

    private String cat() throws Exception {
        MountSupport.Result r = MountSupport.run("timeout", "20", "cat", mp.resolve("data").toString());
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    private static void pastTheTtl() throws InterruptedException {
        Thread.sleep(TTL.toMillis() * 2 + 100);
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aChangeWithTheSameSizeAndDateIsReadOnceTheTtlHasPassed(boolean blocking) throws Exception {
        HttpFs fs = mount(blocking, true);
        assertEquals("version 1 of the file\n", cat());
        assertEquals("version 1 of the file\n", cat());
        assertEquals(1, gets.get(), "the second cat is served by the kernel's page cache (keep-cache)");
        change("data", "version 2 of the file\n");
        pastTheTtl();
        assertEquals("version 2 of the file\n", cat());
        assertEquals(1, fs.invalidationCount());
        assertEquals(2, gets.get());
        assertEquals("version 2 of the file\n", cat(), "and cached again");
        assertEquals(2, gets.get());
    }

    @Test
    void withoutTheInvalidationTheKernelServesTheOldBytes() throws Exception {
        HttpFs fs = mount(false, false);
        assertEquals("version 1 of the file\n", cat());
        change("data", "version 2 of the file\n");
        pastTheTtl();
        assertEquals("version 1 of the file\n", cat(), "the kernel's cached pages: same size and mtime, kept");
        pastTheTtl();
        assertEquals("version 1 of the file\n", cat());
        assertEquals(0, fs.invalidationCount());
        assertEquals(1, gets.get(), "the kernel never asked again");
    }

    @Test
    void aReaderHoldingTheFileOpenSeesTheNewBytesToo() throws Exception {
        mount(false, true);
        MountSupport.assumeTool("python3", "python3");
        String script = "import os, sys\n"
                + "fd = os.open('" + mp.resolve("data") + "', os.O_RDONLY)\n"
                + "for line in sys.stdin:\n"
                + "    print(os.pread(fd, 100, 0).decode().strip(), flush=True)\n";
        Process reader = new ProcessBuilder("timeout", "30", "python3", "-c", script).redirectErrorStream(true)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(reader.getInputStream(),
                    StandardCharsets.UTF_8));
            OutputStream in = reader.getOutputStream();
            in.write('\n');
            in.flush();
            assertEquals("version 1 of the file", out.readLine());
            change("data", "version 2 of the file\n");
            pastTheTtl();
            in.write('\n');
            in.flush();
            assertEquals("version 2 of the file", out.readLine(), "the same open file, read again after the TTL");
            in.close();
            assertTrue(reader.waitFor(30, TimeUnit.SECONDS));
        } finally {
            reader.destroy();
            if (!reader.waitFor(10, TimeUnit.SECONDS)) {
                reader.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aFileThatGrowsIsReadWhole() throws Exception {
        HttpFs fs = mount(false, true);
        assertEquals("version 1 of the file\n", cat());
        change("data", "version 2 of the file, a longer one\n");
        pastTheTtl();
        assertEquals("version 2 of the file, a longer one\n", cat());
        assertEquals(1, fs.invalidationCount());
    }
}
