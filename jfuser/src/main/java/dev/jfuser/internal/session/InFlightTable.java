package dev.jfuser.internal.session;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The requests of a session between arrival and reply, by unique id: found again by INTERRUPT, and failed with
 * EIO if still unanswered when the session ends.
 *
 * <p>A chained hash table whose chains run through {@link InFlight#nextInTable}, locked in stripes: adding and
 * removing a request allocates nothing (a {@code ConcurrentHashMap<Long, InFlight>} boxes the key and allocates
 * a node per request) and readers on different stripes never contend.
 */
final class InFlightTable {
    private static final int BUCKET_BITS = 12;
    private static final int STRIPE_BITS = 6;

    private final InFlight[] buckets = new InFlight[1 << BUCKET_BITS];
    private final Object[] locks = new Object[1 << STRIPE_BITS];
    private final AtomicInteger size = new AtomicInteger();

    InFlightTable() {
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
    }

    /** Kernel uniques step by 2 (bit 0 marks interrupts): mix them so consecutive ids spread over buckets. */
    private static int bucket(long unique) {
        return (int) ((unique * 0x9E37_79B9_7F4A_7C15L) >>> (64 - BUCKET_BITS));
    }

    private Object lock(int bucket) {
        return locks[bucket & (locks.length - 1)];
    }

    void put(InFlight r) {
        int b = bucket(r.unique);
        synchronized (lock(b)) {
            r.nextInTable = buckets[b];
            buckets[b] = r;
        }
        size.incrementAndGet();
    }

    /** The request in flight with this unique id, or null. */
    InFlight get(long unique) {
        int b = bucket(unique);
        synchronized (lock(b)) {
            for (InFlight r = buckets[b]; r != null; r = r.nextInTable) {
                if (r.unique == unique) {
                    return r;
                }
            }
        }
        return null;
    }

    /** Removes exactly {@code r} (not another request that reuses its id); returns whether it was there. */
    boolean remove(InFlight r) {
        int b = bucket(r.unique);
        synchronized (lock(b)) {
            InFlight prev = null;
            for (InFlight c = buckets[b]; c != null; prev = c, c = c.nextInTable) {
                if (c == r) {
                    if (prev == null) {
                        buckets[b] = c.nextInTable;
                    } else {
                        prev.nextInTable = c.nextInTable;
                    }
                    c.nextInTable = null;
                    size.decrementAndGet();
                    return true;
                }
            }
        }
        return false;
    }

    int size() {
        return size.get();
    }

    boolean isEmpty() {
        return size.get() == 0;
    }

    /** A copy of the requests in flight now (for the end of the session). */
    List<InFlight> snapshot() {
        List<InFlight> all = new ArrayList<>();
        for (int b = 0; b < buckets.length; b++) {
            synchronized (lock(b)) {
                for (InFlight r = buckets[b]; r != null; r = r.nextInTable) {
                    all.add(r);
                }
            }
        }
        return all;
    }
}
