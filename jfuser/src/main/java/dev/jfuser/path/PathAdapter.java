package dev.jfuser.path;

import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Names;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves a {@link PathFilesystem} to the kernel: a {@link Filesystem} that keeps the node table the kernel's
 * node ids refer to and turns each request into a call with a path.
 *
 * <p>What it keeps, per node: its links (parent node and name; several for a hard-linked file), the kernel's
 * lookup count, the open handles, and its path, computed from the links and cached until a rename or unlink
 * makes it stale. Directories being renamed are rare, so a request's path is almost always one read of a cached
 * string. No lock is held while the filesystem's methods run and none is shared by all requests: the tables are
 * concurrent maps, a node's lookup count and links are guarded by that node alone, and the kernel already
 * serialises the changes of one directory's names (it holds the directory's inode lock over lookup, create,
 * unlink and rename in it).
 *
 * <p>What it does that libfuse's path API does not: an unlinked file that is still open is not renamed to a
 * hidden {@code .fuse_hidden} file (its handle keeps serving it, and the filesystem gets the handle with every
 * call); directory listings are served from a snapshot per open directory, so offsets stay valid while entries
 * come and go; names over 255 bytes are refused with ENAMETOOLONG before the filesystem sees them.
 */
public final class PathAdapter implements Filesystem {
    private static final int NAME_MAX = Names.NAME_MAX;
    private static final int RENAME_EXCHANGE = 2;

    private final PathFilesystem fs;
    final Duration timeout;
    final Node root = new Node(1, 0, true);
    private final ConcurrentHashMap<Long, Node> nodes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Key, Node> entries = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Node> byIno = new ConcurrentHashMap<>();
    final ConcurrentHashMap<Long, OpenDir> dirs = new ConcurrentHashMap<>();
    private final AtomicLong nextNode = new AtomicLong(2);
    final AtomicLong nextDir = new AtomicLong(1);
    /** Whether the filesystem implements flush / fsync; if not the kernel is told ENOSYS once and stops asking. */
    private final boolean flushes;
    private final boolean fsyncs;
    /** Renames under way: a call that found nothing at its path while one ran is retried at the new path. */
    final java.util.concurrent.atomic.AtomicInteger renaming = new java.util.concurrent.atomic.AtomicInteger();
    /** Bumped whenever a directory gets another name: every cached path below it may be stale. */
    private final AtomicLong dirEpoch = new AtomicLong();

    /**
     * An adapter whose answers may be cached by the kernel for one second ({@link Entry#DEFAULT_TIMEOUT}).
     *
     * @param fs the filesystem to serve
     */
    public PathAdapter(PathFilesystem fs) {
        this(fs, Entry.DEFAULT_TIMEOUT);
    }

    /**
     * An adapter whose names and attributes may be cached by the kernel for {@code timeout}.
     *
     * @param fs the filesystem to serve
     * @param timeout how long the kernel may cache names and attributes ({@link Duration#ZERO} for a filesystem
     *     that changes behind the kernel's back)
     */
    public PathAdapter(PathFilesystem fs, Duration timeout) {
        this.fs = Objects.requireNonNull(fs, "fs");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        this.flushes = overrides(fs, "flush", Request.class, String.class, long.class);
        this.fsyncs = overrides(fs, "fsync", Request.class, String.class, long.class, boolean.class);
        root.lookups = Long.MAX_VALUE / 2;
        nodes.put(1L, root);
    }

