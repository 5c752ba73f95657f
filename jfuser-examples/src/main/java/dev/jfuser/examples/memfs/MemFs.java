package dev.jfuser.examples.memfs;

import static dev.jfuser.Access.R_OK;
import static dev.jfuser.Access.W_OK;
import static dev.jfuser.Access.X_OK;
import static dev.jfuser.FallocateMode.FALLOC_FL_KEEP_SIZE;
import static dev.jfuser.FallocateMode.FALLOC_FL_PUNCH_HOLE;
import static dev.jfuser.Mode.S_ISGID;
import static dev.jfuser.Mode.S_ISUID;
import static dev.jfuser.Mode.S_ISVTX;
import static dev.jfuser.OpenFlags.O_ACCMODE;
import static dev.jfuser.OpenFlags.O_APPEND;
import static dev.jfuser.OpenFlags.O_NOATIME;
import static dev.jfuser.OpenFlags.O_TRUNC;
import static dev.jfuser.RenameFlags.RENAME_EXCHANGE;
import static dev.jfuser.RenameFlags.RENAME_NOREPLACE;
import static dev.jfuser.RenameFlags.RENAME_WHITEOUT;
import static dev.jfuser.XattrFlags.XATTR_CREATE;
import static dev.jfuser.XattrFlags.XATTR_LIST_MAX;
import static dev.jfuser.XattrFlags.XATTR_NAME_MAX;
import static dev.jfuser.XattrFlags.XATTR_REPLACE;
import static dev.jfuser.XattrFlags.XATTR_SIZE_MAX;
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
import dev.jfuser.HandoverSource;
import dev.jfuser.IoctlReply;
import dev.jfuser.KernelConfig;
import dev.jfuser.Names;
import dev.jfuser.OpenFlags;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Abi;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory POSIX filesystem that behaves like the kernel's tmpfs: regular files (sparse), directories,
 * symlinks, hard links, FIFOs, sockets and device nodes, O_TMPFILE, RENAME_WHITEOUT (so it can be the upper layer
 * of an overlay), extended attributes, POSIX and flock locks, inode flags ({@code chattr +i +a +d +A}, enforced by
 * memfs since the kernel enforces none for FUSE), fallocate, SEEK_DATA/SEEK_HOLE, copy_file_range, and an optional size limit that answers ENOSPC.
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
 * rename (with the sticky-bit rule), read/write at open (execute for the open of a program being executed), and the chmod/chown/utimens rules of Linux in setattr.
 * POSIX ACLs ({@code setfacl}) are supported and checked there too; negotiating them ({@link Capability#POSIX_ACL})
 * makes the kernel enforce them and turns on {@code default_permissions} for every memfs mount, so the kernel checks
 * first with the same rules, and both agree. (Without kernel checks, on a kernel before 4.9 without
 * {@code default_permissions}, the kernel would ask the filesystem only on a dentry cache miss, so a path walk
 * through a name cached within the entry timeout would not be re-checked.)
 *
 * <h2>Caching</h2>
 * memfs is the only writer of its tree and every change passes through the kernel of this mount, which
 * invalidates its own dentries and attributes on unlink, rename, link, write, setattr and so on. Names, attributes
 * and negative lookups are therefore cached for {@link Options#entryTimeout()} / {@link Options#attrTimeout()}
 * (1 s by default). File data is not kept across opens (no {@code KEEP_CACHE}), and writes go through to memfs
 * (no writeback cache), so memfs always holds the bytes.
 *
 * <h2>Locks</h2>
 * By default memfs implements record locks (POSIX and open-file-description) and flock itself
 * ({@link Capability#POSIX_LOCKS}, {@link Capability#FLOCK_LOCKS}), with Linux's rules: POSIX locks go with any
 * close by their process, OFD locks and flock with the last close of their open file description, {@code F_GETLK}
 * names the conflicting lock Linux would, and a wait that would deadlock fails with EDEADLK. That is what a
 * filesystem shared between machines must do, and the kernel then knows nothing of the locks ({@code /proc/locks}
 * lists none). With {@link Options#withKernelLocks()} memfs leaves both to the kernel, which keeps them itself:
 * local to this machine, listed in {@code /proc/locks}, and unseen by memfs.
 *
 * <h2>File handles</h2>
 * memfs negotiates {@link Capability#EXPORT_SUPPORT}, so file handles ({@code name_to_handle_at(2)},
 * {@code open_by_handle_at(2)}, an NFS export) stay valid while their file exists, also after the kernel dropped
 * the inode from its cache: node ids are never reused within a memfs, {@link #nodes} indexes every node that still
 * exists (linked, open, or known to the kernel), and a handle of a removed node is stale (ESTALE). All nodes but
 * the root carry one generation chosen when the memfs is created, so handles, like those of tmpfs, do not survive
 * a remount, not even one that reloads the same image.
 *
 * <h2>Persistence</h2>
 * With {@link Options#image()} the tree is loaded from that file when memfs is created and saved to it, crash-safely,
 * when the session ends ({@link #destroy()}); see {@link MemFsImage}.
 */
public final class MemFs implements Filesystem, HandoverSource {
    private static final System.Logger LOG = System.getLogger("dev.jfuser.examples.memfs");

    static final long ROOT = 1;
    static final int NAME_MAX = 255;
    private static final int PATH_MAX = 4096;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    // Inode flags (linux/fs.h) and the ioctls that read and change them; the kernel sends FS_IOC_FSGETXATTR
    // before every change, to learn the flags it checks CAP_LINUX_IMMUTABLE against.
    static final int FS_IMMUTABLE_FL = 0x10;
    static final int FS_APPEND_FL = 0x20;
    static final int FS_NODUMP_FL = 0x40;
    static final int FS_NOATIME_FL = 0x80;
    /** The flags memfs keeps, those tmpfs keeps (besides casefolding); any other is EOPNOTSUPP. */
    static final int SUPPORTED_FLAGS = FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL | FS_NOATIME_FL;
    /** The flags a new node takes from its directory, as on tmpfs. */
    private static final int INHERITED_FLAGS = FS_NODUMP_FL | FS_NOATIME_FL;
    static final int FS_IOC_GETFLAGS = 0x80086601;
    static final int FS_IOC_SETFLAGS = 0x40086602;
    static final int FS_IOC_FSGETXATTR = 0x801c581f;
    static final int FS_IOC_FSSETXATTR = 0x401c5820;
    /** {@code struct fsxattr}: xflags, extsize, nextents, projid, cowextsize, 8 bytes of padding. */
    private static final int FSXATTR_SIZE = 28;
    private static final int FS_XFLAG_IMMUTABLE = 0x8;
    private static final int FS_XFLAG_APPEND = 0x10;
    private static final int FS_XFLAG_NOATIME = 0x40;
    private static final int FS_XFLAG_NODUMP = 0x80;

    /**
     * How a memfs is set up.
     *
     * @param sizeLimit bytes memfs may hold (statfs reports it; beyond it writes and creates fail with ENOSPC): file
     *     data in whole 4 KiB pages, plus a charge for every inode, directory entry, xattr and symlink target, so
     *     the limit bounds the memory the tree takes
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
            long half = Runtime.getRuntime().maxMemory() / 2 / CHUNK * CHUNK;
            long size = Math.max(CHUNK, Math.min(heapCapacity(), half));
            return new Options(size, Math.max(65536, size / CHUNK), Entry.DEFAULT_TIMEOUT, Entry.DEFAULT_TIMEOUT,
                    true, null, 0, 0, 0755, AtimePolicy.RELATIME);
        }

        /**
         * The largest size limit this JVM's heap can hold: the maximum heap ({@code -Xmx}) less room for what the
         * session and the JVM allocate besides the tree (an eighth of the heap, at least 32 MiB), in whole pages.
         */
        public static long heapCapacity() {
            long max = Runtime.getRuntime().maxMemory();
            long room = Math.max(32L << 20, max / 8);
            return Math.max(CHUNK, (max - room) / CHUNK * CHUNK);
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
    /** The record-lock requests waiting now, oldest first (for deadlock detection). */
    private final List<LockWait> lockWaits = new ArrayList<>();
    final HashMap<Long, Node> nodes = new HashMap<>();
    private final HashMap<Long, Handle> handles = new HashMap<>();
    /**
     * Per open directory handle: the directory's next cookie when its listing started (at opendir, and again at
     * every READDIR of offset 0, i.e. rewinddir). A listing returns only entries with a smaller cookie.
     */
    private final HashMap<Long, Long> listingEnds = new HashMap<>();
    private final long maxChunks;
    /** Never reused within this memfs, so a node id names one inode for the memfs's life. */
    private long nextIno = 2;
    /**
     * The generation of every node but the root (whose generation the kernel fixes at 0): one per memfs, so a
     * file handle from an earlier memfs, whose node id may belong to another file of this one, is stale here.
     * Positive and below 2^31: the kernel keeps 32 bits.
     */
    private long generation = java.util.concurrent.ThreadLocalRandom.current().nextInt(1, Integer.MAX_VALUE);
    private long nextFh = 1;
    /**
     * Bytes charged against the size limit over all nodes: whole data chunks, inodes, directory entries, xattrs and
     * symlink targets (see {@link Node#charge()}).
     */
    long used;
    private volatile IOException saveFailure;

    /** A memfs with the {@link Options#defaults()}. */
    public MemFs() throws IOException {
        this(Options.defaults());
    }

    /**
     * A memfs; with an image in the options that exists, the tree is loaded from it.
     *
     * @throws IOException if the image cannot be saved where it is (its directory is missing or not writable: probed
     *     by writing the temporary file a save writes), or exists but cannot be read, or is corrupt or not a memfs
     *     image (the message names the file); nothing is loaded then
     */
    public MemFs(Options options) throws IOException {
        this(options, true);
    }

    private MemFs(Options options, boolean loadImage) throws IOException {
        this.options = Objects.requireNonNull(options, "options");
        this.maxChunks = options.sizeLimit() / CHUNK;
        if (options.sizeLimit() > Options.heapCapacity()) {
            LOG.log(System.Logger.Level.WARNING, "memfs: the size limit of " + options.sizeLimit() + " bytes exceeds "
                    + "what the Java heap can hold (" + Options.heapCapacity() + " of " + Runtime.getRuntime()
                    .maxMemory() + " bytes); filling it ends in OutOfMemoryError: raise -Xmx or lower the limit");
        }
        Path image = options.image();
        if (image != null) {
            MemFsImage.probe(image);
            for (Path stale : MemFsImage.removeStaleTemporaries(image)) {
                LOG.log(System.Logger.Level.INFO, "memfs: removed " + stale + ", left by a save that did not finish");
            }
        }
        if (!loadImage) {
            return; // restore() fills the tree
        }
        if (image != null && Files.exists(image)) {
            MemFsImage.Loaded loaded = MemFsImage.load(image);
            for (Node n : loaded.nodes()) {
                nodes.put(n.ino, n);
                used += n.charge();
                nextIno = Math.max(nextIno, n.ino + 1);
            }
        } else {
            Node root = new Node(ROOT, FileType.DIRECTORY, options.rootPerm() & 07777, options.rootUid(),
                    options.rootGid(), Instant.now());
            root.parent = root;
            nodes.put(ROOT, root);
            used += root.charge();
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
        // File handles outlive the kernel's inode cache: lookupNode and lookupParent answer by node id.
        config.enableIfSupported(Capability.EXPORT_SUPPORT);
        // POSIX ACLs: the kernel enforces them (and turns on default_permissions); memfs stores them, keeps the
        // mode in step and applies default ACLs. SETXATTR_EXT brings the "clear set-gid" flag of an ACL change.
        config.enableIfSupported(Capability.POSIX_ACL);
        config.enableIfSupported(Capability.SETXATTR_EXT);
        if (options.filesystemLocks()) {
            config.enableIfSupported(Capability.POSIX_LOCKS);
            config.enableIfSupported(Capability.FLOCK_LOCKS);
        } else {
            // getlk and setlk are implemented, which turns both on: leave the locks to the kernel instead.
            config.disable(Capability.POSIX_LOCKS);
            config.disable(Capability.FLOCK_LOCKS);
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
            saveFailure = null;
        } catch (IOException | RuntimeException e) {
            String why = "memfs: could not save the image " + image + " (" + MemFsImage.cause(e)
                    + "); the changes of this mount are lost";
            saveFailure = new IOException(why, e);
            LOG.log(System.Logger.Level.ERROR, why, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Why the image could not be saved at the end of the session ({@link #destroy()}), or empty when it was saved
     * or there is no image. A program serving memfs should check it after the unmount and report a failure: the
     * changes of the mount are lost then.
     */
    public Optional<IOException> saveFailure() {
        return Optional.ofNullable(saveFailure);
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

    /**
     * Refuses a hand-over while memfs holds state the live tree does not carry: a lock request waiting, or POSIX or
     * flock locks it keeps itself (without {@link Options#withKernelLocks()}, whose locks the kernel keeps across
     * the hand-over).
     */
    @Override
    public void checkHandover() throws IOException {
        lock.lock();
        try {
            if (!lockWaits.isEmpty()) {
                throw new IOException("memfs: " + lockWaits.size() + " lock request(s) wait; hand over once they"
                        + " were granted or given up");
            }
            for (Node n : nodes.values()) {
                if (n.locks != null && !n.locks.isEmpty()) {
                    throw new IOException("memfs holds POSIX or flock locks (on node " + n.ino + "), which a hand-over"
                            + " does not carry yet; release them first, or run memfs with --kernel-locks");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Marks the live state of {@link #handoverState()}. */
    private static final int LIVE_MAGIC = 0x4a464d4c; // "JFML"
    private static final int LIVE_VERSION = 1;

    /**
     * The whole live tree for the process taking the mount over: every node under its node id (also those unlinked
     * but still open or known to the kernel), its lookup count, link count and open count, every open file and
     * directory handle under its fh value, the listing position of each open directory, the id and handle counters
     * and the generation. {@link #restore} rebuilds exactly that, so the kernel's node ids and file handles stay
     * valid. Refused while a lock request waits (its caller would be left waiting in this process).
     */
    @Override
    public byte[] handoverState() throws IOException {
        lock.lock();
        try {
            if (!lockWaits.isEmpty()) {
                throw new IOException("memfs: " + lockWaits.size() + " lock request(s) still wait; they cannot be "
                        + "handed over");
            }
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
                out.writeInt(LIVE_MAGIC);
                out.writeInt(LIVE_VERSION);
                out.writeLong(nextIno);
                out.writeLong(nextFh);
                out.writeLong(generation);
                out.writeInt(nodes.size());
                for (Node n : nodes.values()) {
                    MemFsImage.writeNode(out, n);
                    out.writeInt(n.nlink);
                    out.writeLong(n.lookups);
                    out.writeInt(n.opens);
                    out.writeBoolean(n.tmpfile);
                    out.writeLong(n.isDir() && n.parent != null ? n.parent.ino : -1);
                }
                out.writeInt(handles.size());
                for (Map.Entry<Long, Handle> h : handles.entrySet()) {
                    out.writeLong(h.getKey());
                    out.writeLong(h.getValue().node().ino);
                    out.writeInt(h.getValue().flags());
                }
                out.writeInt(listingEnds.size());
                for (Map.Entry<Long, Long> e : listingEnds.entrySet()) {
                    out.writeLong(e.getKey());
                    out.writeLong(e.getValue());
                }
            }
            return bytes.toByteArray();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A memfs rebuilt from the {@link #handoverState()} of the memfs that served a mount before (see
     * {@link dev.jfuser.Fuse#resume}); its image, if {@code options} name one, is not read (the live tree is newer)
     * but written at unmount as usual.
     *
     * @param options the options to run with (those of the old process, typically the same command line)
     * @param state   the bytes {@link #handoverState()} returned
     * @return the memfs, holding the same nodes, ids and handles
     * @throws IOException if {@code state} is not a memfs live state of this version or is inconsistent
     */
    public static MemFs restore(Options options, byte[] state) throws IOException {
        MemFs fs = new MemFs(options, false);
        Path where = Path.of("<handed-over state>");
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(state))) {
            if (in.readInt() != LIVE_MAGIC || in.readInt() != LIVE_VERSION) {
                throw new IOException("the handed-over state is not a memfs live state of version " + LIVE_VERSION
                        + " (was the old process another memfs version, or another filesystem?)");
            }
            fs.nextIno = in.readLong();
            fs.nextFh = in.readLong();
            fs.generation = in.readLong();
            int count = in.readInt();
            Map<Node, List<Object[]>> entries = new HashMap<>();
            Map<Node, Long> parents = new HashMap<>();
            List<Object[]> counts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Node n = MemFsImage.readNode(in, where, MemFsImage.VERSION, entries);
                counts.add(new Object[] {n, in.readInt(), in.readLong(), in.readInt()});
                n.tmpfile = in.readBoolean();
                long parent = in.readLong();
                if (parent >= 0) {
                    parents.put(n, parent);
                }
                if (fs.nodes.put(n.ino, n) != null) {
                    throw MemFsImage.corrupt(where, "node " + n.ino + " appears twice");
                }
            }
            for (Map.Entry<Node, List<Object[]>> d : entries.entrySet()) {
                for (Object[] e : d.getValue()) {
                    Node child = fs.nodes.get((Long) e[2]);
                    if (child == null) {
                        throw MemFsImage.corrupt(where, "directory " + d.getKey().ino + " names missing node " + e[2]);
                    }
                    d.getKey().putEntry(new Node.DirEntry((String) e[1], (Long) e[0], child));
                }
            }
            for (Map.Entry<Node, Long> p : parents.entrySet()) {
                p.getKey().parent = fs.nodes.get(p.getValue());
            }
            for (Object[] c : counts) {
                Node n = (Node) c[0];
                n.nlink = (Integer) c[1];
                n.lookups = (Long) c[2];
                n.opens = (Integer) c[3];
                fs.used += n.charge();
            }
            int handles = in.readInt();
            for (int i = 0; i < handles; i++) {
                long fh = in.readLong();
                Node n = fs.nodes.get(in.readLong());
                int flags = in.readInt();
                if (n == null) {
                    throw MemFsImage.corrupt(where, "handle " + fh + " names a missing node");
                }
                fs.handles.put(fh, new Handle(n, flags));
            }
            int listings = in.readInt();
            for (int i = 0; i < listings; i++) {
                fs.listingEnds.put(in.readLong(), in.readLong());
            }
            if (in.read() != -1) {
                throw MemFsImage.corrupt(where, "there are bytes after its end");
            }
        } catch (java.io.EOFException e) {
            throw MemFsImage.corrupt(where, "it is truncated");
        } catch (IllegalArgumentException e) {
            throw MemFsImage.corrupt(where, e.getMessage());
        }
        Node root = fs.nodes.get(ROOT);
        if (root == null || !root.isDir()) {
            throw MemFsImage.corrupt(where, "it has no root directory");
        }
        root.parent = root;
        return fs;
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
            require(req, dir, X_OK);
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

    /**
     * A node by id, for a file handle the kernel decodes: any node that still exists, whether or not the kernel
     * knows it now; ESTALE once it is gone (removed and neither open nor known to the kernel). No permission check,
     * like local filesystems: opening by handle needs CAP_DAC_READ_SEARCH.
     */
    @Override
    public Entry lookupNode(Request req, long nodeId) throws IOException {
        lock.lock();
        try {
            return entry(existing(nodeId));
        } finally {
            lock.unlock();
        }
    }

    /** The directory containing directory {@code nodeId} (the root's is the root), for a decoded file handle. */
    @Override
    public Entry lookupParent(Request req, long nodeId) throws IOException {
        lock.lock();
        try {
            Node n = existing(nodeId);
            if (!n.isDir()) {
                throw new FuseException(Errno.ENOTDIR, "node " + nodeId + " is not a directory");
            }
            return entry(n.parent);
        } finally {
            lock.unlock();
        }
    }

    /** The node with this id unless it is gone or going: removed and not open (the kernel is forgetting it). */
    private Node existing(long nodeId) throws FuseException {
        Node n = nodes.get(nodeId);
        if (n == null || n.nlink == 0 && n.opens == 0) {
            throw new FuseException(Errno.ESTALE, "node " + nodeId + " no longer exists");
        }
        return n;
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
            requireSpace(Node.INODE_COST + Node.entryCost(name));
            Node n = newNode(req, dir, type, mode & 07777, umask);
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
            requireSpace(Node.INODE_COST + Node.entryCost(name));
            Node n = newNode(req, dir, FileType.DIRECTORY, mode & 01777, umask);
            link(dir, name, n);
            return entry(n);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Entry symlink(Request req, long parent, String name, String target) throws IOException {
        int length = Names.byteLength(target);
        if (length == 0) {
            throw new FuseException(Errno.ENOENT, "empty symlink target");
        }
        if (length >= PATH_MAX) {
            throw new FuseException(Errno.ENAMETOOLONG, "symlink target of " + length + " bytes");
        }
        lock.lock();
        try {
            Node dir = writableDir(req, parent, name);
            requireSpace(Node.INODE_COST + Node.entryCost(name) + length);
            Node n = newNode(req, dir, FileType.SYMLINK, 0777, 0);
            n.target = target;
            n.size = length;
            used += length;
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
            requireNoIa(n, "a hard link");
            if (n.nlink == 0 && !n.tmpfile) {
                throw new FuseException(Errno.ENOENT, "node " + nodeId + " was unlinked");
            }
            requireSpace(Node.entryCost(newName));
            if (n.tmpfile) {
                n.tmpfile = false;
                n.nlink = 0;
            }
            n.nlink++;
            n.ctime = Instant.now();
            used += dir.addEntry(newName, n);
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
            require(req, dir, W_OK | X_OK);
            Node.DirEntry e = existing(dir, name);
            Node n = e.node;
            checkRemovable(dir, n);
            if (n.isDir()) {
                throw new FuseException(Errno.EISDIR, name + " is a directory");
            }
            checkSticky(req, dir, n);
            used -= dir.removeEntry(e);
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
            require(req, dir, W_OK | X_OK);
            Node.DirEntry e = existing(dir, name);
            Node n = e.node;
            checkRemovable(dir, n);
            if (!n.isDir()) {
                throw new FuseException(Errno.ENOTDIR, name + " is not a directory");
            }
            if (!n.byName.isEmpty()) {
                throw new FuseException(Errno.ENOTEMPTY, name + " has " + n.byName.size() + " entries");
            }
            checkSticky(req, dir, n);
            used -= dir.removeEntry(e);
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
        if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) != 0
                || ((flags & RENAME_EXCHANGE) != 0 && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) != 0)) {
            throw new FuseException(Errno.EINVAL, "rename flags 0x" + Integer.toHexString(flags));
        }
        lock.lock();
        try {
            Node from = dir(parent);
            Node to = dir(newParent);
            checkName(name);
            checkName(newName);
            require(req, from, W_OK | X_OK);
            require(req, to, W_OK | X_OK);
            Node.DirEntry src = existing(from, name);
            Node.DirEntry dst = to.entry(newName);
            Node moving = src.node;
            Node victim = dst == null ? null : dst.node;
            checkRemovable(from, moving);
            if (victim != null) {
                checkRemovable(to, victim);
            }
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
                require(req, moving, W_OK);
            }
            if ((flags & RENAME_WHITEOUT) != 0 && nodes.size() >= options.maxInodes()) {
                throw new FuseException(Errno.ENOSPC, "no inode left for the whiteout");
            }
            long grows = Node.entryCost(newName) - Node.entryCost(name)
                    - (victim == null ? 0 : Node.entryCost(newName))
                    + ((flags & RENAME_WHITEOUT) != 0 ? Node.INODE_COST + Node.entryCost(name) : 0);
            requireSpace(grows);
            Instant now = Instant.now();
            if (victim != null) {
                used -= to.removeEntry(dst);
                victim.ctime = now;
                if (victim.isDir()) {
                    victim.nlink = 0;
                    to.nlink--;
                } else {
                    victim.nlink--;
                }
            }
            used -= from.removeEntry(src);
            used += to.addEntry(newName, moving);
            if (moving.isDir() && from != to) {
                from.nlink--;
                to.nlink++;
                moving.parent = to;
            }
            moving.ctime = now;
            touchDir(from, now);
            touchDir(to, now);
            if ((flags & RENAME_WHITEOUT) != 0) {
                // overlayfs's whiteout: a character device 0/0 with no permission bits takes the old name (the
                // kernel already checked CAP_MKNOD)
                Node whiteout = newNode(req, from, FileType.CHAR_DEVICE, 0, 0);
                whiteout.rdev = 0;
                link(from, name, whiteout);
            }
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
                require(req, na, W_OK);
            }
            if (nb.isDir()) {
                require(req, nb, W_OK);
            }
        }
        // Both names are bound anew, like two renames: each gets a new cookie, so a listing in progress does not
        // return an inode it already returned under the other name.
        from.removeEntry(a);
        to.removeEntry(b);
        from.addEntry(a.name, nb);
        to.addEntry(b.name, na);
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
            boolean immutable = (n.flags & FS_IMMUTABLE_FL) != 0;
            boolean appendOnly = (n.flags & FS_APPEND_FL) != 0;
            if (changes.mode().isPresent() || changes.uid().isPresent() || changes.gid().isPresent()) {
                requireNoIa(n, "chmod or chown");
            }
            if (changes.atime().isPresent() || changes.mtime().isPresent()) {
                boolean toNow = changes.atime().isPresent() && changes.atimeNow()
                        && changes.mtime().isPresent() && changes.mtimeNow();
                // setting both times to now is touch(1) (utimensat with no times), which append-only permits
                if (immutable || (appendOnly && !toNow)) {
                    throw new FuseException(Errno.EPERM, "times of an immutable or append-only inode " + n.ino);
                }
            }
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
                if (appendOnly) {
                    throw new FuseException(Errno.EPERM, "cannot truncate append-only inode " + n.ino);
                }
                if (!writableHandle) {
                    // as on Linux, a descriptor opened for writing before chattr +i can still ftruncate
                    require(req, n, W_OK);
                }
            }
            boolean times = changes.atime().isPresent() || changes.mtime().isPresent();
            if (times && !root && !owner) {
                boolean touch = changes.atime().isPresent() && changes.atimeNow()
                        && changes.mtime().isPresent() && changes.mtimeNow();
                if (!touch) {
                    throw new FuseException(Errno.EPERM, "only the owner may set arbitrary times");
                }
                require(req, n, W_OK);
            }
            Instant now = Instant.now();
            boolean changed = false;
            if (changes.mode().isPresent()) {
                int perm = changes.mode().getAsInt() & 07777;
                if (!root && !inGroup(req, n.gid)) {
                    perm &= ~S_ISGID; // like Linux: no set-gid on a file whose group you are not in
                }
                n.perm = perm;
                byte[] acl = n.xattrsOrEmpty().get(Acl.ACCESS);
                if (acl != null) {
                    used += n.putXattr(Acl.ACCESS, Acl.parse(acl).chmod(perm).encode()); // the ACL follows the mode
                }
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
    private void killCapabilities(Node n) {
        long freed = n.removeXattr("security.capability");
        if (freed > 0) {
            used -= freed;
        }
    }

    /** What Linux drops on a chown, or an unprivileged write or truncate: set-uid, set-gid and capabilities. */
    private void killSuidSgid(Node n) {
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
            // Read and/or write as the access mode says, write to truncate; execve's read-only open of the program
            // (FMODE_EXEC) needs execute, not read, permission.
            int need = OpenFlags.accessMask(flags);
            if (n.isDir() && (need & W_OK) != 0) {
                throw new FuseException(Errno.EISDIR, "cannot open a directory for writing");
            }
            require(req, n, need);
            if ((n.flags & FS_APPEND_FL) != 0 && ((acc != 0 && (flags & O_APPEND) == 0) || (flags & O_TRUNC) != 0)) {
                throw new FuseException(Errno.EPERM, "append-only inode " + n.ino + " opens for appending only");
            }
            if (req.killSuidgid() && (flags & O_TRUNC) != 0 && !n.isDir()) {
                // An unprivileged truncating open (only sent with atomic O_TRUNC): drop privileges as truncate does.
                // CREATE carries the flag too, but memfs creates only new files, which keep their mode (as tmpfs).
                killSuidSgid(n);
            }
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
            requireSpace(Node.INODE_COST + Node.entryCost(name));
            Node n = newNode(req, dir, FileType.REGULAR_FILE, mode & 07777, umask);
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
            require(req, dir, W_OK | X_OK);
            requireSpace(Node.INODE_COST);
            Node n = newNode(req, dir, FileType.REGULAR_FILE, mode & 07777, umask);
            // The kernel's d_tmpfile() drops the link count it is given by one: answer 1, keep 0 here.
            n.nlink = 0;
            n.tmpfile = true;
            FileAttr a = attr(n).toBuilder().nlink(1).build();
            n.lookups++;
            Entry e = new Entry(n.ino, generation(n), a, options.entryTimeout(), options.attrTimeout());
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
            if ((flags & O_NOATIME) == 0) { // the descriptor's flags now: fcntl(F_SETFL) may change O_NOATIME
                touchAtime(n);
            }
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
            Handle h = handles.get(fh);
            if ((n.flags & FS_APPEND_FL) != 0 && h != null && (h.flags() & O_APPEND) != 0 && (flags & O_APPEND) == 0) {
                // O_APPEND dropped with fcntl(F_SETFL), which Linux refuses on an append-only file but a FUSE
                // filesystem is not asked about: its writes may not land anywhere but the end
                throw new FuseException(Errno.EPERM, "append-only inode " + n.ino + " is written at its end only");
            }
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
            if (n != null && n.locks != null && n.locks.flushed(lockOwner)) {
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
            if (n.locks != null) {
                // the last close of an open file description: its OFD locks go, and its flock if it took one
                boolean freed = n.locks.released(fh);
                if ((releaseFlags & Abi.RELEASE_FLOCK_UNLOCK) != 0) {
                    freed |= n.locks.flockUnlock(lockOwner);
                }
                if (freed) {
                    locksChanged.signalAll();
                }
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
            if (offset + length < 0) { // beyond MAX_FILE_SIZE: the kernel's vfs_fallocate answers the same
                throw new FuseException(Errno.EFBIG, "fallocate range " + offset + "+" + length);
            }
            if ((n.flags & FS_IMMUTABLE_FL) != 0
                    || ((n.flags & FS_APPEND_FL) != 0 && (mode & ~FALLOC_FL_KEEP_SIZE) != 0)) {
                throw new FuseException(Errno.EPERM, "fallocate mode " + mode + " on inode flags 0x"
                        + Integer.toHexString(n.flags));
            }
            long end = offset + length;
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
                // idx can be the chunk after the last one a file can have, whose start 2^63 no long holds
                return idx > (n.size - 1) / CHUNK ? n.size : Math.max(offset, idx * CHUNK);
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
            if ((out.flags & FS_IMMUTABLE_FL) != 0) { // Linux's generic_copy_file_checks
                throw new FuseException(Errno.EPERM, "copy into immutable inode " + out.ino);
            }
            long count = Math.max(0, Math.min(length, in.size - offsetIn));
            if (count > 0 && offsetOut >= Node.MAX_FILE_SIZE) {
                throw new FuseException(Errno.EFBIG, "copy to " + offsetOut + ", beyond the largest file size");
            }
            count = Math.min(count, Node.MAX_FILE_SIZE - offsetOut);
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
            require(req, n, R_OK);
            long fh = newHandle(n, flags);
            listingEnds.put(fh, n.nextCookie);
            return OpenReply.of(fh);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        list(nodeId, fh, offset, listing);
    }

    @Override
    public void readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        list(nodeId, fh, offset, listing);
    }

    /**
     * Lists from {@code offset}: "." has cookie 1, ".." cookie 2, every other entry the cookie it got when it was
     * added (a rename adds it anew), never reused. An entry's offset is its own cookie, so a listing resumes after
     * the last entry it returned however many entries were added or removed meanwhile.
     *
     * <p>Through an open directory handle the listing ends at the cookie the directory had reached when the
     * listing started (opendir or rewinddir): entries added after the start, and so entries renamed after it
     * (which come back with a new cookie), are not returned. So a listing terminates, returns each entry at most
     * once, and returns every entry that was there throughout under an unchanged name, whatever renames, creates
     * and unlinks happen meanwhile. That is the guarantee of tmpfs's stable offsets in Linux 6.14 and later.
     */
    private void list(long nodeId, long fh, long offset, DirectoryListing listing) throws IOException {
        lock.lock();
        try {
            Node dir = node(nodeId);
            if (!dir.isDir()) {
                throw new FuseException(Errno.ENOTDIR, "node " + nodeId + " is not a directory");
            }
            long end = Long.MAX_VALUE; // without a handle of this directory (tests, adapters): no bound
            Handle h = handles.get(fh);
            if (h != null && h.node() == dir) {
                if (offset == 0) {
                    listingEnds.put(fh, dir.nextCookie); // a (re)started listing sees today's entries
                }
                end = listingEnds.getOrDefault(fh, dir.nextCookie);
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
            long from = Math.max(offset, 2);
            NavigableMap<Long, Node.DirEntry> rest = from < end ? dir.byCookie.subMap(from, false, end, false)
                    : java.util.Collections.emptyNavigableMap();
            for (Node.DirEntry e : rest.values()) {
                Node n = e.node;
                boolean fitted;
                if (listing.isPlus()) {
                    fitted = listing.add(e.name, e.cookie, new Entry(n.ino, generation(n), attr(n),
                            options.entryTimeout(), options.attrTimeout()));
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
            if (h == null || (h.flags() & O_NOATIME) == 0) {
                touchAtime(dir);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void releasedir(Request req, long nodeId, long fh, int flags) {
        lock.lock();
        try {
            Handle h = handles.remove(fh);
            listingEnds.remove(fh);
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
            long free = freeChunks();
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

    // ---------------------------------------------------------------------------------------- inode flags

    /**
     * {@code FS_IOC_GETFLAGS}/{@code FS_IOC_SETFLAGS} and {@code FS_IOC_FSGETXATTR}/{@code FS_IOC_FSSETXATTR}: the
     * kernel turns {@code chattr}/{@code lsattr} (and {@code xfs_io}'s chattr) into these on a file it opens
     * read-only; every other command is ENOTTY. The kernel checks ownership and {@code CAP_LINUX_IMMUTABLE} before
     * a change reaches memfs; memfs checks them again, by uid, for callers that are not the kernel.
     */
    @Override
    public IoctlReply ioctl(Request req, long nodeId, long fh, int flags, int cmd, long arg, byte[] in,
                            int outSize) throws IOException {
        lock.lock();
        try {
            Node n = node(nodeId);
            if (n.type != FileType.REGULAR_FILE && !n.isDir()) {
                throw new FuseException(Errno.ENOTTY, "no inode flags on a " + n.type);
            }
            switch (cmd) {
                case FS_IOC_GETFLAGS -> {
                    ByteBuffer out = ByteBuffer.allocate(Math.max(4, outSize)).order(ByteOrder.nativeOrder());
                    out.putInt(0, n.flags);
                    return new IoctlReply(0, Arrays.copyOf(out.array(), Math.min(outSize, 8)));
                }
                case FS_IOC_SETFLAGS -> {
                    if (in.length < 4) {
                        throw new FuseException(Errno.EINVAL, "FS_IOC_SETFLAGS with " + in.length + " bytes");
                    }
                    setFlags(req, n, ByteBuffer.wrap(in).order(ByteOrder.nativeOrder()).getInt(0));
                    return IoctlReply.of(0);
                }
                case FS_IOC_FSGETXATTR -> {
                    ByteBuffer out = ByteBuffer.allocate(FSXATTR_SIZE).order(ByteOrder.nativeOrder());
                    out.putInt(0, xflags(n.flags));
                    return new IoctlReply(0, Arrays.copyOf(out.array(), Math.min(outSize, FSXATTR_SIZE)));
                }
                case FS_IOC_FSSETXATTR -> {
                    if (in.length < 20) {
                        throw new FuseException(Errno.EINVAL, "FS_IOC_FSSETXATTR with " + in.length + " bytes");
                    }
                    ByteBuffer b = ByteBuffer.wrap(in).order(ByteOrder.nativeOrder());
                    int xflags = b.getInt(0);
                    int known = FS_XFLAG_IMMUTABLE | FS_XFLAG_APPEND | FS_XFLAG_NOATIME | FS_XFLAG_NODUMP;
                    int wanted = flagsOf(xflags);
                    checkFlagsChange(req, n, wanted);
                    // extent size, project id, CoW extent size: nothing memfs keeps (tmpfs refuses them too)
                    if ((xflags & ~known) != 0 || b.getInt(4) != 0 || b.getInt(12) != 0 || b.getInt(16) != 0) {
                        throw new FuseException(Errno.EOPNOTSUPP, "fsxattr 0x" + Integer.toHexString(xflags));
                    }
                    setFlags(req, n, wanted);
                    return IoctlReply.of(0);
                }
                default -> throw new FuseException(Errno.ENOTTY, "ioctl 0x" + Integer.toHexString(cmd));
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sets the inode flags of {@code n} to {@code wanted}, with the kernel's checks in its order. */
    private static void setFlags(Request req, Node n, int wanted) throws FuseException {
        checkFlagsChange(req, n, wanted);
        if ((wanted & ~SUPPORTED_FLAGS) != 0) {
            throw new FuseException(Errno.EOPNOTSUPP, "inode flags 0x" + Integer.toHexString(wanted & ~SUPPORTED_FLAGS));
        }
        n.flags = wanted;
        n.ctime = Instant.now();
    }

    /** EPERM unless the caller owns {@code n} (or is root), and is root if immutable or append-only changes. */
    private static void checkFlagsChange(Request req, Node n, int wanted) throws FuseException {
        if (req.uid() != 0 && req.uid() != n.uid) {
            throw new FuseException(Errno.EPERM, "only the owner may change inode flags");
        }
        if (((wanted ^ n.flags) & (FS_IMMUTABLE_FL | FS_APPEND_FL)) != 0 && req.uid() != 0) {
            throw new FuseException(Errno.EPERM, "immutable and append-only need CAP_LINUX_IMMUTABLE");
        }
    }

    private static int xflags(int flags) {
        return ((flags & FS_IMMUTABLE_FL) != 0 ? FS_XFLAG_IMMUTABLE : 0)
                | ((flags & FS_APPEND_FL) != 0 ? FS_XFLAG_APPEND : 0)
                | ((flags & FS_NOATIME_FL) != 0 ? FS_XFLAG_NOATIME : 0)
                | ((flags & FS_NODUMP_FL) != 0 ? FS_XFLAG_NODUMP : 0);
    }

    private static int flagsOf(int xflags) {
        return ((xflags & FS_XFLAG_IMMUTABLE) != 0 ? FS_IMMUTABLE_FL : 0)
                | ((xflags & FS_XFLAG_APPEND) != 0 ? FS_APPEND_FL : 0)
                | ((xflags & FS_XFLAG_NOATIME) != 0 ? FS_NOATIME_FL : 0)
                | ((xflags & FS_XFLAG_NODUMP) != 0 ? FS_NODUMP_FL : 0);
    }

    /** EPERM if {@code n} is immutable or append-only: Linux then refuses a name change, chmod, chown, xattrs. */
    private static void requireNoIa(Node n, String what) throws FuseException {
        if ((n.flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)) != 0) {
            throw new FuseException(Errno.EPERM, what + " of an immutable or append-only inode " + n.ino);
        }
    }

    /** The flag checks of Linux's may_delete: no entry leaves an append-only directory, nor names an i/a inode. */
    private static void checkRemovable(Node dir, Node victim) throws FuseException {
        if ((dir.flags & FS_APPEND_FL) != 0) {
            throw new FuseException(Errno.EPERM, "entries cannot leave append-only directory " + dir.ino);
        }
        requireNoIa(victim, "removing a name");
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
            requireNoIa(n, "an xattr change");
            xattrAccess(req, n, name, true);
            byte[] old = n.xattrsOrEmpty().get(name);
            if ((flags & XATTR_CREATE) != 0 && old != null) {
                throw new FuseException(Errno.EEXIST, "xattr " + name + " exists");
            }
            if ((flags & XATTR_REPLACE) != 0 && old == null) {
                throw new FuseException(Errno.ENODATA, "xattr " + name + " does not exist");
            }
            if (old == null && n.xattrListBytes + Node.utf8Length(name) + 1 > XATTR_LIST_MAX) {
                throw new FuseException(Errno.ENOSPC, "the names of the xattrs would exceed " + XATTR_LIST_MAX);
            }
            byte[] stored = value.clone();
            if (name.equals(Acl.ACCESS) || name.equals(Acl.DEFAULT)) {
                Acl acl = Acl.parse(value);
                if (name.equals(Acl.ACCESS) && !acl.equivalentToMode()) {
                    requireSpace(old == null ? Node.xattrCost(name, stored.length) : (long) stored.length - old.length);
                }
                if (name.equals(Acl.ACCESS)) {
                    // the mode follows the ACL; an ACL the mode says entirely is not kept apart (Linux's
                    // posix_acl_update_mode)
                    n.perm = n.perm & ~0777 | acl.modeBits();
                    if ((setxattrFlags & Abi.SETXATTR_ACL_KILL_SGID) != 0) {
                        n.perm &= ~S_ISGID;
                    }
                    if (acl.equivalentToMode()) {
                        stored = null;
                    }
                }
            }
            if (stored == null) {
                if (old != null) {
                    used -= n.removeXattr(name);
                }
                n.ctime = Instant.now();
                return;
            }
            requireSpace(old == null ? Node.xattrCost(name, stored.length) : (long) stored.length - old.length);
            used += n.putXattr(name, stored);
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
            requireNoIa(n, "an xattr change");
            xattrAccess(req, n, name, true);
            long freed = n.removeXattr(name);
            if (freed < 0) {
                throw new FuseException(Errno.ENODATA, "no xattr " + name);
            }
            used -= freed;
            n.ctime = Instant.now();
        } finally {
            lock.unlock();
        }
    }

    private static void checkXattrName(String name) throws FuseException {
        int len = Names.byteLength(name);
        if (len == 0 || len > XATTR_NAME_MAX) {
            throw new FuseException(Errno.ERANGE, "xattr name of " + len + " bytes");
        }
        if (!(name.startsWith("user.") || name.startsWith("trusted.") || name.startsWith("security.")
                || name.equals(Acl.ACCESS) || name.equals(Acl.DEFAULT))) {
            // the other system.* names do not exist on Linux's local filesystems either
            throw new FuseException(Errno.EOPNOTSUPP, "xattr namespace of " + name);
        }
    }

    /** The namespace rules of Linux's xattr_permission() and the capability LSM. */
    private void xattrAccess(Request req, Node n, String name, boolean write) throws IOException {
        boolean root = req.uid() == 0;
        if (name.startsWith("system.")) {
            // ACLs: anyone may read them; only the owner or root may change them, a default ACL only on a directory
            if (write && !root && req.uid() != n.uid) {
                throw new FuseException(Errno.EPERM, "only the owner may change an ACL");
            }
            if (name.equals(Acl.DEFAULT) && !n.isDir()) {
                throw new FuseException(write ? Errno.EACCES : Errno.ENODATA, "default ACLs are for directories");
            }
            if (n.type == FileType.SYMLINK) {
                throw new FuseException(write ? Errno.EOPNOTSUPP : Errno.ENODATA, "no ACLs on symlinks");
            }
            return;
        }
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
        require(req, n, write ? W_OK : R_OK);
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
            Locks.Range conflict;
            while ((conflict = ls.posixConflict(lockOwner, want)) != null) {
                if (!sleep) {
                    throw new FuseException(Errno.EAGAIN, "range locked by another process");
                }
                if (waitsFor(conflict.owner(), lockOwner)) {
                    throw new FuseException(Errno.EDEADLK, "lock owners would wait for each other");
                }
                LockWait w = new LockWait(lockOwner, ls, want);
                lockWaits.add(w);
                try {
                    await(req);
                } finally {
                    lockWaits.remove(w);
                }
            }
            ls.posixLock(lockOwner, fh, want);
            locksChanged.signalAll(); // a downgrade may let readers in
        } finally {
            lock.unlock();
        }
    }

    /** A record-lock request waiting for a conflicting lock to go. */
    private record LockWait(long owner, Locks locks, FileLock want) {}

    /**
     * Whether {@code holder} waits, directly or through a chain of waiting owners, for a lock of {@code owner}:
     * then {@code owner} waiting for {@code holder} would be a deadlock. Like Linux's detector it follows each
     * owner's first wait and gives up after 10 steps. Linux spares OFD locks (a description has no thread to be
     * stuck); FUSE does not say which owners are descriptions, so memfs checks every record-lock wait.
     */
    private boolean waitsFor(long holder, long owner) {
        long at = holder;
        for (int step = 0; step <= 10; step++) {
            Locks.Range next = null;
            for (LockWait w : lockWaits) {
                if (w.owner() == at) {
                    next = w.locks().posixConflict(at, w.want());
                    break;
                }
            }
            if (next == null) {
                return false;
            }
            if (next.owner() == owner) {
                return true;
            }
            at = next.owner();
        }
        return false;
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
        require(req, dir, W_OK | X_OK);
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
        if (Names.byteLength(name) > NAME_MAX) {
            throw new FuseException(Errno.ENAMETOOLONG, "name longer than " + NAME_MAX + " bytes");
        }
    }

    /** In a sticky directory only the owner of the entry, the owner of the directory or root may remove it. */
    private static void checkSticky(Request req, Node dir, Node victim) throws FuseException {
        if ((dir.perm & S_ISVTX) != 0 && req.uid() != 0 && req.uid() != victim.uid && req.uid() != dir.uid) {
            throw new FuseException(Errno.EPERM, "sticky directory " + dir.ino);
        }
    }

    /** Throws EACCES unless the caller has all of {@code mask} ({@code R_OK}, {@code W_OK}, {@code X_OK}) on {@code n}. */
    private void require(Request req, Node n, int mask) throws FuseException {
        if ((mask & W_OK) != 0 && (n.flags & FS_IMMUTABLE_FL) != 0) {
            // Linux's inode_permission: nobody, not even root, gets write access to an immutable inode
            throw new FuseException(Errno.EPERM, "inode " + n.ino + " is immutable");
        }
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
            return (mask & X_OK) == 0 || n.isDir() || (n.perm & 0111) != 0;
        }
        byte[] acl = n.xattrs == null ? null : n.xattrs.get(Acl.ACCESS);
        if (acl != null) {
            try {
                return Acl.parse(acl).permits(req.uid(), n.uid, n.gid, g -> inGroup(req, g), mask);
            } catch (FuseException corrupt) {
                return false; // memfs stores only ACLs it parsed: cannot happen short of a corrupt image
            }
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

    /**
     * A new node for {@code dir} with the requested permission bits: the umask applies unless {@code dir} has a
     * default ACL, which then gives the node its ACL (and directories the default ACL too), as on Linux.
     */
    private Node newNode(Request req, Node dir, FileType type, int perm, int umask) throws FuseException {
        if (nodes.size() >= options.maxInodes()) {
            throw new FuseException(Errno.ENOSPC, "inode limit " + options.maxInodes() + " reached");
        }
        byte[] inherited = type == FileType.SYMLINK ? null : dir.xattrsOrEmpty().get(Acl.DEFAULT);
        Acl access = null;
        if (inherited != null) {
            Object[] made = Acl.parse(inherited).create(perm & 0777);
            perm = perm & ~0777 | (int) made[0];
            access = (Acl) made[1];
        } else {
            perm &= ~umask;
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
        n.flags = dir.flags & INHERITED_FLAGS;
        if (type == FileType.DIRECTORY) {
            n.parent = dir;
        }
        if (access != null) {
            n.putXattr(Acl.ACCESS, access.encode());
        }
        if (inherited != null && type == FileType.DIRECTORY) {
            n.putXattr(Acl.DEFAULT, inherited.clone());
        }
        nodes.put(n.ino, n);
        used += n.charge();
        return n;
    }

    /** ENOSPC unless {@code bytes} more fit under the size limit (nothing to check when they do not grow). */
    private void requireSpace(long bytes) throws FuseException {
        if (bytes > 0 && bytes > options.sizeLimit() - used) {
            throw new FuseException(Errno.ENOSPC, "memfs is full (" + options.sizeLimit() + " bytes)");
        }
    }

    /** Whole chunks that still fit under the size limit. */
    private long freeChunks() {
        return Math.max(0, options.sizeLimit() - used) / CHUNK;
    }

    private void link(Node dir, String name, Node n) {
        used += dir.addEntry(name, n);
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
        if ((n.flags & FS_NOATIME_FL) != 0) {
            return; // chattr +A
        }
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
        return new Entry(n.ino, generation(n), attr(n), options.entryTimeout(), options.attrTimeout());
    }

    /** The generation every entry of {@code n} carries (the kernel marks an inode bad if it changes). */
    private long generation(Node n) {
        return n.ino == ROOT ? 0 : generation;
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
        used -= n.charge();
        if (n.chunks != null) {
            n.chunks.clear();
        }
        n.xattrs = null;
        n.xattrBytes = 0;
        n.xattrListBytes = 0;
    }

    // ---------------------------------------------------------------------------------------------- data

    // Offsets go up to Node.MAX_FILE_SIZE = 2^63-1: a chunk's start is at most 2^63-4096, but its end can be 2^63,
    // which a long cannot hold, so ends are computed relative to the chunk start (never chunkStart + CHUNK).

    private static void readInto(Node n, long offset, byte[] out, int at, int count) {
        Arrays.fill(out, at, at + count, (byte) 0);
        if (count == 0) {
            return;
        }
        long end = offset + count; // within the file, so at most MAX_FILE_SIZE
        NavigableMap<Long, byte[]> range = n.chunks.subMap(offset / CHUNK, true, (end - 1) / CHUNK, true);
        for (Map.Entry<Long, byte[]> c : range.entrySet()) {
            byte[] data = c.getValue();
            if (data == RESERVED) {
                continue;
            }
            long chunkStart = c.getKey() * CHUNK;
            int from = (int) Math.max(0, offset - chunkStart);
            int to = (int) Math.min(CHUNK, end - chunkStart);
            System.arraycopy(data, from, out, at + (int) (chunkStart + from - offset), to - from);
        }
    }

    /**
     * Writes {@code count} bytes of {@code src} from {@code pos} at {@code offset}. When the size limit allows only
     * part, writes the part that fits (a short write, as on a full disk); ENOSPC when nothing fits. Like tmpfs, a
     * write reaching past the largest file size is cut short there, and one starting at it fails with EFBIG.
     */
    private int writeData(Node n, long offset, ByteBuffer src, int pos, int count) throws FuseException {
        if (count == 0) {
            return 0;
        }
        if (offset < 0) {
            throw new FuseException(Errno.EINVAL, "negative offset " + offset);
        }
        if (offset >= Node.MAX_FILE_SIZE) {
            throw new FuseException(Errno.EFBIG, "write at " + offset + ", beyond the largest file size");
        }
        count = (int) Math.min(count, Node.MAX_FILE_SIZE - offset);
        long first = offset / CHUNK;
        long last = (offset + count - 1) / CHUNK;
        long available = freeChunks();
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
                    used += CHUNK;
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

    /** The index of the first chunk that starts at or after {@code offset}, without overflowing near 2^63. */
    private static long chunksBefore(long offset) {
        return offset / CHUNK + (offset % CHUNK == 0 ? 0 : 1);
    }

    private void truncate(Node n, long size) {
        if (size < n.size) {
            NavigableMap<Long, byte[]> tail = n.chunks.tailMap(chunksBefore(size), true);
            used -= (long) tail.size() * CHUNK;
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
            int from = (int) Math.max(0, start - chunkStart);
            int to = (int) Math.min(CHUNK, end - chunkStart);
            if (from == 0 && to == CHUNK) {
                it.remove();
                used -= CHUNK;
            } else if (c.getValue() != RESERVED) {
                Arrays.fill(c.getValue(), from, to, (byte) 0);
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
        if (span <= 0 || needed > freeChunks()) {
            throw new FuseException(Errno.ENOSPC, "cannot reserve " + needed + " pages");
        }
        for (long i = first; i <= last; i++) {
            byte[] c = n.chunks.putIfAbsent(i, RESERVED);
            if (c == null) {
                used += CHUNK;
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

    /** Record-lock requests (F_SETLKW) waiting now. */
    int lockWaits() {
        return locked(lockWaits::size);
    }

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
