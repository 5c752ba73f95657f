package dev.jfuser.examples.memfs;

import dev.jfuser.FileLock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The locks held on one node: POSIX record locks (per lock owner, byte ranges, split and merged like Linux) and
 * BSD flock locks (one per open file description, whole file). Guarded by the filesystem's lock.
 *
 * <p>FUSE identifies holders by a 64-bit lock owner: for POSIX locks the kernel's {@code files_struct} of the
 * process, for flock the open file. POSIX locks go away with FLUSH (every close() of the owner), flock locks with
 * RELEASE (last close of the open file); see {@link MemFs#flush} and {@link MemFs#release}.
 */
final class Locks {
    /** A held POSIX lock over {@code [start, end]} (inclusive). */
    record Range(long owner, long start, long end, int type, int pid) {
        boolean overlaps(long s, long e) {
            return start <= e && s <= end;
        }
    }

    private final List<Range> posix = new ArrayList<>();
    private final Map<Long, Integer> flocks = new HashMap<>();

    boolean isEmpty() {
        return posix.isEmpty() && flocks.isEmpty();
    }

    private static boolean conflicts(int a, int b) {
        return a == FileLock.F_WRLCK || b == FileLock.F_WRLCK;
    }

    /** The first POSIX lock of another owner that would block {@code want}, or null. */
    Range posixConflict(long owner, FileLock want) {
        for (Range r : posix) {
            if (r.owner != owner && r.overlaps(want.start(), want.end()) && conflicts(r.type, want.type())) {
                return r;
            }
        }
        return null;
    }

    /** Removes {@code owner}'s locks within {@code [start, end]}, splitting ranges that stick out. */
    void posixUnlock(long owner, long start, long end) {
        List<Range> keep = new ArrayList<>();
        for (Iterator<Range> it = posix.iterator(); it.hasNext(); ) {
            Range r = it.next();
            if (r.owner != owner || !r.overlaps(start, end)) {
                continue;
            }
            it.remove();
            if (r.start < start) {
                keep.add(new Range(owner, r.start, start - 1, r.type, r.pid));
            }
            if (r.end > end) {
                keep.add(new Range(owner, end + 1, r.end, r.type, r.pid));
            }
        }
        posix.addAll(keep);
    }

    /** Sets {@code owner}'s lock over the range (replacing what it held there), merging touching same-type ranges. */
    void posixLock(long owner, FileLock l) {
        posixUnlock(owner, l.start(), l.end());
        long start = l.start();
        long end = l.end();
        for (Iterator<Range> it = posix.iterator(); it.hasNext(); ) {
            Range r = it.next();
            if (r.owner == owner && r.type == l.type()
                    && (r.overlaps(start, end) || (end != Long.MAX_VALUE && r.start == end + 1)
                        || (start != 0 && r.end == start - 1))) {
                start = Math.min(start, r.start);
                end = Math.max(end, r.end);
                it.remove();
            }
        }
        posix.add(new Range(owner, start, end, l.type(), l.pid()));
    }

    void posixUnlockAll(long owner) {
        posix.removeIf(r -> r.owner == owner);
    }

    /** Whether another open file holds a flock that blocks {@code type}. */
    boolean flockConflict(long owner, int type) {
        for (Map.Entry<Long, Integer> e : flocks.entrySet()) {
            if (e.getKey() != owner && conflicts(e.getValue(), type)) {
                return true;
            }
        }
        return false;
    }

    Integer flockHeld(long owner) {
        return flocks.get(owner);
    }

    void flockSet(long owner, int type) {
        flocks.put(owner, type);
    }

    boolean flockUnlock(long owner) {
        return flocks.remove(owner) != null;
    }
}