    private static boolean overrides(PathFilesystem fs, String name, Class<?>... params) {
        try {
            return fs.getClass().getMethod(name, params).getDeclaringClass() != PathFilesystem.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    /** A table for {@link AsyncPathAdapter}: the node bookkeeping alone, no filesystem behind it. */
    static PathAdapter table(Duration timeout) {
        return new PathAdapter(new PathFilesystem() { }, timeout);
    }

    /**
     * How many nodes the kernel holds now, the root included: what a test of FORGET handling looks at.
     *
     * @return the number of nodes in the table
     */
    public int nodeCount() {
        return nodes.size();
    }

    // ---- the node table ----

    record Key(long parent, String name) {}

    private record Link(Node parent, String name) {}

    private record CachedPath(long epoch, long version, String path) {}

    static final class Node {
        final long id;
        final long ino;
        final boolean dir;
        /** The link paths are made from; null once the last one is gone. */
        volatile Link link;
        /** The inode number its attributes showed last (0 before any): what listings show for it. */
        volatile long shownIno;
        /** Bumped whenever this node's own link changes. */
        volatile long version;
        volatile CachedPath cached;
        /** The path it had when its last link went away. */
        volatile String lastPath;
        // guarded by this:
        long lookups;
        boolean dead;
        /** Links of live nodes to this one: a directory stays while something below it is known. */
        final java.util.concurrent.atomic.AtomicInteger kids = new java.util.concurrent.atomic.AtomicInteger();
        List<Link> others;
        ConcurrentHashMap<Long, Integer> open;

        Node(long id, long ino, boolean dir) {
            this.id = id;
            this.ino = ino;
            this.dir = dir;
        }

        synchronized boolean acquire() {
            if (dead) {
                return false;
            }
            lookups++;
            return true;
        }

        /** Adds a link unless the node has it already; answers whether it was added. */
        synchronized boolean addLink(Link l) {
            if (dead) {
                return false;
            }
            Link primary = link;
            if (primary == null) {
                link = l;
                version++;
                return true;
            }
            if (primary.equals(l) || others != null && others.contains(l)) {
                return false;
            }
            if (others == null) {
                others = new ArrayList<>(1);
            }
            others.add(l);
            return true;
        }

        /** Removes a link; {@code lostPath} is the path it gave. Answers whether the node had it. */
        synchronized boolean removeLink(Link l, String lostPath) {
            if (l.equals(link)) {
                if (others != null && !others.isEmpty()) {
                    link = others.removeLast();
                } else {
                    lastPath = lostPath;
                    link = null;
                }
                version++;
                return true;
            }
            return others != null && others.remove(l);
        }

        /** Replaces link {@code from} by {@code to} in one step; answers 1 if it had {@code from}, | 2 if {@code to} is new. */
        synchronized int moveLink(Link from, Link to) {
            if (dead) {
                return 0;
            }
            if (from.equals(link)) {
                if (others != null && others.remove(to)) {
                    link = to;
                    version++;
                    return 1;
                }
                link = to;
                version++;
                return 3;
            }
            int r = others != null && others.remove(from) ? 1 : 0;
            return r | (addLink(to) ? 2 : 0);
        }

        /** Marks the node dead if nothing holds it; answers its links then, else null. */
        synchronized List<Link> dropIfUnheld() {
            if (dead || lookups > 0 || kids.get() > 0) {
                return null;
            }
            dead = true;
            List<Link> all = links();
            others = null;
            return all;
        }

        synchronized List<Link> links() {
            List<Link> all = new ArrayList<>(2);
            if (link != null) {
                all.add(link);
            }
            if (others != null) {
                all.addAll(others);
            }
            return all;
        }

        synchronized void opened(long fh) {
            if (open == null) {
                open = new ConcurrentHashMap<>(2);
            }
            open.merge(fh, 1, Integer::sum);
        }

        synchronized void released(long fh) {
            if (open != null) {
                open.computeIfPresent(fh, (k, n) -> n == 1 ? null : n - 1);
            }
        }

        OptionalLong anyOpen() {
            ConcurrentHashMap<Long, Integer> o = open;
            if (o == null) {
                return OptionalLong.empty();
            }
            for (Long fh : o.keySet()) {
                return OptionalLong.of(fh);
            }
            return OptionalLong.empty();
        }
    }

    static final class OpenDir {
        final long fh;
        final Node node;
        List<DirEntry> snapshot; // the kernel serialises the READDIRs of one open directory

        OpenDir(long fh, Node node) {
            this.fh = fh;
            this.node = node;
        }
    }

    Node node(long nodeId) throws FuseException {
        Node n = nodes.get(nodeId);
        if (n == null) {
            throw new FuseException(Errno.ESTALE, "node " + nodeId + " is not in the table (forgotten)");
        }
        return n;
    }

    /** The node's path: its cached string unless a rename or unlink changed it since. */
    String path(Node n) {
        if (n == root) {
            return "/";
        }
        long epoch = dirEpoch.get();
        long version = n.version;
        CachedPath c = n.cached;
        if (c != null && c.epoch == epoch && c.version == version) {
            return c.path;
        }
        Link l = n.link;
        if (l == null) {
            String last = n.lastPath;
            return last != null ? last : "/";
        }
        String p = child(path(l.parent), l.name);
        n.cached = new CachedPath(epoch, version, p);
        return p;
    }

    private interface PathCall<T> {
        T call(String path) throws IOException;
    }

    /** How often a call that found nothing is run again at its node's new path, while renames move it. */
    static final int RETRY_ATTEMPTS = 32;
    /** How long those retries (and the waits for renames in progress) may take in all. */
    static final long RETRY_NANOS = 1_000_000_000L;

    /**
     * Runs {@code call} with the node's path. A rename of the node or of a directory above it may have moved the
     * file between the path being read and the filesystem looking at it (the kernel does not serialise calls
     * through open files with renames of their directories): a call that finds nothing there is run again at the
     * node's path after the renames under way have finished, as long as that path is another ({@link
     * #RETRY_ATTEMPTS} times within {@link #RETRY_NANOS} at most).
     */
    private <T> T onPath(Node n, PathCall<T> call) throws IOException {
        String p = path(n);
        long deadline = System.nanoTime() + RETRY_NANOS;
        for (int attempt = 1; ; attempt++) {
            try {
                return call.call(p);
            } catch (FuseException | java.nio.file.NoSuchFileException e) {
                if (e instanceof FuseException f && f.errno().code() != Errno.ENOENT.code()) {
                    throw e;
                }
                while (renaming.get() > 0 && System.nanoTime() < deadline) {
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                }
                // A call that found nothing changed nothing, so it may run again where the node is now; renames
                // in a row (a directory moved back and forth) can each move it once more.
                String q = path(n);
                if (q.equals(p) || attempt == RETRY_ATTEMPTS || System.nanoTime() >= deadline) {
                    throw e;
                }
                p = q;
            }
        }
    }

    private interface VoidPathCall {
        void call(String path) throws IOException;
    }

    private void onPathVoid(Node n, VoidPathCall call) throws IOException {
        onPath(n, p -> {
            call.call(p);
            return null;
        });
    }

    static String child(String parentPath, String name) {
        return parentPath.length() == 1 ? "/" + name : parentPath + "/" + name;
    }

    static void checkName(String name) throws FuseException {
        // A char is at most 3 UTF-8 bytes (a surrogate pair is 4 bytes for 2 chars, a reserved char 1 byte).
        if (name.length() * 3 > NAME_MAX && Names.byteLength(name) > NAME_MAX) {
            throw new FuseException(Errno.ENAMETOOLONG, "a name is at most " + NAME_MAX + " bytes");
        }
    }

    /** The node {@code parent/name} with attributes {@code attr}, its lookup count raised by one. */
    Node bind(Node parent, String name, FileAttr attr) {
        long ino = attr.ino();
        boolean dir = attr.type() == FileType.DIRECTORY;
        Key key = new Key(parent.id, name);
        while (true) {
            Node n = entries.get(key);
            if (n != null && n.dir == dir && (ino == 0 || n.ino == ino)) {
                if (n.acquire()) {
                    return n;
                }
                entries.remove(key, n);
                continue;
            }
            Node m = ino != 0 ? byIno.get(ino) : null;
            if (m == null || m.dir != dir) {
                m = new Node(nextNode.getAndIncrement(), ino, dir);
                m.lookups = 1;
                nodes.put(m.id, m);
                if (ino != 0) {
                    Node raced = byIno.putIfAbsent(ino, m);
                    if (raced != null && raced.dir == dir) {
                        nodes.remove(m.id, m);
                        m = raced;
                        if (!m.acquire()) {
                            continue;
                        }
                    } else if (raced != null) {
                        byIno.put(ino, m);
                    }
                }
            } else if (!m.acquire()) {
                byIno.remove(ino, m);
                continue;
            }
            Link current = m.link;
            if (dir && current != null && !current.equals(new Link(parent, name))) {
                // A directory has one name: the filesystem moved it behind the kernel's back.
                entries.remove(new Key(current.parent.id, current.name), m);
                moveLink(m, current.parent, current.name, parent, name);
                dirEpoch.incrementAndGet();
            } else {
                addLink(m, parent, name);
            }
            Node old = entries.put(key, m);
            if (old != null && old != m) {
                removeLink(old, parent, name, child(path(parent), name));
            }
            return m;
        }
    }

    private void addLink(Node n, Node parent, String name) {
        if (n.addLink(new Link(parent, name))) {
            parent.kids.incrementAndGet();
        }
    }

    private void removeLink(Node n, Node parent, String name, String lostPath) {
        if (n.removeLink(new Link(parent, name), lostPath)) {
            parent.kids.decrementAndGet();
            drop(parent);
        }
    }

    private void moveLink(Node n, Node parent, String name, Node newParent, String newName) {
        int r = n.moveLink(new Link(parent, name), new Link(newParent, newName));
        if ((r & 2) != 0) {
            newParent.kids.incrementAndGet();
        }
        if ((r & 1) != 0) {
            parent.kids.decrementAndGet();
            drop(parent);
        }
    }

    /** Removes a node nothing holds any more (no lookups, nothing known below it), and then maybe its parents. */
    private void drop(Node n) {
        if (n == root) {
            return;
        }
        List<Link> links = n.dropIfUnheld();
        if (links == null) {
            return;
        }
        nodes.remove(n.id, n);
        if (n.ino != 0) {
            byIno.remove(n.ino, n);
        }
        for (Link l : links) {
            entries.remove(new Key(l.parent.id, l.name), n);
            l.parent.kids.decrementAndGet();
            drop(l.parent);
        }
    }

    Entry entry(Node n, FileAttr attr) {
        return new Entry(n.id, 0, withIno(attr, n), timeout, timeout);
    }

    static FileAttr withIno(FileAttr a, Node n) {
        if (a.ino() != 0) {
            if (n.shownIno != a.ino()) {
                n.shownIno = a.ino();
            }
            return a;
        }
        return new FileAttr(n.id, a.size(), a.blocks(), a.atime(), a.mtime(), a.ctime(), a.type(), a.perm(),
                a.nlink(), a.uid(), a.gid(), a.rdev(), a.blksize(), a.flags());
    }

    Node parentOf(Node n) {
        Link l = n.link;
        return l == null ? root : l.parent;
    }

    /** The name is gone from {@code parent}: the node it named loses that link. */
    void unbind(Node parent, String name, String path) {
        Node n = entries.remove(new Key(parent.id, name));
        if (n != null) {
            removeLink(n, parent, name, path);
            if (n.dir) {
                dirEpoch.incrementAndGet();
            }
        }
    }

    // ---- Filesystem ----

    @Override
    public void init(KernelConfig config) throws IOException {
        fs.init(config);
    }

    @Override
    public void destroy() {
        fs.destroy();
    }

    @Override
    public Entry lookup(Request req, long parent, String name) throws IOException {
        Node p = node(parent);
        if (name.equals(".") || name.equals("..")) {
            Node n = name.equals(".") ? p : parentOf(p);
            FileAttr a = onPath(n, path -> fs.getattr(req, path, n.anyOpen()));
            if (!n.acquire()) {
                throw new FuseException(Errno.ESTALE);
            }
            return entry(n, a);
        }
        checkName(name);
        FileAttr a = onPath(p, pp -> fs.getattr(req, child(pp, name), OptionalLong.empty()));
        return entry(bind(p, name, a), a);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        Node n = nodes.get(nodeId);
        if (n == null || n == root) {
            return;
        }
        synchronized (n) {
            n.lookups -= nlookup;
        }
        drop(n);
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
        Node n = node(nodeId);
        OptionalLong handle = fh.isPresent() ? fh : n.anyOpen();
        FileAttr a = onPath(n, path -> fs.getattr(req, path, handle));
        return new AttrReply(withIno(a, n), timeout);
    }

    @Override
    public AttrReply setattr(Request req, long nodeId, SetAttr changes) throws IOException {
        Node n = node(nodeId);
        onPathVoid(n, path -> fs.setattr(req, path, changes));
        OptionalLong handle = changes.fh().isPresent() ? changes.fh() : n.anyOpen();
        FileAttr a = onPath(n, path -> fs.getattr(req, path, handle));
        return new AttrReply(withIno(a, n), timeout);
    }

    @Override
    public String readlink(Request req, long nodeId) throws IOException {
        return onPath(node(nodeId), path -> fs.readlink(req, path));
    }

    @Override
    public Entry mknod(Request req, long parent, String name, int mode, int umask, int rdev) throws IOException {
        checkName(name);
        Node p = node(parent);
        String path = child(path(p), name);
        fs.mknod(req, path, mode, rdev);
        return created(req, p, name, path);
    }

    @Override
    public Entry mkdir(Request req, long parent, String name, int mode, int umask) throws IOException {
        checkName(name);
        Node p = node(parent);
        String path = child(path(p), name);
        fs.mkdir(req, path, mode & 07777);
        return created(req, p, name, path);
    }

    @Override
    public Entry symlink(Request req, long parent, String name, String target) throws IOException {
        checkName(name);
        Node p = node(parent);
        String path = child(path(p), name);
        fs.symlink(req, target, path);
        return created(req, p, name, path);
    }

    private Entry created(Request req, Node p, String name, String path) throws IOException {
        FileAttr a = fs.getattr(req, path, OptionalLong.empty());
        return entry(bind(p, name, a), a);
    }

    @Override
    public void unlink(Request req, long parent, String name) throws IOException {
        Node p = node(parent);
        String path = child(path(p), name);
        fs.unlink(req, path);
        unbind(p, name, path);
    }

    @Override
    public void rmdir(Request req, long parent, String name) throws IOException {
        Node p = node(parent);
        String path = child(path(p), name);
        fs.rmdir(req, path);
        unbind(p, name, path);
    }

    @Override
    public void rename(Request req, long parent, String name, long newParent, String newName, int flags)
            throws IOException {
        checkName(newName);
        Node p = node(parent);
        Node np = node(newParent);
        Key fromKey = new Key(p.id, name);
        Key toKey = new Key(np.id, newName);
        checkNotBelowItself(fromKey, np);
        String from = child(path(p), name);
        String to = child(path(np), newName);
        renaming.incrementAndGet();
        try {
            fs.rename(req, from, to, flags);
            if (!fromKey.equals(toKey)) {
                renamed(p, name, np, newName, fromKey, toKey, to, flags);
            }
        } finally {
            renaming.decrementAndGet();
        }
    }

    /** EINVAL for moving the directory {@code fromKey} names below itself. */
    void checkNotBelowItself(Key fromKey, Node np) throws FuseException {
        Node moving = entries.get(fromKey);
        if (moving != null && moving.dir) {
            for (Node up = np; up != root; up = parentOf(up)) {
                if (up == moving) {
                    throw new FuseException(Errno.EINVAL, "a directory cannot be moved below itself");
                }
            }
        }
    }

    void renamed(Node p, String name, Node np, String newName, Key fromKey, Key toKey, String to,
                         int flags) {
        Node source = entries.remove(fromKey);
        if ((flags & RENAME_EXCHANGE) != 0) {
            Node target = entries.remove(toKey);
            if (target != null) {
                moveLink(target, np, newName, p, name);
                entries.put(fromKey, target);
            }
        } else {
            Node target = entries.remove(toKey);
            if (target != null && target != source) {
                removeLink(target, np, newName, to);
            }
        }
        if (source != null) {
            moveLink(source, p, name, np, newName);
            entries.put(toKey, source);
        }
        // Paths below a renamed directory changed; a file's own version covers a file.
        if (source == null || source.dir || (flags & RENAME_EXCHANGE) != 0) {
            dirEpoch.incrementAndGet();
        }
    }

    @Override
    public Entry link(Request req, long nodeId, long newParent, String newName) throws IOException {
        checkName(newName);
        Node n = node(nodeId);
        Node np = node(newParent);
        String to = child(path(np), newName);
        fs.link(req, path(n), to);
        return created(req, np, newName, to);
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws IOException {
        Node n = node(nodeId);
        OpenReply r = onPath(n, path -> fs.open(req, path, flags));
        n.opened(r.fh());
        return r;
    }

    @Override
    public CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        checkName(name);
        Node p = node(parent);
        String path = child(path(p), name);
        OpenReply r = fs.create(req, path, mode, flags);
        FileAttr a;
        try {
            a = fs.getattr(req, path, OptionalLong.of(r.fh()));
        } catch (IOException | RuntimeException e) {
            try {
                fs.release(req, path, r.fh());
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        Node n = bind(p, name, a);
        n.opened(r.fh());
        return new CreateReply(entry(n, a), r);
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
            throws IOException {
        return onPath(node(nodeId), path -> fs.read(req, path, fh, offset, size));
    }

    @Override
    public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                     long lockOwner) throws IOException {
        int start = data.position();
        return onPath(node(nodeId), path -> fs.write(req, path, fh, offset, data.position(start)));
    }

    @Override
    public void flush(Request req, long nodeId, long fh, long lockOwner) throws IOException {
        if (!flushes) {
            // the kernel takes ENOSYS as success and sends no more FLUSH: a close costs no round trip
            throw new FuseException(Errno.ENOSYS);
        }
        onPathVoid(node(nodeId), path -> fs.flush(req, path, fh));
    }

    @Override
    public void release(Request req, long nodeId, long fh, int flags, int releaseFlags, long lockOwner)
            throws IOException {
        Node n = node(nodeId);
        n.released(fh);
        onPathVoid(n, path -> fs.release(req, path, fh));
    }

    @Override
    public void fsync(Request req, long nodeId, long fh, boolean datasync) throws IOException {
        if (!fsyncs) {
            throw new FuseException(Errno.ENOSYS); // success to the caller, and no more FSYNC
        }
        onPathVoid(node(nodeId), path -> fs.fsync(req, path, fh, datasync));
    }

    @Override
    public OpenReply opendir(Request req, long nodeId, int flags) throws IOException {
        Node n = node(nodeId);
        long userFh = onPath(n, path -> fs.opendir(req, path));
        long fh = nextDir.getAndIncrement();
        dirs.put(fh, new OpenDir(userFh, n));
        return OpenReply.of(fh);
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        OpenDir d = dirs.get(fh);
        if (d == null) {
            throw new FuseException(Errno.EBADF, "directory handle " + fh + " is not open");
        }
        Node n = d.node;
        if (offset == 0 || d.snapshot == null) {
            d.snapshot = List.copyOf(onPath(n, path -> fs.readdir(req, path, d.fh)));
        }
        fill(d, offset, listing, learnedIno(req, n), learnedIno(req, parentOf(n)));
    }

    /** Serves a listing from the open directory's snapshot, from {@code offset} on. */
    void fill(OpenDir d, long offset, DirectoryListing listing, long selfIno, long parentIno) {
        Node n = d.node;
        List<DirEntry> list = d.snapshot;
        long total = list.size() + 2L;
        for (long i = offset; i < total; i++) {
            boolean fitted;
            if (i == 0) {
                fitted = listing.add(".", selfIno, FileType.DIRECTORY, 1);
            } else if (i == 1) {
                fitted = listing.add("..", parentIno, FileType.DIRECTORY, 2);
            } else {
                DirEntry e = list.get((int) (i - 2));
                fitted = listing.add(e.name(), e.ino() != 0 ? e.ino() : inoOf(n, e.name()), e.type(), i + 1);
            }
            if (!fitted) {
                return;
            }
        }
    }

    /** The node's inode number, asking the filesystem once if no attributes of it were seen yet (the root). */
    private long learnedIno(Request req, Node n) {
        if (n.shownIno == 0 && n.ino == 0) {
            try {
                withIno(fs.getattr(req, path(n), n.anyOpen()), n);
            } catch (IOException | RuntimeException e) {
                return n.id;
            }
        }
        return inoOf(n);
    }

    static long inoOf(Node n) {
        long shown = n.shownIno;
        return shown != 0 ? shown : n.ino != 0 ? n.ino : n.id;
    }

    /** The inode number a listing shows for a name the filesystem gave none: its node's, else a stable stand-in. */
    long inoOf(Node dir, String name) {
        Node n = entries.get(new Key(dir.id, name));
        if (n != null) {
            return inoOf(n);
        }
        return (1L << 62) | ((dir.id & 0xffff_ffffL) << 24) ^ (name.hashCode() & 0xffff_ffffL);
    }

    @Override
    public void releasedir(Request req, long nodeId, long fh, int flags) throws IOException {
        OpenDir d = dirs.remove(fh);
        if (d != null) {
            fs.releasedir(req, path(d.node), d.fh);
        }
    }

    @Override
    public FsStats statfs(Request req, long nodeId) throws IOException {
        return onPath(node(nodeId), path -> fs.statfs(req, path));
    }

    @Override
    public void setxattr(Request req, long nodeId, String name, byte[] value, int flags, int setxattrFlags)
            throws IOException {
        onPathVoid(node(nodeId), path -> fs.setxattr(req, path, name, value, flags));
    }

    @Override
    public byte[] getxattr(Request req, long nodeId, String name) throws IOException {
        return onPath(node(nodeId), path -> fs.getxattr(req, path, name));
    }

    @Override
    public List<String> listxattr(Request req, long nodeId) throws IOException {
        return onPath(node(nodeId), path -> fs.listxattr(req, path));
    }

    @Override
    public void removexattr(Request req, long nodeId, String name) throws IOException {
        onPathVoid(node(nodeId), path -> fs.removexattr(req, path, name));
    }
}
