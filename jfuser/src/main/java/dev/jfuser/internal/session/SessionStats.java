package dev.jfuser.internal.session;

import dev.jfuser.Errno;
import dev.jfuser.MountStats;
import dev.jfuser.OperationStats;
import dev.jfuser.Transport;
import dev.jfuser.protocol.Opcode;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A session's counters: per opcode the replies, their errors by errno and a latency histogram; per session the
 * INTERRUPTs, notifications and malformed requests. Always on (docs/decisions.md, "Statistics").
 *
 * <p>Hot path: {@link #replied} allocates nothing and costs two uncontended atomic adds for a success (its latency
 * bucket and the latency sum), two more for an error. Each opcode's counters are striped: a thread adds to the
 * stripe its id hashes to, so the readers and handler threads of one opcode rarely write the same cache line. The
 * histogram is log-linear: exact below 8 ns, then 8 buckets per power of two, so a bucket is at most 1/8 of its
 * value wide and a percentile (the middle of its bucket) is within 1/16 of the truth; from 2^36 × 15/8 ns
 * (129 s) on everything lands in the last bucket. The maximum is kept exactly.
 */
public final class SessionStats {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Linear sub-buckets per power of two: 2^SUB_BITS. */
    private static final int SUB_BITS = 3;
    private static final int SUB = 1 << SUB_BITS;
    /** Latencies at or above 2^MAX_EXP ns share the last bucket. */
    private static final int MAX_EXP = 37;
    static final int BUCKETS = (MAX_EXP - SUB_BITS + 1) * SUB;
    // Slots of a stripe: the latency sum, the error count, the maximum, then the buckets.
    private static final int SUM = 0;
    private static final int ERRORS = 1;
    private static final int MAX = 2;
    private static final int FIRST_BUCKET = 3;
    /** Errno counts 1..133 by code; every other code in the last slot. */
    private static final int ERRNO_SLOTS = 135;
    private static final Opcode[] OPCODES = Opcode.values();

    private final int stripeMask;
    /** Per opcode (by ordinal; the last slot for requests of no known opcode), created at its first reply. */
    private final AtomicReferenceArray<OpCounters> byOpcode = new AtomicReferenceArray<>(OPCODES.length + 1);
    private final LongAdder interrupts = new LongAdder();
    private final LongAdder notifications = new LongAdder();
    private final LongAdder notificationErrors = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final long startNanos = System.nanoTime();

    public SessionStats() {
        int cpus = Runtime.getRuntime().availableProcessors();
        // Twice the CPUs (a power of two, at most 16): two busy threads seldom hash to one stripe.
        int stripes = Math.min(16, Integer.highestOneBit(Math.max(1, cpus * 2 - 1)) << 1);
        this.stripeMask = stripes - 1;
    }

    /** The histogram bucket of a latency. */
    static int bucket(long nanos) {
        if (nanos < SUB) {
            return nanos <= 0 ? 0 : (int) nanos;
        }
        int exp = 63 - Long.numberOfLeadingZeros(nanos);
        if (exp >= MAX_EXP) {
            return BUCKETS - 1;
        }
        return (exp - SUB_BITS + 1) * SUB + (int) ((nanos >>> (exp - SUB_BITS)) & (SUB - 1));
    }

    /** The smallest latency of a bucket. */
    static long bucketLow(int bucket) {
        if (bucket < SUB) {
            return bucket;
        }
        int exp = bucket / SUB + SUB_BITS - 1;
        return (long) (SUB + bucket % SUB) << (exp - SUB_BITS);
    }

    /** The largest latency of a bucket (the last one is open-ended: Long.MAX_VALUE). */
    static long bucketHigh(int bucket) {
        return bucket == BUCKETS - 1 ? Long.MAX_VALUE : bucketLow(bucket + 1) - 1;
    }

    /**
     * Counts one reply to a request of {@code opcode} (null: an opcode this protocol version does not define),
     * answered with {@code error} (null: success), {@code startNanos} ({@link System#nanoTime}) after it was read.
     */
    void replied(Opcode opcode, Errno error, long startNanos) {
        long nanos = System.nanoTime() - startNanos;
        OpCounters c = counters(opcode);
        long[] s = c.stripes[stripe()];
        LONGS.getAndAdd(s, FIRST_BUCKET + bucket(nanos), 1L);
        LONGS.getAndAdd(s, SUM, nanos);
        if (nanos > (long) LONGS.getOpaque(s, MAX)) {
            raiseMax(s, nanos);
        }
        if (error != null) {
            LONGS.getAndAdd(s, ERRORS, 1L);
            int code = error.code();
            c.errnos.getAndIncrement(code > 0 && code < ERRNO_SLOTS - 1 ? code : ERRNO_SLOTS - 1);
        }
    }

    private static void raiseMax(long[] s, long nanos) {
        long seen = (long) LONGS.getVolatile(s, MAX);
        while (nanos > seen) {
            long witness = (long) LONGS.compareAndExchange(s, MAX, seen, nanos);
            if (witness == seen) {
                return;
            }
            seen = witness;
        }
    }

