package dev.jfuser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;

/**
 * A filesystem served to the Linux kernel through FUSE, written as plain blocking Java.
 *
 * <h2>How FUSE works</h2>
 * The kernel turns every system call on the mount ({@code open}, {@code stat}, {@code read}, …) into requests
 * that name inodes by a 64-bit <em>node id</em> (1 is the root directory). Paths never appear: the kernel walks a
 * path one {@link #lookup} at a time, and each successful lookup (and each {@link Entry} returned by create,
 * mkdir, mknod, symlink, link and readdirplus) raises the node's <em>lookup count</em>; {@link #forget} lowers it
 * again when the kernel drops the inode from its cache. A node id must stay valid while its count is above zero.
 *
 * <h2>Writing one</h2>
 * Implement the methods your filesystem supports; every method has a default that answers
 * {@link Errno#ENOSYS} ("not implemented"), except those where doing nothing is a correct answer (open, opendir,
 * release, releasedir, flush, fsync succeed; statfs reports {@link FsStats#DEFAULT}). Return a value to answer a
 * request, or throw {@link FuseException} with an {@link Errno} to fail it; {@code java.nio.file} exceptions are
 * mapped to their errno ({@code NoSuchFileException} → ENOENT, {@code AccessDeniedException} → EACCES, …). Any
 * other exception is logged with the request's opcode and unique id and answered EIO; the session keeps serving.
 *
 * <p>Each request runs on its own virtual thread, so a slow method (a network round trip, a lock) never blocks
 * other requests, and methods are called concurrently: implementations must be thread-safe. (Methods left to
 * their defaults answer at once on the thread that read the request; flush, fsync and fsyncdir left to their
 * defaults are answered ENOSYS, which the kernel reports as success and then stops sending.) Filesystems that
 * prefer completion stages implement {@link AsyncFilesystem} instead; both are mounted the same way with
 * {@link Fuse#mount}.
 *
 * <p>Parameters named {@code mode} carry the full {@code st_mode} (type and permission bits); {@code umask} is the
 * caller's umask, already applied by the kernel unless {@link Capability#DONT_MASK} is enabled. {@code flags} of
 * open and create are the {@code open(2)} flags ({@code O_RDONLY}, {@code O_APPEND}, …).
 *
 * <p>Names, symlink targets and xattr names are Linux's bytes in a {@code String}, decoded as {@link Names}
 * describes: UTF-8 where valid, each other byte as one reserved char. Whatever such a string is handed back in (an
 * entry of a listing, a readlink answer, a listxattr answer) goes back to the kernel as exactly the bytes it came
 * from; use {@link Names#bytes} for the bytes themselves (a length limit, another byte-based system).
 */
public interface Filesystem {

    /**
     * Called once when the kernel connects, before any other request: inspect and set the negotiated
     * capabilities and limits. Throwing here fails the mount with the exception's message.
     */
    default void init(KernelConfig config) throws IOException {
    }

    /** Called once when the session ends (unmount), after the last request. */
    default void destroy() {
    }

    /** Looks up {@code name} in directory {@code parent}; throw ENOENT (or return a negative entry) if absent. */
    default Entry lookup(Request req, long parent, String name) throws IOException {
        throw notImplemented();
    }

    /**
     * The entry of node {@code nodeId} itself, found by its id alone: the kernel asks when it decodes a file
     * handle ({@code open_by_handle_at(2)}, an NFS export) whose inode it no longer caches. Only called with
     * {@link Capability#EXPORT_SUPPORT} enabled (the kernel sends it as a LOOKUP of "." in that node).
     *
     * <p>Answer the node's entry with its current {@link Entry#generation()}: the kernel compares it (its low 32
     * bits) with the generation in the handle and fails the decode with ESTALE if they differ, so a filesystem
     * that reuses node ids must give each new life a new generation. The node may be one the kernel forgot long
     * ago, so the filesystem needs an index of every node that still exists, not only of those the kernel holds.
     * The answer counts as a lookup like any other {@link Entry}. Throw {@link Errno#ESTALE} (or ENOENT) if the
     * node no longer exists. The entry of the root (node 1) must carry generation 0, the generation the kernel
     * gives the root inode at mount.
     *
     * <p>The default answers {@code lookup(req, nodeId, ".")}, as filesystems written before this method saw it.
     */
    default Entry lookupNode(Request req, long nodeId) throws IOException {
        return lookup(req, nodeId, ".");
    }

