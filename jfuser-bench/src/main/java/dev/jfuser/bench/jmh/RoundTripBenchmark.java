package dev.jfuser.bench.jmh;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.FileType;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.bench.JfuserAsyncBenchFs;
import dev.jfuser.bench.JfuserBenchFs;
import dev.jfuser.bench.JfuserPathBenchFs;
import dev.jfuser.bench.Tree;
import dev.jfuser.internal.session.BlockingAdapter;
import dev.jfuser.internal.session.Session;
import dev.jfuser.internal.transport.FuseChannel;
import dev.jfuser.path.PathAdapter;
import dev.jfuser.protocol.Opcode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One request through the real session: the benchmark thread hands request bytes to a fake /dev/fuse channel,
 * the session's reader thread decodes, dispatches to the benchmark filesystem and encodes the reply, and the
 * benchmark thread waits for that reply. Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is the allocation
 * of one whole round trip, summed over every thread (reader, virtual threads), in bytes.
 *
 * <p>{@code api=async} answers on the reader thread (completed stages); {@code api=blocking} is the
 * {@code Filesystem} API, which runs each request on a virtual thread; {@code api=inline} is the blocking API
 * with {@code SessionOptions.withInline}, on the reader thread. {@code api=prebuilt} answers with stages built
 * before the benchmark, so the filesystem allocates nothing: what remains is jfuser's own allocation (the
 * {@code Request} it hands to the filesystem included). {@code api=path} is the same tree on the path API
 * ({@code PathAdapter} over {@code JfuserPathBenchFs}, blocking): compared with {@code blocking}, the cost of the
 * adapter's node table and paths.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xms1g", "-Xmx1g"})
public class RoundTripBenchmark {
    private static final int LOOKUP = 1;
    private static final int GETATTR = 3;
    private static final int READ = 15;
    private static final int WRITE = 16;
    private static final int INIT = 26;
    private static final int READDIR = 28;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Param({"GETATTR", "LOOKUP", "READ_4K", "WRITE_4K", "READDIR"})
    public String op;

    @Param({"async", "blocking", "inline", "prebuilt", "path"})
    public String api;

    private LoopbackChannel channel;
    private Session session;
    private MemorySegment request;
    private long unique = 100;
    private PathAdapter pathFs;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Tree tree = new Tree(1L << 30);
        long scratch = tree.create("w");
        AsyncFilesystem fs = switch (api) {
            case "async" -> new JfuserAsyncBenchFs(tree, false, false);
            case "blocking" -> new BlockingAdapter(new JfuserBenchFs(tree, false, false));
            case "inline" -> new BlockingAdapter(new JfuserBenchFs(tree, false, false),
                    java.util.Set.of(JfuserBenchFs.OPS));
            case "prebuilt" -> new PrebuiltFs(new JfuserBenchFs(tree, false, false));
            case "path" -> new BlockingAdapter(pathFs = new PathAdapter(new JfuserPathBenchFs(tree)));
            default -> throw new IllegalArgumentException(api);
        };
        long small = Tree.SMALL;
        long smallFile = Tree.SMALL_BASE + 1;
        long big = Tree.BIG;
        long scratchFile = scratch;
        long dir10k = Tree.DIR10K;
        long dirFh = 0;
        if (pathFs != null) {
            // the path API numbers its own nodes: look the files up as the kernel would first
            Request req = new Request(1, Opcode.LOOKUP, 1, 0, 0, 0, null);
            small = pathFs.lookup(req, 1, "small").nodeId();
            smallFile = pathFs.lookup(req, small, "s001").nodeId();
            big = pathFs.lookup(req, 1, "big").nodeId();
            scratchFile = pathFs.lookup(req, pathFs.lookup(req, 1, "scratch").nodeId(), "w").nodeId();
            dir10k = pathFs.lookup(req, 1, "dir10k").nodeId();
            dirFh = pathFs.opendir(req, dir10k, 0).fh(); // its listing restarts (a new snapshot) at offset 0
        }
        channel = new LoopbackChannel();
        session = new Session(channel, fs, SessionOptions.DEFAULT.withReaderThreads(1), -1);
        channel.submit(init());
        session.start(); // reads and answers INIT on this thread, then starts the reader
        channel.awaitReplies(1);
        request = switch (op) {
            case "GETATTR" -> request(GETATTR, smallFile, 16, 0);
            case "LOOKUP" -> {
                MemorySegment r = request(LOOKUP, small, 5, 0);
                r.setString(40, "s001");
                yield r;
            }
            case "READ_4K" -> readIn(request(READ, big, 40, 0), 4096);
            case "WRITE_4K" -> {
                MemorySegment r = request(WRITE, scratchFile, 40, 4096);
                r.set(INT, 40 + 16, 4096);
                yield r;
            }
            case "READDIR" -> {
                MemorySegment r = readIn(request(READDIR, dir10k, 40, 0), 4096);
                r.set(LONG, 40, dirFh);
                yield r;
            }
            default -> throw new IllegalArgumentException(op);
        };
        if (roundTrip() != 0) {
            throw new IllegalStateException(op + " answered with error " + channel.lastError);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        session.stop();
        session.terminated().get(10, TimeUnit.SECONDS);
    }

