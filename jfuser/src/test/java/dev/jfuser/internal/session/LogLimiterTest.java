package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The bound on log lines any user can cause: the limiter itself, and a flood of names without their NUL. */
class LogLimiterTest extends SessionFixture {
    @Test
    void logsTheBurstThenCountsThenSummarisesInTheNextInterval() {
        AtomicLong now = new AtomicLong(1_000);
        LogLimiter limiter = new LogLimiter("bad things", 3, 60, TimeUnit.SECONDS, now::get);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            limiter.log("line " + i, out::add);
        }
        assertEquals(List.of("line 0", "line 1", "line 2"), out);
        out.clear();
        now.addAndGet(TimeUnit.SECONDS.toNanos(59));
        limiter.log("line 10", out::add);
        assertEquals(List.of(), out, "still the same interval");
        now.addAndGet(TimeUnit.SECONDS.toNanos(1));
        limiter.log("line 11", out::add);
        assertEquals(List.of("8 more bad things not logged (at most 3 every 60 s)", "line 11"), out);
        out.clear();
        limiter.flush(out::add);
        assertEquals(List.of(), out, "nothing left to summarise");
        for (int i = 0; i < 5; i++) {
            limiter.log("more", out::add);
        }
        out.clear();
        limiter.flush(out::add);
        assertEquals(List.of("3 more bad things not logged (at most 3 every 60 s)"), out);
    }

    @Test
    void aThousandNamesThatAreNotUtf8LogABoundedNumberOfLines() throws Exception {
        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger jul = Logger.getLogger("dev.jfuser");
        jul.addHandler(capture);
        try {
            kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45,
                    Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT)));
            session = new Session(kernel, new AsyncFilesystem() { }, SessionOptions.DEFAULT, -1);
            session.start();
            assertEquals(0, kernel.await(1).error());
            long last = 0;
            for (int i = 0; i < 1000; i++) {
                last = kernel.unique();
                kernel.push(FakeKernel.request(Opcode.LOOKUP.code(), last, 1, new byte[] {(byte) 0xff, 'x'}));
            }
            assertEquals(-5, kernel.await(last).error(), "each bad name is still answered EIO");
            long bad = logged.stream().filter(r -> r.getMessage().contains("malformed request")).count();
            assertTrue(bad >= 1 && bad <= 10, bad + " log lines for 1000 bad names");
        } finally {
            jul.removeHandler(capture);
        }
    }
}
