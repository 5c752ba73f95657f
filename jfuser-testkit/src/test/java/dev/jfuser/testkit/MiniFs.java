package dev.jfuser.testkit;

import dev.jfuser.AttrReply;
import dev.jfuser.Capability;
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
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small in-memory filesystem for the kit's own tests; it counts lookups per node so tests can check that the
 * kernel side (the fake kernel, or the real one) gives every count back.
 */
class MiniFs implements Filesystem {
    static final class Node {
        final long id;
        final FileType type;
        int perm;
        byte[] data = new byte[0];
        String target;
        final TreeMap<String, Long> children = new TreeMap<>();
        final Map<String, byte[]> xattrs = new TreeMap<>();
        long lookups;
        int nlink = 1;

        Node(long id, FileType type, int perm) {
            this.id = id;
            this.type = type;
            this.perm = perm;
        }
    }

    final Map<Long, Node> nodes = new ConcurrentHashMap<>();
    private long nextId = 2;
    final boolean readdirplus;
    volatile boolean destroyed;

    MiniFs(boolean readdirplus) {
        this.readdirplus = readdirplus;
        Node root = new Node(1, FileType.DIRECTORY, 0755);
        root.nlink = 2;
        nodes.put(1L, root);
    }

    @Override
    public void init(KernelConfig config) {
        if (readdirplus) {
            config.enable(Capability.READDIRPLUS);
        }
    }

    @Override
    public void destroy() {
        destroyed = true;
    }

    private synchronized Node node(long id) throws FuseException {
        Node n = nodes.get(id);
        if (n == null) {
            throw new FuseException(Errno.ENOENT, "no node " + id);
        }
        return n;
    }

    private synchronized Node dir(long id) throws FuseException {
        Node n = node(id);
        if (n.type != FileType.DIRECTORY) {
            throw new FuseException(Errno.ENOTDIR);
        }
        return n;
    }

    private FileAttr attr(Node n) {
        return FileAttr.builder(n.id, n.type).perm(n.perm).size(n.type == FileType.SYMLINK ? n.target.length()
                : n.data.length).nlink(n.nlink).times(Instant.EPOCH).build();
    }

    private Entry entry(Node n) {
        n.lookups++;
        return Entry.of(attr(n));
    }

    /** Sum of lookup counts over all nodes. */
    synchronized long outstandingLookups() {
        return nodes.values().stream().mapToLong(n -> n.lookups).sum();
    }

    @Override
    public synchronized Entry lookup(Request req, long parent, String name) throws FuseException {
        Long id = dir(parent).children.get(name);
        if (id == null) {
            throw new FuseException(Errno.ENOENT);
        }
        return entry(node(id));
    }

    @Override
    public synchronized void forget(long nodeId, long nlookup) {
        Node n = nodes.get(nodeId);
        if (n != null) {
            n.lookups -= nlookup;
            if (n.lookups < 0) {
                throw new IllegalStateException("node " + nodeId + " forgotten more often than looked up");
            }
            if (n.lookups == 0 && n.nlink == 0) {
                nodes.remove(nodeId);
            }
        }
    }

    @Override
    public synchronized AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws FuseException {
        return AttrReply.of(attr(node(nodeId)));
    }

    @Override
    public synchronized AttrReply setattr(Request req, long nodeId, SetAttr changes) throws FuseException {
        Node n = node(nodeId);
        if (changes.mode().isPresent()) {
            n.perm = changes.mode().getAsInt() & 07777;
        }
        if (changes.size().isPresent()) {
            n.data = Arrays.copyOf(n.data, (int) changes.size().getAsLong());
        }
        return AttrReply.of(attr(n));
    }

    private Node add(long parent, String name, FileType type, int perm) throws FuseException {
        Node d = dir(parent);
        if (d.children.containsKey(name)) {
            throw new FuseException(Errno.EEXIST);
        }
        Node n = new Node(nextId++, type, perm & 07777);
        if (type == FileType.DIRECTORY) {
            n.nlink = 2;
            d.nlink++;
        }
        nodes.put(n.id, n);
        d.children.put(name, n.id);
        return n;
    }

    @Override
    public synchronized Entry mkdir(Request req, long parent, String name, int mode, int umask) throws FuseException {
        return entry(add(parent, name, FileType.DIRECTORY, mode));
    }

    @Override
    public synchronized Entry mknod(Request req, long parent, String name, int mode, int umask, int rdev)
            throws FuseException {
        return entry(add(parent, name, FileType.fromMode(mode), mode));
    }

    @Override
    public synchronized CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws FuseException {
        return new CreateReply(entry(add(parent, name, FileType.REGULAR_FILE, mode)), OpenReply.of(0));
    }

    @Override
    public synchronized Entry symlink(Request req, long parent, String name, String target) throws FuseException {
        Node n = add(parent, name, FileType.SYMLINK, 0777);
        n.target = target;
        return entry(n);
    }