    /** One request in, its reply out; returns the reply's error (0). */
    @Benchmark
    public int roundTrip() {
        request.set(LONG, 8, unique += 2);
        long before = channel.replies;
        channel.submit(request);
        channel.awaitReplies(before + 1);
        return channel.lastError;
    }

    /** Answers every request with a stage made once, from the benchmark tree's answers. */
    static final class PrebuiltFs implements AsyncFilesystem {
        private final CompletionStage<Entry> entry;
        private final CompletionStage<AttrReply> attr;
        private final CompletionStage<ReadData> data;
        private final CompletionStage<Integer> written = CompletableFuture.completedFuture(4096);
        private final CompletionStage<Void> listed = CompletableFuture.completedFuture(null);
        private static final String[] NAMES = java.util.stream.IntStream.range(0, 10_000)
                .mapToObj(i -> String.format("f%05d", i)).toArray(String[]::new);

        PrebuiltFs(JfuserBenchFs fs) {
            Request req = new Request(1, Opcode.LOOKUP, Tree.SMALL, 0, 0, 0, null);
            try {
                entry = CompletableFuture.completedFuture(fs.lookup(req, Tree.SMALL, "s001"));
                attr = CompletableFuture.completedFuture(fs.getattr(req, Tree.SMALL_BASE + 1, OptionalLong.empty()));
                data = CompletableFuture.completedFuture(ReadData.of(new byte[4096]));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public CompletionStage<Entry> lookup(Request req, long parent, String name) {
            return entry;
        }

        @Override
        public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
            return attr;
        }

        @Override
        public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
                long lockOwner) {
            return data;
        }

        @Override
        public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer payload,
                int writeFlags, int flags, long lockOwner) {
            return written;
        }

        @Override
        public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset,
                DirectoryListing listing) {
            for (int i = (int) offset; i < NAMES.length && listing.add(NAMES[i], i + 2, FileType.REGULAR_FILE, i + 1);
                    i++) {
                // the listing encodes each name into its buffer
            }
            return listed;
        }
    }

    private static MemorySegment readIn(MemorySegment r, int size) {
        r.set(INT, 40 + 16, size);
        return r;
    }

    private static MemorySegment request(int opcode, long node, int argSize, int payload) {
        int len = 40 + argSize + payload;
        MemorySegment r = Arena.global().allocate(len, 8);
        r.set(INT, 0, len);
        r.set(INT, 4, opcode);
        r.set(LONG, 8, 2);
        r.set(LONG, 16, node);
        r.set(INT, 24, 0);
        r.set(INT, 28, 0);
        r.set(INT, 32, 4242);
        return r;
    }

    private static MemorySegment init() {
        MemorySegment r = request(INIT, 0, 64, 0);
        r.set(INT, 40, 7);
        r.set(INT, 44, 45);
        r.set(INT, 48, 128 * 1024);
        // ASYNC_READ | BIG_WRITES | MAX_PAGES (1 << 22) | INIT_EXT (1 << 30), as a current kernel offers
        r.set(INT, 52, 1 | (1 << 5) | (1 << 22) | (1 << 30));
        return r;
    }

    /**
     * A /dev/fuse stand-in between two threads: the benchmark thread submits one request at a time, the session's
     * reader takes it; replies are counted. Waiting spins briefly and then yields, so on a small machine the
     * virtual threads' carriers still get the CPU.
     */
    static final class LoopbackChannel implements FuseChannel {
        private volatile MemorySegment pending;
        private volatile boolean closed;
        volatile long replies;
        volatile int lastError;

        void submit(MemorySegment request) {
            pending = request;
        }

        void awaitReplies(long count) {
            for (int spins = 0; replies < count; spins++) {
                if (spins < 200) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }

        @Override
        public int receive(MemorySegment buffer) {
            MemorySegment r;
            for (int spins = 0; (r = pending) == null; spins++) {
                if (closed) {
                    return -1;
                }
                if (spins < 200) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            pending = null;
            MemorySegment.copy(r, 0, buffer, 0, r.byteSize());
            return (int) r.byteSize();
        }

        @Override
        public void send(MemorySegment scratch, MemorySegment head, long headLength, MemorySegment payload,
                         long payloadLength) {
            lastError = head.get(INT, 4);
            replies = replies + 1; // one writer: the thread answering
        }

        @Override
        public FuseChannel cloneChannel() {
            return this;
        }

        @Override
        public void wakeup() {
            closed = true;
        }

        @Override
        public void close() {
        }
    }
}
