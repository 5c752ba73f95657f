package dev.jfuser;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * Lets a filesystem speak first: FUSE notifications, which tell the kernel that something it caches changed (or
 * push data into its cache) without waiting for a request.
 *
 * <p>A filesystem that lets the kernel cache (entry and attribute timeouts, {@link OpenReply} with keep-cache,
 * {@link Capability#WRITEBACK_CACHE}, {@link Capability#EXPLICIT_INVAL_DATA}) and whose content changes behind the
 * kernel's back (a network filesystem, a clock, another writer) stays correct by calling these methods when it
 * learns of the change. Get the notifier from {@link KernelConfig#notifier()} in {@code init} (keep it in a field)
 * or from {@link Mount#notifier()}; it works from the moment {@code init} returns until the session ends.
 *
 * <p>Each method writes one message on the mount's /dev/fuse descriptor (also when requests travel over io_uring:
 * the kernel takes notifications only there) and returns when the kernel has applied it. Calls are safe from any
 * thread, at any time, also while requests are in flight. They block only for the kernel's work (a write(2));
 * the one caveat is the kernel's own locking: do not invalidate or store into a node from a request handler while
 * that request holds the node's pages or directory locked (for example {@code invalInode} of the file being read
 * from inside its {@code read}), since the kernel would wait for the very reply the handler has not sent yet.
 *
 * <p>Errors: a notification the kernel refuses throws {@link FuseException} with the kernel's errno, e.g.
 * {@link Errno#ENOENT} when the kernel holds no inode for the node (never looked up, or forgotten: there is then
 * nothing cached to invalidate, which callers usually ignore), {@link Errno#ENOTDIR} when a parent is not a
 * directory, {@link Errno#EINVAL} or {@link Errno#ENOSYS} from a kernel that does not know the notification.
 * After the session ended (unmounted, aborted) every method throws {@link FuseException} with
 * {@link Errno#ENOTCONN}. A notification this kernel's protocol version or offer cannot carry throws
 * {@link UnsupportedOperationException} naming what is missing, before anything is written.
 *
 * <p>Node ids are those the filesystem handed to the kernel in {@link Entry} replies ({@code 1} is the root). Names
 * are sent as the bytes {@link Names#bytes} gives, so a name received in a request names the same entry here; a
 * name that is empty, longer than 255 bytes, contains '/' or NUL, or has no bytes throws
 * {@link IllegalArgumentException}.
 */
public interface Notifier {

    /**
     * FUSE_NOTIFY_INVAL_INODE: the kernel forgets the node's cached attributes (the next stat asks GETATTR) and
     * drops its cached pages in {@code [offset, offset + length)}, so the next read of that range asks READ.
     * {@code length} 0 or negative means up to the end of the file; a negative {@code offset} invalidates the
     * attributes only and keeps the pages. Pages a process has mapped are unmapped first, and dirty pages of a
     * writeback cache are written back before they are dropped.
     *
     * @param node the node whose cache is dropped
     * @param offset the first byte of the page range to drop; negative to drop the attributes only
     * @param length the range's length in bytes; 0 or negative for up to the end of the file
     * @throws FuseException ENOENT if the kernel holds no inode for {@code node}
     */
    void invalInode(long node, long offset, long length) throws IOException;

    /**
     * FUSE_NOTIFY_INVAL_ENTRY: the kernel drops the cached name {@code name} in directory {@code parent} (the next
     * path walk through it asks LOOKUP again, so a new or replaced file appears) and the directory's cached
     * attributes. Unlike {@link #delete}, the inode the name pointed to is left alone: processes that have it
     * open keep using it.
     *
     * @param parent the directory holding the name
     * @param name the cached name to drop
     * @throws FuseException ENOENT if the kernel caches no such name (nothing to drop) or no inode for
     *     {@code parent}; ENOTDIR if {@code parent} is not a directory
     */
    void invalEntry(long parent, String name) throws IOException;

    /**
     * FUSE_NOTIFY_INVAL_ENTRY with FUSE_EXPIRE_ONLY: the cached name {@code name} in {@code parent} only expires,
     * as if its entry timeout had passed. It stays in the dentry cache and is revalidated (a LOOKUP) at its next
     * use instead of being dropped at once, so a current working directory or a mount on it is not torn away.
     *
     * @param parent the directory holding the name
     * @param name the cached name to expire
     * @throws UnsupportedOperationException naming FUSE_HAS_EXPIRE_ONLY if the kernel does not offer it
     *     (protocol 7.38, Linux 6.2)
     * @throws FuseException ENOENT if the kernel caches no such name
     */
    void expireEntry(long parent, String name) throws IOException;

    /**
     * FUSE_NOTIFY_DELETE: {@code name} in {@code parent}, which points to node {@code child}, was deleted. The
     * kernel drops the name like {@link #invalEntry} and also marks the child unlinked (link count 0, and an
     * empty directory dead), so {@code inotify} watchers see the deletion and processes holding the file see it
     * gone, as after an unlink through the mount.
     *
     * @param parent the directory the name was removed from
     * @param child the node the name pointed to
     * @param name the deleted name
     * @throws FuseException ENOENT if the name is not cached or points to another node; ENOTEMPTY if
     *     {@code child} is a directory the kernel still caches entries in; EBUSY if it is a mount point
     */
    void delete(long parent, long child, String name) throws IOException;

    /**
     * FUSE_NOTIFY_STORE: the kernel puts the remaining bytes of {@code data} into its page cache of {@code node}
     * at {@code offset}, as if it had read them, growing the cached file size if they reach past it. Later reads
     * of those pages are served from the cache without a READ (while the file keeps its cache).
     *
     * @param node the node whose page cache is filled
     * @param offset the file offset of the first byte
     * @param data the bytes to cache, from position to limit
     * @throws FuseException ENOENT if the kernel holds no inode for {@code node}
     */
    void store(long node, long offset, ByteBuffer data) throws IOException;

    /**
     * {@link #store(long, long, ByteBuffer)} of a byte array.
     *
     * @param node the node whose page cache is filled
     * @param offset the file offset of the first byte
     * @param data the bytes to cache
     * @throws IOException as {@link #store(long, long, ByteBuffer)}
     */
    default void store(long node, long offset, byte[] data) throws IOException {
        store(node, offset, ByteBuffer.wrap(data));
    }

    /**
     * FUSE_NOTIFY_RETRIEVE: asks the kernel for the bytes of {@code node} it has in its page cache from
     * {@code offset}, at most {@code size} (and at most the negotiated max_write). The kernel answers with a
     * NOTIFY_REPLY message carrying the cached bytes from {@code offset} up to the first page it does not hold or
     * the cached end of file (possibly none); the future completes with exactly those bytes. Typical use: get back
     * data written through a writeback cache, or check what readers currently see.
     *
     * <p>The future fails with {@link FuseException} if the kernel refuses the request (ENOENT: no inode for
     * {@code node}) or the session ends before the answer arrives. Cancelling it (or completing it, e.g. by
     * {@code orTimeout}) forgets the request; an answer arriving later is counted in
     * {@link #unmatchedReplies()} and otherwise ignored.
     *
     * @param node the node whose cached data is wanted
     * @param offset the file offset to start from
     * @param size the most bytes wanted
     * @return a future completing with the cached bytes (possibly none), or failing as described
     */
    CompletableFuture<byte[]> retrieve(long node, long offset, int size);

    /**
     * FUSE_NOTIFY_POLL: wakes the processes waiting in {@code poll(2)}, {@code select(2)} or {@code epoll} on the
     * file whose POLL request carried {@code kh} (see {@link Filesystem#poll}); the kernel then sends POLL again
     * to learn the new events. A handle the kernel no longer knows (the file was closed) is ignored by the kernel.
     *
     * @param kh the handle from the POLL request ({@link Filesystem#poll}'s {@code kh})
     * @throws IOException if the session has ended ({@link FuseException} ENOTCONN) or the kernel refuses the
     *     notification
     */
    void pollWakeup(long kh) throws IOException;

    /**
     * FUSE_NOTIFY_RESEND: the kernel sends again every request the filesystem has read from /dev/fuse and not
     * answered yet (their unique ids carry bit 63, FUSE_UNIQUE_RESEND); replies to the old copies are dropped.
     * For a filesystem that lost requests (a restarted worker). Requests on io_uring queues are not resent.
     *
     * @throws UnsupportedOperationException naming FUSE_HAS_RESEND if the kernel does not offer it (7.40, Linux
     *     6.9)
     * @throws IOException if the session has ended ({@link FuseException} ENOTCONN) or the kernel refuses the
     *     notification
     */
    void resend() throws IOException;

    /**
     * FUSE_NOTIFY_INC_EPOCH: the kernel starts a new epoch, in which every name it cached before counts as
     * expired and is looked up again at its next use: invalidates the whole dentry cache of the mount at once
     * (after a bulk change such as a snapshot switch).
     *
     * @throws UnsupportedOperationException if the kernel speaks a protocol older than 7.44
     * @throws IOException if the session has ended ({@link FuseException} ENOTCONN) or the kernel refuses the
     *     notification
     */
    void incEpoch() throws IOException;

    /**
     * FUSE_NOTIFY_PRUNE: asks the kernel to drop the unused cached names of each node in {@code nodes}, so that
     * inodes no process uses are evicted and FORGET reaches the filesystem soon (to reclaim memory of a large
     * tree). Nodes in use, and nodes the kernel does not know, are skipped silently.
     *
     * @param nodes the nodes whose unused names the kernel should drop
     * @throws UnsupportedOperationException if the kernel speaks a protocol older than 7.45
     * @throws IOException if the session has ended ({@link FuseException} ENOTCONN) or the kernel refuses the
     *     notification
     */
    void prune(long... nodes) throws IOException;

    /**
     * NOTIFY_REPLY messages that matched no pending {@link #retrieve} (late, after a cancel, or unknown).
     *
     * @return how many such replies arrived since the session started
     */
    long unmatchedReplies();
}
