package dev.jfuser.internal.mount;

import dev.jfuser.MountBusyException;
import dev.jfuser.MountOptions;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A live FUSE mount: the /dev/fuse fd the kernel sends this mount's requests on, and how to take the mount down.
 *
 * <p>Unmounting and closing the fd are separate on purpose. After an unmount the kernel ends the connection, and a
 * reader blocked on the fd gets ENODEV: the session's clean end. Closing the fd without unmounting aborts the
 * connection instead and leaves a dead mount ("Transport endpoint is not connected") until someone unmounts it.
 * So the normal order is {@link #unmount}, let the readers drain to ENODEV, then {@link #closeFd}.
 *
 * <p>All methods are idempotent and thread-safe.
 */
public final class MountedDevice implements AutoCloseable {
    private static final long FUSERMOUNT_TIMEOUT_SECONDS = 30;

    private final int fd;
    private final Path mountpoint;
    private final MountOptions options;
    private final Path fusermount;
    private final int ownerUid;
    private final int mountId;
    private final int[] watcherSockets;
    private boolean fdClosed;
    private boolean unmounted;

    /**
     * @param fusermount     the fusermount3 used to mount, or null for a direct mount(2)
     * @param watcherSockets our ends of the sockets auto_unmount watchers wait on (fusermount3, and the watchdog
     *                       that stands in for it where it fails); empty without auto_unmount
     * @param mountId        the mount's id in /proc/self/mountinfo, or -1 if it could not be found
     */
    MountedDevice(int fd, Path mountpoint, MountOptions options, Path fusermount, int[] watcherSockets, int ownerUid,
                  int mountId) {
        this.fd = fd;
        this.mountpoint = mountpoint;
        this.options = options;
        this.fusermount = fusermount;
        this.watcherSockets = watcherSockets.clone();
        this.ownerUid = ownerUid;
        this.mountId = mountId;
    }

    /**
     * A mount another process made and handed over with its connection's descriptor {@code fd}: unmounted the way
     * it was mounted ({@code fusermount}, or null for umount2), never with an auto_unmount watcher.
     */
    public static MountedDevice adopted(int fd, Path mountpoint, Path fusermount, int ownerUid, int mountId) {
        return new MountedDevice(fd, mountpoint, MountOptions.defaults(), fusermount, new int[0], ownerUid, mountId);
    }

    /** The fusermount3 that mounted it, or null for a direct mount(2). */
    public Path fusermount() {
        return fusermount;
    }

    /** The mount's id in /proc/self/mountinfo, or -1 if unknown. */
    public int mountId() {
        return mountId;
    }

    /** The /dev/fuse fd of this mount's connection; clone it with {@code FUSE_DEV_IOC_CLONE} for more readers. */
    public int fd() {
        return fd;
    }

    /** The mountpoint, absolute with symlinks resolved (as /proc/self/mountinfo shows it). */
    public Path mountpoint() {
        return mountpoint;
    }

    /** True if fusermount3 mounted it (unprivileged, auto_unmount, or forced); unmounting then also uses it. */
    public boolean viaFusermount() {
        return fusermount != null;
    }

    public MountOptions options() {
        return options;
    }

    /**
     * True for {@code allow_root}: the kernel was told {@code allow_other}, so the session must answer EACCES to
     * every request whose uid is neither 0 nor {@link #ownerUid()} (the kernel does not check this itself).
     */
    public boolean allowRoot() {
        return options.allowRoot();
    }

    /** The real uid of the process that mounted: the {@code user_id=} the kernel admits without allow_other. */
    public int ownerUid() {
        return ownerUid;
    }

    /** True while an auto_unmount watcher (fusermount3) is attached; closing its socket makes it unmount. */
    public synchronized boolean hasWatcher() {
        for (int s : watcherSockets) {
            if (s >= 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether this mount is still listed in /proc/self/mountinfo. Never touches the filesystem itself. */
    public boolean isMounted() {
        for (MountInfo m : MountInfo.read()) {
            // Ids are reused quickly after an unmount, so the path must match too.
            if (m.mountPoint().equals(mountpoint) && (mountId < 0 || m.mountId() == mountId)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Unmounts. A plain unmount fails with {@link MountBusyException} while anything uses the mount; a lazy one
     * ({@code MNT_DETACH}, {@code fusermount3 -z}) detaches it at once and completes when the last user leaves.
     * Succeeds quietly if the mount is already gone (someone ran {@code fusermount3 -u}).
     */
    public synchronized void unmount(boolean lazy) throws IOException {
        if (unmounted) {
            return;
        }
        if (fusermount == null) {
            unmountDirect(lazy);
        } else {
            unmountWithFusermount(lazy);
        }
        unmounted = true;
        closeWatcher(); // its job is done; it exits when it sees the socket close and the mount gone
    }

    private void unmountDirect(boolean lazy) throws IOException {
        // UMOUNT_NOFOLLOW: the path is already resolved; never follow a symlink planted there since.
        int flags = LibC.UMOUNT_NOFOLLOW | (lazy ? LibC.MNT_DETACH : 0);
        try {
            LibC.umount2(mountpoint.toString(), flags);
        } catch (NativeException e) {
            if (e.errno() == LibC.EBUSY) {
                throw new MountBusyException(mountpoint);
            }
            if ((e.errno() == LibC.EINVAL || e.errno() == LibC.ENOENT) && !isMounted()) {
                return; // already unmounted by someone else
            }
            throw new IOException("cannot unmount " + mountpoint + ": " + e.getMessage(), e);
        }
    }

    private void unmountWithFusermount(boolean lazy) throws IOException {
        List<String> command = new ArrayList<>(List.of(fusermount.toString(), "-u"));
        if (lazy) {
            command.add("-z");
        }
        command.add("--");
        command.add(mountpoint.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String output;
        try (InputStream in = p.getInputStream()) {
            // Wait first, read after: its output is one line, far below the pipe's capacity.
            if (!p.waitFor(FUSERMOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("cannot unmount " + mountpoint + ": " + String.join(" ", command)
                        + " did not finish within " + FUSERMOUNT_TIMEOUT_SECONDS + " s");
            }
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while unmounting " + mountpoint, e);
        }
        if (p.exitValue() == 0) {
            return;
        }
        if (output.contains("Device or resource busy")) {
            throw new MountBusyException(mountpoint);
        }
        if (!isMounted()) {
            return; // "entry ... not found": already gone
        }
        throw new IOException("cannot unmount " + mountpoint + ": " + String.join(" ", command) + " failed (exit code "
                + p.exitValue() + "): " + output);
    }

    /**
     * Closes the /dev/fuse fd. While still mounted this aborts the connection: pending and future file operations
     * fail with ENOTCONN until the mount is unmounted.
     */
    public synchronized void closeFd() {
        if (!fdClosed) {
            fdClosed = true;
            LibC.closeQuietly(fd);
        }
    }

    /**
     * Closes our end of the auto_unmount watchers' sockets, as our death would: each watcher then checks whether the
     * connection is dead (ENOTCONN), unmounts lazily if so, and exits. Close the fd first to get an unmount.
     * Does nothing without a watcher.
     */
    public synchronized void closeWatcher() {
        for (int i = 0; i < watcherSockets.length; i++) {
            if (watcherSockets[i] >= 0) {
                LibC.closeQuietly(watcherSockets[i]);
                watcherSockets[i] = -1;
            }
        }
    }

    /**
     * Best-effort teardown for error paths and tests: unmount (lazily if busy), close the fd and the watcher.
     * Never throws; use {@link #unmount} to learn why an unmount failed.
     */
    @Override
    public synchronized void close() {
        try {
            try {
                unmount(false);
            } catch (IOException busyOrWorse) {
                unmount(true);
            }
        } catch (IOException ignored) {
            // Closing the watcher below still unmounts auto_unmount mounts; nothing else left to try.
        } finally {
            closeFd();
            closeWatcher();
        }
    }

    @Override
    public String toString() {
        return "MountedDevice[fd=" + fd + ", mountpoint=" + mountpoint + ", "
                + (fusermount == null ? "mount(2)" : "fusermount3") + ", " + options + "]";
    }
}
