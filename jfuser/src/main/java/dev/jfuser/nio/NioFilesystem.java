package dev.jfuser.nio;

import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FsStats;
import dev.jfuser.Fuse;
import dev.jfuser.FuseException;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.SetAttr;
import dev.jfuser.path.DirEntry;
import dev.jfuser.path.PathAdapter;
import dev.jfuser.path.PathFilesystem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Any {@link java.nio.file.FileSystem}'s tree served as a FUSE filesystem: the directory {@code root} of the JDK's
 * own filesystem, a zip file (the JDK's zipfs), an in-memory jimfs, or any other provider, through the
 * {@link PathFilesystem path API}. Mount one with {@link #mount(Path, Path, MountOptions)}.
 *
 * <p>What the provider has, the mount has: attributes from the {@code "unix"} view where the provider offers it
 * (inode number, link count, mode, owner, device number, ctime), else from {@link PosixFileAttributes} or
 * {@link BasicFileAttributes}; reads and writes through the provider's {@link FileChannel} (positional, so
 * concurrent) or, where it has none, its {@link SeekableByteChannel}; listings from {@link DirectoryStream};
 * symbolic and hard links; {@code user.*} extended attributes through {@link UserDefinedFileAttributeView}. A
 * read-only provider ({@link FileSystem#isReadOnly()}) makes a read-only mount. What it lacks is refused with the
 * errno Linux gives for it: EPERM for links and special files, EOPNOTSUPP for xattrs.
 *
 * <p>The provider's exceptions become errnos: the {@code java.nio.file} exception types as the core API maps them,
 * a plain {@link FileSystemException} by its reason (the default provider's reason is the system's own error
 * text, "Is a directory" and so on), {@link UnsupportedOperationException} as EOPNOTSUPP.
 *
 * <p>Paths are mapped by name: a FUSE path {@code /a/b} is {@code root.resolve("a").resolve("b")}. Names that are
 * not valid UTF-8 reach the provider as {@link dev.jfuser.Names} decodes them; the default provider cannot name
 * such files (the JDK encodes path strings in UTF-8), so they fail with EILSEQ there.
 */
public final class NioFilesystem implements PathFilesystem {
    private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
    private static final int O_ACCMODE = 3;
    private static final int O_WRONLY = 1;
    private static final int O_RDWR = 2;
    private static final int O_EXCL = 0x80;
    private static final int O_TRUNC = 0x200;
    private static final int S_IFREG = 0100000;
    private static final int RENAME_NOREPLACE = 1;
    private static final int XATTR_CREATE = 1;
    private static final int XATTR_REPLACE = 2;
    private static final String USER = "user.";
    private static final Map<String, Errno> BY_REASON = reasons();

    private final Path root;
    private final FileSystem nio;
    private final boolean readOnly;
    private final boolean unix;
    private final boolean posix;
    private final boolean user;
    private final boolean slashSeparated;
    private final boolean isDefault;
    /** zipfs moves a directory's own entry only: its children are moved one by one. */
    private final boolean movesEntriesOnly;
    private final ConcurrentHashMap<Long, Handle> handles = new ConcurrentHashMap<>();
    private final AtomicLong nextFh = new AtomicLong(1);
    private final ConcurrentHashMap<Object, Long> keyInos = new ConcurrentHashMap<>();
    private final AtomicLong nextKeyIno = new AtomicLong(2);

    /**
     * The tree below directory {@code root} of its provider.
     *
     * @param root the directory to serve; its file system's provider does the work
     * @throws IllegalArgumentException if {@code root} is not a directory
     */
    public NioFilesystem(Path root) {
        Objects.requireNonNull(root, "root");
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException(root.toUri() + " is not a directory: pass the directory to serve "
                    + "(for a zip file, the root of FileSystems.newFileSystem(zip))");
        }
        this.root = root.toAbsolutePath();
        this.nio = root.getFileSystem();
        Set<String> views = nio.supportedFileAttributeViews();
        this.readOnly = nio.isReadOnly();
        this.unix = views.contains("unix");
        this.posix = views.contains("posix");
        this.user = views.contains("user");
        this.slashSeparated = nio.getSeparator().equals("/");
        this.isDefault = nio == FileSystems.getDefault();
        this.movesEntriesOnly = "jar".equals(nio.provider().getScheme());
    }

    /**
     * Mounts the tree below {@code root} at {@code mountpoint}; read-only when the provider is.
     *
     * @param root the directory to serve
     * @param mountpoint where to mount it
     * @param options the mount options ({@code ro} is added for a read-only provider)
     * @return the mount; closing it unmounts (close the provider's {@code FileSystem} afterwards, e.g. to write a
     *     zip file)
     * @throws IOException if mounting fails
     */
    public static Mount mount(Path root, Path mountpoint, MountOptions options) throws IOException {
        return mount(root, mountpoint, options, SessionOptions.DEFAULT);
    }

    /**
     * Mounts the tree below {@code root} at {@code mountpoint} with session options; read-only when the provider
     * is.
     *
     * @param root the directory to serve
     * @param mountpoint where to mount it
     * @param options the mount options ({@code ro} is added for a read-only provider)
     * @param session the session options (transport, readers, …)
     * @return the mount; closing it unmounts
     * @throws IOException if mounting fails
     */
    public static Mount mount(Path root, Path mountpoint, MountOptions options, SessionOptions session)
            throws IOException {
        NioFilesystem fs = new NioFilesystem(root);
        MountOptions o = fs.readOnly && !options.readOnly() ? options.toBuilder().readOnly().build() : options;
        return Fuse.mount(new PathAdapter(fs), mountpoint, o, session);
    }

    /**
     * Whether the provider is read-only, so the mount is.
     *
     * @return {@code true} for a read-only provider
     */
    public boolean isReadOnly() {
        return readOnly;
    }

    // ---- plumbing ----

    private interface Call<T> {
        T run() throws IOException;
    }

    private interface VoidCall {
        void run() throws IOException;
    }

    private static <T> T io(Call<T> call) throws IOException {
        try {
            return call.run();
        } catch (FuseException e) {
            throw e;
        } catch (ReadOnlyFileSystemException e) {
            throw new FuseException(Errno.EROFS, "the file system is read-only");
        } catch (UnsupportedOperationException e) {
            throw new FuseException(Errno.EOPNOTSUPP, String.valueOf(e.getMessage()));
        } catch (IllegalArgumentException e) {
            throw new FuseException(Errno.EINVAL, String.valueOf(e.getMessage()));
        } catch (NonWritableChannelException e) {
            throw new FuseException(Errno.EBADF, "not open for writing");
        } catch (ClosedChannelException e) {
            throw new FuseException(Errno.EBADF, "the file was closed");
        } catch (FileSystemException e) {
            if (e.getClass() == FileSystemException.class && e.getReason() != null) {
                Errno errno = BY_REASON.get(e.getReason());
                if (errno != null) {
                    throw new FuseException(errno, e.getMessage(), e);
                }
            }
            throw e;
        }
    }

    private static void run(VoidCall call) throws IOException {
        io(() -> {
            call.run();
            return null;
        });
    }

    private static Map<String, Errno> reasons() {
        Map<String, Errno> m = new HashMap<>();
        for (int code = 1; code < 134; code++) {
            Errno e = Errno.of(code);
            m.putIfAbsent(e.description(), e);
        }
        return Map.copyOf(m);
    }

    private Path resolve(String path) throws FuseException {
        if (path.length() == 1) {
            return root;
        }
        try {
            if (slashSeparated) {
                return root.resolve(path.substring(1));
            }
            Path p = root;
            for (String name : path.substring(1).split("/")) {
                p = p.resolve(name);
            }
            return p;
        } catch (java.nio.file.InvalidPathException e) {
            throw new FuseException(Errno.EILSEQ, "the provider cannot name " + path + ": " + e.getMessage());
        }
    }

    private void writable() throws FuseException {
        if (readOnly) {
            throw new FuseException(Errno.EROFS, "the provider is read-only");
        }
    }

    private static final class Handle {
        final SeekableByteChannel channel;
        final FileChannel file; // the same channel when the provider has a FileChannel, else null
        volatile FileAttr last;
        /** A new file's path and mode, for a provider that makes the file only when its channel closes (zipfs). */
        Path pending;
        int pendingMode;

        Handle(SeekableByteChannel channel) {
            this.channel = channel;
            this.file = channel instanceof FileChannel fc ? fc : null;
        }
    }

    private Handle handle(long fh) throws FuseException {
        Handle h = handles.get(fh);
        if (h == null) {
            throw new FuseException(Errno.EBADF, "file handle " + fh + " is not open");
        }
        return h;
    }

    // ---- attributes ----

    @Override
    public FileAttr getattr(Request req, String path, OptionalLong fh) throws IOException {
        Path p = resolve(path);
        Handle h = fh.isPresent() ? handles.get(fh.getAsLong()) : null;
        try {
            FileAttr a = io(() -> attributes(req, p));
            if (h != null) {
                // the provider may see the data only at close (zipfs); the open channel knows its size
                long size = io(h.channel::size);
                if (size != a.size()) {
                    a = a.toBuilder().size(size).blocks((size + 511) / 512).build();
                }
                h.last = a;
            }
            return a;
        } catch (NoSuchFileException e) {
            if (h != null) {
                // unlinked while open: the open channel still holds the data
                long size = io(h.channel::size);
                FileAttr last = h.last != null ? h.last
                        : FileAttr.builder(0, FileType.REGULAR_FILE).perm(0600).uid(req.uid()).gid(req.gid()).build();
                return last.toBuilder().size(size).blocks((size + 511) / 512).nlink(0).build();
            }
            Path parent = p.getParent();
            if (parent != null && !p.equals(root) && Files.isRegularFile(parent, NOFOLLOW)) {
                throw new FuseException(Errno.ENOTDIR, path);
            }
            throw e;
        }
    }

    private FileAttr attributes(Request req, Path p) throws IOException {
        if (unix) {
            Map<String, Object> m = Files.readAttributes(p, "unix:*", NOFOLLOW);
            int mode = (Integer) m.get("mode");
            FileType type = (Boolean) m.get("isSymbolicLink") ? FileType.SYMLINK
                    : (Boolean) m.get("isDirectory") ? FileType.DIRECTORY
                    : (Boolean) m.get("isRegularFile") ? FileType.REGULAR_FILE
                    : (mode & FileType.S_IFMT) != 0 ? FileType.fromMode(mode) : FileType.REGULAR_FILE;
            long size = (Long) m.get("size");
            Object rdev = m.get("rdev");
            return FileAttr.builder(((Number) m.get("ino")).longValue(), type)
                    .size(size).blocks((size + 511) / 512)
                    .atime(time(m.get("lastAccessTime"))).mtime(time(m.get("lastModifiedTime")))
                    .ctime(time(m.get("ctime")))
                    .perm(mode & 07777).nlink(((Number) m.get("nlink")).intValue())
                    .uid(((Number) m.get("uid")).intValue()).gid(((Number) m.get("gid")).intValue())
                    .rdev(rdev instanceof Number n ? n.intValue() : 0).blksize(4096).build();
        }
        BasicFileAttributes b = posix ? Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW)
                : Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
        FileType type = b.isSymbolicLink() ? FileType.SYMLINK : b.isDirectory() ? FileType.DIRECTORY
                : FileType.REGULAR_FILE;
        int perm;
        if (b instanceof PosixFileAttributes px) {
            perm = bits(px.permissions());
        } else {
            perm = type == FileType.DIRECTORY ? 0755 : type == FileType.SYMLINK ? 0777 : 0644;
            if (readOnly) {
                perm &= 0555;
            }
        }
        long size = b.size();
        return FileAttr.builder(ino(b.fileKey()), type).size(size).blocks((size + 511) / 512)
                .atime(b.lastAccessTime().toInstant()).mtime(b.lastModifiedTime().toInstant())
                .ctime(b.lastModifiedTime().toInstant()).perm(perm)
                .uid(req.uid()).gid(req.gid()).blksize(4096).build();
    }

    private static Instant time(Object t) {
        return t instanceof FileTime ft ? ft.toInstant() : Instant.EPOCH;
    }

    /** A file's identity from its provider's file key (0 when it has none: then every path is its own file). */
    private long ino(Object key) {
        if (key == null) {
            return 0;
        }
        if (key instanceof Number n) {
            return n.longValue() + 1; // never 0; providers count from 0
        }
        return keyInos.computeIfAbsent(key, k -> nextKeyIno.getAndIncrement());
    }

    private static int bits(Set<PosixFilePermission> perms) {
        int bits = 0;
        for (PosixFilePermission p : perms) {
            bits |= 0400 >> p.ordinal();
        }
        return bits;
    }

    private static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & (0400 >> p.ordinal())) != 0) {
                set.add(p);
            }
        }
        return set;
    }

    /** Gives a new node the caller's permission bits (the provider applied the daemon's umask). */
    private void chmodNew(Path p, int mode) throws IOException {
        if (unix && isDefault) {
            Files.setAttribute(p, "unix:mode", mode & 07777, NOFOLLOW);
        } else if (posix) {
            Files.setPosixFilePermissions(p, perms(mode));
        }
    }

    @Override
    public void setattr(Request req, String path, SetAttr c) throws IOException {
        writable();
        Path p = resolve(path);
        run(() -> {
            if (c.mode().isPresent()) {
                int mode = c.mode().getAsInt();
                if (unix && isDefault) {
                    Files.setAttribute(p, "unix:mode", mode & 07777, NOFOLLOW);
                } else if (posix) {
                    Files.setPosixFilePermissions(p, perms(mode));
                } else {
                    throw new FuseException(Errno.EPERM, "the provider keeps no permission bits");
                }
            }
            if (c.uid().isPresent() || c.gid().isPresent()) {
                if (!unix) {
                    throw new FuseException(Errno.EPERM, "the provider keeps no numeric owners");
                }
                if (c.uid().isPresent()) {
                    Files.setAttribute(p, "unix:uid", c.uid().getAsInt(), NOFOLLOW);
                }
                if (c.gid().isPresent()) {
                    Files.setAttribute(p, "unix:gid", c.gid().getAsInt(), NOFOLLOW);
                }
            }
            if (c.size().isPresent()) {
                Handle h = c.fh().isPresent() ? handles.get(c.fh().getAsLong()) : null;
                if (h != null && h.channel.isOpen()) {
                    resize(h.channel, c.size().getAsLong());
                } else {
                    try (SeekableByteChannel ch = Files.newByteChannel(p, StandardOpenOption.WRITE)) {
                        resize(ch, c.size().getAsLong());
                    }
                }
            }
            if (c.atime().isPresent() || c.mtime().isPresent()) {
                FileTime now = FileTime.from(Instant.now());
                FileTime atime = c.atimeNow() ? now : c.atime().map(FileTime::from).orElse(null);
                FileTime mtime = c.mtimeNow() ? now : c.mtime().map(FileTime::from).orElse(null);
                Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW).setTimes(mtime, atime, null);
            }
        });
    }

    private static void resize(SeekableByteChannel ch, long size) throws IOException {
        long now = ch.size();
        if (size < now) {
            ch.truncate(size);
        } else if (size > now) {
            // channels only shrink; growing writes the last byte, leaving zeros (a hole where the provider has them)
            if (ch instanceof FileChannel fc) {
                fc.write(ByteBuffer.allocate(1), size - 1);
            } else {
                ch.position(size - 1);
                ch.write(ByteBuffer.allocate(1));
            }
        }
    }

    @Override
    public String readlink(Request req, String path) throws IOException {
        Path p = resolve(path);
        return io(() -> Files.readSymbolicLink(p).toString());
    }

    // ---- names ----

    @Override
    public void mknod(Request req, String path, int mode, int rdev) throws IOException {
        writable();
        if ((mode & FileType.S_IFMT) != S_IFREG) {
            throw new FuseException(Errno.EPERM, "the provider makes regular files and directories only");
        }
        Path p = resolve(path);
        run(() -> {
            Files.createFile(p);
            chmodNew(p, mode);
        });
    }

    @Override
    public void mkdir(Request req, String path, int mode) throws IOException {
        writable();
        Path p = resolve(path);
        run(() -> {
            Files.createDirectory(p);
            chmodNew(p, mode);
        });
    }

    @Override
    public void unlink(Request req, String path) throws IOException {
        writable();
        Path p = resolve(path);
        run(() -> {
            if (Files.isDirectory(p, NOFOLLOW)) {
                throw new FuseException(Errno.EISDIR, path);
            }
            Files.delete(p);
        });
    }

    @Override
    public void rmdir(Request req, String path) throws IOException {
        writable();
        Path p = resolve(path);
        run(() -> {
            if (!Files.isDirectory(p, NOFOLLOW)) {
                if (!Files.exists(p, NOFOLLOW)) {
                    throw new NoSuchFileException(path);
                }
                throw new FuseException(Errno.ENOTDIR, path);
            }
            Files.delete(p);
        });
    }

    @Override
    public void symlink(Request req, String target, String path) throws IOException {
        writable();
        Path p = resolve(path);
        run(() -> {
            try {
                Files.createSymbolicLink(p, nio.getPath(target));
            } catch (UnsupportedOperationException e) {
                throw new FuseException(Errno.EPERM, "the provider has no symbolic links");
            }
        });
    }

    @Override
    public void link(Request req, String from, String to) throws IOException {
        writable();
        Path source = resolve(from);
        Path target = resolve(to);
        run(() -> {
            try {
                Files.createLink(target, source);
            } catch (UnsupportedOperationException e) {
                throw new FuseException(Errno.EPERM, "the provider has no hard links");
            }
        });
    }

    @Override
    public void rename(Request req, String from, String to, int flags) throws IOException {
        writable();
        if ((flags & ~RENAME_NOREPLACE) != 0) {
            throw new FuseException(Errno.EINVAL, "the provider cannot exchange two names atomically");
        }
        Path src = resolve(from);
        Path dst = resolve(to);
        run(() -> {
            if (isDefault && flags == 0) {
                Files.move(src, dst, StandardCopyOption.ATOMIC_MOVE); // rename(2) itself, with its rules
                return;
            }
            BasicFileAttributes s = Files.readAttributes(src, BasicFileAttributes.class, NOFOLLOW);
            if (Files.exists(dst, NOFOLLOW)) {
                if ((flags & RENAME_NOREPLACE) != 0) {
                    throw new FileAlreadyExistsException(to);
                }
                if (Files.isSameFile(src, dst)) {
                    return;
                }
                boolean dstDir = Files.isDirectory(dst, NOFOLLOW);
                if (s.isDirectory() && !dstDir) {
                    throw new FuseException(Errno.ENOTDIR, to);
                }
                if (!s.isDirectory() && dstDir) {
                    throw new FuseException(Errno.EISDIR, to);
                }
                if (dstDir) {
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dst)) {
                        if (ds.iterator().hasNext()) {
                            throw new FuseException(Errno.ENOTEMPTY, to);
                        }
                    }
                }
                if (s.isDirectory() && movesEntriesOnly) {
                    Files.delete(dst);
                    moveTree(src, dst);
                } else {
                    Files.move(src, dst, StandardCopyOption.REPLACE_EXISTING);
                }
            } else if (s.isDirectory() && movesEntriesOnly) {
                moveTree(src, dst);
            } else {
                Files.move(src, dst);
            }
        });
    }

    /** Moves a directory and everything below it entry by entry, for a provider whose move leaves children behind. */
    private static void moveTree(Path src, Path dst) throws IOException {
        Files.createDirectory(dst);
        try {
            Files.setPosixFilePermissions(dst, Files.getPosixFilePermissions(src));
        } catch (UnsupportedOperationException noPosix) {
            // the provider keeps no permission bits
        }
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(src)) {
            ds.forEach(children::add);
        }
        for (Path c : children) {
            String name = c.getFileName().toString();
            if (name.endsWith("/")) {
                name = name.substring(0, name.length() - 1);
            }
            Path to = dst.resolve(name);
            if (Files.isDirectory(c, NOFOLLOW)) {
                moveTree(c, to);
            } else {
                Files.move(c, to);
            }
        }
        Files.delete(src);
    }

    // ---- open files ----

    private static Set<OpenOption> options(int flags) {
        Set<OpenOption> o = new java.util.HashSet<>(4);
        int acc = flags & O_ACCMODE;
        if (acc == O_WRONLY || acc == O_RDWR) {
            o.add(StandardOpenOption.WRITE);
        }
        if (acc != O_WRONLY) {
            o.add(StandardOpenOption.READ);
        }
        if ((flags & O_TRUNC) != 0) {
            o.add(StandardOpenOption.TRUNCATE_EXISTING);
        }
        return o;
    }

    private SeekableByteChannel channel(Path p, Set<OpenOption> options) throws IOException {
        try {
            return p.getFileSystem().provider().newFileChannel(p, options);
        } catch (UnsupportedOperationException e) {
            return Files.newByteChannel(p, options);
        }
    }

    private long register(SeekableByteChannel ch) {
        long fh = nextFh.getAndIncrement();
        handles.put(fh, new Handle(ch));
        return fh;
    }

    @Override
    public OpenReply open(Request req, String path, int flags) throws IOException {
        Set<OpenOption> o = options(flags);
        if (o.contains(StandardOpenOption.WRITE)) {
            writable();
        }
        Path p = resolve(path);
        return OpenReply.of(register(io(() -> channel(p, o))));
    }

    @Override
    public OpenReply create(Request req, String path, int mode, int flags) throws IOException {
        writable();
        Set<OpenOption> o = options(flags);
        o.add(StandardOpenOption.WRITE);
        o.add((flags & O_EXCL) != 0 ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
        Path p = resolve(path);
        return io(() -> {
            SeekableByteChannel ch = channel(p, o);
            Handle h = new Handle(ch);
            try {
                chmodNew(p, mode);
            } catch (NoSuchFileException notYet) {
                h.pending = p; // the provider writes the file at close: its mode is set then
                h.pendingMode = mode;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            long fh = nextFh.getAndIncrement();
            handles.put(fh, h);
            return OpenReply.of(fh);
        });
    }

    @Override
    public ReadData read(Request req, String path, long fh, long offset, int size) throws IOException {
        Handle h = handle(fh);
        ByteBuffer buf = ByteBuffer.allocate(size);
        io(() -> {
            if (h.file != null) {
                while (buf.hasRemaining()) {
                    int n = h.file.read(buf, offset + buf.position());
                    if (n < 0) {
                        break;
                    }
                }
            } else {
                synchronized (h) {
                    h.channel.position(offset);
                    while (buf.hasRemaining() && h.channel.read(buf) >= 0) {
                        // until full or at the end
                    }
                }
            }
            return null;
        });
        return ReadData.of(buf.flip());
    }

    @Override
    public int write(Request req, String path, long fh, long offset, ByteBuffer data) throws IOException {
        Handle h = handle(fh);
        int len = data.remaining();
        io(() -> {
            if (h.file != null) {
                long at = offset;
                while (data.hasRemaining()) {
                    at += h.file.write(data, at);
                }
            } else {
                synchronized (h) {
                    h.channel.position(offset);
                    while (data.hasRemaining()) {
                        h.channel.write(data);
                    }
                }
            }
            return null;
        });
        return len;
    }

    @Override
    public void fsync(Request req, String path, long fh, boolean datasync) throws IOException {
        Handle h = handle(fh);
        if (h.file != null) {
            run(() -> h.file.force(!datasync));
        }
    }

    @Override
    public void release(Request req, String path, long fh) throws IOException {
        Handle h = handles.remove(fh);
        if (h != null) {
            run(() -> {
                h.channel.close();
                if (h.pending != null) {
                    try {
                        chmodNew(h.pending, h.pendingMode);
                    } catch (NoSuchFileException renamedOrGone) {
                        // renamed or removed while open: the mode stays the provider's
                    }
                }
            });
        }
    }

    // ---- directories ----

    @Override
    public List<DirEntry> readdir(Request req, String path, long fh) throws IOException {
        Path p = resolve(path);
        return io(() -> {
            List<DirEntry> list = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path e : ds) {
                    BasicFileAttributes a;
                    try {
                        a = Files.readAttributes(e, BasicFileAttributes.class, NOFOLLOW);
                    } catch (NoSuchFileException gone) {
                        continue; // removed while listing
                    }
                    FileType type = a.isSymbolicLink() ? FileType.SYMLINK : a.isDirectory() ? FileType.DIRECTORY
                            : FileType.REGULAR_FILE;
                    String name = e.getFileName().toString();
                    if (name.endsWith("/")) {
                        name = name.substring(0, name.length() - 1); // zipfs names directories with their slash
                    }
                    list.add(new DirEntry(name, type, unix ? 0 : ino(a.fileKey())));
                }
            }
            return list;
        });
    }

    @Override
    public long opendir(Request req, String path) throws IOException {
        Path p = resolve(path);
        if (!Files.isDirectory(p, NOFOLLOW)) {
            throw Files.exists(p, NOFOLLOW) ? new FuseException(Errno.ENOTDIR, path) : new NoSuchFileException(path);
        }
        return 0;
    }

    @Override
    public FsStats statfs(Request req, String path) throws IOException {
        try {
            FileStore store = Files.getFileStore(root);
            int bsize = 4096;
            return new FsStats(store.getTotalSpace() / bsize, store.getUnallocatedSpace() / bsize,
                    store.getUsableSpace() / bsize, 0, 0, bsize, 255, bsize);
        } catch (IOException | UnsupportedOperationException e) {
            return FsStats.DEFAULT;
        }
    }

    // ---- extended attributes ----

    private UserDefinedFileAttributeView xattrs(String path, String name) throws FuseException {
        if (!user) {
            throw new FuseException(Errno.EOPNOTSUPP, "the provider keeps no user-defined attributes");
        }
        if (name != null && !name.startsWith(USER)) {
            throw new FuseException(Errno.EOPNOTSUPP, "the provider keeps user.* attributes only");
        }
        return Files.getFileAttributeView(resolve(path), UserDefinedFileAttributeView.class, NOFOLLOW);
    }

    @Override
    public void setxattr(Request req, String path, String name, byte[] value, int flags) throws IOException {
        writable();
        UserDefinedFileAttributeView v = xattrs(path, name);
        String n = name.substring(USER.length());
        run(() -> {
            if ((flags & (XATTR_CREATE | XATTR_REPLACE)) != 0) {
                boolean exists = v.list().contains(n);
                if ((flags & XATTR_CREATE) != 0 && exists) {
                    throw new FuseException(Errno.EEXIST, name);
                }
                if ((flags & XATTR_REPLACE) != 0 && !exists) {
                    throw new FuseException(Errno.ENODATA, name);
                }
            }
            v.write(n, ByteBuffer.wrap(value));
        });
    }

    @Override
    public byte[] getxattr(Request req, String path, String name) throws IOException {
        UserDefinedFileAttributeView v = xattrs(path, name);
        String n = name.substring(USER.length());
        return io(() -> {
            if (!v.list().contains(n)) {
                throw new FuseException(Errno.ENODATA, name);
            }
            ByteBuffer b = ByteBuffer.allocate(v.size(n));
            v.read(n, b);
            return b.flip().remaining() == b.capacity() ? b.array() : java.util.Arrays.copyOf(b.array(), b.limit());
        });
    }

    @Override
    public List<String> listxattr(Request req, String path) throws IOException {
        if (!user) {
            return List.of();
        }
        UserDefinedFileAttributeView v = xattrs(path, null);
        return io(() -> {
            List<String> names = new ArrayList<>();
            for (String n : v.list()) {
                names.add(USER + n);
            }
            return names;
        });
    }

    @Override
    public void removexattr(Request req, String path, String name) throws IOException {
        writable();
        UserDefinedFileAttributeView v = xattrs(path, name);
        String n = name.substring(USER.length());
        run(() -> {
            if (!v.list().contains(n)) {
                throw new FuseException(Errno.ENODATA, name);
            }
            v.delete(n);
        });
    }

    @Override
    public void destroy() {
        for (Long fh : handles.keySet()) {
            Handle h = handles.remove(fh);
            if (h != null) {
                try {
                    h.channel.close();
                } catch (IOException ignored) {
                    // the session is over; nothing is waiting for this answer
                }
            }
        }
    }
}
