package dev.jfuser.examples.httpfs;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * A benchmark, not a test (run it with {@code bin/bench-httpfs}, as root): what the async API buys a network
 * filesystem.
 *
 * <p>An in-process HTTP server adds a fixed latency (default 20 ms) to every request. httpfs is mounted, and
 * {@code --readers} platform threads (default 64) each read a different file ({@code Files.readAllBytes}) at the
 * same moment. Reported per variant: the median wall time of the runs, the requests the server saw (listing, HEAD
 * per file, range GETs), their latencies added up (what a filesystem serving one request at a time would take),
 * the speed-up against that, and the peak number of platform threads in this JVM (the readers included; virtual
 * threads are not counted). Variants:
 * <ul>
 *   <li>{@code async}: {@link HttpFs}, every request a {@code sendAsync} started on the session's reader thread;</li>
 *   <li>{@code blocking}: {@link BlockingHttpFs}, the same logic with a blocking {@code send} on the virtual
 *       thread the session runs each {@code Filesystem} call on.</li>
 * </ul>
 * Each run mounts afresh, so neither httpfs's caches nor the kernel's page cache carry over.
 *
 * <p>Options: {@code --files N} (64), {@code --size BYTES} (65536), {@code --latency MS} (20), {@code --runs N}
 * (5, after one warm-up run).
 */
public final class HttpFsBench {
    private HttpFsBench() {}

    /** One variant's results. */
    record Result(String variant, long medianMillis, long minMillis, long requests, long serialMillis,
                  int peakThreads) {
    }

    public static void main(String[] args) throws Exception {
        int files = 64;
        int size = 64 * 1024;
        int latency = 20;
        int runs = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--files" -> files = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--latency" -> latency = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: bench-httpfs [--files N] [--size BYTES] [--latency MS] [--runs N]");
                    System.exit(2);
                }
            }
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            System.err.println("bench-httpfs mounts through the kernel: run it as root");
            System.exit(1);
        }
        Path work = Files.createTempDirectory("jfuser-bench-httpfs");
        try {
            Path root = Files.createDirectory(work.resolve("served"));
            Random random = new Random(1);
            for (int i = 0; i < files; i++) {
                byte[] b = new byte[size];
                random.nextBytes(b);
                Files.write(root.resolve(String.format("file-%03d.bin", i)), b);
            }
            RangeHandler handler = new RangeHandler(root);
            handler.latencyMillis = latency;
            try (HttpServers.Server server = HttpServers.simpleFileServer(root, h -> handler)) {
                System.out.printf("httpfs benchmark: %d readers, %d files of %d bytes, %d ms per HTTP request%n%n",
                        files, files, size, latency);
                List<Result> results = new ArrayList<>();
                for (String variant : List.of("async", "blocking")) {
                    results.add(measure(variant, server, handler, work, files, size, latency, runs));
                }
                System.out.printf("%-9s %9s %8s %9s %12s %9s %12s%n", "variant", "median ms", "min ms",
                        "requests", "serial ms", "speed-up", "peak threads");
                for (Result r : results) {
                    System.out.printf("%-9s %9d %8d %9d %12d %8.1fx %12d%n", r.variant(), r.medianMillis(),
                            r.minMillis(), r.requests(), r.serialMillis(),
                            (double) r.serialMillis() / Math.max(1, r.medianMillis()), r.peakThreads());
                }
                System.out.println("\nserial ms: the requests' latencies added up, i.e. one request at a time;"
                        + "\npeak threads: platform threads in this JVM, including the " + files + " readers.");
            }
        } finally {
            try (Stream<Path> all = Files.walk(work)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Result measure(String variant, HttpServers.Server server, RangeHandler handler, Path work,
                                  int files, int size, int latency, int runs) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<Long> times = new ArrayList<>();
        long requests = 0;
        int peak = 0;
        for (int run = 0; run <= runs; run++) {
            Path mp = Files.createDirectory(work.resolve(variant + "-" + run));
            HttpFsOptions options = HttpFsOptions.of(server.base()).withTtl(Duration.ofSeconds(60));
            Mount mount = variant.equals("async")
                    ? Fuse.mount(HttpFs.create(options), mp, MountOptions.builder().fsname("bench").readOnly().build())
                    : Fuse.mount(BlockingHttpFs.create(options), mp,
                            MountOptions.builder().fsname("bench").readOnly().build());
            try {
                long before = handler.requests();
                threads.resetPeakThreadCount();
                long millis = readAll(mp, files, size);
                int peakNow = threads.getPeakThreadCount();
                long sent = handler.requests() - before;
                if (run > 0) { // run 0 warms up the JIT and the HTTP client
                    times.add(millis);
                    requests = sent;
                    peak = Math.max(peak, peakNow);
                }
                System.out.printf("  %-9s run %d: %5d ms, %d requests%n", variant, run, millis, sent);
            } finally {
                mount.close();
            }
        }
        times.sort(null);
        return new Result(variant, times.get(times.size() / 2), times.getFirst(), requests, requests * latency,
                peak);
    }

    /** Starts one thread per file, releases them together, returns the wall time until the last has read all. */
    private static long readAll(Path mp, int files, int size) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < files; i++) {
            Path file = mp.resolve(String.format("file-%03d.bin", i));
            // Platform threads: a read on the FUSE mount blocks in the kernel, which would pin a virtual thread.
            readers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                    byte[] b = Files.readAllBytes(file);
                    if (b.length != size) {
                        throw new IOException(file + ": read " + b.length + " bytes, expected " + size);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        long began = System.nanoTime();
        start.countDown();
        for (Thread t : readers) {
            t.join();
        }
        long millis = (System.nanoTime() - began) / 1_000_000;
        if (failure.get() != null) {
            throw new IOException("a reader failed", failure.get());
        }
        return millis;
    }
}
