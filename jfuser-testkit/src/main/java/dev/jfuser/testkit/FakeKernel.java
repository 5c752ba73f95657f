package dev.jfuser.testkit;

import static dev.jfuser.OpenFlags.O_CREAT;
import static dev.jfuser.OpenFlags.O_RDONLY;
import static dev.jfuser.OpenFlags.O_TRUNC;
import static dev.jfuser.OpenFlags.O_WRONLY;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Names;
import dev.jfuser.Notifier;
import dev.jfuser.OpenFlags;
import dev.jfuser.SessionOptions;
import dev.jfuser.internal.session.BlockingAdapter;
import dev.jfuser.internal.session.Session;
import dev.jfuser.internal.transport.FuseChannel;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A kernel in a box: drives a {@link Filesystem} or {@link AsyncFilesystem} through jfuser's real session and
 * protocol codec over an in-memory channel. No /dev/fuse, no mount, no root.
 *
 * <pre>{@code
 * try (FakeKernel kernel = FakeKernel.start(new MyFs())) {
 *     kernel.mkdir("/docs", 0755);
 *     kernel.writeFile("/docs/a.txt", "hi".getBytes());
 *     assertEquals(2, kernel.stat("/docs/a.txt").size());
 *     assertEquals(List.of("a.txt"), kernel.list("/docs"));
 * } // close(): forgets every node, sends DESTROY, and fails if a request was unanswered or a handle left open
 * }</pre>
 *
 * <p>The path methods behave like the kernel's VFS without a dentry cache: each resolves its path with LOOKUPs from
 * the root, takes the lookup counts the replies give, and FORGETs them when the operation is done, so a filesystem
 * sees balanced lookup counts (and must cope with forgets of unlinked inodes). Failures come back as
 * {@link FuseException} with the filesystem's errno. For edge cases, {@link #request}, {@link #submit},
 * {@link #interrupt} and {@link #inject} send raw requests. Requests carry the caller identity set by
 * {@link #as(int, int)} (default uid/gid 0).
 *
 * <p>Names go on the wire as {@link Names#bytes} encodes them and come back (listings, readlink, listxattr) as
 * {@link Names#fromBytes} decodes them, as the session does. A path component may therefore carry any bytes, valid
 * UTF-8 or not: {@code kernel.mkdir("/" + Names.fromBytes(new byte[] {(byte) 0xff, (byte) 0xfe}), 0755)} sends
 * exactly the name {@code ff fe}.
 *
 * <p>Notifications: the filesystem's {@link Notifier} (the one its {@code init} got, also {@link #notifier()})
 * writes into this kernel, which records each one decoded ({@link #notifications()}) and keeps a small fake page
 * cache per node ({@link #pageCache(long, byte[])}): store writes into it, invalInode drops it, retrieve is
 * answered from it with a NOTIFY_REPLY, as the kernel does. {@link #refuseNotifications} makes notifications
 * fail with an errno, e.g. ENOENT for a node the kernel would not know:
 *
 * <pre>{@code
 * try (FakeKernel kernel = FakeKernel.start(fs)) {
 *     fs.fileChangedOnServer("/a.txt");        // the filesystem calls notifier.invalInode(node, 0, 0)
 *     assertEquals(List.of(new Notification.InvalInode(node, 0, 0)), kernel.takeNotifications());
 * }
 * }</pre>
 */
public final class FakeKernel implements AutoCloseable {
    /** Everything the 7.45 kernel offers at INIT that a userspace filesystem may ask for. */
    public static final long ALL_CAPABILITIES = 0x7ff_ffff_ffffL & ~Abi.INIT_RESERVED;
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);

    private final Channel channel = new Channel();
    private final Session session;
    /** The {@link #sync()} requests sent (opcode 0: counted by the session as an unknown opcode). */
    private final AtomicLong syncs = new AtomicLong();
    private final AtomicLong uniques = new AtomicLong(2);
    private final Map<Long, Long> lookupCounts = new ConcurrentHashMap<>();
    /** Operations answered ENOSYS that the kernel then takes as success: like the kernel, no longer sent. */
    private final Set<Opcode> notImplemented = ConcurrentHashMap.newKeySet();
    private final Map<String, String> openHandles = new ConcurrentHashMap<>();
    private final AtomicLong handleKeys = new AtomicLong();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final List<Notification> notifications = new CopyOnWriteArrayList<>();
    /** The fake page cache: what retrieve answers, what store fills and invalInode drops, by node id. */
    private final Map<Long, byte[]> pageCache = new ConcurrentHashMap<>();
    private volatile Function<Notification, Errno> notificationVerdict = n -> null;
    private volatile boolean answerRetrieves = true;
    private final int minor;
    private final Reply initReply;
    private volatile int uid;
    private volatile int gid;
    private volatile int pid = 4242;
    private boolean closed;

    private FakeKernel(AsyncFilesystem fs, int minor, long offered, SessionOptions options) throws IOException {
        this.minor = minor;
        this.session = new Session(channel, fs, options, -1);
        channel.requests.add(Wire.request(Opcode.INIT.code(), 1, 0, 0, 0, 0, new Wire().u32(Abi.KERNEL_VERSION)
                .u32(minor).u32(128 * 1024).u32((int) offered).u32((int) (offered >>> 32)).zeros(44).build()));
        CompletableFuture<Reply> init = channel.expect(1);
        session.start();
        this.initReply = get(init, 1, Opcode.INIT);
        if (!initReply.ok()) {
            throw new IOException("the filesystem refused INIT: " + initReply.errno());
        }
    }

    /**
     * Starts a fake kernel speaking FUSE 7.45 to a blocking filesystem.
     *
     * @param fs the filesystem to serve
     * @return the started kernel, INIT done
     * @throws IOException if the session cannot start (INIT failed)
     */
    public static FakeKernel start(Filesystem fs) throws IOException {
        return builder(fs).start();
    }

    /**
     * Starts a fake kernel speaking FUSE 7.45 to an asynchronous filesystem.
     *
     * @param fs the filesystem to serve
     * @return the started kernel, INIT done
     * @throws IOException if the session cannot start (INIT failed)
     */
    public static FakeKernel start(AsyncFilesystem fs) throws IOException {
        return builder(fs).start();
    }

    /**
     * A builder for a fake kernel in front of a blocking filesystem.
     *
     * @param fs the filesystem to serve
     * @return a builder with the defaults (protocol 7.45, every capability offered)
     */
    public static Builder builder(Filesystem fs) {
        return new Builder(new BlockingAdapter(fs));
    }

    /**
     * A builder for a fake kernel in front of an asynchronous filesystem.
     *
     * @param fs the filesystem to serve
     * @return a builder with the defaults (protocol 7.45, every capability offered)
     */
    public static Builder builder(AsyncFilesystem fs) {
        return new Builder(fs);
    }

    /** Chooses the protocol version and capabilities the fake kernel offers. */
    public static final class Builder {
        private final AsyncFilesystem fs;
        private int minor = Abi.KERNEL_MINOR_VERSION;
        private long offered = ALL_CAPABILITIES;
        private SessionOptions options = SessionOptions.DEFAULT.withReaderThreads(1);

        private Builder(AsyncFilesystem fs) {
            this.fs = fs;
        }

        /**
         * The protocol minor version the kernel claims (19..45).
         *
         * @param minor the protocol minor version
         * @return this builder
         */
        public Builder protocolMinor(int minor) {
            if (minor < Abi.MIN_MINOR_VERSION || minor > Abi.KERNEL_MINOR_VERSION) {
                throw new IllegalArgumentException("minor must be 19..45, got " + minor);
            }
            this.minor = minor;
            return this;
        }

        /**
         * The INIT flags the kernel offers (see {@link dev.jfuser.Capability#flag()}).
         *
         * @param flags the INIT flags, {@code flags | flags2 << 32}
         * @return this builder
         */
        public Builder offeredFlags(long flags) {
            this.offered = flags;
            return this;
        }

        /**
         * Session options (reader threads, in-flight limit, debug output).
         *
         * @param options the session options
         * @return this builder
         */
        public Builder sessionOptions(SessionOptions options) {
            this.options = options;
            return this;
        }

        /**
         * Performs INIT; fails if the filesystem's init refuses.
         *
         * @return the started kernel, INIT done
         * @throws IOException if the session cannot start (INIT failed)
         */
        public FakeKernel start() throws IOException {
            return new FakeKernel(fs, minor, offered, options);
        }
    }

    /**
     * The configuration agreed at INIT.
     *
     * @return the negotiated configuration
     */
    public KernelConfig kernelConfig() {
        return session.config();
    }

    /**
     * The session's counters, as {@link dev.jfuser.Mount#stats()} gives them for a real mount: per opcode the
     * requests answered, their errors by errno and their latencies, and the session's interrupts and
     * notifications. Lets a test check, say, that a cached path costs no second LOOKUP. The requests of
     * {@link #sync()} (which the kit sends after FORGETs) are left out.
     *
     * @return a snapshot of the counters now
     */
    public dev.jfuser.MountStats stats() {
        dev.jfuser.MountStats s = session.stats();
        return new dev.jfuser.MountStats(s.uptime(), s.transport(), s.operations(),
                Math.max(0, s.unknownOpcodes() - syncs.get()), s.inFlight(), s.parked(), s.interrupts(),
                s.notifications(), s.notificationErrors(), s.unmatchedNotifyReplies(), s.malformedRequests());
    }

    /**
     * The raw INIT reply ({@code fuse_init_out}).
     *
     * @return the reply to INIT
     */
    public Reply initReply() {
        return initReply;
    }

    /**
     * Sets the uid and gid of the caller for subsequent requests; returns this kernel.
     *
     * @param uid the user id
     * @param gid the group id
     * @return this kernel
     */
    public FakeKernel as(int uid, int gid) {
        this.uid = uid;
        this.gid = gid;
        return this;
    }

    // ---------------------------------------------------------------- raw requests

    /**
     * A fresh request id.
     *
     * @return an id no request has used
     */
    public long nextUnique() {
        return uniques.getAndAdd(2);
    }

    /**
     * Sends a request and waits for its reply (10 s at most).
     *
     * @param opcode the request's opcode
     * @param nodeId the node id the request is about
     * @param body the request body after {@code fuse_in_header}
     * @return the reply
     */
    public Reply request(Opcode opcode, long nodeId, byte[] body) {
        long u = submit(opcode.code(), nodeId, body);
        return awaitReply(u);
    }

    /**
     * Sends a request (any opcode number, known or not) without waiting; returns its unique id.
     *
     * @param opcode the request's opcode
     * @param nodeId the node id the request is about
     * @param body the request body after {@code fuse_in_header}
     * @return the request's unique id
     */
    public long submit(int opcode, long nodeId, byte[] body) {
        long u = nextUnique();
        channel.expect(u);
        channel.requests.add(Wire.request(opcode, u, nodeId, uid, gid, pid, body));
        return u;
    }

    /**
     * Waits for the reply to a submitted request.
     *
     * @param unique the request id
     * @return the reply
     */
    public Reply awaitReply(long unique) {
        return get(channel.expect(unique), unique, null);
    }

    /**
     * Sends FUSE_INTERRUPT for a request in flight.
     *
     * @param unique the request id
     */
    public void interrupt(long unique) {
        // The kernel marks an interrupt's own unique with bit 0. It gets a reply only when the filesystem asks the
        // kernel to retry it (EAGAIN: the target was not seen yet, or was already answered).
        channel.interrupts.add(unique | 1);
        channel.requests.add(Wire.request(Opcode.INTERRUPT.code(), unique | 1, 0, uid, gid, pid,
                new Wire().u64(unique).build()));
    }

    /**
     * Injects raw bytes as a request (malformed, truncated, anything); if a reply is expected, the caller can
     * {@link #awaitReply} the unique id it wrote at bytes 8..15.
     *
     * @param request the whole request, header included
     */
    public void inject(byte[] request) {
        if (request.length >= 16) {
            channel.expect(ByteBuffer.wrap(request).order(ByteOrder.LITTLE_ENDIAN).getLong(8));
        }
        channel.requests.add(request.clone());
    }

    /**
     * Sends FORGET for a node (as the kernel does when it evicts an inode).
     *
     * @param nodeId the node id the request is about
     * @param nlookup the number of lookups to drop
     */
    public void forget(long nodeId, long nlookup) {
        channel.requests.add(Wire.request(Opcode.FORGET.code(), nextUnique(), nodeId, 0, 0, 0,
                new Wire().u64(nlookup).build()));
    }

    private Reply get(CompletableFuture<Reply> f, long unique, Opcode op) {
        try {
            return f.get(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("no reply to " + (op == null ? "" : op + " ") + "request " + unique
                    + " within " + REPLY_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for request " + unique, e);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
    }

    private Reply call(Opcode op, long nodeId, byte[] body) throws FuseException {
        if (notImplemented.contains(op)) {
            return null;
        }
        Reply r = request(op, nodeId, body);
        if (!r.ok() && r.errno().equals(Errno.ENOSYS) && op.enosysMeansSuccess()) {
            // As the kernel does (fc->no_flush, no_fsync, no_fsyncdir): success now, and never sent again.
            notImplemented.add(op);
            return null;
        }
        if (!r.ok()) {
            throw new FuseException(r.errno(), op + " on node " + nodeId);
        }
        return r;
    }

    // ---------------------------------------------------------------- lookups and paths

    /** Looks up one name; the lookup count it takes is held until {@link #release}. */
    private long lookupChild(long parent, String name, List<Long> held) throws FuseException {
        Reply r = call(Opcode.LOOKUP, parent, new Wire().name(name).build());
        long node = r.body().getLong(0);
        if (node == 0) {
            throw new FuseException(Errno.ENOENT, "negative entry for " + name);
        }
        took(node, held);
        return node;
    }

    private void took(long node, List<Long> held) {
        lookupCounts.merge(node, 1L, Long::sum);
        held.add(node);
    }

    /** Forgets the lookups an operation took, as the kernel would once it drops the dentries. */
    private void release(List<Long> held) {
        Map<Long, Long> counts = new LinkedHashMap<>();
        for (long n : held) {
            counts.merge(n, 1L, Long::sum);
        }
        for (Map.Entry<Long, Long> e : counts.entrySet()) {
            lookupCounts.computeIfPresent(e.getKey(), (k, v) -> v - e.getValue() == 0 ? null : v - e.getValue());
            forget(e.getKey(), e.getValue());
        }
        if (!held.isEmpty()) {
            sync();
        }
        held.clear();
    }

    /**
     * Waits until every request sent so far has been read and the FORGETs among them handled: sends a request with
     * an opcode no protocol defines (answered ENOSYS by the session, never seen by the filesystem) and waits for its
     * reply. Exact with one reader thread, the kit's default.
     */
    public void sync() {
        syncs.incrementAndGet();
        awaitReply(submit(0, 0, new byte[0]));
    }

    private long resolve(String path, List<Long> held) throws FuseException {
        long node = Abi.ROOT_ID;
        for (String part : parts(path)) {
            node = lookupChild(node, part, held);
        }
        return node;
    }

    private static List<String> parts(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("paths are absolute within the filesystem, got '" + path + "'");
        }
        List<String> out = new ArrayList<>();
        for (String p : path.split("/")) {
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    private static String parentOf(String path) {
        List<String> p = parts(path);
        if (p.isEmpty()) {
            throw new IllegalArgumentException("the root has no parent");
        }
        return "/" + String.join("/", p.subList(0, p.size() - 1));
    }

    private static String nameOf(String path) {
        List<String> p = parts(path);
        if (p.isEmpty()) {
            throw new IllegalArgumentException("the root has no name");
        }
        return p.get(p.size() - 1);
    }

    // ---------------------------------------------------------------- metadata

    /**
     * The node id a path resolves to right now.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the node id
     * @throws FuseException with the errno the filesystem answered
     */
    public long lookup(String path) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            return resolve(path, held);
        } finally {
            release(held);
        }
    }

    /**
     * {@code stat(path)}: LOOKUPs then GETATTR.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the attributes
     * @throws FuseException with the errno the filesystem answered
     */
    public FileAttr stat(String path) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long node = resolve(path, held);
            return attr(call(Opcode.GETATTR, node, new Wire().u32(0).u32(0).u64(0).build()).body(), 16);
        } finally {
            release(held);
        }
    }

    /**
     * Whether {@code path} exists (ENOENT → false; other errors are thrown).
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return whether the path resolves
     * @throws FuseException with the errno the filesystem answered
     */
    public boolean exists(String path) throws FuseException {
        try {
            lookup(path);
            return true;
        } catch (FuseException e) {
            if (e.errno().equals(Errno.ENOENT)) {
                return false;
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------- file handles (export support)

    /**
     * A file handle as the kernel encodes one for {@code name_to_handle_at(2)} or NFS: the node id and the low 32
     * bits of the entry's generation.
     *
     * @param nodeId the node id
     * @param generation the generation the kernel keeps ({@code i_generation}, 32 bits)
     */
    public record FileHandle(long nodeId, int generation) {
    }

    /**
     * {@code name_to_handle_at(path)}: the handle of the node {@code path} resolves to now (the root's has
     * generation 0, as the kernel gives the root inode).
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the handle
     * @throws FuseException with the errno the filesystem answered
     */
    public FileHandle handle(String path) throws FuseException {
        List<String> p = parts(path);
        if (p.isEmpty()) {
            return new FileHandle(Abi.ROOT_ID, 0);
        }
        List<Long> held = new ArrayList<>();
        try {
            long parent = resolve(parentOf(path), held);
            Reply r = call(Opcode.LOOKUP, parent, new Wire().name(nameOf(path)).build());
            long node = r.body().getLong(0);
            if (node == 0) {
                throw new FuseException(Errno.ENOENT, "negative entry for " + path);
            }
            took(node, held);
            return new FileHandle(node, (int) r.body().getLong(8));
        } finally {
            release(held);
        }
    }

    /**
     * Whether the filesystem negotiated EXPORT_SUPPORT at INIT.
     *
     * @return whether EXPORT_SUPPORT was agreed
     */
    public boolean exportSupport() {
        return (initReply.body().getInt(12) & Abi.EXPORT_SUPPORT) != 0;
    }

    /**
     * {@code open_by_handle_at(handle)} once the kernel no longer caches the inode, as the kernel's
     * {@code fuse_get_dentry} does it: without export support the handle is stale; with it, a LOOKUP of "." in the
     * handle's node, whose answer must name that node (else EIO) with the handle's generation (else ESTALE); ENOENT
     * and a negative entry become ESTALE. The lookup taken is forgotten again.
     *
     * @param handle a handle as {@code name_to_handle_at(2)} made it: node id and generation
     * @return the attributes of the node the handle names
     * @throws FuseException ESTALE for a stale handle, or the filesystem's error
     */
    public FileAttr openByHandle(FileHandle handle) throws FuseException {
        return exportLookup(handle.nodeId(), ".", handle.generation()).attr();
    }

    /**
     * The parent of directory {@code nodeId} as the kernel asks when it reconnects a decoded directory handle
     * ({@code fuse_get_parent}): a LOOKUP of "..". The lookup taken is forgotten again.
     *
     * @param nodeId the directory whose parent is asked for
     * @return the parent's node id
     * @throws FuseException ESTALE without export support or when the filesystem answers ENOENT
     */
    public long lookupParent(long nodeId) throws FuseException {
        return exportLookup(nodeId, "..", null).nodeId();
    }

    private record Found(long nodeId, FileAttr attr) {
    }

    private Found exportLookup(long nodeId, String name, Integer generation) throws FuseException {
        if (!exportSupport()) {
            throw new FuseException(Errno.ESTALE, "no export support negotiated: a handle outlives no cache");
        }
        Reply r;
        try {
            r = call(Opcode.LOOKUP, nodeId, new Wire().name(name).build());
        } catch (FuseException e) {
            throw e.errno().equals(Errno.ENOENT) ? new FuseException(Errno.ESTALE, "node " + nodeId + " is gone")
                    : e;
        }
        long node = r.body().getLong(0);
        if (node == 0) {
            throw new FuseException(Errno.ESTALE, "negative entry for node " + nodeId);
        }
        List<Long> held = new ArrayList<>();
        took(node, held);
        try {
            if (generation != null && node != nodeId) {
                throw new FuseException(Errno.EIO, "LOOKUP \".\" of node " + nodeId + " answered node " + node);
            }
            if (generation != null && (int) r.body().getLong(8) != generation) {
                throw new FuseException(Errno.ESTALE, "node " + nodeId + " has generation "
                        + (int) r.body().getLong(8) + ", the handle " + generation);
            }
            return new Found(node, attr(r.body(), 40));
        } finally {
            release(held);
        }
    }

    /**
     * Creates a directory.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param mode the permission bits (and for mknod the type bits)
     * @return the new directory's attributes
     * @throws FuseException with the errno the filesystem answered
     */
    public FileAttr mkdir(String path, int mode) throws FuseException {
        return entryOp(path, Opcode.MKDIR, name -> new Wire().u32(mode).u32(022).name(name).build());
    }

    /**
     * Creates a node with mknod (a regular file, FIFO, socket or device; {@code mode} includes the type bits).
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param mode the permission bits (and for mknod the type bits)
     * @param rdev the device number of a device node, else 0
     * @return the new node's attributes
     * @throws FuseException with the errno the filesystem answered
     */
    public FileAttr mknod(String path, int mode, int rdev) throws FuseException {
        return entryOp(path, Opcode.MKNOD, name -> new Wire().u32(mode).u32(rdev).u32(022).u32(0).name(name).build());
    }

    /**
     * Creates a symbolic link at {@code path} pointing at {@code target}.
     *
     * @param target what the link points to
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the link's attributes
     * @throws FuseException with the errno the filesystem answered
     */
    public FileAttr symlink(String target, String path) throws FuseException {
        return entryOp(path, Opcode.SYMLINK, name -> new Wire().name(name).name(target).build());
    }

    /**
     * The target of a symbolic link.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the target
     * @throws FuseException with the errno the filesystem answered
     */
    public String readlink(String path) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long node = resolve(path, held);
            return Names.fromBytes(call(Opcode.READLINK, node, new byte[0]).bytes());
        } finally {
            release(held);
        }
    }

    /**
     * Creates a hard link {@code newPath} to {@code existing}.
     *
     * @param existing the path of the existing file
     * @param newPath the path of the new link
     * @return the attributes of the linked node
     * @throws FuseException with the errno the filesystem answered
     */
    public FileAttr link(String existing, String newPath) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long node = resolve(existing, held);
            long parent = resolve(parentOf(newPath), held);
            Reply r = call(Opcode.LINK, parent, new Wire().u64(node).name(nameOf(newPath)).build());
            took(r.body().getLong(0), held);
            return attr(r.body(), 40);
        } finally {
            release(held);
        }
    }

    @FunctionalInterface
    private interface Body {
        byte[] of(String name);
    }

    private FileAttr entryOp(String path, Opcode op, Body body) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long parent = resolve(parentOf(path), held);
            Reply r = call(op, parent, body.of(nameOf(path)));
            took(r.body().getLong(0), held);
            return attr(r.body(), 40);
        } finally {
            release(held);
        }
    }

    /**
     * Removes a file.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @throws FuseException with the errno the filesystem answered
     */
    public void unlink(String path) throws FuseException {
        nameOp(path, Opcode.UNLINK);
    }

    /**
     * Removes an empty directory.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @throws FuseException with the errno the filesystem answered
     */
    public void rmdir(String path) throws FuseException {
        nameOp(path, Opcode.RMDIR);
    }

    private void nameOp(String path, Opcode op) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long parent = resolve(parentOf(path), held);
            call(op, parent, new Wire().name(nameOf(path)).build());
        } finally {
            release(held);
        }
    }

    /**
     * Renames {@code from} to {@code to}.
     *
     * @param from the current path
     * @param to the new path
     * @throws FuseException with the errno the filesystem answered
     */
    public void rename(String from, String to) throws FuseException {
        rename(from, to, 0);
    }

    /**
     * Renames with {@code renameat2} flags (RENAME_NOREPLACE 1, RENAME_EXCHANGE 2), sent as RENAME2.
     *
     * @param from the current path
     * @param to the new path
     * @param flags the {@code renameat2} flags
     * @throws FuseException with the errno the filesystem answered
     */
    public void rename(String from, String to, int flags) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long oldParent = resolve(parentOf(from), held);
            long newParent = resolve(parentOf(to), held);
            call(Opcode.RENAME2, oldParent, new Wire().u64(newParent).u32(flags).u32(0).name(nameOf(from))
                    .name(nameOf(to)).build());
        } finally {
            release(held);
        }
    }

    /**
     * Changes permission bits.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param mode the permission bits (and for mknod the type bits)
     * @return the attributes after the change
     * @throws FuseException with the errno the filesystem answered
     */
    public FileAttr chmod(String path, int mode) throws FuseException {
        return setattr(path, Abi.FATTR_MODE, 0, mode, 0, 0, null, null);
    }

    /**
     * Changes owner and group.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param uid the user id
     * @param gid the group id
     * @return the attributes after the change
     * @throws FuseException with the errno the filesystem answered
     */
    public FileAttr chown(String path, int uid, int gid) throws FuseException {
        return setattr(path, Abi.FATTR_UID | Abi.FATTR_GID, 0, 0, uid, gid, null, null);
    }

    /**
     * Truncates or extends a file.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param size the size in bytes
     * @return the attributes after the change
     * @throws FuseException with the errno the filesystem answered
     */
    public FileAttr truncate(String path, long size) throws FuseException {
        return setattr(path, Abi.FATTR_SIZE, size, 0, 0, 0, null, null);
    }

    /**
     * Sets access and modification times.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param atime the new access time
     * @param mtime the new modification time
     * @return the attributes after the change
     * @throws FuseException with the errno the filesystem answered
     */
    public FileAttr utimens(String path, Instant atime, Instant mtime) throws FuseException {
        return setattr(path, Abi.FATTR_ATIME | Abi.FATTR_MTIME, 0, 0, 0, 0, atime, mtime);
    }

    private FileAttr setattr(String path, int valid, long size, int mode, int uid, int gid, Instant atime,
                             Instant mtime) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long node = resolve(path, held);
            Wire w = new Wire().u32(valid).u32(0).u64(0).u64(size).u64(0)
                    .u64(atime == null ? 0 : atime.getEpochSecond()).u64(mtime == null ? 0 : mtime.getEpochSecond())
                    .u64(0).u32(atime == null ? 0 : atime.getNano()).u32(mtime == null ? 0 : mtime.getNano()).u32(0)
                    .u32(mode).u32(0).u32(uid).u32(gid).u32(0);
            return attr(call(Opcode.SETATTR, node, w.build()).body(), 16);
        } finally {
            release(held);
        }
    }

    /**
     * Filesystem statistics.
     *
     * @return the statistics
     * @throws FuseException with the errno the filesystem answered
     */
    public FsStats statfs() throws FuseException {
        ByteBuffer b = call(Opcode.STATFS, Abi.ROOT_ID, new byte[0]).body();
        return new FsStats(b.getLong(0), b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32), b.getInt(40),
                b.getInt(44), b.getInt(48));
    }

    // ---------------------------------------------------------------- xattrs

    /**
     * Sets an extended attribute ({@code flags}: XATTR_CREATE 1, XATTR_REPLACE 2).
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param name the attribute name, such as {@code "user.x"}
     * @param value the attribute value
     * @param flags {@code XATTR_CREATE} 1, {@code XATTR_REPLACE} 2, or 0
     * @throws FuseException with the errno the filesystem answered
     */
    public void setxattr(String path, String name, byte[] value, int flags) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long node = resolve(path, held);
            Wire w = new Wire().u32(value.length).u32(flags);
            if (session.config().isEnabled(dev.jfuser.Capability.SETXATTR_EXT)) {
                w.u32(0).u32(0);
            }
            call(Opcode.SETXATTR, node, w.name(name).bytes(value).build());
        } finally {
            release(held);
        }
    }

    /**
     * An extended attribute's value: probes its size first, then reads it, as {@code getfattr} does.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param name the attribute name, such as {@code "user.x"}
     * @return the value
     * @throws FuseException with the errno the filesystem answered
     */
    public byte[] getxattr(String path, String name) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long node = resolve(path, held);
            int size = call(Opcode.GETXATTR, node, new Wire().u32(0).u32(0).name(name).build()).body().getInt(0);
            if (size == 0) {
                return new byte[0];
            }
            return call(Opcode.GETXATTR, node, new Wire().u32(size).u32(0).name(name).build()).bytes();
        } finally {
            release(held);
        }
    }

    /**
     * The names of the extended attributes of a node.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the names
     * @throws FuseException with the errno the filesystem answered
     */
    public List<String> listxattr(String path) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long node = resolve(path, held);
            int size = call(Opcode.LISTXATTR, node, new Wire().u32(0).u32(0).build()).body().getInt(0);
            List<String> names = new ArrayList<>();
            if (size == 0) {
                return names;
            }
            byte[] list = call(Opcode.LISTXATTR, node, new Wire().u32(size).u32(0).build()).bytes();
            int start = 0;
            for (int i = 0; i < list.length; i++) {
                if (list[i] == 0) {
                    names.add(Names.fromBytes(list, start, i - start));
                    start = i + 1;
                }
            }
            return names;
        } finally {
            release(held);
        }
    }

    /**
     * Removes an extended attribute.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param name the attribute name, such as {@code "user.x"}
     * @throws FuseException with the errno the filesystem answered
     */
    public void removexattr(String path, String name) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            call(Opcode.REMOVEXATTR, resolve(path, held), new Wire().name(name).build());
        } finally {
            release(held);
        }
    }

    // ---------------------------------------------------------------- directories

    /**
     * The names in a directory, without "." and "..", read with READDIR in chunks of {@code 4096} bytes.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the names, in the filesystem's order
     * @throws FuseException with the errno the filesystem answered
     */
    public List<String> list(String path) throws FuseException {
        List<String> names = new ArrayList<>();
        for (DirEntry e : readdir(path, false, 4096)) {
            if (!e.name().equals(".") && !e.name().equals("..")) {
                names.add(e.name());
            }
        }
        return names;
    }

    /**
     * One entry of a directory listing; {@code attr} is set for READDIRPLUS entries that carried attributes.
     *
     * @param name the entry's name, as the filesystem listed it
     * @param ino the inode number it reported ({@code d_ino})
     * @param type the file type it reported ({@code d_type})
     * @param nextOffset the offset a listing resumes at after this entry
     * @param nodeId the node id of a READDIRPLUS entry with attributes (a lookup count the kernel took), else 0
     * @param attr the attributes of such an entry, else null
     */
    public record DirEntry(String name, long ino, FileType type, long nextOffset, long nodeId, FileAttr attr) {
    }

    /**
     * Reads a whole directory with OPENDIR, READDIR or READDIRPLUS until an empty chunk, RELEASEDIR. Lookup
     * counts READDIRPLUS hands out are forgotten afterwards.
     *
     * <p>A listing that would make the kernel loop fails fast instead of hanging the test: if the filesystem gives
     * a next offset that was requested already (offsets that never advance, or go back to 0), or lists a name
     * twice, this throws an {@link AssertionError} naming the entry and the offsets.
     *
     * @param chunk the buffer size per request (the kernel uses 4 KiB pages; small values test offsets)
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param plus whether to read with READDIRPLUS
     * @return the entries, in the filesystem's order
     * @throws FuseException with the errno the filesystem answered
     * @throws AssertionError if the listing repeats an offset or a name, as above
     */
    public List<DirEntry> readdir(String path, boolean plus, int chunk) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long node = resolve(path, held);
            long fh = call(Opcode.OPENDIR, node, new Wire().u32(0).u32(0).build()).body().getLong(0);
            String key = trackOpen("dir " + path);
            List<DirEntry> out = new ArrayList<>();
            // What makes a kernel's listing loop or repeat: an offset asked for twice, a name listed twice.
            Set<Long> requested = new java.util.HashSet<>();
            Map<String, Long> listedAt = new java.util.HashMap<>();
            try {
                long offset = 0;
                String lastName = null;
                while (true) {
                    if (!requested.add(offset)) {
                        throw new AssertionError("readdir of " + path + " never ends: entry '" + lastName
                                + "' gives the next offset " + offset + ", which was asked for already; the kernel "
                                + "would list the same entries forever. Give every entry the offset of the entry "
                                + "after it, never reused (DirectoryListing.fill does this for a list)");
                    }
                    Reply r = call(plus ? Opcode.READDIRPLUS : Opcode.READDIR, node,
                            new Wire().u64(fh).u64(offset).u32(chunk).u32(0).u64(0).u32(0).u32(0).build());
                    ByteBuffer b = r.body();
                    if (!b.hasRemaining()) {
                        break;
                    }
                    while (b.remaining() > 0) {
                        int p = b.position();
                        long entryNode = 0;
                        FileAttr attr = null;
                        if (plus) {
                            entryNode = b.getLong(p);
                            attr = entryNode == 0 ? null : attr(b, p + 40);
                            p += Abi.ENTRY_OUT_SIZE;
                        }
                        long ino = b.getLong(p);
                        long next = b.getLong(p + 8);
                        int nameLen = b.getInt(p + 16);
                        int type = b.getInt(p + 20);
                        byte[] name = new byte[nameLen];
                        b.get(p + 24, name);
                        String n = Names.fromBytes(name);
                        if (plus && entryNode != 0 && !n.equals(".") && !n.equals("..")) {
                            took(entryNode, held);
                        }
                        Long first = listedAt.putIfAbsent(n, offset);
                        if (first != null) {
                            throw new AssertionError("readdir of " + path + " listed '" + n + "' twice: in the "
                                    + "page at offset " + first + " and again in the page at offset " + offset
                                    + " (its next offset " + next + "); a listing whose offsets do not advance "
                                    + "past the entries sent repeats them, or never ends");
                        }
                        out.add(new DirEntry(n, ino, direntType(type), next, entryNode, attr));
                        b.position(((p + 24 + nameLen) + 7) & ~7);
                        offset = next;
                        lastName = n;
                    }
                }
            } finally {
                call(Opcode.RELEASEDIR, node, new Wire().u64(fh).u32(0).u32(0).u64(0).build());
                openHandles.remove(key);
            }
            return out;
        } finally {
            release(held);
        }
    }

    private static FileType direntType(int dt) {
        for (FileType t : FileType.values()) {
            if (t.direntType() == dt) {
                return t;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- files

    /** An open file: read, write, fsync, and close (FLUSH + RELEASE). Close it, or {@link #close()} fails. */
    public final class OpenFile implements AutoCloseable {
        private final List<Long> held;
        private final long node;
        private final long fh;
        private final int flags;
        private final String key;
        private boolean closed;

        private OpenFile(List<Long> held, long node, long fh, int flags, String key) {
            this.held = held;
            this.node = node;
            this.fh = fh;
            this.flags = flags;
            this.key = key;
        }

        /**
         * The node id of the file.
         *
         * @return the node id
         */
        public long nodeId() {
            return node;
        }

        /**
         * Reads up to {@code size} bytes at {@code offset}.
         *
         * @param offset the file offset
         * @param size the size in bytes
         * @return the bytes read; fewer than asked at end of file
         * @throws FuseException with the errno the filesystem answered
         */
        public byte[] read(long offset, int size) throws FuseException {
            return call(Opcode.READ, node, new Wire().u64(fh).u64(offset).u32(size).u32(0).u64(0).u32(flags).u32(0)
                    .build()).bytes();
        }

        /**
         * Writes {@code data} at {@code offset}; returns the count the filesystem reports.
         *
         * @param offset the file offset
         * @param data the bytes to write
         * @return the byte count
         * @throws FuseException with the errno the filesystem answered
         */
        public int write(long offset, byte[] data) throws FuseException {
            return call(Opcode.WRITE, node, new Wire().u64(fh).u64(offset).u32(data.length).u32(0).u64(0).u32(flags)
                    .u32(0).bytes(data).build()).body().getInt(0);
        }

        /**
         * Flushes the file's data.
         *
         * @throws FuseException with the errno the filesystem answered
         */
        public void fsync() throws FuseException {
            call(Opcode.FSYNC, node, new Wire().u64(fh).u32(0).u32(0).build());
        }

        /**
         * The attributes through this open file.
         *
         * @return the attributes
         * @throws FuseException with the errno the filesystem answered
         */
        public FileAttr stat() throws FuseException {
            return attr(call(Opcode.GETATTR, node, new Wire().u32(Abi.GETATTR_FH).u32(0).u64(fh).build()).body(), 16);
        }

        @Override
        public void close() throws FuseException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                call(Opcode.FLUSH, node, new Wire().u64(fh).u32(0).u32(0).u64(0).build());
            } finally {
                call(Opcode.RELEASE, node, new Wire().u64(fh).u32(flags).u32(0).u64(0).build());
                openHandles.remove(key);
                release(held);
            }
        }
    }

    /**
     * Opens an existing file (the {@code open(2)} flags of {@link OpenFlags}).
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param flags the {@code open(2)} flags
     * @return the open file
     * @throws FuseException with the errno the filesystem answered
     */
    public OpenFile open(String path, int flags) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long node = resolve(path, held);
            long fh = call(Opcode.OPEN, node, new Wire().u32(flags).u32(0).build()).body().getLong(0);
            return new OpenFile(held, node, fh, flags, trackOpen("file " + path));
        } catch (FuseException | RuntimeException e) {
            release(held);
            throw e;
        }
    }

    /**
     * Creates and opens a file with CREATE. If the filesystem does not implement create (ENOSYS), falls back to
     * MKNOD + OPEN as the kernel does.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param mode the permission bits
     * @param flags the {@code open(2)} flags
     * @return the open file
     * @throws FuseException with the errno the filesystem answered
     */
    public OpenFile create(String path, int mode, int flags) throws FuseException {
        List<Long> held = new ArrayList<>();
        try {
            long parent = resolve(parentOf(path), held);
            Reply r = request(Opcode.CREATE, parent, new Wire().u32(flags | O_CREAT).u32(FileType.REGULAR_FILE
                    .modeBits() | mode).u32(022).u32(0).name(nameOf(path)).build());
            if (!r.ok() && r.errno().equals(Errno.ENOSYS)) {
                Reply m = call(Opcode.MKNOD, parent, new Wire().u32(FileType.REGULAR_FILE.modeBits() | mode).u32(0)
                        .u32(022).u32(0).name(nameOf(path)).build());
                long node = m.body().getLong(0);
                took(node, held);
                long fh = call(Opcode.OPEN, node, new Wire().u32(flags).u32(0).build()).body().getLong(0);
                return new OpenFile(held, node, fh, flags, trackOpen("file " + path));
            }
            if (!r.ok()) {
                throw new FuseException(r.errno(), "CREATE " + path);
            }
            long node = r.body().getLong(0);
            took(node, held);
            int entrySize = Abi.ENTRY_OUT_SIZE;
            long fh = r.body().getLong(entrySize);
            return new OpenFile(held, node, fh, flags, trackOpen("file " + path));
        } catch (FuseException | RuntimeException e) {
            release(held);
            throw e;
        }
    }

    /**
     * Writes a whole file (created if missing, truncated if present) in chunks of up to 128 KiB.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param content the whole content
     * @throws FuseException with the errno the filesystem answered
     */
    public void writeFile(String path, byte[] content) throws FuseException {
        OpenFile f;
        if (exists(path)) {
            truncate(path, 0);
            f = open(path, O_WRONLY | O_TRUNC);
        } else {
            f = create(path, 0644, O_WRONLY);
        }
        try (OpenFile file = f) {
            int chunk = 128 * 1024;
            for (int off = 0; off < content.length; off += chunk) {
                byte[] part = java.util.Arrays.copyOfRange(content, off, Math.min(content.length, off + chunk));
                int n = file.write(off, part);
                if (n != part.length) {
                    throw new FuseException(Errno.EIO, "short write at " + off + ": " + n + " of " + part.length);
                }
            }
        }
    }

    /**
     * Reads a whole file.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the content
     * @throws FuseException with the errno the filesystem answered
     */
    public byte[] readFile(String path) throws FuseException {
        try (OpenFile f = open(path, O_RDONLY)) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            long offset = 0;
            while (true) {
                byte[] b = f.read(offset, 128 * 1024);
                if (b.length == 0) {
                    return out.toByteArray();
                }
                out.writeBytes(b);
                offset += b.length;
            }
        }
    }

    private String trackOpen(String what) {
        String key = what + " #" + handleKeys.incrementAndGet();
        openHandles.put(key, what);
        return key;
    }

    // ---------------------------------------------------------------- attributes

    private static FileAttr attr(ByteBuffer b, int p) {
        int mode = b.getInt(p + 60);
        return new FileAttr(b.getLong(p), b.getLong(p + 8), b.getLong(p + 16),
                Instant.ofEpochSecond(b.getLong(p + 24), b.getInt(p + 48)),
                Instant.ofEpochSecond(b.getLong(p + 32), b.getInt(p + 52)),
                Instant.ofEpochSecond(b.getLong(p + 40), b.getInt(p + 56)),
                FileType.fromMode(mode), mode & 07777, b.getInt(p + 64), b.getInt(p + 68), b.getInt(p + 72),
                b.getInt(p + 76), b.getInt(p + 80), b.getInt(p + 84));
    }

    // ---------------------------------------------------------------- notifications

    /**
     * The notifier of the session: the one the filesystem's init received.
     *
     * @return the same notifier the filesystem was handed in {@code init}
     */
    public Notifier notifier() {
        return session.notifier();
    }

    /**
     * Every notification the filesystem sent so far, oldest first (also those refused).
     *
     * @return a copy of the notifications recorded, oldest first
     */
    public List<Notification> notifications() {
        return List.copyOf(notifications);
    }

    /**
     * The notifications sent so far, oldest first, and forgets them.
     *
     * @return the notifications recorded since the last take, oldest first
     */
    public List<Notification> takeNotifications() {
        synchronized (notifications) {
            List<Notification> taken = List.copyOf(notifications);
            notifications.clear();
            return taken;
        }
    }

    /**
     * Decides how this kernel answers each notification: {@code verdict} returns the errno to fail it with (the
     * filesystem's notifier then throws a {@link FuseException} with it), or null to apply it. The default applies
     * everything.
     *
     * @param verdict the errno for each notification, or null to apply it; null as the function applies everything
     * @return this kernel, for chaining
     */
    public FakeKernel refuseNotifications(Function<Notification, Errno> verdict) {
        this.notificationVerdict = verdict == null ? n -> null : verdict;
        return this;
    }

    /**
     * Whether retrieves are answered (default true). With false they are recorded and never answered, like a
     * kernel that went away before its NOTIFY_REPLY: for testing what a filesystem does with a pending retrieve.
     *
     * @param answer whether retrieves are answered with a NOTIFY_REPLY
     * @return this kernel, for chaining
     */
    public FakeKernel answerRetrieves(boolean answer) {
        this.answerRetrieves = answer;
        return this;
    }

    /**
     * Sets what this kernel has cached of {@code node}'s data, from offset 0 (null: nothing).
     *
     * @param node the node whose cached data is set
     * @param content the bytes cached from offset 0 (copied), or null to drop them
     * @return this kernel, for chaining
     */
    public FakeKernel pageCache(long node, byte[] content) {
        if (content == null) {
            pageCache.remove(node);
        } else {
            pageCache.put(node, content.clone());
        }
        return this;
    }

    /**
     * What this kernel has cached of {@code node}'s data, from offset 0 (null: nothing).
     *
     * @param node the node asked about
     * @return a copy of the cached bytes, or null if none
     */
    public byte[] pageCache(long node) {
        byte[] c = pageCache.get(node);
        return c == null ? null : c.clone();
    }

    /** Decodes, records and applies one notification; returns the errno it fails with, or 0. */
    private int notification(byte[] all) {
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int code = b.getInt(4);
        int body = all.length - Abi.OUT_HEADER_SIZE;
        int p = Abi.OUT_HEADER_SIZE;
        Notification n;
        try {
            n = switch (code) {
                case Abi.NOTIFY_INVAL_INODE -> {
                    exactly(body, 24, "INVAL_INODE");
                    yield new Notification.InvalInode(b.getLong(p), b.getLong(p + 8), b.getLong(p + 16));
                }
                case Abi.NOTIFY_INVAL_ENTRY -> {
                    int flags = b.getInt(p + 12);
                    if ((flags & ~Abi.EXPIRE_ONLY) != 0) {
                        throw new IllegalArgumentException("INVAL_ENTRY with unknown flags 0x"
                                + Integer.toHexString(flags));
                    }
                    yield new Notification.InvalEntry(b.getLong(p), name(all, p + 16, b.getInt(p + 8), body - 16),
                            flags != 0);
                }
                case Abi.NOTIFY_DELETE -> new Notification.Delete(b.getLong(p), b.getLong(p + 8),
                        name(all, p + 24, b.getInt(p + 16), body - 24));
                case Abi.NOTIFY_STORE -> {
                    int size = b.getInt(p + 16);
                    exactly(body, 24 + size, "STORE");
                    yield new Notification.Store(b.getLong(p), b.getLong(p + 8),
                            java.util.Arrays.copyOfRange(all, p + 24, p + 24 + size));
                }
                case Abi.NOTIFY_RETRIEVE -> {
                    exactly(body, 32, "RETRIEVE");
                    yield new Notification.Retrieve(b.getLong(p + 8), b.getLong(p + 16), b.getInt(p + 24),
                            b.getLong(p));
                }
                case Abi.NOTIFY_POLL -> {
                    exactly(body, 8, "POLL");
                    yield new Notification.PollWakeup(b.getLong(p));
                }
                case Abi.NOTIFY_RESEND -> {
                    exactly(body, 0, "RESEND");
                    yield new Notification.Resend();
                }
                case Abi.NOTIFY_INC_EPOCH -> {
                    exactly(body, 0, "INC_EPOCH");
                    yield new Notification.IncEpoch();
                }
                case Abi.NOTIFY_PRUNE -> {
                    int count = b.getInt(p);
                    exactly(body, 16 + 8 * count, "PRUNE");
                    List<Long> nodes = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        nodes.add(b.getLong(p + 16 + 8 * i));
                    }
                    yield new Notification.Prune(List.copyOf(nodes));
                }
                default -> throw new IllegalArgumentException("unknown notify code " + code);
            };
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            violations.add("malformed notification (code " + code + ", " + all.length + " bytes): " + e.getMessage());
            return Errno.EINVAL.code();
        }
        synchronized (notifications) {
            notifications.add(n);
        }
        Errno refused = notificationVerdict.apply(n);
        if (refused != null) {
            return refused.code();
        }
        switch (n) {
            case Notification.InvalInode i when i.offset() >= 0 -> pageCache.remove(i.node());
            case Notification.Store st -> pageCache.compute(st.node(), (k, old) -> {
                byte[] now = old == null ? new byte[0] : old;
                long end = st.offset() + st.data().length;
                byte[] grown = now.length >= end ? now.clone() : java.util.Arrays.copyOf(now, (int) end);
                System.arraycopy(st.data(), 0, grown, (int) st.offset(), st.data().length);
                return grown;
            });
            case Notification.Retrieve r when answerRetrieves -> answerRetrieve(r);
            default -> { }
        }
        return 0;
    }

    /**
     * Sends a NOTIFY_REPLY as the kernel does to answer a retrieve ({@code unique} is the retrieve's notify_unique),
     * e.g. to test a late or unexpected answer; it expects no reply.
     *
     * @param unique the notify_unique of the retrieve being answered (or any value, to test a stray answer)
     * @param node the node the data belongs to
     * @param offset the file offset of the first byte
     * @param data the cached bytes sent back
     */
    public void notifyReply(long unique, long node, long offset, byte[] data) {
        byte[] body = new Wire().u64(0).u64(offset).u32(data.length).u32(0).u64(0).u64(0).bytes(data).build();
        channel.requests.add(Wire.request(Opcode.NOTIFY_REPLY.code(), unique, node, 0, 0, 0, body));
    }

    /** The kernel's NOTIFY_REPLY: the cached bytes from the offset, at most size (none when nothing is cached). */
    private void answerRetrieve(Notification.Retrieve r) {
        byte[] cached = pageCache.getOrDefault(r.node(), new byte[0]);
        int from = (int) Math.min(r.offset(), cached.length);
        int to = (int) Math.min(cached.length, r.offset() + Integer.toUnsignedLong(r.size()));
        notifyReply(r.notifyUnique(), r.node(), r.offset(), java.util.Arrays.copyOfRange(cached, from,
                Math.max(from, to)));
    }

    private static void exactly(int body, int expected, String what) {
        if (body != expected) {
            throw new IllegalArgumentException(what + " body of " + body + " bytes, expected " + expected);
        }
    }

    private static String name(byte[] all, int at, int length, int room) {
        if (length <= 0 || length + 1 != room || all[at + length] != 0) {
            throw new IllegalArgumentException("name of length " + length + " in " + room + " bytes is not"
                    + " NUL-terminated exactly");
        }
        return Names.fromBytes(all, at, length);
    }

    // ---------------------------------------------------------------- teardown and checks

    /**
     * Lookup counts the fake kernel currently holds, by node id (empty between operations).
     *
     * @return a snapshot of the counts
     */
    public Map<Long, Long> lookupCounts() {
        return Map.copyOf(lookupCounts);
    }

    /**
     * Problems seen so far: duplicate replies, replies to unknown requests.
     *
     * @return the problems, empty when none
     */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    /**
     * The protocol minor version the kernel claimed.
     *
     * @return this builder
     */
    public int protocolMinor() {
        return minor;
    }

    /**
     * Ends the session like an unmount: forgets every node still held, sends DESTROY, waits for the session to end,
     * and then fails with an {@link AssertionError} listing every problem seen: requests never answered, requests
     * answered twice, and files or directories left open.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<String> problems = new ArrayList<>();
        for (String open : openHandles.values()) {
            problems.add("left open: " + open + " (close every OpenFile)");
        }
        for (Map.Entry<Long, Long> e : Map.copyOf(lookupCounts).entrySet()) {
            forget(e.getKey(), e.getValue());
        }
        lookupCounts.clear();
        long destroy = nextUnique();
        CompletableFuture<Reply> destroyed = channel.expect(destroy);
        channel.requests.add(Wire.request(Opcode.DESTROY.code(), destroy, 0, 0, 0, 0, new byte[0]));
        try {
            destroyed.get(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            session.terminated().get(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            problems.add("the session did not end after DESTROY: " + e);
        }
        channel.end();
        for (Map.Entry<Long, CompletableFuture<Reply>> e : channel.replies.entrySet()) {
            if (!e.getValue().isDone() && e.getKey() != destroy) {
                problems.add("request " + e.getKey() + " was never answered");
            }
        }
        problems.addAll(violations);
        if (!problems.isEmpty()) {
            throw new AssertionError("fake kernel teardown found problems:\n  " + String.join("\n  ", problems));
        }
    }

    /** The in-memory device: requests queued by the test, replies captured by unique id. */
    private final class Channel implements FuseChannel {
        private static final byte[] END = new byte[0];
        final BlockingQueue<byte[]> requests = new LinkedBlockingQueue<>();
        final ConcurrentHashMap<Long, CompletableFuture<Reply>> replies = new ConcurrentHashMap<>();
        final java.util.Set<Long> interrupts = ConcurrentHashMap.newKeySet();
        private volatile boolean ended;

        CompletableFuture<Reply> expect(long unique) {
            return replies.computeIfAbsent(unique, u -> new CompletableFuture<>());
        }

        void end() {
            ended = true;
            requests.add(END);
        }

        @Override
        public int receive(MemorySegment buffer) throws IOException {
            if (ended) {
                return -1;
            }
            try {
                byte[] r = requests.take();
                if (r == END) {
                    requests.add(END);
                    return -1;
                }
                MemorySegment.copy(MemorySegment.ofArray(r), 0, buffer, 0, r.length);
                return r.length;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        @Override
        public void send(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload,
                         long payloadLength) {
            int total = (int) (headLength + (payload == null ? 0 : payloadLength));
            byte[] all = new byte[total];
            MemorySegment.copy(head, ValueLayout.JAVA_BYTE, 0, all, 0, (int) headLength);
            if (payload != null && payloadLength > 0) {
                MemorySegment.copy(payload, ValueLayout.JAVA_BYTE, 0, all, (int) headLength, (int) payloadLength);
            }
            ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
            int len = b.getInt(0);
            long unique = b.getLong(8);
            if (len != total) {
                violations.add("reply to " + unique + " says " + len + " bytes but " + total + " were written");
            }
            if (unique == 0) {
                violations.add("a notification (code " + b.getInt(4) + ") written as a reply, not through notify");
                return;
            }
            Reply reply = new Reply(unique, b.getInt(4), b.slice(16, total - 16));
            CompletableFuture<Reply> f = replies.get(unique);
            if (f == null && interrupts.contains(unique)) {
                return; // EAGAIN for an interrupt: the kernel would requeue it; the test needs nothing
            }
            if (f == null) {
                violations.add("reply to request " + unique + ", which was never sent");
            } else if (!f.complete(reply)) {
                violations.add("request " + unique + " was answered twice");
            }
        }

        @Override
        public int notify(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload,
                          long payloadLength) {
            if (ended) {
                return Errno.ENODEV.code();
            }
            int total = (int) (headLength + (payload == null ? 0 : payloadLength));
            byte[] all = new byte[total];
            MemorySegment.copy(head, ValueLayout.JAVA_BYTE, 0, all, 0, (int) headLength);
            if (payload != null && payloadLength > 0) {
                MemorySegment.copy(payload, ValueLayout.JAVA_BYTE, 0, all, (int) headLength, (int) payloadLength);
            }
            ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
            if (b.getInt(0) != total || b.getLong(8) != 0) {
                violations.add("notification header says " + b.getInt(0) + " bytes and unique " + b.getLong(8)
                        + "; " + total + " bytes were written");
                return Errno.EINVAL.code();
            }
            return notification(all);
        }

        @Override
        public FuseChannel cloneChannel() {
            return this;
        }

        @Override
        public void wakeup() {
            end();
        }

        @Override
        public void close() {
        }
    }
}
