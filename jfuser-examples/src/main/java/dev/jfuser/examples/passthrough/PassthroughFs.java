package dev.jfuser.examples.passthrough;

import dev.jfuser.AttrReply;
import dev.jfuser.BackingFiles;
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
import dev.jfuser.Mode;
import dev.jfuser.Names;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.posix.DirEntry;
import dev.jfuser.posix.Fd;
import dev.jfuser.posix.Posix;
import dev.jfuser.posix.Stat;
import dev.jfuser.posix.StatFs;
import dev.jfuser.protocol.Abi;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A mirror of a source directory: every operation is carried out on the source, resolved relative to the
 * {@code O_PATH} descriptor the filesystem holds for each node the kernel knows (as libfuse's passthrough_hp does).
 *
 * <p><b>Confinement.</b> No request walks a path: a name is always looked up in its parent's descriptor with
 * {@code O_NOFOLLOW}, so a symlink is returned as stored and never followed by the filesystem (the kernel follows it
 * on the client's side, within the mount or wherever the target points for that client, as on any filesystem);
 * {@code ..} at the root is the root; a node stays the same inode while it is renamed, because it is a descriptor,
 * not a path. A hard link can only name a node of this mount.
 *
 * <p><b>Identity.</b> Inode numbers are the source's; node ids are handed out per source inode (device and inode
 * number) and freed on FORGET, when the node's descriptor is closed. {@link #close()} closes every descriptor.
 *
 * <p><b>Ownership.</b> Run as root, a new file, directory, node or symlink is created by the daemon and then given
 * to the caller's uid and gid (the group stays the directory's when it is set-group-ID); mount with
 * {@code default_permissions} so the kernel checks access against the mirrored modes. Run as another user, files
 * belong to that user.
 *
 * <p><b>Kernel passthrough.</b> With {@code kernelPassthrough}, opens of regular files are answered with a backing
 * file (one per node while it is open), so the kernel reads and writes the source file itself and READ/WRITE never
 * reach this filesystem. When the kernel refuses (not root, an old kernel, a source on FUSE or overlayfs) the open
 * is served the ordinary way and the reason is logged once. Set-user/group-ID files are served here (direct I/O),
 * since only here can a write by an unprivileged caller drop their bits.
 *
 * <p><b>Privileges.</b> {@code HANDLE_KILLPRIV_V2} is negotiated: the kernel says when a write, truncate or
 * truncating open must drop set-ID bits and file capabilities, and this filesystem drops them on the source; in
 * exchange the kernel stops asking for {@code security.capability} before every write.
 *
 * <p><b>Locks</b> are taken on the source, so processes using the mount and processes using the source directly
 * exclude each other. A {@code flock(2)} through the mount is a {@code flock} of this filesystem's descriptor of
 * that open (one per FUSE open, as flock's owner is the open file description). A POSIX ({@code fcntl}) lock is an
 * open-file-description lock ({@code F_OFD_SETLK}) on a descriptor this filesystem opens per (node, lock owner):
 * the daemon is one process, so classic POSIX locks of its own would never conflict with each other, while OFD
 * locks of different descriptors do, and conflict with other processes' classic locks on the source. That
 * descriptor is closed when its owner holds nothing on the node any more: after an unlock of everything, at the
 * owner's FLUSH (a close releases all of a process's POSIX locks on the file; the kernel sends no unlock for it),
 * or at the RELEASE of the last handle the owner locked through. A blocking wait ({@code F_SETLKW}, flock without
 * {@code LOCK_NB}) retries the non-blocking call with a backoff of up to 20 ms, on the
 * request's virtual thread, and ends with EINTR when the caller is interrupted; no native call blocks. GETLK
 * reports the holder's pid for a classic lock on the source, the pid of the mount's lock owner for a lock taken
 * through the mount, and 0 for an OFD lock taken on the source directly, which no process owns.
 */
