package dev.jfuser.internal.session;

/**
 * INTERRUPTs whose request has not been seen yet, kept until it arrives (as libfuse does).
 *
 * <p>The kernel queues an INTERRUPT only for a request a reader has already read, but with several readers (or a
 * reader and an io_uring queue) the INTERRUPT can be handled before the request is registered. Answering EAGAIN
 * then, as the protocol allows, makes the kernel queue the INTERRUPT again only if the reply goes to the very
 * descriptor that read the request (fs/fuse/dev.c looks the request up on that descriptor's processing list) —
 * which the reader of the INTERRUPT cannot know. So the INTERRUPT is remembered here and applied when the request
 * arrives. Most entries are stale (the request was answered just before its INTERRUPT was read); an entry is
 * given up after {@link #EXPIRY_NANOS} and answered EAGAIN then, on every descriptor, as a last resort.
 *
 * <p>Not thread-safe: the session locks this object around every use, and decides without the lock, through
 * {@link #mayHoldAny}, whether a request arriving needs to look at all. {@link #announce} raises that hint before
 * the in-flight table is searched, so a request registered concurrently either is found by the INTERRUPT or sees
 * the hint and finds the INTERRUPT here.
 */
final class PendingInterrupts {
    /** Remembered at most; beyond that an INTERRUPT is answered EAGAIN at once, as before. */
    static final int CAPACITY = 64;
    /** How long an INTERRUPT waits for its request before it is given up. */
    static final long EXPIRY_NANOS = 1_000_000_000L;

    private final long[] targets = new long[CAPACITY];
    private final long[] interruptUniques = new long[CAPACITY];
    private final long[] since = new long[CAPACITY];
    private int size;
    /** {@link #size}, or one more while an INTERRUPT is being looked up: readable without the lock. */
    private volatile int hint;

    /** Whether an arriving request must look here: false only when nothing is (about to be) remembered. */
    boolean mayHoldAny() {
        return hint != 0;
    }

    /** Before the in-flight table is searched for an INTERRUPT's target: see the class comment. */
    void announce() {
        hint = size + 1;
    }

    /** After that search: the hint is the size again. */
    void settle() {
        hint = size;
    }

    /**
     * Remembers an INTERRUPT ({@code interruptUnique} is its own unique, the one a reply to it carries) for
     * {@code target}; false when full.
     */
    boolean add(long target, long interruptUnique, long now) {
        if (size == CAPACITY) {
            return false;
        }
        targets[size] = target;
        interruptUniques[size] = interruptUnique;
        since[size] = now;
        size++;
        return true;
    }

    /** Forgets and returns whether an INTERRUPT for {@code target} was remembered (its request just arrived). */
    boolean remove(long target) {
        for (int i = 0; i < size; i++) {
            if (targets[i] == target) {
                removeAt(i);
                return true;
            }
        }
        return false;
    }

    /** The INTERRUPTs (their own uniques) remembered longer than {@link #EXPIRY_NANOS}, forgotten now; or null. */
    long[] removeExpired(long now) {
        int expired = 0;
        for (int i = 0; i < size; i++) {
            if (now - since[i] > EXPIRY_NANOS) {
                expired++;
            }
        }
        if (expired == 0) {
            return null;
        }
        long[] out = new long[expired];
        int n = 0;
        for (int i = 0; i < size; ) {
            if (now - since[i] > EXPIRY_NANOS) {
                out[n++] = interruptUniques[i];
                removeAt(i);
            } else {
                i++;
            }
        }
        return out;
    }

    int size() {
        return size;
    }

    private void removeAt(int i) {
        // Order is kept (oldest first) so removeExpired stays a simple scan.
        int tail = size - i - 1;
        System.arraycopy(targets, i + 1, targets, i, tail);
        System.arraycopy(interruptUniques, i + 1, interruptUniques, i, tail);
        System.arraycopy(since, i + 1, since, i, tail);
        size--;
        hint = size;
    }
}
