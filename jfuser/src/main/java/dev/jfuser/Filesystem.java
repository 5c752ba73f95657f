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
 * caller's umask, already applied by the kernel unless {@link Capability#DONT_MASK} is enabled.
 *
 * <h2>Flag values</h2>
 * Flags are passed as the kernel sends them, as plain {@code int}s holding Linux's own constants (the values of
 * {@code <fcntl.h>}, {@code <linux/fs.h>} and the FUSE protocol header), not Java enums; {@link OpenFlags},
 * {@link RenameFlags}, {@link XattrFlags}, {@link FallocateMode}, {@link Mode} and {@link Access} define them under
 * their C names, with helpers such as {@link OpenFlags#accessMode} and {@link Mode#type}:
 * <ul>
 * <li>{@code flags} of {@link #open}, {@link #create}, {@link #tmpfile} and {@link #opendir} are the caller's
 *     {@code open(2)} flags: the access mode in the low two bits ({@code O_RDONLY} 0, {@code O_WRONLY} 1,
 *     {@code O_RDWR} 2; test with {@code flags & 3}), then {@code O_TRUNC} 0x200, {@code O_APPEND} 0x400,
 *     {@code O_NONBLOCK} 0x800, {@code O_DIRECT} 0x4000, {@code O_NOATIME} 0x40000, {@code O_SYNC} 0x101000 and so
 *     on (values for x86-64; a few, {@code O_DIRECT} among them, differ on arm64, which {@link OpenFlags}
 *     handles). OPEN never carries {@code O_CREAT}, {@code O_EXCL} or {@code O_NOCTTY} (the kernel handles them);
 *     CREATE keeps {@code O_CREAT} and {@code O_EXCL}.</li>
 * <li>{@code flags} of {@link #read}, {@link #write}, {@link #release} and {@link #releasedir} are those same open
 *     flags of the open file, as they are now (after any {@code fcntl(F_SETFL)}).</li>
 * <li>The kernel's own requests about an open ({@code FUSE_OPEN_*}, such as {@link Request#OPEN_KILL_SUIDGID}) come
 *     in {@link Request#openFlags()}; the answers ({@link OpenReply#DIRECT_IO}, {@link OpenReply#KEEP_CACHE}, …) go
 *     back in the {@link OpenReply}.</li>
 * <li>Other flag parameters ({@code rename}'s {@code RENAME_*}, {@code setxattr}'s {@code XATTR_*},
 *     {@code fallocate}'s {@code FALLOC_FL_*}, {@code write}'s {@code WRITE_*}, …) list their values where they are
 *     declared.</li>
 * </ul>
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
     *
     * @param config the negotiated session parameters; change them here, they are sent to the kernel when this method
     *     returns
     * @throws IOException to refuse the mount; the exception's message says why
     */
    default void init(KernelConfig config) throws IOException {
    }

    /** Called once when the session ends (unmount), after the last request. */
    default void destroy() {
    }

    /**
     * Looks up {@code name} in directory {@code parent}; throw ENOENT (or return a negative entry) if absent.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the name to find in {@code parent}
     * @return the node's entry, which counts as one lookup; or a negative entry ({@link Entry#negative}) to let the
     *     kernel cache the absence
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
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
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @return the node's entry with its current generation; counts as a lookup
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
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
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @return the entry of the parent directory; counts as a lookup of it
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default Entry lookupParent(Request req, long nodeId) throws IOException {
        return lookup(req, nodeId, "..");
    }

    /**
     * The kernel dropped {@code nlookup} references to {@code nodeId}; when its count reaches zero the node id may be
     * freed (if the file was also unlinked). Never answered; also called for every pair of a BATCH_FORGET. At
     * unmount the kernel forgets nothing: release what is left in {@link #destroy()}.
     *
     * @param nodeId the node whose count drops
     * @param nlookup how many lookups the kernel drops (the sum of the lookups it counted on this node since it was
     *     last forgotten)
     */
    default void forget(long nodeId, long nlookup) {
    }

    /**
     * Attributes of a node ({@code stat}); {@code fh} is present when the call came through an open file.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the open file's handle when the call came through one ({@code fstat}, {@code ftruncate}), else empty
     * @return the node's attributes and how long the kernel may cache them
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
        throw notImplemented();
    }

    /**
     * Changes attributes: chmod, chown, truncate, utimens; answers the new attributes.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param changes the attributes to change; only those present are set
     * @return the node's attributes after the change, and how long the kernel may cache them
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default AttrReply setattr(Request req, long nodeId, SetAttr changes) throws IOException {
        throw notImplemented();
    }

    /**
     * The target of a symbolic link.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @return the link's target, as stored by {@link #symlink}
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default String readlink(Request req, long nodeId) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates a file node: regular file, device, FIFO or socket ({@code mknod(2)}).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the new node's name in {@code parent}
     * @param mode the new node's full {@code st_mode}: file type and permission bits
     * @param umask the caller's umask (already applied to {@code mode} unless {@link Capability#DONT_MASK} is enabled)
     * @param rdev the device number for a character or block device node, else 0
     * @return the new node's entry; counts as a lookup
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default Entry mknod(Request req, long parent, String name, int mode, int umask, int rdev) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates a directory; {@code mode} has the permission bits (the kernel may omit the type bits).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the new directory's name in {@code parent}
     * @param mode the new directory's permission bits (the kernel may or may not set {@code S_IFDIR}; the node is a
     *     directory either way)
     * @param umask the caller's umask (already applied to {@code mode} unless {@link Capability#DONT_MASK} is enabled)
     * @return the new directory's entry; counts as a lookup
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default Entry mkdir(Request req, long parent, String name, int mode, int umask) throws IOException {
        throw notImplemented();
    }

    /**
     * Removes a non-directory entry; the node lives on while its lookup count is above zero.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the name to remove from {@code parent}
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void unlink(Request req, long parent, String name) throws IOException {
        throw notImplemented();
    }

    /**
     * Removes an empty directory.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the name of the empty directory to remove from {@code parent}
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void rmdir(Request req, long parent, String name) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates a symbolic link {@code name} pointing at {@code target}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the link's name in {@code parent}
     * @param target the link's content: the path it points to, stored as given (never resolved by the kernel here)
     * @return the link's entry; counts as a lookup
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default Entry symlink(Request req, long parent, String name, String target) throws IOException {
        throw notImplemented();
    }

    /**
     * Renames {@code parent/name} to {@code newParent/newName}. {@code flags} are those of {@code renameat2(2)}:
     * {@code RENAME_NOREPLACE} (1) and {@code RENAME_EXCHANGE} (2); a filesystem that does not support a flag
     * throws EINVAL.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the entry's current name in {@code parent}
     * @param newParent the directory the entry moves or is linked into
     * @param newName the entry's name in {@code newParent}
     * @param flags {@code renameat2(2)} flags ({@link RenameFlags}): 0, {@code RENAME_NOREPLACE} (1) or {@code
     *     RENAME_EXCHANGE} (2), and {@code RENAME_WHITEOUT} (4) from overlayfs
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void rename(Request req, long parent, String name, long newParent, String newName, int flags)
            throws IOException {
        throw notImplemented();
    }

    /**
     * Creates a hard link {@code newParent/newName} to {@code nodeId}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the existing node that gets another name
     * @param newParent the directory the entry moves or is linked into
     * @param newName the entry's name in {@code newParent}
     * @return the entry of {@code nodeId} (with its raised link count); counts as a lookup
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default Entry link(Request req, long nodeId, long newParent, String newName) throws IOException {
        throw notImplemented();
    }

    /**
     * Opens a file; the handle in the reply comes back with every operation on this open file.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param flags the {@code open(2)} flags, Linux's {@code O_*} values: the access mode in the low two bits ({@code
     *     O_RDONLY} 0, {@code O_WRONLY} 1, {@code O_RDWR} 2) plus {@code O_APPEND}, {@code O_NONBLOCK}, {@code
     *     O_DIRECT}, …; the kernel removes {@code O_CREAT}, {@code O_EXCL} and {@code O_NOCTTY}, and {@code O_TRUNC}
     *     unless {@link Capability#ATOMIC_O_TRUNC} is enabled
     * @return the handle the kernel sends with every later request on this open file, and open flags such as {@link
     *     OpenReply#DIRECT_IO}
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default OpenReply open(Request req, long nodeId, int flags) throws IOException {
        return OpenReply.of(0);
    }

    /**
     * Reads up to {@code size} bytes at {@code offset}. Return fewer bytes only at end of file (or for
     * {@link OpenReply#DIRECT_IO} files).
     *
     * @param flags the open flags of the file
     * @param lockOwner the lock owner, 0 if the kernel did not send one
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param offset where reading starts
     * @param size the most bytes the kernel wants
     * @return the bytes read: exactly {@code size} unless the file ends first (or the file is direct I/O)
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
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
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param offset where writing starts
     * @param data the bytes to write, from position to limit
     * @param lockOwner the opaque id of the lock owner (the process's file table), 0 if the kernel did not send one
     * @return the number of bytes written; fewer than given makes the caller's {@code write(2)} return short
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
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
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param lockOwner the opaque id of the lock owner (the process's file table), 0 if the kernel did not send one
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void flush(Request req, long nodeId, long fh, long lockOwner) throws IOException {
    }

    /**
     * The last reference to an open file is gone; free the handle. Errors are not reported to anyone.
     *
     * @param flags the open flags
     * @param releaseFlags {@code RELEASE_FLUSH}, {@code RELEASE_FLOCK_UNLOCK} bits
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param lockOwner the opaque id of the lock owner (the process's file table), 0 if the kernel did not send one
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void release(Request req, long nodeId, long fh, int flags, int releaseFlags, long lockOwner)
            throws IOException {
    }

    /**
     * Flushes a file's data (and metadata unless {@code datasync}) to stable storage. If not overridden, jfuser
     * answers ENOSYS, which the kernel reports to {@code fsync(2)} as success and remembers for the mount.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param datasync {@code true} for {@code fdatasync(2)}: only the data and the metadata needed to read it back
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void fsync(Request req, long nodeId, long fh, boolean datasync) throws IOException {
    }

    /**
     * Opens a directory for reading.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param flags the {@code open(2)} flags of the directory open ({@code O_RDONLY} plus {@code O_DIRECTORY}, …)
     * @return the handle the kernel sends with every readdir and releasedir of this open directory
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default OpenReply opendir(Request req, long nodeId, int flags) throws IOException {
        return OpenReply.of(0);
    }

    /**
     * Lists a directory from {@code offset}, adding entries to {@code listing} until it is full.
     *
     * <p>The kernel hands the entries to {@code getdents(2)} exactly as given and adds none of its own, so
     * {@code ls -a} shows {@code .} and {@code ..} only if the filesystem lists them. POSIX tools expect them
     * (and {@code find}, {@code rm -r} and the like cope either way); the memfs example lists them first, at
     * offsets 1 and 2, with their own inode numbers. The test kit's {@code FakeKernel.list} leaves them out of the
     * names it returns, so a test sees the same list whether the filesystem lists them or not.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the directory was opened with in {@link #opendir}
     * @param offset 0 for the first chunk, else the next offset of the last entry the kernel received
     * @param listing the reply being filled; add entries until it reports full or the directory ends
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        throw notImplemented();
    }

    /**
     * Lists a directory with attributes (requires {@link Capability#READDIRPLUS}); every entry added with an
     * {@link Entry} counts as a lookup, except {@code .} and {@code ..}, on which the kernel takes no count: list
     * those with {@link DirectoryListing#addWithoutAttributes}, as for {@link #readdir}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the directory was opened with in {@link #opendir}
     * @param offset 0 for the first chunk, else the next offset of the last entry the kernel received
     * @param listing the reply being filled; add entries until it reports full or the directory ends
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws IOException {
        throw notImplemented();
    }

    /**
     * Closes a directory opened by {@link #opendir}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the directory was opened with in {@link #opendir}
     * @param flags the open flags the directory was opened with
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void releasedir(Request req, long nodeId, long fh, int flags) throws IOException {
    }

    /**
     * Syncs a directory's contents. Not overridden, it is answered like {@link #fsync}: success, once.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the directory was opened with in {@link #opendir}
     * @param datasync {@code true} for {@code fdatasync(2)}: only the data and the metadata needed to read it back
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void fsyncdir(Request req, long nodeId, long fh, boolean datasync) throws IOException {
    }

    /**
     * Filesystem statistics ({@code statfs}, {@code df}).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the caller named (usually the root); the answer is for the whole filesystem
     * @return the filesystem's sizes and limits, as {@code statfs(2)} and {@code df} show them
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default FsStats statfs(Request req, long nodeId) throws IOException {
        return FsStats.DEFAULT;
    }

    /**
     * Sets an extended attribute.
     *
     * @param flags {@code XATTR_CREATE} (1: fail with EEXIST if present) or {@code XATTR_REPLACE} (2: fail with
     *     ENODATA if absent), or 0; {@link XattrFlags#check} applies them
     * @param setxattrFlags {@code SETXATTR_ACL_KILL_SGID} with {@link Capability#SETXATTR_EXT}, else 0
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param name the attribute's full name, with its namespace ({@code user.}, {@code trusted.}, {@code security.},
     *     …)
     * @param value the attribute's new value, any bytes
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void setxattr(Request req, long nodeId, String name, byte[] value, int flags, int setxattrFlags)
            throws IOException {
        throw notImplemented();
    }

    /**
     * The value of an extended attribute; throw {@link Errno#ENODATA} if absent. Size probes and ERANGE for
     * short caller buffers are handled by the library.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param name the attribute's full name, with its namespace ({@code user.}, {@code trusted.}, {@code security.},
     *     …)
     * @return the attribute's value (any bytes, possibly empty)
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default byte[] getxattr(Request req, long nodeId, String name) throws IOException {
        throw notImplemented();
    }

    /**
     * The names of a node's extended attributes (size probes and ERANGE handled by the library).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @return the attribute names, each with its namespace prefix
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default List<String> listxattr(Request req, long nodeId) throws IOException {
        throw notImplemented();
    }

    /**
     * Removes an extended attribute; throw {@link Errno#ENODATA} if absent.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param name the attribute's full name, with its namespace
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void removexattr(Request req, long nodeId, String name) throws IOException {
        throw notImplemented();
    }

    /**
     * Checks {@code access(2)} permission ({@code mask} of R_OK 4, W_OK 2, X_OK 1, or F_OK 0); throw EACCES to deny.
     * Not called when mounted with {@code default_permissions} (the kernel checks then).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param mask {@link Access} bits: {@code R_OK} 4, {@code W_OK} 2, {@code X_OK} 1 or'ed together, or {@code F_OK}
     *     0 (existence only)
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void access(Request req, long nodeId, int mask) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates and opens a regular file in one step. If not implemented (ENOSYS), the kernel falls back to
     * mknod + open.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the new file's name in {@code parent}
     * @param mode the new node's full {@code st_mode}: file type and permission bits
     * @param umask the caller's umask (already applied to {@code mode} unless {@link Capability#DONT_MASK} is enabled)
     * @param flags the {@code open(2)} flags, Linux's {@code O_*} values: the access mode in the low two bits ({@code
     *     O_RDONLY} 0, {@code O_WRONLY} 1, {@code O_RDWR} 2) plus {@code O_APPEND}, {@code O_NONBLOCK}, {@code
     *     O_DIRECT}, …; {@code O_CREAT} is implied
     * @return the new file's entry (counts as a lookup) together with its open handle
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws IOException {
        throw notImplemented();
    }

    /**
     * Tests for a conflicting POSIX lock ({@code F_GETLK}); answer {@link FileLock#unlocked()} if none.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param lockOwner the opaque id of the lock owner (the process's file table), 0 if the kernel did not send one
     * @param lock the lock the caller would like to take; the answer is a lock that conflicts with it
     * @return a lock that conflicts with {@code lock}, or {@link FileLock#unlocked()} if it could be taken
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default FileLock getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) throws IOException {
        throw notImplemented();
    }

    /**
     * Acquires or releases a lock: a POSIX record lock, or with {@code flock} a BSD {@code flock()} lock. With
     * {@code sleep} ({@code F_SETLKW}) wait until it can be taken; otherwise throw EAGAIN on conflict. Only called
     * when {@link Capability#POSIX_LOCKS} / {@link Capability#FLOCK_LOCKS} are enabled.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param lockOwner the opaque id of the lock owner (the process's file table), 0 if the kernel did not send one
     * @param lock the range and type asked about or asked for ({@code F_RDLCK}, {@code F_WRLCK}, {@code F_UNLCK}) and
     *     the caller's pid
     * @param sleep {@code true} for {@code F_SETLKW} (wait until the lock can be taken)
     * @param flock {@code true} when the lock comes from {@code flock(2)} rather than {@code fcntl(2)}
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void setlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock, boolean sleep,
                       boolean flock) throws IOException {
        throw notImplemented();
    }

    /**
     * Maps a file block to a device block (only for block-device backed filesystems, fuseblk).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param blocksize the block size the kernel counts in
     * @param block the block number within the file
     * @return the device block that holds {@code block}
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default long bmap(Request req, long nodeId, int blocksize, long block) throws IOException {
        throw notImplemented();
    }

    /**
     * A restricted ioctl: {@code in} holds the command's input bytes, the reply at most {@code outSize} bytes.
     *
     * @param flags {@code IOCTL_*} bits ({@code IOCTL_DIR} for directories, {@code IOCTL_COMPAT} for 32-bit)
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param cmd the ioctl command number, as the caller passed it
     * @param arg the caller's argument (for most commands a user-space pointer, meaningful only as a number here)
     * @param in the command's input bytes (empty if it has none)
     * @param outSize the most bytes the caller accepts back
     * @return the command's result and output bytes (at most {@code outSize}), or a retry request for unrestricted
     *     ioctls
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default IoctlReply ioctl(Request req, long nodeId, long fh, int flags, int cmd, long arg, byte[] in,
                             int outSize) throws IOException {
        throw notImplemented();
    }

    /**
     * Polls a file for I/O readiness ({@code poll(2)}, {@code select(2)}, {@code epoll}); returns the ready
     * {@link PollEvents} bits among {@code events} ({@code POLLIN}, {@code POLLOUT}, …) without waiting.
     *
     * <p>{@code kh} is the kernel's handle of this open file's waiters. When {@code flags} has
     * {@link PollEvents#SCHEDULE_NOTIFY}, a process is about to sleep until an event: keep {@code kh} and, when the
     * file becomes ready, call {@link Notifier#pollWakeup}{@code (kh)}; the kernel wakes the sleepers and polls
     * again. The handle stays the same for the life of the open file (it is valid until its release). Leaving
     * this method to its default (ENOSYS) makes the kernel treat the file as always readable and writable.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param kh the kernel's handle for this open file's pollers, to pass to {@link Notifier#pollWakeup}
     * @param flags {@link PollEvents#SCHEDULE_NOTIFY} when the caller will sleep and wants a wakeup, else 0
     * @param events the {@code POLL*} events the caller waits for
     * @return the {@code POLL*} events ready now
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default int poll(Request req, long nodeId, long fh, long kh, int flags, int events) throws IOException {
        throw notImplemented();
    }

    /**
     * Allocates or deallocates space ({@code fallocate(2)}): {@code mode} 0 allocates and extends,
     * {@code FALLOC_FL_KEEP_SIZE} (1) allocates without growing, {@code FALLOC_FL_PUNCH_HOLE} (2, with KEEP_SIZE)
     * frees a range.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param offset the start of the range
     * @param length the number of bytes in the range
     * @param mode 0, or {@link FallocateMode} bits: {@code KEEP_SIZE} (1), {@code PUNCH_HOLE} (2), {@code
     *     ZERO_RANGE} (0x10)
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void fallocate(Request req, long nodeId, long fh, long offset, long length, int mode)
            throws IOException {
        throw notImplemented();
    }

    /**
     * Finds data or holes: {@code whence} is {@code SEEK_DATA} (3) or {@code SEEK_HOLE} (4) (other whence values
     * are handled by the kernel). Throw ENXIO past the end.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param offset where the search starts
     * @param whence {@code SEEK_DATA} (3) or {@code SEEK_HOLE} (4)
     * @return the offset of the data or hole found
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default long lseek(Request req, long nodeId, long fh, long offset, int whence) throws IOException {
        throw notImplemented();
    }

    /**
     * Copies a range between two open files on this filesystem without passing data through the caller.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeIdIn the source file's node
     * @param fhIn the source file's handle
     * @param offsetIn where reading starts in the source
     * @param nodeIdOut the destination file's node
     * @param fhOut the destination file's handle
     * @param offsetOut where writing starts in the destination
     * @param length the most bytes to copy
     * @param flags the caller's {@code copy_file_range(2)} flags (currently always 0)
     * @return the number of bytes copied; fewer than {@code length} is a short copy, as with {@code write}
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default long copyFileRange(Request req, long nodeIdIn, long fhIn, long offsetIn, long nodeIdOut, long fhOut,
                               long offsetOut, long length, long flags) throws IOException {
        throw notImplemented();
    }

    /**
     * Flushes the whole filesystem ({@code syncfs(2)}).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the root of the mount (the kernel always sends the root)
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void syncfs(Request req, long nodeId) throws IOException {
        throw notImplemented();
    }

    /**
     * Creates an unnamed temporary file in directory {@code parent} ({@code O_TMPFILE}) and opens it; it can later
     * be given a name with {@link #link}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory whose filesystem holds the unnamed file
     * @param mode the new node's full {@code st_mode}: file type and permission bits
     * @param umask the caller's umask (already applied to {@code mode} unless {@link Capability#DONT_MASK} is enabled)
     * @param flags the {@code open(2)} flags, Linux's {@code O_*} values: the access mode in the low two bits ({@code
     *     O_RDONLY} 0, {@code O_WRONLY} 1, {@code O_RDWR} 2) plus {@code O_APPEND}, {@code O_NONBLOCK}, {@code
     *     O_DIRECT}, … ({@code O_TMPFILE} itself is implied)
     * @return the unnamed file's entry (counts as a lookup) together with its open handle
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default CreateReply tmpfile(Request req, long parent, int mode, int umask, int flags) throws IOException {
        throw notImplemented();
    }

    /**
     * Extended attributes ({@code statx(2)}) with birth time; if not implemented the kernel uses getattr.
     *
     * @param flags {@code AT_STATX_*} sync flags
     * @param mask the {@code STATX_*} fields asked for
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the open file's handle when the call came through one, else empty
     * @return the node's extended attributes and how long the kernel may cache them
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default StatxReply statx(Request req, long nodeId, OptionalLong fh, int flags, int mask) throws IOException {
        throw notImplemented();
    }

    /**
     * DAX: maps a file range into the DAX window (virtio-fs only; regular mounts never send it).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param fileOffset the start of the range in the file
     * @param length the length of the range
     * @param flags {@code FUSE_SETUPMAPPING_FLAG_*} bits: read and/or write mapping
     * @param windowOffset where in the DAX window the range goes
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void setupMapping(Request req, long nodeId, long fh, long fileOffset, long length, long flags,
                              long windowOffset) throws IOException {
        throw notImplemented();
    }

    /**
     * DAX: removes mappings from the DAX window (virtio-fs only).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param windowOffsets where each mapping to remove starts in the DAX window
     * @param lengths the length of each mapping, in the same order
     * @throws IOException to fail the request: a {@link FuseException} with its {@link Errno}, or a {@code
     *     java.nio.file} exception mapped to its errno; anything else is answered EIO
     */
    default void removeMapping(Request req, long[] windowOffsets, long[] lengths) throws IOException {
        throw notImplemented();
    }

    private static FuseException notImplemented() {
        return new FuseException(Errno.ENOSYS);
    }
}
