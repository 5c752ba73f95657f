package dev.jfuser.internal.session;

import dev.jfuser.Errno;
import dev.jfuser.protocol.Opcode;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the session adds to every request for {@code Mount.stats()} and JFR: the start time, the JFR check (no
 * recording running) and the counting at the reply. In the same package as the session, whose counters are not
 * public. {@code bin/bench-jmh} runs it with {@code RequestAccountingBenchmark} as its first argument; run it with
 * {@code -t 2} to see two threads counting the same opcode.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms256m", "-Xmx256m"})
public class RequestAccountingBenchmark {
    private final SessionStats stats = new SessionStats();

    /** A successful request's accounting: start time, JFR check, counted at its reply. */
    @Benchmark
    public Object success() {
        long start = System.nanoTime();
        RequestEvent event = RequestEvent.beginIfEnabled();
        stats.replied(Opcode.GETATTR, null, start);
        return event;
    }

    /** An error reply's (a LOOKUP answered ENOENT): two more adds, its error count and its errno's. */
    @Benchmark
    public Object error() {
        long start = System.nanoTime();
        RequestEvent event = RequestEvent.beginIfEnabled();
        stats.replied(Opcode.LOOKUP, Errno.ENOENT, start);
        return event;
    }

    /** Just the two clock reads, for comparison. */
    @Benchmark
    public long clock() {
        long start = System.nanoTime();
        return System.nanoTime() - start;
    }
}
