package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Errno;
import dev.jfuser.MountStats;
import dev.jfuser.OperationStats;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import dev.jfuser.protocol.Opcode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The session's counters: the histogram's buckets and percentiles, and what a session counts. */
class SessionStatsTest extends SessionFixture {

    @Test
    void everyLatencyFallsInABucketAtMostAnEighthWide() {
        int previous = -1;
        for (long v = 0; v < (1L << 38); v = v < 64 ? v + 1 : v + v / 37 + 1) {
            int b = SessionStats.bucket(v);
            assertTrue(b >= previous, "buckets grow with the latency: " + v);
            assertTrue(b >= 0 && b < SessionStats.BUCKETS, v + " -> " + b);
            previous = b;
            if (b < SessionStats.BUCKETS - 1) {
                long low = SessionStats.bucketLow(b);
                long high = SessionStats.bucketHigh(b);
                assertTrue(low <= v && v <= high, v + " outside its bucket [" + low + ", " + high + "]");
                assertTrue(high - low + 1 <= Math.max(1, low / 8), "bucket [" + low + ", " + high + "] too wide");
            }
        }
        for (int b = 1; b < SessionStats.BUCKETS; b++) {
            assertEquals(SessionStats.bucketHigh(b - 1) + 1, SessionStats.bucketLow(b), "bucket " + b + " follows on");
        }
        assertEquals(SessionStats.BUCKETS - 1, SessionStats.bucket(Long.MAX_VALUE));
    }

    @Test
    void percentilesAreWithinASixteenthOfTheLatencies() {
        SessionStats stats = new SessionStats();
        for (int i = 0; i < 90; i++) {
            stats.replied(Opcode.READ, null, System.nanoTime() - 10_000);
        }
        for (int i = 0; i < 9; i++) {
            stats.replied(Opcode.READ, null, System.nanoTime() - 1_000_000);
        }
        stats.replied(Opcode.READ, Errno.EIO, System.nanoTime() - 100_000_000);
        OperationStats read = stats.snapshot(Transport.DEV_FUSE, 0, 0, 0).operation(Opcode.READ).orElseThrow();
        assertEquals(100, read.count());
        assertEquals(1, read.errors());
        assertEquals(Map.of(Errno.EIO, 1L), read.errorsByErrno());
        // The time between the test's nanoTime and the counter's adds a little to each: allow 50 µs.
        assertNear(10_000, read.p50());
        assertNear(10_000, read.p90());
        assertNear(1_000_000, read.p99());
        assertNear(100_000_000, read.max());
        assertTrue(read.max().toNanos() >= 100_000_000, "the maximum is exact: " + read.max());
        long total = read.total().toNanos();
        assertTrue(total >= 90 * 10_000 + 9 * 1_000_000 + 100_000_000, "total " + total);
        assertEquals(read.total().dividedBy(100), read.mean());
    }

    private static void assertNear(long expectedNanos, Duration actual) {
        long a = actual.toNanos();
        assertTrue(a >= expectedNanos * 15 / 16 && a <= expectedNanos * 17 / 16 + 50_000,
                "expected about " + expectedNanos + " ns, got " + a);
    }

    @Test
    void concurrentRepliesAreAllCounted() throws Exception {
        SessionStats stats = new SessionStats();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 100_000; i++) {
                    stats.replied(Opcode.GETATTR, (i & 1) == 0 ? null : Errno.ENOENT, System.nanoTime() - i);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        OperationStats getattr = stats.snapshot(Transport.DEV_FUSE, 0, 0, 0).operation(Opcode.GETATTR)
                .orElseThrow();
        assertEquals(400_000, getattr.count());
        assertEquals(200_000, getattr.errors());
        assertEquals(200_000, getattr.errors(Errno.ENOENT));
        assertTrue(getattr.max().toNanos() >= 99_999, "max " + getattr.max());
    }

