package dev.jfuser.examples.init;

import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileLock;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FuseException;
import dev.jfuser.IoctlReply;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A small filesystem that records the requests it gets, for tests that show what an INIT flag changes: a root
 * holding the file {@code f} (node 2), the directory {@code d} (3), the symlink {@code link} (4, to {@code f}) and
 * {@code hang} (5), whose lookup blocks until {@link #release} (a hung filesystem). {@link #onInit} tunes the
 * negotiation. It overrides readdirplus, getlk and setlk, so those capabilities are on unless {@code onInit}
 * disables them.
 */
class ProbeFs implements Filesystem {
    static final Instant MTIME = Instant.ofEpochSecond(1_700_000_000);

    /** Each request as "OP detail", in arrival order. */
    final Queue<String> log = new ConcurrentLinkedQueue<>();
    final Map<Long, byte[]> contents = new ConcurrentHashMap<>();
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch hangStarted = new CountDownLatch(1);
    volatile Consumer<KernelConfig> onInit = c -> { };
    volatile int openFlags;
    /** Answer OPEN / OPENDIR with ENOSYS (the kernel's cue for NO_OPEN_SUPPORT / NO_OPENDIR_SUPPORT). */
    volatile boolean noOpen;
    volatile boolean noOpendir;
    volatile Instant mtime = MTIME;
    volatile Duration attrTimeout = Duration.ofHours(1);
    volatile KernelConfig config;
    /** f's permission bits (with set-uid and set-gid if wanted); d's group. */
    volatile int fileMode = 0666;
    volatile int dirGid;
    /** How long each READ, and each LOOKUP of a name starting with "p", takes; the most seen at once. */
    volatile long readMillis;
    final java.util.concurrent.atomic.AtomicInteger readsNow = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger mostReadsAtOnce = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger lookupsNow = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger mostLookupsAtOnce =
            new java.util.concurrent.atomic.AtomicInteger();

    private static void busy(java.util.concurrent.atomic.AtomicInteger now,
                             java.util.concurrent.atomic.AtomicInteger most, long millis) {
        most.accumulateAndGet(now.incrementAndGet(), Math::max);
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            now.decrementAndGet();
        }
    }

    ProbeFs() {
        contents.put(2L, "probe\n".getBytes(StandardCharsets.UTF_8));
    }

    long count(String prefix) {
        return log.stream().filter(s -> s.startsWith(prefix)).count();
    }

    List<String> matching(String prefix) {
        return log.stream().filter(s -> s.startsWith(prefix)).toList();
    }

    @Override
    public void init(KernelConfig c) {
        onInit.accept(c);
        config = c;
    }

    private FileAttr attr(long node) throws FuseException {
        return switch ((int) node) {
            case 1 -> FileAttr.builder(node, FileType.DIRECTORY).perm(0777).nlink(2).times(mtime).build();
            case 3 -> FileAttr.builder(node, FileType.DIRECTORY).perm(0777).gid(dirGid).nlink(2).times(mtime)
                    .build();
            case 2, 5 -> FileAttr.builder(node, FileType.REGULAR_FILE).perm(node == 2 ? fileMode : 0666)
                    .size(contents.getOrDefault(node, new byte[0]).length).times(mtime).build();
            case 4 -> FileAttr.builder(node, FileType.SYMLINK).perm(0777).size(1).times(mtime).build();
            default -> {
                if (contents.containsKey(node)) {
                    yield FileAttr.builder(node, FileType.REGULAR_FILE).perm(0666).size(contents.get(node).length)
                            .times(mtime).build();
                }
                throw new FuseException(Errno.ENOENT);
            }
        };
    }

    private final Map<String, Long> created = new ConcurrentHashMap<>();

    @Override
    public Entry lookup(Request req, long parent, String name) throws IOException {
        log.add("LOOKUP " + name);
        if (name.startsWith("p")) {
            busy(lookupsNow, mostLookupsAtOnce, 300);
            throw new FuseException(Errno.ENOENT);
        }
        if (parent == 1 && name.equals("hang")) {
            hangStarted.countDown();
            try {
                release.await(120, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new FuseException(Errno.EINTR);
            }
        }
        long node = parent != 1 ? 0 : switch (name) {
            case "f" -> 2;
            case "d" -> 3;
            case "link" -> 4;
            case "hang" -> 5;
            default -> created.getOrDefault(name, 0L);
        };
        if (node == 0) {
            throw new FuseException(Errno.ENOENT);
        }
        return Entry.of(node, attr(node), attrTimeout);
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
        log.add("GETATTR " + nodeId);
        return new AttrReply(attr(nodeId), attrTimeout);
    }

    @Override
    public AttrReply setattr(Request req, long nodeId, SetAttr changes) throws IOException {
        log.add("SETATTR " + nodeId + " " + changes);
        if (nodeId == 2 && changes.mode().isPresent()) {
            fileMode = changes.mode().getAsInt() & 07777;
        }
        if (changes.size().isPresent()) {
            byte[] c = contents.getOrDefault(nodeId, new byte[0]);
            contents.put(nodeId, java.util.Arrays.copyOf(c, (int) changes.size().getAsLong()));
        }
        return new AttrReply(attr(nodeId), attrTimeout);
    }

    @Override
    public String readlink(Request req, long nodeId) {
        log.add("READLINK " + nodeId);
        return "f";
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws IOException {
        log.add("OPEN " + nodeId + " flags=0x" + Integer.toHexString(flags));
        if (noOpen) {
            throw new FuseException(Errno.ENOSYS);
        }
        if ((flags & 0x200) != 0) { // O_TRUNC
            contents.put(nodeId, new byte[0]);
        }
        return OpenReply.of(0, openFlags);
    }

    @Override
    public CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        log.add("CREATE " + name + " mode=0" + Integer.toOctalString(mode) + " umask=0" + Integer.toOctalString(umask)
                + " groups=" + java.util.Arrays.toString(req.supplementaryGroups()));
        long node = 100 + created.size();
        created.put(name, node);
        contents.put(node, new byte[0]);
        return new CreateReply(Entry.of(node, attr(node), attrTimeout), OpenReply.of(0, openFlags));
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner) {
        log.add("READ " + nodeId + " offset=" + offset + " size=" + size);
        if (readMillis > 0) {
            busy(readsNow, mostReadsAtOnce, readMillis);
        }
        byte[] c = contents.getOrDefault(nodeId, new byte[0]);
        int from = (int) Math.min(offset, c.length);
        return ReadData.of(c, from, Math.min(size, c.length - from));
    }

    @Override
    public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                     long lockOwner) {
        int n = data.remaining();
        log.add("WRITE " + nodeId + " offset=" + offset + " size=" + n + " writeFlags=" + writeFlags);
        contents.compute(nodeId, (k, old) -> {
            byte[] grown = java.util.Arrays.copyOf(old == null ? new byte[0] : old,
                    (int) Math.max(old == null ? 0 : old.length, offset + n));
            data.get(data.position(), grown, (int) offset, n);
            return grown;
        });
        return n;
    }

    @Override
    public OpenReply opendir(Request req, long nodeId, int flags) throws IOException {
        log.add("OPENDIR " + nodeId);
        if (noOpendir) {
            throw new FuseException(Errno.ENOSYS);
        }
        return OpenReply.of(0);
    }

    private void list(long nodeId, long offset, DirectoryListing listing, boolean plus) throws IOException {
        String[] names = nodeId == 1 ? new String[] {".", "..", "f", "d", "link"} : new String[] {".", ".."};
        long[] nodes = nodeId == 1 ? new long[] {1, 1, 2, 3, 4} : new long[] {3, 1};
        for (int i = (int) offset; i < names.length; i++) {
            boolean full;
            if (plus && i >= 2) {
                full = !listing.add(names[i], i + 1, Entry.of(nodes[i], attr(nodes[i]), attrTimeout));
            } else {
                FileType type = nodes[i] == 4 ? FileType.SYMLINK : nodes[i] == 2 ? FileType.REGULAR_FILE
                        : FileType.DIRECTORY;
                full = plus ? !listing.addWithoutAttributes(names[i], nodes[i], type, i + 1)
                        : !listing.add(names[i], nodes[i], type, i + 1);
            }
            if (full) {
                break;
            }
        }
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        log.add("READDIR " + nodeId + " offset=" + offset);
        list(nodeId, offset, listing, false);
    }

    @Override
    public void readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        log.add("READDIRPLUS " + nodeId + " offset=" + offset);
        list(nodeId, offset, listing, true);
    }

    @Override
    public FileLock getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) {
        log.add("GETLK " + nodeId);
        return FileLock.unlocked();
    }

    @Override
    public void setlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock, boolean sleep,
                      boolean flock) {
        log.add("SETLK " + nodeId + " flock=" + flock + " type=" + lock.type());
    }

    @Override
    public IoctlReply ioctl(Request req, long nodeId, long fh, int flags, int cmd, long arg, byte[] in,
                            int outSize) throws IOException {
        log.add("IOCTL " + nodeId + " cmd=0x" + Integer.toHexString(cmd));
        throw new FuseException(Errno.ENOTTY);
    }
}