public final class PassthroughFs implements Filesystem, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.jfuser.examples.passthrough");
    private static final byte[] DOT = {'.'};
    private static final byte[] DOTDOT = {'.', '.'};
    private static final byte[] CAPABILITY = Names.bytes("security.capability");
    /** The longest pause between two tries of a blocked lock. */
    static final long MAX_LOCK_PAUSE_MS = 20;

    private final Fd rootFd;
    private final Node root;
    private final boolean kernelPassthrough;
    private final Duration timeout;
    private final boolean asRoot;
    /** The nodes the kernel knows, by node id. */
    private final Map<Long, Node> nodes = new ConcurrentHashMap<>();
    /** The same nodes by source inode; guarded by {@code this}. */
    private final Map<InodeKey, Node> byInode = new HashMap<>();
    private final AtomicLong nextNode = new AtomicLong(2);
    private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextHandle = new AtomicLong(1);
    private final AtomicBoolean refusalLogged = new AtomicBoolean();
    private volatile BackingFiles backingFiles;
    private final AtomicLong servedReads = new AtomicLong();
    private final AtomicLong servedWrites = new AtomicLong();
    private final AtomicLong servedGetxattrs = new AtomicLong();

    private record InodeKey(long dev, long ino) {}

    /** A node the kernel knows: its source inode, held open as an {@code O_PATH} descriptor. */
    private static final class Node {
        final long id;
        final Fd fd;
        final InodeKey key;
        final boolean directory;
        /** Guarded by the filesystem. */
        long lookups;
        /** Kernel passthrough: the backing file while the node has passthrough opens; guarded by the node. */
        BackingFiles.BackingFile backing;
        boolean backingWritable;
        int backingOpens;
        /** POSIX lock owners holding locks on the node, by the kernel's lock owner id; guarded by itself. */
        final Map<Long, OwnerLocks> owners = new HashMap<>();

        Node(long id, Fd fd, InodeKey key, boolean directory) {
            this.id = id;
            this.fd = fd;
            this.key = key;
            this.directory = directory;
        }
    }

    /**
     * One lock owner's POSIX locks on one node: the descriptor whose open file description holds them as OFD
     * locks, the byte ranges it holds (types aside, to know when it holds nothing), the owner's pid for GETLK and
     * the handles the owner locked through.
     */
    private static final class OwnerLocks {
        final Fd fd;
        /** Held ranges (types aside, to know when it holds nothing). */
        final LockRanges ranges = new LockRanges();
        final Set<Long> handles = new java.util.HashSet<>();
        int pid;

        OwnerLocks(Fd fd) {
            this.fd = fd;
        }
    }

    /** An open file or directory. */
    private record Handle(Node node, Fd fd, List<DirEntry> listing, boolean passthrough) {}

    /**
     * A mirror of {@code source}.
     *
     * @param kernelPassthrough answer opens of regular files with backing files (needs root and Linux 6.9+)
     * @param timeout how long the kernel may cache names and attributes
     */
    public PassthroughFs(Path source, boolean kernelPassthrough, Duration timeout) throws IOException {
        this.rootFd = Posix.open(source, Posix.O_PATH | Posix.O_DIRECTORY);
        Stat st = Posix.stat(rootFd);
        this.root = new Node(1, rootFd, new InodeKey(st.dev(), st.ino()), true);
        this.root.lookups = Long.MAX_VALUE / 2; // never forgotten
        nodes.put(1L, root);
        byInode.put(root.key, root);
        this.kernelPassthrough = kernelPassthrough;
        this.timeout = timeout;
        this.asRoot = "root".equals(System.getProperty("user.name"));
    }

    // ---- names: Linux names are bytes; the API hands them as Strings ----

    /** The bytes of a name as the kernel sent it. */
    static byte[] bytes(String name) {
        return Names.bytes(name);
    }

    /** A name read from the source, for the API. */
    static String string(byte[] name) {
        return Names.fromBytes(name);
    }

    // ---- nodes ----

    private Node node(long id) throws FuseException {
        Node n = nodes.get(id);
        if (n == null) {
            throw new FuseException(Errno.ESTALE, "unknown node " + id);
        }
        return n;
    }

    private Handle handle(long fh) throws FuseException {
        Handle h = handles.get(fh);
        if (h == null) {
            throw new FuseException(Errno.EBADF, "unknown handle " + fh);
        }
        return h;
    }

    private FileAttr attr(Stat st) {
        return FileAttr.builder(st.ino(), FileType.fromMode(st.mode())).perm(st.mode() & 07777).size(st.size())
                .blocks(st.blocks()).atime(st.atime()).mtime(st.mtime()).ctime(st.ctime()).nlink(st.nlink())
                .uid(st.uid()).gid(st.gid()).rdev(st.rdev()).blksize(st.blksize()).build();
    }

    /** Takes over {@code fd} (an O_PATH descriptor of a name just looked up) as a node, counting one lookup. */
    private Entry entry(Fd fd) throws IOException {
        Stat st;
        try {
            st = Posix.stat(fd);
        } catch (IOException e) {
            fd.close();
            throw e;
        }
        InodeKey key = new InodeKey(st.dev(), st.ino());
        Node n;
        synchronized (this) {
            n = byInode.get(key);
            if (n != null) {
                fd.close();
            } else {
                n = new Node(nextNode.getAndIncrement(), fd, key, Mode.isDirectory(st.mode()));
                byInode.put(key, n);
                nodes.put(n.id, n);
            }
            n.lookups++;
        }
        return new Entry(n.id, 0, attr(st), timeout, timeout);
    }

    private Entry lookupIn(Node parent, byte[] name) throws IOException {
        return entry(Posix.openat(parent.fd, name, Posix.O_PATH | Posix.O_NOFOLLOW, 0));
    }

    @Override
    public void init(KernelConfig config) {
        if (kernelPassthrough) {
            config.enable(Capability.PASSTHROUGH);
        }
        // The kernel then says when a write or truncate must drop set-user/group-ID bits (done here) and stops
        // asking for security.capability before every write: without it each WRITE, also each write the kernel
        // passes through to the source, costs a GETXATTR round trip to the daemon.
        config.enableIfSupported(Capability.HANDLE_KILLPRIV_V2);
        backingFiles = config.backingFiles();
    }

    @Override
    public Entry lookup(Request req, long parent, String name) throws IOException {
        Node p = node(parent);
        byte[] n = bytes(name);
        if (p == root && java.util.Arrays.equals(n, DOTDOT)) {
            n = DOT; // ".." of the root is the root: never its parent outside the source
        }
        return lookupIn(p, n);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        Node n = nodes.get(nodeId);
        if (n == null || n == root) {
            return;
        }
        synchronized (this) {
            n.lookups -= nlookup;
            if (n.lookups > 0) {
                return;
            }
            nodes.remove(nodeId);
            byInode.remove(n.key, n);
        }
        n.fd.close();
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
        return new AttrReply(attr(Posix.stat(node(nodeId).fd)), timeout);
    }

    @Override
    public AttrReply setattr(Request req, long nodeId, SetAttr changes) throws IOException {
        Node n = node(nodeId);
        if (changes.mode().isPresent()) {
            Posix.chmod(n.fd, changes.mode().getAsInt() & 07777);
        }
        if (changes.uid().isPresent() || changes.gid().isPresent()) {
            Posix.chown(n.fd, changes.uid().orElse(-1), changes.gid().orElse(-1));
        }
        if (changes.size().isPresent()) {
            Handle h = changes.fh().isPresent() ? handles.get(changes.fh().getAsLong()) : null;
            if (h != null && h.fd() != null) {
                Posix.truncate(h.fd(), changes.size().getAsLong());
            } else {
                try (Fd w = Posix.reopen(n.fd, Posix.O_WRONLY)) {
                    Posix.truncate(w, changes.size().getAsLong());
                }
            }
            if (changes.killSuidgid()) {
                killSuidgid(n.fd);
            }
        }
        boolean atime = changes.atimeNow() || changes.atime().isPresent();
        boolean mtime = changes.mtimeNow() || changes.mtime().isPresent();
        if (atime || mtime) {
            long[] a = time(changes.atimeNow(), changes.atime().orElse(null));
            long[] m = time(changes.mtimeNow(), changes.mtime().orElse(null));
            Posix.utimens(n.fd, a[0], a[1], m[0], m[1]);
        }
        return new AttrReply(attr(Posix.stat(n.fd)), timeout);
    }

    private static long[] time(boolean now, Instant t) {
        if (now) {
            return new long[] {0, Posix.UTIME_NOW};
        }
        if (t == null) {
            return new long[] {0, Posix.UTIME_OMIT};
        }
        return new long[] {t.getEpochSecond(), t.getNano()};
    }

    @Override
    public String readlink(Request req, long nodeId) throws IOException {
        return string(Posix.readlink(node(nodeId).fd));
    }

    /**
     * Finishes a creation: looks the new name up, sets the exact mode (the daemon's umask must not strip bits the
     * caller's umask kept) and, as root, gives it to the caller.
     */
    private Entry created(Request req, Node parent, byte[] name, int mode, boolean symlink) throws IOException {
        Fd fd = Posix.openat(parent.fd, name, Posix.O_PATH | Posix.O_NOFOLLOW, 0);
        try {
            own(req, parent, fd); // before the mode: a chown clears set-user/group-ID bits
            if (!symlink) {
                fixMode(fd, mode);
            }
        } catch (IOException e) {
            fd.close();
            throw e;
        }
        return entry(fd);
    }

    /**
     * Gives a new node exactly the permission bits the caller asked for (the daemon's own umask may have stripped
     * some); the set-group-ID bit a directory inherited from a set-group-ID parent stays.
     */
    private static void fixMode(Fd fd, int mode) throws IOException {
        Stat st = Posix.stat(fd);
        int want = Mode.permissions(mode) | (Mode.isDirectory(st.mode()) ? st.mode() & Mode.S_ISGID : 0);
        if ((st.mode() & 07777) != want) {
            Posix.chmod(fd, want);
        }
    }

    private void own(Request req, Node parent, Fd fd) throws IOException {
        if (asRoot) {
            boolean setgidDir = (Posix.stat(parent.fd).mode() & Mode.S_ISGID) != 0;
            Posix.chown(fd, req.uid(), setgidDir ? -1 : req.gid());
        }
    }

    @Override
    public Entry mknod(Request req, long parent, String name, int mode, int umask, int rdev) throws IOException {
        Node p = node(parent);
        byte[] n = bytes(name);
        Posix.mknodat(p.fd, n, mode, rdev);
        return created(req, p, n, mode, false);
    }

    @Override
    public Entry mkdir(Request req, long parent, String name, int mode, int umask) throws IOException {
        Node p = node(parent);
        byte[] n = bytes(name);
        Posix.mkdirat(p.fd, n, mode & 07777);
        return created(req, p, n, mode, false);
    }

    @Override
    public Entry symlink(Request req, long parent, String name, String target) throws IOException {
        Node p = node(parent);
        byte[] n = bytes(name);
        Posix.symlinkat(bytes(target), p.fd, n);
        return created(req, p, n, 0, true);
    }

    @Override
    public void unlink(Request req, long parent, String name) throws IOException {
        Posix.unlinkat(node(parent).fd, bytes(name), 0);
    }

    @Override
    public void rmdir(Request req, long parent, String name) throws IOException {
        Posix.unlinkat(node(parent).fd, bytes(name), Posix.AT_REMOVEDIR);
    }

    @Override
    public void rename(Request req, long parent, String name, long newParent, String newName, int flags)
            throws IOException {
        Posix.renameat2(node(parent).fd, bytes(name), node(newParent).fd, bytes(newName), flags);
    }

    @Override
    public Entry link(Request req, long nodeId, long newParent, String newName) throws IOException {
        Node n = node(nodeId);
        Node p = node(newParent);
        byte[] nn = bytes(newName);
        Posix.link(n.fd, p.fd, nn);
        return lookupIn(p, nn);
    }

    // ---- files ----

    private static int openFlags(int flags) {
        // The kernel handles O_CREAT/O_EXCL (create) and the lookup; O_NOFOLLOW is for the path walk it did.
        return flags & ~(Posix.O_CREAT | Posix.O_EXCL | Posix.O_NOCTTY | Posix.O_NOFOLLOW);
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws IOException {
        Node n = node(nodeId);
        Fd fd = Posix.reopen(n.fd, openFlags(flags));
        if (req.killSuidgid() && (flags & Posix.O_TRUNC) != 0) {
            try {
                killSuidgid(n.fd); // an unprivileged truncating open drops them, as truncate does
            } catch (IOException e) {
                fd.close();
                throw e;
            }
        }
        return opened(n, fd, flags);
    }

    private OpenReply opened(Node n, Fd fd, int flags) throws IOException {
        long fh = nextHandle.getAndIncrement();
        BackingFiles.BackingFile backing = null;
        boolean setId = false;
        if (kernelPassthrough) {
            // A set-ID file's writes are served here, where WRITE_KILL_SUIDGID says when to drop the bits: the
            // kernel writes a backing file with the daemon's privilege, which keeps them.
            setId = isSetId(Posix.stat(n.fd).mode());
            backing = setId ? null : backing(n, flags);
        }
        handles.put(fh, new Handle(n, fd, null, backing != null));
        if (backing != null) {
            return backing.openReply(fh, 0);
        }
        // Served here while the node may have passthrough opens: direct I/O, since the kernel refuses a cached
        // open (ETXTBSY) of an inode it passes through.
        return kernelPassthrough && (setId || n.backing != null) ? OpenReply.of(fh, OpenReply.DIRECT_IO)
                : OpenReply.of(fh);
    }

    /** Set-user-ID, or set-group-ID with group execute (without it, the bit marks mandatory locking). */
    private static boolean isSetId(int mode) {
        return (mode & Mode.S_ISUID) != 0
                || (mode & (Mode.S_ISGID | Mode.S_IXGRP)) == (Mode.S_ISGID | Mode.S_IXGRP);
    }

    /**
     * What Linux does to a file an unprivileged caller writes or truncates: the set-user-ID bit goes, the
     * set-group-ID bit too when group execute is set, and so do file capabilities.
     */
    private static void killSuidgid(Fd node) throws IOException {
        Stat st = Posix.stat(node);
        if (Mode.isDirectory(st.mode())) {
            return;
        }
        int mode = st.mode() & 07777;
        int kept = mode & ~Mode.S_ISUID;
        if ((kept & Mode.S_IXGRP) != 0) {
            kept &= ~Mode.S_ISGID;
        }
        if (kept != mode) {
            Posix.chmod(node, kept);
        }
        try {
            Posix.removexattr(node, CAPABILITY);
        } catch (FuseException e) {
            if (Errno.EPERM.equals(e.errno()) && !hasCapabilities(node)) {
                return; // a daemon without CAP_SETFCAP may not remove it, but there was none to remove
            }
            if (!Errno.ENODATA.equals(e.errno()) && !Errno.EOPNOTSUPP.equals(e.errno())) {
                throw e;
            }
        }
    }

    private static boolean hasCapabilities(Fd node) throws FuseException {
        try {
            Posix.getxattr(node, CAPABILITY);
            return true;
        } catch (FuseException e) {
            if (Errno.ENODATA.equals(e.errno()) || Errno.EOPNOTSUPP.equals(e.errno())) {
                return false;
            }
            throw e;
        }
    }

    /**
     * The node's backing file for one more passthrough open, or null to serve this open ourselves. The kernel
     * wants the same backing file for every passthrough open of a node, so it is opened read-write when it can be.
     */
    private BackingFiles.BackingFile backing(Node n, int flags) {
        BackingFiles bf = backingFiles;
        boolean wantsWrite = (flags & Posix.O_ACCMODE) != Posix.O_RDONLY;
        synchronized (n) {
            try {
                if (n.backing == null) {
                    Fd file;
                    boolean writable = true;
                    try {
                        file = Posix.reopen(n.fd, Posix.O_RDWR);
                    } catch (FuseException e) {
                        writable = false;
                        file = Posix.reopen(n.fd, Posix.O_RDONLY);
                    }
                    try {
                        n.backing = bf.open(file.intValue());
                        n.backingWritable = writable;
                    } finally {
                        file.close();
                    }
                }
                if (wantsWrite && !n.backingWritable) {
                    return null;
                }
                n.backingOpens++;
                return n.backing;
            } catch (IOException e) {
                if (refusalLogged.compareAndSet(false, true)) {
                    LOG.log(System.Logger.Level.WARNING, "kernel passthrough refused, serving reads and writes"
                            + " instead: " + e.getMessage());
                }
                return null;
            }
        }
    }

    @Override
    public CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        Node p = node(parent);
        byte[] n = bytes(name);
        Fd fd = Posix.openat(p.fd, n, (openFlags(flags) | Posix.O_CREAT | Posix.O_NOFOLLOW)
                | (flags & Posix.O_EXCL), mode & 07777);
        return created(req, p, fd, mode, flags);
    }

    @Override
    public CreateReply tmpfile(Request req, long parent, int mode, int umask, int flags) throws IOException {
        Node p = node(parent);
        Fd fd = Posix.openat(p.fd, DOT, (openFlags(flags) & ~Posix.O_DIRECTORY) | Posix.O_TMPFILE, mode & 07777);
        return created(req, p, fd, mode, flags);
    }

    /**
     * The reply to a CREATE or TMPFILE whose file {@code fd} (open as the caller asked) was just made in
     * {@code p}: owned by the caller, given its exact mode, and entered as a node through an O_PATH descriptor of
     * that very inode, whatever renames follow. {@code fd} is closed if anything fails.
     */
    private CreateReply created(Request req, Node p, Fd fd, int mode, int flags) throws IOException {
        Entry e;
        try {
            Fd path = Posix.reopen(fd, Posix.O_PATH);
            try {
                own(req, p, path);
                fixMode(path, mode);
            } catch (IOException ex) {
                path.close();
                throw ex;
            }
            e = entry(path);
        } catch (IOException ex) {
            fd.close();
            throw ex;
        }
        return new CreateReply(e, opened(node(e.nodeId()), fd, flags));
    }

    /** READ requests this filesystem served (with kernel passthrough, those of files the kernel did not take). */
    public long servedReads() {
        return servedReads.get();
    }

    /** WRITE requests this filesystem served. */
    public long servedWrites() {
        return servedWrites.get();
    }

    /** GETXATTR requests this filesystem served. */
    public long servedGetxattrs() {
        return servedGetxattrs.get();
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
            throws IOException {
        servedReads.incrementAndGet();
        return ReadData.of(Posix.pread(handle(fh).fd(), size, offset));
    }

    @Override
    public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                     long lockOwner) throws IOException {
        servedWrites.incrementAndGet();
        Handle h = handle(fh);
        int written = Posix.pwrite(h.fd(), data, offset);
        if ((writeFlags & Abi.WRITE_KILL_SUIDGID) != 0) {
            killSuidgid(h.node().fd);
        }
        return written;
    }

    @Override
    public void flush(Request req, long nodeId, long fh, long lockOwner) {
        // Data goes to the source with every write; close-time errors are the source's at release. A close drops
        // all of the closing process's POSIX locks on the file: the kernel leaves that to this FLUSH.
        Node n = nodes.get(nodeId);
        if (n != null) {
            synchronized (n.owners) {
                OwnerLocks o = n.owners.remove(lockOwner);
                if (o != null) {
                    o.fd.close();
                }
            }
        }
    }

    // ---- locks ----

    @Override
    public FileLock getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) throws IOException {
        Node n = node(nodeId);
        synchronized (n.owners) {
            OwnerLocks mine = n.owners.get(lockOwner);
            // Asked through the owner's own descriptor, the owner's locks do not conflict, as for F_GETLK.
            Fd fd = mine != null ? mine.fd : lockDescriptor(n);
            FileLock c;
            try {
                c = Posix.ofdGetLock(fd, lock.type(), lock.start(), lock.end());
            } finally {
                if (mine == null) {
                    fd.close();
                }
            }
            if (c.type() == FileLock.F_UNLCK || c.pid() >= 0) {
                return c;
            }
            // An OFD lock: another owner on the mount, or one taken on the source directly (pid unknown, 0).
            long from = Math.max(c.start(), lock.start());
            long to = Math.min(c.end(), lock.end());
            int pid = 0;
            for (var e : n.owners.entrySet()) {
                if (e.getKey() != lockOwner && e.getValue().ranges.overlaps(from, to)) {
                    pid = e.getValue().pid;
                    break;
                }
            }
            return new FileLock(c.start(), c.end(), c.type(), pid);
        }
    }

    @Override
    public void setlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock, boolean sleep,
                      boolean flock) throws IOException {
        Node n = node(nodeId);
        if (flock) {
            flock(req, handle(fh), lock.type(), sleep);
            return;
        }
        long pause = 1;
        while (!posixLock(n, fh, lockOwner, lock, req.pid())) {
            if (!sleep) {
                throw new FuseException(Errno.EAGAIN, "a conflicting lock is held on the source");
            }
            pause = pause(req, pause);
        }
    }

    /** One non-blocking try of a POSIX lock or unlock for {@code owner}: false if a conflicting lock is held. */
    private boolean posixLock(Node n, long fh, long owner, FileLock lock, int reqPid) throws IOException {
        synchronized (n.owners) {
            OwnerLocks o = n.owners.get(owner);
            if (o == null) {
                if (lock.type() == FileLock.F_UNLCK) {
                    return true;
                }
                o = new OwnerLocks(lockDescriptor(n));
                n.owners.put(owner, o);
            }
            boolean done = false;
            try {
                done = Posix.ofdSetLock(o.fd, lock.type(), lock.start(), lock.end());
                if (done) {
                    if (lock.type() == FileLock.F_UNLCK) {
                        o.ranges.subtract(lock.start(), lock.end());
                    } else {
                        o.ranges.add(lock.start(), lock.end());
                        o.handles.add(fh);
                        o.pid = lock.pid() != 0 ? lock.pid() : reqPid;
                    }
                }
            } finally {
                if (o.ranges.isEmpty()) { // holds nothing: the descriptor goes, a waiter opens a new one
                    n.owners.remove(owner);
                    o.fd.close();
                }
            }
            return done;
        }
    }

    /** A descriptor of the node's file for OFD locks: read-write if it can be, else as it can be opened. */
    private static Fd lockDescriptor(Node n) throws FuseException {
        try {
            return Posix.reopen(n.fd, Posix.O_RDWR);
        } catch (FuseException e) {
            try {
                return Posix.reopen(n.fd, Posix.O_RDONLY);
            } catch (FuseException again) {
                return Posix.reopen(n.fd, Posix.O_WRONLY);
            }
        }
    }

    /** flock(2) on the handle's own descriptor, whose open file description is the lock's owner. */
    private static void flock(Request req, Handle h, int type, boolean sleep) throws IOException {
        if (h.fd() == null) {
            throw new FuseException(Errno.EBADF, "flock on a directory handle");
        }
        int op = switch (type) {
            case FileLock.F_RDLCK -> LOCK_SH;
            case FileLock.F_WRLCK -> LOCK_EX;
            default -> LOCK_UN;
        };
        if (op == LOCK_UN) {
            Posix.flock(h.fd(), LOCK_UN);
            return;
        }
        long pause = 1;
        while (true) {
            try {
                Posix.flock(h.fd(), op | LOCK_NB);
                return;
            } catch (FuseException e) {
                if (!sleep || !Errno.EAGAIN.equals(e.errno())) {
                    throw e;
                }
            }
            pause = pause(req, pause);
        }
    }

    private static final int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    /**
     * Waits {@code ms} before the next try of a blocked lock, unless the caller was interrupted (EINTR); returns
     * the next pause. Sleeping parks the request's virtual thread, so a wait holds no carrier thread.
     */
    private static long pause(Request req, long ms) throws FuseException {
        if (req.isInterrupted()) {
            throw new FuseException(Errno.EINTR, "lock wait interrupted");
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new FuseException(Errno.EINTR, "lock wait interrupted");
        }
        if (req.isInterrupted()) {
            throw new FuseException(Errno.EINTR, "lock wait interrupted");
        }
        return Math.min(ms * 2, MAX_LOCK_PAUSE_MS);
    }

    @Override
    public void release(Request req, long nodeId, long fh, int flags, int releaseFlags, long lockOwner)
            throws IOException {
        Handle h = handles.remove(fh);
        if (h == null) {
            return;
        }
        h.fd().close();
        Node ln = h.node();
        synchronized (ln.owners) { // owners that locked only through this handle (OFD locks of the client's)
            for (var it = ln.owners.values().iterator(); it.hasNext(); ) {
                OwnerLocks o = it.next();
                if (o.handles.remove(fh) && o.handles.isEmpty()) {
                    it.remove();
                    o.fd.close();
                }
            }
        }
        if (h.passthrough()) {
            Node n = h.node();
            synchronized (n) {
                if (--n.backingOpens == 0) {
                    BackingFiles.BackingFile b = n.backing;
                    n.backing = null;
                    b.close();
                }
            }
        }
    }

    @Override
    public void fsync(Request req, long nodeId, long fh, boolean datasync) throws IOException {
        Posix.fsync(handle(fh).fd(), datasync);
    }

    @Override
    public void fallocate(Request req, long nodeId, long fh, long offset, long length, int mode) throws IOException {
        Posix.fallocate(handle(fh).fd(), mode, offset, length);
    }

    @Override
    public long lseek(Request req, long nodeId, long fh, long offset, int whence) throws IOException {
        return Posix.lseek(handle(fh).fd(), offset, whence);
    }

    @Override
    public long copyFileRange(Request req, long nodeIdIn, long fhIn, long offsetIn, long nodeIdOut, long fhOut,
                              long offsetOut, long length, long flags) throws IOException {
        return Posix.copyFileRange(handle(fhIn).fd(), offsetIn, handle(fhOut).fd(), offsetOut, length, (int) flags);
    }

    // ---- directories ----

    @Override
    public OpenReply opendir(Request req, long nodeId, int flags) throws IOException {
        Node n = node(nodeId);
        List<DirEntry> entries = new ArrayList<>(Posix.readdir(n.fd));
        long fh = nextHandle.getAndIncrement();
        handles.put(fh, new Handle(n, null, entries, false));
        return OpenReply.of(fh);
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        List<DirEntry> entries = handle(fh).listing();
        for (int i = (int) offset; i < entries.size(); i++) {
            DirEntry d = entries.get(i);
            if (!listing.add(string(d.name()), d.ino(), type(d.type()), i + 1)) {
                return;
            }
        }
    }

    private static FileType type(int dtype) {
        return switch (dtype) {
            case 1 -> FileType.FIFO;
            case 2 -> FileType.CHAR_DEVICE;
            case 4 -> FileType.DIRECTORY;
            case 6 -> FileType.BLOCK_DEVICE;
            case 10 -> FileType.SYMLINK;
            case 12 -> FileType.SOCKET;
            default -> FileType.REGULAR_FILE;
        };
    }

    @Override
    public void releasedir(Request req, long nodeId, long fh, int flags) {
        handles.remove(fh);
    }

    @Override
    public void fsyncdir(Request req, long nodeId, long fh, boolean datasync) throws IOException {
        try (Fd d = Posix.reopen(node(nodeId).fd, Posix.O_RDONLY | Posix.O_DIRECTORY)) {
            Posix.fsync(d, datasync);
        }
    }

    @Override
    public FsStats statfs(Request req, long nodeId) throws IOException {
        StatFs s = Posix.statfs(rootFd);
        return new FsStats(s.blocks(), s.bfree(), s.bavail(), s.files(), s.ffree(), (int) s.bsize(),
                (int) s.namemax(), (int) s.frsize());
    }

    @Override
    public void syncfs(Request req, long nodeId) throws IOException {
        Posix.syncfs(rootFd);
    }

    // ---- extended attributes ----

    @Override
    public void setxattr(Request req, long nodeId, String name, byte[] value, int flags, int setxattrFlags)
            throws IOException {
        Posix.setxattr(node(nodeId).fd, bytes(name), value, flags);
    }

    @Override
    public byte[] getxattr(Request req, long nodeId, String name) throws IOException {
        servedGetxattrs.incrementAndGet();
        return Posix.getxattr(node(nodeId).fd, bytes(name));
    }

    @Override
    public List<String> listxattr(Request req, long nodeId) throws IOException {
        List<String> out = new ArrayList<>();
        for (byte[] n : Posix.listxattr(node(nodeId).fd)) {
            String name = string(n);
            // The daemon sees trusted.* names with its own privilege; the kernel filters only get and set.
            if (req.uid() == 0 || !name.startsWith("trusted.")) {
                out.add(name);
            }
        }
        return out;
    }

    @Override
    public void removexattr(Request req, long nodeId, String name) throws IOException {
        Posix.removexattr(node(nodeId).fd, bytes(name));
    }

    // ---- life cycle ----

    /** How many source descriptors are open (nodes, files, the root): 0 after {@link #close()}. */
    public synchronized int openDescriptors() {
        int n = 0;
        for (Node node : nodes.values()) {
            n += node.fd.isClosed() ? 0 : 1;
        }
        for (Handle h : handles.values()) {
            n += h.fd() != null && !h.fd().isClosed() ? 1 : 0;
        }
        for (Node node : nodes.values()) {
            synchronized (node.owners) {
                n += node.owners.size();
            }
        }
        return n;
    }

    @Override
    public void destroy() {
        close();
    }

    /** Closes every descriptor: open files, nodes, the root. */
    @Override
    public synchronized void close() {
        for (Handle h : handles.values()) {
            if (h.fd() != null) {
                h.fd().close();
            }
            if (h.passthrough()) {
                BackingFiles.BackingFile b = h.node().backing;
                if (b != null) {
                    try {
                        b.close();
                    } catch (IOException e) {
                        // the session is ending: its backing ids go with it
                    }
                }
            }
        }
        handles.clear();
        for (Node n : nodes.values()) {
            synchronized (n.owners) {
                for (OwnerLocks o : n.owners.values()) {
                    o.fd.close();
                }
                n.owners.clear();
            }
            n.fd.close();
        }
        nodes.clear();
        byInode.clear();
    }
}
