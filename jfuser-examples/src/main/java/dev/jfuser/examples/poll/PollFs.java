package dev.jfuser.examples.poll;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Notifier;
import dev.jfuser.OpenFlags;
import dev.jfuser.OpenReply;
import dev.jfuser.PollEvents;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two files: {@code events}, which becomes readable when an event arrives, and {@code post}, where each write is
 * an event ({@code echo hello > post}); {@link #post} posts one from Java.
 *
 * <p>Each open of {@code events} is a reader with its own queue of the events posted since it opened. Its
 * {@code poll} answers {@code POLLIN} while the queue holds something and keeps the kernel's poll handle
 * ({@code kh}); posting an event calls {@link Notifier#pollWakeup} for every kept handle, so a process asleep in
 * {@code poll(2)}, {@code select(2)} or {@code epoll_wait(2)} wakes up. A read takes what is queued; with nothing
 * queued it waits for the next event (with {@code O_NONBLOCK} it fails with EAGAIN instead, as a pipe does). The
 * waiting read is a stage that the next event completes: no thread waits, and Ctrl-C on a blocked {@code cat}
 * cancels it (EINTR). {@code events} is opened without the page cache and not seekable, like a pipe.
 *
 * <p>A reader that never reads keeps at most {@link #MAX_QUEUED} bytes; older events are dropped first.
 */
public final class PollFs implements AsyncFilesystem {
    /** The file that becomes readable when an event arrives. */
    public static final String EVENTS = "events";
    /** The file whose writes are events. */
    public static final String POST = "post";
    /** What one reader's queue holds at most, in bytes. */
    public static final int MAX_QUEUED = 1 << 20;

    private static final long ROOT = 1;
    private static final long EVENTS_NODE = 2;
    private static final long POST_NODE = 3;
    private static final Duration CACHE = Duration.ofHours(1);
    private static final System.Logger LOG = System.getLogger("dev.jfuser.examples.poll");

    /** One open of {@code events}. */
    private static final class Reader {
        /** The kernel's poll handle, once a poller asked to be woken; -1 before. */
        long kh = -1;
        final Deque<byte[]> queued = new ArrayDeque<>();
        int queuedBytes;
        /** Reads waiting for an event, each with the size it asked for. */
        final Deque<Waiting> waiting = new ArrayDeque<>();
    }

    private record Waiting(CompletableFuture<ReadData> reply, int size) {
    }

    private final Instant mounted = Instant.now();
    private final int uid;
    private final int gid;
    private final ConcurrentHashMap<Long, Reader> readers = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong(1);
    private final AtomicLong posted = new AtomicLong();
    private final AtomicLong schedules = new AtomicLong();
    private volatile Notifier notifier;

    /** The two files, owned by {@code uid}/{@code gid}. */
    public PollFs(int uid, int gid) {
        this.uid = uid;
        this.gid = gid;
    }

    @Override
    public void init(KernelConfig config) {
        notifier = config.notifier();
    }

    /**
     * Posts an event to every open {@code events}: its readers' queues get {@code event}, waiting reads complete,
     * and pollers are woken through {@link Notifier#pollWakeup}.
     */
    public void post(byte[] event) {
        if (event.length == 0) {
            return;
        }
        posted.incrementAndGet();
        Notifier n = notifier;
        for (Reader r : readers.values()) {
            long kh;
            synchronized (r) {
                r.queued.addLast(event.clone());
                r.queuedBytes += event.length;
                while (r.queuedBytes > MAX_QUEUED && r.queued.size() > 1) {
                    r.queuedBytes -= r.queued.removeFirst().length;
                }
                Waiting w;
                while ((w = r.waiting.pollFirst()) != null) {
                    if (w.reply().isDone()) {
                        continue; // cancelled (its caller was interrupted)
                    }
                    byte[] data = take(r, w.size());
                    if (w.reply().complete(ReadData.of(data))) {
                        break;
                    }
                    r.queued.addFirst(data); // cancelled meanwhile: the bytes stay for the next read
                    r.queuedBytes += data.length;
                }
                kh = r.queued.isEmpty() ? -1 : r.kh;
            }
            if (kh >= 0 && n != null) {
                try {
                    n.pollWakeup(kh);
                } catch (java.io.IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "could not wake the pollers of events: " + e.getMessage());
                }
            }
        }
    }

    /** Posts {@code event} as UTF-8 bytes. */
    public void post(String event) {
        post(event.getBytes(StandardCharsets.UTF_8));
    }

    /** Events posted so far. */
    public long postedCount() {
        return posted.get();
    }

    /**
     * How many times {@code poll} answered "nothing ready" to a poller that asked to be woken
     * ({@code POLL_SCHEDULE_NOTIFY}): each is a process going to sleep in {@code poll(2)}, {@code select(2)} or
     * {@code epoll_wait(2)} on {@code events} until the next event.
     */
    public long sleepingPolls() {
        return schedules.get();
    }

    /** Takes up to {@code size} queued bytes; an event that does not fit is split, its rest stays first. */
    private static byte[] take(Reader r, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() < size && !r.queued.isEmpty()) {
            byte[] e = r.queued.removeFirst();
            int n = Math.min(e.length, size - out.size());
            out.write(e, 0, n);
            if (n < e.length) {
                r.queued.addFirst(java.util.Arrays.copyOfRange(e, n, e.length));
            }
            r.queuedBytes -= n;
        }
        return out.toByteArray();
    }

    private FileAttr attr(long node) {
        FileAttr.Builder b = switch ((int) node) {
            case (int) ROOT -> FileAttr.builder(ROOT, FileType.DIRECTORY).perm(0755).nlink(2);
            case (int) EVENTS_NODE -> FileAttr.builder(EVENTS_NODE, FileType.REGULAR_FILE).perm(0444);
            default -> FileAttr.builder(POST_NODE, FileType.REGULAR_FILE).perm(0222);
        };
        return b.times(mounted).uid(uid).gid(gid).blksize(4096).build();
    }

    private static <T> CompletionStage<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    private static <T> CompletionStage<T> fail(Errno errno) {
        return CompletableFuture.failedFuture(new FuseException(errno));
    }

    private static boolean known(long node) {
        return node == ROOT || node == EVENTS_NODE || node == POST_NODE;
    }

    @Override
    public CompletionStage<Entry> lookup(Request req, long parent, String name) {
        if (parent != ROOT) {
            return fail(Errno.ENOENT);
        }
        return switch (name) {
            case EVENTS -> done(Entry.of(EVENTS_NODE, attr(EVENTS_NODE), CACHE));
            case POST -> done(Entry.of(POST_NODE, attr(POST_NODE), CACHE));
            default -> done(Entry.negative(CACHE));
        };
    }

    @Override
    public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        return known(nodeId) ? done(new AttrReply(attr(nodeId), CACHE)) : fail(Errno.ENOENT);
    }

    /** {@code echo x > post} truncates first: there is nothing to truncate, so the change is accepted as done. */
    @Override
    public CompletionStage<AttrReply> setattr(Request req, long nodeId, SetAttr changes) {
        return nodeId == POST_NODE ? done(new AttrReply(attr(nodeId), CACHE)) : fail(Errno.EACCES);
    }

    @Override
    public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        int access = OpenFlags.accessMode(flags);
        if (nodeId == EVENTS_NODE) {
            if (access != OpenFlags.O_RDONLY) {
                return fail(Errno.EACCES);
            }
            long fh = nextFh.getAndIncrement();
            readers.put(fh, new Reader());
            return done(OpenReply.of(fh, OpenReply.DIRECT_IO | OpenReply.NONSEEKABLE));
        }
        if (nodeId == POST_NODE) {
            return access == OpenFlags.O_RDONLY ? fail(Errno.EACCES) : done(OpenReply.of(0, OpenReply.DIRECT_IO));
        }
        return fail(nodeId == ROOT ? Errno.EISDIR : Errno.ENOENT);
    }

    @Override
    public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
            long lockOwner) {
        Reader r = readers.get(fh);
        if (nodeId != EVENTS_NODE || r == null) {
            return fail(Errno.EBADF);
        }
        synchronized (r) {
            if (!r.queued.isEmpty()) {
                return done(ReadData.of(take(r, size)));
            }
            if ((flags & OpenFlags.O_NONBLOCK) != 0) {
                return fail(Errno.EAGAIN);
            }
            // Completed by the next post; cancelled by the session when the caller is interrupted.
            CompletableFuture<ReadData> reply = new CompletableFuture<>();
            r.waiting.addLast(new Waiting(reply, size));
            reply.whenComplete((data, failure) -> {
                if (failure != null) {
                    synchronized (r) {
                        r.waiting.removeIf(w -> w.reply() == reply);
                    }
                }
            });
            return reply;
        }
    }

    @Override
    public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
            int writeFlags, int flags, long lockOwner) {
        if (nodeId != POST_NODE) {
            return fail(Errno.EBADF);
        }
        byte[] event = new byte[data.remaining()];
        data.get(event);
        post(event);
        return done(event.length);
    }

    @Override
    public CompletionStage<Integer> poll(Request req, long nodeId, long fh, long kh, int flags, int events) {
        if (nodeId == POST_NODE) {
            return done(events & (PollEvents.POLLOUT | PollEvents.POLLWRNORM)); // a write never waits
        }
        Reader r = readers.get(fh);
        if (nodeId != EVENTS_NODE || r == null) {
            return fail(Errno.EBADF);
        }
        synchronized (r) {
            boolean wakeMe = (flags & PollEvents.SCHEDULE_NOTIFY) != 0;
            if (wakeMe) {
                r.kh = kh;
            }
            if (!r.queued.isEmpty()) {
                return done(events & (PollEvents.POLLIN | PollEvents.POLLRDNORM));
            }
            if (wakeMe) {
                schedules.incrementAndGet();
            }
            return done(0);
        }
    }

    @Override
    public CompletionStage<Void> release(Request req, long nodeId, long fh, int flags, int releaseFlags,
            long lockOwner) {
        Reader r = nodeId == EVENTS_NODE ? readers.remove(fh) : null;
        if (r != null) {
            synchronized (r) {
                for (Waiting w : r.waiting) {
                    w.reply().completeExceptionally(new FuseException(Errno.EBADF));
                }
            }
        }
        return done(null);
    }

    @Override
    public CompletionStage<OpenReply> opendir(Request req, long nodeId, int flags) {
        return nodeId == ROOT ? done(OpenReply.of(0)) : fail(known(nodeId) ? Errno.ENOTDIR : Errno.ENOENT);
    }

    @Override
    public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        String[] names = {".", "..", EVENTS, POST};
        long[] nodes = {ROOT, ROOT, EVENTS_NODE, POST_NODE};
        for (int i = (int) offset; i < names.length; i++) {
            if (!listing.add(names[i], nodes[i], nodes[i] == ROOT ? FileType.DIRECTORY : FileType.REGULAR_FILE,
                    i + 1)) {
                break;
            }
        }
        return done(null);
    }
}
