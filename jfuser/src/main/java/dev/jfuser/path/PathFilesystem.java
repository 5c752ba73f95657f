package dev.jfuser.path;

import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;

/**
 * A filesystem written in paths, as plain blocking Java: every method names its file by its absolute path
 * ({@code "/"} is the root, {@code "/dir/file"} below it), and {@link PathAdapter} does the kernel's bookkeeping —
 * node ids, lookup counts, FORGET, hard links, renames of open files and of directories with open files below,
 * unlinked-but-open files, directory offsets and {@code .}/{@code ..}. Mount one with
 * {@code Fuse.mount(new PathAdapter(fs), mountpoint, options)}.
 *
 * <p>Paths are Linux's bytes in a {@code String}, decoded as {@link dev.jfuser.Names} describes (UTF-8 where
 * valid, each other byte as one reserved char), so a name goes back to the kernel exactly as it came. No name
 * handed to a method is longer than 255 bytes, empty, {@code "."} or {@code ".."}: the adapter answers those
 * itself.
 *
 * <p>Every method has a default: those that change something answer {@link Errno#ENOSYS}, {@link #open},
 * {@link #opendir}, {@link #release}, {@link #releasedir}, {@link #flush} and {@link #fsync} succeed doing
 * nothing, {@link #statfs} reports {@link FsStats#DEFAULT}. A read-only filesystem needs {@link #getattr},
 * {@link #readdir} and {@link #read}; a writable one adds {@link #create}, {@link #write}, {@link #setattr},
 * {@link #mkdir}, {@link #unlink}, {@link #rmdir} and {@link #rename}. Fail a call by throwing
 * {@link FuseException} with an {@link Errno}, or a {@code java.nio.file} exception ({@code NoSuchFileException}
 * is ENOENT, {@code FileAlreadyExistsException} EEXIST, {@code DirectoryNotEmptyException} ENOTEMPTY, …).
 *
 * <p>Methods are called concurrently, each request on its own virtual thread, and no lock of the adapter is held
 * while they run: implementations must be thread-safe. {@link AsyncPathFilesystem} is the same API answering with
 * completion stages.
 *
 * <h2>Identity and hard links</h2>
 * The {@link FileAttr#ino() ino} of the attributes {@link #getattr} answers is the file's identity: two paths whose
 * attributes carry the same non-zero ino are one file (hard links), one node to the kernel, and {@code stat}
 * shows that ino. With ino 0 every path is its own file and {@code stat} shows the adapter's node id.
 *
 * <h2>Open files</h2>
 * The {@code fh} that {@link #open} and {@link #create} answer is passed back to every call made through that open
 * file. Calls through an open file still receive a path, the file's current one (renames, also of a directory
 * above it, are followed); once the file is unlinked while open it is the path it had when it was unlinked, and
 * the filesystem should use {@code fh}, not the path, to find the data, as a Unix file descriptor does.
 */
public interface PathFilesystem {

    /**
     * Called once when the kernel connects, before any other call: inspect and set the negotiated capabilities.
     *
     * @param config the negotiated session parameters
     * @throws IOException to refuse the mount; the message says why
     */
    default void init(KernelConfig config) throws IOException {
    }

    /** Called once when the session ends (unmount), after the last call. */
    default void destroy() {
    }

    /**
     * The attributes of a file ({@code stat}). Also how the adapter learns that a name exists: lookups call it, and
     * it must throw ENOENT (or {@code NoSuchFileException}) for a path that does not exist.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the handle of an open file of this node when there is one (the one the call came through, else any
     *     open one), else empty
     * @return the file's attributes; a non-zero {@code ino} is its identity (see the class description)
     * @throws IOException to fail the call
     */
    default FileAttr getattr(Request req, String path, OptionalLong fh) throws IOException {
        throw notImplemented();
    }

    /**
     * Changes attributes: chmod, chown, truncate, utimens. The adapter answers the kernel with
     * {@link #getattr} afterwards.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param changes the attributes to change; only those present are set ({@link SetAttr#fh()} is the open file's
     *     handle when the call came through one)
     * @throws IOException to fail the call
     */
    default void setattr(Request req, String path, SetAttr changes) throws IOException {
        throw notImplemented();
    }

