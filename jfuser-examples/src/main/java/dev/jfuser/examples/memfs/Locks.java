package dev.jfuser.examples.memfs;

import dev.jfuser.FileLock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import java.util.Set;

/**
 * The locks held on one node: record locks (POSIX and open-file-description locks, per lock owner, byte ranges
 * split and merged like Linux) and BSD flock locks (one per open file description, whole file). Guarded by the
 * filesystem's lock.
 *
 * <p>FUSE identifies holders by a 64-bit lock owner: for POSIX locks the kernel's {@code files_struct} of the
 * process, for OFD locks and flock the open file description. What releases them:
 * <ul>
 *   <li>POSIX locks: every close() by the owning process, which the kernel sends as FLUSH with that owner
 *       ({@link #flushed}).</li>
 *   <li>flock: the RELEASE of the description (its last close), flagged {@code FUSE_RELEASE_FLOCK_UNLOCK} with
 *       the description's owner ({@link #flockUnlock}).</li>
 *   <li>OFD locks: also the RELEASE of the description, but the kernel neither flags it nor names the owner, and
 *       a SETLK does not say whether its owner is a process or a description. So the handle each record lock came
 *       through is remembered, with its owner, until a FLUSH of that owner: at RELEASE every owner still
 *       remembered for the handle is an OFD owner ({@link #released}). A POSIX owner cannot be among them, since
 *       a handle is released only after every descriptor of it was closed, each close a FLUSH of its process.</li>
 * </ul>
 *
 * <p>Record locks are kept in Linux's order, which decides what {@code F_GETLK} reports when several locks
 * conflict: owners in the order they took their first (still held) lock, each owner's ranges sorted by start;
 * the first conflict in that order is the answer.
 */
final class Locks {
    /** A held record lock over {@code [start, end]} (inclusive). */
    record Range(long owner, long start, long end, int type, int pid) {
        boolean overlaps(long s, long e) {
            return start <= e && s <= end;
        }
    }

    /** Record locks by owner, owners in order of arrival; each list sorted by start, ranges disjoint. */
    private final LinkedHashMap<Long, List<Range>> posix = new LinkedHashMap<>();
    private final Map<Long, Integer> flocks = new HashMap<>();
    /** Handle → owners that took record locks through it and have not been flushed since. */
    private final Map<Long, Set<Long>> ownersByHandle = new HashMap<>();

    boolean isEmpty() {
        return posix.isEmpty() && flocks.isEmpty();
    }

    private static boolean conflicts(int a, int b) {
        return a == FileLock.F_WRLCK || b == FileLock.F_WRLCK;
    }

    /** The record lock of another owner that blocks {@code want} and that Linux would name first, or null. */
    Range posixConflict(long owner, FileLock want) {
        for (Map.Entry<Long, List<Range>> e : posix.entrySet()) {
            if (e.getKey() == owner) {
                continue;
            }
            for (Range r : e.getValue()) {
                if (r.start > want.end()) {
                    break;
                }
                if (r.overlaps(want.start(), want.end()) && conflicts(r.type, want.type())) {
                    return r;
                }
            }
        }
        return null;
    }

    /** Removes {@code owner}'s locks within {@code [start, end]}, splitting ranges that stick out. */
    void posixUnlock(long owner, long start, long end) {
        List<Range> held = posix.get(owner);
        if (held == null) {
            return;
        }
        for (ListIterator<Range> it = held.listIterator(); it.hasNext(); ) {
            Range r = it.next();
            if (r.start > end) {
                break;
            }
            if (!r.overlaps(start, end)) {
                continue;
            }
            it.remove();
            if (r.start < start) {
                it.add(new Range(owner, r.start, start - 1, r.type, r.pid));
            }
            if (r.end > end) {
                it.add(new Range(owner, end + 1, r.end, r.type, r.pid));
            }
        }
        if (held.isEmpty()) {
            posix.remove(owner); // a later lock of this owner goes to the end of the order, as in Linux
        }
    }

    /**
     * Sets {@code owner}'s lock over the range (replacing what it held there), merging touching same-type ranges,
     * and remembers that {@code owner} locked through handle {@code fh}.
     */
    void posixLock(long owner, long fh, FileLock l) {
        posixUnlock(owner, l.start(), l.end());
        long start = l.start();
        long end = l.end();
        List<Range> held = posix.computeIfAbsent(owner, o -> new ArrayList<>());
        for (Iterator<Range> it = held.iterator(); it.hasNext(); ) {
            Range r = it.next();
            if (r.type == l.type() && (r.overlaps(start, end) || (end != Long.MAX_VALUE && r.start == end + 1)
                    || (start != 0 && r.end == start - 1))) {
                start = Math.min(start, r.start);
                end = Math.max(end, r.end);
                it.remove();
            }
        }
        int at = 0;
        while (at < held.size() && held.get(at).start < start) {
            at++;
        }
        held.add(at, new Range(owner, start, end, l.type(), l.pid()));
        ownersByHandle.computeIfAbsent(fh, h -> new HashSet<>()).add(owner);
    }

    /** A FLUSH of {@code owner} (a close() by that process): drops its POSIX locks. Returns whether it held any. */
    boolean flushed(long owner) {
        for (Set<Long> owners : ownersByHandle.values()) {
            owners.remove(owner);
        }
        ownersByHandle.values().removeIf(Set::isEmpty);
        return posix.remove(owner) != null;
    }

    /** The RELEASE of handle {@code fh}: drops the OFD locks of its description. Returns whether there were any. */
    boolean released(long fh) {
        Set<Long> owners = ownersByHandle.remove(fh);
        boolean any = false;
        if (owners != null) {
            for (long owner : owners) {
                any |= posix.remove(owner) != null;
            }
        }
        return any;
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
