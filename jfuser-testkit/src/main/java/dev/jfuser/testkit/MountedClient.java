package dev.jfuser.testkit;

import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
import dev.jfuser.Names;
import dev.jfuser.posix.Fd;
import dev.jfuser.posix.Posix;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link FsClient} over a mounted directory with {@code java.nio.file}. NIO reports errors as exceptions whose
 * "reason" is the C library's description of the errno; it is mapped back to the {@link Errno}.
 */
final class MountedClient implements FsClient {
    private static final Map<String, Errno> BY_DESCRIPTION = new HashMap<>();

    static {
        for (int code = 1; code < 134; code++) {
            Errno e = Errno.of(code);
            BY_DESCRIPTION.putIfAbsent(e.description(), e);
        }
    }

    private final Path root;

    MountedClient(Path root) {
        this.root = root;
    }

    private Path p(String path) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("paths are absolute within the filesystem, got '" + path + "'");
        }
        return root.resolve(path.substring(1));
    }

    @FunctionalInterface
    private interface Io<T> {
        T run() throws IOException;
    }

    private static <T> T io(String what, Io<T> body) throws FuseException {
        try {
            return body.run();
        } catch (IOException e) {
            Errno errno = errno(e);
            if (errno.equals(Errno.ENOENT) && e instanceof FileSystemException f && f.getFile() != null
                    && underANonDirectory(Path.of(f.getFile()))) {
                // NIO reports ENOTDIR as NoSuchFileException; the kernel said "not a directory"
                errno = Errno.ENOTDIR;
            }
            throw new FuseException(errno, what + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether this process may create device nodes through a mount: the kernel asks for CAP_MKNOD (bit 27 of the
     * effective set in {@code /proc/self/status}) before a MKNOD of a device ever reaches the filesystem.
     */
    static boolean mayMakeDevices() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 27)) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }

    private static boolean underANonDirectory(Path file) {
        for (Path p = file.getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                return !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            }
        }
        return false;
    }

    static Errno errno(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            // The reason is strerror's text, sometimes behind a prefix ("Unable to get size of ...: No data ...").
            for (Map.Entry<String, Errno> d : BY_DESCRIPTION.entrySet()) {
                if (f.getReason().equals(d.getKey()) || f.getReason().endsWith(": " + d.getKey())) {
                    return d.getValue();
                }
            }
        }
        return switch (e) {
            case NoSuchFileException x -> Errno.ENOENT;
            case FileAlreadyExistsException x -> Errno.EEXIST;
            case DirectoryNotEmptyException x -> Errno.ENOTEMPTY;
            case NotDirectoryException x -> Errno.ENOTDIR;
            case AccessDeniedException x -> Errno.EACCES;
            default -> Errno.EIO;
        };
    }

    @Override
    public FileAttr stat(String path) throws FuseException {
        return io("stat " + path, () -> {
            Map<String, Object> a = Files.readAttributes(p(path), "unix:*", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            return new FileAttr((Long) a.get("ino"), (Long) a.get("size"), 0,
                    ((FileTime) a.get("lastAccessTime")).toInstant(), ((FileTime) a.get("lastModifiedTime")).toInstant(),
                    ((FileTime) a.get("ctime")).toInstant(), FileType.fromMode(mode), mode & 07777,
                    (Integer) a.get("nlink"), (Integer) a.get("uid"), (Integer) a.get("gid"),
                    ((Long) a.get("rdev")).intValue(), 0, 0);
        });
    }

    @Override
    public boolean exists(String path) throws FuseException {
        try {
            stat(path);
            return true;
        } catch (FuseException e) {
            if (e.errno().equals(Errno.ENOENT)) {
                return false;
            }
            throw e;
        }
    }

    @Override
    public void mkdir(String path, int mode) throws FuseException {
        io("mkdir " + path, () -> Files.setPosixFilePermissions(Files.createDirectory(p(path)), perms(mode)));
    }

    @Override
    public void rmdir(String path) throws FuseException {
        io("rmdir " + path, () -> {
            if (!Files.isDirectory(p(path), LinkOption.NOFOLLOW_LINKS) && Files.exists(p(path),
                    LinkOption.NOFOLLOW_LINKS)) {
                throw new FileSystemException(p(path).toString(), null, Errno.ENOTDIR.description());
            }
            Files.delete(p(path));
            return null;
        });
    }

    @Override
    public void unlink(String path) throws FuseException {
        io("unlink " + path, () -> {
            if (Files.isDirectory(p(path), LinkOption.NOFOLLOW_LINKS)) {
                // NIO's delete would rmdir it; unlink(2) of a directory is EISDIR on Linux
                throw new FileSystemException(p(path).toString(), null, Errno.EISDIR.description());
            }
            Files.delete(p(path));
            return null;
        });
    }

    @Override
    public void rename(String from, String to) throws FuseException {
        io("rename " + from + " " + to, () -> Files.move(p(from), p(to), StandardCopyOption.ATOMIC_MOVE));
    }

    @Override
    public void rename(String from, String to, int flags) throws FuseException {
        Path a = p(from);
        Path b = p(to);
        try (Fd fromDir = Posix.open(a.getParent(), Posix.O_PATH | Posix.O_DIRECTORY);
             Fd toDir = Posix.open(b.getParent(), Posix.O_PATH | Posix.O_DIRECTORY)) {
            Posix.renameat2(fromDir, Names.bytes(a.getFileName().toString()), toDir,
                    Names.bytes(b.getFileName().toString()), flags);
        }
    }

    @Override
    public void mknod(String path, int mode, int rdev) throws FuseException {
        Path p = p(path);
        try (Fd dir = Posix.open(p.getParent(), Posix.O_PATH | Posix.O_DIRECTORY)) {
            Posix.mknodat(dir, Names.bytes(p.getFileName().toString()), mode, rdev);
        }
    }

    @Override
    public void writeFile(String path, byte[] content) throws FuseException {
        io("write " + path, () -> Files.write(p(path), content));
    }

    @Override
    public byte[] readFile(String path) throws FuseException {
        return io("read " + path, () -> Files.readAllBytes(p(path)));
    }

    @Override
    public void writeAt(String path, long offset, byte[] data) throws FuseException {
        io("pwrite " + path, () -> {
            try (FileChannel c = FileChannel.open(p(path), StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(data);
                long pos = offset;
                while (b.hasRemaining()) {
                    pos += c.write(b, pos);
                }
            }
            return null;
        });
    }

    @Override
    public byte[] readAt(String path, long offset, int length) throws FuseException {
        return io("pread " + path, () -> {
            try (FileChannel c = FileChannel.open(p(path), StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.allocate(length);
                long pos = offset;
                while (b.hasRemaining()) {
                    int n = c.read(b, pos);
                    if (n <= 0) {
                        break;
                    }
                    pos += n;
                }
                byte[] out = new byte[b.position()];
                b.flip().get(out);
                return out;
            }
        });
    }

    @Override
    public void truncate(String path, long size) throws FuseException {
        io("truncate " + path, () -> {
            try (FileChannel c = FileChannel.open(p(path), StandardOpenOption.WRITE)) {
                if (size < c.size()) {
                    c.truncate(size);
                } else if (size > c.size()) {
                    c.write(ByteBuffer.allocate(1), size - 1); // grow: a hole and one zero byte at the end
                }
            }
            return null;
        });
    }

    @Override
    public void chmod(String path, int mode) throws FuseException {
        io("chmod " + path, () -> Files.setPosixFilePermissions(p(path), perms(mode)));
    }

    @Override
    public void symlink(String target, String path) throws FuseException {
        io("symlink " + path, () -> Files.createSymbolicLink(p(path), Path.of(target)));
    }

    @Override
    public String readlink(String path) throws FuseException {
        return io("readlink " + path, () -> Files.readSymbolicLink(p(path)).toString());
    }

    @Override
    public void link(String existing, String newPath) throws FuseException {
        io("link " + newPath, () -> Files.createLink(p(newPath), p(existing)));
    }

    @Override
    public List<String> list(String path) throws FuseException {
        return io("readdir " + path, () -> {
            try (var s = Files.list(p(path))) {
                return s.map(x -> x.getFileName().toString()).toList();
            }
        });
    }

    private UserDefinedFileAttributeView xattrs(String path) {
        return Files.getFileAttributeView(p(path), UserDefinedFileAttributeView.class);
    }

    private static String userName(String name) {
        if (!name.startsWith("user.")) {
            throw new IllegalArgumentException("mounted clients reach only the user. namespace, got " + name);
        }
        return name.substring(5);
    }

    @Override
    public void setxattr(String path, String name, byte[] value) throws FuseException {
        io("setxattr " + path, () -> xattrs(path).write(userName(name), ByteBuffer.wrap(value)));
    }

    @Override
    public byte[] getxattr(String path, String name) throws FuseException {
        return io("getxattr " + path, () -> {
            UserDefinedFileAttributeView v = xattrs(path);
            ByteBuffer b = ByteBuffer.allocate(v.size(userName(name)));
            v.read(userName(name), b);
            byte[] out = new byte[b.position()];
            b.flip().get(out);
            return out;
        });
    }

    @Override
    public List<String> listxattr(String path) throws FuseException {
        return io("listxattr " + path, () -> xattrs(path).list().stream().map(n -> "user." + n).toList());
    }

    @Override
    public void removexattr(String path, String name) throws FuseException {
        io("removexattr " + path, () -> {
            xattrs(path).delete(userName(name));
            return null;
        });
    }

    private static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(order[i]);
            }
        }
        return s;
    }
}
