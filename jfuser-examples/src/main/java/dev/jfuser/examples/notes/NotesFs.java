package dev.jfuser.examples.notes;

import static dev.jfuser.Errno.*;

import dev.jfuser.*;
import dev.jfuser.path.DirEntry;
import dev.jfuser.path.PathFilesystem;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.*;
import java.util.concurrent.atomic.AtomicLong;

/** A read-write in-memory filesystem on the path API: files, directories, symlinks, hard links, xattrs. */
public final class NotesFs implements PathFilesystem {
    private static final class Note {
        final long ino;
        final FileType type;
        int perm, nlink = 1;
        byte[] data = new byte[0];
        Instant mtime = Instant.now();
        final Map<String, Note> children = new TreeMap<>();
        final Map<String, byte[]> xattrs = new HashMap<>();
        Note(long ino, FileType type, int perm) { this.ino = ino; this.type = type; this.perm = perm; }
    }

    /** An empty filesystem: the root directory alone. */
    public NotesFs() { }

    private final AtomicLong inos = new AtomicLong(1);
    private final Note root = new Note(inos.getAndIncrement(), FileType.DIRECTORY, 0755);

    private Note find(String path) throws FuseException {
        Note n = root;
        for (String name : path.split("/")) {
            if (name.isEmpty()) continue;
            if (n.type != FileType.DIRECTORY) throw new FuseException(ENOTDIR);
            if ((n = n.children.get(name)) == null) throw new FuseException(ENOENT);
        }
        return n;
    }
    private Note parent(String path) throws FuseException { return find(path.substring(0, path.lastIndexOf('/'))); }
    private static String name(String path) { return path.substring(path.lastIndexOf('/') + 1); }
    private Note add(String path, FileType type, int perm) throws FuseException {
        Note dir = parent(path), n = new Note(inos.getAndIncrement(), type, perm & 07777);
        if (dir.children.putIfAbsent(name(path), n) != null) throw new FuseException(EEXIST);
        return n;
    }
    private void remove(String path, boolean wantDir) throws FuseException {
        Note n = find(path);
        if (wantDir != (n.type == FileType.DIRECTORY)) throw new FuseException(wantDir ? ENOTDIR : EISDIR);
        if (!n.children.isEmpty()) throw new FuseException(ENOTEMPTY);
        parent(path).children.remove(name(path));
        n.nlink--;
    }

    public synchronized FileAttr getattr(Request req, String path, OptionalLong fh) throws FuseException {
        Note n = find(path);
        return FileAttr.builder(n.ino, n.type).perm(n.perm).size(n.data.length).nlink(n.nlink).times(n.mtime)
                .uid(req.uid()).gid(req.gid()).build();
    }
    public synchronized List<DirEntry> readdir(Request req, String path, long fh) throws FuseException {
        List<DirEntry> list = new ArrayList<>();
        find(path).children.forEach((name, n) -> list.add(new DirEntry(name, n.type, n.ino)));
        return list;
    }
    public synchronized ReadData read(Request req, String path, long fh, long off, int size) throws FuseException {
        byte[] d = find(path).data;
        int from = (int) Math.min(off, d.length);
        return ReadData.of(Arrays.copyOfRange(d, from, (int) Math.min(d.length, from + (long) size)));
    }
    public synchronized int write(Request req, String path, long fh, long off, ByteBuffer in) throws FuseException {
        Note n = find(path);
        int len = in.remaining();
        if (off + len > n.data.length) n.data = Arrays.copyOf(n.data, Math.toIntExact(off + len));
        in.get(n.data, (int) off, len);
        n.mtime = Instant.now();
        return len;
    }
    public synchronized OpenReply create(Request req, String path, int mode, int flags) throws FuseException {
        add(path, FileType.REGULAR_FILE, mode);
        return OpenReply.of(0);
    }
    public synchronized void setattr(Request req, String path, SetAttr c) throws FuseException {
        Note n = find(path);
        c.mode().ifPresent(m -> n.perm = m & 07777);
        c.size().ifPresent(s -> n.data = Arrays.copyOf(n.data, Math.toIntExact(s)));
        c.mtime().ifPresent(t -> n.mtime = t);
    }
    public synchronized void mkdir(Request req, String path, int mode) throws FuseException {
        add(path, FileType.DIRECTORY, mode).nlink = 2;
    }
    public synchronized void symlink(Request req, String target, String path) throws FuseException {
        add(path, FileType.SYMLINK, 0777).data = Names.bytes(target);
    }
    public synchronized String readlink(Request req, String path) throws FuseException {
        return Names.fromBytes(find(path).data);
    }
    public synchronized void unlink(Request req, String path) throws FuseException { remove(path, false); }
    public synchronized void rmdir(Request req, String path) throws FuseException { remove(path, true); }
    public synchronized void link(Request req, String from, String to) throws FuseException {
        Note n = find(from);
        if (parent(to).children.putIfAbsent(name(to), n) != null) throw new FuseException(EEXIST);
        n.nlink++;
    }
    public synchronized void rename(Request req, String from, String to, int flags) throws FuseException {
        Note n = find(from), target = parent(to).children.get(name(to));
        if (flags != 0) throw new FuseException(EINVAL);
        if (target == n) return;
        if (target != null) remove(to, target.type == FileType.DIRECTORY);
        parent(from).children.remove(name(from));
        parent(to).children.put(name(to), n);
    }
    public synchronized void setxattr(Request req, String path, String name, byte[] v, int flags)
            throws FuseException {
        find(path).xattrs.put(name, v.clone());
    }
    public synchronized byte[] getxattr(Request req, String path, String name) throws FuseException {
        byte[] v = find(path).xattrs.get(name);
        if (v == null) throw new FuseException(ENODATA);
        return v;
    }
    public synchronized List<String> listxattr(Request req, String path) throws FuseException {
        return List.copyOf(find(path).xattrs.keySet());
    }
    public synchronized void removexattr(Request req, String path, String name) throws FuseException {
        if (find(path).xattrs.remove(name) == null) throw new FuseException(ENODATA);
    }
}
