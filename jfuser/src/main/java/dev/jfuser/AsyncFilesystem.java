package dev.jfuser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A filesystem whose operations return {@link CompletionStage}s: for network filesystems and anything built on
 * asynchronous clients ({@code HttpClient.sendAsync}, an async database driver, a message queue), where a thread
 * parked per request in flight would be wasted.
 *
 * <p>It has one method per FUSE operation: the same operations, parameters and response records as
 * {@link Filesystem} (read its documentation for what each operation means and for the FUSE basics: node ids,
 * lookup counts, handles, names as {@link Names} carries them); each returns a stage of the response instead of
 * the response. Both are mounted the same way with {@link Fuse#mount}; a test in the project proves the two
 * interfaces declare the same operations.
 *
 * <h2>The contract: start the work, return the stage, never block</h2>
 * Methods are called on one of the session's few <em>reader threads</em>, the threads that read requests from
 * {@code /dev/fuse}. While a method runs, its reader reads nothing else: not the next request, not the INTERRUPT
 * that would cancel a stuck one. So a method must start its work and return at once:
 * <pre>{@code
 * public CompletionStage<ReadData> read(Request req, long node, long fh, long offset, int size, int flags,
 *                                       long lockOwner) {
 *     HttpRequest get = HttpRequest.newBuilder(urlOf(node))
 *             .header("Range", "bytes=" + offset + "-" + (offset + size - 1)).build();
 *     return http.sendAsync(get, BodyHandlers.ofByteArray())       // returns at once
 *             .thenApply(response -> ReadData.of(response.body()));  // runs when the bytes are in
 * }
 * }</pre>
 * Never call {@code join()}, {@code get()}, {@code Thread.sleep}, blocking I/O or a contended lock in these
 * methods (a session logs a warning, once per operation, when a method takes more than 100 ms to return). Cheap
 * work from memory is fine inline: answer with {@link CompletableFuture#completedFuture}. Work that must block
 * belongs on another executor ({@code CompletableFuture.supplyAsync(task, executor)}), or in a {@link Filesystem},
 * which runs every request on its own virtual thread.
 *
 * <h2>Completion: whoever completes the stage sends the reply</h2>
 * The reply is encoded and written to the kernel on the thread that completes the stage (an HTTP client's
 * executor, a timer, the reader itself for an already completed stage). Data handed back stays in use until then
 * and no longer: the bytes of a {@link ReadData} are written straight from where they lie, so they must not change
 * before the stage completes; the {@code ByteBuffer} passed to {@link #write} is valid until the request is
 * answered. Stages may complete in any order and on any thread; each request is answered exactly once.
 *
 * <h2>Failures</h2>
 * A stage that fails with {@link FuseException} answers its errno; {@code java.nio.file} exceptions map to their
 * natural errno ({@code NoSuchFileException} → ENOENT, {@code AccessDeniedException} → EACCES, …), and
 * {@code CompletionException} wrappers are looked through. Any other failure (a bug, an unexpected
 * {@code IOException}) is logged with the opcode and request id and answered EIO; the session keeps serving. A
 * method that throws instead of returning a failed stage, or returns {@code null}, is answered the same way.
 * Methods that answer nothing ({@code CompletionStage<Void>}) complete with {@code null}; all others must complete
 * with a value.
 *
 * <h2>Interrupts and cancellation</h2>
 * When the caller of a system call gets a signal (Ctrl-C on a {@code cat} of a slow file), the kernel sends an
 * INTERRUPT for its request. The session then marks the {@link Request} ({@link Request#isInterrupted()}) and
 * cancels the stage with {@code Future.cancel(true)}, which for a {@link CompletableFuture} completes it with a
 * {@code CancellationException}, answered EINTR; the request leaves the in-flight table and frees its slot. So a
 * stage that never completes does not leak once the kernel gives up on it. Cancelling a dependent stage (the
 * {@code thenApply} above) does not stop the work it depends on; a filesystem that wants that, e.g. to abort an
 * HTTP exchange, cancels its own upstream future in a {@code whenComplete} on the returned stage. A stage that is
 * not a {@code Future}, or cannot be cancelled, is answered EINTR directly and its late result dropped.
 *
 * <p>One exception: a {@link #write} that arrived over io_uring ({@link Transport#IO_URING}) is only marked, never
 * cancelled, and its stage's own completion is the answer, as for a blocking filesystem. Its data is a view of
 * the ring entry's buffer, which the kernel fills with the next request as soon as the answer is given; answering
 * while the handler may still read the view could hand it another request's bytes. A long write handler should
 * therefore check {@link Request#isInterrupted()} and complete with {@link Errno#EINTR} (or with what it did write)
 * when it wants to stop early; a write stage that never completes holds its caller and its ring entry until the
 * session ends.
 *
 * <h2>Bounded work in flight</h2>
 * At most {@link SessionOptions#maxInFlight()} requests are being handled at once; when that many stages are
 * pending, readers stop reading and further requests wait in the kernel (backpressure, not memory). A stage that
 * can hang (a network peer that never answers) therefore holds a slot until it is interrupted or the session ends:
 * give remote calls timeouts ({@code HttpRequest.timeout}, {@link CompletableFuture#orTimeout}), so a dead server
 * turns into EIO rather than a hung mount.
 *
 * <h2>Defaults</h2>
 * Every method answers {@link Errno#ENOSYS} ("not implemented") by default, except where success is the natural
 * answer: open and opendir (handle 0), release, releasedir, flush, fsync and fsyncdir succeed, statfs reports
 * {@link FsStats#DEFAULT}. The kernel remembers ENOSYS for several operations (access, flush, fsync, getxattr
 * family, lseek, statx, …) and stops sending them; flush, fsync and fsyncdir left to their defaults are therefore
 * answered ENOSYS, which the kernel reports to the caller as success. {@link #init} and {@link #destroy} run once each, as in
 * {@link Filesystem}; {@link #forget} is never answered and runs inline on the reader thread, so it must be cheap.
 */
public interface AsyncFilesystem {
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
     * Looks up {@code name} in directory {@code parent}; fail with ENOENT (or answer a negative entry) if absent.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the name to find in {@code parent}
     * @return a stage completing with the node's entry, which counts as one lookup; or a negative entry ({@link
     *     Entry#negative}) to let the kernel cache the absence
     */
    default CompletionStage<Entry> lookup(Request req, long parent, String name) {
        return notImplemented();
    }

    /**
     * The entry of node {@code nodeId} itself, found by its id alone (decoding a file handle whose inode the kernel
     * no longer caches); only called with {@link Capability#EXPORT_SUPPORT}. See {@link Filesystem#lookupNode} for
     * the rules (generation, ESTALE, root). The default answers {@code lookup(req, nodeId, ".")}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @return a stage completing with the node's entry with its current generation; counts as a lookup
     */
    default CompletionStage<Entry> lookupNode(Request req, long nodeId) {
        return lookup(req, nodeId, ".");
    }

    /**
     * The entry of the directory containing directory {@code nodeId} (reconnecting a decoded file handle to the
     * tree); only called with {@link Capability#EXPORT_SUPPORT}. See {@link Filesystem#lookupParent}. The default
     * answers {@code lookup(req, nodeId, "..")}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @return a stage completing with the entry of the parent directory; counts as a lookup of it
     */
    default CompletionStage<Entry> lookupParent(Request req, long nodeId) {
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
     * @return a stage completing with the node's attributes and how long the kernel may cache them
     */
    default CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        return notImplemented();
    }

    /**
     * Changes attributes: chmod, chown, truncate, utimens; answers the new attributes.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param changes the attributes to change; only those present are set
     * @return a stage completing with the node's attributes after the change, and how long the kernel may cache them
     */
    default CompletionStage<AttrReply> setattr(Request req, long nodeId, SetAttr changes) {
        return notImplemented();
    }

    /**
     * The target of a symbolic link.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @return a stage completing with the link's target, as stored by {@link #symlink}
     */
    default CompletionStage<String> readlink(Request req, long nodeId) {
        return notImplemented();
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
     * @return a stage completing with the new node's entry; counts as a lookup
     */
    default CompletionStage<Entry> mknod(Request req, long parent, String name, int mode, int umask, int rdev) {
        return notImplemented();
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
     * @return a stage completing with the new directory's entry; counts as a lookup
     */
    default CompletionStage<Entry> mkdir(Request req, long parent, String name, int mode, int umask) {
        return notImplemented();
    }

    /**
     * Removes a non-directory entry; the node lives on while its lookup count is above zero.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the name to remove from {@code parent}
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> unlink(Request req, long parent, String name) {
        return notImplemented();
    }

    /**
     * Removes an empty directory.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the name of the empty directory to remove from {@code parent}
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> rmdir(Request req, long parent, String name) {
        return notImplemented();
    }

    /**
     * Creates a symbolic link {@code name} pointing at {@code target}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the link's name in {@code parent}
     * @param target the link's content: the path it points to, stored as given (never resolved by the kernel here)
     * @return a stage completing with the link's entry; counts as a lookup
     */
    default CompletionStage<Entry> symlink(Request req, long parent, String name, String target) {
        return notImplemented();
    }

    /**
     * Renames {@code parent/name} to {@code newParent/newName}. {@code flags} are those of {@code renameat2(2)}:
     * {@code RENAME_NOREPLACE} (1) and {@code RENAME_EXCHANGE} (2); a filesystem that does not support a flag
     * fails with EINVAL.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param parent the directory the name is looked up or created in
     * @param name the entry's current name in {@code parent}
     * @param newParent the directory the entry moves or is linked into
     * @param newName the entry's name in {@code newParent}
     * @param flags {@code renameat2(2)} flags ({@link RenameFlags}): 0, {@code RENAME_NOREPLACE} (1) or {@code
     *     RENAME_EXCHANGE} (2), and {@code RENAME_WHITEOUT} (4) from overlayfs
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> rename(Request req, long parent, String name, long newParent, String newName,
            int flags) {
        return notImplemented();
    }

    /**
     * Creates a hard link {@code newParent/newName} to {@code nodeId}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the existing node that gets another name
     * @param newParent the directory the entry moves or is linked into
     * @param newName the entry's name in {@code newParent}
     * @return a stage completing with the entry of {@code nodeId} (with its raised link count); counts as a lookup
     */
    default CompletionStage<Entry> link(Request req, long nodeId, long newParent, String newName) {
        return notImplemented();
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
     * @return a stage completing with the handle the kernel sends with every later request on this open file, and open
     *     flags such as {@link OpenReply#DIRECT_IO}
     */
    default CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        return CompletableFuture.completedFuture(OpenReply.of(0));
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
     * @return a stage completing with the bytes read: exactly {@code size} unless the file ends first (or the file is
     *     direct I/O)
     */
    default CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
            long lockOwner) {
        return notImplemented();
    }

    /**
     * Writes {@code data} (position to limit) at {@code offset}; returns the number of bytes written, normally all.
     * The buffer is a view of the request as the kernel sent it, valid until the request is answered (the stage
     * completes, or is cancelled by an interrupt; over io_uring an interrupt does not cancel a write, see the class
     * documentation): copy what must live longer.
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
     * @return a stage completing with the number of bytes written; fewer than given makes the caller's {@code
     *     write(2)} return short
     */
    default CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
            int writeFlags, int flags, long lockOwner) {
        return notImplemented();
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
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> flush(Request req, long nodeId, long fh, long lockOwner) {
        return done();
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
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> release(Request req, long nodeId, long fh, int flags, int releaseFlags,
            long lockOwner) {
        return done();
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
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> fsync(Request req, long nodeId, long fh, boolean datasync) {
        return done();
    }

    /**
     * Opens a directory for reading.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param flags the {@code open(2)} flags of the directory open ({@code O_RDONLY} plus {@code O_DIRECTORY}, …)
     * @return a stage completing with the handle the kernel sends with every readdir and releasedir of this open
     *     directory
     */
    default CompletionStage<OpenReply> opendir(Request req, long nodeId, int flags) {
        return CompletableFuture.completedFuture(OpenReply.of(0));
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
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        return notImplemented();
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
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> readdirplus(Request req, long nodeId, long fh, long offset,
            DirectoryListing listing) {
        return notImplemented();
    }

    /**
     * Closes a directory opened by {@link #opendir}.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the directory was opened with in {@link #opendir}
     * @param flags the open flags the directory was opened with
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> releasedir(Request req, long nodeId, long fh, int flags) {
        return done();
    }

    /**
     * Syncs a directory's contents. Not overridden, it is answered like {@link #fsync}: success, once.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the directory was opened with in {@link #opendir}
     * @param datasync {@code true} for {@code fdatasync(2)}: only the data and the metadata needed to read it back
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> fsyncdir(Request req, long nodeId, long fh, boolean datasync) {
        return done();
    }

    /**
     * Filesystem statistics ({@code statfs}, {@code df}).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the caller named (usually the root); the answer is for the whole filesystem
     * @return a stage completing with the filesystem's sizes and limits, as {@code statfs(2)} and {@code df} show them
     */
    default CompletionStage<FsStats> statfs(Request req, long nodeId) {
        return CompletableFuture.completedFuture(FsStats.DEFAULT);
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
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> setxattr(Request req, long nodeId, String name, byte[] value, int flags,
            int setxattrFlags) {
        return notImplemented();
    }

    /**
     * The value of an extended attribute; fail with {@link Errno#ENODATA} if absent. Size probes and ERANGE for
     * short caller buffers are handled by the library.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param name the attribute's full name, with its namespace ({@code user.}, {@code trusted.}, {@code security.},
     *     …)
     * @return a stage completing with the attribute's value (any bytes, possibly empty)
     */
    default CompletionStage<byte[]> getxattr(Request req, long nodeId, String name) {
        return notImplemented();
    }

    /**
     * The names of a node's extended attributes (size probes and ERANGE handled by the library).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @return a stage completing with the attribute names, each with its namespace prefix
     */
    default CompletionStage<List<String>> listxattr(Request req, long nodeId) {
        return notImplemented();
    }

    /**
     * Removes an extended attribute; fail with {@link Errno#ENODATA} if absent.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param name the attribute's full name, with its namespace
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> removexattr(Request req, long nodeId, String name) {
        return notImplemented();
    }

    /**
     * Checks {@code access(2)} permission ({@code mask} of R_OK 4, W_OK 2, X_OK 1, or F_OK 0); fail with EACCES to deny.
     * Not called when mounted with {@code default_permissions} (the kernel checks then).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param mask {@link Access} bits: {@code R_OK} 4, {@code W_OK} 2, {@code X_OK} 1 or'ed together, or {@code F_OK}
     *     0 (existence only)
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> access(Request req, long nodeId, int mask) {
        return notImplemented();
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
     * @return a stage completing with the new file's entry (counts as a lookup) together with its open handle
     */
    default CompletionStage<CreateReply> create(Request req, long parent, String name, int mode, int umask, int flags) {
        return notImplemented();
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
     * @return a stage completing with a lock that conflicts with {@code lock}, or {@link FileLock#unlocked()} if it
     *     could be taken
     */
    default CompletionStage<FileLock> getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) {
        return notImplemented();
    }

    /**
     * Acquires or releases a lock: a POSIX record lock, or with {@code flock} a BSD {@code flock()} lock. With
     * {@code sleep} ({@code F_SETLKW}) wait until it can be taken; otherwise fail with EAGAIN on conflict. Only called
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
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> setlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock,
            boolean sleep, boolean flock) {
        return notImplemented();
    }

    /**
     * Maps a file block to a device block (only for block-device backed filesystems, fuseblk).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param blocksize the block size the kernel counts in
     * @param block the block number within the file
     * @return a stage completing with the device block that holds {@code block}
     */
    default CompletionStage<Long> bmap(Request req, long nodeId, int blocksize, long block) {
        return notImplemented();
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
     * @return a stage completing with the command's result and output bytes (at most {@code outSize}), or a retry
     *     request for unrestricted ioctls
     */
    default CompletionStage<IoctlReply> ioctl(Request req, long nodeId, long fh, int flags, int cmd, long arg,
            byte[] in, int outSize) {
        return notImplemented();
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
     * @return a stage completing with the {@code POLL*} events ready now
     */
    default CompletionStage<Integer> poll(Request req, long nodeId, long fh, long kh, int flags, int events) {
        return notImplemented();
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
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> fallocate(Request req, long nodeId, long fh, long offset, long length, int mode) {
        return notImplemented();
    }

    /**
     * Finds data or holes: {@code whence} is {@code SEEK_DATA} (3) or {@code SEEK_HOLE} (4) (other whence values
     * are handled by the kernel). Fail with ENXIO past the end.
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the handle the filesystem chose when the file was opened ({@link OpenReply#of(long)}; 0 if open is
     *     left to its default)
     * @param offset where the search starts
     * @param whence {@code SEEK_DATA} (3) or {@code SEEK_HOLE} (4)
     * @return a stage completing with the offset of the data or hole found
     */
    default CompletionStage<Long> lseek(Request req, long nodeId, long fh, long offset, int whence) {
        return notImplemented();
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
     * @return a stage completing with the number of bytes copied; fewer than {@code length} is a short copy, as with
     *     {@code write}
     */
    default CompletionStage<Long> copyFileRange(Request req, long nodeIdIn, long fhIn, long offsetIn, long nodeIdOut,
            long fhOut, long offsetOut, long length, long flags) {
        return notImplemented();
    }

    /**
     * Flushes the whole filesystem ({@code syncfs(2)}).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the root of the mount (the kernel always sends the root)
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> syncfs(Request req, long nodeId) {
        return notImplemented();
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
     * @return a stage completing with the unnamed file's entry (counts as a lookup) together with its open handle
     */
    default CompletionStage<CreateReply> tmpfile(Request req, long parent, int mode, int umask, int flags) {
        return notImplemented();
    }

    /**
     * Extended attributes ({@code statx(2)}) with birth time; if not implemented the kernel uses getattr.
     *
     * @param flags {@code AT_STATX_*} sync flags
     * @param mask the {@code STATX_*} fields asked for
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param nodeId the node the request is about, as numbered in an earlier {@link Entry} (1 is the root)
     * @param fh the open file's handle when the call came through one, else empty
     * @return a stage completing with the node's extended attributes and how long the kernel may cache them
     */
    default CompletionStage<StatxReply> statx(Request req, long nodeId, OptionalLong fh, int flags, int mask) {
        return notImplemented();
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
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> setupMapping(Request req, long nodeId, long fh, long fileOffset, long length,
            long flags, long windowOffset) {
        return notImplemented();
    }

    /**
     * DAX: removes mappings from the DAX window (virtio-fs only).
     *
     * @param req who made the system call (uid, gid, pid, supplementary groups) and the request's unique id
     * @param windowOffsets where each mapping to remove starts in the DAX window
     * @param lengths the length of each mapping, in the same order
     * @return a stage that completes when the operation is done, or completes exceptionally to fail the request
     */
    default CompletionStage<Void> removeMapping(Request req, long[] windowOffsets, long[] lengths) {
        return notImplemented();
    }

    private static <T> CompletionStage<T> notImplemented() {
        return CompletableFuture.failedFuture(new FuseException(Errno.ENOSYS));
    }

    private static CompletionStage<Void> done() {
        return CompletableFuture.completedFuture(null);
    }
}
