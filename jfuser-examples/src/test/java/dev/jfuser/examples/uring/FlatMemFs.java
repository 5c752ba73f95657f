package dev.jfuser.examples.uring;

import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FuseException;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A flat in-memory filesystem (files in the root only) for transport tests: writes and reads of any size, so
 * payloads cross the transport both ways. Looking up {@value #BLOCK} blocks until {@link #release} (or the
 * handler's thread is interrupted), to hold a request in the filesystem while the test unmounts or aborts.
 */
final class FlatMemFs implements Filesystem {
    static final String BLOCK = "block";
    private static final long ROOT = 1;

    private static final class Node {
        final long id;
        final String name;
        byte[] data = new byte[0];
        int size;

        Node(long id, String name) {
            this.id = id;
            this.name = name;
        }
    }

    private final Map<String, Node> byName = new ConcurrentHashMap<>();
    private final Map<Long, Node> byId = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong(2);
    final CountDownLatch blockEntered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean blockInterrupted;

    private FileAttr attr(long id) throws FuseException {
        if (id == ROOT) {
            return FileAttr.builder(ROOT, FileType.DIRECTORY).perm(0755).build();
        }
        Node n = byId.get(id);
        if (n == null) {
            throw new FuseException(Errno.ENOENT);
        }
        synchronized (n) {
            return FileAttr.builder(id, FileType.REGULAR_FILE).perm(0644).size(n.size).blocks((n.size + 511) / 512)
                    .build();
        }
    }

    private Entry entry(long id) throws FuseException {
        return Entry.of(id, attr(id), Duration.ZERO);
    }

    @Override
    public Entry lookup(Request req, long parent, String name) throws IOException {
        if (name.equals(BLOCK)) {
            blockEntered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                blockInterrupted = true;
                throw new FuseException(Errno.EINTR);
            }
            throw new FuseException(Errno.ENOENT);
        }
        Node n = byName.get(name);
        if (parent != ROOT || n == null) {
            throw new FuseException(Errno.ENOENT);
        }
        return entry(n.id);
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
        return new AttrReply(attr(nodeId), Duration.ZERO);
    }

    @Override
    public AttrReply setattr(Request req, long nodeId, SetAttr changes) throws IOException {
        Node n = byId.get(nodeId);
        if (n != null && changes.size().isPresent()) {
            synchronized (n) {
                int size = (int) changes.size().getAsLong();
                n.data = Arrays.copyOf(n.data, Math.max(size, n.data.length));
                Arrays.fill(n.data, Math.min(size, n.size), n.data.length, (byte) 0);
                n.size = size;
            }
        }
        return new AttrReply(attr(nodeId), Duration.ZERO);
    }

    @Override
    public CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        Node n = byName.computeIfAbsent(name, k -> {
            Node created = new Node(nextId.getAndIncrement(), k);
            byId.put(created.id, created);
            return created;
        });
        return new CreateReply(entry(n.id), OpenReply.of(n.id));
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws IOException {
        attr(nodeId);
        return OpenReply.of(nodeId);
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
            throws IOException {
        Node n = byId.get(nodeId);
        if (n == null) {
            throw new FuseException(Errno.ENOENT);
        }
        synchronized (n) {
            if (offset >= n.size) {
                return ReadData.empty();
            }
            int len = (int) Math.min(size, n.size - offset);
            return ReadData.of(Arrays.copyOfRange(n.data, (int) offset, (int) offset + len));
        }
    }

    @Override
    public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                     long lockOwner) throws IOException {
        Node n = byId.get(nodeId);
        if (n == null) {
            throw new FuseException(Errno.ENOENT);
        }
        int len = data.remaining();
        synchronized (n) {
            int end = (int) offset + len;
            if (end > n.data.length) {
                n.data = Arrays.copyOf(n.data, Math.max(end, n.data.length * 2));
            }
            data.get(n.data, (int) offset, len);
            n.size = Math.max(n.size, end);
        }
        return len;
    }

    @Override
    public void unlink(Request req, long parent, String name) throws IOException {
        Node n = byName.remove(name);
        if (n == null) {
            throw new FuseException(Errno.ENOENT);
        }
        byId.remove(n.id);
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        Node[] nodes = byName.values().stream().sorted((a, b) -> Long.compare(a.id, b.id)).toArray(Node[]::new);
        for (int i = (int) offset; i < nodes.length + 2; i++) {
            boolean added = i == 0 ? listing.add(".", ROOT, FileType.DIRECTORY, 1)
                    : i == 1 ? listing.add("..", ROOT, FileType.DIRECTORY, 2)
                    : listing.add(nodes[i - 2].name, nodes[i - 2].id, FileType.REGULAR_FILE, i + 1);
            if (!added) {
                break;
            }
        }
    }
}
