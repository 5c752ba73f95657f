package dev.jfuser.examples.memfs;

import static dev.jfuser.examples.memfs.Node.CHUNK;
import static dev.jfuser.examples.memfs.Node.RESERVED;

import dev.jfuser.AttrReply;
import dev.jfuser.Capability;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileLock;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Abi;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory POSIX filesystem that behaves like the kernel's tmpfs: regular files (sparse), directories,
 * symlinks, hard links, FIFOs, sockets and device nodes, O_TMPFILE, extended attributes, POSIX and flock locks,
 * fallocate, SEEK_DATA/SEEK_HOLE, copy_file_range, and an optional size limit that answers ENOSPC.
 *
 * <h2>Concurrency</h2>
 * One {@link ReentrantLock} guards the whole tree. Requests arrive concurrently on virtual threads; each takes the
 * lock for the short time it touches the tree (a read or write copies at most {@code max_write}, 1 MiB). A
 * blocking lock request ({@code F_SETLKW}, blocking {@code flock}) waits on a condition of that lock, which
 * releases it while waiting, and gives up with EINTR when the kernel interrupts the request.
 *
 * <h2>Permissions</h2>
 * memfs checks permissions itself, from the request's uid, gid and groups (the groups come from the kernel for
 * create-like requests with {@link Capability#CREATE_SUPP_GROUP}, otherwise from {@code /proc/PID/status}), on
 * every request that needs it: search permission in lookup, write+search on the directory for create, unlink and
 * rename (with the sticky-bit rule), read/write at open, and the chmod/chown/utimens rules of Linux in setattr.
 * Mounted with {@code default_permissions} the kernel checks first with the same rules, so both agree. Without it,
 * note a FUSE property: the kernel asks the filesystem only on a dentry cache miss, so a path walk through a name
 * cached within the entry timeout is not re-checked; mount with {@code default_permissions} (recommended) or
 * choose a zero entry timeout when search permission on directories must hold for every walk.
 *
 * <h2>Caching</h2>
 * memfs is the only writer of its tree and every change passes through the kernel of this mount, which
 * invalidates its own dentries and attributes on unlink, rename, link, write, setattr and so on. Names, attributes
 * and negative lookups are therefore cached for {@link Options#entryTimeout()} / {@link Options#attrTimeout()}
 * (1 s by default). File data is not kept across opens (no {@code KEEP_CACHE}), and writes go through to memfs
 * (no writeback cache), so memfs always holds the bytes.
 *
 * <h2>Locks</h2>
 * By default memfs implements POSIX record locks and flock itself ({@link Capability#POSIX_LOCKS},
 * {@link Capability#FLOCK_LOCKS}), so they are visible through {@code F_GETLK} and release on close like on a
 * local filesystem. With {@link Options#withKernelLocks()} it leaves both to the kernel, which then handles them
 * locally (equally correct on a single machine). Lock deadlocks are not detected (no EDEADLK).
 *
 * <h2>Persistence</h2>
 * With {@link Options#image()} the tree is loaded from that file when memfs is created and saved to it, crash-safely,
 * when the session ends ({@link #destroy()}); see {@link MemFsImage}.
 */
public final class MemFs implements Filesystem {
    private static final System.Logger LOG = System.getLogger("dev.jfuser.examples.memfs");

    static final long ROOT = 1;
    static final int S_ISUID = 04000;
    static final int S_ISGID = 02000;
    static final int S_ISVTX = 01000;
    private static final int R = 4;
    private static final int W = 2;
    private static final int X = 1;
    private static final int O_ACCMODE = 3;
    private static final int O_WRONLY = 1;
    private static final int O_RDWR = 2;
    private static final int O_TRUNC = 01000;
    static final int NAME_MAX = 255;
    private static final int PATH_MAX = 4096;
    static final int XATTR_NAME_MAX = 255;
    static final int XATTR_SIZE_MAX = 65536;
    private static final int XATTR_LIST_MAX = 65536;
    private static final int XATTR_CREATE = 1;
    private static final int XATTR_REPLACE = 2;
    private static final int RENAME_NOREPLACE = 1;
    private static final int RENAME_EXCHANGE = 2;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;

    /**
     * How a memfs is set up.
     *
     * @param sizeLimit bytes of file data memfs may hold (statfs reports it; beyond it writes fail with ENOSPC)
     * @param maxInodes inodes memfs may hold (beyond it creates fail with ENOSPC)
     * @param entryTimeout how long the kernel may cache names (and negative lookups)
     * @param attrTimeout how long the kernel may cache attributes
     * @param filesystemLocks whether memfs implements POSIX and flock locks (true) or leaves them to the kernel
     * @param image the image file to load at start and save at unmount, or null for a purely volatile tree
     * @param rootUid owner of the root directory of a new tree
     * @param rootGid group of the root directory of a new tree
     * @param rootPerm permission bits of the root directory of a new tree
     * @param atimePolicy when reads, listings and readlink move the access time
     */
    public record Options(long sizeLimit, long maxInodes, Duration entryTimeout, Duration attrTimeout,
                          boolean filesystemLocks, Path image, int rootUid, int rootGid, int rootPerm,
                          AtimePolicy atimePolicy) {
        public Options {
            if (sizeLimit < CHUNK) {
                throw new IllegalArgumentException("memfs size limit must be at least " + CHUNK + " bytes, got "
                        + sizeLimit);
            }
            if (maxInodes < 1) {
                throw new IllegalArgumentException("memfs needs room for at least one inode, got " + maxInodes);
            }
            Objects.requireNonNull(entryTimeout, "entryTimeout");
            Objects.requireNonNull(attrTimeout, "attrTimeout");
            Objects.requireNonNull(atimePolicy, "atimePolicy");
        }

        /**
         * Half the JVM's maximum heap as size limit (like tmpfs takes half the RAM), one inode per 4 KiB of it
         * (at least 64 Ki), 1 s timeouts, locks in memfs, no image, root directory {@code 0755} owned by root,
         * {@link AtimePolicy#RELATIME} like a Linux mount.
         */
        public static Options defaults() {
            long size = Math.max(CHUNK, Runtime.getRuntime().maxMemory() / 2 / CHUNK * CHUNK);
            return new Options(size, Math.max(65536, size / CHUNK), Entry.DEFAULT_TIMEOUT, Entry.DEFAULT_TIMEOUT,
                    true, null, 0, 0, 0755, AtimePolicy.RELATIME);
        }

        /** These options with a size limit (rounded down to whole 4 KiB pages) and a matching inode limit. */
        public Options withSizeLimit(long bytes) {
            long size = bytes / CHUNK * CHUNK;
            return new Options(size, Math.max(65536, size / CHUNK), entryTimeout, attrTimeout, filesystemLocks,
                    image, rootUid, rootGid, rootPerm, atimePolicy);
        }

        /** These options with an inode limit. */
        public Options withMaxInodes(long inodes) {
            return new Options(sizeLimit, inodes, entryTimeout, attrTimeout, filesystemLocks, image, rootUid,
                    rootGid, rootPerm, atimePolicy);
        }

        /** These options with both cache timeouts set to {@code timeout}. */
        public Options withTimeouts(Duration timeout) {
            return new Options(sizeLimit, maxInodes, timeout, timeout, filesystemLocks, image, rootUid, rootGid,
                    rootPerm, atimePolicy);
        }

        /** These options with separate timeouts for names (and negative lookups) and for attributes. */
        public Options withTimeouts(Duration entry, Duration attr) {
            return new Options(sizeLimit, maxInodes, entry, attr, filesystemLocks, image, rootUid, rootGid,
                    rootPerm, atimePolicy);
        }

        /** These options leaving POSIX and flock locks to the kernel. */
        public Options withKernelLocks() {
            return new Options(sizeLimit, maxInodes, entryTimeout, attrTimeout, false, image, rootUid, rootGid,
                    rootPerm, atimePolicy);
        }

        /** These options persisting the tree in {@code image}. */
        public Options withImage(Path image) {
            return new Options(sizeLimit, maxInodes, entryTimeout, attrTimeout, filesystemLocks, image, rootUid,
                    rootGid, rootPerm, atimePolicy);
        }

        /** These options with the given atime policy (the mount's {@code noatime}, {@code relatime}...). */
        public Options withAtimePolicy(AtimePolicy policy) {
            return new Options(sizeLimit, maxInodes, entryTimeout, attrTimeout, filesystemLocks, image, rootUid,
                    rootGid, rootPerm, policy);
        }

        /** These options with the root directory of a new tree owned by {@code uid}/{@code gid}, mode {@code perm}. */
        public Options withRoot(int uid, int gid, int perm) {
            return new Options(sizeLimit, maxInodes, entryTimeout, attrTimeout, filesystemLocks, image, uid, gid,
                    perm, atimePolicy);
        }
    }

    /** An open file or directory. */
    private record Handle(Node node, int flags) {
    }

    private final Options options;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever a lock is released or downgraded, to wake blocked F_SETLKW / flock requests. */
    private final Condition locksChanged = lock.newCondition();
    final HashMap<Long, Node> nodes = new HashMap<>();
    private final HashMap<Long, Handle> handles = new HashMap<>();
    private final long maxChunks;
    private long nextIno = 2;
    private long nextFh = 1;
    /** Chunks allocated over all nodes, the measure of the size limit. */
    long usedChunks;

    /** A memfs with the {@link Options#defaults()}. */
    public MemFs() throws IOException {
        this(Options.defaults());
    }

    /**
     * A memfs; with an image in the options that exists, the tree is loaded from it.
     *
     * @throws IOException if the image exists but cannot be read, or is corrupt or not a memfs image (the message
     *     names the file); nothing is loaded then
     */
    public MemFs(Options options) throws IOException {
        this.options = Objects.requireNonNull(options, "options");
        this.maxChunks = options.sizeLimit() / CHUNK;
        Path image = options.image();
        if (image != null && Files.exists(image)) {
            MemFsImage.Loaded loaded = MemFsImage.load(image);
            for (Node n : loaded.nodes()) {
                nodes.put(n.ino, n);
                usedChunks += n.allocatedChunks();
                nextIno = Math.max(nextIno, n.ino + 1);
            }
        } else {
            Node root = new Node(ROOT, FileType.DIRECTORY, options.rootPerm() & 07777, options.rootUid(),
                    options.rootGid(), Instant.now());
            root.parent = root;
            nodes.put(ROOT, root);
        }
    }

    /** The options this memfs runs with. */
    public Options options() {
        return options;
    }

    // ---------------------------------------------------------------------------------------------- lifecycle

    @Override
    public void init(KernelConfig config) {
        config.enableIfSupported(Capability.READDIRPLUS);
        config.enableIfSupported(Capability.READDIRPLUS_AUTO);
        // memfs applies the umask itself (it is sent with every create), as a local filesystem's VFS would.
        config.enableIfSupported(Capability.DONT_MASK);
        // The kernel tells when a write/truncate must clear set-uid/set-gid; chown clearing is done here.
        config.enableIfSupported(Capability.HANDLE_KILLPRIV_V2);
        config.enableIfSupported(Capability.CREATE_SUPP_GROUP);
        if (options.filesystemLocks()) {
            config.enableIfSupported(Capability.POSIX_LOCKS);
            config.enableIfSupported(Capability.FLOCK_LOCKS);
        }
        config.timeGranularityNanos(1);
    }

    @Override
    public void destroy() {
        Path image = options.image();
        if (image == null) {
            return;
        }
        lock.lock();
        try {
            MemFsImage.save(this, image);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "memfs: could not save the image " + image + ": " + e.getMessage(), e);
            System.err.println("memfs: could not save the image " + image + ": " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    /** Saves the tree to {@code image} now (crash-safe, like at unmount). */
    public void save(Path image) throws IOException {
        lock.lock();
        try {
            MemFsImage.save(this, image);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        lock.lock();
        try {
            Node n = nodes.get(nodeId);
            if (n != null) {
                n.lookups = Math.max(0, n.lookups - nlookup);
                maybeFree(n);
            }
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------------ names

    @Override
    public Entry lookup(Request req, long parent, String name) throws IOException {
        lock.lock();
        try {
            Node dir = dir(parent);
            checkName(name);
            require(req, dir, X);
            Node.DirEntry e = dir.entry(name);
            if (e == null) {
                // Cache the miss: every create of this name passes through the kernel, which replaces the entry.
                return Entry.negative(options.entryTimeout());
            }
            return entry(e.node);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
        lock.lock();
        try {
            return new AttrReply(attr(node(nodeId)), options.attrTimeout());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String readlink(Request req, long nodeId) throws IOException {
        lock.lock();
        try {
            Node n = node(nodeId);
            if (n.type != FileType.SYMLINK) {
                throw new FuseException(Errno.EINVAL, "node " + nodeId + " is not a symlink");
            }
            touchAtime(n);
            return n.target;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Entry mknod(Request req, long parent, String name, int mode, int umask, int rdev) throws IOException {
        FileType type = (mode & FileType.S_IFMT) == 0 ? FileType.REGULAR_FILE : FileType.fromMode(mode);
        if (type == FileType.DIRECTORY || type == FileType.SYMLINK) {
            throw new FuseException(Errno.EINVAL, "mknod cannot create a " + type);
        }
        lock.lock();
        try {
            Node dir = writableDir(req, parent, name);
            Node n = newNode(req, dir, type, mode & 07777 & ~umask);
            if (type == FileType.CHAR_DEVICE || type == FileType.BLOCK_DEVICE) {
                n.rdev = rdev;
            }
            link(dir, name, n);
            return entry(n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Entry mkdir(Request req, long parent, String name, int mode, int umask) throws IOException {
        lock.lock();
        try {
            Node dir = writableDir(req, parent, name);
            Node n = newNode(req, dir, FileType.DIRECTORY, mode & 01777 & ~umask);
            link(dir, name, n);
            return entry(n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Entry symlink(Request req, long parent, String name, String target) throws IOException {
        int length = target.getBytes(StandardCharsets.UTF_8).length;
        if (length == 0) {
            throw new FuseException(Errno.ENOENT, "empty symlink target");
        }
        if (length >= PATH_MAX) {
            throw new FuseException(Errno.ENAMETOOLONG, "symlink target of " + length + " bytes");
        }
        lock.lock();
        try {
            Node dir = writableDir(req, parent, name);
            Node n = newNode(req, dir, FileType.SYMLINK, 0777);
            n.target = target;
            n.size = length;
            link(dir, name, n);
            return entry(n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Entry link(Request req, long nodeId, long newParent, String newName) throws IOException {
        lock.lock();
        try {
            Node n = node(nodeId);
            if (n.isDir()) {
                throw new FuseException(Errno.EPERM, "hard links to directories are not allowed");
            }
            Node dir = writableDir(req, newParent, newName);
            if (n.nlink == 0 && !n.tmpfile) {
                throw new FuseException(Errno.ENOENT, "node " + nodeId + " was unlinked");
            }
            if (n.tmpfile) {
                n.tmpfile = false;
                n.nlink = 0;
            }
            n.nlink++;
            n.ctime = Instant.now();
            dir.addEntry(newName, n);
            touchDir(dir, n.ctime);
            return entry(n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void unlink(Request req, long parent, String name) throws IOException {
        lock.lock();
        try {
            Node dir = dir(parent);
            checkName(name);
            require(req, dir, W | X);
            Node.DirEntry e = existing(dir, name);
            Node n = e.node;
            if (n.isDir()) {
                throw new FuseException(Errno.EISDIR, name + " is a directory");
            }
            checkSticky(req, dir, n);
            dir.removeEntry(e);
            Instant now = Instant.now();
            n.nlink--;
            n.ctime = now;
            touchDir(dir, now);
            maybeFree(n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void rmdir(Request req, long parent, String name) throws IOException {
        lock.lock();
        try {
            Node dir = dir(parent);
            checkName(name);
            require(req, dir, W | X);
            Node.DirEntry e = existing(dir, name);
            Node n = e.node;
            if (!n.isDir()) {
                throw new FuseException(Errno.ENOTDIR, name + " is not a directory");
            }
            if (!n.byName.isEmpty()) {
                throw new FuseException(Errno.ENOTEMPTY, name + " has " + n.byName.size() + " entries");
            }
            checkSticky(req, dir, n);
            dir.removeEntry(e);
            Instant now = Instant.now();
            n.nlink = 0;
            n.ctime = now;
            dir.nlink--;
            touchDir(dir, now);
            maybeFree(n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void rename(Request req, long parent, String name, long newParent, String newName, int flags)
            throws IOException {
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0
                || flags == (RENAME_NOREPLACE | RENAME_EXCHANGE)) {
            throw new FuseException(Errno.EINVAL, "rename flags 0x" + Integer.toHexString(flags));
        }
        lock.lock();
        try {
            Node from = dir(parent);
            Node to = dir(newParent);
            checkName(name);
            checkName(newName);
            require(req, from, W | X);
            require(req, to, W | X);
            Node.DirEntry src = existing(from, name);
            Node.DirEntry dst = to.entry(newName);
            Node moving = src.node;
            Node victim = dst == null ? null : dst.node;
            if ((flags & RENAME_EXCHANGE) != 0) {
                if (victim == null) {
                    throw new FuseException(Errno.ENOENT, newName + " does not exist to exchange with");
                }
                exchange(req, from, src, to, dst);
                return;
            }
            if (victim == moving) {
                return; // two names of one inode: POSIX says do nothing, successfully
            }
            if (victim != null && (flags & RENAME_NOREPLACE) != 0) {
                throw new FuseException(Errno.EEXIST, newName + " exists");
            }
            if (moving.isDir()) {
                checkNotInside(moving, to);
            }
            if (victim != null) {
                if (moving.isDir() && !victim.isDir()) {
                    throw new FuseException(Errno.ENOTDIR, newName + " is not a directory");
                }
                if (!moving.isDir() && victim.isDir()) {
                    throw new FuseException(Errno.EISDIR, newName + " is a directory");
                }
                if (victim.isDir() && !victim.byName.isEmpty()) {
                    throw new FuseException(Errno.ENOTEMPTY, newName + " is not empty");
                }
            }
            checkSticky(req, from, moving);
            if (victim != null) {
                checkSticky(req, to, victim);
            }
            if (moving.isDir() && from != to) {
                // its ".." changes: that is a write to the directory itself
                require(req, moving, W);
            }
            Instant now = Instant.now();
            if (victim != null) {
                to.removeEntry(dst);
                victim.ctime = now;
                if (victim.isDir()) {
                    victim.nlink = 0;
                    to.nlink--;
                } else {
                    victim.nlink--;
                }
            }
            from.removeEntry(src);
            to.addEntry(newName, moving);
            if (moving.isDir() && from != to) {
                from.nlink--;
                to.nlink++;
                moving.parent = to;
            }
            moving.ctime = now;
            touchDir(from, now);
            touchDir(to, now);
            if (victim != null) {
                maybeFree(victim);
            }
        } finally {
            lock.unlock();
        }
    }

    private void exchange(Request req, Node from, Node.DirEntry a, Node to, Node.DirEntry b) throws IOException {
        Node na = a.node;
        Node nb = b.node;
        if (na == nb) {
            return;
        }
        if (from != to) {
            if (na.isDir()) {
                checkNotInside(na, to);
            }
            if (nb.isDir()) {
                checkNotInside(nb, from);
            }
        }
        checkSticky(req, from, na);
        checkSticky(req, to, nb);
        if (from != to) {
            if (na.isDir()) {
                require(req, na, W);
            }
            if (nb.isDir()) {
                require(req, nb, W);
            }
        }
        a.node = nb;
        b.node = na;
        if (from != to) {
            if (na.isDir()) {
                from.nlink--;
                to.nlink++;
                na.parent = to;
            }
            if (nb.isDir()) {
                to.nlink--;
                from.nlink++;
                nb.parent = from;
            }
        }
        Instant now = Instant.now();
        na.ctime = now;
        nb.ctime = now;
        touchDir(from, now);
        touchDir(to, now);
    }

    /** EINVAL if {@code dir} would move into itself or its own subtree ({@code target} is that place). */
    private static void checkNotInside(Node dir, Node target) throws FuseException {
        for (Node p = target; ; p = p.parent) {
            if (p == dir) {
                throw new FuseException(Errno.EINVAL, "cannot move a directory into its own subtree");
            }
            if (p.ino == ROOT || p.parent == null || p.parent == p) {
                return;
            }
        }
    }

    // ------------------------------------------------------------------------------------------- attributes

    @Override
    public AttrReply setattr(Request req, long nodeId, SetAttr changes) throws IOException {
        lock.lock();
        try {
            Node n = node(nodeId);
            boolean root = req.uid() == 0;
            boolean owner = req.uid() == n.uid;
            Handle h = changes.fh().isPresent() ? handles.get(changes.fh().getAsLong()) : null;
            // Validate everything first: a refused change leaves the node untouched.
            if (changes.mode().isPresent() && !root && !owner) {
                throw new FuseException(Errno.EPERM, "only the owner may chmod");
            }
            if (changes.uid().isPresent() && !root && !(owner && changes.uid().getAsInt() == n.uid)) {
                throw new FuseException(Errno.EPERM, "only root may change the owner");
            }
            if (changes.gid().isPresent() && !root) {
                int g = changes.gid().getAsInt();
                if (!owner || (g != n.gid && !inGroup(req, g))) {
                    throw new FuseException(Errno.EPERM, "chgrp to " + g + " by uid " + req.uid());
                }
            }
            if (changes.size().isPresent()) {
                if (n.isDir()) {
                    throw new FuseException(Errno.EISDIR, "cannot truncate a directory");
                }
                if (n.type != FileType.REGULAR_FILE) {
                    throw new FuseException(Errno.EINVAL, "cannot truncate a " + n.type);
                }
                if (changes.size().getAsLong() < 0) {
                    throw new FuseException(Errno.EINVAL, "negative size");
                }
                boolean writableHandle = h != null && (h.flags() & O_ACCMODE) != 0;
                if (!writableHandle) {
                    require(req, n, W);
                }
            }
            boolean times = changes.atime().isPresent() || changes.mtime().isPresent();
            if (times && !root && !owner) {
                boolean touch = changes.atime().isPresent() && changes.atimeNow()
                        && changes.mtime().isPresent() && changes.mtimeNow();
                if (!touch) {
                    throw new FuseException(Errno.EPERM, "only the owner may set arbitrary times");
                }
                require(req, n, W);
            }
            Instant now = Instant.now();
            boolean changed = false;
            if (changes.mode().isPresent()) {
                int perm = changes.mode().getAsInt() & 07777;
                if (!root && !inGroup(req, n.gid)) {
                    perm &= ~S_ISGID; // like Linux: no set-gid on a file whose group you are not in
                }
                n.perm = perm;
                changed = true;
            }
            if (changes.uid().isPresent() || changes.gid().isPresent()) {
                changes.uid().ifPresent(u -> n.uid = u);
                changes.gid().ifPresent(g -> n.gid = g);
                if (!n.isDir()) {
                    killSuidSgid(n); // Linux clears them on every chown of a non-directory, also by root
                }
                changed = true;
            }
            if (changes.size().isPresent()) {
                truncate(n, changes.size().getAsLong());
                n.mtime = now;
                if (changes.killSuidgid()) {
                    killSuidSgid(n);
                } else if (!root) {
                    killCapabilities(n);
                }
                changed = true;
            }
            if (changes.atime().isPresent()) {
                n.atime = changes.atime().get();
                changed = true;
            }
            if (changes.mtime().isPresent()) {
                n.mtime = changes.mtime().get();
                changed = true;
            }
            if (changed) {
                n.ctime = now;
            }
            return new AttrReply(attr(n), options.attrTimeout());
        } finally {
            lock.unlock();
        }
    }

    /** Drops file capabilities: what Linux does when an unprivileged caller writes or truncates, and on chown. */
    private static void killCapabilities(Node n) {
        if (n.xattrs != null) {
            n.xattrs.remove("security.capability");
            if (n.xattrs.isEmpty()) {
                n.xattrs = null;
            }
        }
    }

    /** What Linux drops on a chown, or an unprivileged write or truncate: set-uid, set-gid and capabilities. */
    private static void killSuidSgid(Node n) {
        killCapabilities(n);
        n.perm &= ~S_ISUID;
        // set-gid without group execute marks mandatory locking, not privilege: Linux keeps it
        if ((n.perm & 0010) != 0) {
            n.perm &= ~S_ISGID;
        }
    }

    // ------------------------------------------------------------------------------------------------ files

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws IOException {
        lock.lock();
        try {
            Node n = node(nodeId);
            int acc = flags & O_ACCMODE;
            int need = acc == O_WRONLY ? W : acc == O_RDWR ? R | W : R;
            if ((flags & O_TRUNC) != 0) {
                need |= W;
            }
            if (n.isDir() && (need & W) != 0) {
                throw new FuseException(Errno.EISDIR, "cannot open a directory for writing");
            }
            require(req, n, need);
            return OpenReply.of(newHandle(n, flags));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        lock.lock();
        try {
            Node dir = dir(parent);
            checkName(name);
            if (dir.entry(name) != null) {
                throw new FuseException(Errno.EEXIST, name + " exists");
            }
            dir = writableDir(req, parent, name);
            Node n = newNode(req, dir, FileType.REGULAR_FILE, mode & 07777 & ~umask);
            link(dir, name, n);
            Entry e = entry(n);
            return new CreateReply(e, OpenReply.of(newHandle(n, flags)));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public CreateReply tmpfile(Request req, long parent, int mode, int umask, int flags) throws IOException {
        lock.lock();
        try {
            Node dir = dir(parent);
            requireLive(dir);
            require(req, dir, W | X);
            Node n = newNode(req, dir, FileType.REGULAR_FILE, mode & 07777 & ~umask);
            // The kernel's d_tmpfile() drops the link count it is given by one: answer 1, keep 0 here.
            n.nlink = 0;
            n.tmpfile = true;
            FileAttr a = attr(n).toBuilder().nlink(1).build();
            n.lookups++;
            Entry e = new Entry(n.ino, 0, a, options.entryTimeout(), options.attrTimeout());
            return new CreateReply(e, OpenReply.of(newHandle(n, flags)));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
            throws IOException {
        lock.lock();
        try {
            Node n = regular(nodeId);
            if (offset >= n.size || size <= 0) {
                return ReadData.empty();
            }
            int count = (int) Math.min(size, n.size - offset);
            byte[] out = new byte[count];
            readInto(n, offset, out, 0, count);
            touchAtime(n);
            return ReadData.of(out);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                     long lockOwner) throws IOException {
        lock.lock();
        try {
            Node n = regular(nodeId);
            int count = writeData(n, offset, data, data.position(), data.remaining());
            Instant now = Instant.now();
            n.mtime = now;
            n.ctime = now;
            if ((writeFlags & Abi.WRITE_KILL_SUIDGID) != 0) {
                killSuidSgid(n);
            } else if (req.uid() != 0) {
                // The kernel flags the write only for set-uid/set-gid files; file capabilities are ours to drop.
                killCapabilities(n);
            }
            return count;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void flush(Request req, long nodeId, long fh, long lockOwner) {
        // Every close() drops the closing process's POSIX locks on the file (the kernel leaves it to FLUSH).
        lock.lock();
        try {
            Node n = nodes.get(nodeId);
            if (n != null && n.locks != null) {
                n.locks.posixUnlockAll(lockOwner);
                locksChanged.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void release(Request req, long nodeId, long fh, int flags, int releaseFlags, long lockOwner) {
        lock.lock();
        try {
            Handle h = handles.remove(fh);
            Node n = h != null ? h.node() : nodes.get(nodeId);
            if (n == null) {
                return;
            }
            if (n.locks != null && (releaseFlags & Abi.RELEASE_FLOCK_UNLOCK) != 0) {
                n.locks.flockUnlock(lockOwner);
                locksChanged.signalAll();
            }
            if (h != null) {
                n.opens--;
                maybeFree(n);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void fsync(Request req, long nodeId, long fh, boolean datasync) {
        // nothing is more stable than memory gets
    }

    @Override
    public void fallocate(Request req, long nodeId, long fh, long offset, long length, int mode)
            throws IOException {
        if (offset < 0 || length <= 0) {
            throw new FuseException(Errno.EINVAL, "fallocate range " + offset + "+" + length);
        }
        lock.lock();
        try {
            Node n = regular(nodeId);
            long end = offset + length < 0 ? Long.MAX_VALUE : offset + length;
            Instant now = Instant.now();
            switch (mode) {
                case 0, FALLOC_FL_KEEP_SIZE -> {
                    reserve(n, offset, end);
                    if (mode == 0 && end > n.size) {
                        n.size = end;
                        n.mtime = now;
                    }
                    n.ctime = now;
                }
                case FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE -> {
                    punch(n, offset, end);
                    n.mtime = now;
                    n.ctime = now;
                }
                default -> throw new FuseException(Errno.EOPNOTSUPP, "fallocate mode 0x" + Integer.toHexString(mode));
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long lseek(Request req, long nodeId, long fh, long offset, int whence) throws IOException {
        lock.lock();
        try {
            Node n = regular(nodeId);
            if (offset < 0 || offset >= n.size) {
                throw new FuseException(Errno.ENXIO, "offset " + offset + " is past the end (" + n.size + ")");
            }
            if (whence == SEEK_DATA) {
                for (Map.Entry<Long, byte[]> c : n.chunks.tailMap(offset / CHUNK, true).entrySet()) {
                    long start = c.getKey() * CHUNK;
                    if (start >= n.size) {
                        break;
                    }
                    if (c.getValue() != RESERVED) {
                        return Math.max(offset, start);
                    }
                }
                throw new FuseException(Errno.ENXIO, "no data after " + offset);
            }
            if (whence == SEEK_HOLE) {
                long idx = offset / CHUNK;
                for (Map.Entry<Long, byte[]> c : n.chunks.tailMap(idx, true).entrySet()) {
                    if (c.getKey() != idx || c.getValue() == RESERVED) {
                        break;
                    }
                    idx++;
                }
                return Math.min(n.size, Math.max(offset, idx * CHUNK));
            }
            throw new FuseException(Errno.EINVAL, "whence " + whence);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long copyFileRange(Request req, long nodeIdIn, long fhIn, long offsetIn, long nodeIdOut, long fhOut,
                              long offsetOut, long length, long flags) throws IOException {
        if (flags != 0) {
            throw new FuseException(Errno.EINVAL, "copy_file_range flags " + flags);
        }
        if (offsetIn < 0 || offsetOut < 0 || length < 0) {
            throw new FuseException(Errno.EINVAL, "negative offset or length");
        }
        lock.lock();
        try {
            Node in = regular(nodeIdIn);
            Node out = regular(nodeIdOut);
            long count = Math.max(0, Math.min(length, in.size - offsetIn));
            byte[] buf = new byte[CHUNK];
            long done = 0;
            while (done < count) {
                long dst = offsetOut + done;
                int k = (int) Math.min(CHUNK - dst % CHUNK, count - done);
                readInto(in, offsetIn + done, buf, 0, k);
                if (k == CHUNK && isZero(buf, k)) {
                    // a whole destination page of zeros becomes a hole: sparse files stay sparse
                    punch(out, dst, dst + k);
                    out.size = Math.max(out.size, dst + k);
                } else {
                    int written;
                    try {
                        written = writeData(out, dst, ByteBuffer.wrap(buf, 0, k), 0, k);
                    } catch (FuseException e) {
                        if (done > 0) {
                            break; // a short copy; the next call reports ENOSPC
                        }
                        throw e;
                    }
                    if (written < k) {
                        done += written;
                        break;
                    }
                }
                done += k;
            }
            if (done > 0) {
                Instant now = Instant.now();
                out.mtime = now;
                out.ctime = now;
            }
            return done;
        } finally {
            lock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------ directories

    @Override
    public OpenReply opendir(Request req, long nodeId, int flags) throws IOException {
        lock.lock();
        try {
            Node n = node(nodeId);
            if (!n.isDir()) {
                throw new FuseException(Errno.ENOTDIR, "node " + nodeId + " is not a directory");
            }
            require(req, n, R);
            return OpenReply.of(newHandle(n, flags));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        list(nodeId, offset, listing);
    }

    @Override
    public void readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        list(nodeId, offset, listing);
    }

    /**
     * Lists from {@code offset}: "." has cookie 1, ".." cookie 2, every other entry the cookie it got when it was
     * added, never reused. An entry's offset is its own cookie, so a listing resumes after the last entry it
     * returned however many entries were added or removed meanwhile; entries added meanwhile show up at the end.
     */
    private void list(long nodeId, long offset, DirectoryListing listing) throws IOException {
        lock.lock();
        try {
            Node dir = node(nodeId);
            if (!dir.isDir()) {
                throw new FuseException(Errno.ENOTDIR, "node " + nodeId + " is not a directory");
            }
            if (dir.nlink == 0) {
                return; // removed while open: empty, like tmpfs
            }
            if (offset < 1 && !listing.addWithoutAttributes(".", dir.ino, FileType.DIRECTORY, 1)) {
                return;
            }
            if (offset < 2 && !listing.addWithoutAttributes("..", dir.parent.ino, FileType.DIRECTORY, 2)) {
                return;
            }
            for (Node.DirEntry e : dir.byCookie.tailMap(Math.max(offset, 2), false).values()) {
                Node n = e.node;
                boolean fitted;
                if (listing.isPlus()) {
                    fitted = listing.add(e.name, e.cookie, new Entry(n.ino, 0, attr(n), options.entryTimeout(),
                            options.attrTimeout()));
                    if (fitted) {
                        n.lookups++; // the kernel now holds a reference, as after a lookup
                    }
                } else {
                    fitted = listing.add(e.name, n.ino, n.type, e.cookie);
                }
                if (!fitted) {
                    break;
                }
            }
            touchAtime(dir);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void releasedir(Request req, long nodeId, long fh, int flags) {
        lock.lock();
        try {
            Handle h = handles.remove(fh);
            if (h != null) {
                h.node().opens--;
                maybeFree(h.node());
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void fsyncdir(Request req, long nodeId, long fh, boolean datasync) {
    }

    @Override
    public void syncfs(Request req, long nodeId) {
    }

    @Override
    public FsStats statfs(Request req, long nodeId) {
        lock.lock();
        try {
            long free = Math.max(0, maxChunks - usedChunks);
            return new FsStats(maxChunks, free, free, options.maxInodes(),
                    Math.max(0, options.maxInodes() - nodes.size()), CHUNK, NAME_MAX, CHUNK);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void access(Request req, long nodeId, int mask) throws IOException {
        lock.lock();
        try {
            require(req, node(nodeId), mask & 7);
        } finally {
            lock.unlock();
        }
    }

    // --------------------------------------------------------------------------------------------- xattrs

    @Override
    public void setxattr(Request req, long nodeId, String name, byte[] value, int flags, int setxattrFlags)
            throws IOException {
        checkXattrName(name);
        if (value.length > XATTR_SIZE_MAX) {
            throw new FuseException(Errno.E2BIG, "xattr value of " + value.length + " bytes");
        }
        lock.lock();
        try {
            Node n = node(nodeId);
            xattrAccess(req, n, name, true);
            Map<String, byte[]> x = n.xattrsOrEmpty();
            boolean exists = x.containsKey(name);
            if ((flags & XATTR_CREATE) != 0 && exists) {
                throw new FuseException(Errno.EEXIST, "xattr " + name + " exists");
            }
            if ((flags & XATTR_REPLACE) != 0 && !exists) {
                throw new FuseException(Errno.ENODATA, "xattr " + name + " does not exist");
            }
            int listSize = 0;
            for (String k : x.keySet()) {
                listSize += k.getBytes(StandardCharsets.UTF_8).length + 1;
            }
            if (!exists && listSize + name.getBytes(StandardCharsets.UTF_8).length + 1 > XATTR_LIST_MAX) {
                throw new FuseException(Errno.ENOSPC, "the names of the xattrs would exceed " + XATTR_LIST_MAX);
            }
            if (n.xattrs == null) {
                n.xattrs = new LinkedHashMap<>();
            }
            n.xattrs.put(name, value.clone());
            n.ctime = Instant.now();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public byte[] getxattr(Request req, long nodeId, String name) throws IOException {
        checkXattrName(name);
        lock.lock();
        try {
            Node n = node(nodeId);
            xattrAccess(req, n, name, false);
            byte[] v = n.xattrsOrEmpty().get(name);
            if (v == null) {
                throw new FuseException(Errno.ENODATA, "no xattr " + name);
            }
            return v.clone();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<String> listxattr(Request req, long nodeId) throws IOException {
        lock.lock();
        try {
            Node n = node(nodeId);
            List<String> names = new ArrayList<>();
            for (String k : n.xattrsOrEmpty().keySet()) {
                if (k.startsWith("trusted.") && req.uid() != 0) {
                    continue; // like Linux: trusted.* is invisible without CAP_SYS_ADMIN
                }
                names.add(k);
            }
            return names;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void removexattr(Request req, long nodeId, String name) throws IOException {
        checkXattrName(name);
        lock.lock();
        try {
            Node n = node(nodeId);
            xattrAccess(req, n, name, true);
            if (n.xattrs == null || n.xattrs.remove(name) == null) {
                throw new FuseException(Errno.ENODATA, "no xattr " + name);
            }
            if (n.xattrs.isEmpty()) {
                n.xattrs = null;
            }
            n.ctime = Instant.now();
        } finally {
            lock.unlock();
        }
    }

    private static void checkXattrName(String name) throws FuseException {
        int len = name.getBytes(StandardCharsets.UTF_8).length;
        if (len == 0 || len > XATTR_NAME_MAX) {
            throw new FuseException(Errno.ERANGE, "xattr name of " + len + " bytes");
        }
        if (!(name.startsWith("user.") || name.startsWith("trusted.") || name.startsWith("security."))) {
            // system.* would be POSIX ACLs, which memfs does not implement; other prefixes do not exist
            throw new FuseException(Errno.EOPNOTSUPP, "xattr namespace of " + name);
        }
    }

    /** The namespace rules of Linux's xattr_permission() and the capability LSM. */
    private void xattrAccess(Request req, Node n, String name, boolean write) throws IOException {
        boolean root = req.uid() == 0;
        if (name.startsWith("trusted.")) {
            if (!root) {
                throw new FuseException(write ? Errno.EPERM : Errno.ENODATA, "trusted.* needs CAP_SYS_ADMIN");
            }
            return;
        }
        if (name.startsWith("security.")) {
            // The kernel's security hooks decide who may change security.* (CAP_SYS_ADMIN, CAP_SETFCAP) before a
            // request gets here, and they bypass themselves when the kernel drops file capabilities on behalf of
            // an unprivileged writer (REMOVEXATTR security.capability with the writer's uid): nothing to check.
            return;
        }
        // user.*: only on regular files and directories, under the file's permission bits
        if (n.type != FileType.REGULAR_FILE && !n.isDir()) {
            throw new FuseException(write ? Errno.EPERM : Errno.ENODATA, "user xattrs on a " + n.type);
        }
        if (write && n.isDir() && (n.perm & S_ISVTX) != 0 && !root && req.uid() != n.uid) {
            throw new FuseException(Errno.EPERM, "user xattrs on a sticky directory belong to its owner");
        }
        require(req, n, write ? W : R);
    }

    // ---------------------------------------------------------------------------------------------- locks

    @Override
    public FileLock getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) throws IOException {
        this.lock.lock();
        try {
            Node n = node(nodeId);
            Locks.Range r = n.locks == null ? null : n.locks.posixConflict(lockOwner, lock);
            return r == null ? FileLock.unlocked() : new FileLock(r.start(), r.end(), r.type(), r.pid());
        } finally {
            this.lock.unlock();
        }
    }

    @Override
    public void setlk(Request req, long nodeId, long fh, long lockOwner, FileLock want, boolean sleep,
                      boolean flock) throws IOException {
        lock.lock();
        try {
            Node n = node(nodeId);
            if (n.locks == null) {
                n.locks = new Locks();
            }
            Locks ls = n.locks;
            if (flock) {
                if (want.type() == FileLock.F_UNLCK) {
                    if (ls.flockUnlock(lockOwner)) {
                        locksChanged.signalAll();
                    }
                    return;
                }
                Integer held = ls.flockHeld(lockOwner);
                if (held != null && held == want.type()) {
                    return;
                }
                if (held != null) {
                    // Linux converts a flock by dropping the old lock first: not atomic, on purpose
                    ls.flockUnlock(lockOwner);
                    locksChanged.signalAll();
                }
                while (ls.flockConflict(lockOwner, want.type())) {
                    if (!sleep) {
                        throw new FuseException(Errno.EWOULDBLOCK, "flock held by another open file");
                    }
                    await(req);
                }
                ls.flockSet(lockOwner, want.type());
                return;
            }
            if (want.start() < 0 || want.end() < want.start()) {
                throw new FuseException(Errno.EINVAL, "lock range " + want.start() + ".." + want.end());
            }
            if (want.type() == FileLock.F_UNLCK) {
                ls.posixUnlock(lockOwner, want.start(), want.end());
                locksChanged.signalAll();
                return;
            }
            while (ls.posixConflict(lockOwner, want) != null) {
                if (!sleep) {
                    throw new FuseException(Errno.EAGAIN, "range locked by another process");
                }
                await(req);
            }
            ls.posixLock(lockOwner, want);
            locksChanged.signalAll(); // a downgrade may let readers in
        } finally {
            lock.unlock();
        }
    }

    private void await(Request req) throws FuseException {
        if (req.isInterrupted()) {
            throw new FuseException(Errno.EINTR, "lock wait interrupted");
        }
        try {
            locksChanged.await();
        } catch (InterruptedException e) {
            throw new FuseException(Errno.EINTR, "lock wait interrupted");
        }
    }

    // ------------------------------------------------------------------------------------------- internals

    private Node node(long nodeId) throws FuseException {
        Node n = nodes.get(nodeId);
        if (n == null) {
            throw new FuseException(Errno.ENOENT, "no node " + nodeId);
        }
        return n;
    }

    private Node dir(long nodeId) throws FuseException {
        Node n = node(nodeId);
        if (!n.isDir()) {
            throw new FuseException(Errno.ENOTDIR, "node " + nodeId + " is not a directory");
        }
        return n;
    }

    private Node regular(long nodeId) throws FuseException {
        Node n = node(nodeId);
        if (n.isDir()) {
            throw new FuseException(Errno.EISDIR, "node " + nodeId + " is a directory");
        }
        if (n.type != FileType.REGULAR_FILE) {
            throw new FuseException(Errno.EINVAL, "node " + nodeId + " is a " + n.type);
        }
        return n;
    }

    private static void requireLive(Node dir) throws FuseException {
        if (dir.nlink == 0) {
            throw new FuseException(Errno.ENOENT, "directory " + dir.ino + " was removed");
        }
    }

    /** The directory {@code parent}, checked for adding {@code name}: live, writable, name free and valid. */
    private Node writableDir(Request req, long parent, String name) throws IOException {
        Node dir = dir(parent);
        checkName(name);
        requireLive(dir);
        require(req, dir, W | X);
        if (dir.entry(name) != null) {
            throw new FuseException(Errno.EEXIST, name + " exists");
        }
        return dir;
    }

    private static Node.DirEntry existing(Node dir, String name) throws FuseException {
        Node.DirEntry e = dir.entry(name);
        if (e == null) {
            throw new FuseException(Errno.ENOENT, "no " + name + " in directory " + dir.ino);
        }
        return e;
    }

    private static void checkName(String name) throws FuseException {
        if (name.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
            throw new FuseException(Errno.ENAMETOOLONG, "name longer than " + NAME_MAX + " bytes");
        }
    }

    /** In a sticky directory only the owner of the entry, the owner of the directory or root may remove it. */
    private static void checkSticky(Request req, Node dir, Node victim) throws FuseException {
        if ((dir.perm & S_ISVTX) != 0 && req.uid() != 0 && req.uid() != victim.uid && req.uid() != dir.uid) {
            throw new FuseException(Errno.EPERM, "sticky directory " + dir.ino);
        }
    }

    /** Throws EACCES unless the caller has all of {@code mask} (R 4, W 2, X 1) on {@code n}. */
    private void require(Request req, Node n, int mask) throws FuseException {
        if (!permitted(req, n, mask)) {
            throw new FuseException(Errno.EACCES, "uid " + req.uid() + " lacks " + mask + " on node " + n.ino);
        }
    }

    private boolean permitted(Request req, Node n, int mask) {
        if (mask == 0) {
            return true;
        }
        if (req.uid() == 0) {
            // root passes everything except executing a file nobody may execute
            return (mask & X) == 0 || n.isDir() || (n.perm & 0111) != 0;
        }
        int bits;
        if (req.uid() == n.uid) {
            bits = n.perm >> 6;
        } else if (inGroup(req, n.gid)) {
            bits = n.perm >> 3;
        } else {
            bits = n.perm;
        }
        return (bits & mask) == mask;
    }

    /**
     * Whether the caller is in group {@code gid}: its fsgid, the groups the kernel sent, or else its supplementary
     * groups read from {@code /proc/PID/status} (the kernel sends groups only with create-like requests).
     */
    boolean inGroup(Request req, int gid) {
        if (req.gid() == gid) {
            return true;
        }
        for (int g : req.supplementaryGroups()) {
            if (g == gid) {
                return true;
            }
        }
        for (int g : procGroups(req.pid())) {
            if (g == gid) {
                return true;
            }
        }
        return false;
    }

    private static int[] procGroups(int pid) {
        if (pid <= 0) {
            return new int[0];
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
                if (line.startsWith("Groups:")) {
                    String list = line.substring("Groups:".length()).trim();
                    return list.isEmpty() ? new int[0]
                            : Arrays.stream(list.split("\\s+")).mapToInt(Integer::parseInt).toArray();
                }
            }
        } catch (IOException | RuntimeException e) {
            // the caller already exited: no groups to grant
        }
        return new int[0];
    }

    private Node newNode(Request req, Node dir, FileType type, int perm) throws FuseException {
        if (nodes.size() >= options.maxInodes()) {
            throw new FuseException(Errno.ENOSPC, "inode limit " + options.maxInodes() + " reached");
        }
        int gid = req.gid();
        if ((dir.perm & S_ISGID) != 0) {
            gid = dir.gid; // BSD group semantics in a set-gid directory, which passes set-gid to subdirectories
            if (type == FileType.DIRECTORY) {
                perm |= S_ISGID;
            }
        }
        if (type != FileType.DIRECTORY && (perm & (S_ISGID | 0010)) == (S_ISGID | 0010) && req.uid() != 0
                && !inGroup(req, gid)) {
            perm &= ~S_ISGID;
        }
        Node n = new Node(nextIno++, type, perm, req.uid(), gid, Instant.now());
        if (type == FileType.DIRECTORY) {
            n.parent = dir;
        }
        nodes.put(n.ino, n);
        return n;
    }

    private static void link(Node dir, String name, Node n) {
        dir.addEntry(name, n);
        if (n.isDir()) {
            dir.nlink++;
        }
        touchDir(dir, n.ctime);
    }

    private static void touchDir(Node dir, Instant now) {
        dir.mtime = now;
        dir.ctime = now;
    }

    /** An access of {@code n}: moves its atime as {@link Options#atimePolicy()} says. */
    private void touchAtime(Node n) {
        Instant now = Instant.now();
        boolean move = switch (options.atimePolicy()) {
            case STRICT -> true;
            case NOATIME -> false;
            // relatime: atime moves when it is not after mtime or ctime, or is a day old or more
            case RELATIME -> !n.atime.isAfter(n.mtime) || !n.atime.isAfter(n.ctime)
                    || !n.atime.isAfter(now.minus(Duration.ofDays(1)));
        };
        if (move) {
            n.atime = now;
        }
    }

    private long newHandle(Node n, int flags) {
        long fh = nextFh++;
        handles.put(fh, new Handle(n, flags));
        n.opens++;
        return fh;
    }

    /** Returns an entry for {@code n}, counting the lookup reference the kernel takes with it. */
    private Entry entry(Node n) {
        n.lookups++;
        return new Entry(n.ino, 0, attr(n), options.entryTimeout(), options.attrTimeout());
    }

    FileAttr attr(Node n) {
        long size = switch (n.type) {
            case REGULAR_FILE, SYMLINK -> n.size;
            case DIRECTORY -> n.dirSize();
            default -> 0;
        };
        return new FileAttr(n.ino, size, n.allocatedChunks() * (CHUNK / 512), n.atime, n.mtime, n.ctime, n.type,
                n.perm, n.nlink, n.uid, n.gid, n.rdev, CHUNK, 0);
    }

    /** Frees a node nobody can reach any more: no names, no kernel references, not open. */
    private void maybeFree(Node n) {
        if (n.ino == ROOT || n.nlink > 0 || n.lookups > 0 || n.opens > 0) {
            return;
        }
        nodes.remove(n.ino);
        usedChunks -= n.allocatedChunks();
        if (n.chunks != null) {
            n.chunks.clear();
        }
        n.xattrs = null;
    }

    // ---------------------------------------------------------------------------------------------- data

    private static void readInto(Node n, long offset, byte[] out, int at, int count) {
        Arrays.fill(out, at, at + count, (byte) 0);
        if (count == 0) {
            return;
        }
        long end = offset + count;
        NavigableMap<Long, byte[]> range = n.chunks.subMap(offset / CHUNK, true, (end - 1) / CHUNK, true);
        for (Map.Entry<Long, byte[]> c : range.entrySet()) {
            byte[] data = c.getValue();
            if (data == RESERVED) {
                continue;
            }
            long chunkStart = c.getKey() * CHUNK;
            long from = Math.max(offset, chunkStart);
            long to = Math.min(end, chunkStart + CHUNK);
            System.arraycopy(data, (int) (from - chunkStart), out, at + (int) (from - offset), (int) (to - from));
        }
    }

    /**
     * Writes {@code count} bytes of {@code src} from {@code pos} at {@code offset}. When the size limit allows only
     * part, writes the part that fits (a short write, as on a full disk); ENOSPC when nothing fits.
     */
    private int writeData(Node n, long offset, ByteBuffer src, int pos, int count) throws FuseException {
        if (count == 0) {
            return 0;
        }
        if (offset < 0 || offset + count < 0) {
            throw new FuseException(Errno.EFBIG, "write beyond the largest file size");
        }
        long first = offset / CHUNK;
        long last = (offset + count - 1) / CHUNK;
        long available = maxChunks - usedChunks;
        long end = offset + count;
        long needed = 0;
        for (long i = first; i <= last; i++) {
            if (!n.chunks.containsKey(i)) {
                if (needed == available) {
                    end = i * CHUNK;
                    break;
                }
                needed++;
            }
        }
        if (end <= offset) {
            throw new FuseException(Errno.ENOSPC, "memfs is full (" + options.sizeLimit() + " bytes)");
        }
        int total = (int) (end - offset);
        int done = 0;
        while (done < total) {
            long at = offset + done;
            long idx = at / CHUNK;
            int within = (int) (at % CHUNK);
            int k = Math.min(CHUNK - within, total - done);
            byte[] c = n.chunks.get(idx);
            if (c == null || c == RESERVED) {
                if (c == null) {
                    usedChunks++;
                }
                c = new byte[CHUNK];
                n.chunks.put(idx, c);
            }
            src.get(pos + done, c, within, k);
            done += k;
        }
        if (end > n.size) {
            n.size = end;
        }
        return total;
    }

    private void truncate(Node n, long size) {
        if (size < n.size) {
            long firstGone = (size + CHUNK - 1) / CHUNK;
            NavigableMap<Long, byte[]> tail = n.chunks.tailMap(firstGone, true);
            usedChunks -= tail.size();
            tail.clear();
            int within = (int) (size % CHUNK);
            byte[] c = within == 0 ? null : n.chunks.get(size / CHUNK);
            if (c != null && c != RESERVED) {
                Arrays.fill(c, within, CHUNK, (byte) 0);
            }
        }
        n.size = size;
    }

    /** Frees whole pages in {@code [start, end)} and zeroes the partial pages at its edges. */
    private void punch(Node n, long start, long end) {
        if (end <= start) {
            return;
        }
        NavigableMap<Long, byte[]> range = n.chunks.subMap(start / CHUNK, true, (end - 1) / CHUNK, true);
        for (var it = range.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, byte[]> c = it.next();
            long chunkStart = c.getKey() * CHUNK;
            long from = Math.max(start, chunkStart);
            long to = Math.min(end, chunkStart + CHUNK);
            if (from == chunkStart && to == chunkStart + CHUNK) {
                it.remove();
                usedChunks--;
            } else if (c.getValue() != RESERVED) {
                Arrays.fill(c.getValue(), (int) (from - chunkStart), (int) (to - chunkStart), (byte) 0);
            }
        }
    }

    /** Reserves the pages of {@code [start, end)} that hold no space yet; ENOSPC (and nothing reserved) if too many. */
    private void reserve(Node n, long start, long end) throws FuseException {
        long first = start / CHUNK;
        long last = (end - 1) / CHUNK;
        long span = last - first + 1;
        long present = n.chunks.subMap(first, true, last, true).size();
        long needed = span - present;
        if (span <= 0 || needed > maxChunks - usedChunks) {
            throw new FuseException(Errno.ENOSPC, "cannot reserve " + needed + " pages");
        }
        for (long i = first; i <= last; i++) {
            byte[] c = n.chunks.putIfAbsent(i, RESERVED);
            if (c == null) {
                usedChunks++;
            } else if (c == RESERVED) {
                // tmpfs initialises a page that a second fallocate meets (zeroed, uptodate): from then on it is
                // data for SEEK_DATA. Do the same, so SEEK answers stay identical to tmpfs.
                n.chunks.put(i, new byte[CHUNK]);
            }
        }
    }

    private static boolean isZero(byte[] b, int len) {
        for (int i = 0; i < len; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    // --------------------------------------------------------------------------------------- for the image

    /** Open file and directory handles now. */
    int openHandles() {
        return locked(handles::size);
    }

    /** Inodes held now: linked ones plus unlinked ones still referenced by the kernel or open files. */
    int nodeCount() {
        return locked(nodes::size);
    }

    /** Runs {@code action} under the tree's lock (for tests and the image writer). */
    <T> T locked(java.util.function.Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }
}
