package dev.jfuser.internal.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.MountBusyException;
import dev.jfuser.MountOptions;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real mounts. Needs root (CAP_SYS_ADMIN), /dev/fuse and fusermount3; skipped otherwise.
 *
 * <p>Nothing here may leave a mount behind: every mount is registered and torn down in {@link #unmountAll()}, with a
 * lazy umount2 as the last resort. Until FUSE_INIT is answered any stat of the mountpoint blocks, so tests only look
 * at /proc/self/mountinfo, never at the mounted directory itself, unless a {@link FakeFuseDaemon} serves it.
 */
@Tag("mount")
class MounterMountTest {
    @TempDir
    Path tmp;

    private Path mp;
    private final List<MountedDevice> devices = new ArrayList<>();
    private final List<FakeFuseDaemon> daemons = new ArrayList<>();

    @BeforeEach
    void requireRootAndFuse() throws IOException {
        assumeTrue(Files.exists(Mounter.DEV_FUSE), "no /dev/fuse");
        assumeTrue(Mounter.privileged(), "mount tests need CAP_SYS_ADMIN");
        mp = Files.createDirectory(tmp.resolve("mnt")).toRealPath();
    }

    @AfterEach
    void unmountAll() throws Exception {
        Mounter.forceFusermount = false;
        for (FakeFuseDaemon d : daemons) {
            d.close();
        }
        for (MountedDevice d : devices) {
            d.close();
        }
        if (mp != null && Mounter.isMountPoint(mp)) { // close() failed: force it
            LibC.umount2(mp.toString(), LibC.MNT_DETACH);
        }
        assertFalse(mp != null && Mounter.isMountPoint(mp), "mount left behind at " + mp);
    }

    /** Skips the test, saying why, where there is no fusermount3 (or -Djfuser.fusermount names none). */
    static void assumeFusermount() {
        try {
            Mounter.findFusermount();
        } catch (IOException e) {
            assumeTrue(false, e.getMessage());
        }
    }

    private MountedDevice mount(MountOptions options) throws IOException {
        MountedDevice d = Mounter.mount(mp, options);
        devices.add(d);
        return d;
    }

    private FakeFuseDaemon daemon(MountedDevice d) {
        return daemon(d.fd());
    }

    private FakeFuseDaemon daemon(int fd) {
        FakeFuseDaemon daemon = new FakeFuseDaemon(fd);
        daemons.add(daemon);
        return daemon;
    }

    @Test
    void directMountQueuesInitAndLazyUnmountEndsTheConnection() throws Exception {
        MountedDevice d = mount(MountOptions.builder().fsname("jfuser test,1").subtype("jfusertest").build());
        assertFalse(d.viaFusermount());
        assertEquals(mp, d.mountpoint());
        assertEquals(0, d.ownerUid());

        MountInfo info = MountInfo.find(mp).orElseThrow();
        assertEquals("fuse.jfusertest", info.fsType());
        assertEquals("jfuser test,1", info.source(), "fsname with space and comma, unescaped from mountinfo");
        assertTrue(d.isMounted());

        FakeFuseDaemon daemon = daemon(d);
        daemon.expectInit();
        assertTrue(daemon.unique() != 0);

        // Works before INIT is answered: the kernel does not ask the daemon anything to unmount.
        d.unmount(true);
        assertFalse(Mounter.isMountPoint(mp));
        assertFalse(d.isMounted());
        assertEquals(-LibC.ENODEV, daemon.next(1000), "a read after unmount reports the end of the connection");
        d.unmount(true); // idempotent
    }

    @Test
    void answeredInitMakesTheMountUsableAndPlainUnmountRefusesWhileBusy() throws Exception {
        MountedDevice d = mount(MountOptions.builder().fsname("jfuser-test").subtype("jfusertest").build());
        FakeFuseDaemon daemon = daemon(d);
        daemon.serveInBackground();

        // Stat through the kernel: GETATTR of the root, answered by the fake daemon. Off-thread, so a broken daemon
        // fails the test instead of hanging it.
        boolean isDirectory = CompletableFuture.supplyAsync(() -> Files.isDirectory(mp)).get(5, TimeUnit.SECONDS);
        assertTrue(isDirectory);
        assertTrue(daemon.opcodesSeen.contains(FakeFuseDaemon.FUSE_INIT));
        assertTrue(daemon.opcodesSeen.contains(FakeFuseDaemon.FUSE_GETATTR));

        // A process whose working directory is inside keeps the mount busy.
        Process sleeper = new ProcessBuilder("sleep", "30").directory(mp.toFile()).start();
        try {
            MountBusyException e = assertThrows(MountBusyException.class, () -> d.unmount(false));
            assertEquals("cannot unmount " + mp + ": it is busy (a process has a file open or its working directory "
                    + "inside); close those and retry, or unmount lazily", e.getMessage());
            assertEquals(mp, e.mountpoint());
            assertTrue(d.isMounted());
        } finally {
            sleeper.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        d.unmount(false);
        assertFalse(Mounter.isMountPoint(mp));
        assertTrue(daemon.awaitEnd(5000));
        assertTrue(daemon.sawEnodev(), "the reader sees ENODEV: a clean end of session");
    }

    @Test
    void clonedFdReadsTheSameConnection() throws Exception {
        MountedDevice d = mount(MountOptions.builder().subtype("jfusertest").build());
        int clone = LibC.open(Mounter.DEV_FUSE.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        try {
            LibC.ioctlInt(clone, LibC.FUSE_DEV_IOC_CLONE, d.fd());
            daemon(clone).expectInit();
        } finally {
            LibC.close(clone);
        }
        d.unmount(true);
    }

    @Test
    void cloneOfAnUnmountedFdFails() throws Exception {
        int a = LibC.open(Mounter.DEV_FUSE.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        int b = LibC.open(Mounter.DEV_FUSE.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        try {
            NativeException e = assertThrows(NativeException.class,
                    () -> LibC.ioctlInt(b, LibC.FUSE_DEV_IOC_CLONE, a));
            // EINVAL on older kernels, EPERM on newer ones: either way, no clone without a mounted session.
            assertTrue(e.errno() == LibC.EINVAL || e.errno() == LibC.EPERM, e.getMessage());
        } finally {
            LibC.close(a);
            LibC.close(b);
        }
    }

    @Test
    void secondMountOnTheSameDirectoryIsRefused() throws Exception {
        mount(MountOptions.builder().subtype("jfusertest").build());
        IOException e = assertThrows(IOException.class, () -> Mounter.mount(mp, MountOptions.defaults()));
        assertEquals("mountpoint " + mp + " is already a mount point (fuse.jfusertest): unmount it first with "
                + "fusermount3 -u " + mp + ", or choose another directory", e.getMessage());
    }

    @Test
    void customOptionTheKernelRejectsIsExplained() {
        IOException e = assertThrows(IOException.class,
                () -> mount(MountOptions.parse("subtype=jfusertest,jfuser_bogus_option")));
        assertTrue(e.getMessage().startsWith("cannot mount " + mp + ": mount(\"" + mp + "\"): Invalid argument "
                + "(EINVAL, errno 22): the kernel rejected an option, probably one of the custom options "
                + "[jfuser_bogus_option]"), e.getMessage());
        assertFalse(Mounter.isMountPoint(mp));
    }

    @Test
    void blksizeOnAPlainFuseMountIsExplained() {
        IOException e = assertThrows(IOException.class, () -> mount(MountOptions.parse("blksize=4096")));
        assertTrue(e.getMessage().contains("blksize only for block-device (fuseblk) mounts; remove blksize"),
                e.getMessage());
    }

    @Test
    void readOnlyAndFlagsReachTheKernel() throws Exception {
        mount(MountOptions.parse("subtype=jfusertest,ro,noexec,noatime,default_permissions,allow_other"));
        String line = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(" " + mp + " ")).findFirst().orElseThrow();
        // mount options (field 6) and super options (last field)
        assertTrue(line.contains(" ro,nosuid,nodev,noexec,noatime "), line);
        assertTrue(line.contains("default_permissions,allow_other"), line);
    }

    private String mountinfoLine() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(" " + mp + " ")).findFirst().orElseThrow();
    }

    @Test
    void atimeOptionsReachTheKernelAsMountFlags() throws Exception {
        // Each was EINVAL when passed to the kernel's FUSE as an option.
        for (String[] c : new String[][] {{"relatime", " rw,nosuid,nodev,relatime "},
                {"noatime", " rw,nosuid,nodev,noatime "}, {"strictatime", " rw,nosuid,nodev "},
                {"noatime,nodiratime", " rw,nosuid,nodev,noatime,nodiratime "}}) {
            MountedDevice d = mount(MountOptions.parse(c[0]));
            String line = mountinfoLine();
            assertTrue(line.contains(c[1]), c[0] + ": " + line);
            d.close();
            assertFalse(Mounter.isMountPoint(mp));
        }
        mount(MountOptions.parse("lazytime"));
        String line = mountinfoLine();
        assertTrue(line.substring(line.indexOf(" - ")).contains("lazytime"), line); // a superblock flag
    }

    @Test
    void anEmptySubtypeMountsThePlainFuseType() throws Exception {
        mount(MountOptions.parse("subtype=jfusertest,subtype="));
        String line = mountinfoLine();
        assertTrue(line.contains(" - fuse jfuser "), line);
    }

    @Test
    void fusermountMountsWithAtimeOptionsAndThePlainType() throws Exception {
        assumeFusermount();
        Mounter.forceFusermount = true;
        MountedDevice d = mount(MountOptions.parse("subtype=,noatime"));
        String line = mountinfoLine();
        assertTrue(line.contains(" - fuse jfuser ") && line.contains(",noatime "), line);
        d.close();
        mount(MountOptions.parse("relatime"));
        assertTrue(mountinfoLine().contains(",relatime "), mountinfoLine());
    }

    @Test
    void fusermountPathWorksAsRootAndUnescapesFsname() throws Exception {
        assumeFusermount();
        Mounter.forceFusermount = true;
        MountedDevice d = mount(MountOptions.builder().fsname("a,b\\c").subtype("jfusertest").build());
        assertTrue(d.viaFusermount());
        assertFalse(d.hasWatcher());
        MountInfo info = MountInfo.find(mp).orElseThrow();
        assertEquals("fuse.jfusertest", info.fsType());
        assertEquals("a,b\\c", info.source());

        FakeFuseDaemon daemon = daemon(d);
        daemon.expectInit(); // the fd that came over SCM_RIGHTS is this mount's connection

        d.unmount(false); // fusermount3 -u
        assertFalse(Mounter.isMountPoint(mp));
        assertEquals(-LibC.ENODEV, daemon.next(1000));
    }

    @Test
    void fusermountBusyUnmountIsMountBusyException() throws Exception {
        assumeFusermount();
        Mounter.forceFusermount = true;
        MountedDevice d = mount(MountOptions.builder().subtype("jfusertest").build());
        daemon(d).serveInBackground();
        Process sleeper = new ProcessBuilder("sleep", "30").directory(mp.toFile()).start();
        try {
            assertThrows(MountBusyException.class, () -> d.unmount(false));
        } finally {
            sleeper.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        d.unmount(false);
        assertFalse(Mounter.isMountPoint(mp));
    }

    @Test
    void fusermountFailureQuotesItsStderr() {
        assumeFusermount();
        Mounter.forceFusermount = true;
        IOException e = assertThrows(IOException.class,
                () -> mount(MountOptions.parse("subtype=jfusertest,jfuser_bogus_option")));
        assertEquals("fusermount3 could not mount " + mp + " (exit code 1): fusermount3: unknown option "
                + "'jfuser_bogus_option'\n  fix: fusermount3 passes on only the options it knows: remove the one it "
                + "names, or mount as root, which needs no fusermount3 and passes custom options to the kernel as they "
                + "are (custom options: [jfuser_bogus_option])", e.getMessage());
        assertFalse(Mounter.isMountPoint(mp));
    }

    @Test
    void watchdogUnmountsADeadMountWhenItsSocketCloses() throws Exception {
        // The watchdog alone, on a direct mount: it stands in for fusermount3's auto_unmount where that fails.
        MountedDevice d = mount(MountOptions.builder().subtype("jfusertest").build());
        assumeFusermount();
        int socket = Mounter.startUnmountWatchdog(Mounter.findFusermount(), mp, d.fd());
        assertTrue(socket > d.fd(), "numbered above the device fd, so our death closes the device first");
        d.closeFd(); // the connection dies: stat now says ENOTCONN
        LibC.close(socket);
        awaitUnmounted();
    }

    @Test
    void watchdogLeavesALiveMountAlone() throws Exception {
        MountedDevice d = mount(MountOptions.builder().subtype("jfusertest").build());
        FakeFuseDaemon daemon = daemon(d);
        daemon.serveInBackground();
        assumeFusermount();
        int socket = Mounter.startUnmountWatchdog(Mounter.findFusermount(), mp, d.fd());
        LibC.close(socket);
        Thread.sleep(500); // give it time to (wrongly) act
        assertTrue(Mounter.isMountPoint(mp), "still served, so not unmounted");
        assertTrue(daemon.opcodesSeen.contains(FakeFuseDaemon.FUSE_OPENDIR),
                "the watchdog checked by opening the root, as fusermount3 does");
    }

    @Test
    void autoUnmountSurvivesAWatcherThatChecksBeforeTheConnectionDies() throws Exception {
        // The race of a kill -9 under load: the watcher socket closes first (the kernel releases a dead process's
        // files in no order to rely on), fusermount3 opens the root while the connection still lives, and its
        // OPENDIR is pending when the last device fd goes. That request fails with ECONNABORTED, not ENOTCONN, so
        // fusermount3's single check leaves the dead mount. Here the order is forced: its request is held unanswered.
        assumeFusermount();
        MountedDevice d = mount(MountOptions.builder().subtype("jfusertest").autoUnmount().build());
        FakeFuseDaemon daemon = daemon(d);
        daemon.expectInit();
        daemon.replyInit();
        d.closeWatcher();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        boolean held = false;
        while (!held && System.nanoTime() < deadline) {
            long n = daemon.next(100);
            if (n > 0) {
                int op = daemon.opcode(); // fusermount3 opens the root: OPENDIR, or first a GETATTR
                held = op != FakeFuseDaemon.FUSE_FORGET && op != FakeFuseDaemon.FUSE_BATCH_FORGET
                        && op != FakeFuseDaemon.FUSE_INTERRUPT;
            }
        }
        assertTrue(held, "the watcher checked the mount, with a request left pending here");
        d.closeFd(); // the connection dies with the watcher's request pending
        awaitUnmounted();
    }

    private void awaitUnmounted() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Mounter.isMountPoint(mp) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(Mounter.isMountPoint(mp), "unmounted after the watcher's socket closed");
    }

    @Test
    void autoUnmountWatcherUnmountsWhenTheProcessLetsGo() throws Exception {
        // As root too: auto_unmount always goes through fusermount3, which stays as the watcher.
        assumeFusermount();
        MountedDevice d = mount(MountOptions.builder().subtype("jfusertest").autoUnmount().build());
        assertTrue(d.viaFusermount());
        assertTrue(d.hasWatcher());
        daemon(d).expectInit();

        // What process death does: the device fd and the watcher socket close.
        d.closeFd();
        d.closeWatcher();
        awaitUnmounted();
    }
}
