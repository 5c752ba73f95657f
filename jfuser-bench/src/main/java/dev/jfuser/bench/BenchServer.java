package dev.jfuser.bench;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cryptomator.jfuse.api.FuseBuilder;

/**
 * Mounts the benchmark tree with one library and serves it until the mount goes away (bin/bench unmounts it).
 *
 * <pre>
 * BenchServer IMPL MOUNTPOINT cache|nocache [--big-size BYTES] [--readers N] [--ring-depth N] [--readdirplus]
 *   IMPL: jfuser (blocking API), jfuser-inline (blocking API, every method run on the reader thread),
 *         jfuser-async, each also over FUSE-over-io_uring (jfuser-uring, jfuser-inline-uring,
 *         jfuser-async-uring), jnr-fuse, jfuse
 * </pre>
 *
 * Prints "ready" once the mount answers. With {@code nocache} the kernel caches nothing: entry and attribute
 * timeouts 0 and files opened with direct I/O; with {@code cache}, 60 s timeouts and kept page cache.
 */
public final class BenchServer {
    private BenchServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: BenchServer jfuser|jfuser-async|jnr-fuse|jfuse MOUNTPOINT cache|nocache"
                    + " [--big-size BYTES] [--readers N] [--readdirplus] [--libfuse3 PATH]");
            System.exit(2);
        }
        String impl = args[0];
        Path mp = Path.of(args[1]).toAbsolutePath();
        boolean cache = switch (args[2]) {
            case "cache" -> true;
            case "nocache" -> false;
            default -> throw new IllegalArgumentException("expected cache or nocache, got " + args[2]);
        };
        long bigSize = 1L << 30;
        int readers = SessionOptions.DEFAULT.readerThreads();
        int ringDepth = SessionOptions.DEFAULT_RING_DEPTH;
        boolean plus = false;
        String libfuse3 = "/usr/lib/x86_64-linux-gnu/libfuse3.so.3";
        for (int i = 3; i < args.length; i++) {
            switch (args[i]) {
                case "--big-size" -> bigSize = Long.parseLong(args[++i]);
                case "--readers" -> readers = Integer.parseInt(args[++i]);
                case "--ring-depth" -> ringDepth = Integer.parseInt(args[++i]);
                case "--readdirplus" -> plus = true;
                case "--libfuse3" -> libfuse3 = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (!Files.isDirectory(mp)) {
            throw new IllegalArgumentException("mountpoint " + mp + " is not a directory");
        }
        Tree tree = new Tree(bigSize);
        // libfuse's high-level options give the path-based libraries the same cache behaviour jfuser and the C
        // filesystem set per reply.
        // hard_remove: libfuse's high-level API otherwise turns the unlink of a file whose (asynchronous) RELEASE
        // has not arrived yet into a rename to .fuse_hidden*, which the other implementations never do.
        List<String> libfuseOpts = new ArrayList<>(List.of("-o", "fsname=bench,hard_remove"
                + ",entry_timeout=" + (cache ? 60 : 0) + ",attr_timeout=" + (cache ? 60 : 0)
                + ",negative_timeout=0," + (cache ? "kernel_cache" : "direct_io")));
        switch (impl) {
            case "jfuser", "jfuser-inline", "jfuser-async", "jfuser-uring", "jfuser-inline-uring",
                 "jfuser-async-uring" -> {
                SessionOptions so = SessionOptions.DEFAULT.withReaderThreads(readers).withRingDepth(ringDepth);
                if (impl.startsWith("jfuser-inline")) {
                    so = so.withInline(JfuserBenchFs.OPS);
                }
                boolean uring = impl.endsWith("-uring");
                so = so.withTransport(uring ? Transport.IO_URING : Transport.DEV_FUSE);
                MountOptions mo = MountOptions.builder().fsname("bench").build();
                Mount m = !impl.startsWith("jfuser-async")
                        ? Fuse.mount(new JfuserBenchFs(tree, cache, plus), mp, mo, so)
                        : Fuse.mount(new JfuserAsyncBenchFs(tree, cache, plus), mp, mo, so);
                if (uring && m.transport() != Transport.IO_URING) {
                    // Numbers under an io_uring label must come from io_uring.
                    m.close();
                    throw new IllegalStateException(impl + ": the kernel did not switch to io_uring (is "
                            + "/sys/module/fuse/parameters/enable_uring 1?)");
                }
                ready();
                m.awaitUnmount();
                return;
            }
            case "jfuser-path" -> {
                SessionOptions so = SessionOptions.DEFAULT.withReaderThreads(readers).withRingDepth(ringDepth);
                Mount m = Fuse.mount(new dev.jfuser.path.PathAdapter(new JfuserPathBenchFs(tree, cache),
                        java.time.Duration.ofSeconds(cache ? 60 : 0)), mp,
                        MountOptions.builder().fsname("bench").build(), so);
                ready();
                m.awaitUnmount();
                return;
            }
            case "jnr-fuse" -> {
                JnrBenchFs fs = new JnrBenchFs(tree);
                Thread t = Thread.ofPlatform().daemon(true).start(
                        () -> fs.mount(mp, true, false, libfuseOpts.toArray(new String[0])));
                awaitMounted(mp);
                ready();
                t.join();
            }
            case "jfuse" -> {
                FuseBuilder b = org.cryptomator.jfuse.api.Fuse.builder();
                b.setLibraryPath(libfuse3);
                org.cryptomator.jfuse.api.Fuse fuse = b.build(new JfuseBenchFs(tree, b.errno(), cache));
                // libfuse 3 knows no -o direct_io or hard_remove; JfuseBenchFs sets them in init instead
                List<String> flags = List.of("-o",
                        libfuseOpts.get(1).replace(",direct_io", "").replace(",hard_remove", ""));
                fuse.mount("jfuse-bench", mp, flags.toArray(new String[0]));
                ready();
                // jfuse serves on its own thread; end when someone unmounts.
                while (mounted(mp)) {
                    Thread.sleep(100);
                }
            }
            default -> throw new IllegalArgumentException("unknown implementation " + impl);
        }
        Runtime.getRuntime().halt(0);
    }

    private static void ready() {
        System.out.println("ready");
        System.out.flush();
    }

    private static void awaitMounted(Path mp) throws Exception {
        for (int i = 0; i < 300 && !mounted(mp); i++) {
            Thread.sleep(20);
        }
        if (!mounted(mp)) {
            throw new IllegalStateException("not mounted at " + mp + " after 6 s");
        }
    }

    static boolean mounted(Path mp) throws java.io.IOException {
        String needle = " " + mp + " ";
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            if (line.contains(needle) && line.contains(" - fuse")) {
                return true;
            }
        }
        return false;
    }
}
