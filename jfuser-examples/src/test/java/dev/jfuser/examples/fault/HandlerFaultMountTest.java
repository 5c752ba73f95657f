package dev.jfuser.examples.fault;

import static dev.jfuser.examples.fault.FaultSupport.CALLER_BOUND;
import static dev.jfuser.examples.fault.FaultSupport.assertIntact;
import static dev.jfuser.examples.fault.FaultSupport.assertServing;
import static dev.jfuser.examples.fault.FaultSupport.await;
import static dev.jfuser.examples.fault.FaultSupport.runBounded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.Entry;
import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.fault.FaultSupport.Client;
import dev.jfuser.examples.hello.AsyncHelloFs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fault suite, in-process part: filesystem handlers that throw, return null or unencodable values, block, or are
 * wedged, and clients (real processes: cat, dd, python3) killed in the middle of a read or a write. Every case
 * checks that no caller waits past a bound, that the mount still serves, and that data written before is intact.
 * Runs over /dev/fuse, and over io_uring in bin/test's second pass.
 */
@Tag("mount")
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class HandlerFaultMountTest {
    private static final String LISTXATTR = "import os, sys\nprint(os.listxattr(sys.argv[1]))";
    private static final String GETXATTR = "import os, sys\nprint(os.getxattr(sys.argv[1], 'user.x'))";

    private Path base;
    private Path mp;
    private FaultyFs fs;
    private Mount mount;
    private final List<Client> clients = new ArrayList<>();
    private String keepSha;
    private int connection = -1;

    @BeforeEach
    void setUp() throws Exception {
        MountSupport.assumeRootAndFuse();
        base = Files.createTempDirectory("jfuser-fault");
        mp = Files.createDirectory(base.resolve("mnt"));
    }

    private void mountFaulty(SessionOptions session) throws Exception {
        fs = new FaultyFs();
        mount = Fuse.mount(fs, mp, MountOptions.parse("fsname=faulty,subtype=faulty"), session);
        connection = FaultSupport.connection(mp);
        keepSha = FaultSupport.writeRandom(mp.resolve("keep"), 1 << 20, 42);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (fs != null) {
            fs.release();
        }
        for (Client c : clients) {
            c.destroy();
        }
        boolean left = false;
        try {
            if (mount != null) {
                Mount m = mount;
                // close() waits for the session: bounded, because a failed case may have wedged it.
                CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> {
                    try {
                        m.unmount(true);
                        if (!m.awaitUnmount(Duration.ofSeconds(15))) {
                            throw new IllegalStateException("the session did not end");
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, r -> Thread.ofPlatform().daemon().start(r));
                try {
                    closed.get(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    left = true;
                    // Wedged: abort the connection, so no caller stays waiting in it.
                    if (connection >= 0) {
                        FaultSupport.abort(connection);
                    }
                }
            }
        } finally {
            left |= FaultSupport.abortAndDetach(mp);
            MountSupport.run("rm", "-rf", base.toString());
        }
        assertFalse(left, "the case left " + mp + " mounted or wedged (aborted and detached it)");
    }

    private Client client(String... command) throws Exception {
        Client c = Client.start(command);
        clients.add(c);
        return c;
    }

    private Client python(String program, String... args) throws Exception {
        Client c = Client.python(program, args);
        clients.add(c);
        return c;
    }

    /** Makes {@code name} a file of {@code size} bytes without writing through its faulty handler. */
    private Path sized(String name, int size) throws Exception {
        Path f = mp.resolve(name);
        assertEquals(0, runBounded(CALLER_BOUND, "truncate", "-s", Integer.toString(size), f.toString()).exitCode());
        return f;
    }

    private void assertEio(Client c) throws Exception {
        int code = c.assertEndsWithin(CALLER_BOUND);
        assertNotEquals(0, code, c.what + " succeeded");
        assertTrue(c.output().contains("Input/output error") || c.output().contains("Errno 5"),
                c.what + ": " + c.output());
    }

    private void assertStillGood() throws Exception {
        assertServing(mp);
        assertIntact(mp.resolve("keep"), keepSha);
        assertTrue(mount.isServing(), "the session ended");
    }

    @Test
    void aThrowingHandlerIsAnsweredEioAndTheMountServesOn() throws Exception {
        mountFaulty(SessionOptions.DEFAULT);
        Path f = sized("throw-f", 8192);
        assertEio(client("cat", f.toString()));
        assertEio(client("dd", "if=/dev/zero", "of=" + mp.resolve("throw-w"), "bs=4k", "count=4"));
        assertEio(python(LISTXATTR, f.toString()));
        assertStillGood();
    }

    @Test
    void nullRepliesAreAnsweredEio() throws Exception {
        mountFaulty(SessionOptions.DEFAULT);
        Path f = sized("null-f", 8192);
        assertEio(client("cat", f.toString()));
        assertEio(python(LISTXATTR, f.toString()));
        assertEio(python(GETXATTR, f.toString()));
        assertStillGood();
    }

    /** A listxattr answer holding a null name cannot be encoded: EIO, and the request must not be left open. */
    @Test
    void anUnencodableReplyIsAnsweredEio() throws Exception {
        mountFaulty(SessionOptions.DEFAULT);
        Path f = sized("badxattr-f", 10);
        assertEio(python(LISTXATTR, f.toString()));
        assertStillGood();
    }

    /** The same from an async filesystem: the session must survive the value, not just the request. */
    @Test
    void anUnencodableAsyncReplyIsAnsweredEioAndTheSessionLives() throws Exception {
        mount = Fuse.mount(new BadXattrAsyncFs(), mp, MountOptions.parse("fsname=faulty-async,subtype=faulty"));
        connection = FaultSupport.connection(mp);
        Path f = mp.resolve("hello.txt");
        assertEio(python(LISTXATTR, f.toString()));
        assertEquals(0, runBounded(CALLER_BOUND, "cat", f.toString()).exitCode(), "the mount no longer serves");
        assertTrue(mount.isServing(), "the session ended");
    }

    static Stream<Arguments> killedMidRequest() {
        List<Arguments> out = new ArrayList<>();
        for (String file : List.of("slow", "block")) {
            for (String op : List.of("read", "write")) {
                for (String signal : List.of("INT", "TERM", "KILL")) {
                    out.add(Arguments.of(file, op, signal));
                }
            }
        }
        return out.stream();
    }

    /**
     * A client killed while its read or write is being served (slow handler) or waits in a handler that only an
     * INTERRUPT ends (block): it must be reaped at once, and nothing else may change.
     */
    @ParameterizedTest(name = "{0} {1}, client gets SIG{2}")
    @MethodSource("killedMidRequest")
    void aClientKilledMidRequestIsReleased(String file, String op, String signal) throws Exception {
        mountFaulty(SessionOptions.DEFAULT);
        Path f = mp.resolve(file + "-" + op);
        String sha = null;
        if (op.equals("read")) {
            // Filled through memfs directly would skip the fault; a slow file takes 4 slow writes, fine.
            if (file.equals("slow")) {
                sha = FaultSupport.writeRandom(f, 1 << 20, 7);
            } else {
                sized(f.getFileName().toString(), 1 << 20);
            }
        }
        int before = fs.faultyCalls();
        // A slow file is read with O_DIRECT, request by request. A blocked file is read and written through the
        // page cache: the kernel sends O_DIRECT I/O (FUSE_ASYNC_DIO) and readahead as background requests that it
        // never interrupts, so their callers wait (in D) for the handler whatever the library does; a page-cache
        // reader waits killably, and a buffered write is a request its caller waits for, which INTERRUPT ends.
        Client c = op.equals("read")
                ? file.equals("slow") ? client("dd", "if=" + f, "of=/dev/null", "bs=4k", "iflag=direct")
                        : client("cat", f.toString())
                : python("import os, sys\nfd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT)\n"
                        + "while True:\n    os.write(fd, b'x' * 65536)\n", f.toString());
        assertTrue(await(() -> fs.faultyCalls() > before + 1 || fs.blockedHandlers() > 0, CALLER_BOUND),
                c.what + " never reached the handler: " + c.output());
        Thread.sleep(50);
        c.signal(signal);
        c.assertEndsWithin(CALLER_BOUND);
        if (op.equals("write")) {
            // A WRITE is a request its caller waits for: the kernel sends INTERRUPT, which ends the handler.
            assertTrue(await(() -> fs.blockedHandlers() == 0, CALLER_BOUND),
                    fs.blockedHandlers() + " handlers still blocked after their client died");
        }
        if (sha != null) {
            assertIntact(f, sha);
        }
        assertStillGood();
    }

    /**
     * A wedged handler (deaf to interrupts) holds its own caller - the kernel waits for the answer - but nobody
     * else: other clients are served meanwhile, and the caller goes as soon as the handler returns.
     */
    @Test
    void aWedgedHandlerHoldsOnlyItsOwnCaller() throws Exception {
        mountFaulty(SessionOptions.DEFAULT);
        Client c = client("dd", "if=/dev/zero", "of=" + mp.resolve("stuck-w"), "bs=4k", "count=1");
        assertTrue(await(() -> fs.blockedHandlers() == 1, CALLER_BOUND), "dd never reached the handler");
        c.signal("KILL");
        Thread.sleep(300);
        assertEquals('D', c.state(), "the kernel keeps a killed caller until its WRITE is answered");
        assertStillGood();
        fs.release();
        c.assertEndsWithin(CALLER_BOUND);
        assertStillGood();
    }

    /**
     * With every in-flight permit taken by a blocked request, the INTERRUPT that would free it must still be read:
     * the killed client goes, and the request queued behind it is served.
     */
    @ParameterizedTest(name = "{0} reader(s), maxInFlight {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 2})
    void interruptsAreReadWhenEveryPermitIsTaken(int n) throws Exception {
        mountFaulty(SessionOptions.DEFAULT.withReaderThreads(n).withMaxInFlight(n));
        List<Client> blocked = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // A WRITE: a request its caller waits for, so a signal makes the kernel send INTERRUPT.
            blocked.add(client("dd", "if=/dev/zero", "of=" + mp.resolve("block-" + i), "bs=4k", "count=1"));
            int want = i + 1;
            assertTrue(await(() -> fs.blockedHandlers() == want, CALLER_BOUND), "dd never reached the handler");
        }
        // One request per reader queued behind the permits: every reader now holds one, waiting for a permit.
        List<Client> waiting = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            waiting.add(client("cat", mp.resolve("keep").toString()));
        }
        Thread.sleep(300);
        for (Client c : blocked) {
            c.signal("KILL");
        }
        for (Client c : blocked) {
            c.assertEndsWithin(CALLER_BOUND);
        }
        for (Client c : waiting) {
            assertEquals(0, c.assertEndsWithin(CALLER_BOUND), c.output());
        }
        assertStillGood();
    }

    /** An async filesystem whose listxattr completes with a name that cannot be encoded. */
    static final class BadXattrAsyncFs implements AsyncFilesystem {
        private final AsyncHelloFs hello = new AsyncHelloFs(0, 0);

        @Override
        public CompletionStage<Entry> lookup(Request req, long parent, String name) {
            return hello.lookup(req, parent, name);
        }

        @Override
        public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
            return hello.getattr(req, nodeId, fh);
        }

        @Override
        public CompletionStage<dev.jfuser.OpenReply> open(Request req, long nodeId, int flags) {
            return hello.open(req, nodeId, flags);
        }

        @Override
        public CompletionStage<dev.jfuser.ReadData> read(Request req, long nodeId, long fh, long offset, int size,
                int flags, long lockOwner) {
            return hello.read(req, nodeId, fh, offset, size, flags, lockOwner);
        }

        @Override
        public CompletionStage<List<String>> listxattr(Request req, long nodeId) {
            return CompletableFuture.completedFuture(Arrays.asList("user.a", null));
        }
    }
}
