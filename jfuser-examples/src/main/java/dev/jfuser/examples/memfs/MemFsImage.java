package dev.jfuser.examples.memfs;

import dev.jfuser.FileType;
import dev.jfuser.Names;
import dev.jfuser.XattrFlags;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The on-disk image of a {@link MemFs} tree: everything reachable from the root (data, holes, metadata,
 * xattrs, symlinks, hard links as shared inode numbers).
 *
 * <p>Layout (big-endian): the 8-byte magic {@code JFMEMFS\n}, a 4-byte format version, the node count, the nodes,
 * and a CRC-32C of all preceding bytes. Saving writes a temporary file next to the image, fsyncs it, renames it
 * over the image and fsyncs the directory, so a crash leaves either the old or the new image. Loading checks the
 * magic, the version and the checksum before it builds anything, then the structure (every entry names a saved
 * node, every directory has exactly one parent); any failure is an {@link IOException} naming the file, and
 * nothing is loaded.
 */
final class MemFsImage {
    private static final byte[] MAGIC = "JFMEMFS\n".getBytes(StandardCharsets.US_ASCII);
    /** Version 2 added the inode flags to each node; version 1 images still load (with no flags). */
    static final int VERSION = 2;
    private static final int VERSION_WITHOUT_FLAGS = 1;
    private static final int KIND_RESERVED = 0;
    private static final int KIND_DATA = 1;

    private MemFsImage() {}

    /** The nodes of a loaded tree, root first. */
    record Loaded(List<Node> nodes) {
    }