    /**
     * The target of a symbolic link.
     *
     * @param req who made the system call
     * @param path the link's path
     * @return the target, as stored by {@link #symlink}
     * @throws IOException to fail the call
     */
    default String readlink(Request req, String path) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates a file node that is not a directory: regular file, device, FIFO or socket ({@code mknod(2)}).
     *
     * @param req who made the system call
     * @param path the new node's path
     * @param mode the full {@code st_mode}: type and permission bits (the caller's umask applied)
     * @param rdev the device number for a device node, else 0
     * @throws IOException to fail the call ({@code EEXIST} if the name is taken)
     */
    default void mknod(Request req, String path, int mode, int rdev) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates a directory.
     *
     * @param req who made the system call
     * @param path the new directory's path
     * @param mode the permission bits (the caller's umask applied)
     * @throws IOException to fail the call ({@code EEXIST} if the name is taken)
     */
    default void mkdir(Request req, String path, int mode) throws IOException {
        throw notImplemented();
    }

    /**
     * Removes a name that is not a directory; a file still open lives on through its handles.
     *
     * @param req who made the system call
     * @param path the name to remove
     * @throws IOException to fail the call ({@code EISDIR} for a directory)
     */
    default void unlink(Request req, String path) throws IOException {
        throw notImplemented();
    }

    /**
     * Removes an empty directory.
     *
     * @param req who made the system call
     * @param path the directory to remove
     * @throws IOException to fail the call ({@code ENOTEMPTY}, {@code ENOTDIR})
     */
    default void rmdir(Request req, String path) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates a symbolic link at {@code path} pointing at {@code target}.
     *
     * @param req who made the system call
     * @param target what the link points at, stored as given
     * @param path the new link's path
     * @throws IOException to fail the call
     */
    default void symlink(Request req, String target, String path) throws IOException {
        throw notImplemented();
    }

    /**
     * Renames {@code from} to {@code to}, replacing what {@code to} names (a file, or an empty directory when
     * {@code from} is one), as {@code rename(2)}. The adapter already refuses moving a directory below itself.
     *
     * @param req who made the system call
     * @param from the current path
     * @param to the new path
     * @param flags {@code RENAME_NOREPLACE} (1: fail with EEXIST if {@code to} exists), {@code RENAME_EXCHANGE} (2:
     *     swap the two), or 0
     * @throws IOException to fail the call
     */
    default void rename(Request req, String from, String to, int flags) throws IOException {
        throw notImplemented();
    }

    /**
     * Makes a hard link: {@code to} becomes a second name of the file {@code from}. Its {@link #getattr} should
     * then answer the same non-zero ino for both paths, so the kernel sees one file.
     *
     * @param req who made the system call
     * @param from an existing file's path
     * @param to the new name
     * @throws IOException to fail the call
     */
    default void link(Request req, String from, String to) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates and opens a regular file ({@code open(2)} with {@code O_CREAT} of a name that does not exist).
     *
     * @param req who made the system call
     * @param path the new file's path
     * @param mode the full {@code st_mode} (the caller's umask applied)
     * @param flags the {@code open(2)} flags ({@code O_EXCL} among them when the caller gave it)
     * @return the handle of the open file (and open flags such as {@link OpenReply#DIRECT_IO})
     * @throws IOException to fail the call
     */
    default OpenReply create(Request req, String path, int mode, int flags) throws IOException {
        throw notImplemented();
    }

    /**
     * Opens a file. The default succeeds with handle 0.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param flags the {@code open(2)} flags (the access mode in the low two bits, {@code O_TRUNC}, …)
     * @return the handle later calls through this open file receive
     * @throws IOException to fail the call
     */
    default OpenReply open(Request req, String path, int flags) throws IOException {
        return OpenReply.of(0);
    }

    /**
     * Reads up to {@code size} bytes at {@code offset}; fewer only at the end of the file.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @param offset where to read
     * @param size the most bytes to return
     * @return the bytes read
     * @throws IOException to fail the call
     */
    default ReadData read(Request req, String path, long fh, long offset, int size) throws IOException {
        throw notImplemented();
    }

    /**
     * Writes {@code data} at {@code offset}.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @param offset where to write
     * @param data the bytes to write (valid only during the call)
     * @return the number of bytes written: all of them, unless the filesystem is full
     * @throws IOException to fail the call
     */
    default int write(Request req, String path, long fh, long offset, ByteBuffer data) throws IOException {
        throw notImplemented();
    }

    /**
     * A {@code close(2)} of a descriptor of the open file (there may be several). The default does nothing.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @throws IOException to fail the close
     */
    default void flush(Request req, String path, long fh) throws IOException {
    }

    /**
     * The last close of an open file: free what {@code fh} holds. The default does nothing.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @throws IOException reported in the log only: the kernel does not wait for the answer
     */
    default void release(Request req, String path, long fh) throws IOException {
    }

    /**
     * Makes the file's data durable ({@code fsync(2)}). The default does nothing.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @param datasync {@code true} for {@code fdatasync(2)} (data only, not the metadata)
     * @throws IOException to fail the call
     */
    default void fsync(Request req, String path, long fh, boolean datasync) throws IOException {
    }

    /**
     * Opens a directory for listing. The default succeeds with handle 0.
     *
     * @param req who made the system call
     * @param path the directory's path
     * @return a handle passed to {@link #readdir} and {@link #releasedir}
     * @throws IOException to fail the call ({@code ENOTDIR})
     */
    default long opendir(Request req, String path) throws IOException {
        return 0;
    }

    /**
     * The entries of a directory, without {@code "."} and {@code ".."} (the adapter adds them). Called when a
     * listing starts (and at each {@code rewinddir}); the adapter keeps the answer for the open directory and
     * serves the kernel's offsets from it, so entries added or removed meanwhile never make a listing skip or
     * repeat a name.
     *
     * @param req who made the system call
     * @param path the directory's path
     * @param fh the handle {@link #opendir} answered
     * @return the directory's entries
     * @throws IOException to fail the call
     */
    default List<DirEntry> readdir(Request req, String path, long fh) throws IOException {
        throw notImplemented();
    }

    /**
     * The last close of an open directory. The default does nothing.
     *
     * @param req who made the system call
     * @param path the directory's path
     * @param fh the handle {@link #opendir} answered
     * @throws IOException reported in the log only
     */
    default void releasedir(Request req, String path, long fh) throws IOException {
    }

    /**
     * Filesystem statistics ({@code statfs(2)}, {@code df}). The default reports {@link FsStats#DEFAULT}.
     *
     * @param req who made the system call
     * @param path the path asked about (the root, as the kernel asks)
     * @return the statistics
     * @throws IOException to fail the call
     */
    default FsStats statfs(Request req, String path) throws IOException {
        return FsStats.DEFAULT;
    }

    /**
     * Sets an extended attribute.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param name the attribute's full name, with its namespace ({@code "user.color"})
     * @param value the value
     * @param flags {@code XATTR_CREATE} (1: fail with EEXIST if it exists), {@code XATTR_REPLACE} (2: fail with
     *     ENODATA if it does not), or 0
     * @throws IOException to fail the call ({@code ENOTSUP} for a namespace the filesystem does not keep)
     */
    default void setxattr(Request req, String path, String name, byte[] value, int flags) throws IOException {
        throw notImplemented();
    }

    /**
     * The value of an extended attribute; the adapter answers size probes from it.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param name the attribute's full name
     * @return its value
     * @throws IOException to fail the call ({@code ENODATA} if the file has no such attribute)
     */
    default byte[] getxattr(Request req, String path, String name) throws IOException {
        throw notImplemented();
    }

    /**
     * The names of a file's extended attributes.
     *
     * @param req who made the system call
     * @param path the file's path
     * @return the full names
     * @throws IOException to fail the call
     */
    default List<String> listxattr(Request req, String path) throws IOException {
        throw notImplemented();
    }

    /**
     * Removes an extended attribute.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param name the attribute's full name
     * @throws IOException to fail the call ({@code ENODATA} if the file has no such attribute)
     */
    default void removexattr(Request req, String path, String name) throws IOException {
        throw notImplemented();
    }

    private static FuseException notImplemented() {
        return new FuseException(Errno.ENOSYS);
    }
}
