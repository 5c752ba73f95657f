package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FsStats;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Methods left to their defaults: found by reflection, answered on the reader thread, FLUSH/FSYNC as ENOSYS. */
class DefaultMethodsTest extends SessionFixture {

    /** Overrides getattr, flush and statfs only; records the thread each ran on. */
    static final class PartialFs implements Filesystem {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
            calls.add("getattr virtual=" + Thread.currentThread().isVirtual());
            return AttrReply.of(FileAttr.builder(nodeId, FileType.DIRECTORY).perm(0755).build());
        }

        @Override
        public void flush(Request req, long nodeId, long fh, long lockOwner) {
            calls.add("flush");
        }

        @Override
        public FsStats statfs(Request req, long nodeId) {
            calls.add("statfs virtual=" + Thread.currentThread().isVirtual());
            return FsStats.DEFAULT;
        }
    }

    @Test
    void everyOpcodeWithAMethodNamesOneOfBothApis() {
        for (Opcode op : Opcode.values()) {
            String name = DefaultMethods.methodName(op);
            if (name == null) {
                continue;
            }
            for (Class<?> api : List.of(Filesystem.class, AsyncFilesystem.class)) {
                Method m = Arrays.stream(api.getMethods()).filter(x -> x.getName().equalsIgnoreCase(name))
                        .findFirst().orElse(null);
                assertNotNull(m, op + " maps to " + name + ", which " + api.getSimpleName() + " lacks");
            }
        }
    }

    @Test
    void theKernelTakesEnosysAsSuccessForFlushFsyncAndFsyncdirOnly() {
        Set<Opcode> ops = java.util.EnumSet.noneOf(Opcode.class);
        for (Opcode op : Opcode.values()) {
            if (op.enosysMeansSuccess()) {
                ops.add(op);
            }
        }
        assertEquals(Set.of(Opcode.FLUSH, Opcode.FSYNC, Opcode.FSYNCDIR), ops);
    }

    @Test
    void findsWhatABlockingFilesystemLeftToItsDefaults() {
        Set<Opcode> defaults = DefaultMethods.of(new PartialFs());
        assertFalse(defaults.contains(Opcode.GETATTR));
        assertFalse(defaults.contains(Opcode.FLUSH));
        assertFalse(defaults.contains(Opcode.STATFS));
        assertTrue(defaults.containsAll(Set.of(Opcode.LOOKUP, Opcode.FSYNC, Opcode.FSYNCDIR, Opcode.RELEASE,
                Opcode.SETLK, Opcode.SETLKW, Opcode.RENAME, Opcode.RENAME2, Opcode.COPY_FILE_RANGE,
                Opcode.COPY_FILE_RANGE_64, Opcode.READDIRPLUS)), defaults.toString());
        assertFalse(defaults.contains(Opcode.FORGET), "forget is the session's business");
        assertEquals(defaults, DefaultMethods.of(new BlockingAdapter(new PartialFs())),
                "seen through the adapter, the wrapped filesystem counts");
    }

    @Test
    void findsWhatAnAsyncFilesystemLeftToItsDefaults() {
        AsyncFilesystem fs = new AsyncFilesystem() {
            @Override
            public CompletionStage<Void> fsync(Request req, long nodeId, long fh, boolean datasync) {
                return CompletableFuture.completedFuture(null);
            }
        };
        Set<Opcode> defaults = DefaultMethods.of(fs);
        assertFalse(defaults.contains(Opcode.FSYNC));
        assertTrue(defaults.contains(Opcode.FLUSH));
        assertTrue(defaults.contains(Opcode.GETATTR));
    }

    private void start(AsyncFilesystem fs) throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0,
                FakeKernel.init(7, 45, Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT)));
        session = new Session(kernel, fs, SessionOptions.DEFAULT.withReaderThreads(1), -1);
        session.start();
        assertEquals(0, kernel.await(1).error());
    }

    @Test
    void flushAndFsyncLeftToTheirDefaultsAreAnsweredEnosysWhichTheKernelTakesAsSuccess() throws Exception {
        PartialFs fs = new PartialFs();
        start(new BlockingAdapter(fs));
        byte[] flushIn = FakeKernel.le(7, 0, 0);
        byte[] fsyncIn = FakeKernel.le(7, 0);
        assertEquals(0, kernel.call(Opcode.FLUSH.code(), 2, flushIn).error(), "overridden: called");
        assertEquals(-Errno.ENOSYS.code(), kernel.call(Opcode.FSYNC.code(), 2, fsyncIn).error());
        assertEquals(-Errno.ENOSYS.code(), kernel.call(Opcode.FSYNCDIR.code(), 1, fsyncIn).error());
        // Release left to its default still succeeds: the kernel would not stop sending it.
        assertEquals(0, kernel.call(Opcode.RELEASE.code(), 2, FakeKernel.le(7, 0, 0)).error());
        assertEquals(List.of("flush"), fs.calls);
    }

    @Test
    void defaultsRunOnTheReaderThreadAndOverriddenMethodsOnVirtualThreads() throws Exception {
        PartialFs fs = new PartialFs();
        List<String> threads = new CopyOnWriteArrayList<>();
        start(new BlockingAdapter(new Filesystem() {
            @Override
            public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws java.io.IOException {
                return fs.getattr(req, nodeId, fh);
            }

            @Override
            public dev.jfuser.Entry lookup(Request req, long parent, String name) throws java.io.IOException {
                threads.add(Thread.currentThread().getName());
                throw new dev.jfuser.FuseException(Errno.ENOENT);
            }
        }));
        assertEquals(0, kernel.call(Opcode.GETATTR.code(), 1, new byte[16]).error());
        assertEquals(-Errno.ENOENT.code(), kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("x")).error());
        assertEquals(0, kernel.call(Opcode.STATFS.code(), 1, new byte[0]).error(), "default statfs succeeds");
        assertEquals(List.of("getattr virtual=true"), fs.calls);
        assertTrue(threads.get(0).startsWith("jfuser-request-"), threads.toString());
    }

    @Test
    void aDefaultMethodIsCompleteWhenTheAdapterReturns() {
        BlockingAdapter adapter = new BlockingAdapter(new PartialFs());
        Request req = new Request(5, Opcode.LOOKUP, 1, 0, 0, 0, null);
        CompletableFuture<?> lookup = adapter.lookup(req, 1, "x").toCompletableFuture();
        assertTrue(lookup.isCompletedExceptionally(), "ENOSYS answered on the calling thread");
        CompletableFuture<?> statfs = adapter.statfs(req, 1).toCompletableFuture();
        assertEquals(FsStats.DEFAULT, statfs.getNow(null));
    }
}
