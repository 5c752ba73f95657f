package dev.jfuser.testkit;

import java.util.List;

/**
 * A notification a filesystem sent through its {@link dev.jfuser.Notifier}, as {@link FakeKernel} decoded it from
 * the bytes on the wire ({@link FakeKernel#notifications()}). One record per FUSE notify code.
 */
public sealed interface Notification {
    /**
     * FUSE_NOTIFY_INVAL_INODE.
     *
     * @param node the node whose cached data and attributes are dropped
     * @param offset where the dropped data range starts; negative to drop the attributes only
     * @param length the range's length; 0 or negative for up to the end of the file
     */
    record InvalInode(long node, long offset, long length) implements Notification {}

    /**
     * FUSE_NOTIFY_INVAL_ENTRY; {@code expireOnly} when FUSE_EXPIRE_ONLY was set ({@code expireEntry}).
     *
     * @param parent the directory holding the name
     * @param name the name whose cached lookup is dropped
     * @param expireOnly whether it was only marked expired, not dropped
     */
    record InvalEntry(long parent, String name, boolean expireOnly) implements Notification {}

    /**
     * FUSE_NOTIFY_DELETE.
     *
     * @param parent the directory the name was removed from
     * @param child the node the name referred to
     * @param name the removed name
     */
    record Delete(long parent, long child, String name) implements Notification {}

    /**
     * FUSE_NOTIFY_STORE with its data.
     *
     * @param node the node whose cache is written
     * @param offset where the bytes go
     * @param data the bytes pushed into the kernel's page cache
     */
    record Store(long node, long offset, byte[] data) implements Notification {
        @Override
        public boolean equals(Object o) {
            return o instanceof Store s && s.node == node && s.offset == offset
                    && java.util.Arrays.equals(s.data, data);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(node) * 31 + Long.hashCode(offset) * 17 + java.util.Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Store[node=" + node + ", offset=" + offset + ", size=" + data.length + "]";
        }
    }

    /**
     * FUSE_NOTIFY_RETRIEVE; {@code notifyUnique} is the id the NOTIFY_REPLY answers with.
     *
     * @param node the node whose cached data is asked for
     * @param offset where the wanted range starts
     * @param size the most bytes wanted
     * @param notifyUnique the id the answer carries
     */
    record Retrieve(long node, long offset, int size, long notifyUnique) implements Notification {}

    /**
     * FUSE_NOTIFY_POLL for the poll handle {@code kh}.
     *
     * @param kh the poll handle from the POLL request whose waiters are woken
     */
    record PollWakeup(long kh) implements Notification {}

    /** FUSE_NOTIFY_RESEND. */
    record Resend() implements Notification {}

    /** FUSE_NOTIFY_INC_EPOCH. */
    record IncEpoch() implements Notification {}

    /**
     * FUSE_NOTIFY_PRUNE of {@code nodes}.
     *
     * @param nodes the node ids the kernel is asked to forget if it holds them unused
     */
    record Prune(List<Long> nodes) implements Notification {}
}
