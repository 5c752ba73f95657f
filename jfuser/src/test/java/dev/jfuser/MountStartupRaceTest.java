package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.internal.mount.Mounter;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unmount racing the start of a mount (a script that waits for the mount to show up and unmounts it at once) is a
 * clean end: {@link Fuse#mount} returns a mount that has already ended, nothing is thrown and nothing is logged.
 */
@Tag("mount")
class MountStartupRaceTest {
    private static final int ROUNDS = 50;

    @TempDir
    Path dir;

    private Path mp;
    /** What the session logs at WARNING or above also goes to its debug stream, prefixed "jfuser: ". */
    private final ByteArrayOutputStream debugOut = new ByteArrayOutputStream();
    private SessionOptions session;

    private List<String> logged() {
        synchronized (debugOut) {
            return debugOut.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("jfuser: ") && !l.startsWith("jfuser: io_uring transport not used"))
                    .toList();
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse on this machine: modprobe fuse");
        assumeTrue("root".equals(System.getProperty("user.name")), "mount tests need CAP_SYS_ADMIN (run as root)");
        mp = Files.createDirectory(dir.resolve("mnt")).toRealPath();
        session = SessionOptions.DEFAULT.withDebug(new PrintStream(debugOut, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (mp != null && Mounter.isMountPoint(mp)) {
            LibC.umount2(mp.toString(), LibC.MNT_DETACH);
            throw new AssertionError("the test left " + mp + " mounted");
        }
    }

    /** A thread that unmounts {@code mp} the moment something is mounted there. */
    private Thread unmounter(AtomicBoolean done) {
        return Thread.ofPlatform().daemon().start(() -> {
            while (!done.get()) {
                try {
                    LibC.umount2(mp.toString(), LibC.UMOUNT_NOFOLLOW);
                    return;
                } catch (NativeException notYetMounted) {
                    Thread.onSpinWait();
                }
            }
        });
    }

    @Test
    void unmountRacingInitIsACleanEnd() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            AtomicBoolean done = new AtomicBoolean();
            Thread t = unmounter(done);
            Mount mount;
            try {
                mount = Fuse.mount(new ServeFdTest.TinyFs(), mp, MountOptions.defaults(), session);
            } catch (IOException e) {
                throw new AssertionError("round " + i + ": an unmount racing the mount made it fail", e);
            } finally {
                t.join(10_000);
                done.set(true);
            }
            assertTrue(mount.awaitUnmount(Duration.ofSeconds(10)), "round " + i + ": the session did not end");
            mount.close(); // already unmounted: nothing to do, nothing thrown
            assertFalse(Mounter.isMountPoint(mp), "round " + i + ": still mounted");
        }
        assertEquals(List.of(), logged(), "an unmount racing the mount is no failure and logs nothing");
    }

    @Test
    void unmountByAnotherProcessRightAfterMountReturnsIsACleanEnd() throws Exception {
        for (int i = 0; i < ROUNDS; i++) {
            try (Mount mount = Fuse.mount(new ServeFdTest.TinyFs(), mp, MountOptions.defaults(), session)) {
                Process umount = new ProcessBuilder("umount", mp.toString()).redirectErrorStream(true).start();
                String out = new String(umount.getInputStream().readAllBytes());
                assertEquals(0, umount.waitFor(), "round " + i + ": umount: " + out);
                assertTrue(mount.awaitUnmount(Duration.ofSeconds(10)), "round " + i + ": the session did not end");
            }
        }
        assertEquals(List.of(), logged(), "an unmount right after mount is no failure and logs nothing");
    }
}