    @Override
    public synchronized String readlink(Request req, long nodeId) throws FuseException {
        Node n = node(nodeId);
        if (n.type != FileType.SYMLINK) {
            throw new FuseException(Errno.EINVAL);
        }
        return n.target;
    }

    @Override
    public synchronized Entry link(Request req, long nodeId, long newParent, String newName) throws FuseException {
        Node d = dir(newParent);
        Node n = node(nodeId);
        if (d.children.containsKey(newName)) {
            throw new FuseException(Errno.EEXIST);
        }
        d.children.put(newName, n.id);
        n.nlink++;
        return entry(n);
    }

    private void drop(Node n) {
        n.nlink = n.type == FileType.DIRECTORY ? 0 : n.nlink - 1;
        if (n.nlink == 0 && n.lookups == 0) {
            nodes.remove(n.id);
        }
    }

    @Override
    public synchronized void unlink(Request req, long parent, String name) throws FuseException {
        Node d = dir(parent);
        Long id = d.children.get(name);
        if (id == null) {
            throw new FuseException(Errno.ENOENT);
        }
        Node n = node(id);
        if (n.type == FileType.DIRECTORY) {
            throw new FuseException(Errno.EISDIR);
        }
        d.children.remove(name);
        drop(n);
    }

    @Override
    public synchronized void rmdir(Request req, long parent, String name) throws FuseException {
        Node d = dir(parent);
        Long id = d.children.get(name);
        if (id == null) {
            throw new FuseException(Errno.ENOENT);
        }
        Node n = dir(id);
        if (!n.children.isEmpty()) {
            throw new FuseException(Errno.ENOTEMPTY);
        }
        d.children.remove(name);
        d.nlink--;
        drop(n);
    }

    @Override
    public synchronized void rename(Request req, long parent, String name, long newParent, String newName, int flags)
            throws FuseException {
        if (flags != 0) {
            throw new FuseException(Errno.EINVAL);
        }
        Node from = dir(parent);
        Node to = dir(newParent);
        Long id = from.children.get(name);
        if (id == null) {
            throw new FuseException(Errno.ENOENT);
        }
        Long replaced = to.children.get(newName);
        if (replaced != null && !replaced.equals(id)) {
            drop(node(replaced));
        }
        from.children.remove(name);
        to.children.put(newName, id);
    }

    @Override
    public synchronized ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags,
                                      long lockOwner) throws FuseException {
        byte[] d = node(nodeId).data;
        if (offset >= d.length) {
            return ReadData.empty();
        }
        return ReadData.of(Arrays.copyOfRange(d, (int) offset, (int) Math.min(d.length, offset + size)));
    }

    @Override
    public synchronized int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags,
                                  int flags, long lockOwner) throws FuseException {
        Node n = node(nodeId);
        int len = data.remaining();
        if (offset + len > n.data.length) {
            n.data = Arrays.copyOf(n.data, (int) (offset + len));
        }
        data.get(n.data, (int) offset, len);
        return len;
    }

    @Override
    public synchronized void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        List<Map.Entry<String, Long>> all = new ArrayList<>(dir(nodeId).children.entrySet());
        listing.fill(offset, all, (l, child, next) -> {
            Node n = node(child.getValue());
            if (!l.isPlus()) {
                return l.add(child.getKey(), n.id, n.type, next);
            }
            if (!l.add(child.getKey(), next, Entry.of(attr(n)))) {
                return false;
            }
            n.lookups++;
            return true;
        });
    }

    @Override
    public void readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        readdir(req, nodeId, fh, offset, listing);
    }

    @Override
    public synchronized void setxattr(Request req, long nodeId, String name, byte[] value, int flags,
                                      int setxattrFlags) throws FuseException {
        Node n = node(nodeId);
        if ((flags & 1) != 0 && n.xattrs.containsKey(name)) {
            throw new FuseException(Errno.EEXIST);
        }
        if ((flags & 2) != 0 && !n.xattrs.containsKey(name)) {
            throw new FuseException(Errno.ENODATA);
        }
        n.xattrs.put(name, value.clone());
    }

    @Override
    public synchronized byte[] getxattr(Request req, long nodeId, String name) throws FuseException {
        byte[] v = node(nodeId).xattrs.get(name);
        if (v == null) {
            throw new FuseException(Errno.ENODATA);
        }
        return v;
    }

    @Override
    public synchronized List<String> listxattr(Request req, long nodeId) throws FuseException {
        return new ArrayList<>(node(nodeId).xattrs.keySet());
    }

    @Override
    public synchronized void removexattr(Request req, long nodeId, String name) throws FuseException {
        if (node(nodeId).xattrs.remove(name) == null) {
            throw new FuseException(Errno.ENODATA);
        }
    }

    @Override
    public synchronized FsStats statfs(Request req, long nodeId) {
        return new FsStats(1000, 900, 900, 100, 100 - nodes.size(), 4096, 255, 4096);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
