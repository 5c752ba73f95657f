package dev.jfuser.examples.httpfs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Web servers for httpfs tests: the JDK's SimpleFileServer in-process, nginx as a child process, and a test tree. */
final class HttpServers {
    private HttpServers() {}

    /** A running server; {@link #close()} stops it. */
    interface Server extends AutoCloseable {
        URI base();

        @Override
        void close();
    }

    /**
     * Fills {@code root} with the tree the mount tests compare: nested directories, an empty file and an empty
     * directory, binary files of awkward sizes around page and block boundaries, names with spaces, '+', '&amp;',
     * '%', quotes and non-ASCII letters. No hidden files: neither server lists them.
     */
    static void writeTree(Path root) throws IOException {
        Random random = new Random(42);
        Files.createDirectories(root.resolve("sub dir/nested/deeper"));
        Files.createDirectories(root.resolve("ünïcödé ✓"));
        Files.createDirectories(root.resolve("empty dir"));
        Files.write(root.resolve("empty"), new byte[0]);
        write(root.resolve("one"), 1, random);
        write(root.resolve("sub dir/4095"), 4095, random);
        write(root.resolve("sub dir/4097"), 4097, random);
        write(root.resolve("sub dir/nested/1MiB+3.bin"), (1 << 20) + 3, random);
        write(root.resolve("sub dir/nested/deeper/5MiB.bin"), 5 << 20, random);
        write(root.resolve("block 131073"), 128 * 1024 + 1, random);
        Files.writeString(root.resolve("hello world.txt"), "hello, world\n");
        Files.writeString(root.resolve("ünïcödé ✓/grüße.txt"), "Grüße aus dem Netz\n");
        Files.writeString(root.resolve("a&b + c%20d 'q'.txt"), "odd name\n");
        write(root.resolve("ünïcödé ✓/数据.bin"), 70_000, random);
    }

    private static void write(Path p, int size, Random random) throws IOException {
        byte[] b = new byte[size];
        random.nextBytes(b);
        Files.write(p, b);
    }

    /** SimpleFileServer on 127.0.0.1 and a free port, serving {@code root}, with {@code wrap} around its handler. */
    static Server simpleFileServer(Path root, java.util.function.UnaryOperator<HttpHandler> wrap) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.createContext("/", wrap.apply(SimpleFileServer.createFileHandler(root.toAbsolutePath())));
        // The default executor runs handlers on the one dispatcher thread: a slow handler would stall them all.
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.start();
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        return new Server() {
            @Override
            public URI base() {
                return base;
            }

            @Override
            public void close() {
                if (closed.compareAndSet(false, true)) {
                    server.stop(0);
                    executor.shutdownNow();
                }
            }
        };
    }

    /** SimpleFileServer serving {@code root} as it is. */
    static Server simpleFileServer(Path root) throws IOException {
        return simpleFileServer(root, h -> h);
    }

    /** Skips the test unless nginx is installed. */
    static void assumeNginx() {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/nginx")),
                "nginx is not installed: apt-get install nginx-light");
    }

    /**
     * nginx with {@code autoindex on} serving {@code root} on 127.0.0.1, in the foreground as our child, with every
     * file it writes (pid, logs, temp dirs) under {@code work}.
     */
    static Server nginx(Path root, Path work) throws IOException, InterruptedException {
        assumeNginx();
        int port = freePort();
        Path conf = work.resolve("nginx.conf");
        String w = work.toAbsolutePath().toString();
        Files.writeString(conf, """
                daemon off;
                master_process off;
                worker_processes 1;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log;
                events { worker_connections 512; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/body;
                    proxy_temp_path %1$s/proxy;
                    fastcgi_temp_path %1$s/fastcgi;
                    uwsgi_temp_path %1$s/uwsgi;
                    scgi_temp_path %1$s/scgi;
                    types { application/octet-stream bin; text/plain txt; }
                    server {
                        listen 127.0.0.1:%2$d;
                        root %3$s;
                        location / { autoindex on; charset utf-8; }
                    }
                }
                """.formatted(w, port, root.toAbsolutePath()), StandardCharsets.UTF_8);
        Process p = new ProcessBuilder("/usr/sbin/nginx", "-p", w, "-c", conf.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("nginx.out").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!listening(port)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException("nginx did not start on port " + port + ": "
                        + Files.readString(work.resolve("nginx.out")) + read(work.resolve("error.log")));
            }
            Thread.sleep(20);
        }
        URI base = URI.create("http://127.0.0.1:" + port + "/");
        return new Server() {
            @Override
            public URI base() {
                return base;
            }

            @Override
            public void close() {
                p.destroy();
                try {
                    if (!p.waitFor(5, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (Socket _ = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