    private int stripe() {
        long id = Thread.currentThread().threadId();
        return (int) ((id * 0x9E3779B97F4A7C15L) >>> 40) & stripeMask;
    }

    private OpCounters counters(Opcode opcode) {
        int i = opcode == null ? OPCODES.length : opcode.ordinal();
        OpCounters c = byOpcode.get(i);
        if (c == null) {
            OpCounters made = new OpCounters(stripeMask + 1);
            c = byOpcode.compareAndExchange(i, null, made);
            if (c == null) {
                c = made;
            }
        }
        return c;
    }

    /** An INTERRUPT arrived. */
    void interrupted() {
        interrupts.increment();
    }

    /** A notification went out; {@code refused}: the kernel answered it with an error. */
    void notified(boolean refused) {
        notifications.increment();
        if (refused) {
            notificationErrors.increment();
        }
    }

    /** A request could not be decoded. */
    void malformed() {
        malformed.increment();
    }

    /**
     * The counters now, with the session's state passed in.
     *
     * @param transport the transport requests travel on
     * @param inFlight requests being handled
     * @param parked requests waiting for a permit
     * @param unmatchedNotifyReplies NOTIFY_REPLY messages that matched no pending retrieve
     */
    public MountStats snapshot(Transport transport, int inFlight, int parked, long unmatchedNotifyReplies) {
        List<OperationStats> ops = new ArrayList<>();
        long unknown = 0;
        for (int i = 0; i <= OPCODES.length; i++) {
            OpCounters c = byOpcode.get(i);
            if (c == null) {
                continue;
            }
            if (i == OPCODES.length) {
                unknown = c.sum().count;
                continue;
            }
            Summed sum = c.sum();
            if (sum.count == 0) {
                continue;
            }
            ops.add(new OperationStats(OPCODES[i], sum.count, sum.errors, sum.byErrno(),
                    Duration.ofNanos(sum.total), Duration.ofNanos(sum.percentile(0.50)),
                    Duration.ofNanos(sum.percentile(0.90)), Duration.ofNanos(sum.percentile(0.99)),
                    Duration.ofNanos(sum.max)));
        }
        return new MountStats(Duration.ofNanos(System.nanoTime() - startNanos), transport, ops, unknown, inFlight,
                parked, interrupts.sum(), notifications.sum(), notificationErrors.sum(), unmatchedNotifyReplies,
                malformed.sum());
    }

    /** One opcode's counters: a stripe per hashed thread, errno counts shared. */
    private static final class OpCounters {
        final long[][] stripes;
        final AtomicLongArray errnos = new AtomicLongArray(ERRNO_SLOTS);

        OpCounters(int stripes) {
            this.stripes = new long[stripes][FIRST_BUCKET + BUCKETS];
        }

        Summed sum() {
            Summed s = new Summed();
            for (long[] stripe : stripes) {
                s.total += (long) LONGS.getVolatile(stripe, SUM);
                s.errors += (long) LONGS.getVolatile(stripe, ERRORS);
                s.max = Math.max(s.max, (long) LONGS.getVolatile(stripe, MAX));
                for (int b = 0; b < BUCKETS; b++) {
                    long n = (long) LONGS.getVolatile(stripe, FIRST_BUCKET + b);
                    s.buckets[b] += n;
                    s.count += n;
                }
            }
            for (int e = 1; e < ERRNO_SLOTS; e++) {
                s.errnos[e] = errnos.get(e);
            }
            return s;
        }
    }

    /** The stripes of one opcode added up (read while they may still change: each slot is read once). */
    private static final class Summed {
        final long[] buckets = new long[BUCKETS];
        final long[] errnos = new long[ERRNO_SLOTS];
        long count;
        long errors;
        long total;
        long max;

        /**
         * The latency a fraction {@code q} of the replies stayed within: the middle of its bucket (at most the
         * maximum), or the maximum itself when that is the value asked for.
         */
        long percentile(double q) {
            long rank = Math.max(1, (long) Math.ceil(q * count));
            if (rank >= count) {
                return max; // the largest value, known exactly (a p99 of fewer than 100 replies, or of one)
            }
            long seen = 0;
            for (int b = 0; b < BUCKETS; b++) {
                seen += buckets[b];
                if (seen >= rank) {
                    long low = bucketLow(b);
                    long high = b == BUCKETS - 1 ? max : bucketHigh(b);
                    return Math.min(max, low + (high - low) / 2);
                }
            }
            return max;
        }

        /** Counts by errno, in code order; codes outside 1..133 (none Linux has) count in errors only. */
        Map<Errno, Long> byErrno() {
            Map<Errno, Long> m = new LinkedHashMap<>();
            for (int e = 1; e < ERRNO_SLOTS - 1; e++) {
                if (errnos[e] != 0) {
                    m.put(Errno.of(e), errnos[e]);
                }
            }
            return m;
        }
    }
}
