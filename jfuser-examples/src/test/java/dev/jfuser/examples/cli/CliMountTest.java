package dev.jfuser.examples.cli;

import static dev.jfuser.examples.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.examples.MountSupport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The {@code jfuser} command in its own process, as users run it: Ctrl-C, -d, -o, bad input, auto_unmount after
 * kill -9, and an unprivileged user mounting through fusermount3.
 */
@Tag("mount")
class CliMountTest {
    private Path base;
    private Path mp;
    private Process cli;
    private final StringBuffer stderr = new StringBuffer();
    private final List<Thread> drains = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        MountSupport.assumeRootAndFuse();
        // World-traversable, so the unprivileged user can reach its mountpoint.
        base = Files.createTempDirectory("jfuser-test-cli");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        mp = Files.createDirectory(base.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (cli != null && cli.isAlive()) {
                cli.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            boolean left = MountSupport.forceUnmount(mp);
            run("rm", "-rf", base.toString());
            assertFalse(left, "the test left " + mp + " mounted");
        }
    }

    /** Starts the CLI (optionally as another user) and waits for its "mounted" line. */
    private void start(List<String> prefix, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(MountSupport.cliCommand(args));
        cli = new ProcessBuilder(cmd).start();
        Process p = cli;
        drains.add(Thread.ofPlatform().daemon().start(() -> drain(p.getErrorStream())));
        BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
        // Own threads: the common pool may have a single thread on a 2-core machine, taken by a blocking drain.
        CompletableFuture<String> line = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                line.complete(out.readLine());
            } catch (IOException e) {
                line.complete(null);
            }
        });
        String first = line.get(30, TimeUnit.SECONDS);
        assertTrue(first != null && first.contains("mounted"), "CLI did not mount: " + first + "\n" + stderr);
        drains.add(Thread.ofPlatform().daemon().start(() -> drain(p.getInputStream())));
    }

    private void drain(java.io.InputStream in) {
        try {
            byte[] b = new byte[4096];
            int n;
            while ((n = in.read(b)) > 0) {
                stderr.append(new String(b, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // process ended
        }
    }

    private int stop(String signal) throws Exception {
        assertEquals(0, run("kill", "-" + signal, Long.toString(cli.pid())).exitCode());
        assertTrue(cli.waitFor(20, TimeUnit.SECONDS), "CLI did not exit after SIG" + signal + "\n" + stderr);
        return cli.exitValue();
    }

    /** How often the CLI said it unmounted (once it has exited and all its output is read). */
    private int unmountedLines() throws InterruptedException {
        for (Thread t : drains) {
            t.join(5_000);
        }
        return (int) stderr.toString().lines().filter(l -> l.endsWith(" unmounted")).count();
    }

    @Test
    void ctrlCUnmountsCleanly() throws Exception {
        start(List.of(), "hello", mp.toString());
        assertEquals("Hello, World!\n", run("cat", mp.resolve("hello.txt").toString()).output());
        assertEquals(0, stop("INT"), stderr.toString());
        assertFalse(MountSupport.isMounted(mp));
        assertEquals(1, unmountedLines(), "says unmounted once:\n" + stderr);
    }

    @Test
    void externalUmountEndsTheCli() throws Exception {
        start(List.of(), "hello", mp.toString());
        assertEquals(0, run("umount", mp.toString()).exitCode());
        assertTrue(cli.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, cli.exitValue());
        assertEquals(1, unmountedLines(), "says unmounted once:\n" + stderr);
    }

    @Test
    void anAbortedConnectionIsNotCalledAnUnmount() throws Exception {
        start(List.of(), "hello", mp.toString());
        Path connections = Path.of("/sys/fs/fuse/connections");
        if (!Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + connections + " ")) {
            run("mount", "-t", "fusectl", "none", connections.toString());
        }
        String device = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(mp.toString())).findFirst().orElseThrow().split(" ")[2];
        Files.writeString(connections.resolve(device.substring(device.indexOf(':') + 1)).resolve("abort"), "1");
        assertTrue(cli.waitFor(20, TimeUnit.SECONDS), "the CLI did not end after the abort\n" + stderr);
        assertEquals(1, cli.exitValue(), stderr.toString());
        assertEquals(0, unmountedLines(), "claimed an unmount that did not happen:\n" + stderr);
        assertTrue(stderr.toString().contains("still mounted") && stderr.toString().contains("umount -l " + mp),
                stderr.toString());
        assertTrue(MountSupport.isMounted(mp), "the abort leaves the dead mount the CLI reports");
        assertEquals(0, run("umount", "-l", mp.toString()).exitCode()); // as the CLI says
    }

    @Test
    void debugPrintsRequestsAndReplies() throws Exception {
        start(List.of(), "hello", mp.toString(), "-d");
        run("cat", mp.resolve("hello.txt").toString());
        run("stat", mp.resolve("nothing-here").toString());
        stop("TERM");
        String log = stderr.toString();
        assertTrue(log.contains("opcode: LOOKUP (1)") && log.contains("Lookup[name=hello.txt]"), log);
        assertTrue(log.contains("opcode: READ (15)"), log);
        assertTrue(log.contains("error: -2 (No such file or directory)"), log);
    }

    @Test
    void statsArePrintedOnSigusr1AndAtUnmount() throws Exception {
        start(List.of(), "memfs", mp.toString(), "--stats");
        Files.writeString(mp.resolve("a"), "hi");
        assertFalse(Files.exists(mp.resolve("missing"))); // a LOOKUP (memfs answers it with a negative entry)
        assertEquals(0, run("kill", "-USR1", Long.toString(cli.pid())).exitCode());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!stderr.toString().contains("requests,") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        String whileMounted = stderr.toString();
        assertTrue(cli.isAlive(), "SIGUSR1 must not end the CLI:\n" + whileMounted);
        assertTrue(whileMounted.lines().anyMatch(l -> l.startsWith("opcode ") && l.contains("p99")), whileMounted);
        assertTrue(whileMounted.lines().anyMatch(l -> l.startsWith("LOOKUP ")), whileMounted);
        assertTrue(whileMounted.lines().anyMatch(l -> l.startsWith("WRITE ")), whileMounted);
        assertEquals(0, stop("INT"), stderr.toString());
        assertEquals(1, unmountedLines(), stderr.toString());
        String all = stderr.toString();
        assertEquals(2, all.lines().filter(l -> l.startsWith("opcode ")).count(), "once on the signal, once at "
                + "unmount:\n" + all);
        assertTrue(all.indexOf("requests,", whileMounted.indexOf("requests,") + 1) < all.indexOf(" unmounted"),
                "the final table comes before the unmount line:\n" + all);
    }

    @Test
    void mountOptionsReachTheKernel() throws Exception {
        start(List.of(), "hello", mp.toString(), "-o", "ro,fsname=cli-test,noatime");
        String mounts = Files.readString(Path.of("/proc/mounts"));
        String line = mounts.lines().filter(l -> l.contains(" " + mp + " ")).findFirst().orElseThrow();
        assertTrue(line.startsWith("cli-test " + mp + " fuse.hello ro,"), line);
        assertTrue(line.contains("noatime"), line);
        stop("INT");
    }

    /** The kinds of lock ("FLOCK WRITE", "POSIX WRITE") /proc/locks lists for a flock and a lockf on {@code file}. */
    private static String locksListedFor(Path file) throws Exception {
        MountSupport.Result r = run("python3", "-c", """
                import os, sys, fcntl
                fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(fd, fcntl.LOCK_EX)
                fcntl.lockf(os.open(sys.argv[1], os.O_RDWR), fcntl.LOCK_EX, 10, 0)
                st = os.fstat(fd)
                inode = '%02x:%02x:%d' % (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
                rows = [l.split() for l in open('/proc/locks')]
                print(' '.join(sorted(r[1] + ' ' + r[3] for r in rows
                                      if len(r) >= 6 and r[5] == inode and r[4] == str(os.getpid()))))
                """, file.toString());
        assertEquals(0, r.exitCode(), r.output());
        return r.output().strip();
    }

    @Test
    void memfsWithKernelLocksListsThemInProcLocks() throws Exception {
        start(List.of(), "memfs", mp.toString(), "--kernel-locks");
        assertEquals("FLOCK WRITE POSIX WRITE", locksListedFor(mp.resolve("f")));
        stop("INT");
    }

    @Test
    void memfsKeepingItsOwnLocksListsNoneInProcLocks() throws Exception {
        // the documented trade-off: memfs sees the locks (as a network filesystem must), the kernel does not
        start(List.of(), "memfs", mp.toString());
        assertEquals("", locksListedFor(mp.resolve("f")));
        stop("INT");
    }

    private String mountinfoLine() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].equals(mp.toString())).findFirst().orElseThrow();
    }

    @Test
    void atimeFlagsAndThePlainFuseTypeReachTheKernel() throws Exception {
        // -o relatime was EINVAL, and subtype= could not clear the CLI's default subtype.
        start(List.of(), "hello", mp.toString(), "-o", "relatime,subtype=");
        String line = mountinfoLine();
        assertTrue(line.contains(",relatime ") && line.contains(" - fuse jfuser "), line);
        stop("INT");
        start(List.of(), "hello", mp.toString(), "-o", "noatime,nodiratime");
        line = mountinfoLine();
        assertTrue(line.contains(",noatime,nodiratime ") && line.contains(" - fuse.hello "), line);
        stop("INT");
    }

    /** Reads a file whose atime is in 2000, waits out the attribute cache, and returns its atime (epoch seconds). */
    private long atimeAfterARead() throws Exception {
        Path f = mp.resolve("f");
        Files.writeString(f, "data");
        assertEquals(0, run("touch", "-a", "-d", "@946684800", f.toString()).exitCode());
        assertEquals("data", run("cat", f.toString()).output());
        Thread.sleep(1500); // memfs's attribute timeout is 1 s: the next stat asks memfs
        return Long.parseLong(run("stat", "-c", "%X", f.toString()).output().strip());
    }

    @Test
    void memfsFollowsTheMountsAtimePolicy() throws Exception {
        start(List.of(), "memfs", mp.toString());
        assertTrue(atimeAfterARead() > 946684800L, "relatime (the default) moves an atime older than mtime");
        stop("INT");
        start(List.of(), "memfs", mp.toString(), "-o", "noatime");
        assertEquals(946684800L, atimeAfterARead(), "with -o noatime a read does not move atime");
        stop("INT");
    }

    @Test
    void badInputGetsAClearError() throws Exception {
        MountSupport.Result both = run(MountSupport.cliCommand("hello", mp.toString(), "-o", "allow_other,allow_root")
                .toArray(String[]::new));
        assertEquals(2, both.exitCode());
        assertTrue(both.output().contains("allow_other") && both.output().contains("allow_root"), both.output());
        MountSupport.Result missing = run(MountSupport.cliCommand("hello", base.resolve("nope").toString())
                .toArray(String[]::new));
        assertEquals(1, missing.exitCode());
        assertTrue(missing.output().contains("does not exist") && missing.output().contains("mkdir"),
                missing.output());
        MountSupport.Result unknown = run(MountSupport.cliCommand("nosuchfs", mp.toString()).toArray(String[]::new));
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.output().contains("unknown example 'nosuchfs'"), unknown.output());
    }

    @Test
    void autoUnmountCleansUpAfterKillMinus9() throws Exception {
        MountSupport.assumeFusermount3();
        start(List.of(), "hello", mp.toString(), "-o", "auto_unmount");
        assertTrue(MountSupport.isMounted(mp));
        stop("KILL");
        long deadline = System.currentTimeMillis() + 10_000;
        while (MountSupport.isMounted(mp) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(MountSupport.isMounted(mp), "fusermount3 did not unmount after the process died");
    }

    @Test
    void unprivilegedUserMountsThroughFusermount3() throws Exception {
        MountSupport.assumeFusermount3();
        MountSupport.assumeTool("setpriv", "util-linux");
        MountSupport.assumeTool("runuser", "util-linux");
        Path devFuse = Path.of("/dev/fuse");
        String mode = run("stat", "-c", "%a", devFuse.toString()).output().strip();
        // Distributions ship /dev/fuse 0666; this machine's is 0600, which stops every non-root user.
        run("chmod", "0666", devFuse.toString());
        try {
            run("chown", "nobody", mp.toString());
            // setpriv execs in place, so signals reach the JVM itself (runuser would stand in between).
            List<String> asNobody = List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--");
            start(asNobody, "hello", mp.toString());
            MountSupport.Result cat = run("runuser", "-u", "nobody", "--", "cat", mp.resolve("hello.txt").toString());
            assertEquals("Hello, World!\n", cat.output());
            MountSupport.Result ls = run("runuser", "-u", "nobody", "--", "ls", "-ln", mp.toString());
            assertTrue(ls.output().contains("hello.txt") && ls.output().contains(" 65534 "), ls.output());
            // Without allow_other, even root is kept out of a user's FUSE mount.
            MountSupport.Result rootCat = run("cat", mp.resolve("hello.txt").toString());
            assertTrue(rootCat.exitCode() != 0, rootCat.output());
            assertEquals(0, stop("INT"), stderr.toString());
            assertFalse(MountSupport.isMounted(mp));
        } finally {
            run("chmod", mode, devFuse.toString());
        }
    }

    @Test
    void unprivilegedKernelPassthroughIsRefusedWithTheReasonAndTheMirrorServesReadsItself() throws Exception {
        MountSupport.assumeFusermount3();
        MountSupport.assumeTool("setpriv", "util-linux");
        MountSupport.assumeTool("runuser", "util-linux");
        Path devFuse = Path.of("/dev/fuse");
        String mode = run("stat", "-c", "%a", devFuse.toString()).output().strip();
        run("chmod", "0666", devFuse.toString());
        try {
            Path src = Files.createDirectory(base.resolve("src"));
            Files.writeString(src.resolve("f"), "mirrored\n");
            run("chown", "-R", "nobody", src.toString(), mp.toString());
            List<String> asNobody = List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--");
            start(asNobody, "passthrough", src.toString(), mp.toString(), "--kernel-passthrough");
            MountSupport.Result cat = run("runuser", "-u", "nobody", "--", "cat", mp.resolve("f").toString());
            assertEquals("mirrored\n", cat.output());
            MountSupport.Result write = run("runuser", "-u", "nobody", "--", "sh", "-c",
                    "echo more >> " + mp.resolve("f"));
            assertEquals(0, write.exitCode(), write.output());
            assertEquals("mirrored\nmore\n", Files.readString(src.resolve("f")));
            assertEquals(0, stop("INT"), stderr.toString());
            assertTrue(stderr.toString().contains("kernel passthrough refused")
                    && stderr.toString().contains("CAP_SYS_ADMIN"), stderr.toString());
        } finally {
            run("chmod", mode, devFuse.toString());
        }
    }
}
