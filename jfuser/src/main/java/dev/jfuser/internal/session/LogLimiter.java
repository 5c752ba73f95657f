package dev.jfuser.internal.session;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Bounds a log line any user can cause (a malformed request: a name that is not UTF-8 comes from {@code touch
 * $'\xff'}): the first {@code burst} lines of each interval are logged, the rest are counted, and the first line
 * after the interval ends is preceded by one summary line with that count. No thread, no timer: the summary is
 * written when the next line comes, or by {@link #flush} at the end of the session.
 */
final class LogLimiter {
    private final String what;
    private final int burst;
    private final long intervalNanos;
    private final LongSupplier clock;
    private long windowStart;
    private int inWindow;
    private long suppressed;
    private boolean started;

    /**
     * @param what names the lines in the summary ("malformed requests")
     * @param burst lines logged per interval before the rest are counted
     */
    LogLimiter(String what, int burst, long interval, TimeUnit unit, LongSupplier nanoClock) {
        this.what = what;
        this.burst = burst;
        this.intervalNanos = unit.toNanos(interval);
        this.clock = nanoClock;
    }

    LogLimiter(String what, int burst, long interval, TimeUnit unit) {
        this(what, burst, interval, unit, System::nanoTime);
    }

    /** Logs {@code line} through {@code out} unless this interval's burst is used up (then it is counted). */
    void log(String line, Consumer<String> out) {
        String summary;
        synchronized (this) {
            long now = clock.getAsLong();
            summary = null;
            if (!started || now - windowStart >= intervalNanos) {
                summary = summaryLocked();
                started = true;
                windowStart = now;
                inWindow = 0;
            }
            if (inWindow >= burst) {
                suppressed++;
                line = null;
            } else {
                inWindow++;
            }
        }
        if (summary != null) {
            out.accept(summary);
        }
        if (line != null) {
            out.accept(line);
        }
    }

    /** Writes the summary of lines counted but not yet reported, if any. */
    void flush(Consumer<String> out) {
        String summary;
        synchronized (this) {
            summary = summaryLocked();
        }
        if (summary != null) {
            out.accept(summary);
        }
    }

    private String summaryLocked() {
        if (suppressed == 0) {
            return null;
        }
        String s = suppressed + " more " + what + " not logged (at most " + burst + " every "
                + TimeUnit.NANOSECONDS.toSeconds(intervalNanos) + " s)";
        suppressed = 0;
        return s;
    }
}
