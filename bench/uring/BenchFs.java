import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.Fuse;
import dev.jfuser.FuseException;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The benchmark's filesystem: {@code stat0..stat63} (empty files to stat) and {@code data} (1 GiB to read), with
 * entry and attribute timeouts of zero so that every stat reaches the filesystem. Reads are served from one
 * native 1 MiB pattern without allocating.
 *
 * <pre>java -p JFUSER_JAR --add-modules dev.jfuser --enable-native-access=dev.jfuser BenchFs.java MOUNTPOINT
 *     TRANSPORT(dev_fuse|io_uring) API(blocking|async) [RING_DEPTH]</pre>
 */
public final class BenchFs {
    static final long ROOT = 1;
    static final long DATA = 2;
    static final long FIRST_STAT = 16;
    static final int STAT_FILES = 64;
    static final long DATA_SIZE = 1L << 30;
    static final int PATTERN = 1 << 20;
    static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
    static final MemorySegment PATTERN_BYTES = Arena.global().allocate(PATTERN + (1 << 20), 4096);

    static {
        for (long i = 0; i < PATTERN_BYTES.byteSize(); i++) {
            PATTERN_BYTES.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
        }
    }

    static FileAttr attr(long node) throws FuseException {
        if (node == ROOT) {
            return FileAttr.builder(ROOT, FileType.DIRECTORY).perm(0755).times(T0).build();
        }
        if (node == DATA) {
            return FileAttr.builder(DATA, FileType.REGULAR_FILE).perm(0444).size(DATA_SIZE).blocks(DATA_SIZE / 512)
                    .times(T0).blksize(4096).build();
        }
        if (node >= FIRST_STAT && node < FIRST_STAT + STAT_FILES) {
            return FileAttr.builder(node, FileType.REGULAR_FILE).perm(0444).times(T0).build();
        }
        throw new FuseException(Errno.ENOENT);
    }

    static Entry lookup(long parent, String name) throws FuseException {
        if (parent == ROOT) {
            if (name.equals("data")) {
                return Entry.of(DATA, attr(DATA), Duration.ZERO);
            }
            if (name.startsWith("stat")) {
                try {
                    int i = Integer.parseInt(name, 4, name.length(), 10);
                    if (i >= 0 && i < STAT_FILES) {
                        return Entry.of(FIRST_STAT + i, attr(FIRST_STAT + i), Duration.ZERO);
                    }
                } catch (NumberFormatException e) {
                    // not one of ours
                }
            }
        }
        throw new FuseException(Errno.ENOENT);
    }

    static ReadData read(long node, long offset, int size) throws FuseException {
        if (node != DATA) {
            throw new FuseException(Errno.EISDIR);
        }
        if (offset >= DATA_SIZE) {
            return ReadData.empty();
        }
        int n = (int) Math.min(size, DATA_SIZE - offset);
        n = Math.min(n, 1 << 20);
        return ReadData.of(PATTERN_BYTES.asSlice(offset % PATTERN, n));
    }

    static void readdir(long offset, DirectoryListing listing) {
        for (long i = offset; i < STAT_FILES + 3; i++) {
            boolean ok = i == 0 ? listing.add(".", ROOT, FileType.DIRECTORY, 1)
                    : i == 1 ? listing.add("..", ROOT, FileType.DIRECTORY, 2)
                    : i == 2 ? listing.add("data", DATA, FileType.REGULAR_FILE, 3)
                    : listing.add("stat" + (i - 3), FIRST_STAT + i - 3, FileType.REGULAR_FILE, i + 1);
            if (!ok) {
                return;
            }
        }
    }

    /** The blocking API: each request on its own virtual thread. */
    static final class Blocking implements Filesystem {
        @Override
        public Entry lookup(Request req, long parent, String name) throws IOException {
            return BenchFs.lookup(parent, name);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
            return new AttrReply(attr(nodeId), Duration.ZERO);
        }

        @Override
        public OpenReply open(Request req, long nodeId, int flags) {
            return OpenReply.of(0);
        }

        @Override
        public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
                throws IOException {
            return BenchFs.read(nodeId, offset, size);
        }

        @Override
        public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
            BenchFs.readdir(offset, listing);
        }
    }

    /** The asynchronous API, answering before it returns (on the thread that received the request). */
    static final class Async implements AsyncFilesystem {
        @FunctionalInterface
        interface Call<T> {
            T call() throws IOException;
        }

        static <T> CompletionStage<T> now(Call<T> c) {
            try {
                return CompletableFuture.completedFuture(c.call());
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
        }

        @Override
        public CompletionStage<Entry> lookup(Request req, long parent, String name) {
            return now(() -> BenchFs.lookup(parent, name));
        }

        @Override
        public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
            return now(() -> new AttrReply(attr(nodeId), Duration.ZERO));
        }

        @Override
        public CompletionStage<ReadData> read(Request req, long nodeId, long fh, long offset, int size, int flags,
                                              long lockOwner) {
            return now(() -> BenchFs.read(nodeId, offset, size));
        }

        @Override
        public CompletionStage<Void> readdir(Request req, long nodeId, long fh, long offset, DirectoryListing l) {
            BenchFs.readdir(offset, l);
            return CompletableFuture.completedFuture(null);
        }
    }

    public static void main(String[] args) throws Exception {
        Path mp = Path.of(args[0]);
        Transport transport = Transport.parse(args[1]);
        boolean async = args[2].equals("async");
        SessionOptions options = SessionOptions.DEFAULT.withTransport(transport);
        if (Boolean.getBoolean("bench.debug")) {
            options = options.withDebug(System.err);
        }
        if (args.length > 3) {
            options = options.withRingDepth(Integer.parseInt(args[3]));
        }
        MountOptions mo = MountOptions.builder().fsname("jfuser-bench").subtype("bench").build();
        Mount mount = async ? Fuse.mount(new Async(), mp, mo, options) : Fuse.mount(new Blocking(), mp, mo, options);
        System.out.println("mounted " + mp + " over " + mount.transport());
        System.out.flush();
        mount.awaitUnmount();
    }
}
