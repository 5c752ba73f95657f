package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Through the real kernel: with one reader and one request in flight at a time, a handler that blocks until
 * interrupted holds the only permit and a second caller waits behind it. Killing the first caller makes the
 * kernel send an INTERRUPT, which must still be read: the handler is interrupted, the killed caller goes away,
 * the second caller is served and the mount stays usable.
 */
@Tag("mount")
class InterruptMountTest {
    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;
    private final List<Process> callers = new ArrayList<>();

    /** "stuck" blocks until its thread is interrupted; everything else does not exist. */
    static final class StuckFs implements Filesystem {
        final CountDownLatch stuck = new CountDownLatch(1);
        final CountDownLatch interrupted = new CountDownLatch(1);
        volatile boolean markedInterrupted;

        @Override
        public Entry lookup(Request req, long parent, String name) throws FuseException {
            if (name.equals("stuck")) {
                stuck.countDown();
                try {
                    Thread.sleep(TimeUnit.MINUTES.toMillis(10));
                } catch (InterruptedException e) {
                    markedInterrupted = req.isInterrupted();
                    interrupted.countDown();
                    throw new FuseException(Errno.EINTR);
                }
            }
            throw new FuseException(Errno.ENOENT);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
            return AttrReply.of(FileAttr.builder(1, FileType.DIRECTORY).perm(0755).build());
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        boolean stuck = callers.stream().anyMatch(Process::isAlive);
        if (stuck && mp != null) {
            // Callers in D state leave only with an abort of the connection.
            abortConnection(mp);
        }
        callers.forEach(Process::destroyForcibly);
        if (mount != null) {
            mount.unmount(true);
            mount.awaitUnmount(Duration.ofSeconds(10));
        }
    }

    private Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        callers.add(p);
        return p;
    }

    @Test
    void anInterruptFromAKilledCallerReachesTheHandlerWhileTheOnlyPermitIsTaken() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse");
        mp = Files.createDirectory(dir.resolve("mnt"));
        StuckFs fs = new StuckFs();
        mount = Fuse.mount(fs, mp, MountOptions.defaults(),
                SessionOptions.DEFAULT.withReaderThreads(1).withMaxInFlight(1));

        Process first = start("stat", mp.resolve("stuck").toString());
        assertTrue(fs.stuck.await(10, TimeUnit.SECONDS), "the first lookup reached the handler");
        Process second = start("stat", mp.resolve("other").toString());
        Thread.sleep(300); // its LOOKUP is read and waits for the permit

        first.destroyForcibly(); // SIGKILL: the kernel sends an INTERRUPT and waits for the answer
        assertTrue(fs.interrupted.await(10, TimeUnit.SECONDS), "the INTERRUPT did not reach the handler");
        assertTrue(fs.markedInterrupted, "Request.isInterrupted() was set");
        assertTrue(first.waitFor(10, TimeUnit.SECONDS), "the killed caller is still waiting");
        assertTrue(second.waitFor(10, TimeUnit.SECONDS), "the second caller was not served");
        assertEquals(1, second.exitValue(), "stat of a missing file fails with ENOENT");

        Process third = start("stat", mp.toString());
        assertTrue(third.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, third.exitValue(), "the mount is still usable");
    }

    /** Aborts the FUSE connection of {@code mountpoint} through fusectl (mounted here if it is not). */
    private static void abortConnection(Path mountpoint) throws IOException, InterruptedException {
        String device = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4 && f[4].equals(mountpoint.toString())) {
                device = f[2];
            }
        }
        if (device == null) {
            return;
        }
        Path connections = Path.of("/sys/fs/fuse/connections");
        if (!Files.exists(connections.resolve(device.substring(device.indexOf(':') + 1)))) {
            new ProcessBuilder("mount", "-t", "fusectl", "none", connections.toString()).start().waitFor();
        }
        Files.writeString(connections.resolve(device.substring(device.indexOf(':') + 1)).resolve("abort"), "1");
    }
}
