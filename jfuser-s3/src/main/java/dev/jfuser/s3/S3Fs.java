package dev.jfuser.s3;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.Capability;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Notifier;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * An S3 bucket (or a key prefix of one) as a filesystem, served on {@link AsyncFilesystem} with the SDK's async
 * client: no thread waits for the network; every operation is one or a few S3 calls whose futures answer the
 * kernel when they complete.
 *
 * <p>The mapping (the full table is in the project's decisions document, "s3fs semantics"):
 * <ul>
 *   <li>a file is an object; a directory is a common prefix ({@code a/b/}) of at least one key, or an empty
 *       {@code a/b/} marker object, which {@code mkdir} creates; when a name is both, the directory wins;</li>
 *   <li>{@code ls} lists with paginated ListObjectsV2 (delimiter '/'), page by page as the kernel reads on; the
 *       sizes and times of a listing are kept for the TTL, so the {@code stat}s of an {@code ls -l} cost
 *       nothing more;</li>
 *   <li>reads are ranged GETs, pinned to the ETag seen at open (a changed object answers ESTALE); a reader going
 *       forward gets read-ahead, its window doubling up to {@link S3FsOptions#maxReadAhead()}, all readers
 *       together within {@link S3FsOptions#prefetchBytes()};</li>
 *   <li>writes are sequential only, into a new object or one truncated on open: they are buffered in parts of
 *       {@link S3FsOptions#partSize()} that upload while the file is written (a multipart upload), and the object
 *       appears whole when the file is closed (flush) or fsync'ed, never half; a failed upload is aborted;</li>
 *   <li>rename of a file is a server-side copy and a delete; rename of a directory answers EXDEV, so {@code mv}
 *       copies it itself; hard links, symbolic links and device nodes are EPERM, as is a chmod or chown that
 *       would change anything; times are what S3 records (the upload time), utimens is accepted and ignored.</li>
 * </ul>
 *
 * <p>Consistency: each open for reading asks S3 for the object's current version (HEAD), and the kernel's cached
 * pages are kept only when that version is the one they came from. So a file closed on one machine is read whole
 * and current by a fresh open on another (close-to-open), while names and attributes may lag by up to the TTL.
 *
 * <p>Faults: every call has the timeout and retries of {@link S3Clients#create}; when they are spent the caller
 * gets EIO (the state change logged once, not per call), never a hang. An interrupted system call cancels the
 * S3 request it waits for. Refused credentials are logged once with what to fix.
 *
 * <p>Node ids: one per path and kind, kept while the path names that object (a removed or renamed-over path gets
 * a new id when it comes back). The table grows with the number of paths looked at.
 */
public final class S3Fs implements AsyncFilesystem {
    private static final System.Logger LOG = System.getLogger("dev.jfuser.s3");
    private static final long ROOT = 1;
    private static final int O_ACCMODE = 3;
    private static final int O_TRUNC = 0x200;
    private static final int O_APPEND = 0x400;
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int RENAME_NOREPLACE = 1;
    private static final int MAX_KEY_BYTES = 1024;
    /** A random reader's GETs are at least this long, so small reads do not each cost a round trip. */
    private static final int MIN_GET = 128 << 10;
    /** S3's largest single-request copy; larger files are not renamed (EXDEV: mv copies them). */
    private static final long MAX_COPY = 5L << 30;
    private static final int PAGE = 1000;
    private static final int FILE_PERM = 0644;
    private static final int DIR_PERM = 0755;
    /** Part buffers kept for reuse: large allocations per part would keep the collector busy. */
    private static final int SPARE_PARTS = 4;

    /** What S3 said about an object. */
    record Meta(long size, Instant mtime, String etag) {
    }

    /** A name a listing returned: the inode number it was listed with and its attributes, as of {@code at}. */
    private record Seen(long id, Meta meta, long at) {
    }

    /** One entry of an open directory's listing. */
    private record Listed(String name, long id, boolean dir) {
    }

    /** One path of the tree, file or directory. */
    final class Node {
        final long id;
        final boolean dir;
        volatile String path;
        volatile Meta meta;
        volatile long metaAt;
        /** The ETag whose pages the kernel may hold; open keeps the cache only while it is still current. */
        volatile String cachedEtag;
        /** The open writer, while the file is being written. */
        volatile Upload writer;
        /** The kernel's references (entries answered minus forgotten), guarded by this node's monitor. */
        long lookups;
        /** Open handles (files and directories), guarded by this node's monitor. */
        int opens;
        /** Out of the table: a new reference to this path makes a new node. */
        volatile boolean gone;

        Node(long id, String path, boolean dir) {
            this.id = id;
            this.path = path;
            this.dir = dir;
        }

        String key() {
            return options.prefix() + path;
        }

        /** The prefix this directory's entries share: "" for the root of a whole bucket. */
        String dirPrefix() {
            return path.isEmpty() ? options.prefix() : options.prefix() + path + "/";
        }

        boolean fresh() {
            return meta != null && System.nanoTime() - metaAt < options.ttl().toNanos();
        }

        void remember(Meta m) {
            meta = m;
            metaAt = System.nanoTime();
        }
    }

    private final S3FsOptions options;
    private final S3AsyncClient s3;
    private final boolean ownsClient;
    private final Instant mounted = Instant.now();
    private final ConcurrentHashMap<Long, Node> byId = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Node> byPath = new ConcurrentHashMap<>();
    /** What listings said about names the kernel holds no node of, kept for the TTL (see {@link #sweepSeen}). */
    private final ConcurrentHashMap<String, Seen> seen = new ConcurrentHashMap<>();
    private final AtomicBoolean sweepScheduled = new AtomicBoolean();
    private final AtomicLong nextId = new AtomicLong(ROOT + 1);
    private final AtomicLong nextFh = new AtomicLong(1);
    private final ConcurrentHashMap<Long, Object> handles = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Node> writing = new ConcurrentHashMap<>();
    private final AtomicLong prefetched = new AtomicLong();
    private final java.util.concurrent.ConcurrentLinkedQueue<byte[]> spareParts =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicInteger spareCount = new java.util.concurrent.atomic.AtomicInteger();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicBoolean reachable = new AtomicBoolean(true);
    private final AtomicBoolean credentialsLogged = new AtomicBoolean();
    private volatile Notifier notifier;
    /** Where S3 calls are started (see {@link #call}): a virtual thread each. */
    private final ExecutorService starter = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * An s3fs over {@code client}.
     *
     * @param options the bucket, prefix and behaviour
     * @param client the S3 client to send requests with
     * @param ownsClient whether {@link #destroy()} closes the client
     */
    public S3Fs(S3FsOptions options, S3AsyncClient client, boolean ownsClient) {
        this.options = options;
        this.s3 = client;
        this.ownsClient = ownsClient;
        Node root = new Node(ROOT, "", true);
        byId.put(ROOT, root);
        byPath.put("d:", root);
    }

    /**
     * An s3fs with a client of its own ({@link S3Clients#create}), closed at unmount.
     *
     * @param options the bucket, prefix, endpoint and behaviour
     * @param credentials where the keys come from
     * @return the filesystem
     */
    public static S3Fs create(S3FsOptions options, AwsCredentialsProvider credentials) {
        return new S3Fs(options, S3Clients.create(options, credentials), true);
    }

    /**
     * The options this filesystem was made with.
     *
     * @return the options
     */
    public S3FsOptions options() {
        return options;
    }

    /**
     * How many S3 calls were started so far (for tests and statistics).
     *
     * @return the count
     */
    public long callCount() {
        return calls.get();
    }

    /**
     * The read-ahead memory held now, always within {@link S3FsOptions#prefetchBytes()}.
     *
     * @return bytes
     */
    public long prefetchedBytes() {
        return prefetched.get();
    }

    /**
     * Checks that the bucket answers with these credentials: one ListObjectsV2 of a single key.
     *
     * @return a stage that fails with a message saying what is wrong (unreachable endpoint, refused
     *     credentials, no such bucket)
     */
    public CompletableFuture<Void> probe() {
        calls.incrementAndGet();
        return s3.listObjectsV2(b -> b.bucket(options.bucket()).prefix(options.prefix()).maxKeys(1))
                .handle((r, e) -> {
                    if (e == null) {
                        return null;
                    }
                    Throwable c = unwrap(e);
                    String why;
                    if (c instanceof S3Exception s) {
                        why = switch (s.statusCode()) {
                            case 403 -> credentialsHint(s);
                            case 404 -> "no bucket '" + options.bucket() + "' at this endpoint";
                            default -> "the endpoint answered " + s.statusCode() + " " + errorCode(s);
                        };
                    } else {
                        why = "cannot reach the endpoint: " + c.getMessage();
                    }
                    throw new CompletionException(new IOException(options + ": " + why, c));
                });
    }

    @Override
    public void init(KernelConfig config) {
        notifier = config.notifier();
        // Open with O_TRUNC arrives as one request rather than open + setattr(size 0): needed to tell a whole
        // overwrite (allowed) from a write into an existing object (refused).
        config.enableIfSupported(Capability.ATOMIC_O_TRUNC);
        config.maxReadahead(1 << 20); // clamped to what the kernel offers
    }

    @Override
    public void destroy() {
        for (Node n : writing.values()) {
            Upload u = n.writer;
            if (u != null) {
                u.abandon();
            }
        }
        starter.shutdown();
        if (ownsClient) {
            s3.close();
        }
    }

    // ---- names and attributes -------------------------------------------------------------------------------

    private static String join(Node parent, String name) {
        return parent.path.isEmpty() ? name : parent.path + "/" + name;
    }

    private static String key(String path, boolean dir) {
        return (dir ? "d:" : "f:") + path;
    }

    private Node node(String path, boolean dir) {
        return node(path, dir, 0);
    }

    /** The node of {@code path}, made (numbered {@code id}, or a new number if 0) if there is none. */
    private Node node(String path, boolean dir, long id) {
        String k = key(path, dir);
        while (true) {
            Node n = byPath.computeIfAbsent(k, x -> {
                Node m = new Node(id != 0 ? id : nextId.getAndIncrement(), path, dir);
                byId.put(m.id, m);
                return m;
            });
            if (!n.gone) {
                return n;
            }
            byPath.remove(k, n); // forgotten just now: its removal is under way
        }
    }

    /**
     * Counts one reference of the kernel to {@code n}, whose entry is about to be answered. A node forgotten
     * meanwhile (the kernel dropped its last reference as this request ran) is replaced by a new one.
     */
    private Node held(Node n) {
        while (true) {
            synchronized (n) {
                if (!n.gone) {
                    n.lookups++;
                    return n;
                }
            }
            Node again = node(n.path, n.dir);
            if (again.meta == null) {
                again.meta = n.meta;
                again.metaAt = n.metaAt;
                again.cachedEtag = n.cachedEtag;
            }
            n = again;
        }
    }

    /** A handle of {@code n} was opened; the node stays until it is released, whatever the kernel forgets. */
    private static void opened(Node n) {
        synchronized (n) {
            n.opens++;
        }
    }

    private void closed(Node n) {
        synchronized (n) {
            n.opens--;
        }
        collect(n);
    }

    /** Removes {@code n} from the table if nothing holds it: no kernel reference, open handle or upload. */
    private void collect(Node n) {
        if (n.id == ROOT) {
            return;
        }
        synchronized (n) {
            if (n.gone || n.lookups > 0 || n.opens > 0 || n.writer != null) {
                return;
            }
            n.gone = true;
        }
        byId.remove(n.id, n);
        byPath.remove(key(n.path, n.dir), n);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        Node n = byId.get(nodeId);
        if (n == null) {
            return;
        }
        synchronized (n) {
            n.lookups = Math.max(0, n.lookups - nlookup);
        }
        collect(n);
    }

    /** How many nodes the table holds (the root included), for tests. */
    int nodeCount() {
        return byId.size();
    }

    /** How many listed names are remembered without a node, for tests. */
    int seenCount() {
        return seen.size();
    }

    /** Forgets the path: a new object at it gets a new node. */
    private void drop(Node n) {
        byPath.remove(key(n.path, n.dir), n);
        seen.remove(key(n.path, n.dir));
    }

    /** Remembers what a listing said about {@code path}; returns the inode number to list it with. */
    private long listed(String path, boolean dir, Meta meta, long at) {
        Node n = byPath.get(key(path, dir));
        if (n != null && !n.gone) {
            if (!dir && n.writer == null) {
                Meta before = n.meta;
                n.meta = meta;
                n.metaAt = at;
                if (before != null && before.size() != meta.size()) {
                    // Changed elsewhere: the kernel's cached size of this file is stale.
                    invalidateAttributes(n);
                }
            } else if (dir) {
                n.meta = meta;
                n.metaAt = at;
            }
            return n.id;
        }
        Seen s = seen.compute(key(path, dir),
                (k, old) -> new Seen(old != null ? old.id() : nextId.getAndIncrement(), meta, at));
        scheduleSweep();
        return s.id();
    }

    /** A node for a name a listing returned within the TTL, with the listing's attributes; null if none. */
    private Node fromListing(String path, boolean dir) {
        String k = key(path, dir);
        Seen s = seen.get(k);
        if (s == null || System.nanoTime() - s.at() >= options.ttl().toNanos()) {
            return null;
        }
        seen.remove(k, s);
        Node n = node(path, dir, s.id());
        if (n.writer == null) {
            n.meta = s.meta();
            n.metaAt = s.at();
        }
        return n;
    }

    private void scheduleSweep() {
        if (sweepScheduled.compareAndSet(false, true)) {
            long delay = Math.max(options.ttl().toMillis(), 1000) * 2;
            CompletableFuture.delayedExecutor(delay, java.util.concurrent.TimeUnit.MILLISECONDS)
                    .execute(this::sweepSeen);
        }
    }

    /** Drops listed names older than the TTL: their attributes would be asked for again anyway. */
    private void sweepSeen() {
        sweepScheduled.set(false);
        long now = System.nanoTime();
        long ttl = options.ttl().toNanos();
        seen.values().removeIf(s -> now - s.at() >= ttl);
        if (!seen.isEmpty()) {
            scheduleSweep();
        }
    }

    private FileAttr attr(Node n) {
        if (n.dir) {
            return FileAttr.builder(n.id, FileType.DIRECTORY).perm(DIR_PERM).nlink(2).uid(options.uid())
                    .gid(options.gid()).times(mounted).size(0).blksize(4096).build();
        }
        Upload u = n.writer;
        Meta m = n.meta;
        long size = u != null ? u.written() : m == null ? 0 : m.size();
        Instant t = u != null ? u.started : m == null ? mounted : m.mtime();
        return FileAttr.builder(n.id, FileType.REGULAR_FILE).perm(FILE_PERM).nlink(1).uid(options.uid())
                .gid(options.gid()).times(t).size(size).blocks((size + 511) / 512).blksize(1 << 20).build();
    }

    /** The entry answered for {@code n}, counted as one reference of the kernel. */
    private Entry entry(Node n) {
        return counted(held(n));
    }

    /** The entry of a node already counted by {@link #held}. */
    private Entry counted(Node n) {
        return new Entry(n.id, 0, attr(n), options.ttl(), options.ttl());
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
        String path = join(p, name);
        if (name.getBytes(StandardCharsets.UTF_8).length > 255
                || (options.prefix() + path + "/").getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            // NAME_MAX per name (listings skip longer ones too), S3's 1024 bytes per key
            return failed(Errno.ENAMETOOLONG);
        }
        Node f = byPath.get("f:" + path);
        Node d = byPath.get("d:" + path);
        if (f != null && f.writer != null) {
            return done(entry(f)); // being written here: not in S3 yet
        }
        if (d != null && d.fresh()) {
            return done(entry(d));
        }
        if (f != null && f.fresh()) {
            return done(entry(f));
        }
        Node listedDir = fromListing(path, true);
        if (listedDir != null) {
            return done(entry(listedDir));
        }
        Node listedFile = fromListing(path, false);
        if (listedFile != null) {
            return done(entry(listedFile));
        }
        Calls calls = new Calls();
        CompletableFuture<Meta> head = head(calls, options.prefix() + path);
        CompletableFuture<Boolean> isDir = calls.track(list(options.prefix() + path + "/", null, 1))
                .thenApply(r -> r.keyCount() != null && r.keyCount() > 0 || !r.commonPrefixes().isEmpty()
                        || !r.contents().isEmpty());
        return calls.bind(isDir.thenCombine(head, (dir, meta) -> {
            if (dir) {
                Node n = node(path, true);
                n.remember(new Meta(0, mounted, null));
                return entry(n);
            }
            if (meta != null) {
                Node n = node(path, false);
                n.remember(meta);
                return entry(n);
            }
            return Entry.negative(options.ttl());
        }));
    }

    @Override
    public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        Node n = byId.get(nodeId);
        if (n == null) {
            return failed(Errno.ENOENT);
        }
        if (n.dir || n.writer != null || n.fresh()) {
            return done(new AttrReply(attr(n), options.ttl()));
        }
        Calls calls = new Calls();
        return calls.bind(head(calls, n.key()).thenApply(m -> {
            if (m == null) {
                throw fail(Errno.ENOENT);
            }
            n.remember(m);
            return new AttrReply(attr(n), options.ttl());
        }));
    }

    @Override
    public CompletionStage<AttrReply> setattr(Request req, long nodeId, SetAttr changes) {
        Node n = byId.get(nodeId);
        if (n == null) {
            return failed(Errno.ENOENT);
        }
        FileAttr now = attr(n);
        if (changes.mode().isPresent() && (changes.mode().getAsInt() & 07777) != now.perm()
                || changes.uid().isPresent() && changes.uid().getAsInt() != now.uid()
                || changes.gid().isPresent() && changes.gid().getAsInt() != now.gid()) {
            return failed(Errno.EPERM, "S3 objects have no owner or permission bits to change");
        }
        if (changes.size().isPresent()) {
            long size = changes.size().getAsLong();
            if (n.dir) {
                return failed(Errno.EISDIR);
            }
            if (options.readOnly()) {
                return failed(Errno.EROFS);
            }
            if (size != now.size()) {
                if (size != 0 || n.writer != null) {
                    return failed(Errno.EPERM, "an object can only be truncated to 0 bytes, and not while written");
                }
                Calls calls = new Calls();
                return calls.bind(calls.track(put(n.key(), new byte[0], 0)).thenApply(etag -> {
                    n.remember(new Meta(0, Instant.now(), etag));
                    return new AttrReply(attr(n), options.ttl());
                }));
            }
        }
        // Times: S3 keeps the upload time only; accepted and ignored so cp -p, rsync -t and tar do not fail.
        return done(new AttrReply(now, options.ttl()));
    }

    // ---- directories ----------------------------------------------------------------------------------------

    /** An open directory: entries fetched page by page as the kernel reads on. */
    private final class DirHandle {
        final Node dir;
        final List<Listed> entries = new ArrayList<>();
        final Set<String> names = new HashSet<>();
        String token;
        boolean more = true;
        CompletableFuture<Void> fetching;

        DirHandle(Node dir) {
            this.dir = dir;
            add(".", dir.id, true);
            Node up = dir.path.isEmpty() ? dir : byPath.get(key(parentPath(dir.path), true));
            add("..", up == null ? dir.id : up.id, true); // the kernel holds the parent of any node it holds
            // Files being written here appear before they reach S3.
            for (Node w : writing.values()) {
                if (w.path.startsWith(dir.path.isEmpty() ? "" : dir.path + "/")
                        && w.path.indexOf('/', dir.path.isEmpty() ? 0 : dir.path.length() + 1) < 0) {
                    add(w.path.substring(w.path.lastIndexOf('/') + 1), w.id, false);
                }
            }
        }

        void add(String name, long id, boolean isDir) {
            if (names.add(name)) {
                entries.add(new Listed(name, id, isDir));
            }
        }

        /** Adds one page of the listing; common prefixes (directories) first, so a name both ways is a dir. */
        void page(ListObjectsV2Response r) {
            String base = dir.dirPrefix();
            long at = System.nanoTime();
            for (CommonPrefix cp : r.commonPrefixes()) {
                String name = cp.prefix().substring(base.length(), cp.prefix().length() - 1);
                if (valid(name)) {
                    add(name, listed(join(dir, name), true, new Meta(0, mounted, null), at), true);
                }
            }
            for (S3Object o : r.contents()) {
                String name = o.key().substring(base.length());
                if (name.endsWith("/") && valid(name.substring(0, name.length() - 1))) {
                    // an empty directory's marker, listed as an object by servers that do not fold it
                    String dname = name.substring(0, name.length() - 1);
                    add(dname, listed(join(dir, dname), true, new Meta(0, mounted, null), at), true);
                    continue;
                }
                String path = join(dir, name);
                if (!valid(name) || names.contains(name) || byPath.containsKey(key(path, true))
                        || seen.containsKey(key(path, true))) {
                    continue; // the directory's own marker, an unnameable key, or a file shadowed by a directory
                }
                add(name, listed(path, false, new Meta(o.size(), o.lastModified(), o.eTag()), at), false);
            }
            token = r.nextContinuationToken();
            more = Boolean.TRUE.equals(r.isTruncated()) && token != null;
        }
    }

    private static boolean valid(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\0') < 0 && name.getBytes(StandardCharsets.UTF_8).length <= 255;
    }

    private static String parentPath(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
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
        long fh = nextFh.getAndIncrement();
        opened(n);
        handles.put(fh, new DirHandle(n));
        return done(OpenReply.of(fh));
    }

    @Override
    public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        if (!(handles.get(fh) instanceof DirHandle h)) {
            return failed(Errno.EBADF);
        }
        Calls calls = new Calls();
        return calls.bind(fill(calls, h, (int) offset, listing));
    }

    private CompletableFuture<Void> fill(Calls calls, DirHandle h, int offset, DirectoryListing listing) {
        CompletableFuture<Void> next;
        synchronized (h) {
            if (offset < h.entries.size() || !h.more) {
                for (int i = offset; i < h.entries.size(); i++) {
                    Listed e = h.entries.get(i);
                    if (!listing.add(e.name(), e.id(), e.dir() ? FileType.DIRECTORY : FileType.REGULAR_FILE, i + 1)) {
                        break;
                    }
                }
                return CompletableFuture.completedFuture(null);
            }
            if (h.fetching == null) {
                h.fetching = calls.track(list(h.dir.dirPrefix(), h.token, PAGE)).thenAccept(r -> {
                    synchronized (h) {
                        h.page(r);
                        h.fetching = null;
                    }
                });
                h.fetching.exceptionally(e -> {
                    synchronized (h) {
                        h.fetching = null;
                    }
                    return null;
                });
            }
            next = h.fetching;
        }
        return next.thenCompose(v -> fill(calls, h, offset, listing));
    }

    @Override
    public CompletionStage<Void> releasedir(Request req, long nodeId, long fh, int flags) {
        if (handles.remove(fh) instanceof DirHandle h) {
            closed(h.dir);
        }
        return done(null);
    }

    @Override
    public CompletionStage<Entry> mkdir(Request req, long parent, String name, int mode, int umask) {
        Node p = byId.get(parent);
        if (p == null) {
            return failed(Errno.ENOENT);
        }
        if (options.readOnly()) {
            return failed(Errno.EROFS);
        }
        String path = join(p, name);
        Calls calls = new Calls();
        return calls.bind(calls.track(put(options.prefix() + path + "/", new byte[0], 0)).thenApply(etag -> {
            Node n = node(path, true);
            n.remember(new Meta(0, mounted, null));
            return entry(n);
        }));
    }

    @Override
    public CompletionStage<Void> rmdir(Request req, long parent, String name) {
        Node p = byId.get(parent);
        if (p == null) {
            return failed(Errno.ENOENT);
        }
        if (options.readOnly()) {
            return failed(Errno.EROFS);
        }
        String path = join(p, name);
        String prefix = options.prefix() + path + "/";
        for (Node w : writing.values()) {
            if (w.path.startsWith(path + "/")) {
                return failed(Errno.ENOTEMPTY);
            }
        }
        Calls calls = new Calls();
        return calls.bind(calls.track(list(prefix, null, 2)).thenCompose(r -> {
            boolean others = !r.commonPrefixes().isEmpty()
                    || r.contents().stream().anyMatch(o -> !o.key().equals(prefix));
            if (others) {
                throw fail(Errno.ENOTEMPTY);
            }
            return calls.track(delete(prefix));
        }).thenRun(() -> {
            Node d = byPath.get("d:" + path);
            if (d != null) {
                drop(d);
            }
            seen.remove(key(path, true));
        }));
    }

    // ---- files ----------------------------------------------------------------------------------------------

    @Override
    public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        Node n = byId.get(nodeId);
        if (n == null) {
            return failed(Errno.ENOENT);
        }
        if (n.dir) {
            return failed(Errno.EISDIR);
        }
        if ((flags & O_ACCMODE) != 0) {
            if (options.readOnly()) {
                return failed(Errno.EROFS);
            }
            if (n.writer != null) {
                return failed(Errno.EBUSY, n.path + " is already open for writing");
            }
            if ((flags & O_TRUNC) == 0 && (n.meta == null || n.meta.size() != 0)) {
                return failed(Errno.EPERM, "an object cannot be written in place: open it with O_TRUNC");
            }
            Upload u = startWriter(n);
            long fh = nextFh.getAndIncrement();
            opened(n);
            handles.put(fh, u);
            return done(OpenReply.of(fh));
        }
        if (n.writer != null) {
            return failed(Errno.EBUSY, n.path + " is being written: it can be read once it is closed");
        }
        Calls calls = new Calls();
        return calls.bind(head(calls, n.key()).thenApply(m -> {
            if (m == null) {
                drop(n);
                throw fail(Errno.ENOENT);
            }
            Meta before = n.meta;
            n.remember(m);
            boolean keep = m.etag() != null && m.etag().equals(n.cachedEtag);
            if (before != null && before.size() != m.size()) {
                invalidateAttributes(n);
            }
            n.cachedEtag = m.etag();
            long fh = nextFh.getAndIncrement();
            opened(n);
            handles.put(fh, new Reader(n, m));
            return OpenReply.of(fh, keep ? OpenReply.KEEP_CACHE : 0);
        }));
    }

    /** The kernel's cached size is of another version: have it ask GETATTR again (attributes only). */
    private void invalidateAttributes(Node n) {
        Notifier nt = notifier;
        if (nt == null) {
            return;
        }
        try {
            nt.invalInode(n.id, -1, 0);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "invalidating " + n.path + ": " + e);
        }
    }

    @Override
    public CompletionStage<CreateReply> create(Request req, long parent, String name, int mode, int umask,
            int flags) {
        Node p = byId.get(parent);
        if (p == null) {
            return failed(Errno.ENOENT);
        }
        if (options.readOnly()) {
            return failed(Errno.EROFS);
        }
        String path = join(p, name);
        if ((options.prefix() + path).getBytes(StandardCharsets.UTF_8).length > MAX_KEY_BYTES) {
            return failed(Errno.ENAMETOOLONG);
        }
        Node old = byPath.get("f:" + path);
        if (old != null && old.writer != null) {
            return failed(Errno.EBUSY, path + " is already open for writing");
        }
        Node n = held(node(path, false));
        Upload u = startWriter(n);
        long fh = nextFh.getAndIncrement();
        opened(n);
        handles.put(fh, u);
        return done(new CreateReply(counted(n), OpenReply.of(fh)));
    }

    @Override
    public CompletionStage<Entry> mknod(Request req, long parent, String name, int mode, int umask, int rdev) {
        if ((mode & S_IFMT) != S_IFREG) {
            return failed(Errno.EPERM, "S3 has no device nodes, FIFOs or sockets");
        }
        Node p = byId.get(parent);
        if (p == null) {
            return failed(Errno.ENOENT);
        }
        if (options.readOnly()) {
            return failed(Errno.EROFS);
        }
        String path = join(p, name);
        Calls calls = new Calls();
        return calls.bind(calls.track(put(options.prefix() + path, new byte[0], 0)).thenApply(etag -> {
            Node n = node(path, false);
            n.remember(new Meta(0, Instant.now(), etag));
            return entry(n);
        }));
    }

    private Upload startWriter(Node n) {
        Upload u = new Upload(n);
        n.writer = u;
        writing.put(n.id, n);
        return u;
    }

    @Override
    public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
            long lockOwner) {
        Object h = handles.get(fh);
        if (h instanceof Upload) {
            return failed(Errno.EBADF, "a file open for writing cannot be read back before it is closed");
        }
        if (!(h instanceof Reader r)) {
            return failed(Errno.EBADF);
        }
        return r.read(offset, size);
    }

    @Override
    public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
            int writeFlags, int flags, long lockOwner) {
        if (!(handles.get(fh) instanceof Upload u)) {
            return failed(Errno.EBADF);
        }
        return u.write(offset, data);
    }

    @Override
    public CompletionStage<Void> flush(Request req, long nodeId, long fh, long lockOwner) {
        // A close of a descriptor that wrote nothing yet may not be the end of the file: a shell's `> f` opens,
        // dups the descriptor and closes the original (a FLUSH) before its first write. Such a close puts the
        // empty object (so `cp` of an empty file, or `touch`, is visible at close) and leaves the file open for
        // writing; the first close after data completes the upload.
        if (handles.get(fh) instanceof Upload u) {
            return u.written() > 0 ? u.finish() : u.putEmpty();
        }
        return done(null);
    }

    @Override
    public CompletionStage<Void> fsync(Request req, long nodeId, long fh, boolean datasync) {
        if (handles.get(fh) instanceof Upload u) {
            return u.finish();
        }
        return done(null);
    }

    @Override
    public CompletionStage<Void> release(Request req, long nodeId, long fh, int flags, int releaseFlags,
            long lockOwner) {
        Object h = handles.remove(fh);
        if (h instanceof Reader r) {
            r.close();
            closed(r.node);
        } else if (h instanceof Upload u) {
            closed(u.node);
            // Normally flush has uploaded it already; a writer that never flushed is finished (or, if its file
            // was removed meanwhile, abandoned) here, and a failure can only be logged.
            u.finish().exceptionally(e -> {
                LOG.log(System.Logger.Level.WARNING, "s3fs: upload of " + u.key + " failed: " + unwrap(e));
                return null;
            });
        }
        return done(null);
    }

    @Override
    public CompletionStage<Void> unlink(Request req, long parent, String name) {
        Node p = byId.get(parent);
        if (p == null) {
            return failed(Errno.ENOENT);
        }
        if (options.readOnly()) {
            return failed(Errno.EROFS);
        }
        String path = join(p, name);
        Node n = byPath.get("f:" + path);
        if (n != null && n.writer != null) {
            Upload u = n.writer;
            u.abandon();
            drop(n);
            if (!u.existed) {
                return done(null);
            }
        }
        Calls calls = new Calls();
        return calls.bind(calls.track(delete(options.prefix() + path)).thenRun(() -> {
            if (n != null) {
                drop(n);
            }
            seen.remove(key(path, false));
        }));
    }

    @Override
    public CompletionStage<Void> rename(Request req, long parent, String name, long newParent, String newName,
            int flags) {
        Node p = byId.get(parent);
        Node np = byId.get(newParent);
        if (p == null || np == null) {
            return failed(Errno.ENOENT);
        }
        if (options.readOnly()) {
            return failed(Errno.EROFS);
        }
        if ((flags & ~RENAME_NOREPLACE) != 0) {
            return failed(Errno.EINVAL, "S3 cannot exchange two names atomically");
        }
        String from = join(p, name);
        String to = join(np, newName);
        if (byPath.get("d:" + from) != null) {
            // A directory is every key under its prefix: no single S3 call renames it. EXDEV makes mv copy it.
            return failed(Errno.EXDEV);
        }
        Node n = byPath.get("f:" + from);
        Calls calls = new Calls();
        // A file still open for writing (rsync renames its temporary file as soon as it closed it, and an empty
        // one is only made at release, which may come later) is made first: then it is renamed as written.
        Upload w = n == null ? null : n.writer;
        CompletableFuture<Void> made = w == null ? CompletableFuture.completedFuture(null) : w.finish();
        return calls.bind(made.thenCompose(v -> renameObject(calls, n, from, to, flags)));
    }

    private CompletableFuture<Void> renameObject(Calls calls, Node n, String from, String to, int flags) {
        CompletableFuture<Meta> source = head(calls, options.prefix() + from);
        CompletableFuture<Meta> target = (flags & RENAME_NOREPLACE) != 0 ? head(calls, options.prefix() + to)
                : CompletableFuture.completedFuture(null);
        return source.thenCombine(target, (s, t) -> {
            if (s == null) {
                throw fail(Errno.ENOENT);
            }
            if (t != null) {
                throw fail(Errno.EEXIST);
            }
            if (s.size() > MAX_COPY) {
                throw fail(Errno.EXDEV);
            }
            return s;
        }).thenCompose(s -> calls.track(call(() -> s3.copyObject(b -> b.sourceBucket(options.bucket())
                .sourceKey(options.prefix() + from).destinationBucket(options.bucket())
                .destinationKey(options.prefix() + to).copySourceIfMatch(s.etag()))))
                .thenCompose(c -> calls.track(delete(options.prefix() + from))).thenRun(() -> {
                    seen.remove(key(from, false));
                    seen.remove(key(to, false));
                    Node over = byPath.get("f:" + to);
                    if (over != null) {
                        drop(over);
                    }
                    if (n != null) {
                        drop(n);
                        synchronized (n) {
                            n.path = to;
                            n.meta = null;
                            if (!n.gone) {
                                byPath.put("f:" + to, n);
                            }
                        }
                    }
                }));
    }

    @Override
    public CompletionStage<Entry> link(Request req, long nodeId, long newParent, String newName) {
        return failed(Errno.EPERM, "S3 has no hard links");
    }

    @Override
    public CompletionStage<Entry> symlink(Request req, long parent, String name, String target) {
        return failed(Errno.EPERM, "this mount stores no symbolic links");
    }

    @Override
    public CompletionStage<FsStats> statfs(Request req, long nodeId) {
        // A bucket has no capacity to report: show a very large, mostly free filesystem so df and installers
        // that check for space go ahead (blocks of 4 KiB, 2^50 bytes).
        long blocks = 1L << 38;
        return done(new FsStats(blocks, blocks, blocks, 1L << 32, 1L << 32, 4096, 255, 4096));
    }

    // ---- reading ----------------------------------------------------------------------------------------------

    /** One range fetched or being fetched. */
    private record Chunk(long start, int length, CompletableFuture<byte[]> data, boolean budgeted) {
        long end() {
            return start + length;
        }
    }

    /** An open file being read: its version, the ranges under way, and how sequential its reader is. */
    private final class Reader {
        final Node node;
        final String key;
        final Meta meta;
        final TreeMap<Long, Chunk> chunks = new TreeMap<>();
        long next;
        int window = MIN_GET;
        boolean closed;

        Reader(Node node, Meta meta) {
            this.node = node;
            this.key = node.key();
            this.meta = meta;
        }

        CompletableFuture<ReadData> read(long offset, int size) {
            long end = Math.min(offset + size, meta.size());
            if (offset >= end) {
                return CompletableFuture.completedFuture(ReadData.empty());
            }
            List<Chunk> parts = new ArrayList<>();
            List<Chunk> mine = new ArrayList<>();
            synchronized (this) {
                boolean sequential = offset == next || chunks.floorEntry(offset) != null
                        && chunks.floorEntry(offset).getValue().end() >= offset;
                if (!sequential) {
                    window = MIN_GET;
                    release(chunks.values());
                    chunks.clear();
                }
                // Chunks wholly behind this read are done with: their memory goes back to the budget.
                while (!chunks.isEmpty() && chunks.firstEntry().getValue().end() <= offset) {
                    release(List.of(chunks.pollFirstEntry().getValue()));
                }
                long at = offset;
                while (at < end) {
                    Map.Entry<Long, Chunk> e = chunks.floorEntry(at);
                    if (e != null && e.getValue().end() > at) {
                        parts.add(e.getValue());
                        at = e.getValue().end();
                        continue;
                    }
                    Long higher = chunks.higherKey(at);
                    long want = sequential ? Math.max(window, end - at) : Math.max(MIN_GET, end - at);
                    long stop = Math.min(Math.min(at + want, meta.size()), higher == null ? Long.MAX_VALUE : higher);
                    Chunk c = fetch(at, (int) (stop - at), false);
                    chunks.put(at, c);
                    parts.add(c);
                    mine.add(c);
                    at = stop;
                }
                next = end;
                if (sequential) {
                    window = (int) Math.min((long) window * 2, options.maxReadAhead());
                    // Read-ahead: keep one window beyond this read under way, within the shared budget.
                    long last = chunks.lastEntry().getValue().end();
                    if (last < meta.size() && last < end + window) {
                        int len = (int) Math.min(window, meta.size() - last);
                        if (reserve(len)) {
                            chunks.put(last, fetch(last, len, true));
                        }
                    }
                }
            }
            CompletableFuture<ReadData> out = CompletableFuture.allOf(parts.stream().map(Chunk::data)
                    .toArray(CompletableFuture[]::new)).thenApply(v -> assemble(parts, offset, end));
            out.whenComplete((v, e) -> {
                if (e != null) {
                    // Interrupted or failed: the ranges only this read asked for are cancelled and forgotten, so
                    // the next read asks again.
                    synchronized (this) {
                        for (Chunk c : mine) {
                            if (chunks.remove(c.start(), c)) {
                                release(List.of(c));
                            }
                            c.data().cancel(true);
                        }
                    }
                }
            });
            return out;
        }

        private ReadData assemble(List<Chunk> parts, long offset, long end) {
            if (parts.size() == 1) {
                Chunk c = parts.getFirst();
                byte[] b = c.data().join();
                int from = (int) (offset - c.start());
                return ReadData.of(b, from, (int) Math.min(end - offset, b.length - from));
            }
            byte[] out = new byte[(int) (end - offset)];
            int filled = 0;
            for (Chunk c : parts) {
                byte[] b = c.data().join();
                int from = (int) Math.max(0, offset + filled - c.start());
                int n = Math.min(b.length - from, out.length - filled);
                if (n <= 0) {
                    break;
                }
                System.arraycopy(b, from, out, filled, n);
                filled += n;
            }
            return ReadData.of(out, 0, filled);
        }

        private Chunk fetch(long start, int length, boolean budgeted) {
            CompletableFuture<ResponseBytes<GetObjectResponse>> get = call(() -> s3.getObject(b -> b
                    .bucket(options.bucket()).key(key).range("bytes=" + start + "-" + (start + length - 1))
                    .ifMatch(meta.etag()), AsyncResponseTransformer.toBytes()));
            CompletableFuture<byte[]> data = get.thenApply(ResponseBytes::asByteArrayUnsafe);
            Chunk c = new Chunk(start, length, data, budgeted);
            data.whenComplete((v, e) -> {
                if (e instanceof CancellationException) {
                    get.cancel(true);
                }
                if (e != null) {
                    // A failed range is forgotten (and its budget returned), so the next read asks again.
                    synchronized (this) {
                        if (chunks.remove(start, c)) {
                            release(List.of(c));
                        }
                    }
                }
            });
            return c;
        }

        synchronized void close() {
            closed = true;
            release(chunks.values());
            chunks.clear();
        }
    }

    /** A buffer of one part's size: a spare one if there is, else a new one. */
    private byte[] partBuffer() {
        byte[] b = spareParts.poll();
        if (b != null) {
            spareCount.decrementAndGet();
            return b;
        }
        return new byte[options.partSize()];
    }

    /** Keeps a part-size buffer for the next writer (a few at most); others are left to the collector. */
    private void recycle(byte[] b) {
        if (b.length == options.partSize() && spareCount.incrementAndGet() <= SPARE_PARTS) {
            spareParts.offer(b);
        } else if (b.length == options.partSize()) {
            spareCount.decrementAndGet();
        }
    }

    private boolean reserve(int bytes) {
        while (true) {
            long now = prefetched.get();
            if (now + bytes > options.prefetchBytes()) {
                return false;
            }
            if (prefetched.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    private void release(Iterable<Chunk> cs) {
        for (Chunk c : cs) {
            if (c.budgeted()) {
                prefetched.addAndGet(-c.length());
            }
        }
    }

    // ---- writing ----------------------------------------------------------------------------------------------

    /**
     * A file being written: bytes in order into a part buffer; full parts upload while writing goes on (at most
     * {@link S3FsOptions#partsInFlight()} at once, further writes waiting for one to finish), and {@link #finish}
     * makes the object: one PutObject for a file smaller than a part, else the last part and
     * CompleteMultipartUpload. Any failure aborts the multipart upload, so no part of it is ever visible.
     */
    final class Upload {
        final Node node;
        final String key;
        final Instant started = Instant.now();
        /** Whether an object of this name existed when writing started (then unlink must delete it). */
        final boolean existed;
        private long written;
        private byte[] buffer;
        private int buffered;
        private CompletableFuture<String> uploadId;
        private final List<CompletableFuture<CompletedPart>> parts = new ArrayList<>();
        private Throwable failure;
        private CompletableFuture<Void> finished;
        private boolean abandoned;
        /** The empty object put by a close before any write, if there was one. */
        private CompletableFuture<String> emptyPut;

        Upload(Node node) {
            this.node = node;
            this.key = node.key();
            this.existed = node.meta != null;
        }

        synchronized long written() {
            return written;
        }

        synchronized CompletableFuture<Integer> write(long offset, ByteBuffer data) {
            if (finished != null || abandoned) {
                return CompletableFuture.failedFuture(new FuseException(Errno.EBADF,
                        "the file was already closed or synced: S3 objects cannot be appended to"));
            }
            if (failure != null) {
                return CompletableFuture.failedFuture(new FuseException(Errno.EIO, "upload failed", failure));
            }
            if (offset != written) {
                return CompletableFuture.failedFuture(new FuseException(Errno.EINVAL,
                        "S3 objects are written sequentially: write at " + offset + " after " + written + " bytes"));
            }
            int n = data.remaining();
            CompletableFuture<Void> room = CompletableFuture.completedFuture(null);
            while (data.hasRemaining()) {
                // The buffer grows from 64 KiB to a part, so a small file costs little; full-size part buffers
                // are reused across files.
                if (buffer == null) {
                    buffer = data.remaining() >= options.partSize() / 2 ? partBuffer()
                            : new byte[Math.max(64 << 10, data.remaining())];
                } else if (buffered == buffer.length) {
                    byte[] bigger = buffer.length * 2 >= options.partSize() ? partBuffer()
                            : new byte[buffer.length * 2];
                    System.arraycopy(buffer, 0, bigger, 0, buffered);
                    buffer = bigger;
                }
                int k = Math.min(data.remaining(), buffer.length - buffered);
                data.get(buffer, buffered, k);
                buffered += k;
                if (buffered == options.partSize()) {
                    room = shipPart();
                }
            }
            written += n;
            return room.thenApply(v -> n);
        }

        /** Starts uploading the full buffer; completes when the writer may go on (a part slot is free). */
        private CompletableFuture<Void> shipPart() {
            byte[] bytes = buffer;
            int len = buffered;
            buffer = null;
            buffered = 0;
            byte[] body = len == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, len);
            if (body != bytes) {
                recycle(bytes);
            }
            if (uploadId == null) {
                uploadId = call(() -> s3.createMultipartUpload(b -> b.bucket(options.bucket()).key(key)))
                        .thenApply(r -> r.uploadId());
            }
            int number = parts.size() + 1;
            CompletableFuture<CompletedPart> part = uploadId.thenCompose(id -> {
                return call(() -> s3.uploadPart(b -> b.bucket(options.bucket()).key(key).uploadId(id)
                        .partNumber(number).contentLength((long) len), AsyncRequestBody.fromBytesUnsafe(body)));
            }).thenApply(r -> CompletedPart.builder().partNumber(number).eTag(r.eTag()).build());
            part.whenComplete((r, e) -> {
                if (e == null) {
                    recycle(body); // sent: its bytes are free (after a failure the client may still hold them)
                }
                if (e != null) {
                    synchronized (this) {
                        if (failure == null) {
                            failure = unwrap(e);
                        }
                    }
                }
            });
            parts.add(part);
            int inFlight = (int) parts.stream().filter(p -> !p.isDone()).count();
            if (inFlight <= options.partsInFlight()) {
                return CompletableFuture.completedFuture(null);
            }
            // Backpressure: this write is answered when the oldest part still uploading is done.
            return parts.stream().filter(p -> !p.isDone()).findFirst().orElse(part).thenApply(p -> null);
        }

        /** Puts the file as it is now, empty, without ending the writing (see {@link S3Fs#flush}). */
        synchronized CompletableFuture<Void> putEmpty() {
            if (finished != null) {
                return finished;
            }
            if (abandoned || written > 0) {
                return CompletableFuture.completedFuture(null);
            }
            if (emptyPut == null) {
                emptyPut = put(key, new byte[0], 0);
            }
            return emptyPut.handle((etag, e) -> {
                if (e != null) {
                    throw new CompletionException(new FuseException(Errno.EIO, "creating " + key + " failed",
                            unwrap(e)));
                }
                if (node.writer == this) {
                    node.remember(new Meta(0, Instant.now(), etag));
                }
                return null;
            });
        }

        /** Makes the object (once; later calls share the result). */
        synchronized CompletableFuture<Void> finish() {
            if (finished != null) {
                return finished;
            }
            if (abandoned) {
                return finished = CompletableFuture.completedFuture(null);
            }
            long size = written;
            CompletableFuture<String> made;
            if (uploadId == null && written == 0 && emptyPut != null) {
                made = emptyPut; // already there
            } else if (uploadId == null) {
                byte[] bytes = buffer == null ? new byte[0] : buffer;
                made = put(key, bytes, buffered);
                if (buffered != bytes.length) {
                    recycle(bytes); // put took a copy
                }
            } else {
                if (buffered > 0 || parts.isEmpty()) {
                    shipPart();
                }
                List<CompletableFuture<CompletedPart>> all = List.copyOf(parts);
                CompletableFuture<String> id = uploadId;
                made = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenCompose(v -> {
                    List<CompletedPart> done = all.stream().map(CompletableFuture::join)
                            .sorted(Comparator.comparing(CompletedPart::partNumber)).toList();
                    // S3 joins the parts while the request is open, which takes longer the larger the object
                    // (S3 itself may take minutes): the call gets the request timeout plus 1 s per 32 MiB.
                    Duration limit = options.requestTimeout().plusSeconds(size >> 25);
                    return call(() -> s3.completeMultipartUpload(b -> b.bucket(options.bucket()).key(key)
                            .uploadId(id.join()).multipartUpload(m -> m.parts(done))
                            .overrideConfiguration(o -> o.apiCallTimeout(limit)))).thenApply(r -> r.eTag());
                });
                made = made.whenComplete((etag, e) -> {
                    if (e != null) {
                        abort(id);
                    }
                });
            }
            buffer = null;
            finished = made.handle((etag, e) -> {
                writing.remove(node.id, node);
                if (node.writer == this) {
                    node.writer = null;
                }
                collect(node);
                if (e != null) {
                    node.meta = null;
                    LOG.log(System.Logger.Level.WARNING, "s3fs: upload of " + key + " failed, nothing was "
                            + "written: " + unwrap(e).getMessage());
                    throw new CompletionException(new FuseException(Errno.EIO, "upload of " + key + " failed",
                            unwrap(e)));
                }
                node.remember(new Meta(size, Instant.now(), etag));
                node.cachedEtag = etag; // this mount's pages were written by the kernel from the same bytes
                return null;
            });
            return finished;
        }

        /** The file was removed while being written, or the mount ends: nothing is made. */
        synchronized void abandon() {
            if (finished != null || abandoned) {
                return;
            }
            abandoned = true;
            if (buffer != null) {
                recycle(buffer);
            }
            buffer = null;
            writing.remove(node.id, node);
            if (node.writer == this) {
                node.writer = null;
            }
            collect(node);
            if (uploadId != null) {
                abort(uploadId);
            }
        }

        private void abort(CompletableFuture<String> id) {
            id.thenCompose(i -> {
                return call(() -> s3.abortMultipartUpload(b -> b.bucket(options.bucket()).key(key).uploadId(i)));
            }).exceptionally(e -> {
                LOG.log(System.Logger.Level.WARNING, "s3fs: could not abort the multipart upload of " + key
                        + " (a lifecycle rule for incomplete uploads will clean it up): " + unwrap(e).getMessage());
                return null;
            });
        }
    }

    // ---- S3 calls -------------------------------------------------------------------------------------------

    /**
     * The upstream futures of one request: when the stage handed to the session is cancelled (INTERRUPT), every
     * S3 call it started, and any it would start, is cancelled too, which aborts the HTTP exchange.
     */
    private static final class Calls {
        private final List<CompletableFuture<?>> upstream = new ArrayList<>();
        private boolean cancelled;

        synchronized <T> CompletableFuture<T> track(CompletableFuture<T> f) {
            if (cancelled) {
                f.cancel(true);
            } else {
                upstream.add(f);
            }
            return f;
        }

        <T> CompletableFuture<T> bind(CompletableFuture<T> out) {
            out.whenComplete((v, e) -> {
                if (e instanceof CancellationException) {
                    List<CompletableFuture<?>> all;
                    synchronized (this) {
                        cancelled = true;
                        all = List.copyOf(upstream);
                    }
                    for (CompletableFuture<?> f : all) {
                        f.cancel(true);
                    }
                }
            });
            return out;
        }
    }

    /**
     * Starts one S3 call on the starter executor, never on the caller's thread: the SDK marshals, signs and
     * hands the request to the HTTP client synchronously, which can take long enough (class loading, credential
     * refresh, a full connection pool) to stall a reader thread. The result fails with the errno to answer;
     * cancelling it cancels the SDK's future, which aborts the HTTP exchange.
     */
    private <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> start) {
        calls.incrementAndGet();
        CompletableFuture<T> out = new CompletableFuture<>();
        AtomicReference<CompletableFuture<T>> inner = new AtomicReference<>();
        try {
            starter.execute(() -> {
                if (out.isDone()) {
                    return;
                }
                CompletableFuture<T> sdk;
                try {
                    sdk = start.get();
                } catch (RuntimeException e) {
                    sdk = CompletableFuture.failedFuture(e);
                }
                inner.set(sdk);
                sdk.whenComplete((v, e) -> {
                    if (e == null) {
                        reachable(true, null);
                        out.complete(v);
                    } else {
                        out.completeExceptionally(translate(unwrap(e)));
                    }
                });
                if (out.isCancelled()) {
                    sdk.cancel(true);
                }
            });
        } catch (RejectedExecutionException e) {
            out.completeExceptionally(new FuseException(Errno.EIO, "s3fs is shutting down"));
        }
        out.whenComplete((v, e) -> {
            CompletableFuture<T> sdk = inner.get();
            if (e instanceof CancellationException && sdk != null) {
                sdk.cancel(true);
            }
        });
        return out;
    }

    /** HEAD of {@code key}: its metadata, or null if there is no such object. */
    private CompletableFuture<Meta> head(Calls c, String key) {
        CompletableFuture<HeadObjectResponse> raw = c.track(call(() -> s3.headObject(b -> b
                .bucket(options.bucket()).key(key))));
        return raw.handle((r, e) -> {
            if (e == null) {
                return new Meta(r.contentLength(), r.lastModified(), r.eTag());
            }
            Throwable t = unwrap(e);
            if (t instanceof FuseException f && f.errno().equals(Errno.ENOENT)) {
                return null;
            }
            throw new CompletionException(t);
        });
    }

    private CompletableFuture<ListObjectsV2Response> list(String prefix, String token, int max) {
        return call(() -> s3.listObjectsV2(b -> b.bucket(options.bucket()).prefix(prefix).delimiter("/")
                .maxKeys(max).continuationToken(token)));
    }

    private CompletableFuture<String> put(String key, byte[] bytes, int length) {
        byte[] body = length == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, length);
        return call(() -> s3.putObject(b -> b.bucket(options.bucket()).key(key).contentLength((long) length),
                AsyncRequestBody.fromBytesUnsafe(body))).thenApply(r -> r.eTag());
    }

    private CompletableFuture<Void> delete(String key) {
        return call(() -> s3.deleteObject(b -> b.bucket(options.bucket()).key(key))).thenApply(r -> null);
    }

    private Throwable translate(Throwable t) {
        if (t instanceof FuseException || t instanceof CancellationException) {
            return t;
        }
        if (t instanceof S3Exception s) {
            reachable(true, null);
            return switch (s.statusCode()) {
                case 404 -> new FuseException(Errno.ENOENT);
                case 403 -> {
                    if (credentialsLogged.compareAndSet(false, true)) {
                        LOG.log(System.Logger.Level.ERROR, "s3fs: " + options + ": " + credentialsHint(s));
                    }
                    yield new FuseException(Errno.EACCES, credentialsHint(s), s);
                }
                case 412 -> new FuseException(Errno.ESTALE, "the object changed since it was opened", s);
                case 409 -> new FuseException(Errno.EBUSY, errorCode(s), s);
                default -> new FuseException(Errno.EIO, s.statusCode() + " " + errorCode(s), s);
            };
        }
        if (t instanceof ApiCallTimeoutException) {
            reachable(false, t);
            return new FuseException(Errno.ETIMEDOUT, "no answer from the endpoint within "
                    + options.requestTimeout().toMillis() + " ms", t);
        }
        if (t instanceof SdkClientException) {
            reachable(false, t);
            return new FuseException(Errno.EIO, t.getMessage(), t);
        }
        return t;
    }

    private static String errorCode(S3Exception s) {
        return s.awsErrorDetails() == null ? "" : String.valueOf(s.awsErrorDetails().errorCode());
    }

    private String credentialsHint(S3Exception s) {
        String code = errorCode(s);
        if (code.equals("InvalidAccessKeyId") || code.equals("SignatureDoesNotMatch")
                || code.equals("ExpiredToken") || code.equals("InvalidToken")) {
            return "the endpoint refused the credentials (" + code + "): set AWS_ACCESS_KEY_ID and "
                    + "AWS_SECRET_ACCESS_KEY, or AWS_PROFILE for a profile in ~/.aws/credentials";
        }
        return "access denied to bucket '" + options.bucket() + "' (" + code + "): the credentials lack permission";
    }

    /** Logs once when the endpoint stops answering and once when it is back. */
    private void reachable(boolean now, Throwable why) {
        if (reachable.getAndSet(now) != now) {
            if (now) {
                LOG.log(System.Logger.Level.WARNING, "s3fs: " + options + " answers again");
            } else {
                LOG.log(System.Logger.Level.WARNING, "s3fs: " + options + " does not answer (calls fail with "
                        + "EIO until it does): " + why.getMessage());
            }
        }
    }

    private static Throwable unwrap(Throwable e) {
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** A FUSE error to throw from inside a stage's function (FuseException itself is checked). */
    private static CompletionException fail(Errno errno) {
        return new CompletionException(new FuseException(errno));
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    private static <T> CompletableFuture<T> failed(Errno errno) {
        return CompletableFuture.failedFuture(new FuseException(errno));
    }

    private static <T> CompletableFuture<T> failed(Errno errno, String why) {
        return CompletableFuture.failedFuture(new FuseException(errno, why));
    }

    /** Waits for a stage in a test or the command line's probe; never called on a reader thread. */
    static <T> T await(CompletableFuture<T> f, Duration limit) throws IOException {
        try {
            return f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (ExecutionException e) {
            Throwable c = unwrap(e);
            throw c instanceof IOException io ? io : new IOException(c.getMessage(), c);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("no answer within " + limit, e);
        }
    }
}
