package dev.jfuser;

import dev.jfuser.protocol.Opcode;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one kind of request did over a session so far: how many were answered, how many with an error (and which),
 * and how long they took, from the request read off the kernel's queue to its reply written back. Part of a
 * {@link MountStats} snapshot; immutable.
 *
 * <p>Percentiles come from a histogram with 8 buckets per power of two and are the middle of their bucket: within
 * 1/16 (6.25%) of the true value, exact below 8 ns. {@link #max()} and {@link #total()} are exact.
 *
 * @param opcode the kind of request
 * @param count replies sent (FORGET and BATCH_FORGET, which get none: requests handled)
 * @param errors replies that were an error
 * @param errorsByErrno the errors by errno, in code order (only those that occurred)
 * @param total the latencies added up (divided by {@code count}: the mean, see {@link #mean()})
 * @param p50 the median latency
 * @param p90 the latency 90% of the requests stayed within
 * @param p99 the latency 99% of the requests stayed within
 * @param max the longest latency
 */
public record OperationStats(Opcode opcode, long count, long errors, Map<Errno, Long> errorsByErrno,
                             Duration total, Duration p50, Duration p90, Duration p99, Duration max) {

    /**
     * Checks and copies the values.
     *
     * @throws NullPointerException if a value is null
     * @throws IllegalArgumentException if a count is negative or there are more errors than replies
     */
    public OperationStats {
        Objects.requireNonNull(opcode, "opcode");
        Objects.requireNonNull(total, "total");
        Objects.requireNonNull(p50, "p50");
        Objects.requireNonNull(p90, "p90");
        Objects.requireNonNull(p99, "p99");
        Objects.requireNonNull(max, "max");
        if (count < 0 || errors < 0 || errors > count) {
            throw new IllegalArgumentException("count " + count + " and errors " + errors
                    + ": both must be at least 0, errors at most count");
        }
        errorsByErrno = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(errorsByErrno,
                "errorsByErrno")));
    }

    /**
     * The mean latency.
     *
     * @return {@code total / count}, zero when nothing was counted
     */
    public Duration mean() {
        return count == 0 ? Duration.ZERO : total.dividedBy(count);
    }

    /**
     * How many replies were {@code errno}.
     *
     * @param errno the error to look up
     * @return how many replies were that error (0 if none)
     */
    public long errors(Errno errno) {
        return errorsByErrno.getOrDefault(errno, 0L);
    }
}
