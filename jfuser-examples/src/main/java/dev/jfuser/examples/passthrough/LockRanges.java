package dev.jfuser.examples.passthrough;

import java.util.TreeMap;

/**
 * The byte ranges one lock owner holds on one file, types aside: locking adds a range, unlocking takes one away,
 * as POSIX locks of one owner merge and split. Ranges are inclusive; {@link Long#MAX_VALUE} ends "to the end of the
 * file". Not thread-safe.
 */
final class LockRanges {
    /** Start to inclusive end; disjoint and never adjacent. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    /** Whether nothing is held. */
    boolean isEmpty() {
        return ranges.isEmpty();
    }

    /** The held ranges in order, as {@code [0-1, 4-max]}. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        ranges.forEach((s, e) -> b.append(b.length() > 1 ? ", " : "").append(s).append('-')
                .append(e == Long.MAX_VALUE ? "max" : String.valueOf(e)));
        return b.append(']').toString();
    }

    /** A lock of {@code start..end} taken (or its type changed): merged with what is held. */
    void add(long start, long end) {
        var below = ranges.floorEntry(start);
        if (below != null && below.getValue() >= start - 1) {
            start = below.getKey();
            end = Math.max(end, below.getValue());
        }
        for (var e = ranges.ceilingEntry(start); e != null && (end == Long.MAX_VALUE || e.getKey() <= end + 1);
                e = ranges.ceilingEntry(start)) {
            end = Math.max(end, e.getValue());
            ranges.remove(e.getKey());
        }
        ranges.put(start, end);
    }

    /** {@code start..end} unlocked: held ranges are cut or split around it. */
    void subtract(long start, long end) {
        var below = ranges.lowerEntry(start);
        if (below != null && below.getValue() >= start) {
            ranges.put(below.getKey(), start - 1);
            if (below.getValue() > end) {
                ranges.put(end + 1, below.getValue());
            }
        }
        for (var e = ranges.ceilingEntry(start); e != null && e.getKey() <= end; e = ranges.ceilingEntry(start)) {
            ranges.remove(e.getKey());
            if (e.getValue() > end) {
                ranges.put(end + 1, e.getValue());
                break;
            }
        }
    }

    /** Whether any held byte lies in {@code start..end}. */
    boolean overlaps(long start, long end) {
        var below = ranges.floorEntry(end);
        return below != null && below.getValue() >= start;
    }
}
