package dev.jfuser.examples.passthrough;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** One owner's held ranges merge and split as its POSIX locks do. */
class LockRangesTest {
    private static final long MAX = Long.MAX_VALUE;

    @Test
    void overlappingAndAdjacentLocksMerge() {
        LockRanges r = new LockRanges();
        r.add(2, 5);
        r.add(10, 12);
        assertEquals("[2-5, 10-12]", r.toString());
        r.add(6, 9); // adjacent on both sides
        assertEquals("[2-12]", r.toString());
        r.add(0, 3);
        r.add(20, MAX);
        r.add(15, 25);
        assertEquals("[0-12, 15-max]", r.toString());
        r.add(0, MAX);
        assertEquals("[0-max]", r.toString());
    }

    @Test
    void unlockingCutsAndSplits() {
        LockRanges r = new LockRanges();
        r.add(0, MAX);
        r.subtract(0, 1);
        assertEquals("[2-max]", r.toString());
        r.subtract(8, 9);
        assertEquals("[2-7, 10-max]", r.toString());
        r.subtract(5, 20);
        assertEquals("[2-4, 21-max]", r.toString());
        r.subtract(100, MAX);
        assertEquals("[2-4, 21-99]", r.toString());
        r.subtract(50, 60);
        r.subtract(0, 3);
        assertEquals("[4-4, 21-49, 61-99]", r.toString());
        assertFalse(r.isEmpty());
        r.subtract(0, MAX);
        assertTrue(r.isEmpty());
        r.subtract(3, 7); // unlocking what is not held changes nothing
        assertTrue(r.isEmpty());
    }

    @Test
    void overlapsSeesAnyHeldByteInTheRange() {
        LockRanges r = new LockRanges();
        r.add(10, 19);
        r.add(40, MAX);
        assertTrue(r.overlaps(0, 10));
        assertTrue(r.overlaps(19, 30));
        assertTrue(r.overlaps(12, 13));
        assertFalse(r.overlaps(20, 39));
        assertFalse(r.overlaps(0, 9));
        assertTrue(r.overlaps(1000, MAX));
        assertTrue(r.overlaps(0, MAX));
    }
}
