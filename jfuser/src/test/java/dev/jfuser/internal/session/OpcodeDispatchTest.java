package dev.jfuser.internal.session;

import static dev.jfuser.internal.session.AsyncSessionTest.concat;
import static dev.jfuser.internal.session.FakeKernel.le;
import static dev.jfuser.internal.session.FakeKernel.name;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileLock;
import dev.jfuser.FileType;
import dev.jfuser.FsStats;
import dev.jfuser.IoctlReply;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.SessionOptions;
import dev.jfuser.StatxReply;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Proxy;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every opcode of the protocol reaches its {@link AsyncFilesystem} method through the real session and dispatcher:
 * a minimal valid request per opcode goes in through the fake kernel, a recording filesystem notes which method
 * ran, and the reply must be a success. The opcodes the session answers itself are checked separately.
 */
class OpcodeDispatchTest {
    /** Opcodes the session handles itself instead of dispatching them. */
    static final Set<Opcode> SESSION_OPCODES = EnumSet.of(Opcode.INIT, Opcode.DESTROY, Opcode.FORGET,
            Opcode.BATCH_FORGET, Opcode.INTERRUPT, Opcode.NOTIFY_REPLY);

    /** The specification this test checks: which method each dispatched opcode must reach. */
    static final Map<Opcode, String> METHOD = new EnumMap<>(Opcode.class);

    static {
        Object[] table = {
            Opcode.LOOKUP, "lookup", Opcode.GETATTR, "getattr", Opcode.SETATTR, "setattr",
            Opcode.READLINK, "readlink", Opcode.SYMLINK, "symlink", Opcode.MKNOD, "mknod", Opcode.MKDIR, "mkdir",
            Opcode.UNLINK, "unlink", Opcode.RMDIR, "rmdir", Opcode.RENAME, "rename", Opcode.RENAME2, "rename",
            Opcode.LINK, "link", Opcode.OPEN, "open", Opcode.READ, "read", Opcode.WRITE, "write",
            Opcode.STATFS, "statfs", Opcode.RELEASE, "release", Opcode.FSYNC, "fsync",
            Opcode.SETXATTR, "setxattr", Opcode.GETXATTR, "getxattr", Opcode.LISTXATTR, "listxattr",
            Opcode.REMOVEXATTR, "removexattr", Opcode.FLUSH, "flush", Opcode.OPENDIR, "opendir",
            Opcode.READDIR, "readdir", Opcode.RELEASEDIR, "releasedir", Opcode.FSYNCDIR, "fsyncdir",
            Opcode.GETLK, "getlk", Opcode.SETLK, "setlk", Opcode.SETLKW, "setlk", Opcode.ACCESS, "access",
            Opcode.CREATE, "create", Opcode.BMAP, "bmap", Opcode.IOCTL, "ioctl", Opcode.POLL, "poll",
            Opcode.FALLOCATE, "fallocate", Opcode.READDIRPLUS, "readdirplus", Opcode.LSEEK, "lseek",
            Opcode.COPY_FILE_RANGE, "copyFileRange", Opcode.COPY_FILE_RANGE_64, "copyFileRange",
            Opcode.SETUPMAPPING, "setupMapping", Opcode.REMOVEMAPPING, "removeMapping", Opcode.SYNCFS, "syncfs",
            Opcode.TMPFILE, "tmpfile", Opcode.STATX, "statx",
        };
        for (int i = 0; i < table.length; i += 2) {
            METHOD.put((Opcode) table[i], (String) table[i + 1]);
        }
    }

