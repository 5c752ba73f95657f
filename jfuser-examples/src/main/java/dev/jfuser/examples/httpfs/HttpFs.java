package dev.jfuser.examples.httpfs;

import dev.jfuser.Access;
import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Notifier;
import dev.jfuser.OpenFlags;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.examples.httpfs.IndexPage.Link;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A read-only filesystem mirroring a directory tree served over HTTP: why {@link AsyncFilesystem} exists.
 *
 * <p>Every operation is one or a few HTTP round trips, started with {@code HttpClient.sendAsync} on the session's
 * reader thread and answered by the HTTP client's thread when the response arrives. No thread waits for the
 * network, so a thousand reads in flight cost a thousand small futures, not a thousand threads, and one slow file
 * holds up nothing but its own readers.
 *
 * <p>How the tree is read (works with the JDK's {@code SimpleFileServer}/{@code jwebserver} and nginx
 * {@code autoindex on}; see {@link IndexPage}):
 * <ul>
 *   <li>a directory is its URL ending in '/', whose HTML listing links to the entries; links ending in '/' are
 *       subdirectories;</li>
 *   <li>a file's size and mtime come from a {@code HEAD} ({@code Content-Length}, {@code Last-Modified}); a file
 *       without a length is opened {@link OpenReply#DIRECT_IO} and read until the server sends no more;</li>
 *   <li>reads fetch whole blocks ({@link HttpFsOptions#blockSize()}) with {@code Range: bytes=a-b} requests; a
 *       server that ignores ranges and answers 200 with the whole file is handled by slicing, and the rest of the
 *       file goes into the cache so the next blocks cost nothing;</li>
 *   <li>blocks live in a {@link BlockCache} with a byte budget; names, attributes and listings are trusted for
 *       {@link HttpFsOptions#ttl()}, and so is the kernel told.</li>
 *   <li>the kernel keeps a file's pages across opens ({@link OpenReply#KEEP_CACHE}): a file read twice is fetched
 *       once. A change on the server is found by revalidation: once the TTL has passed, the next
 *       {@code LOOKUP}, {@code GETATTR} or {@code OPEN} of the file (a {@code stat}, an {@code open}, or a read
 *       through a file held open, for which the kernel first asks the attributes again) sends a {@code HEAD}; if
 *       its {@code ETag}, {@code Content-Length} or {@code Last-Modified} differ from the last one, httpfs calls
 *       {@link Notifier#invalInode} before it answers, so the kernel drops the file's cached pages and
 *       attributes, and the blocks of the old version are never served again (blocks are keyed by version). A
 *       change is so seen at most one TTL late, also when only the ETag changed (the same size and second), which
 *       the kernel's own size and mtime check would miss. {@code READ} never revalidates: the kernel holds the
 *       page being read locked until the answer, and an invalidation waits for that lock.</li>
 * </ul>
 *
 * <p>Failures: 404 is ENOENT, 401/403 EACCES, any other status, a refused connection or a timeout is EIO (logged
 * once when the server goes away and once when it is back). Timeouts bound every request, so a dead server is an
 * error within {@link HttpFsOptions#requestTimeout()}, never a hung {@code cat}.
 *
 * <p>Node ids: one per path (and kind), kept for the life of the mount. A read-only mirror never reuses a path for
 * a different file, so ids need no recycling and {@link #forget} has nothing to free; the table grows to the number
 * of distinct paths looked at, the size of the tree itself at worst.
 */
public final class HttpFs implements AsyncFilesystem {
    private static final System.Logger LOG = System.getLogger("dev.jfuser.examples.httpfs");
    private static final long ROOT = 1;

    /**
     * Sends one request and completes with its response (body as bytes), or fails with the transport's exception.
     * {@link HttpFs#create} uses {@code HttpClient.sendAsync}; {@link BlockingHttpFs} a blocking {@code send}.
     */
    @FunctionalInterface
    public interface Transport {
        CompletableFuture<HttpResponse<byte[]>> send(HttpRequest request);
    }

    /** What a HEAD said about a file; {@code etag} is null when the server sent none. */
    record Attrs(long size, boolean sizeKnown, Instant mtime, String etag) {
        /** Whether this is another version of the file than {@code before}. */
        boolean differsFrom(Attrs before) {
            return size != before.size || sizeKnown != before.sizeKnown || !mtime.equals(before.mtime)
                    || !Objects.equals(etag, before.etag);
        }
    }

    /** A directory's entries in page order, and by name. */
    record Listing(List<Link> links, Map<String, Link> byName) {
        static Listing of(List<Link> links) {
            Map<String, Link> byName = new LinkedHashMap<>();
            for (Link l : links) {
                byName.put(l.name(), l);
            }
            return new Listing(List.copyOf(links), byName);
        }
    }

    /**
     * Identifies a block of one version of one file.
     *
     * @param node the file's node id
     * @param size the version's size
     * @param mtime the version's {@code Last-Modified}
     * @param etag the version's {@code ETag}, or null if the server sends none
     * @param index the block's number, from 0
     */
    public record BlockKey(long node, long size, Instant mtime, String etag, long index) {
    }

    /** One file or directory of the tree. */
    static final class Node {
        final long id;
        final String path;
        final boolean dir;
        final URI uri;
        final long parent;
        final Cached<Attrs> attrs = new Cached<>();
        final Cached<Listing> listing = new Cached<>();
        /** The version the last HEAD found, null before the first. */
        volatile Attrs seen;

        Node(long id, String path, boolean dir, URI uri, long parent) {
            this.id = id;
            this.path = path;
            this.dir = dir;
            this.uri = uri;
            this.parent = parent;
        }
    }

    /**
     * A value fetched at most once per TTL: concurrent askers share the fetch under way, a failure is not kept.
     * Callers get the shared future and must hand the session a dependent stage, never this one: the session
     * cancels what it is given on INTERRUPT.
     */
    static final class Cached<T> {
        private CompletableFuture<T> current;
        private long loadedAt;

        CompletableFuture<T> get(Duration ttl, Supplier<CompletableFuture<T>> loader) {
            CompletableFuture<T> mine;
            synchronized (this) {
                if (current != null && (!current.isDone() || !current.isCompletedExceptionally()
                        && System.nanoTime() - loadedAt < ttl.toNanos())) {
                    return current;
                }
                mine = new CompletableFuture<>();
                current = mine;
            }
            CompletableFuture<T> fetch;
            try {
                fetch = loader.get();
            } catch (RuntimeException e) {
                fetch = CompletableFuture.failedFuture(e);
            }
            fetch.whenComplete((value, failure) -> {
                if (failure == null) {
                    synchronized (this) {
                        loadedAt = System.nanoTime();
                    }
                    mine.complete(value);
                } else {
                    mine.completeExceptionally(failure);
                }
            });
            return mine;
        }
    }

    private final HttpFsOptions options;
    private final Transport transport;
    private final HttpClient owned;
    private final boolean callersBlock;
    private final Instant mounted = Instant.now();
    private final BlockCache<BlockKey> cache;
    private final ConcurrentHashMap<Long, Node> byId = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Node> byPath = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(ROOT + 1);
    private final ConcurrentHashMap<Long, Listing> openDirs = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong(1);
    private final AtomicLong requests = new AtomicLong();
    private final AtomicBoolean reachable = new AtomicBoolean(true);
    /** Whole-file GETs under way, for servers that ignore ranges. */
    private final ConcurrentHashMap<Long, CompletableFuture<byte[]>> wholeFiles = new ConcurrentHashMap<>();
    /** Set once the server answered a range request with the whole file (SimpleFileServer does). */
    private volatile boolean rangesIgnored;
    private volatile Notifier notifier;
    private volatile boolean notifyChanges = true;
    private final AtomicLong invalidations = new AtomicLong();

    /**
     * An httpfs over {@code transport}.
     *
     * @param owned the HTTP client the transport uses, shut down by {@link #destroy()}; or null
     */
    public HttpFs(HttpFsOptions options, Transport transport, HttpClient owned) {
        this(options, transport, owned, false);
    }

    /**
     * An httpfs whose callers may block ({@link BlockingHttpFs}): a caller that finds a fetch already under way
     * (a listing, a HEAD, a block another reader asked for first) waits for it on its own thread and goes on from
     * there. Composing on the shared future instead, as the async variant does, would run every waiter's next
     * step on the thread that completes it: fine when a step only starts a request, but with a blocking transport
     * it would send the waiters' requests one after the other.
     */
    HttpFs(HttpFsOptions options, Transport transport, HttpClient owned, boolean callersBlock) {
        this.options = options;
        this.transport = transport;
        this.owned = owned;
        this.callersBlock = callersBlock;
        this.cache = new BlockCache<>(options.cacheBytes());
        Node root = new Node(ROOT, "", true, options.base(), ROOT);
        byId.put(ROOT, root);
        byPath.put("/", root);
    }

    /** An httpfs that sends its requests with {@code HttpClient.sendAsync}. */
    public static HttpFs create(HttpFsOptions options) {
        HttpClient client = newClient(options);
        return new HttpFs(options, request -> client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray()),
                client);
    }

    /**
     * The client both variants use: HTTP/1.1 (plain-HTTP servers like these speak nothing else, and the JDK
     * would otherwise send an {@code Upgrade: h2c} with every request), the connect timeout, redirects followed.
     */
    public static HttpClient newClient(HttpFsOptions options) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL)
                .build();
    }

    /** The options this filesystem was made with. */
    public HttpFsOptions options() {
        return options;
    }

    /** HTTP requests sent so far (HEADs, listings and range GETs). */
    public long requestCount() {
        return requests.get();
    }

    /** How many times a revalidation found a file changed on the server and told the kernel to drop its cache. */
    public long invalidationCount() {
        return invalidations.get();
    }

    /**
     * Turns the invalidation of changed files off (or on again): for tests that show what the kernel serves
     * without it, the old bytes from its page cache.
     */
    void notifyChanges(boolean on) {
        notifyChanges = on;
    }

    /** Keeps the session's notifier, which tells the kernel about files that changed on the server. */
    @Override
    public void init(KernelConfig config) {
        notifier = config.notifier();
    }

    /** The block cache (for tests and statistics). */
    public BlockCache<BlockKey> cache() {
        return cache;
    }

    /**
     * Unmounted: stops the HTTP client. {@code shutdownNow}, not {@code close}: close would wait for requests still
     * under way (a slow server's, or one whose caller was interrupted) and hold up the end of the session.
     */
    @Override
    public void destroy() {
        if (owned != null) {
            owned.shutdownNow();
        }
    }

    @Override
    public CompletionStage<Entry> lookup(Request req, long parent, String name) {
        Node p = byId.get(parent);
        if (p == null) {
            return failed(Errno.ENOENT);
        }
        if (!p.dir) {
            return failed(Errno.ENOTDIR);
        }
        return listing(p).thenCompose(listing -> {
            Link link = listing.byName().get(name);
            if (link == null) {
                // Cached by the kernel for the TTL: `ls` probing for absent names costs one round trip, not many.
                return CompletableFuture.completedFuture(Entry.negative(options.ttl()));
            }
            Node n = child(p, link);
            return attrs(n).thenApply(a -> new Entry(n.id, 0, attr(n, a), options.ttl(), options.ttl()));
        });
    }

    @Override
    public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        Node n = byId.get(nodeId);
        if (n == null) {
            return failed(Errno.ENOENT);
        }
        return attrs(n).thenApply(a -> new AttrReply(attr(n, a), options.ttl()));
    }

    @Override
    public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        Node n = byId.get(nodeId);
        if (n == null) {
            return failed(Errno.ENOENT);
        }
        if (n.dir) {
            return failed(Errno.EISDIR);
        }
        if (OpenFlags.accessMode(flags) != OpenFlags.O_RDONLY) {
            return failed(Errno.EROFS);
        }
        // Without a known length the kernel's idea of the size (0) must not cut reads short. With one, the pages
        // stay cached across opens: a change found by revalidation drops them (see the class comment).
        return attrs(n).thenApply(a -> OpenReply.of(0, a.sizeKnown() ? OpenReply.KEEP_CACHE : OpenReply.DIRECT_IO));
    }

    @Override
    public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
            long lockOwner) {
        Node n = byId.get(nodeId);
        if (n == null) {
            return failed(Errno.ENOENT);
        }
        if (n.dir) {
            return failed(Errno.EISDIR);
        }
        // The version known now, never a new HEAD: a READ must not revalidate (the class comment says why).
        Attrs known = n.seen;
        CompletableFuture<Attrs> version = known != null ? CompletableFuture.completedFuture(known) : attrs(n);
        return version.thenCompose(a -> a.sizeKnown() ? readBlocks(n, a, offset, size) : readDirect(n, offset,
                size));
    }

    /** Reads through the block cache: one block is answered as a slice of it, several are joined. */
    private CompletableFuture<ReadData> readBlocks(Node n, Attrs a, long offset, int size) {
        long end = Math.min(offset + size, a.size());
        if (offset >= end) {
            return CompletableFuture.completedFuture(ReadData.empty());
        }
        int bs = options.blockSize();
        long first = offset / bs;
        long last = (end - 1) / bs;
        if (first == last) {
            int from = (int) (offset - first * bs);
            return block(n, a, first).thenApply(b -> slice(b, from, (int) (end - offset)));
        }
        List<CompletableFuture<byte[]>> parts = new ArrayList<>();
        for (long i = first; i <= last; i++) {
            parts.add(block(n, a, i));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            byte[] out = new byte[(int) (end - offset)];
            int filled = 0;
            for (int k = 0; k < parts.size(); k++) {
                byte[] b = parts.get(k).join();
                long blockStart = (first + k) * bs;
                int from = (int) Math.max(0, offset - blockStart);
                int n2 = Math.min(b.length - from, out.length - filled);
                if (n2 <= 0) {
                    break; // the file was shorter than its HEAD said: end of file here
                }
                System.arraycopy(b, from, out, filled, n2);
                filled += n2;
                if (b.length < bs) {
                    break;
                }
            }
            return ReadData.of(out, 0, filled);
        });
    }

    private static ReadData slice(byte[] block, int from, int length) {
        if (from >= block.length) {
            return ReadData.empty();
        }
        // A view of the cached block: the array is never modified, so it can go to the kernel as it is.
        return ReadData.of(block, from, Math.min(length, block.length - from));
    }

    private CompletableFuture<byte[]> block(Node n, Attrs a, long index) {
        return settle(cache.get(new BlockKey(n.id, a.size(), a.mtime(), a.etag(), index),
                () -> fetchBlock(n, a, index)));
    }

    private CompletableFuture<byte[]> fetchBlock(Node n, Attrs a, long index) {
        int bs = options.blockSize();
        long start = index * bs;
        long last = Math.min(start + bs, a.size()) - 1;
        if (rangesIgnored && a.size() <= options.cacheBytes() / 2) {
            // This server sends whole files anyway: fetch each file once, however many blocks are missing.
            return wholeFile(n, a).thenApply(all -> copyOfRange(all, start, bs));
        }
        HttpRequest get = request(n.uri).header("Range", "bytes=" + start + "-" + last).build();
        return send(get).thenApply(r -> switch (r.statusCode()) {
            case 206 -> partial(r, start, (int) (last - start + 1));
            case 200 -> {
                rangesIgnored = true;
                yield copyOfRange(keepBlocks(n, a, r.body(), index), start, bs);
            }
            case 416 -> new byte[0]; // the file shrank below this block
            default -> throw statusError(r);
        });
    }

    /** One GET of a whole file shared by every block fetch that wants it meanwhile. */
    private CompletableFuture<byte[]> wholeFile(Node n, Attrs a) {
        CompletableFuture<byte[]> mine = new CompletableFuture<>();
        CompletableFuture<byte[]> running = wholeFiles.putIfAbsent(n.id, mine);
        if (running != null) {
            return settle(running);
        }
        send(request(n.uri).build()).thenApply(r -> {
            if (r.statusCode() != 200 && r.statusCode() != 206) {
                throw statusError(r);
            }
            return keepBlocks(n, a, r.body(), -1);
        }).whenComplete((all, failure) -> {
            wholeFiles.remove(n.id, mine);
            if (failure != null) {
                mine.completeExceptionally(failure);
            } else {
                mine.complete(all);
            }
        });
        return mine;
    }

    /** Offers the blocks of a whole file the server sent to the cache (all but {@code except}); returns it. */
    private byte[] keepBlocks(Node n, Attrs a, byte[] all, long except) {
        int bs = options.blockSize();
        if (all.length == a.size() && all.length <= options.cacheBytes() / 2) {
            for (long i = 0; i * bs < all.length; i++) {
                if (i != except) {
                    cache.offer(new BlockKey(n.id, a.size(), a.mtime(), a.etag(), i), copyOfRange(all, i * bs, bs));
                }
            }
        }
        return all;
    }

    /** Reads a file of unknown length: a range request per read, nothing cached. */
    private CompletableFuture<ReadData> readDirect(Node n, long offset, int size) {
        HttpRequest get = request(n.uri).header("Range", "bytes=" + offset + "-" + (offset + size - 1)).build();
        return send(get).thenApply(r -> switch (r.statusCode()) {
            case 206 -> ReadData.of(partial(r, offset, size));
            case 200 -> ReadData.of(copyOfRange(r.body(), offset, size));
            case 416 -> ReadData.empty();
            default -> throw statusError(r);
        });
    }

    /**
     * The bytes of a 206 from {@code start}: servers normally send exactly the range asked, but one may start
     * earlier (aligning to its own blocks), which {@code Content-Range} tells.
     */
    private static byte[] partial(HttpResponse<byte[]> r, long start, int length) {
        byte[] body = r.body();
        long from = r.headers().firstValue("content-range").map(HttpFs::rangeStart).filter(v -> v >= 0)
                .orElse(start);
        if (from > start) {
            throw new CompletionException(new FuseException(Errno.EIO,
                    "asked for bytes from " + start + ", server sent from " + from + " (" + r.uri() + ")"));
        }
        return from == start && body.length <= length ? body : copyOfRange(body, start - from, length);
    }

    private static long rangeStart(String contentRange) {
        // "bytes 100-199/1000"
        try {
            String v = contentRange.strip();
            int sp = v.indexOf(' ');
            int dash = v.indexOf('-', sp + 1);
            return Long.parseLong(v.substring(sp + 1, dash).strip());
        } catch (RuntimeException malformed) {
            return -1;
        }
    }

    private static byte[] copyOfRange(byte[] b, long from, int length) {
        if (from >= b.length) {
            return new byte[0];
        }
        int f = (int) from;
        return Arrays.copyOfRange(b, f, f + Math.min(length, b.length - f));
    }

    @Override
    public CompletionStage<OpenReply> opendir(Request req, long nodeId, int flags) {
        Node n = byId.get(nodeId);
        if (n == null) {
            return failed(Errno.ENOENT);
        }
        if (!n.dir) {
            return failed(Errno.ENOTDIR);
        }
        // The listing is pinned to the handle: offsets stay meaningful while `ls` reads it in several chunks.
        return listing(n).thenApply(listing -> {
            long fh = nextFh.getAndIncrement();
            openDirs.put(fh, listing);
            return OpenReply.of(fh);
        });
    }

    @Override
    public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        Node n = byId.get(nodeId);
        Listing entries = openDirs.get(fh);
        if (n == null || entries == null) {
            return failed(Errno.EBADF);
        }
        // Offsets: 1 after ".", 2 after "..", 3 + i after the i-th link.
        List<Link> links = entries.links();
        for (long i = offset; i < links.size() + 2; i++) {
            boolean fitted;
            if (i == 0) {
                fitted = listing.add(".", n.id, FileType.DIRECTORY, 1);
            } else if (i == 1) {
                fitted = listing.add("..", n.parent, FileType.DIRECTORY, 2);
            } else {
                Link l = links.get((int) (i - 2));
                Node c = child(n, l);
                fitted = listing.add(l.name(), c.id, l.directory() ? FileType.DIRECTORY : FileType.REGULAR_FILE,
                        i + 1);
            }
            if (!fitted) {
                break;
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<Void> releasedir(Request req, long nodeId, long fh, int flags) {
        openDirs.remove(fh);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletionStage<FsStats> statfs(Request req, long nodeId) {
        return CompletableFuture.completedFuture(new FsStats(0, 0, 0, byId.size(), 0, options.blockSize(), 255,
                options.blockSize()));
    }

    @Override
    public CompletionStage<Void> access(Request req, long nodeId, int mask) {
        return (mask & Access.W_OK) != 0 ? failed(Errno.EROFS) : CompletableFuture.completedFuture(null);
    }

    // ---- the tree ----

    private Node child(Node parent, Link link) {
        String path = parent.path.isEmpty() ? link.name() : parent.path + "/" + link.name();
        // The kind is part of the key: a name that turns from file into directory is a new node.
        String key = link.directory() ? path + "/" : path;
        return byPath.computeIfAbsent(key, k -> {
            String encoded = parent.uri + IndexPage.encodeSegment(link.name()) + (link.directory() ? "/" : "");
            Node n = new Node(nextId.getAndIncrement(), path, link.directory(), URI.create(encoded), parent.id);
            byId.put(n.id, n);
            return n;
        });
    }

    private CompletableFuture<Listing> listing(Node dir) {
        return settle(dir.listing.get(options.ttl(), () -> send(request(dir.uri).build()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw statusError(r);
            }
            return Listing.of(IndexPage.parse(new String(r.body(), StandardCharsets.UTF_8)));
        })));
    }

    private CompletableFuture<Attrs> attrs(Node n) {
        if (n.dir) {
            return CompletableFuture.completedFuture(new Attrs(0, true, mounted, null));
        }
        return settle(n.attrs.get(options.ttl(), () -> send(request(n.uri).HEAD().build()).thenApply(r -> {
            if (r.statusCode() != 200) {
                throw statusError(r);
            }
            OptionalLong length = r.headers().firstValueAsLong("content-length");
            Instant mtime = r.headers().firstValue("last-modified").flatMap(HttpFs::httpDate).orElse(mounted);
            Attrs a = new Attrs(length.orElse(0), length.isPresent(), mtime, r.headers().firstValue("etag")
                    .orElse(null));
            Attrs before = n.seen;
            n.seen = a;
            if (before != null && a.differsFrom(before)) {
                changed(n);
            }
            return a;
        })));
    }

    /**
     * {@code n} changed on the server: the kernel drops its pages and attributes before the request that found
     * the change is answered. ENOENT means the kernel holds no inode for it, so nothing is cached.
     */
    private void changed(Node n) {
        Notifier k = notifier;
        if (k == null || !notifyChanges) {
            return;
        }
        try {
            k.invalInode(n.id, 0, 0);
            invalidations.incrementAndGet();
        } catch (FuseException e) {
            if (e.errno() != Errno.ENOENT) {
                LOG.log(System.Logger.Level.WARNING, "httpfs: could not drop the kernel's cache of " + n.uri + ": "
                        + e.getMessage());
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "httpfs: could not drop the kernel's cache of " + n.uri + ": "
                    + e.getMessage());
        }
    }

    /** A shared fetch as the caller should compose on it; see {@link #HttpFs(HttpFsOptions, Transport, HttpClient,
     * boolean)}. */
    private <T> CompletableFuture<T> settle(CompletableFuture<T> shared) {
        if (!callersBlock || shared.isDone()) {
            return shared;
        }
        try {
            return CompletableFuture.completedFuture(shared.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new FuseException(Errno.EINTR));
        } catch (ExecutionException e) {
            return CompletableFuture.failedFuture(e.getCause());
        }
    }

    private FileAttr attr(Node n, Attrs a) {
        FileAttr.Builder b = n.dir
                ? FileAttr.builder(n.id, FileType.DIRECTORY).perm(0555).nlink(2)
                : FileAttr.builder(n.id, FileType.REGULAR_FILE).perm(0444).size(a.size()).blocks((a.size() + 511)
                        / 512);
        return b.times(a.mtime()).uid(options.uid()).gid(options.gid()).blksize(options.blockSize()).build();
    }

    private static Optional<Instant> httpDate(String value) {
        try {
            return Optional.of(DateTimeFormatter.RFC_1123_DATE_TIME.parse(value, Instant::from));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    // ---- HTTP ----

    private HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(options.requestTimeout()).header("User-Agent", "jfuser-httpfs");
    }

    /**
     * Sends a request; transport failures become EIO. {@code HttpRequest.timeout} covers the wait for the response
     * headers; the {@code orTimeout} backstop covers a body that stalls after them.
     */
    private CompletableFuture<HttpResponse<byte[]>> send(HttpRequest request) {
        requests.incrementAndGet();
        CompletableFuture<HttpResponse<byte[]>> sent;
        try {
            sent = transport.send(request);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        long backstop = options.requestTimeout().plus(options.connectTimeout()).toMillis() + 1000;
        return sent.orTimeout(backstop, TimeUnit.MILLISECONDS).handle((response, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause()
                        != null ? failure.getCause() : failure;
                if (cause instanceof FuseException f) {
                    throw new CompletionException(f);
                }
                if (reachable.compareAndSet(true, false)) {
                    LOG.log(System.Logger.Level.WARNING, "httpfs: " + options.base() + " is not answering ("
                            + cause + "); answering EIO until it is back");
                }
                throw new CompletionException(new FuseException(Errno.EIO,
                        request.method() + " " + request.uri() + ": " + cause, cause));
            }
            if (reachable.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.INFO, "httpfs: " + options.base() + " is answering again");
            }
            return response;
        });
    }

    private static RuntimeException statusError(HttpResponse<?> r) {
        Errno errno = switch (r.statusCode()) {
            case 404, 410 -> Errno.ENOENT;
            case 401, 403 -> Errno.EACCES;
            default -> Errno.EIO;
        };
        return new CompletionException(new FuseException(errno,
                r.request().method() + " " + r.uri() + " answered " + r.statusCode()));
    }

    private static <T> CompletableFuture<T> failed(Errno errno) {
        return CompletableFuture.failedFuture(new FuseException(errno));
    }

    @Override
    public String toString() {
        return "HttpFs[" + options.base() + ", " + byId.size() + " nodes, " + requests.get() + " requests, " + cache
                + "]";
    }
}
