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
     */
    default void init(KernelConfig config) throws IOException {
    }

    /** Called once when the session ends (unmount), after the last request. */
    default void destroy() {
    }

    /** Looks up {@code name} in directory {@code parent}; fail with ENOENT (or answer a negative entry) if absent. */
    default CompletionStage<Entry> lookup(Request req, long parent, String name) {
        return notImplemented();
    }

    /**
     * The entry of node {@code nodeId} itself, found by its id alone (decoding a file handle whose inode the kernel
     * no longer caches); only called with {@link Capability#EXPORT_SUPPORT}. See {@link Filesystem#lookupNode} for
     * the rules (generation, ESTALE, root). The default answers {@code lookup(req, nodeId, ".")}.
     */
    default CompletionStage<Entry> lookupNode(Request req, long nodeId) {
        return lookup(req, nodeId, ".");
    }

    /**
     * The entry of the directory containing directory {@code nodeId} (reconnecting a decoded file handle to the
     * tree); only called with {@link Capability#EXPORT_SUPPORT}. See {@link Filesystem#lookupParent}. The default
     * answers {@code lookup(req, nodeId, "..")}.
     */
    default CompletionStage<Entry> lookupParent(Request req, long nodeId) {
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
    default CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
        return notImplemented();
    }

    /** Changes attributes: chmod, chown, truncate, utimens; answers the new attributes. */
    default CompletionStage<AttrReply> setattr(Request req, long nodeId, SetAttr changes) {
        return notImplemented();
    }

    /** The target of a symbolic link. */
    default CompletionStage<String> readlink(Request req, long nodeId) {
        return notImplemented();
    }

    /** Creates a file node: regular file, device, FIFO or socket ({@code mknod(2)}). */
    default CompletionStage<Entry> mknod(Request req, long parent, String name, int mode, int umask, int rdev) {
        return notImplemented();
    }

    /** Creates a directory; {@code mode} has the permission bits (the kernel may omit the type bits). */
    default CompletionStage<Entry> mkdir(Request req, long parent, String name, int mode, int umask) {
        return notImplemented();
    }

    /** Removes a non-directory entry; the node lives on while its lookup count is above zero. */
    default CompletionStage<Void> unlink(Request req, long parent, String name) {
        return notImplemented();
    }

    /** Removes an empty directory. */
    default CompletionStage<Void> rmdir(Request req, long parent, String name) {
        return notImplemented();
    }

    /** Creates a symbolic link {@code name} pointing at {@code target}. */
    default CompletionStage<Entry> symlink(Request req, long parent, String name, String target) {
        return notImplemented();
    }

    /**
     * Renames {@code parent/name} to {@code newParent/newName}. {@code flags} are those of {@code renameat2(2)}:
     * {@code RENAME_NOREPLACE} (1) and {@code RENAME_EXCHANGE} (2); a filesystem that does not support a flag
     * fails with EINVAL.
     */
    default CompletionStage<Void> rename(Request req, long parent, String name, long newParent, String newName,
            int flags) {
        return notImplemented();
    }

    /** Creates a hard link {@code newParent/newName} to {@code nodeId}. */
    default CompletionStage<Entry> link(Request req, long nodeId, long newParent, String newName) {
        return notImplemented();
    }

    /** Opens a file; the handle in the reply comes back with every operation on this open file. */
    default CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
        return CompletableFuture.completedFuture(OpenReply.of(0));
    }

    /**
     * Reads up to {@code size} bytes at {@code offset}. Return fewer bytes only at end of file (or for
     * {@link OpenReply#DIRECT_IO} files).
     *
     * @param flags the open flags of the file
     * @param lockOwner the lock owner, 0 if the kernel did not send one
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
     */
    default CompletionStage<Void> flush(Request req, long nodeId, long fh, long lockOwner) {
        return done();
    }

    /**
     * The last reference to an open file is gone; free the handle. Errors are not reported to anyone.
     *
     * @param flags the open flags
     * @param releaseFlags {@code RELEASE_FLUSH}, {@code RELEASE_FLOCK_UNLOCK} bits
     */
    default CompletionStage<Void> release(Request req, long nodeId, long fh, int flags, int releaseFlags,
            long lockOwner) {
        return done();
    }

    /**
     * Flushes a file's data (and metadata unless {@code datasync}) to stable storage. If not overridden, jfuser
     * answers ENOSYS, which the kernel reports to {@code fsync(2)} as success and remembers for the mount.
     */
    default CompletionStage<Void> fsync(Request req, long nodeId, long fh, boolean datasync) {
        return done();
    }

    /** Opens a directory for reading. */
    default CompletionStage<OpenReply> opendir(Request req, long nodeId, int flags) {
        return CompletableFuture.completedFuture(OpenReply.of(0));
    }

    /** Lists a directory from {@code offset}, adding entries to {@code listing} until it is full. */
    default CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        return notImplemented();
    }

    /**
     * Lists a directory with attributes (requires {@link Capability#READDIRPLUS}); every entry added with an
     * {@link Entry} counts as a lookup.
     */
    default CompletionStage<Void> readdirplus(Request req, long nodeId, long fh, long offset,
            DirectoryListing listing) {
        return notImplemented();
    }

    /** Closes a directory opened by {@link #opendir}. */
    default CompletionStage<Void> releasedir(Request req, long nodeId, long fh, int flags) {
        return done();
    }

    /** Syncs a directory's contents. Not overridden, it is answered like {@link #fsync}: success, once. */
    default CompletionStage<Void> fsyncdir(Request req, long nodeId, long fh, boolean datasync) {
        return done();
    }

    /** Filesystem statistics ({@code statfs}, {@code df}). */
    default CompletionStage<FsStats> statfs(Request req, long nodeId) {
        return CompletableFuture.completedFuture(FsStats.DEFAULT);
    }

    /**
     * Sets an extended attribute.
     *
     * @param flags {@code XATTR_CREATE} (1: fail with EEXIST if present) or {@code XATTR_REPLACE} (2: fail with
     *     ENODATA if absent)
     * @param setxattrFlags {@code SETXATTR_ACL_KILL_SGID} with {@link Capability#SETXATTR_EXT}, else 0
     */
    default CompletionStage<Void> setxattr(Request req, long nodeId, String name, byte[] value, int flags,
            int setxattrFlags) {
        return notImplemented();
    }

    /**
     * The value of an extended attribute; fail with {@link Errno#ENODATA} if absent. Size probes and ERANGE for
     * short caller buffers are handled by the library.
     */
    default CompletionStage<byte[]> getxattr(Request req, long nodeId, String name) {
        return notImplemented();
    }

    /** The names of a node's extended attributes (size probes and ERANGE handled by the library). */
    default CompletionStage<List<String>> listxattr(Request req, long nodeId) {
        return notImplemented();
    }

    /** Removes an extended attribute; fail with {@link Errno#ENODATA} if absent. */
    default CompletionStage<Void> removexattr(Request req, long nodeId, String name) {
        return notImplemented();
    }

    /**
     * Checks {@code access(2)} permission ({@code mask} of R_OK 4, W_OK 2, X_OK 1, or F_OK 0); fail with EACCES to deny.
     * Not called when mounted with {@code default_permissions} (the kernel checks then).
     */
    default CompletionStage<Void> access(Request req, long nodeId, int mask) {
        return notImplemented();
    }

    /**
     * Creates and opens a regular file in one step. If not implemented (ENOSYS), the kernel falls back to
     * mknod + open.
     */
    default CompletionStage<CreateReply> create(Request req, long parent, String name, int mode, int umask, int flags) {
        return notImplemented();
    }

    /** Tests for a conflicting POSIX lock ({@code F_GETLK}); answer {@link FileLock#unlocked()} if none. */
    default CompletionStage<FileLock> getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) {
        return notImplemented();
    }

    /**
     * Acquires or releases a lock: a POSIX record lock, or with {@code flock} a BSD {@code flock()} lock. With
     * {@code sleep} ({@code F_SETLKW}) wait until it can be taken; otherwise fail with EAGAIN on conflict. Only called
     * when {@link Capability#POSIX_LOCKS} / {@link Capability#FLOCK_LOCKS} are enabled.
     */
    default CompletionStage<Void> setlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock,
            boolean sleep, boolean flock) {
        return notImplemented();
    }

    /** Maps a file block to a device block (only for block-device backed filesystems, fuseblk). */
    default CompletionStage<Long> bmap(Request req, long nodeId, int blocksize, long block) {
        return notImplemented();
    }

    /**
     * A restricted ioctl: {@code in} holds the command's input bytes, the reply at most {@code outSize} bytes.
     *
     * @param flags {@code IOCTL_*} bits ({@code IOCTL_DIR} for directories, {@code IOCTL_COMPAT} for 32-bit)
     */
    default CompletionStage<IoctlReply> ioctl(Request req, long nodeId, long fh, int flags, int cmd, long arg,
            byte[] in, int outSize) {
        return notImplemented();
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
    default CompletionStage<Integer> poll(Request req, long nodeId, long fh, long kh, int flags, int events) {
        return notImplemented();
    }

    /**
     * Allocates or deallocates space ({@code fallocate(2)}): {@code mode} 0 allocates and extends,
     * {@code FALLOC_FL_KEEP_SIZE} (1) allocates without growing, {@code FALLOC_FL_PUNCH_HOLE} (2, with KEEP_SIZE)
     * frees a range.
     */
    default CompletionStage<Void> fallocate(Request req, long nodeId, long fh, long offset, long length, int mode) {
        return notImplemented();
    }

    /**
     * Finds data or holes: {@code whence} is {@code SEEK_DATA} (3) or {@code SEEK_HOLE} (4) (other whence values
     * are handled by the kernel). Fail with ENXIO past the end.
     */
    default CompletionStage<Long> lseek(Request req, long nodeId, long fh, long offset, int whence) {
        return notImplemented();
    }

    /** Copies a range between two open files on this filesystem without passing data through the caller. */
    default CompletionStage<Long> copyFileRange(Request req, long nodeIdIn, long fhIn, long offsetIn, long nodeIdOut,
            long fhOut, long offsetOut, long length, long flags) {
        return notImplemented();
    }

    /** Flushes the whole filesystem ({@code syncfs(2)}). */
    default CompletionStage<Void> syncfs(Request req, long nodeId) {
        return notImplemented();
    }

    /**
     * Creates an unnamed temporary file in directory {@code parent} ({@code O_TMPFILE}) and opens it; it can later
     * be given a name with {@link #link}.
     */
    default CompletionStage<CreateReply> tmpfile(Request req, long parent, int mode, int umask, int flags) {
        return notImplemented();
    }

    /**
     * Extended attributes ({@code statx(2)}) with birth time; if not implemented the kernel uses getattr.
     *
     * @param flags {@code AT_STATX_*} sync flags
     * @param mask the {@code STATX_*} fields asked for
     */
    default CompletionStage<StatxReply> statx(Request req, long nodeId, OptionalLong fh, int flags, int mask) {
        return notImplemented();
    }

    /** DAX: maps a file range into the DAX window (virtio-fs only; regular mounts never send it). */
    default CompletionStage<Void> setupMapping(Request req, long nodeId, long fh, long fileOffset, long length,
            long flags, long windowOffset) {
        return notImplemented();
    }

    /** DAX: removes mappings from the DAX window (virtio-fs only). */
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