    /**
     * The entry of the directory containing directory {@code nodeId}: the kernel asks when it reconnects a
     * directory decoded from a file handle to the tree (walking up towards the root). Only called with
     * {@link Capability#EXPORT_SUPPORT} enabled (sent as a LOOKUP of ".."); for the root, answer the root. Counts as a
     * lookup of the parent; throw {@link Errno#ESTALE} (or ENOENT) if {@code nodeId} no longer exists. To find the
     * directory's name in its parent the kernel then lists the parent and looks for the directory's inode number,
     * so {@link #readdir} must report the same {@code ino} as the attributes.
     *
     * <p>The default answers {@code lookup(req, nodeId, "..")}, as filesystems written before this method saw it.
     */
    default Entry lookupParent(Request req, long nodeId) throws IOException {
        return lookup(req, nodeId, "..");
    }

    /**
     * The kernel dropped {@code nlookup} references to {@code nodeId}; when its count reaches zero the node id may be
     * freed (if the file was also unlinked). Never answered; also called for every pair of a BATCH_FORGET. At
     * unmount the kernel forgets nothing: release what is left in {@link #destroy()}.
     */
    default void forget(long nodeId, long nlookup) {
    }

    /** Attributes of a node ({@code stat}); {@code fh} is present when the call came through an open file. */
    default AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
        throw notImplemented();
    }

    /** Changes attributes: chmod, chown, truncate, utimens; answers the new attributes. */
    default AttrReply setattr(Request req, long nodeId, SetAttr changes) throws IOException {
        throw notImplemented();
    }

    /** The target of a symbolic link. */
    default String readlink(Request req, long nodeId) throws IOException {
        throw notImplemented();
    }

    /** Creates a file node: regular file, device, FIFO or socket ({@code mknod(2)}). */
    default Entry mknod(Request req, long parent, String name, int mode, int umask, int rdev) throws IOException {
        throw notImplemented();
    }

    /** Creates a directory; {@code mode} has the permission bits (the kernel may omit the type bits). */
    default Entry mkdir(Request req, long parent, String name, int mode, int umask) throws IOException {
        throw notImplemented();
    }

    /** Removes a non-directory entry; the node lives on while its lookup count is above zero. */
    default void unlink(Request req, long parent, String name) throws IOException {
        throw notImplemented();
    }

    /** Removes an empty directory. */
    default void rmdir(Request req, long parent, String name) throws IOException {
        throw notImplemented();
    }

    /** Creates a symbolic link {@code name} pointing at {@code target}. */
    default Entry symlink(Request req, long parent, String name, String target) throws IOException {
        throw notImplemented();
    }

    /**
     * Renames {@code parent/name} to {@code newParent/newName}. {@code flags} are those of {@code renameat2(2)}:
     * {@code RENAME_NOREPLACE} (1) and {@code RENAME_EXCHANGE} (2); a filesystem that does not support a flag
     * throws EINVAL.
     */
    default void rename(Request req, long parent, String name, long newParent, String newName, int flags)
            throws IOException {
        throw notImplemented();
    }

    /** Creates a hard link {@code newParent/newName} to {@code nodeId}. */
    default Entry link(Request req, long nodeId, long newParent, String newName) throws IOException {
        throw notImplemented();
    }

    /** Opens a file; the handle in the reply comes back with every operation on this open file. */
    default OpenReply open(Request req, long nodeId, int flags) throws IOException {
        return OpenReply.of(0);
    }

    /**
     * Reads up to {@code size} bytes at {@code offset}. Return fewer bytes only at end of file (or for
     * {@link OpenReply#DIRECT_IO} files).
     *
     * @param flags the open flags of the file
     * @param lockOwner the lock owner, 0 if the kernel did not send one
     */
    default ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
            throws IOException {
        throw notImplemented();
    }

    /**
     * Writes {@code data} (position to limit) at {@code offset}; returns the number of bytes written, normally all.
     * The buffer is valid only until this method returns.
     *
     * @param writeFlags {@code WRITE_CACHE} (from the writeback cache), {@code WRITE_LOCKOWNER},
     *     {@code WRITE_KILL_SUIDGID} bits
     * @param flags the open flags of the file
     */
    default int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                      long lockOwner) throws IOException {
        throw notImplemented();
    }

    /**
     * Called on each {@code close()} of a file descriptor (there may be several per open with {@code dup}); a
     * chance to report write errors. Not a release: the file stays open.
     *
     * <p>Not overriding this method is cheaper than an empty override: jfuser then answers the first FLUSH with
     * ENOSYS, which the kernel reports to {@code close()} as success and takes as "never send FLUSH again".
     */
    default void flush(Request req, long nodeId, long fh, long lockOwner) throws IOException {
    }

    /**
     * The last reference to an open file is gone; free the handle. Errors are not reported to anyone.
     *
     * @param flags the open flags
     * @param releaseFlags {@code RELEASE_FLUSH}, {@code RELEASE_FLOCK_UNLOCK} bits
     */
    default void release(Request req, long nodeId, long fh, int flags, int releaseFlags, long lockOwner)
            throws IOException {
    }

    /**
     * Flushes a file's data (and metadata unless {@code datasync}) to stable storage. If not overridden, jfuser
     * answers ENOSYS, which the kernel reports to {@code fsync(2)} as success and remembers for the mount.
     */
    default void fsync(Request req, long nodeId, long fh, boolean datasync) throws IOException {
    }

    /** Opens a directory for reading. */
    default OpenReply opendir(Request req, long nodeId, int flags) throws IOException {
        return OpenReply.of(0);
    }

    /** Lists a directory from {@code offset}, adding entries to {@code listing} until it is full. */
    default void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        throw notImplemented();
    }

    /**
     * Lists a directory with attributes (requires {@link Capability#READDIRPLUS}); every entry added with an
     * {@link Entry} counts as a lookup.
     */
    default void readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        throw notImplemented();
    }

    /** Closes a directory opened by {@link #opendir}. */
    default void releasedir(Request req, long nodeId, long fh, int flags) throws IOException {
    }

    /** Syncs a directory's contents. Not overridden, it is answered like {@link #fsync}: success, once. */
    default void fsyncdir(Request req, long nodeId, long fh, boolean datasync) throws IOException {
    }

    /** Filesystem statistics ({@code statfs}, {@code df}). */
    default FsStats statfs(Request req, long nodeId) throws IOException {
        return FsStats.DEFAULT;
    }

    /**
     * Sets an extended attribute.
     *
     * @param flags {@code XATTR_CREATE} (1: fail with EEXIST if present) or {@code XATTR_REPLACE} (2: fail with
     *     ENODATA if absent)
     * @param setxattrFlags {@code SETXATTR_ACL_KILL_SGID} with {@link Capability#SETXATTR_EXT}, else 0
     */
    default void setxattr(Request req, long nodeId, String name, byte[] value, int flags, int setxattrFlags)
            throws IOException {
        throw notImplemented();
    }

    /**
     * The value of an extended attribute; throw {@link Errno#ENODATA} if absent. Size probes and ERANGE for
     * short caller buffers are handled by the library.
     */
    default byte[] getxattr(Request req, long nodeId, String name) throws IOException {
        throw notImplemented();
    }

    /** The names of a node's extended attributes (size probes and ERANGE handled by the library). */
    default List<String> listxattr(Request req, long nodeId) throws IOException {
        throw notImplemented();
    }

    /** Removes an extended attribute; throw {@link Errno#ENODATA} if absent. */
    default void removexattr(Request req, long nodeId, String name) throws IOException {
        throw notImplemented();
    }

    /**
     * Checks {@code access(2)} permission ({@code mask} of R_OK 4, W_OK 2, X_OK 1, or F_OK 0); throw EACCES to deny.
     * Not called when mounted with {@code default_permissions} (the kernel checks then).
     */
    default void access(Request req, long nodeId, int mask) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates and opens a regular file in one step. If not implemented (ENOSYS), the kernel falls back to
     * mknod + open.
     */
    default CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        throw notImplemented();
    }

    /** Tests for a conflicting POSIX lock ({@code F_GETLK}); answer {@link FileLock#unlocked()} if none. */
    default FileLock getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) throws IOException {
        throw notImplemented();
    }

    /**
     * Acquires or releases a lock: a POSIX record lock, or with {@code flock} a BSD {@code flock()} lock. With
     * {@code sleep} ({@code F_SETLKW}) wait until it can be taken; otherwise throw EAGAIN on conflict. Only called
     * when {@link Capability#POSIX_LOCKS} / {@link Capability#FLOCK_LOCKS} are enabled.
     */
    default void setlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock, boolean sleep,
                       boolean flock) throws IOException {
        throw notImplemented();
    }

    /** Maps a file block to a device block (only for block-device backed filesystems, fuseblk). */
    default long bmap(Request req, long nodeId, int blocksize, long block) throws IOException {
        throw notImplemented();
    }

    /**
     * A restricted ioctl: {@code in} holds the command's input bytes, the reply at most {@code outSize} bytes.
     *
     * @param flags {@code IOCTL_*} bits ({@code IOCTL_DIR} for directories, {@code IOCTL_COMPAT} for 32-bit)
     */
    default IoctlReply ioctl(Request req, long nodeId, long fh, int flags, int cmd, long arg, byte[] in,
                             int outSize) throws IOException {
        throw notImplemented();
    }

    /**
     * Polls a file for I/O readiness ({@code poll(2)}, {@code select(2)}, {@code epoll}); returns the ready
     * {@code POLL*} events among {@code events} ({@code POLLIN} 1, {@code POLLOUT} 4, …) without waiting.
     *
     * <p>{@code kh} is the kernel's handle of this open file's waiters. When {@code flags} has
     * {@code POLL_SCHEDULE_NOTIFY} (1), a process is about to sleep until an event: keep {@code kh} and, when the
     * file becomes ready, call {@link Notifier#pollWakeup}{@code (kh)}; the kernel wakes the sleepers and polls
     * again. The handle stays the same for the life of the open file (it is valid until its release). Leaving
     * this method to its default (ENOSYS) makes the kernel treat the file as always readable and writable.
     */
    default int poll(Request req, long nodeId, long fh, long kh, int flags, int events) throws IOException {
        throw notImplemented();
    }

    /**
     * Allocates or deallocates space ({@code fallocate(2)}): {@code mode} 0 allocates and extends,
     * {@code FALLOC_FL_KEEP_SIZE} (1) allocates without growing, {@code FALLOC_FL_PUNCH_HOLE} (2, with KEEP_SIZE)
     * frees a range.
     */
    default void fallocate(Request req, long nodeId, long fh, long offset, long length, int mode)
            throws IOException {
        throw notImplemented();
    }

    /**
     * Finds data or holes: {@code whence} is {@code SEEK_DATA} (3) or {@code SEEK_HOLE} (4) (other whence values
     * are handled by the kernel). Throw ENXIO past the end.
     */
    default long lseek(Request req, long nodeId, long fh, long offset, int whence) throws IOException {
        throw notImplemented();
    }

    /** Copies a range between two open files on this filesystem without passing data through the caller. */
    default long copyFileRange(Request req, long nodeIdIn, long fhIn, long offsetIn, long nodeIdOut, long fhOut,
                               long offsetOut, long length, long flags) throws IOException {
        throw notImplemented();
    }

    /** Flushes the whole filesystem ({@code syncfs(2)}). */
    default void syncfs(Request req, long nodeId) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates an unnamed temporary file in directory {@code parent} ({@code O_TMPFILE}) and opens it; it can later
     * be given a name with {@link #link}.
     */
    default CreateReply tmpfile(Request req, long parent, int mode, int umask, int flags) throws IOException {
        throw notImplemented();
    }

    /**
     * Extended attributes ({@code statx(2)}) with birth time; if not implemented the kernel uses getattr.
     *
     * @param flags {@code AT_STATX_*} sync flags
     * @param mask the {@code STATX_*} fields asked for
     */
    default StatxReply statx(Request req, long nodeId, OptionalLong fh, int flags, int mask) throws IOException {
        throw notImplemented();
    }

    /** DAX: maps a file range into the DAX window (virtio-fs only; regular mounts never send it). */
    default void setupMapping(Request req, long nodeId, long fh, long fileOffset, long length, long flags,
                              long windowOffset) throws IOException {
        throw notImplemented();
    }

    /** DAX: removes mappings from the DAX window (virtio-fs only). */
    default void removeMapping(Request req, long[] windowOffsets, long[] lengths) throws IOException {
        throw notImplemented();
    }

    private static FuseException notImplemented() {
        return new FuseException(Errno.ENOSYS);
    }
}
