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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The {@link PathFilesystem path API} for filesystems that answer with completion stages: every method but
 * {@link #init} and {@link #destroy} returns a {@link CompletionStage} of what the blocking method returns, and fails
 * it (with {@link FuseException}, a {@code java.nio.file} exception; anything else is answered EIO) rather than
 * throwing. {@link AsyncPathAdapter} serves it with the same node table as {@link PathAdapter}: paths, hard links,
 * renames, unlinked open files and listing snapshots behave as {@link PathFilesystem} describes. Methods should not
 * block: they may run on the session's reader threads. The defaults answer as the blocking API's do.
 */
public interface AsyncPathFilesystem {
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
     * it must fail with ENOENT (or {@code NoSuchFileException}) for a path that does not exist.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the handle of an open file of this node when there is one (the one the call came through, else any
     *     open one), else empty
     * @return a stage completing with the file's attributes; a non-zero {@code ino} is its identity (see the class description)
     */
    default CompletionStage<FileAttr> getattr(Request req, String path, OptionalLong fh) {
        return notImplemented();
    }

    /**
     * Changes attributes: chmod, chown, truncate, utimens. The adapter answers the kernel with
     * {@link #getattr} afterwards.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param changes the attributes to change; only those present are set ({@link SetAttr#fh()} is the open file's
     *     handle when the call came through one)
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> setattr(Request req, String path, SetAttr changes) {
        return notImplemented();
    }

    /**
     * The target of a symbolic link.
     *
     * @param req who made the system call
     * @param path the link's path
     * @return a stage completing with the target, as stored by {@link #symlink}
     */
    default CompletionStage<String> readlink(Request req, String path) {
        return notImplemented();
    }

    /**
     * Creates a file node that is not a directory: regular file, device, FIFO or socket ({@code mknod(2)}).
     *
     * @param req who made the system call
     * @param path the new node's path
     * @param mode the full {@code st_mode}: type and permission bits (the caller's umask applied)
     * @param rdev the device number for a device node, else 0
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> mknod(Request req, String path, int mode, int rdev) {
        return notImplemented();
    }

    /**
     * Creates a directory.
     *
     * @param req who made the system call
     * @param path the new directory's path
     * @param mode the permission bits (the caller's umask applied)
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> mkdir(Request req, String path, int mode) {
        return notImplemented();
    }

    /**
     * Removes a name that is not a directory; a file still open lives on through its handles.
     *
     * @param req who made the system call
     * @param path the name to remove
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> unlink(Request req, String path) {
        return notImplemented();
    }

    /**
     * Removes an empty directory.
     *
     * @param req who made the system call
     * @param path the directory to remove
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> rmdir(Request req, String path) {
        return notImplemented();
    }

    /**
     * Creates a symbolic link at {@code path} pointing at {@code target}.
     *
     * @param req who made the system call
     * @param target what the link points at, stored as given
     * @param path the new link's path
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> symlink(Request req, String target, String path) {
        return notImplemented();
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
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> rename(Request req, String from, String to, int flags) {
        return notImplemented();
    }

    /**
     * Makes a hard link: {@code to} becomes a second name of the file {@code from}. Its {@link #getattr} should
     * then answer the same non-zero ino for both paths, so the kernel sees one file.
     *
     * @param req who made the system call
     * @param from an existing file's path
     * @param to the new name
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> link(Request req, String from, String to) {
        return notImplemented();
    }

    /**
     * Creates and opens a regular file ({@code open(2)} with {@code O_CREAT} of a name that does not exist).
     *
     * @param req who made the system call
     * @param path the new file's path
     * @param mode the full {@code st_mode} (the caller's umask applied)
     * @param flags the {@code open(2)} flags ({@code O_EXCL} among them when the caller gave it)
     * @return a stage completing with the handle of the open file (and open flags such as {@link OpenReply#DIRECT_IO})
     */
    default CompletionStage<OpenReply> create(Request req, String path, int mode, int flags) {
        return notImplemented();
    }

    /**
     * Opens a file. The default succeeds with handle 0.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param flags the {@code open(2)} flags (the access mode in the low two bits, {@code O_TRUNC}, …)
     * @return a stage completing with the handle later calls through this open file receive
     */
    default CompletionStage<OpenReply> open(Request req, String path, int flags) {
        return CompletableFuture.completedFuture(OpenReply.of(0));
    }

    /**
     * Reads up to {@code size} bytes at {@code offset}; fewer only at the end of the file.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @param offset where to read
     * @param size the most bytes to return
     * @return a stage completing with the bytes read
     */
    default CompletionStage<ReadData> read(Request req, String path, long fh, long offset, int size) {
        return notImplemented();
    }

    /**
     * Writes {@code data} at {@code offset}.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @param offset where to write
     * @param data the bytes to write (valid until the stage completes)
     * @return a stage completing with the number of bytes written: all of them, unless the filesystem is full
     */
    default CompletionStage<Integer> write(Request req, String path, long fh, long offset, ByteBuffer data) {
        return notImplemented();
    }

    /**
     * A {@code close(2)} of a descriptor of the open file (there may be several). The default does nothing.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> flush(Request req, String path, long fh) {
        return done();
    }

    /**
     * The last close of an open file: free what {@code fh} holds. The default does nothing.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> release(Request req, String path, long fh) {
        return done();
    }

    /**
     * Makes the file's data durable ({@code fsync(2)}). The default does nothing.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param fh the open file's handle
     * @param datasync {@code true} for {@code fdatasync(2)} (data only, not the metadata)
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> fsync(Request req, String path, long fh, boolean datasync) {
        return done();
    }

    /**
     * Opens a directory for listing. The default succeeds with handle 0.
     *
     * @param req who made the system call
     * @param path the directory's path
     * @return a stage completing with a handle passed to {@link #readdir} and {@link #releasedir}
     */
    default CompletionStage<Long> opendir(Request req, String path) {
        return CompletableFuture.completedFuture(0L);
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
     * @return a stage completing with the directory's entries
     */
    default CompletionStage<List<DirEntry>> readdir(Request req, String path, long fh) {
        return notImplemented();
    }

    /**
     * The last close of an open directory. The default does nothing.
     *
     * @param req who made the system call
     * @param path the directory's path
     * @param fh the handle {@link #opendir} answered
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> releasedir(Request req, String path, long fh) {
        return done();
    }

    /**
     * Filesystem statistics ({@code statfs(2)}, {@code df}). The default reports {@link FsStats#DEFAULT}.
     *
     * @param req who made the system call
     * @param path the path asked about (the root, as the kernel asks)
     * @return a stage completing with the statistics
     */
    default CompletionStage<FsStats> statfs(Request req, String path) {
        return CompletableFuture.completedFuture(FsStats.DEFAULT);
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
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> setxattr(Request req, String path, String name, byte[] value, int flags) {
        return notImplemented();
    }

    /**
     * The value of an extended attribute; the adapter answers size probes from it.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param name the attribute's full name
     * @return a stage completing with its value
     */
    default CompletionStage<byte[]> getxattr(Request req, String path, String name) {
        return notImplemented();
    }

    /**
     * The names of a file's extended attributes.
     *
     * @param req who made the system call
     * @param path the file's path
     * @return a stage completing with the full names
     */
    default CompletionStage<List<String>> listxattr(Request req, String path) {
        return notImplemented();
    }

    /**
     * Removes an extended attribute.
     *
     * @param req who made the system call
     * @param path the file's path
     * @param name the attribute's full name
     * @return a stage completing when it is done
     */
    default CompletionStage<Void> removexattr(Request req, String path, String name) {
        return notImplemented();
    }

    private static <T> CompletionStage<T> notImplemented() {
        return CompletableFuture.failedFuture(new FuseException(Errno.ENOSYS));
    }

    private static CompletionStage<Void> done() {
        return CompletableFuture.completedFuture(null);
    }
}
