package dev.jfuser;

import java.io.IOException;

/**
 * A filesystem whose live state can move to another process with its mount ({@link Mount#handOver}), implemented
 * next to {@link Filesystem} or {@link AsyncFilesystem}.
 *
 * <p>The kernel keeps using what the old process told it: node ids from LOOKUP, CREATE, MKNOD…, with their lookup
 * counts (a FORGET will come for each), and file handles from OPEN, CREATE and OPENDIR (RELEASE will come for
 * each). The new process must answer for all of them exactly as the old one would have. So the state returned here
 * must cover, at least: every node the kernel may still name (also files unlinked while open or still looked up)
 * under its node id, its lookup count, every open handle under its {@code fh} value, and the counters that hand out
 * new ids and handles (so a new id never repeats one the kernel still holds). The new process builds its filesystem
 * from these bytes ({@link HandoverState#filesystemState()}) before it calls {@link Fuse#resume}.
 *
 * <p>Not carried by the kernel either: locks held on the filesystem's side, pending lock waits, notification
 * retrieves in flight. A filesystem that has those must carry them in its state or refuse (throw).
 */
public interface HandoverSource {
    /**
     * Whether the filesystem can be handed over now, asked while it still serves, before the session stops: a
     * refusal here leaves the mount as it was and fails {@link Mount#handOver} with this exception. The default
     * accepts. A filesystem with state it cannot carry (a lock request waiting, say) throws, naming it.
     *
     * @throws IOException why the filesystem cannot be handed over now
     */
    default void checkHandover() throws IOException {
    }

    /**
     * The filesystem's state for the process taking the mount over. Called once, after the last request read was
     * answered and every handler returned, and before the kernel can send the next request to anyone: nothing
     * changes the filesystem meanwhile. The filesystem's {@code destroy} is not called on a hand-over: the mount
     * lives on.
     *
     * <p>Failing here ends the mount (the session has already stopped): every caller then gets an error. Prefer to
     * check what can fail before the hand-over is asked for.
     *
     * @return the bytes the next process restores from (any length up to 2 GiB, empty for a stateless filesystem)
     * @throws IOException if the state cannot be captured
     */
    byte[] handoverState() throws IOException;
}
