package dev.jfuser.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy in front of the S3 server that can go silent: while {@link #stall} is on, new connections
 * are accepted and never answered (a dead or partitioned endpoint), and each such connection closed by the
 * client is counted, which shows a request being abandoned or cancelled. Without a target it is a black hole.
 * It can also stop like a server process ({@link #down}: every connection closed, new ones refused, until
 * {@link #up} listens on the same port again) and answer slowly ({@link #delay}).
 */
final class TcpProxy implements AutoCloseable {
    private volatile ServerSocket server;
    private final int port;
    private volatile long delayNanos;
    private final URI target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger stalledClosed = new AtomicInteger();
    private final AtomicInteger stalledOpened = new AtomicInteger();
    private volatile boolean stall;
    private final AtomicInteger failNext = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();

    TcpProxy(URI target) throws IOException {
        this.target = target;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        port = server.getLocalPort();
        stall = target == null;
        ServerSocket s = server;
        Thread.ofPlatform().daemon().name("tcp-proxy").start(() -> accept(s));
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Stops like a crashed server: open connections are closed (mid-transfer too), new ones refused. */
    void down() throws IOException {
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        sockets.clear();
    }

    /** Listens again on the same port, after {@link #down}. */
    void up() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server = s;
        Thread.ofPlatform().daemon().name("tcp-proxy").start(() -> accept(s));
    }

    /** Holds back each response (its first bytes after a request's bytes went up) for {@code d}. */
    void delay(java.time.Duration d) {
        delayNanos = d.toNanos();
    }

    void stall(boolean on) {
        stall = on;
        if (on) {
            // Connections already pooled by the client go silent too.
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /**
     * Answers the next {@code n} new connections' first request with {@code 503 Slow Down} (S3's throttling
     * answer) and closes them; connections already open are closed first, so the client has to reconnect.
     */
    void throttleNext(int n) {
        failNext.set(n);
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }

    /** Requests answered 503 so far. */
    int throttled() {
        return failed.get();
    }

    /** Stalled connections the client has given up on (closed) so far. */
    int stalledClosed() {
        return stalledClosed.get();
    }

    /** Stalled connections opened so far. */
    int stalledOpened() {
        return stalledOpened.get();
    }

    private void accept(ServerSocket server) {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(client);
            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                Thread.ofPlatform().daemon().start(() -> slowDown(client));
                continue;
            }
            if (stall) {
                stalledOpened.incrementAndGet();
                Thread.ofPlatform().daemon().start(() -> drain(client));
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(target.getHost(), target.getPort()), 2000);
                sockets.add(upstream);
                java.util.concurrent.atomic.AtomicBoolean asked = new java.util.concurrent.atomic.AtomicBoolean();
                Thread.ofPlatform().daemon().start(() -> pump(client, upstream, asked, false));
                Thread.ofPlatform().daemon().start(() -> pump(upstream, client, asked, true));
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    /** Reads and discards what the client sends, answers nothing; counts the client's close. */
    private void drain(Socket client) {
        byte[] buf = new byte[8192];
        try (InputStream in = client.getInputStream()) {
            while (in.read(buf) >= 0) {
                // silence
            }
            stalledClosed.incrementAndGet();
        } catch (IOException e) {
            stalledClosed.incrementAndGet();
        } finally {
            closeQuietly(client);
        }
    }

    /** Reads one request's head and answers it 503 SlowDown, closing the connection. */
    private void slowDown(Socket client) {
        try (client) {
            InputStream in = client.getInputStream();
            int matched = 0;
            String end = "\r\n\r\n";
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return;
                }
                matched = b == end.charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
            }
            String body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code>"
                    + "<Message>Please reduce your request rate.</Message></Error>";
            String response = "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: "
                    + body.length() + "\r\nConnection: close\r\n\r\n" + body;
            OutputStream out = client.getOutputStream();
            out.write(response.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            failed.incrementAndGet();
        } catch (IOException ignored) {
            // the client went away
        }
    }

    private void pump(Socket from, Socket to, java.util.concurrent.atomic.AtomicBoolean asked, boolean answers) {
        byte[] buf = new byte[64 << 10];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (!answers) {
                    asked.set(true);
                } else if (asked.getAndSet(false) && delayNanos > 0) {
                    try {
                        Thread.sleep(java.time.Duration.ofNanos(delayNanos));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                out.write(buf, 0, n);
            }
        } catch (IOException ignored) {
            // one side closed
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }
}
