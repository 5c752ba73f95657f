package dev.jfuser.examples.notifyentry;

import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Notifier;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A directory whose names come and go while the kernel trusts every name, negative name, attribute and listing for
 * a day: kept correct only by entry notifications.
 *
 * <p>Names are added and removed with {@link #addFile}, {@link #addDirectory} and {@link #remove} (a test or a
 * program drives them), or, with {@link #ticking}, by a timer: every second a file named after the current second
 * ({@code 12-34-56}) appears and the one {@link #KEEP_SECONDS} seconds older disappears. Each change is told to
 * the kernel as the {@link Mode} says, followed by {@link Notifier#invalInode} of the directory, which drops its
 * cached listing ({@link OpenReply#CACHE_DIR}): a listing of names the kernel never looked up has no dentries
 * for an entry notification to find.
 *
 * <p>Node ids are never reused: a name that comes back is a new file.
 */
public final class NotifyEntryFs implements Filesystem {
    /** How many seconds a name made by the timer stays. */
    public static final int KEEP_SECONDS = 5;
    /** One day: without notifications the kernel would show stale names that long. */
    public static final Duration CACHE = Duration.ofDays(1);
    /** The root directory's node id. */
    public static final long ROOT = 1;

    /** How the kernel is told about a name that came or went. */
    public enum Mode {
        /** {@link Notifier#invalEntry}: the cached name (or negative name) is dropped. */
        INVALIDATE,
        /**
         * {@link Notifier#expireEntry}: the cached name only expires and is looked up again at its next use, so
         * processes with it as their cwd keep it in their path; falls back to {@code invalEntry} when the kernel
         * does not offer FUSE_HAS_EXPIRE_ONLY.
         */
        EXPIRE,
        /**
         * {@link Notifier#delete} for a name that went (as if it was unlinked: a process holding the file open or
         * having the directory as its cwd sees it gone, link count 0), {@code invalEntry} for one that came.
         */
        DELETE,
        /** Tell the kernel nothing: stale names stay for a day (to show that the notifications are what works). */
        NONE
    }

    private static final DateTimeFormatter SECOND_NAME = DateTimeFormatter.ofPattern("HH-mm-ss")
            .withZone(ZoneOffset.UTC);

    /** One name's node. */
    private record Node(long id, String name, boolean directory, byte[] content) {
    }

    private final Mode mode;
    private final Clock clock;
    private final int uid;
    private final int gid;
    private final Instant mounted;
    /** The names in the root, sorted so listings are stable. */
    private final ConcurrentSkipListMap<String, Node> names = new ConcurrentSkipListMap<>();
    /** Every node still known to the kernel, also after its name went (a holder may still read it). */
    private final Map<Long, Node> nodes = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(ROOT + 1);
    private volatile Notifier notifier;
    private volatile boolean expireOffered = true;
    private ScheduledExecutorService ticker;
    private boolean ticks;

    /** An empty directory, told to the kernel as {@code mode} says, its files owned by {@code uid}/{@code gid}. */
    public NotifyEntryFs(Mode mode, int uid, int gid) {
        this(mode, Clock.systemUTC(), uid, gid);
    }

    private NotifyEntryFs(Mode mode, Clock clock, int uid, int gid) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.clock = clock;
        this.uid = uid;
        this.gid = gid;
        this.mounted = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    }

    /**
     * A directory that shows the last {@link #KEEP_SECONDS} seconds as files, one name per second, changed by a
     * timer once a second after the mount.
     */
    public static NotifyEntryFs ticking(Mode mode, int uid, int gid) {
        NotifyEntryFs fs = new NotifyEntryFs(mode, uid, gid);
        fs.ticks = true;
        fs.tick();
        return fs;
    }

    /** The names in the directory now, sorted. */
    public List<String> names() {
        return new ArrayList<>(names.keySet());
    }

    /** The node id of {@code name}, or 0 if there is no such name. */
    public long nodeOf(String name) {
        Node n = names.get(name);
        return n == null ? 0 : n.id();
    }

    /**
     * Adds a file {@code name} holding {@code content} and tells the kernel.
     *
     * @throws IllegalArgumentException if the name exists or is not a valid file name
     * @throws IOException if the kernel refused the notification with another errno than ENOENT
     */
    public void addFile(String name, String content) throws IOException {
        add(name, false, content.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Adds an empty directory {@code name} and tells the kernel.
     *
     * @throws IllegalArgumentException if the name exists or is not a valid file name
     * @throws IOException if the kernel refused the notification with another errno than ENOENT
     */
    public void addDirectory(String name) throws IOException {
        add(name, true, new byte[0]);
    }

    private void add(String name, boolean directory, byte[] content) throws IOException {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a file name: '" + name + "' (no '/', not '.' or '..')");
        }
        Node n = new Node(nextId.getAndIncrement(), name, directory, content);
        nodes.put(n.id(), n);
        if (names.putIfAbsent(name, n) != null) {
            nodes.remove(n.id());
            throw new IllegalArgumentException("'" + name + "' exists already");
        }
        changed(n, false);
    }

    /**
     * Removes {@code name} and tells the kernel.
     *
     * @return false if there was no such name
     * @throws IOException if the kernel refused the notification with another errno than ENOENT (with
     *     {@link Mode#DELETE}, e.g. EBUSY for a directory something is mounted on)
     */
    public boolean remove(String name) throws IOException {
        Node n = names.remove(name);
        if (n == null) {
            return false;
        }
        changed(n, true);
        return true;
    }

    /**
     * Tells the kernel that {@code n}'s name came or went. ENOENT means the kernel caches nothing under that name
     * (never looked up, or already forgotten): nothing is stale, so it is not an error.
     */
    private void changed(Node n, boolean removed) throws IOException {
        Notifier k = notifier;
        if (k == null || mode == Mode.NONE) {
            return;
        }
        try {
            switch (mode) {
                case DELETE -> {
                    if (removed) {
                        k.delete(ROOT, n.id(), n.name());
                    } else {
                        k.invalEntry(ROOT, n.name());
                    }
                }
                case EXPIRE -> {
                    if (expireOffered) {
                        try {
                            k.expireEntry(ROOT, n.name());
                        } catch (UnsupportedOperationException tooOld) {
                            expireOffered = false;
                            k.invalEntry(ROOT, n.name());
                        }
                    } else {
                        k.invalEntry(ROOT, n.name());
                    }
                }
                default -> k.invalEntry(ROOT, n.name());
            }
        } catch (FuseException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
        }
        try {
            k.invalInode(ROOT, 0, 0);
        } catch (FuseException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
        }
    }

    /** Whether {@link Mode#EXPIRE} really expires (false once the kernel turned out not to offer it). */
    public boolean expiresOnly() {
        return mode == Mode.EXPIRE && expireOffered;
    }

    /** The timer's step: the current second's name comes, names older than {@link #KEEP_SECONDS} go. */
    private void tick() {
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        try {
            String name = SECOND_NAME.format(now);
            if (!names.containsKey(name)) {
                add(name, false, (now + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            for (Node n : names.values()) {
                Instant t = Instant.parse(new String(n.content(), StandardCharsets.US_ASCII).strip());
                if (t.isBefore(now.minusSeconds(KEEP_SECONDS - 1))) {
                    remove(n.name());
                }
            }
        } catch (IOException | RuntimeException e) {
            System.getLogger("dev.jfuser.examples.notifyentry").log(System.Logger.Level.WARNING,
                    "could not update the directory: " + e);
        }
    }

    @Override
    public void init(KernelConfig config) {
        notifier = config.notifier();
        if (ticks) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
                    .name("notify-entry-tick").unstarted(r));
            ticker.scheduleAtFixedRate(this::tick, 1000 - clock.millis() % 1000, 1000, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void destroy() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }

    private FileAttr attr(long id) throws FuseException {
        if (id == ROOT) {
            return FileAttr.builder(ROOT, FileType.DIRECTORY).perm(0755).nlink(2).times(mounted).uid(uid).gid(gid)
                    .build();
        }
        Node n = nodes.get(id);
        if (n == null) {
            throw new FuseException(Errno.ENOENT);
        }
        // A node whose name went is unlinked: a holder that asks sees a link count of 0.
        boolean linked = names.get(n.name()) == n;
        FileAttr.Builder b = n.directory()
                ? FileAttr.builder(id, FileType.DIRECTORY).perm(0755).nlink(linked ? 2 : 0)
                : FileAttr.builder(id, FileType.REGULAR_FILE).perm(0444).size(n.content().length).blocks(1)
                        .nlink(linked ? 1 : 0);
        // A fixed mtime: nothing in the attributes tells the kernel that the directory changed.
        return b.times(mounted).uid(uid).gid(gid).blksize(4096).build();
    }

    @Override
    public Entry lookup(Request req, long parent, String name) throws FuseException {
        if (parent != ROOT) {
            if (nodes.containsKey(parent)) {
                return Entry.negative(CACHE); // the directories are empty
            }
            throw new FuseException(Errno.ENOENT);
        }
        Node n = names.get(name);
        return n == null ? Entry.negative(CACHE) : Entry.of(n.id(), attr(n.id()), CACHE);
    }

    @Override
    public void forget(long nodeId, long nlookup) {
        // The kernel dropped its last reference: a node whose name is gone can go too.
        Node n = nodes.get(nodeId);
        if (n != null && names.get(n.name()) != n) {
            nodes.remove(nodeId);
        }
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws FuseException {
        return new AttrReply(attr(nodeId), CACHE);
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws FuseException {
        Node n = nodes.get(nodeId);
        if (n == null) {
            throw new FuseException(Errno.ENOENT);
        }
        if (n.directory()) {
            throw new FuseException(Errno.EISDIR);
        }
        if ((flags & 3) != 0) {
            throw new FuseException(Errno.EACCES);
        }
        return OpenReply.of(0, OpenReply.KEEP_CACHE);
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
            throws FuseException {
        Node n = nodes.get(nodeId);
        if (n == null) {
            throw new FuseException(Errno.ENOENT);
        }
        byte[] c = n.content();
        if (offset >= c.length) {
            return ReadData.empty();
        }
        return ReadData.of(c, (int) offset, (int) Math.min(size, c.length - offset));
    }

    @Override
    public OpenReply opendir(Request req, long nodeId, int flags) throws FuseException {
        if (nodeId != ROOT && !nodes.containsKey(nodeId)) {
            throw new FuseException(Errno.ENOENT);
        }
        // The kernel keeps the listing in the directory's page cache: stale too, unless it is told.
        return OpenReply.of(0, OpenReply.CACHE_DIR | OpenReply.KEEP_CACHE);
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws FuseException {
        List<Node> entries = new ArrayList<>();
        if (nodeId == ROOT) {
            entries.addAll(names.values());
        } else if (!nodes.containsKey(nodeId)) {
            throw new FuseException(Errno.ENOENT);
        }
        for (long i = offset; i < entries.size() + 2; i++) {
            boolean fitted;
            if (i < 2) {
                fitted = listing.add(i == 0 ? "." : "..", i == 0 ? nodeId : ROOT, FileType.DIRECTORY, i + 1);
            } else {
                Node n = entries.get((int) (i - 2));
                fitted = listing.add(n.name(), n.id(), n.directory() ? FileType.DIRECTORY : FileType.REGULAR_FILE,
                        i + 1);
            }
            if (!fitted) {
                break;
            }
        }
    }
}