    @Test
    void aSessionCountsRepliesErrorsInterruptsForgetsAndMalformedRequests() throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, 0)));
        session = new Session(kernel, new BlockingAdapter(new SessionTest.TestFs()),
                SessionOptions.DEFAULT.withReaderThreads(1), -1);
        session.start();
        kernel.await(1);
        for (int i = 0; i < 3; i++) {
            assertEquals(0, kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("a")).error());
        }
        assertEquals(-Errno.ENOENT.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("nope")).error());
        assertEquals(-Errno.ENOENT.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("gone")).error());
        assertEquals(-Errno.EIO.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("boom")).error());
        assertEquals(0, kernel.call(Opcode.GETATTR.code(), 1, new byte[16]).error());
        assertEquals(-Errno.ENOSYS.code(), kernel.call(9999, 1, new byte[0]).error());
        // A name without its NUL: malformed, answered EIO under its opcode.
        assertEquals(-Errno.EIO.code(), kernel.call(Opcode.LOOKUP.code(), 1, new byte[] {(byte) 0xff, 'x'})
                .error());
        kernel.push(FakeKernel.request(Opcode.FORGET.code(), kernel.unique(), 2, FakeKernel.le(3)));
        // An INTERRUPT for a request never seen.
        kernel.push(FakeKernel.request(Opcode.INTERRUPT.code(), kernel.unique() | 1, 0, FakeKernel.le(12345)));
        MountStats stats = awaitStats(s -> s.operation(Opcode.FORGET).isPresent() && s.interrupts() == 1);

        OperationStats lookup = stats.operation(Opcode.LOOKUP).orElseThrow();
        assertEquals(7, lookup.count());
        assertEquals(4, lookup.errors());
        assertEquals(2, lookup.errors(Errno.ENOENT));
        assertEquals(2, lookup.errors(Errno.EIO), "the filesystem's bug and the malformed request");
        assertTrue(lookup.p50().compareTo(lookup.p99()) <= 0 && lookup.p99().compareTo(lookup.max()) <= 0);
        assertTrue(lookup.max().toNanos() > 0);
        assertEquals(1, stats.operation(Opcode.GETATTR).orElseThrow().count());
        assertEquals(0, stats.operation(Opcode.GETATTR).orElseThrow().errors());
        assertEquals(1, stats.operation(Opcode.INIT).orElseThrow().count());
        assertEquals(1, stats.operation(Opcode.FORGET).orElseThrow().count());
        assertEquals(1, stats.unknownOpcodes());
        assertEquals(1, stats.malformedRequests());
        assertEquals(1, stats.interrupts());
        assertEquals(0, stats.inFlight());
        assertEquals(Transport.DEV_FUSE, stats.transport());
        long interruptReplies = stats.operation(Opcode.INTERRUPT).map(OperationStats::count).orElse(0L);
        assertEquals(1 + 7 + 1 + 1, stats.requests() - interruptReplies, "INIT, the lookups, GETATTR and FORGET");
        assertFalse(stats.operation(Opcode.READ).isPresent(), "only opcodes that were answered are listed");

        String table = stats.table();
        assertTrue(table.lines().anyMatch(l -> l.startsWith("LOOKUP") && l.contains(" 7 ") && l.contains("ENOENT 2")
                && l.contains("EIO 2")), table);
        assertTrue(table.contains("1 interrupts") && table.contains("1 malformed requests")
                && table.contains("over dev_fuse"), table);
    }

    private MountStats awaitStats(java.util.function.Predicate<MountStats> done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        MountStats s = session.stats();
        while (!done.test(s) && System.nanoTime() < deadline) {
            Thread.sleep(5);
            s = session.stats();
        }
        return s;
    }

    @Test
    void durationsAreWrittenForPeople() {
        assertEquals("850 ns", human(850));
        assertEquals("1.00 µs", human(1_000));
        assertEquals("12.3 µs", human(12_345));
        assertEquals("457 µs", human(456_789));
        assertEquals("4.57 ms", human(4_567_890));
        assertEquals("7.89 s", human(7_890_000_000L));
        assertEquals("3600 s", human(3_600_000_000_000L));
    }

    private static String human(long nanos) {
        MountStats s = new MountStats(Duration.ofNanos(nanos), Transport.DEV_FUSE, List.of(), 0, 0, 0, 0, 0, 0, 0, 0);
        String table = s.table();
        return table.substring(table.indexOf(" in ") + 4, table.indexOf(" over "));
    }
}
