package dev.jfuser;

import dev.jfuser.protocol.Opcode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of a session's counters ({@link Mount#stats()}): per kind of request its count, errors and latency
 * percentiles, and the session's own traffic. Counting is always on and costs no allocation per request; a snapshot
 * adds up the counters at the moment it is taken and is immutable. {@link #table()} formats it for people.
 *
 * @param uptime how long the session has been running (since it was created)
 * @param transport the transport requests travel on
 * @param operations one entry per opcode that was answered at least once, in opcode order
 * @param unknownOpcodes requests with an opcode this protocol version does not define (answered ENOSYS)
 * @param inFlight requests being handled now
 * @param parked requests read beyond {@link SessionOptions#maxInFlight()} and waiting to be handled now
 * @param interrupts FUSE_INTERRUPTs received (the INTERRUPT entry of {@code operations} counts only those the
 *     session answered, with EAGAIN, when it never saw the request)
 * @param notifications notifications sent to the kernel ({@link Notifier})
 * @param notificationErrors notifications the kernel refused (ENOENT for a node it does not cache, …)
 * @param unmatchedNotifyReplies replies to a {@link Notifier#retrieve} that came after it was given up, or matched
 *     none
 * @param malformedRequests requests that could not be decoded (answered EIO where they had a unique id)
 */
public record MountStats(Duration uptime, Transport transport, List<OperationStats> operations, long unknownOpcodes,
                         int inFlight, int parked, long interrupts, long notifications, long notificationErrors,
                         long unmatchedNotifyReplies, long malformedRequests) {

    /**
     * Checks and copies the values.
     *
     * @throws NullPointerException if {@code uptime}, {@code transport} or {@code operations} is null
     */
    public MountStats {
        Objects.requireNonNull(uptime, "uptime");
        Objects.requireNonNull(transport, "transport");
        operations = List.copyOf(operations);
    }

    /**
     * The counters of one kind of request.
     *
     * @param opcode the kind of request
     * @return its counters, empty if none was answered
     */
    public Optional<OperationStats> operation(Opcode opcode) {
        for (OperationStats o : operations) {
            if (o.opcode() == opcode) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    /**
     * Replies of every kind added up.
     *
     * @return the sum of {@link OperationStats#count()} over {@link #operations()}
     */
    public long requests() {
        long n = 0;
        for (OperationStats o : operations) {
            n += o.count();
        }
        return n;
    }

    /**
     * Error replies of every kind added up.
     *
     * @return the sum of {@link OperationStats#errors()} over {@link #operations()}
     */
    public long errors() {
        long n = 0;
        for (OperationStats o : operations) {
            n += o.errors();
        }
        return n;
    }

    /**
     * The snapshot as a table for people: a line per opcode (count, errors, mean, p50, p90, p99 and max latency,
     * the errors by errno), then a line with the session's counters. The layout may change between versions;
     * programs read the accessors.
     *
     * @return the table, lines ending in a newline
     */
    public String table() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(java.util.Locale.ROOT, "%-16s %10s %8s %9s %9s %9s %9s %9s  %s%n", "opcode", "count", "errors", "mean", "p50",
                "p90", "p99", "max", "errors by errno"));
        for (OperationStats o : operations) {
            StringBuilder errnos = new StringBuilder();
            for (Map.Entry<Errno, Long> e : o.errorsByErrno().entrySet()) {
                errnos.append(errnos.isEmpty() ? "" : " ").append(e.getKey().name()).append(' ').append(e.getValue());
            }
            b.append(String.format(java.util.Locale.ROOT, "%-16s %10d %8d %9s %9s %9s %9s %9s  %s%n", o.opcode().name(), o.count(),
                    o.errors(), human(o.mean()), human(o.p50()), human(o.p90()), human(o.p99()), human(o.max()),
                    errnos));
        }
        b.append(String.format(java.util.Locale.ROOT, "%d requests, %d errors in %s over %s; now %d in flight, %d parked; %d interrupts, "
                        + "%d notifications (%d refused), %d unmatched notify replies, %d malformed requests, "
                        + "%d of unknown opcodes%n",
                requests(), errors(), human(uptime), transport.name().toLowerCase(java.util.Locale.ROOT), inFlight,
                parked, interrupts, notifications, notificationErrors, unmatchedNotifyReplies, malformedRequests,
                unknownOpcodes));
        return b.toString();
    }

    /** 850 ns, 12.3 µs, 4.56 ms, 7.89 s: three significant digits at most. */
    static String human(Duration d) {
        long ns = d.toNanos();
        if (ns < 1_000) {
            return ns + " ns";
        }
        String[] units = {"µs", "ms", "s"};
        double v = ns / 1_000.0;
        int u = 0;
        while (v >= 1_000 && u < units.length - 1) {
            v /= 1_000;
            u++;
        }
        String digits = v >= 100 ? String.format(java.util.Locale.ROOT, "%.0f", v)
                : v >= 10 ? String.format(java.util.Locale.ROOT, "%.1f", v)
                : String.format(java.util.Locale.ROOT, "%.2f", v);
        return digits + " " + units[u];
    }
}
