package dev.jfuser.testkit;

import java.util.List;

/**
 * A notification a filesystem sent through its {@link dev.jfuser.Notifier}, as {@link FakeKernel} decoded it from
 * the bytes on the wire ({@link FakeKernel#notifications()}). One record per FUSE notify code.
 */
public sealed interface Notification {
    /** FUSE_NOTIFY_INVAL_INODE. */
    record InvalInode(long node, long offset, long length) implements Notification {}

    /** FUSE_NOTIFY_INVAL_ENTRY; {@code expireOnly} when FUSE_EXPIRE_ONLY was set ({@code expireEntry}). */
    record InvalEntry(long parent, String name, boolean expireOnly) implements Notification {}

    /** FUSE_NOTIFY_DELETE. */
    record Delete(long parent, long child, String name) implements Notification {}

    /** FUSE_NOTIFY_STORE with its data. */
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

    /** FUSE_NOTIFY_RETRIEVE; {@code notifyUnique} is the id the NOTIFY_REPLY answers with. */
    record Retrieve(long node, long offset, int size, long notifyUnique) implements Notification {}

    /** FUSE_NOTIFY_POLL for the poll handle {@code kh}. */
    record PollWakeup(long kh) implements Notification {}

    /** FUSE_NOTIFY_RESEND. */
    record Resend() implements Notification {}

    /** FUSE_NOTIFY_INC_EPOCH. */
    record IncEpoch() implements Notification {}

    /** FUSE_NOTIFY_PRUNE of {@code nodes}. */
    record Prune(List<Long> nodes) implements Notification {}
}
