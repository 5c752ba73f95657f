package dev.jfuser.examples.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jfuser.examples.MountSupport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What every fault case needs: clients in their own processes (so they can be killed in the middle of a request),
 * the checks "no caller left waiting", "no dead mount" and "data intact", and a teardown that frees a wedged mount.
 */
final class FaultSupport {
    /** How long a client may wait for an answer the filesystem owes it. */
    static final Duration CALLER_BOUND = Duration.ofSeconds(10);

    private FaultSupport() {}

    /** A client process: a real program doing real system calls on the mount. */
    static final class Client {
        final Process process;
        final String what;
        private final Path output;

        private Client(Process process, String what, Path output) {
            this.process = process;
            this.what = what;
            this.output = output;
        }

        /** Starts {@code command}; its stdout and stderr go to a file. */
        static Client start(String... command) throws IOException {
            Path out = Files.createTempFile("jfuser-fault-client", ".out");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            return new Client(p, String.join(" ", command), out);
        }

        /** Starts a python3 program (given as source) with {@code args}. */
        static Client python(String program, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of("python3", "-c", program));
            cmd.addAll(List.of(args));
            return start(cmd.toArray(String[]::new));
        }

        long pid() {
            return process.pid();
        }

        /** Sends {@code signal} (INT, TERM, KILL...). */
        void signal(String signal) throws IOException, InterruptedException {
            MountSupport.run("kill", "-" + signal, Long.toString(pid()));
        }

        /** The process's state letter from /proc/PID/stat ('D' = waiting uninterruptibly), or '-' once reaped. */
        char state() {
            return procState(pid());
        }

