package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * INTERRUPTs are read and applied whatever the in-flight limit: with every permit taken (each reader would have
 * waited for one, reading nothing), and before the request they name has been seen.
 */
class SessionInterruptTest extends SessionFixture {
    private static final long FLAGS = Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT
            | Abi.PARALLEL_DIROPS;
    private static final FileAttr FILE = FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).size(5).build();

    /** Blocking lookups: "stuck*" sleep until interrupted (then EINTR); anything else answers at once. */
    static final class StuckFs implements Filesystem {
        final List<String> started = new CopyOnWriteArrayList<>();
        final Map<String, Boolean> sawInterrupt = new ConcurrentHashMap<>();

        @Override
        public Entry lookup(Request req, long parent, String name) throws FuseException {
            started.add(name);
            if (name.startsWith("stuck")) {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    sawInterrupt.put(name, req.isInterrupted());
                    throw new FuseException(Errno.EINTR);
                }
            }
            return Entry.of(FILE);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
            return AttrReply.of(FILE);
        }
    }

    /** Async lookups: "stuck*" return a stage nobody completes; anything else answers at once. */
    static final class PendingFs implements AsyncFilesystem {
        final List<String> started = new CopyOnWriteArrayList<>();
        final Map<String, CompletableFuture<Entry>> stages = new ConcurrentHashMap<>();

        @Override
        public CompletionStage<Entry> lookup(Request req, long parent, String name) {
            started.add(name);
            if (!name.startsWith("stuck")) {
                return CompletableFuture.completedFuture(Entry.of(FILE));
            }
            CompletableFuture<Entry> f = new CompletableFuture<>();
            stages.put(name, f);
            return f;
        }

        @Override
        public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
            return CompletableFuture.completedFuture(AttrReply.of(FILE));
        }
    }

    private void start(AsyncFilesystem fs, int readers, int maxInFlight) throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, FLAGS)));
        session = new Session(kernel, fs, SessionOptions.DEFAULT.withReaderThreads(readers)
                .withMaxInFlight(maxInFlight), -1);
        session.start();
        assertEquals(0, kernel.await(1).error());
    }

    private long lookup(String name) {
        long u = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.LOOKUP.code(), u, 1, FakeKernel.name(name)));
        return u;
    }

    /** Sends an INTERRUPT for {@code target}; returns the INTERRUPT's own unique. */
    private long interrupt(long target) {
        long u = kernel.unique() | 1;
        kernel.push(FakeKernel.request(Opcode.INTERRUPT.code(), u, 0, FakeKernel.le(target)));
        return u;
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(5);
        }
    }

    /**
     * Fills every permit with stuck requests, then sends one more request per reader: each reader would wait for a
     * permit with it. Returns the uniques of the stuck ones and then of the waiting ones.
     */
    private long[] fillTheLimit(List<String> started, int readers, int maxInFlight) throws Exception {
        long[] u = new long[maxInFlight + readers];
        for (int i = 0; i < maxInFlight; i++) {
            u[i] = lookup("stuck" + i);
        }
        eventually("every permit taken", () -> started.size() == maxInFlight);
        for (int i = 0; i < readers; i++) {
            u[maxInFlight + i] = lookup("waiting" + i);
        }
        Thread.sleep(200); // let the readers take them
        assertEquals(maxInFlight, started.size(), "beyond the limit nothing starts: " + started);
        return u;
    }

    @ParameterizedTest(name = "{0} readers, maxInFlight {1}")
    @CsvSource({"1, 1", "2, 2"})
    void aStuckBlockingHandlerIsCancelledByAnInterruptSentOnceTheLimitIsReached(int readers, int maxInFlight)
            throws Exception {
        StuckFs fs = new StuckFs();
        start(new BlockingAdapter(fs), readers, maxInFlight);
        long[] u = fillTheLimit(fs.started, readers, maxInFlight);

        interrupt(u[0]);
        assertEquals(-Errno.EINTR.code(), kernel.await(u[0]).error());
        assertEquals(Boolean.TRUE, fs.sawInterrupt.get("stuck0"), "the handler saw Request.isInterrupted()");
        // The freed permit goes to the first request that waited for one.
        assertEquals(0, kernel.await(u[maxInFlight]).error());
        for (int i = 1; i < maxInFlight; i++) {
            interrupt(u[i]);
            assertEquals(-Errno.EINTR.code(), kernel.await(u[i]).error());
        }
        for (int i = maxInFlight; i < u.length; i++) {
            if (i != maxInFlight) {
                assertEquals(0, kernel.await(u[i]).error());
            }
        }
        eventually("nothing left in flight", () -> session.inFlightCount() == 0 && session.parkedCount() == 0);
    }

    @ParameterizedTest(name = "{0} readers, maxInFlight {1}")
    @CsvSource({"1, 1", "2, 2"})
    void aStuckAsyncStageIsCancelledByAnInterruptSentOnceTheLimitIsReached(int readers, int maxInFlight)
            throws Exception {
        PendingFs fs = new PendingFs();
        start(fs, readers, maxInFlight);
        long[] u = fillTheLimit(fs.started, readers, maxInFlight);

        for (int i = 0; i < maxInFlight; i++) {
            interrupt(u[i]);
            assertEquals(-Errno.EINTR.code(), kernel.await(u[i]).error());
            assertTrue(fs.stages.get("stuck" + i).isCancelled(), "the stage was cancelled");
        }
        for (int i = maxInFlight; i < u.length; i++) {
            assertEquals(0, kernel.await(u[i]).error());
        }
        eventually("nothing left in flight", () -> session.inFlightCount() == 0 && session.parkedCount() == 0);
    }

    @ParameterizedTest(name = "{0} readers, maxInFlight {1}")
    @CsvSource({"1, 1", "2, 2"})
    void aRequestInterruptedWhileItWaitsForAPermitIsAnsweredEintrWithoutRunning(int readers, int maxInFlight)
            throws Exception {
        PendingFs fs = new PendingFs();
        start(fs, readers, maxInFlight);
        long[] u = fillTheLimit(fs.started, readers, maxInFlight);

        long waiting = u[maxInFlight];
        interrupt(waiting);
        assertEquals(-Errno.EINTR.code(), kernel.await(waiting).error());
        for (int i = 0; i < maxInFlight; i++) {
            fs.stages.get("stuck" + i).complete(Entry.of(FILE));
            assertEquals(0, kernel.await(u[i]).error());
        }
        for (int i = maxInFlight + 1; i < u.length; i++) {
            assertEquals(0, kernel.await(u[i]).error());
        }
        assertFalse(fs.started.contains("waiting0"), "the interrupted request never reached the filesystem");
        assertNull(kernel.extraReply(waiting, 100), "second reply");
        eventually("nothing left in flight", () -> session.inFlightCount() == 0 && session.parkedCount() == 0);
    }

    @ParameterizedTest(name = "{0} readers")
    @CsvSource({"1", "2"})
    void anInterruptReadBeforeItsRequestIsAppliedWhenTheRequestArrives(int readers) throws Exception {
        StuckFs fs = new StuckFs();
        start(new BlockingAdapter(fs), readers, 10);
        long u = kernel.unique();
        long intr = interrupt(u);
        // Not answered EAGAIN: the kernel would look the request up only on the descriptor that read it.
        assertNull(kernel.extraReply(intr, 200), "the INTERRUPT is kept, not answered");
        kernel.push(FakeKernel.request(Opcode.LOOKUP.code(), u, 1, FakeKernel.name("stuck")));
        FakeKernel.Reply r = kernel.await(u);
        assertEquals(-Errno.EINTR.code(), r.error());
        assertEquals(Boolean.TRUE, fs.sawInterrupt.get("stuck"), "the handler saw the interrupt");
        assertNull(kernel.extraReply(intr, 50), "nothing for the INTERRUPT itself");
    }

    @ParameterizedTest(name = "{0} readers")
    @CsvSource({"1", "2"})
    void anInterruptWhoseRequestNeverComesIsGivenUpWithEagainAfterTheBound(int readers) throws Exception {
        StuckFs fs = new StuckFs();
        start(new BlockingAdapter(fs), readers, 10);
        long intr = interrupt(kernel.unique()); // its request was answered already, say
        assertNull(kernel.extraReply(intr, 300), "not answered at once");
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(PendingInterrupts.EXPIRY_NANOS));
        // The next request looks at the remembered INTERRUPTs and gives this one up.
        assertEquals(0, kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("a")).error());
        FakeKernel.Reply r = kernel.await(intr);
        assertEquals(-Errno.EAGAIN.code(), r.error());
        assertNull(kernel.extraReply(intr, 100), "EAGAIN once per descriptor");
        // And later requests are not interrupted by it.
        long next = lookup("b");
        assertEquals(0, kernel.await(next).error());
    }
}
