package dev.jfuser.examples.httpfs;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.SimpleFileServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file handler that, unlike SimpleFileServer's, answers {@code Range: bytes=a-b} with 206 (as nginx does), can
 * hide {@code Content-Length} from HEAD, add latency, and counts requests. Directory listings are SimpleFileServer's.
 */
final class RangeHandler implements HttpHandler {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    private final Path root;
    private final HttpHandler listings;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong rangeRequests = new AtomicLong();
    volatile long latencyMillis;
    volatile boolean ranges = true;
    volatile boolean headLength = true;

    RangeHandler(Path root) {
        this.root = root.toAbsolutePath();
        this.listings = SimpleFileServer.createFileHandler(this.root);
    }

    long requests() {
        return requests.get();
    }

    long rangeRequests() {
        return rangeRequests.get();
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        if (latencyMillis > 0) {
            try {
                Thread.sleep(latencyMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Path file = root.resolve(ex.getRequestURI().getPath().substring(1)).normalize();
        if (!file.startsWith(root) || !Files.isRegularFile(file)) {
            listings.handle(ex);
            return;
        }
        try (ex) {
            byte[] all = Files.readAllBytes(file);
            ex.getResponseHeaders().set("Last-Modified", DateTimeFormatter.RFC_1123_DATE_TIME
                    .format(Files.getLastModifiedTime(file).toInstant().atOffset(ZoneOffset.UTC)));
            boolean head = ex.getRequestMethod().equals("HEAD");
            String range = ex.getRequestHeaders().getFirst("Range");
            Matcher m = range == null ? null : RANGE.matcher(range);
            if (ranges && m != null && m.matches()) {
                rangeRequests.incrementAndGet();
                long from = Long.parseLong(m.group(1));
                long to = m.group(2).isEmpty() ? all.length - 1 : Math.min(Long.parseLong(m.group(2)), all.length - 1);
                if (from >= all.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + all.length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + to + "/" + all.length);
                ex.sendResponseHeaders(206, to - from + 1);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(all, (int) from, (int) (to - from + 1));
                }
                return;
            }
            if (head) {
                if (headLength) {
                    ex.getResponseHeaders().set("Content-Length", Long.toString(all.length));
                }
                ex.sendResponseHeaders(200, -1);
                return;
            }
            // Without a known length (as after a HEAD that hid it) stream it chunked.
            ex.sendResponseHeaders(200, headLength ? (all.length == 0 ? -1 : all.length) : 0);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(all);
            }
        }
    }
}