    /** Saves the tree of {@code fs}; the caller holds its lock. */
    static void save(MemFs fs, Path image) throws IOException {
        Path target = image.toAbsolutePath();
        Path dir = target.getParent();
        Path tmp = temporary(target, ProcessHandle.current().pid());
        List<Node> reachable = reachable(fs);
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                CRC32C crc = new CRC32C();
                OutputStream raw = Channels.newOutputStream(ch);
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                        new CheckedOutputStream(nonClosing(raw), crc), 1 << 16));
                out.write(MAGIC);
                out.writeInt(VERSION);
                out.writeLong(reachable.size());
                for (Node n : reachable) {
                    writeNode(out, n);
                }
                out.flush();
                ByteBuffer sum = ByteBuffer.allocate(4).putInt((int) crc.getValue()).flip();
                while (sum.hasRemaining()) {
                    ch.write(sum);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot replace memfs image " + target + " atomically: " + e.getMessage(), e);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true); // make the rename itself durable
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The temporary file a save by process {@code pid} writes next to {@code target}. */
    private static Path temporary(Path target, long pid) {
        return target.resolveSibling("." + target.getFileName() + ".tmp-" + pid);
    }

    /**
     * Checks at mount that the image can be saved at unmount: its directory exists and takes the temporary file a
     * save writes (created, written, synced and removed here), so no session runs whose changes cannot be kept.
     *
     * @throws IOException naming the image, the directory or temporary file, and the cause
     */
    static void probe(Path image) throws IOException {
        Path target = image.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("memfs image " + target + " could not be saved: its directory " + dir
                    + " does not exist; create it or pass another --image");
        }
        Path tmp = temporary(target, ProcessHandle.current().pid());
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(MAGIC));
                ch.force(true);
            }
            Files.delete(tmp);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the cause below is what matters
            }
            throw new IOException("memfs image " + target + " could not be saved: writing " + tmp + " failed ("
                    + cause(e) + "); pass an --image in a writable directory", e);
        }
    }

    /** A short cause for {@code e}: the reason of a file system error, which the JDK keeps apart from the path. */
    static String cause(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return String.valueOf(e.getMessage());
    }

    /**
     * Removes temporary files that saves by processes no longer running left next to {@code image} (a save killed
     * half-way); a running process's may be a save in progress and stays.
     *
     * @return the files removed
     */
    static List<Path> removeStaleTemporaries(Path image) throws IOException {
        Path target = image.toAbsolutePath();
        String prefix = "." + target.getFileName() + ".tmp-";
        List<Path> removed = new ArrayList<>();
        try (var list = Files.newDirectoryStream(target.getParent(), p -> p.getFileName().toString()
                .startsWith(prefix))) {
            for (Path p : list) {
                long pid;
                try {
                    pid = Long.parseLong(p.getFileName().toString().substring(prefix.length()));
                } catch (NumberFormatException notOurs) {
                    continue;
                }
                if (pid > 0 && ProcessHandle.of(pid).isEmpty() && Files.deleteIfExists(p)) {
                    removed.add(p);
                }
            }
        }
        return removed;
    }

    private static List<Node> reachable(MemFs fs) {
        Node root = fs.nodes.get(MemFs.ROOT);
        List<Node> out = new ArrayList<>();
        Map<Long, Boolean> seen = new HashMap<>();
        ArrayDeque<Node> todo = new ArrayDeque<>();
        todo.add(root);
        seen.put(root.ino, true);
        while (!todo.isEmpty()) {
            Node n = todo.poll();
            out.add(n);
            if (n.isDir()) {
                for (Node.DirEntry e : n.byCookie.values()) {
                    if (seen.putIfAbsent(e.node.ino, true) == null) {
                        todo.add(e.node);
                    }
                }
            }
        }
        return out;
    }

    static void writeNode(DataOutputStream out, Node n) throws IOException {
        out.writeLong(n.ino);
        out.writeInt(n.type.modeBits());
        out.writeInt(n.perm);
        out.writeInt(n.uid);
        out.writeInt(n.gid);
        out.writeInt(n.rdev);
        out.writeInt(n.flags);
        writeTime(out, n.atime);
        writeTime(out, n.mtime);
        writeTime(out, n.ctime);
        Map<String, byte[]> x = n.xattrsOrEmpty();
        out.writeInt(x.size());
        for (Map.Entry<String, byte[]> e : x.entrySet()) {
            writeBytes(out, Names.bytes(e.getKey()));
            writeBytes(out, e.getValue());
        }
        switch (n.type) {
            case REGULAR_FILE -> {
                out.writeLong(n.size);
                out.writeLong(n.chunks.size());
                for (Map.Entry<Long, byte[]> c : n.chunks.entrySet()) {
                    out.writeLong(c.getKey());
                    if (c.getValue() == Node.RESERVED) {
                        out.writeByte(KIND_RESERVED);
                    } else {
                        out.writeByte(KIND_DATA);
                        out.write(c.getValue());
                    }
                }
            }
            case SYMLINK -> writeBytes(out, Names.bytes(n.target));
            case DIRECTORY -> {
                out.writeLong(n.nextCookie);
                out.writeInt(n.byCookie.size());
                for (Node.DirEntry e : n.byCookie.values()) {
                    out.writeLong(e.cookie);
                    writeBytes(out, Names.bytes(e.name));
                    out.writeLong(e.node.ino);
                }
            }
            default -> { } // FIFOs, sockets, devices: the metadata is all
        }
    }

    /**
     * Loads an image.
     *
     * @throws IOException naming {@code image} if it cannot be read, is not a memfs image, has another version,
     *     fails its checksum or is inconsistent
     */
    static Loaded load(Path image) throws IOException {
        long length = Files.size(image);
        byte[] magic = new byte[MAGIC.length];
        int version = -1;
        int got;
        try (DataInputStream in = new DataInputStream(Files.newInputStream(image))) {
            got = in.readNBytes(magic, 0, magic.length);
            if (got == magic.length && length >= MAGIC.length + 4) {
                version = in.readInt();
            }
        }
        if (!Arrays.equals(Arrays.copyOf(magic, got), Arrays.copyOf(MAGIC, got)) || got == 0) {
            throw new IOException("memfs image " + image + " is not a memfs image (wrong magic bytes); refusing to "
                    + "load it: pass another --image file or move this one away");
        }
        if (length < MAGIC.length + 4 + 8 + 4) {
            throw corrupt(image, "too short (" + length + " bytes) to be a memfs image");
        }
        if (version != VERSION && version != VERSION_WITHOUT_FLAGS) {
            throw new IOException("memfs image " + image + " has format version " + version + "; this memfs reads "
                    + "versions " + VERSION_WITHOUT_FLAGS + " and " + VERSION);
        }
        verifyChecksum(image, length);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(
                limited(Files.newInputStream(image), length - 4), 1 << 16))) {
            in.skipNBytes(MAGIC.length + 4);
            return parse(in, image, version);
        } catch (EOFException e) {
            throw corrupt(image, "it ends in the middle of a node");
        } catch (IllegalArgumentException e) {
            throw corrupt(image, e.getMessage());
        }
    }

    private static void verifyChecksum(Path image, long length) throws IOException {
        CRC32C crc = new CRC32C();
        int stored;
        try (InputStream in = Files.newInputStream(image)) {
            byte[] buf = new byte[1 << 16];
            long left = length - 4;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw corrupt(image, "it changed while being read");
                }
                crc.update(buf, 0, n);
                left -= n;
            }
            stored = new DataInputStream(in).readInt();
        }
        if (stored != (int) crc.getValue()) {
            throw corrupt(image, String.format("checksum mismatch (stored %08x, computed %08x)", stored,
                    (int) crc.getValue()));
        }
    }

    private static Loaded parse(DataInputStream in, Path image, int version) throws IOException {
        long count = in.readLong();
        if (count < 1 || count > Integer.MAX_VALUE) {
            throw corrupt(image, "node count " + count);
        }
        Map<Long, Node> byIno = new LinkedHashMap<>();
        Map<Node, List<Object[]>> pendingEntries = new HashMap<>();
        for (long i = 0; i < count; i++) {
            Node n = readNode(in, image, version, pendingEntries);
            long ino = n.ino;
            if (byIno.put(ino, n) != null) {
                throw corrupt(image, "node " + ino + " appears twice");
            }
        }
        if (in.read() != -1) {
            throw corrupt(image, "there are bytes after the last node");
        }
        Node root = byIno.get(MemFs.ROOT);
        if (root == null || !root.isDir()) {
            throw corrupt(image, "it has no root directory");
        }
        root.parent = root;
        // Link the entries, then recount the links: they are derived, so a saved count can never disagree.
        for (Node n : byIno.values()) {
            n.nlink = n.isDir() ? 2 : 0;
        }
        for (Map.Entry<Node, List<Object[]>> d : pendingEntries.entrySet()) {
            Node dir = d.getKey();
            for (Object[] e : d.getValue()) {
                long cookie = (Long) e[0];
                String name = (String) e[1];
                Node child = byIno.get((Long) e[2]);
                if (child == null || child == root || name.isEmpty() || name.contains("/")
                        || dir.byName.containsKey(name) || cookie < 3 || cookie >= dir.nextCookie
                        || dir.byCookie.containsKey(cookie)) {
                    throw corrupt(image, "directory " + dir.ino + " has an invalid entry '" + name + "'");
                }
                dir.putEntry(new Node.DirEntry(name, cookie, child));
                if (child.isDir()) {
                    if (child.parent != null) {
                        throw corrupt(image, "directory " + child.ino + " has two parents");
                    }
                    child.parent = dir;
                    dir.nlink++;
                } else {
                    child.nlink++;
                }
            }
        }
        for (Node n : byIno.values()) {
            if (n.parent == null && n.isDir() || !n.isDir() && n.nlink == 0) {
                throw corrupt(image, "node " + n.ino + " is not reachable from the root");
            }
        }
        List<Node> nodes = new ArrayList<>(byIno.values());
        return new Loaded(nodes);
    }

    /**
     * Reads one node as {@link #writeNode} wrote it; a directory's entries go to {@code pendingEntries} as
     * {cookie, name, child ino}, to be linked once every node is read.
     */
    static Node readNode(DataInputStream in, Path image, int version, Map<Node, List<Object[]>> pendingEntries)
            throws IOException {
        long ino = in.readLong();
        FileType type = FileType.fromMode(in.readInt());
        int perm = in.readInt();
        if ((perm & ~07777) != 0) {
            throw corrupt(image, "node " + ino + " has mode bits 0" + Integer.toOctalString(perm));
        }
        Node n = new Node(ino, type, perm, in.readInt(), in.readInt(), Instant.EPOCH);
        n.rdev = in.readInt();
        if (version > VERSION_WITHOUT_FLAGS) {
            n.flags = in.readInt();
            if ((n.flags & ~MemFs.SUPPORTED_FLAGS) != 0) {
                throw corrupt(image, "node " + ino + " has inode flags 0x" + Integer.toHexString(n.flags));
            }
        }
        n.atime = readTime(in);
        n.mtime = readTime(in);
        n.ctime = readTime(in);
        int xattrs = in.readInt();
        for (int k = 0; k < xattrs; k++) {
            String name = Names.fromBytes(readBytes(in, XattrFlags.XATTR_NAME_MAX));
            byte[] value = readBytes(in, XattrFlags.XATTR_SIZE_MAX);
            n.putXattr(name, value);
        }
        switch (type) {
            case REGULAR_FILE -> {
                n.size = in.readLong();
                long chunks = in.readLong();
                for (long c = 0; c < chunks; c++) {
                    long idx = in.readLong();
                    int kind = in.readUnsignedByte();
                    if (kind == KIND_RESERVED) {
                        n.chunks.put(idx, Node.RESERVED);
                    } else if (kind == KIND_DATA) {
                        byte[] data = new byte[Node.CHUNK];
                        in.readFully(data);
                        n.chunks.put(idx, data);
                    } else {
                        throw corrupt(image, "node " + ino + " has a chunk of kind " + kind);
                    }
                }
            }
            case SYMLINK -> {
                n.target = Names.fromBytes(readBytes(in, 4096));
                n.size = Names.bytes(n.target).length;
            }
            case DIRECTORY -> {
                n.nextCookie = in.readLong();
                int entries = in.readInt();
                List<Object[]> list = new ArrayList<>(Math.max(0, entries));
                for (int k = 0; k < entries; k++) {
                    long cookie = in.readLong();
                    String name = Names.fromBytes(readBytes(in, MemFs.NAME_MAX));
                    list.add(new Object[] {cookie, name, in.readLong()});
                }
                pendingEntries.put(n, list);
            }
            default -> { }
        }
        return n;
    }

    static IOException corrupt(Path image, String why) {
        return new IOException("memfs image " + image + " is corrupt: " + why + "; refusing to load it (nothing was "
                + "mounted from it)");
    }

    private static void writeTime(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    private static Instant readTime(DataInputStream in) throws IOException {
        long s = in.readLong();
        int ns = in.readInt();
        if (ns < 0 || ns > 999_999_999) {
            throw new IllegalArgumentException("a timestamp has " + ns + " nanoseconds");
        }
        return Instant.ofEpochSecond(s, ns);
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in, int max) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > max) {
            throw new IllegalArgumentException("a field claims " + len + " bytes (at most " + max + ")");
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }

    private static OutputStream nonClosing(OutputStream out) {
        return new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    private static InputStream limited(InputStream in, long limit) {
        return new InputStream() {
            private long left = limit;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int b = in.read();
                if (b >= 0) {
                    left--;
                }
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, left));
                if (n > 0) {
                    left -= n;
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }
}