        String output() {
            try {
                return Files.readString(output, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(no output: " + e + ")";
            }
        }

        /**
         * Asserts the client ends within {@code bound}; returns its exit code. A client that does not is killed,
         * and the failure says whether it was left waiting in the kernel (state D) for an answer.
         */
        int assertEndsWithin(Duration bound) throws InterruptedException {
            if (process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                return process.exitValue();
            }
            char state = state();
            process.destroyForcibly();
            boolean reaped = process.waitFor(2, TimeUnit.SECONDS);
            fail(what + " did not end within " + bound.toSeconds() + " s (state " + state + ")"
                    + (reaped ? "" : "; still alive after SIGKILL, state " + state()
                    + ": a caller left waiting for an answer") + "\n" + output());
            return -1;
        }

        /** Kills the client if a failed case left it running (and waits briefly for it). */
        void destroy() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(2, TimeUnit.SECONDS);
            }
            try {
                Files.deleteIfExists(output);
            } catch (IOException ignored) {
                // temp file
            }
        }
    }

    static char procState(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException e) {
            return '-';
        }
    }

    /** Waits until {@code condition} holds, at most {@code bound}; returns whether it did. */
    static boolean await(BooleanSupplier condition, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Runs a short command with a bound of its own (a stat on a wedged mount would hang). */
    static MountSupport.Result runBounded(Duration bound, String... command) throws IOException, InterruptedException {
        Client c = Client.start(command);
        try {
            if (!c.process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                return new MountSupport.Result(-1, "timed out (state " + c.state() + ")");
            }
            return new MountSupport.Result(c.process.exitValue(), c.output());
        } finally {
            c.destroy();
        }
    }

    /** Asserts the mount answers: a stat of its root and a small write and read back, each within the bound. */
    static void assertServing(Path mp) throws Exception {
        MountSupport.Result stat = runBounded(CALLER_BOUND, "stat", "-c", "%F", mp.toString());
        assertEquals(0, stat.exitCode(), "the mount at " + mp + " no longer answers: " + stat.output());
        Path probe = mp.resolve("probe-" + System.nanoTime());
        MountSupport.Result write = runBounded(CALLER_BOUND, "sh", "-c", "echo alive > " + probe + " && cat " + probe
                + " && rm " + probe);
        assertEquals(new MountSupport.Result(0, "alive\n"), write, "the mount at " + mp + " no longer serves");
    }

    /** Whether {@code mp} is mounted but its connection gone ("Transport endpoint is not connected"). */
    static boolean isDead(Path mp) throws Exception {
        if (!MountSupport.isMounted(mp)) {
            return false;
        }
        MountSupport.Result stat = runBounded(Duration.ofSeconds(5), "stat", mp.toString());
        return stat.output().contains("Transport endpoint is not connected");
    }

    /** Writes {@code size} random bytes to {@code file}; returns their SHA-256. */
    static String writeRandom(Path file, int size, long seed) throws IOException {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        Files.write(file, data);
        return sha256(data);
    }

    static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Asserts {@code file} still holds the bytes whose SHA-256 is {@code sha}, read by a client process. */
    static void assertIntact(Path file, String sha) throws Exception {
        MountSupport.Result sum = runBounded(CALLER_BOUND, "sha256sum", file.toString());
        assertEquals(0, sum.exitCode(), file + " cannot be read: " + sum.output());
        assertEquals(sha, sum.output().split(" ")[0], file + " changed");
    }

    /** The FUSE connection number of the mount at {@code mp} (its device's minor), or -1. */
    static int connection(Path mp) throws IOException {
        String target = mp.toAbsolutePath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(target) && line.contains(" - fuse")) {
                return Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1));
            }
        }
        return -1;
    }

    /**
     * Frees whatever a failed case left at {@code mp}: aborts its FUSE connection (every waiting caller gets
     * ENOTCONN) and detaches it. Returns whether anything was left.
     */
    static boolean abortAndDetach(Path mp) throws IOException, InterruptedException {
        int conn = connection(mp);
        if (conn < 0) {
            return false;
        }
        abort(conn);
        MountSupport.run("umount", "-l", mp.toString());
        return true;
    }

    /**
     * Aborts FUSE connection {@code conn} (found with {@link #connection} while it was mounted: a lazily detached
     * mount is no longer listed, but its connection lives on while callers wait in it).
     */
    static void abort(int conn) throws IOException, InterruptedException {
        Path connections = Path.of("/sys/fs/fuse/connections");
        if (!Files.exists(connections.resolve(Integer.toString(conn)))) {
            MountSupport.run("mount", "-t", "fusectl", "none", connections.toString());
        }
        Path abort = connections.resolve(conn + "/abort");
        if (Files.exists(abort)) {
            Files.writeString(abort, "1");
        }
    }

    /** A {@link FaultDaemon} in its own JVM. */
    static final class Daemon {
        final Process process;
        private final StringBuffer log = new StringBuffer();

        private Daemon(Process process) {
            this.process = process;
        }

        /**
         * Starts a FaultDaemon with the heap {@code xmx} (e.g. "64m", or null for the default) and waits for its
         * "mounted" line.
         */
        static Daemon start(String xmx, Path mp, String options, Path image, long size) throws Exception {
            Path examples = Path.of("target").toAbsolutePath();
            Path core = examples.getParent().getParent().resolve("jfuser/target/classes");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-XX:-UsePerfData", "--enable-native-access=ALL-UNNAMED"));
            if (xmx != null) {
                cmd.add("-Xmx" + xmx);
            }
            String transport = System.getProperty("jfuser.transport");
            if (transport != null) {
                cmd.add("-Djfuser.transport=" + transport);
            }
            cmd.addAll(List.of("-cp", core + ":" + examples.resolve("classes") + ":" + examples.resolve("test-classes"),
                    FaultDaemon.class.getName(), mp.toString(), options, image == null ? "-" : image.toString(),
                    size <= 0 ? "-" : Long.toString(size)));
            Daemon d = new Daemon(new ProcessBuilder(cmd).redirectErrorStream(true).start());
            d.process.getOutputStream().close();
            java.util.concurrent.CompletableFuture<Void> mounted = new java.util.concurrent.CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> {
                try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(d.process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        d.log.append(line).append('\n');
                        if (line.equals("mounted")) {
                            mounted.complete(null);
                        }
                    }
                } catch (IOException ignored) {
                    // the daemon ended
                }
                mounted.complete(null);
            });
            mounted.get(60, TimeUnit.SECONDS);
            assertTrue(d.process.isAlive() && d.log.indexOf("mounted") >= 0, "the daemon did not mount:\n" + d.log);
            return d;
        }

        void signal(String signal) throws IOException, InterruptedException {
            MountSupport.run("kill", "-" + signal, Long.toString(process.pid()));
        }

        String log() {
            return log.toString();
        }

        void destroy() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Asserts nothing is mounted at {@code mp} within {@code bound}. */
    static void assertUnmountedWithin(Path mp, Duration bound) throws Exception {
        boolean gone = await(() -> {
            try {
                return !MountSupport.isMounted(mp);
            } catch (IOException e) {
                return false;
            }
        }, bound);
        assertTrue(gone, mp + " is still mounted" + (isDead(mp) ? " and dead (Transport endpoint is not connected)"
                : ""));
        assertFalse(MountSupport.isMounted(mp));
    }
}
