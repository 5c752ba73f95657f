package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Operation;
import java.time.Instant;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Every time the kernel can send in a SETATTR decodes: utimensat accepts any 64-bit seconds, and so must the
 * session. Within {@link Instant}'s range a time is kept to the nanosecond; beyond it, it clamps to the end of the
 * range with 0 ns, the rule the kernel's own {@code timestamp_truncate} applies at a filesystem's limits.
 */
class SetAttrTimesTest {
    private static final long MAX = Instant.MAX.getEpochSecond();
    private static final long MIN = Instant.MIN.getEpochSecond();

    private static Operation.Setattr times(int valid, long atime, int atimeNsec, long mtime, int mtimeNsec) {
        return new Operation.Setattr(valid, 0, 0, 0, atime, mtime, 0, atimeNsec, mtimeNsec, 0, 0, 0, 0);
    }

    @Provide
    Arbitrary<Long> seconds() {
        return Arbitraries.oneOf(Arbitraries.longs(),
                Arbitraries.longs().between(MAX - 3, MAX + 3), Arbitraries.longs().between(MIN - 3, MIN + 3),
                Arbitraries.of(Long.MAX_VALUE, Long.MIN_VALUE, 0L, -1L));
    }

    @Property(tries = 2000)
    void anySecondsAndNanosDecode(@ForAll("seconds") long sec, @ForAll("seconds") long sec2,
                                  @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 999_999_999) int nsec) {
        SetAttr s = Dispatcher.setAttr(times(Abi.FATTR_ATIME | Abi.FATTR_MTIME, sec, nsec, sec2, nsec));
        Instant a = s.atime().orElseThrow();
        Instant m = s.mtime().orElseThrow();
        assertFalse(s.atimeNow());
        assertExpected(sec, nsec, a);
        assertExpected(sec2, nsec, m);
    }

    private static void assertExpected(long sec, int nsec, Instant t) {
        if (sec > MAX) {
            assertEquals(Instant.ofEpochSecond(MAX), t);
        } else if (sec < MIN) {
            assertEquals(Instant.ofEpochSecond(MIN), t);
        } else {
            assertEquals(sec, t.getEpochSecond());
            assertEquals(nsec, t.getNano());
        }
    }

    @Property(tries = 500)
    void nowAndOmitIgnoreTheRawFields(@ForAll("seconds") long sec, @ForAll int nsec) {
        Instant before = Instant.now();
        SetAttr s = Dispatcher.setAttr(times(Abi.FATTR_ATIME | Abi.FATTR_ATIME_NOW, sec, nsec, sec, nsec));
        assertTrue(s.atimeNow());
        assertFalse(s.atime().orElseThrow().isBefore(before));
        assertTrue(s.mtime().isEmpty(), "mtime omitted");
    }

    @Test
    void theLimitsOfTheKernelClampToTheLimitsOfInstant() {
        SetAttr s = Dispatcher.setAttr(times(Abi.FATTR_ATIME | Abi.FATTR_MTIME, Long.MAX_VALUE, 999_999_999,
                Long.MIN_VALUE, 5));
        assertEquals(Instant.ofEpochSecond(MAX), s.atime().orElseThrow());
        assertEquals(Instant.ofEpochSecond(MIN), s.mtime().orElseThrow());
        // at the very edge, inside the range: kept exactly
        s = Dispatcher.setAttr(times(Abi.FATTR_ATIME | Abi.FATTR_MTIME, MAX, 999_999_999, MIN, 0));
        assertEquals(Instant.MAX, s.atime().orElseThrow());
        assertEquals(Instant.MIN, s.mtime().orElseThrow());
    }

    @Test
    void nanosecondsTheKernelNeverSendsStillDecode() {
        // the kernel validates tv_nsec; a u32 beyond 10^9 (or "negative" as an int) must not throw all the same
        SetAttr s = Dispatcher.setAttr(times(Abi.FATTR_ATIME | Abi.FATTR_MTIME | Abi.FATTR_CTIME, MAX, -1, 7,
                2_000_000_001));
        assertEquals(Instant.ofEpochSecond(MAX), s.atime().orElseThrow());
        assertEquals(Instant.ofEpochSecond(9, 1), s.mtime().orElseThrow());
    }
}
