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
 */
final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final URI target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger stalledClosed = new AtomicInteger();
    private final AtomicInteger stalledOpened = new AtomicInteger();
    private volatile boolean stall;
    private final Thread acceptor;

    TcpProxy(URI target) throws IOException {
        this.target = target;
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        stall = target == null;
        acceptor = Thread.ofPlatform().daemon().name("tcp-proxy").start(this::accept);
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
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

    /** Stalled connections the client has given up on (closed) so far. */
    int stalledClosed() {
        return stalledClosed.get();
    }

    /** Stalled connections opened so far. */
    int stalledOpened() {
        return stalledOpened.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            sockets.add(client);
            if (stall) {
                stalledOpened.incrementAndGet();
                Thread.ofPlatform().daemon().start(() -> drain(client));
                continue;
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(target.getHost(), target.getPort()), 2000);
                sockets.add(upstream);
                Thread.ofPlatform().daemon().start(() -> pump(client, upstream));
                Thread.ofPlatform().daemon().start(() -> pump(upstream, client));
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

    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[64 << 10];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
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
