package dev.jfuser.examples.clock;

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
import dev.jfuser.OpenFlags;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A file whose content changes every second, {@code time} (the UTC time, {@code 2026-01-31T12:34:56Z\n}), while
 * the kernel caches everything for an hour: names, attributes and the file's pages across opens (keep-cache).
 *
 * <p>The size and mtime never change, so nothing the kernel sees tells it the pages went stale; readers still see
 * each new second because at every tick the filesystem calls {@link Notifier#invalInode} (the kernel drops the
 * pages, the next read asks READ) or, in {@link Mode#STORE}, pushes the new bytes straight into the page cache with
 * {@link Notifier#store} (the next read does not reach the filesystem at all).
 */
public final class ClockFs implements Filesystem {
    /** The file's name. */
    public static final String FILE_NAME = "time";
    /** How the filesystem keeps the kernel's cache current. */
    public enum Mode {
        /** Drop the cached pages at each tick: the next read asks the filesystem. */
        INVALIDATE,
        /** Put the new content into the page cache at each tick: reads are served by the kernel alone. */
        STORE,
        /** Tell the kernel nothing (to show what caching does without notifications). */
        NONE
    }

    private static final long ROOT = 1;
    private static final long FILE = 2;
    private static final Duration CACHE = Duration.ofHours(1);
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ISO_INSTANT;

    private final Clock clock;
    private final Mode mode;
    private final Duration period;
    private final Instant mounted;
    private final int uid;
    private final int gid;
    private volatile byte[] content;
    private volatile Notifier notifier;
    private ScheduledExecutorService ticker;

    /**
     * A clock filesystem reading {@code clock}; with a positive {@code period} it ticks by itself, else only
     * {@link #tick()} advances it.
     */
    public ClockFs(Clock clock, Mode mode, Duration period, int uid, int gid) {
        this.clock = clock;
        this.mode = mode;
        this.period = period;
        this.uid = uid;
        this.gid = gid;
        this.mounted = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        this.content = render();
    }

    /** The system clock, ticking every second, kept correct with {@code invalInode}. */
    public static ClockFs systemClock(Mode mode, int uid, int gid) {
        return new ClockFs(Clock.systemUTC(), mode, Duration.ofSeconds(1), uid, gid);
    }

    private byte[] render() {
        return (FORMAT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS)) + "\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** What the file holds now. */
    public String content() {
        return new String(content, StandardCharsets.US_ASCII);
    }

    /**
     * Reads the clock and, if the content changed, tells the kernel. A kernel that holds no inode for the file
     * (nobody looked it up yet, or it was forgotten) answers ENOENT: it caches nothing, so there is nothing to do.
     */
    public void tick() throws IOException {
        byte[] now = render();
        if (java.util.Arrays.equals(now, content)) {
            return;
        }
        content = now;
        Notifier n = notifier;
        if (n == null || mode == Mode.NONE) {
            return;
        }
        try {
            if (mode == Mode.STORE) {
                n.store(FILE, 0, now);
            } else {
                n.invalInode(FILE, 0, 0);
            }
        } catch (FuseException e) {
            if (e.errno() != Errno.ENOENT) {
                throw e;
            }
        }
    }

    @Override
    public void init(KernelConfig config) {
        notifier = config.notifier();
        if (!period.isZero() && !period.isNegative()) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon(true)
                    .name("clockfs-tick").unstarted(r));
            ticker.scheduleAtFixedRate(() -> {
                try {
                    tick();
                } catch (IOException e) {
                    System.getLogger("dev.jfuser.examples.clock").log(System.Logger.Level.WARNING,
                            "could not notify the kernel: " + e.getMessage());
                }
            }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void destroy() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }

    private FileAttr attr(long node) {
        FileAttr.Builder b = node == ROOT
                ? FileAttr.builder(ROOT, FileType.DIRECTORY).perm(0755).nlink(2)
                : FileAttr.builder(FILE, FileType.REGULAR_FILE).perm(0444).size(content.length).blocks(1);
        // A fixed mtime: the kernel's auto-invalidation never fires, only notifications keep readers current.
        return b.times(mounted).uid(uid).gid(gid).blksize(4096).build();
    }

    @Override
    public Entry lookup(Request req, long parent, String name) throws FuseException {
        if (parent == ROOT && name.equals(FILE_NAME)) {
            return Entry.of(FILE, attr(FILE), CACHE);
        }
        return Entry.negative(CACHE);
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws FuseException {
        if (nodeId == ROOT || nodeId == FILE) {
            return new AttrReply(attr(nodeId), CACHE);
        }
        throw new FuseException(Errno.ENOENT);
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws FuseException {
        if (nodeId != FILE) {
            throw new FuseException(Errno.EISDIR);
        }
        if (OpenFlags.accessMode(flags) != OpenFlags.O_RDONLY) {
            throw new FuseException(Errno.EROFS);
        }
        return OpenReply.of(0, OpenReply.KEEP_CACHE);
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner) {
        byte[] c = content;
        if (offset >= c.length) {
            return ReadData.empty();
        }
        return ReadData.of(c, (int) offset, (int) Math.min(size, c.length - offset));
    }

    @Override
    public OpenReply opendir(Request req, long nodeId, int flags) throws FuseException {
        if (nodeId != ROOT) {
            throw new FuseException(Errno.ENOTDIR);
        }
        return OpenReply.of(0);
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        String[] names = {".", "..", FILE_NAME};
        long[] nodes = {ROOT, ROOT, FILE};
        for (int i = (int) offset; i < names.length; i++) {
            if (!listing.add(names[i], nodes[i], nodes[i] == ROOT ? FileType.DIRECTORY : FileType.REGULAR_FILE,
                    i + 1)) {
                break;
            }
        }
    }
}
