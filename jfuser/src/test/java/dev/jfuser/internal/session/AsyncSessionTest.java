package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The session serving an {@link AsyncFilesystem}: stages that complete later, fail, never complete, get interrupted;
 * and the {@code maxInFlight} bound, all through a scripted {@link FakeKernel}.
 */
class AsyncSessionTest extends SessionFixture {
    private static final long FLAGS = Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT
            | Abi.PARALLEL_DIROPS;
    private static final FileAttr FILE = FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).size(5).build();


    /**
     * Lookups return stages the test completes by hand (kept by name in call order); "now" answers at once;
     * getattr always answers at once.
     */
    static class PendingFs implements AsyncFilesystem {
        final List<CompletableFuture<Entry>> pending = new CopyOnWriteArrayList<>();
        final Map<String, CompletableFuture<Entry>> byName = new ConcurrentHashMap<>();
        final List<String> calls = new CopyOnWriteArrayList<>();
        final Map<String, Request> requests = new ConcurrentHashMap<>();

        @Override
        public CompletionStage<Entry> lookup(Request req, long parent, String name) {
            calls.add(name);
            requests.put(name, req);
            if (name.equals("now")) {
                return CompletableFuture.completedFuture(Entry.of(FILE));
            }
            CompletableFuture<Entry> f = new CompletableFuture<>();
            pending.add(f);
            byName.put(name, f);
            return f;
        }

        @Override
        public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
            return CompletableFuture.completedFuture(AttrReply.of(FILE));
        }
    }

    private <T extends AsyncFilesystem> T start(T fs, SessionOptions options) throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, FLAGS)));
        session = new Session(kernel, fs, options, -1);
        session.start();
        assertEquals(0, kernel.await(1).error());
        return fs;
    }

    private long lookup(String name) {
        long u = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.LOOKUP.code(), u, 1, FakeKernel.name(name)));
        return u;
    }

    private void interrupt(long target) {
        kernel.push(FakeKernel.request(Opcode.INTERRUPT.code(), kernel.unique() | 1, 0, FakeKernel.le(target)));
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

    @Test
    void aStageCompletedLaterIsAnsweredByTheCompletingThread() throws Exception {
        PendingFs fs = start(new PendingFs(), SessionOptions.DEFAULT);
        long u = lookup("later");
        eventually("lookup called", () -> fs.pending.size() == 1);
        assertNull(kernel.extraReply(u, 50), "no answer before the stage completes");
        Thread completer = Thread.ofPlatform().start(() -> fs.pending.getFirst().complete(Entry.of(FILE)));
        completer.join();
        FakeKernel.Reply r = kernel.await(u);
        assertEquals(0, r.error());
        assertEquals(2, r.body().getLong(0), "node id");
        eventually("in-flight table empty", () -> session.inFlightCount() == 0);
    }

    @Test
    void interruptCancelsANeverCompletingStageAndAnswersEintrWithoutLeaking() throws Exception {
        PendingFs fs = start(new PendingFs(), SessionOptions.DEFAULT.withMaxInFlight(1));
        long u = lookup("never");
        eventually("lookup called", () -> fs.pending.size() == 1);
        assertEquals(1, session.inFlightCount());

        interrupt(u);
        assertEquals(-Errno.EINTR.code(), kernel.await(u).error());
        assertTrue(fs.pending.getFirst().isCancelled(), "the filesystem's future was cancelled");
        assertTrue(fs.requests.get("never").isInterrupted(), "the Request was marked interrupted");
        eventually("in-flight entry removed", () -> session.inFlightCount() == 0);
        // maxInFlight is 1: this answer needs the permit the interrupted request gave back.
        assertEquals(0, kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("now")).error());
        fs.pending.getFirst().complete(Entry.of(FILE)); // too late: dropped, not a second reply
        assertNull(kernel.extraReply(u, 100), "second reply to an interrupted request");
    }

    @Test
    void interruptThatOvertakesTheMethodCancelsTheStageWhenItIsReturned() throws Exception {
        // The method is still running on reader 0 when reader 1 handles the INTERRUPT: no stage to cancel yet.
        CountDownLatch called = new CountDownLatch(1);
        AsyncFilesystem fs = new AsyncFilesystem() {
            @Override
            public CompletionStage<Entry> lookup(Request req, long parent, String name) {
                called.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!req.isInterrupted() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                return new CompletableFuture<>(); // never completes
            }
        };
        start(fs, SessionOptions.DEFAULT.withReaderThreads(2));
        long u = lookup("x");
        assertTrue(called.await(5, TimeUnit.SECONDS));
        interrupt(u);
        assertEquals(-Errno.EINTR.code(), kernel.await(u).error());
        eventually("in-flight entry removed", () -> session.inFlightCount() == 0);
    }

    @Test
    void aStageThatCannotBeCancelledIsAnsweredEintrDirectly() throws Exception {
        CompletableFuture<Entry> behind = new CompletableFuture<>();
        // A CompletionStage that is not a Future: cancel is impossible, so the session answers for it.
        @SuppressWarnings("unchecked")
        CompletionStage<Entry> opaque = (CompletionStage<Entry>) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {CompletionStage.class}, (proxy, method, args) -> {
                    try {
                        return method.invoke(behind, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        CompletableFuture<Entry> minimal = new CompletableFuture<>();
        AsyncFilesystem fs = new AsyncFilesystem() {
            @Override
            public CompletionStage<Entry> lookup(Request req, long parent, String name) {
                return name.equals("opaque") ? opaque : minimal.minimalCompletionStage();
            }
        };
        start(fs, SessionOptions.DEFAULT);
        long u1 = lookup("opaque");
        long u2 = lookup("minimal");
        eventually("both in flight", () -> session.inFlightCount() == 2);
        interrupt(u1);
        interrupt(u2);
        assertEquals(-Errno.EINTR.code(), kernel.await(u1).error());
        assertEquals(-Errno.EINTR.code(), kernel.await(u2).error());
        eventually("in-flight table empty", () -> session.inFlightCount() == 0);
        behind.complete(Entry.of(FILE));
        minimal.complete(Entry.of(FILE));
        assertNull(kernel.extraReply(u1, 100));
        assertNull(kernel.extraReply(u2, 1));
    }

    @Test
    void failuresMapToErrnoWhetherReturnedOrThrown() throws Exception {
        AsyncFilesystem fs = new AsyncFilesystem() {
            @Override
            public CompletionStage<Entry> lookup(Request req, long parent, String name) {
                return switch (name) {
                    case "fuse" -> CompletableFuture.failedFuture(new FuseException(Errno.EACCES));
                    case "nio" -> CompletableFuture.failedFuture(
                            new CompletionException(new NoSuchFileException("nio")));
                    case "bug" -> CompletableFuture.failedFuture(new IllegalStateException("deliberate bug"));
                    case "throws" -> throw new IllegalArgumentException("deliberate bug, thrown");
                    case "null-stage" -> null;
                    case "null-value" -> CompletableFuture.completedFuture(null);
                    case "later-fuse" -> CompletableFuture.supplyAsync(() -> {
                        throw new CompletionException(new FuseException(Errno.ENOTDIR));
                    });
                    default -> CompletableFuture.completedFuture(Entry.of(FILE));
                };
            }

            @Override
            public CompletionStage<Void> unlink(Request req, long parent, String name) {
                return CompletableFuture.completedFuture(null); // Void stages complete with null
            }
        };
        start(fs, SessionOptions.DEFAULT);
        assertEquals(-Errno.EACCES.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("fuse")).error());
        assertEquals(-Errno.ENOENT.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("nio")).error());
        assertEquals(-Errno.EIO.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("bug")).error());
        assertEquals(-Errno.EIO.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("throws")).error());
        assertEquals(-Errno.EIO.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("null-stage")).error());
        assertEquals(-Errno.EIO.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("null-value")).error());
        assertEquals(-Errno.ENOTDIR.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("later-fuse"))
                .error());
        assertEquals(0, kernel.call(Opcode.UNLINK.code(), 1, FakeKernel.name("f")).error());
        assertEquals(-Errno.ENOSYS.code(), kernel.call(Opcode.MKDIR.code(), 1, concat(new byte[8],
                FakeKernel.name("d"))).error(), "unimplemented methods answer ENOSYS");
        assertEquals(0, kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("ok")).error(), "still serving");
        eventually("in-flight table empty", () -> session.inFlightCount() == 0);
    }

    @Test
    void maxInFlightHoldsTheFifthRequestUntilOneOfFourCompletes() throws Exception {
        PendingFs fs = start(new PendingFs(), SessionOptions.DEFAULT.withMaxInFlight(4));
        long[] u = new long[5];
        for (int i = 0; i < 5; i++) {
            u[i] = lookup("n" + i);
        }
        eventually("four dispatched", () -> fs.calls.size() == 4);
        Thread.sleep(300);
        assertEquals(4, fs.calls.size(), "the fifth request must wait for a permit: " + fs.calls);
        assertEquals(4, session.inFlightCount());
        assertTrue(kernel.allReplies.stream().noneMatch(r -> r.unique() != 1), "nothing answered yet");

        // Two readers: which request is the one left waiting depends on which reader got there first.
        String waiting = java.util.stream.IntStream.range(0, 5).mapToObj(i -> "n" + i)
                .filter(n -> !fs.calls.contains(n)).findFirst().orElseThrow();
        String first = fs.calls.getFirst();
        fs.byName.get(first).complete(Entry.of(FILE));
        assertEquals(0, kernel.await(u[first.charAt(1) - '0']).error());
        eventually("the fifth dispatched once a permit came back", () -> fs.calls.size() == 5);
        assertEquals(waiting, fs.calls.get(4));
        for (int i = 0; i < fs.pending.size(); i++) {
            fs.pending.get(i).complete(Entry.of(FILE));
        }
        for (int i = 0; i < 5; i++) {
            if (i != first.charAt(1) - '0') {
                assertEquals(0, kernel.await(u[i]).error());
            }
        }
        eventually("in-flight table empty", () -> session.inFlightCount() == 0);
    }

    @Test
    void anInterruptStillReachesARequestInFlightWhileAReaderWaitsForAPermit() throws Exception {
        PendingFs fs = start(new PendingFs(), SessionOptions.DEFAULT.withMaxInFlight(4).withReaderThreads(2));
        long[] u = new long[5];
        for (int i = 0; i < 5; i++) {
            u[i] = lookup("n" + i);
        }
        eventually("four dispatched", () -> fs.calls.size() == 4);
        // One reader now waits for a permit with the fifth request; the other reads the INTERRUPT. Two readers take
        // requests in either order, so interrupt one that was surely dispatched.
        int victim = fs.calls.getFirst().charAt(1) - '0';
        interrupt(u[victim]);
        assertEquals(-Errno.EINTR.code(), kernel.await(u[victim]).error());
        eventually("the fifth dispatched with the freed permit", () -> fs.calls.size() == 5);
        fs.pending.forEach(f -> f.complete(Entry.of(FILE)));
        for (int i = 0; i < 5; i++) {
            if (i != victim) {
                assertEquals(0, kernel.await(u[i]).error());
            }
        }
        eventually("in-flight table empty", () -> session.inFlightCount() == 0);
    }

    @Test
    void pendingStagesDoNotHoldUpOtherRequests() throws Exception {
        PendingFs fs = start(new PendingFs(), SessionOptions.DEFAULT.withReaderThreads(1));
        long[] hanging = new long[100];
        for (int i = 0; i < hanging.length; i++) {
            hanging[i] = lookup("h" + i);
        }
        // One reader, a hundred requests pending behind it: the next request is still answered at once.
        long began = System.nanoTime();
        assertEquals(0, kernel.call(Opcode.GETATTR.code(), 1, new byte[16]).error());
        assertTrue(System.nanoTime() - began < TimeUnit.SECONDS.toNanos(2));
        assertEquals(100, fs.pending.size());
        eventually("exactly the hundred pending in flight", () -> session.inFlightCount() == 100);
        fs.pending.forEach(f -> f.complete(Entry.of(FILE)));
        for (long u : hanging) {
            assertEquals(0, kernel.await(u).error());
        }
    }

    @Test
    void aMethodThatBlocksItsReaderIsReportedOnce() throws Exception {
        ByteArrayOutputStream debug = new ByteArrayOutputStream();
        AsyncFilesystem fs = new AsyncFilesystem() {
            @Override
            public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
                try {
                    Thread.sleep(150); // the mistake this warning exists for
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return CompletableFuture.completedFuture(AttrReply.of(FILE));
            }
        };
        start(fs, SessionOptions.DEFAULT.withDebug(new PrintStream(debug, true, StandardCharsets.UTF_8)));
        assertEquals(0, kernel.call(Opcode.GETATTR.code(), 1, new byte[16]).error());
        assertEquals(0, kernel.call(Opcode.GETATTR.code(), 1, new byte[16]).error());
        String out = debug.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("to return the stage for GETATTR on reader thread"), out);
        assertEquals(out.indexOf("to return the stage"), out.lastIndexOf("to return the stage"), "warned once");
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
