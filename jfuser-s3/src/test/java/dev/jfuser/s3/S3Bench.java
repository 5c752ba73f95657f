package dev.jfuser.s3;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * s3fs through a real mount against the same S3 client used directly, on one S3Proxy server over a disk-backed
 * store: sequential write and read of a large object, and a listing of 10 000 keys. The mount is
 * {@code jfuser s3} in a process of its own (as a user runs it), whose memory is sampled while a large file is
 * copied in. Run by {@code bin/bench-s3} (root); arguments: a scratch directory, the object size in MiB, the
 * copy-in size for the memory sample in MiB; {@code -Djfuser.s3.bench.jvm} sets the daemon's JVM options.
 */
public final class S3Bench {
    private static final int PART = 8 << 20;
    private static final int IN_FLIGHT = 2;
    private static final int KEYS = 10_000;

    private S3Bench() {
    }

    public static void main(String[] args) throws Exception {
        Path scratch = Path.of(args.length > 0 ? args[0] : "/tmp/s3bench");
        long size = (args.length > 1 ? Long.parseLong(args[1]) : 1024) << 20;
        long memSize = (args.length > 2 ? Long.parseLong(args[2]) : 1024) << 20;
        Files.createDirectories(scratch);
        Path store = Files.createTempDirectory(scratch, "store");
        Path mp = Files.createTempDirectory(scratch, "mnt");
        S3Server server = new S3Server(store);
        Process daemon = null;
        try {
            String bucket = server.newBucket();
            S3AsyncClient s3 = S3Clients.create(server.options(bucket).withTimeouts(Duration.ofSeconds(5),
                    Duration.ofSeconds(600), 3), S3Server.credentials());
            System.out.printf("object %d MiB, part %d MiB, %d parts in flight; listing %d keys; store %s%n",
                    size >> 20, PART >> 20, IN_FLIGHT, KEYS, store);

            double directWrite = mibps(size, time(() -> multipartPut(s3, bucket, "direct.bin", size)));
            dropCaches();
            double directRead = mibps(size, time(() -> get(s3, bucket, "direct.bin")));
            putMany(s3, bucket, "many/");

            daemon = mount(bucket, mp, server);
            Path m = mp;
            double mountWrite = mibps(size, time(() -> sh("dd if=/dev/zero of=\"$1\"/mount.bin bs=1M count="
                    + (size >> 20) + " 2>/dev/null", m.toString())));
            dropCaches();
            double mountRead = mibps(size, time(() -> sh("dd if=\"$1\"/direct.bin of=/dev/null bs=1M 2>/dev/null",
                    m.toString())));
            list(s3, bucket, "many/"); // the store's own caches warm, for both
            double directList = time(() -> list(s3, bucket, "many/"));
            double mountList = time(() -> sh("test \"$(ls \"$1\"/many | wc -l)\" = " + KEYS, m.toString()));
            double mountListLong = time(() -> sh("test \"$(ls -l \"$1\"/many | wc -l)\" = " + (KEYS + 1),
                    m.toString()));

            System.out.printf("%-34s %10s %10s %8s%n", "", "mount", "direct", "ratio");
            System.out.printf("%-34s %10.1f %10.1f %8.2f%n", "sequential write MiB/s", mountWrite, directWrite,
                    mountWrite / directWrite);
            System.out.printf("%-34s %10.1f %10.1f %8.2f%n", "sequential read MiB/s", mountRead, directRead,
                    mountRead / directRead);
            System.out.printf("%-34s %10.0f %10.0f %8.2f%n", "ls of 10k keys, ms (ratio: time)", mountList * 1e3,
                    directList * 1e3, mountList / directList);
            System.out.printf("%-34s %10.0f %10.0f %8.2f%n", "ls -l of 10k keys, ms", mountListLong * 1e3,
                    directList * 1e3, mountListLong / directList);

            memory(daemon, m, memSize);
            s3.close();
        } finally {
            if (daemon != null) {
                new ProcessBuilder("umount", mp.toString()).inheritIO().start().waitFor();
                if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                    daemon.destroy();
                    daemon.waitFor(10, TimeUnit.SECONDS);
                }
                Shell.forceUnmount(mp);
            }
            server.close();
            sh("rm -rf \"$1\" \"$2\"", store.toString(), mp.toString());
        }
    }

    /** Copies {@code bytes} into the mount while sampling the daemon's RSS and used heap. */
    private static void memory(Process daemon, Path mp, long bytes) throws Exception {
        long pid = daemon.pid();
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong maxRss = new AtomicLong();
        AtomicLong maxHeap = new AtomicLong();
        List<long[]> samples = new ArrayList<>();
        Thread sampler = Thread.ofPlatform().start(() -> {
            while (!done.get()) {
                try {
                    long rss = rssKib(pid);
                    long heap = heapUsedKib(pid);
                    maxRss.accumulateAndGet(rss, Math::max);
                    maxHeap.accumulateAndGet(heap, Math::max);
                    synchronized (samples) {
                        samples.add(new long[] {rss, heap});
                    }
                    Thread.sleep(500);
                } catch (Exception e) {
                    return;
                }
            }
        });
        long rss0 = rssKib(pid);
        long heap0 = heapUsedKib(pid);
        double s = time(() -> sh("dd if=/dev/zero of=\"$1\"/mem.bin bs=1M count=" + (bytes >> 20) + " 2>/dev/null",
                mp.toString()));
        done.set(true);
        sampler.join();
        new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(pid),
                "GC.run").redirectErrorStream(true).start().waitFor();
        System.out.printf("daemon memory copying %d MiB in (%.1f MiB/s, %d samples): RSS %d MiB before, max %d MiB;"
                + " heap used (garbage included) %d MiB before, max %d MiB; live heap after a full GC %d MiB, RSS %d"
                + " MiB%n", bytes >> 20, mibps(bytes, s), samples.size(), rss0 >> 10, maxRss.get() >> 10,
                heap0 >> 10, maxHeap.get() >> 10, heapUsedKib(pid) >> 10, rssKib(pid) >> 10);
    }

    private static long rssKib(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith("VmRSS:")) {
                return Long.parseLong(l.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    private static final Pattern USED = Pattern.compile("used (\\d+)K");

    private static long heapUsedKib(long pid) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        Matcher m = USED.matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static Process mount(String bucket, Path mp, S3Server server) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        // As bin/jfuser runs it, or with the JVM options in -Djfuser.s3.bench.jvm (space-separated).
        String jvm = System.getProperty("jfuser.s3.bench.jvm", "-XX:+UseG1GC -Xms32m -XX:G1PeriodicGCInterval=5000"
                + " -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30").trim();
        cmd.addAll(List.of(jvm.split("\\s+")));
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.jfuser.s3.S3Main", bucket, mp.toString(), "--endpoint", server.endpoint.toString(), "--timeout",
                "600"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", S3Server.SECRET_KEY);
        env.remove("AWS_PROFILE");
        Process p = pb.start();
        java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
        String line = out.readLine();
        if (line == null || !line.contains("mounted on")) {
            throw new IOException("jfuser s3 did not mount: " + line);
        }
        Thread.ofPlatform().daemon().start(() -> out.lines().forEach(l -> System.out.println("  daemon: " + l)));
        return p;
    }

    private static void multipartPut(S3AsyncClient s3, String bucket, String key, long size) throws Exception {
        String id = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).get().uploadId();
        byte[] part = new byte[PART];
        Semaphore slots = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<CompletedPart>> parts = new ArrayList<>();
        for (long at = 0; at < size; at += PART) {
            int n = parts.size() + 1;
            int len = (int) Math.min(PART, size - at);
            slots.acquire();
            parts.add(s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(id).partNumber(n),
                    AsyncRequestBody.fromBytes(len == PART ? part : new byte[len]))
                    .thenApply(r -> CompletedPart.builder().partNumber(n).eTag(r.eTag()).build())
                    .whenComplete((r, e) -> slots.release()));
        }
        List<CompletedPart> done = new ArrayList<>();
        for (CompletableFuture<CompletedPart> f : parts) {
            done.add(f.get());
        }
        s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(id).multipartUpload(u -> u.parts(done)))
                .get();
    }

    private static void get(S3AsyncClient s3, String bucket, String key) throws Exception {
        try (InputStream in = s3.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer
                .toBlockingInputStream()).get()) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }

    private static void putMany(S3AsyncClient s3, String bucket, String prefix) throws Exception {
        Semaphore slots = new Semaphore(32);
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            int n = i;
            slots.acquire();
            all.add(s3.putObject(b -> b.bucket(bucket).key(prefix + String.format("f%05d", n)),
                    AsyncRequestBody.fromBytes(new byte[n % 100])).whenComplete((r, e) -> slots.release()));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get();
    }

    private static void list(S3AsyncClient s3, String bucket, String prefix) throws Exception {
        String token = null;
        int n = 0;
        do {
            String t = token;
            var r = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).delimiter("/").maxKeys(1000)
                    .continuationToken(t)).get();
            n += r.contents().size();
            token = Boolean.TRUE.equals(r.isTruncated()) ? r.nextContinuationToken() : null;
        } while (token != null);
        if (n != KEYS) {
            throw new IllegalStateException("listed " + n + " keys");
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static double time(Step s) throws Exception {
        long t0 = System.nanoTime();
        s.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double mibps(long bytes, double seconds) {
        return bytes / 1048576.0 / seconds;
    }

    private static void dropCaches() throws IOException {
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    }

    private static void sh(String script, String... args) throws Exception {
        Shell.Result r = Shell.sh(3600, script, args);
        if (!r.ok()) {
            throw new IOException("failed (" + r.exitCode() + "): " + script + "\n" + r.output());
        }
    }
}
