package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.Entry;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An error the JVM may not survive — out of memory, a stack overflow — ends the session and aborts the
 * connection (so no caller is left waiting), wherever it is thrown: in a blocking handler's thread, in an async
 * stage, in a method run on a reader, on the reader itself.
 */
class SessionFatalErrorTest {
    private static final long FLAGS = Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT;
    private static final FileAttr FILE = FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).build();

    private final FakeKernel kernel = new FakeKernel();
    private Session session;

    @AfterEach
    void end() throws Exception {
        kernel.unmount();
        if (session != null) {
            try {
                session.terminated().get(15, TimeUnit.SECONDS);
            } catch (ExecutionException expected) {
                // ended by the error under test
            }
        }
    }

    /** Blocking lookups: "oom" throws OutOfMemoryError, "deep" recurses until the stack overflows. */
    static final class FailingFs implements Filesystem {
        final AtomicInteger destroys = new AtomicInteger();

        @Override
        public Entry lookup(Request req, long parent, String name) {
            return switch (name) {
                case "oom" -> throw new OutOfMemoryError("Java heap space (thrown by the test)");
                case "deep" -> Entry.of(FileAttr.builder(depth(0), FileType.REGULAR_FILE).build());
                default -> Entry.of(FILE);
            };
        }

        private static long depth(long n) {
            return depth(n + 1) + 1;
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
            return AttrReply.of(FILE);
        }

        @Override
        public void destroy() {
            destroys.incrementAndGet();
        }
    }

    /** Async lookups: "later" fails its stage with OutOfMemoryError from another thread; "now" throws it inline. */
    static final class FailingAsyncFs implements AsyncFilesystem {
        @Override
        public CompletionStage<Entry> lookup(Request req, long parent, String name) {
            return switch (name) {
                case "now" -> throw new OutOfMemoryError("thrown by the test on the reader");
                case "later" -> CompletableFuture.supplyAsync(() -> {
                    throw new OutOfMemoryError("thrown by the test in a stage");
                });
                default -> CompletableFuture.completedFuture(Entry.of(FILE));
            };
        }

        @Override
        public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
            return CompletableFuture.completedFuture(AttrReply.of(FILE));
        }
    }

    private void start(AsyncFilesystem fs, int readers) throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, FLAGS)));
        session = new Session(kernel, fs, SessionOptions.DEFAULT.withReaderThreads(readers), -1);
        session.start();
        assertEquals(0, kernel.await(1).error());
    }

    private void lookup(String name) {
        kernel.push(FakeKernel.request(Opcode.LOOKUP.code(), kernel.unique(), 1, FakeKernel.name(name)));
    }

    /** The session ended with {@code type}, after aborting the connection. */
    private void assertEndedBy(Class<? extends Throwable> type) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> session.terminated().get(10, TimeUnit.SECONDS), "the session did not end with a failure");
        assertInstanceOf(type, e.getCause());
        assertTrue(kernel.aborted, "the connection was aborted, so no caller waits for a reply");
    }

    @Test
    void outOfMemoryInABlockingHandlerEndsTheSession() throws Exception {
        FailingFs fs = new FailingFs();
        start(new BlockingAdapter(fs), 2);
        assertEquals(0, kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("a")).error());
        lookup("oom");
        assertEndedBy(OutOfMemoryError.class);
        assertEquals(1, fs.destroys.get(), "destroy still ran");
    }

    @Test
    void aStackOverflowInABlockingHandlerEndsTheSession() throws Exception {
        start(new BlockingAdapter(new FailingFs()), 1);
        lookup("deep");
        assertEndedBy(StackOverflowError.class);
    }

    @Test
    void outOfMemoryInAnAsyncStageEndsTheSession() throws Exception {
        start(new FailingAsyncFs(), 2);
        lookup("later");
        assertEndedBy(OutOfMemoryError.class);
    }

    @Test
    void outOfMemoryInAMethodRunOnTheReaderEndsTheSession() throws Exception {
        start(new FailingAsyncFs(), 1);
        lookup("now");
        assertEndedBy(OutOfMemoryError.class);
    }

    @Test
    void anErrorOnTheReaderItselfEndsTheWholeSessionNotJustThatReader() throws Exception {
        start(new BlockingAdapter(new FailingFs()), 2);
        kernel.failNextReceive = new OutOfMemoryError("thrown by the test in the reader's read");
        // Wake a reader: it handles this, then fails on its next read. The other reader must not keep serving.
        kernel.push(FakeKernel.request(Opcode.FORGET.code(), kernel.unique(), 2, FakeKernel.le(1)));
        assertEndedBy(OutOfMemoryError.class);
    }
}
