package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.ReadData;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Answers a filesystem gives that cannot be encoded, for every reply kind that has such values, through both APIs:
 * each is answered EIO exactly once with one log line naming the opcode and the request, and the session keeps
 * serving.
 */
class UnencodableReplyTest extends SessionFixture {
    private static final long FLAGS = Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT;
    private static final FileAttr DIR = FileAttr.builder(1, FileType.DIRECTORY).perm(0755).build();

    /** How the filesystem gives its answer. */
    enum Api { BLOCKING, ASYNC_AT_ONCE, ASYNC_LATER }

    /** One bad answer: the method answering it, the request that calls it, the value (or what the handler does). */
    record Bad(String what, Opcode opcode, String method, byte[] body, Function<Object[], Object> answer) {
        @Override
        public String toString() {
            return what;
        }
    }

    static Stream<Arguments> cases() {
        byte[] getxattrList = cat(ints(4096, 0));
        byte[] probe = cat(ints(0, 0), FakeKernel.name("user.x"));
        byte[] read = cat(FakeKernel.le(0, 0), ints(4096, 0), FakeKernel.le(0), ints(0, 0));
        byte[] write = cat(FakeKernel.le(0, 0), ints(5, 0), FakeKernel.le(0), ints(0, 0), "hello".getBytes());
        List<Bad> bad = List.of(
                new Bad("listxattr with a null name", Opcode.LISTXATTR, "listxattr", getxattrList,
                        a -> Arrays.asList("user.a", null)),
                new Bad("listxattr with a NUL in a name", Opcode.LISTXATTR, "listxattr", getxattrList,
                        a -> List.of("user.a\0b")),
                new Bad("listxattr with an empty name", Opcode.LISTXATTR, "listxattr", getxattrList,
                        a -> List.of("")),
                new Bad("listxattr of more than 64 KiB", Opcode.LISTXATTR, "listxattr", cat(ints(0, 0)),
                        a -> List.of("user." + "x".repeat(40_000), "user." + "y".repeat(40_000))),
                new Bad("getxattr of more than 64 KiB", Opcode.GETXATTR, "getxattr", probe,
                        a -> new byte[70_000]),
                new Bad("read answering more than asked", Opcode.READ, "read", read,
                        a -> ReadData.of(new byte[8192])),
                new Bad("read of freed memory", Opcode.READ, "read", read, a -> {
                    MemorySegment s;
                    try (Arena arena = Arena.ofShared()) {
                        s = arena.allocate(16);
                    }
                    return ReadData.of(s);
                }),
                new Bad("write counting more than written", Opcode.WRITE, "write", write, a -> 6),
                new Bad("write with a negative count", Opcode.WRITE, "write", write, a -> -1),
                new Bad("readlink with a NUL", Opcode.READLINK, "readlink", new byte[0], a -> "a\0b"),
                new Bad("readlink longer than PATH_MAX", Opcode.READLINK, "readlink", new byte[0],
                        a -> "x".repeat(5000)),
                new Bad("readlink empty", Opcode.READLINK, "readlink", new byte[0], a -> ""),
                new Bad("mkdir answering a negative entry", Opcode.MKDIR, "mkdir", cat(ints(0755, 0),
                        FakeKernel.name("d")), a -> new Entry(0, 0, null, java.time.Duration.ZERO,
                        java.time.Duration.ZERO)),
                new Bad("lseek to a negative offset", Opcode.LSEEK, "lseek", cat(FakeKernel.le(0, 0), ints(3, 0)),
                        a -> -5L),
                new Bad("lookup answering null", Opcode.LOOKUP, "lookup", FakeKernel.name("n"), a -> null),
                new Bad("create answering null", Opcode.CREATE, "create", cat(ints(0101, 0644, 0, 0),
                        FakeKernel.name("c")), a -> null),
                new Bad("statfs answering null", Opcode.STATFS, "statfs", new byte[0], a -> null),
                new Bad("getattr answering null", Opcode.GETATTR, "getattr", cat(ints(0, 0), FakeKernel.le(0)),
                        a -> null),
                new Bad("readdir adding a null name", Opcode.READDIR, "readdir", read, a -> {
                    ((DirectoryListing) a[4]).add(null, 5, FileType.REGULAR_FILE, 1);
                    return null;
                }));
        List<Arguments> all = new ArrayList<>();
        for (Api api : Api.values()) {
            for (Bad b : bad) {
                all.add(Arguments.of(api, b));
            }
        }
        return all.stream();
    }

    private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
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

    @BeforeEach
    void captureLog() {
        Logger.getLogger("dev.jfuser").addHandler(capture);
    }

    @AfterEach
    void releaseLog() {
        Logger.getLogger("dev.jfuser").removeHandler(capture);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void anUnencodableAnswerIsAnsweredEioOnceAndTheSessionKeepsServing(Api api, Bad bad) throws Exception {
        start(filesystem(api, bad));
        long u = kernel.unique();
        kernel.push(FakeKernel.request(bad.opcode().code(), u, 2, bad.body()));
        FakeKernel.Reply r = kernel.await(u);
        assertEquals(-Errno.EIO.code(), r.error(), bad + " answered " + r.error());
        assertNull(kernel.extraReply(u, 100), "a second answer");
        String id = "request " + u;
        List<LogRecord> lines = logged.stream().filter(l -> l.getMessage().contains(id)).toList();
        assertEquals(1, lines.size(), "one log line for " + id + ": " + lines.stream().map(LogRecord::getMessage)
                .toList());
        assertTrue(lines.getFirst().getMessage().contains(bad.opcode().toString()), lines.getFirst().getMessage());

        long next = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.GETATTR.code(), next, 1, cat(ints(0, 0), FakeKernel.le(0))));
        assertEquals(0, kernel.await(next).error(), "the session still serves");
    }

    private void start(AsyncFilesystem fs) throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, FLAGS)));
        session = new Session(kernel, fs, SessionOptions.DEFAULT.withReaderThreads(1), -1);
        session.start();
        assertEquals(0, kernel.await(1).error());
    }

    /** Getattr of node 1 answers the root (the follow-up request); {@code bad.method} answers the bad value. */
    private static AsyncFilesystem filesystem(Api api, Bad bad) {
        if (api == Api.BLOCKING) {
            InvocationHandler h = (proxy, m, args) -> {
                if (m.getName().equals("getattr") && (long) args[1] == 1) {
                    return AttrReply.of(DIR);
                }
                if (m.getName().equals(bad.method())) {
                    return bad.answer().apply(args);
                }
                return invokeDefault(proxy, m, args);
            };
            return new BlockingAdapter((Filesystem) Proxy.newProxyInstance(Filesystem.class.getClassLoader(),
                    new Class<?>[] {Filesystem.class}, h));
        }
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("getattr") && (long) args[1] == 1) {
                return CompletableFuture.completedFuture(AttrReply.of(DIR));
            }
            if (m.getName().equals(bad.method())) {
                if (api == Api.ASYNC_AT_ONCE) {
                    return CompletableFuture.completedFuture(bad.answer().apply(args));
                }
                Object value = bad.answer().apply(args);
                return CompletableFuture.supplyAsync(() -> value, CompletableFuture.delayedExecutor(
                        20, java.util.concurrent.TimeUnit.MILLISECONDS));
            }
            return invokeDefault(proxy, m, args);
        };
        return (AsyncFilesystem) Proxy.newProxyInstance(AsyncFilesystem.class.getClassLoader(),
                new Class<?>[] {AsyncFilesystem.class}, h);
    }

    private static Object invokeDefault(Object proxy, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return InvocationHandler.invokeDefault(proxy, m, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }
}