    private static final FileAttr ATTR = FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).size(3).build();

    /** One call the filesystem received. */
    record Call(String method, Object[] args) {
        @Override
        public String toString() {
            return method + Arrays.deepToString(args);
        }
    }

    private final FakeKernel kernel = new FakeKernel();
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private Session session;

    /**
     * An AsyncFilesystem that records every call and answers each with a valid value of its response type, picked
     * from the method's declared {@code CompletionStage<T>}: so no operation can be missed by forgetting to
     * override it here.
     */
    private AsyncFilesystem recordingFs() {
        return (AsyncFilesystem) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {AsyncFilesystem.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "toString" -> {
                            return "RecordingFs";
                        }
                        case "hashCode" -> {
                            return System.identityHashCode(proxy);
                        }
                        case "equals" -> {
                            return proxy == args[0];
                        }
                        default -> { }
                    }
                    calls.add(new Call(method.getName(), args == null ? new Object[0] : args));
                    if (method.getReturnType() != java.util.concurrent.CompletionStage.class) {
                        return null; // init, destroy, forget
                    }
                    return CompletableFuture.completedFuture(answer(method));
                });
    }

    private static Object answer(Method method) {
        Type t = ((ParameterizedType) method.getGenericReturnType()).getActualTypeArguments()[0];
        if (t instanceof ParameterizedType p && p.getRawType() == List.class) {
            return List.of("user.x");
        }
        Class<?> c = (Class<?>) t;
        if (c == Void.class) {
            return null;
        } else if (c == Entry.class) {
            return Entry.of(ATTR);
        } else if (c == AttrReply.class) {
            return AttrReply.of(ATTR);
        } else if (c == String.class) {
            return "target";
        } else if (c == OpenReply.class) {
            return OpenReply.of(7);
        } else if (c == ReadData.class) {
            return ReadData.of(new byte[] {1, 2});
        } else if (c == Integer.class) {
            return 3;
        } else if (c == Long.class) {
            return 0L;
        } else if (c == FsStats.class) {
            return FsStats.DEFAULT;
        } else if (c == byte[].class) {
            return new byte[] {1};
        } else if (c == CreateReply.class) {
            return new CreateReply(Entry.of(ATTR), OpenReply.of(7));
        } else if (c == FileLock.class) {
            return FileLock.unlocked();
        } else if (c == IoctlReply.class) {
            return IoctlReply.of(0);
        } else if (c == StatxReply.class) {
            return new StatxReply(StatxReply.STATX_BASIC_STATS, ATTR, Instant.EPOCH, 0, 0, Duration.ofSeconds(1));
        }
        throw new AssertionError("no sample answer for " + t + " (" + method.getName() + "): add one");
    }

    @BeforeEach
    void start() throws Exception {
        long flags = Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT | Abi.DO_READDIRPLUS;
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, flags)));
        session = new Session(kernel, recordingFs(), SessionOptions.DEFAULT, -1);
        session.start();
        assertEquals(0, kernel.await(1).error());
        assertEquals(List.of("init"), calls.stream().map(Call::method).toList());
        calls.clear();
    }

    @AfterEach
    void end() throws Exception {
        kernel.unmount();
        session.terminated().get(10, TimeUnit.SECONDS);
    }

    @Test
    void theTableNamesEveryOpcodeTheSessionDoesNotHandleItself() {
        Set<Opcode> expected = EnumSet.allOf(Opcode.class);
        expected.removeAll(SESSION_OPCODES);
        assertEquals(expected, METHOD.keySet(), "a new opcode needs a row in METHOD (and a body below)");
    }

    @ParameterizedTest
    @EnumSource(value = Opcode.class, mode = EnumSource.Mode.EXCLUDE,
            names = {"INIT", "DESTROY", "FORGET", "BATCH_FORGET", "INTERRUPT", "NOTIFY_REPLY"})
    void everyOpcodeReachesItsMethodAndIsAnswered(Opcode op) throws Exception {
        FakeKernel.Reply reply = kernel.call(op.code(), 2, body(op));
        assertEquals(1, calls.size(), op + " made calls " + calls);
        Call call = calls.getFirst();
        assertEquals(METHOD.get(op), call.method(), op + " reached the wrong method");
        assertEquals(0, reply.error(), op + " was answered " + reply.error());
        assertNull(kernel.extraReply(reply.unique(), 1), "second reply to " + op);
        // Spot checks that arguments arrive where the method expects them.
        switch (op) {
            case READ -> assertEquals(4096, call.args()[4], "READ size");
            case WRITE -> assertEquals(3, ((ByteBuffer) call.args()[4]).remaining(), "WRITE payload");
            case SETLK -> assertEquals(false, call.args()[5], "SETLK does not sleep");
            case SETLKW -> assertEquals(true, call.args()[5], "SETLKW sleeps");
            case READDIR -> assertEquals(false, ((DirectoryListing) call.args()[4]).isPlus());
            case READDIRPLUS -> assertEquals(true, ((DirectoryListing) call.args()[4]).isPlus());
            case RENAME2 -> assertEquals(1, call.args()[5], "RENAME2 flags");
            case LOOKUP -> assertEquals("x", call.args()[2]);
            case SYMLINK -> assertEquals(List.of("link", "target"), List.of(call.args()[2], call.args()[3]));
            default -> { }
        }
    }

    @Test
    void forgetAndBatchForgetReachForgetAndAreNeverAnswered() throws Exception {
        long u1 = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.FORGET.code(), u1, 2, le(3)));
        long u2 = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.BATCH_FORGET.code(), u2, 0,
                concat(ints(2, 0), le(5, 1, 6, 2))));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (calls.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(List.of("forget(2, 3)", "forget(5, 1)", "forget(6, 2)"),
                calls.stream().map(c -> c.method() + "(" + c.args()[0] + ", " + c.args()[1] + ")").sorted()
                        .toList());
        assertNull(kernel.extraReply(u1, 50));
        assertNull(kernel.extraReply(u2, 1));
    }

    @Test
    void destroyReachesDestroyAndIsAnswered() throws Exception {
        FakeKernel.Reply r = kernel.call(Opcode.DESTROY.code(), 0, new byte[0]);
        assertEquals(0, r.error());
        session.terminated().get(10, TimeUnit.SECONDS);
        assertEquals(List.of("destroy"), calls.stream().map(Call::method).toList(), "destroy exactly once");
    }

    @Test
    void initAgainInterruptForNothingAndNotifyReplyNeverReachTheFilesystem() throws Exception {
        assertEquals(-Errno.EIO.code(), kernel.call(Opcode.INIT.code(), 0, FakeKernel.init(7, 45, 0)).error());
        long i = kernel.unique() | 1;
        kernel.push(FakeKernel.request(Opcode.INTERRUPT.code(), i, 0, le(12345)));
        // Kept for the request it names (which may still arrive), not answered at once; see SessionInterruptTest.
        assertNull(kernel.extraReply(i, 100), "interrupt for a request not in flight");
        long n = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.NOTIFY_REPLY.code(), n, 2, new byte[40]));
        assertNull(kernel.extraReply(n, 100), "NOTIFY_REPLY is never answered");
        assertEquals(0, kernel.call(Opcode.STATFS.code(), 1, new byte[0]).error());
        assertEquals(List.of("statfs"), calls.stream().map(Call::method).toList());
    }

    /** A minimal valid request body for each dispatched opcode at protocol 7.45. */
    static byte[] body(Opcode op) {
        return switch (op) {
            case LOOKUP, UNLINK, RMDIR, REMOVEXATTR -> name("x");
            case GETATTR, FSYNC, FSYNCDIR, BMAP, TMPFILE -> new byte[16];
            case MKNOD -> concat(new byte[16], name("node")); // mode, rdev, umask, padding
            case SETATTR -> new byte[88];
            case READLINK, STATFS -> new byte[0];
            case SYMLINK -> concat(name("link"), name("target"));
            case MKDIR -> concat(new byte[8], name("dir"));
            case RENAME -> concat(le(1), name("a"), name("b"));
            case RENAME2 -> concat(ints(0, 0, 1, 0), name("a"), name("b")); // newdir (u64), flags, padding
            case LINK -> concat(le(2), name("hard"));
            case OPEN, OPENDIR, ACCESS, SYNCFS -> new byte[8];
            case READ, READDIR, READDIRPLUS -> concat(le(0, 0), ints(4096, 0), new byte[16]); // size at 16
            case WRITE -> concat(le(0, 0), ints(3, 0), new byte[16], new byte[] {1, 2, 3});
            case RELEASE, RELEASEDIR, FLUSH, LSEEK, STATX -> new byte[24];
            case SETXATTR -> concat(ints(1, 0), name("user.x"), new byte[] {7}); // value size, flags
            case GETXATTR -> concat(ints(64, 0), name("user.x"));
            case LISTXATTR -> ints(64, 0);
            case GETLK, SETLK, SETLKW -> new byte[48];
            case CREATE -> concat(new byte[16], name("new"));
            case IOCTL, FALLOCATE -> new byte[32];
            case POLL -> new byte[24];
            case COPY_FILE_RANGE, COPY_FILE_RANGE_64 -> new byte[56];
            case SETUPMAPPING -> new byte[40];
            case REMOVEMAPPING -> concat(ints(1), le(0, 4096)); // count, then (offset, length) pairs
            case INIT, DESTROY, FORGET, BATCH_FORGET, INTERRUPT, NOTIFY_REPLY ->
                    throw new IllegalArgumentException(op + " is handled by the session");
        };
    }

    static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }
}
