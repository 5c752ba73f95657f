package dev.jfuser.examples.notes;

import static dev.jfuser.Errno.*;

import dev.jfuser.*;
import dev.jfuser.path.DirEntry;
import dev.jfuser.path.PathFilesystem;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.*;
import java.util.concurrent.atomic.AtomicLong;

/** A read-write in-memory filesystem of directories and files, written on the path API. */
public final class NotesFs implements PathFilesystem {
    private static final AtomicLong INOS = new AtomicLong(1);

    private static final class Note {
        final long ino = INOS.getAndIncrement();
        final FileType type;
        int perm;
        byte[] data = {};
        Instant mtime = Instant.now();
        final Map<String, Note> children = new TreeMap<>();
        Note(FileType type, int perm) { this.type = type; this.perm = perm & 07777; }
    }

    private final Note root = new Note(FileType.DIRECTORY, 0755);

    private Note find(String path) throws FuseException {
        Note n = root;
        for (String name : path.substring(1).split("/")) {
            if (name.isEmpty()) continue;
            if (n.type != FileType.DIRECTORY) throw new FuseException(ENOTDIR);
            if ((n = n.children.get(name)) == null) throw new FuseException(ENOENT);
        }
        return n;
    }
    private Note parent(String p) throws FuseException { return find(p.substring(0, p.lastIndexOf('/') + 1)); }
    private static String name(String path) { return path.substring(path.lastIndexOf('/') + 1); }
    private Note add(String path, Note n) throws FuseException {
        if (parent(path).children.putIfAbsent(name(path), n) != null) throw new FuseException(EEXIST);
        return n;
    }
    private void remove(String path, boolean wantDir) throws FuseException {
        Note n = find(path);
        if (wantDir != (n.type == FileType.DIRECTORY)) throw new FuseException(wantDir ? ENOTDIR : EISDIR);
        if (!n.children.isEmpty()) throw new FuseException(ENOTEMPTY);
        parent(path).children.remove(name(path));
    }

    public synchronized FileAttr getattr(Request req, String path, OptionalLong fh) throws FuseException {
        Note n = find(path);
        return FileAttr.builder(n.ino, n.type).perm(n.perm).size(n.data.length).times(n.mtime).build();
    }
    public synchronized List<DirEntry> readdir(Request req, String path, long fh) throws FuseException {
        return find(path).children.entrySet().stream()
                .map(e -> new DirEntry(e.getKey(), e.getValue().type, e.getValue().ino)).toList();
    }
    public synchronized ReadData read(Request req, String path, long fh, long off, int size) throws FuseException {
        byte[] d = find(path).data;
        return ReadData.of(d, (int) Math.min(off, d.length), (int) Math.max(0, Math.min(size, d.length - off)));
    }
    public synchronized int write(Request req, String path, long fh, long off, ByteBuffer in) throws FuseException {
        Note n = find(path);
        int len = in.remaining();
        n.data = Arrays.copyOf(n.data, Math.max(n.data.length, Math.toIntExact(off + len)));
        in.get(n.data, (int) off, len);
        n.mtime = Instant.now();
        return len;
    }
    public synchronized void setattr(Request req, String path, SetAttr c) throws FuseException {
        Note n = find(path);
        c.mode().ifPresent(m -> n.perm = m & 07777);
        c.size().ifPresent(s -> n.data = Arrays.copyOf(n.data, Math.toIntExact(s)));
        c.mtime().ifPresent(t -> n.mtime = t);
    }
    public synchronized OpenReply create(Request req, String path, int mode, int flags) throws FuseException {
        add(path, new Note(FileType.REGULAR_FILE, mode));
        return OpenReply.of(0);
    }
    public synchronized void mkdir(Request req, String path, int mode) throws FuseException {
        add(path, new Note(FileType.DIRECTORY, mode));
    }
    public synchronized void unlink(Request req, String path) throws FuseException { remove(path, false); }
    public synchronized void rmdir(Request req, String path) throws FuseException { remove(path, true); }
    public synchronized void rename(Request req, String from, String to, int flags) throws FuseException {
        if (flags != 0) throw new FuseException(EINVAL);
        Note moving = find(from), old = parent(to).children.get(name(to));
        if (old == moving) return;
        if (old != null) remove(to, old.type == FileType.DIRECTORY);
        parent(to).children.put(name(to), parent(from).children.remove(name(from)));
    }
}
