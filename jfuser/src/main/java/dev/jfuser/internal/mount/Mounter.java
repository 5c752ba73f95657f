package dev.jfuser.internal.mount;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.jfuser.MountOptions;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Mounts a FUSE filesystem and returns the /dev/fuse fd that serves it.
 *
 * <p>Two ways, as libfuse does:
 * <ol>
 *   <li><b>Directly</b>, with CAP_SYS_ADMIN (root): open /dev/fuse, then {@code mount(2)} with the fd number in the
 *       option string ({@code fd=N,rootmode=40000,user_id=U,group_id=G,...}). The kernel queues FUSE_INIT on the fd
 *       right away; {@code mount(2)} does not wait for the answer.</li>
 *   <li><b>Through fusermount3</b>, the setuid-root helper, for everyone else, when a direct mount fails with
 *       EPERM, or for {@code auto_unmount}: we spawn {@code fusermount3 -o OPTIONS -- MOUNTPOINT} with one end of a
 *       socketpair as fd 3 and {@code _FUSE_COMMFD=3}; it opens /dev/fuse, mounts, and sends the fd back over the
 *       socket as SCM_RIGHTS. With {@code auto_unmount} it then stays alive watching the socket and unmounts when
 *       the socket closes, i.e. when this process exits however it exits.</li>
 * </ol>
 *
 * <p>fusermount3 checks only once whether the mount is dead, which can be too early after a kill -9, and before 3.15
 * never performs that auto_unmount for an unprivileged user's mount without allow_other (it checks the mount as root,
 * whom the kernel keeps out). So every auto_unmount mount also gets a small watchdog of jfuser's own, see
 * {@link #startUnmountWatchdog}.
 *
 * <p>A privileged auto_unmount mount also goes through fusermount3: it is the watcher process.
 * Privileged {@code allow_root} is passed to the kernel as {@code allow_other}; see {@link MountedDevice#allowRoot()}.
 *
 * <p>Before either, cheap checks turn the usual mistakes into messages that name the fix (missing mountpoint,
 * something already mounted there, no /dev/fuse).
 */
public final class Mounter {
    private Mounter() {}

    /** Tests: take the fusermount3 path even when a direct mount would work. */
    static volatile boolean forceFusermount;

    static final Path DEV_FUSE = Path.of("/dev/fuse");
    private static final String FUSERMOUNT = "fusermount3";
    private static final List<Path> FUSERMOUNT_DIRS = List.of(Path.of("/usr/bin"), Path.of("/bin"),
            Path.of("/usr/local/bin"), Path.of("/usr/sbin"), Path.of("/sbin"));
    /** The fd number fusermount3 finds its socket at, named to it by {@code _FUSE_COMMFD}. */
    private static final int COMMFD = 3;
    private static final int CAP_SYS_ADMIN = 21;
    private static final long FUSERMOUNT_EXIT_WAIT_MILLIS = 10_000;
    /** Where watcher sockets go if RLIMIT_NOFILE allows: above the device fd and its clones. */
    private static final int HIGH_FD = 4096;
    private static final System.Logger LOG = System.getLogger("dev.jfuser.mount");

    /**
     * Mounts a FUSE filesystem on {@code mountpoint}.
     *
     * @throws IOException with a message naming what is wrong and how to fix it
     * @throws IllegalCallerException if native access is denied to jfuser
     */
    public static MountedDevice mount(Path mountpoint, MountOptions options) throws IOException {
        Objects.requireNonNull(mountpoint, "mountpoint");
        Objects.requireNonNull(options, "options");
        LibC.checkNativeAccess();
        Path mp = checkMountpoint(mountpoint);
        checkDevFuseExists();
        boolean privileged = privileged();
        if (privileged && !forceFusermount && !options.autoUnmount()) {
            MountedDevice device = mountDirect(mp, options);
            if (device != null) {
                return device;
            }
            LOG.log(System.Logger.Level.DEBUG, "mount(2) of {0} denied despite CAP_SYS_ADMIN; trying fusermount3", mp);
        }
        if (!privileged) {
            checkDevFuseAccessible();
        }
        return mountWithFusermount(mp, options);
    }

    /** Whether something is mounted exactly at {@code path} (absolute, normalized), according to mountinfo. */
    public static boolean isMountPoint(Path path) {
        return MountInfo.find(path).isPresent();
    }

    // ---------------------------------------------------------------------------------------------- checks

    private static Path checkMountpoint(Path mountpoint) throws IOException {
        Path abs = mountpoint.toAbsolutePath().normalize();
        // mountinfo first: stat on a dead FUSE mount fails (ENOTCONN) and on a hung one blocks.
        if (isMountPoint(abs)) {
            throw alreadyMounted(abs);
        }
        if (!Files.exists(abs)) {
            throw new IOException("mountpoint " + abs + " does not exist: create it with mkdir -p " + shellQuote(abs));
        }
        if (!Files.isDirectory(abs)) {
            throw new IOException("mountpoint " + abs + " is not a directory: FUSE mounts a directory tree there; "
                    + "choose an (empty) directory");
        }
        Path real = abs.toRealPath();
        if (!real.equals(abs) && isMountPoint(real)) {
            throw alreadyMounted(real);
        }
        return real;
    }

    private static IOException alreadyMounted(Path mp) {
        String type = MountInfo.find(mp).map(MountInfo::fsType).orElse("?");
        String how = type.startsWith("fuse") ? "fusermount3 -u " : "umount ";
        return new IOException("mountpoint " + mp + " is already a mount point (" + type + "): unmount it first with "
                + how + shellQuote(mp) + ", or choose another directory");
    }

    private static void checkDevFuseExists() throws IOException {
        if (!Files.exists(DEV_FUSE)) {
            throw new IOException(DEV_FUSE + " does not exist: load the FUSE kernel module with modprobe fuse "
                    + "(in a container, pass the device in, e.g. docker run --device /dev/fuse)");
        }
    }

    /** fusermount3 opens /dev/fuse with the caller's own permissions (it drops privileges for that). */
    private static void checkDevFuseAccessible() throws IOException {
        if (!Files.isReadable(DEV_FUSE) || !Files.isWritable(DEV_FUSE)) {
            throw new IOException(DEV_FUSE + " is not readable and writable by uid " + LibC.getuid() + " ("
                    + describeDevFuse() + "): as root, run chmod 0666 /dev/fuse (its usual mode; udev sets it when "
                    + "the fuse module loads)");
        }
    }

    private static String describeDevFuse() {
        try {
            return "mode " + PosixFilePermissions.toString(Files.getPosixFilePermissions(DEV_FUSE)) + ", owner "
                    + Files.getOwner(DEV_FUSE).getName();
        } catch (IOException | UnsupportedOperationException e) {
            return "mode unknown";
        }
    }

    /** CAP_SYS_ADMIN in the effective set (what mount(2) needs); euid 0 if /proc cannot tell. */
    static boolean privileged() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16);
                    return (caps & (1L << CAP_SYS_ADMIN)) != 0;
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // fall through
        }
        return LibC.geteuid() == 0;
    }

    // ---------------------------------------------------------------------------------------------- mount(2)

    /** Returns null if the kernel says EPERM (e.g. inside a user namespace), so the caller can try fusermount3. */
    private static MountedDevice mountDirect(Path mp, MountOptions options) throws IOException {
        int fd;
        try {
            fd = LibC.open(DEV_FUSE.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        } catch (NativeException e) {
            throw new IOException("cannot open " + DEV_FUSE + ": " + e.getMessage() + devFuseHint(e.errno()), e);
        }
        int uid = LibC.getuid();
        String source = options.fsname();
        long flags = mountFlags(options);
        String data = kernelOptions(options, fd, uid, LibC.getgid());
        try {
            try {
                LibC.mount(source, mp.toString(), fsType(options), flags, data);
            } catch (NativeException e) {
                if (e.errno() != LibC.ENODEV || options.subtype().orElse("").isEmpty()) {
                    throw e;
                }
                // Kernels without "fuse.TYPE" support (before 2.6.34) take the subtype as an option instead.
                LibC.mount(source, mp.toString(), "fuse", flags, data + ",subtype=" + options.subtype().get());
            }
        } catch (NativeException e) {
            LibC.closeQuietly(fd);
            if (e.errno() == LibC.EPERM) {
                return null;
            }
            throw new IOException("cannot mount " + mp + ": " + e.getMessage() + mountHint(e.errno(), options), e);
        }
        return new MountedDevice(fd, mp, options, null, new int[0], uid, mountId(mp));
    }

    static String fsType(MountOptions options) {
        return options.subtype().filter(s -> !s.isEmpty()).map(s -> "fuse." + s).orElse("fuse");
    }

    /** The mount(2) flag bits for the generic VFS options. */
    static long mountFlags(MountOptions o) {
        long flags = 0;
        if (o.readOnly()) {
            flags |= LibC.MS_RDONLY;
        }
        if (!o.suid()) {
            flags |= LibC.MS_NOSUID;
        }
        if (!o.dev()) {
            flags |= LibC.MS_NODEV;
        }
        if (!o.exec()) {
            flags |= LibC.MS_NOEXEC;
        }
        flags |= switch (o.atime()) {
            case NOATIME -> LibC.MS_NOATIME;
            case STRICTATIME -> LibC.MS_STRICTATIME;
            case RELATIME -> 0L; // the kernel's default: MS_RELATIME would change nothing
        };
        if (o.noDirAtime()) {
            flags |= LibC.MS_NODIRATIME;
        }
        if (o.lazyTime()) {
            flags |= LibC.MS_LAZYTIME;
        }
        if (o.sync()) {
            flags |= LibC.MS_SYNCHRONOUS;
        }
        if (o.dirSync()) {
            flags |= LibC.MS_DIRSYNC;
        }
        return flags;
    }

    /**
     * The option string for the kernel's FUSE filesystem. {@code rootmode} is the root inode's file type (octal
     * S_IFDIR); {@code user_id}/{@code group_id} name who may use the mount without allow_other. allow_root is
     * passed as allow_other: the kernel has no narrower mode, the session enforces it (see
     * {@link MountedDevice#allowRoot()}).
     */
    static String kernelOptions(MountOptions o, int fd, int uid, int gid) {
        List<String> opts = new ArrayList<>(List.of("fd=" + fd, "rootmode=40000", "user_id=" + uid,
                "group_id=" + gid));
        if (o.defaultPermissions()) {
            opts.add("default_permissions");
        }
        if (o.allowOther() || o.allowRoot()) {
            opts.add("allow_other");
        }
        if (o.maxRead() != 0) {
            opts.add("max_read=" + o.maxRead());
        }
        if (o.blksize() != 0) {
            opts.add("blksize=" + o.blksize());
        }
        opts.addAll(o.customOptions());
        return String.join(",", opts);
    }

    private static String devFuseHint(int errno) {
        return switch (errno) {
            case LibC.ENOENT, LibC.ENODEV, LibC.ENXIO -> ": load the FUSE kernel module with modprobe fuse";
            case LibC.EACCES, LibC.EPERM -> ": check its mode (usually 0666) and any device cgroup or container "
                    + "policy that hides it";
            default -> "";
        };
    }

    private static String mountHint(int errno, MountOptions o) {
        return switch (errno) {
            case LibC.ENODEV -> ": the kernel has no fuse filesystem type; load it with modprobe fuse";
            case LibC.EINVAL -> {
                if (o.blksize() != 0) {
                    yield ": the kernel accepts blksize only for block-device (fuseblk) mounts; remove blksize";
                }
                if (!o.customOptions().isEmpty()) {
                    yield ": the kernel rejected an option, probably one of the custom options "
                            + o.customOptions() + " (dmesg names it)";
                }
                yield ": the kernel rejected the mount options (dmesg names the culprit)";
            }
            case LibC.ENOENT, LibC.ENOTDIR -> ": the mountpoint vanished or changed meanwhile; recreate it";
            default -> "";
        };
    }

    private static int mountId(Path mp) {
        return MountInfo.find(mp).map(MountInfo::mountId).orElse(-1);
    }

    // ---------------------------------------------------------------------------------------------- fusermount3

    private static MountedDevice mountWithFusermount(Path mp, MountOptions options) throws IOException {
        Path fusermount = findFusermount();
        // argv[0] without the directory, so its messages read "fusermount3: ..." as users know them.
        List<String> argv = List.of(FUSERMOUNT, "-o", fusermountOptions(options), "--", mp.toString());
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("_FUSE_COMMFD", Integer.toString(COMMFD));

        int[] socket = LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC);
        int[] stderr = null;
        int devNull = -1;
        int pid;
        try {
            stderr = LibC.pipe(LibC.O_CLOEXEC);
            devNull = LibC.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC);
            // stdin/stdout on /dev/null: an auto_unmount watcher outlives this call and must not hold our stdout
            // (a parent reading it to EOF would wait for the watcher too).
            pid = LibC.posixSpawn(fusermount.toString(), argv, env,
                    new int[] {devNull, devNull, stderr[1], socket[1]}, new int[] {0, 1, 2, COMMFD});
        } catch (NativeException e) {
            LibC.closeQuietly(socket[0]);
            if (stderr != null) {
                LibC.closeQuietly(stderr[0]);
            }
            throw new IOException("cannot start " + fusermount + ": " + e.getMessage(), e);
        } finally {
            // The child has its copies; ours must go, or we would never see EOF on either.
            LibC.closeQuietly(socket[1]);
            if (stderr != null) {
                LibC.closeQuietly(stderr[1]);
            }
            if (devNull >= 0) {
                LibC.closeQuietly(devNull);
            }
        }
        ChildWatcher child = ChildWatcher.start(pid, stderr[0]);

        int fd;
        try {
            fd = LibC.recvFd(socket[0]);
        } catch (NativeException e) {
            LibC.closeQuietly(socket[0]);
            child.awaitExit(FUSERMOUNT_EXIT_WAIT_MILLIS);
            throw new IOException(fusermount + " sent no /dev/fuse fd for " + mp + ": " + e.getMessage()
                    + stderrSuffix(child.stderr()), e);
        }
        if (fd < 0) { // EOF: fusermount3 failed and said why on stderr
            LibC.closeQuietly(socket[0]);
            child.awaitExit(FUSERMOUNT_EXIT_WAIT_MILLIS);
            throw fusermountFailed(fusermount, mp, options, child);
        }
        int uid = LibC.getuid();
        if (options.autoUnmount()) {
            // fusermount3 stays alive until socket[0] closes; the watcher thread reaps it then.
            child.logFurtherOutput();
            List<Integer> watchers = new ArrayList<>();
            watchers.add(renumberAbove(socket[0], fd));
            // fusermount3 checks once whether the mount is dead, and that check can come too early: when this
            // process dies the kernel may release the watcher socket before the last device fd (it promises no
            // order; current kernels release a dead process's files last fd first), and with io_uring the device
            // is released later still, by io_uring's teardown. fusermount3's OPENDIR then races the end of the
            // connection, fails with ECONNABORTED or ECANCELED instead of ENOTCONN, and the dead mount stays.
            // Before 3.15 it also checks as root, whom the kernel keeps out of a mount without allow_other (EACCES,
            // libfuse issue #586). So every auto_unmount mount also gets a watchdog running as us that looks again
            // until the mount is dead or answers; where fusermount3 did unmount, it finds nothing left to do.
            int watchdog = startUnmountWatchdog(fusermount, mp, fd);
            if (watchdog >= 0) {
                watchers.add(watchdog);
            }
            int[] sockets = watchers.stream().mapToInt(Integer::intValue).toArray();
            return new MountedDevice(fd, mp, options, fusermount, sockets, uid, mountId(mp));
        }
        LibC.closeQuietly(socket[0]);
        if (child.awaitExit(FUSERMOUNT_EXIT_WAIT_MILLIS) && LibC.exitCode(child.status()) != 0) {
            // Sent an fd and then failed: not seen in practice, but do not trust a half-done mount.
            MountedDevice device = new MountedDevice(fd, mp, options, fusermount, new int[0], uid, mountId(mp));
            device.close();
            throw fusermountFailed(fusermount, mp, options, child);
        }
        String warnings = child.stderr().strip();
        if (!warnings.isEmpty()) { // e.g. "unsafe option suid ignored"
            LOG.log(System.Logger.Level.WARNING, "{0} mounting {1}: {2}", fusermount, mp, warnings);
        }
        return new MountedDevice(fd, mp, options, fusermount, new int[0], uid, mountId(mp));
    }

    /**
     * Gives a watcher socket an fd number above the device fd, and if the limit allows far above any clone of it,
     * out of the way of the fds the session opens later. Nothing here orders the releases at our death: the kernel
     * closes a dead process's fds in ascending order but may release the files behind them in any order (current
     * kernels: last fd first), which is why the watchdog retries until the connection is dead.
     */
    static int renumberAbove(int socket, int deviceFd) {
        for (int min : new int[] {Math.max(deviceFd + 1, HIGH_FD), deviceFd + 1}) {
            try {
                int moved = LibC.dupCloexec(socket, min);
                LibC.closeQuietly(socket);
                return moved;
            } catch (NativeException e) {
                // EINVAL: min is beyond RLIMIT_NOFILE; try the lower bound
            }
        }
        return socket;
    }

    /**
     * Starts a watchdog that waits for EOF on a socket (our death, or {@link MountedDevice#closeWatcher()}), then
     * unmounts lazily with {@code fusermount3 -u -z} if, and only if, the mount is dead (stat says ENOTCONN), the
     * rule fusermount3 itself follows. It is a shell in its own session (Ctrl-C to our process group must not kill
     * it), running with our credentials.
     *
     * @return our end of its socket, numbered above {@code deviceFd}; -1 if it could not be started (logged)
     */
    static int startUnmountWatchdog(Path fusermount, Path mp, int deviceFd) {
        int[] socket;
        try {
            socket = LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC);
        } catch (NativeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot start the auto_unmount watchdog for " + mp, e);
            return -1;
        }
        int devNull = -1;
        try {
            devNull = LibC.open("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC);
            int pid = LibC.posixSpawn("/bin/sh", List.of("sh", "-c", WATCHDOG_SCRIPT, fusermount.toString(),
                            mp.toString()), Map.of("PATH", "/usr/bin:/bin", "LC_ALL", "C"),
                    new int[] {devNull, devNull, devNull, socket[1]}, new int[] {0, 1, 2, COMMFD}, true);
            ChildWatcher.start(pid, -1); // reaps it
            return renumberAbove(socket[0], deviceFd);
        } catch (NativeException e) {
            LibC.closeQuietly(socket[0]);
            LOG.log(System.Logger.Level.WARNING, "cannot start the auto_unmount watchdog for " + mp, e);
            return -1;
        } finally {
            LibC.closeQuietly(socket[1]);
            if (devNull >= 0) {
                LibC.closeQuietly(devNull);
            }
        }
    }

    /**
     * $0 = fusermount3, $1 = mountpoint, fd 3 = the socket. Nothing is ever sent: the read loop ends at EOF. Then,
     * like fusermount3, it opens the mount's root (an OPENDIR request; a stat could be answered from the attribute
     * cache) and unmounts if that fails with ENOTCONN. A request that raced the end of the connection fails
     * otherwise: ECONNABORTED ("Software caused connection abort") when the abort ended it, ECANCELED ("Operation
     * canceled") when io_uring handed it to a ring whose process had died. Then it looks again, 300 times 0.1 s
     * apart: at least 30 s, time for a loaded machine to finish releasing the dead process's files. A request
     * that raced nothing fails at once with ENOTCONN, so one more look normally suffices.
     */
    private static final String WATCHDOG_SCRIPT = """
            while read -r _ <&3; do :; done
            n=0
            while [ "$n" -lt 300 ]; do
                case $( { : < "$1"; } 2>&1 ) in
                    *'not connected'*) exec "$0" -u -z -q -- "$1" ;;
                    *'connection abort'* | *'canceled'*) sleep 0.1; n=$((n + 1)) ;;
                    *) exit 0 ;;
                esac
            done
            """;

    /**
     * The {@code -o} string for fusermount3, in libfuse's syntax: fusermount3 itself splits off fsname, subtype,
     * the VFS flags and auto_unmount, and adds fd, rootmode, user_id and group_id. allow_root goes as allow_other
     * (see {@link #kernelOptions}).
     */
    static String fusermountOptions(MountOptions o) {
        List<String> opts = new ArrayList<>();
        opts.add("fsname=" + escape(o.fsname()));
        o.subtype().filter(s -> !s.isEmpty()).ifPresent(s -> opts.add("subtype=" + escape(s)));
        if (o.allowOther() || o.allowRoot()) {
            opts.add("allow_other");
        }
        if (o.defaultPermissions()) {
            opts.add("default_permissions");
        }
        opts.add(o.readOnly() ? "ro" : "rw");
        opts.add(o.suid() ? "suid" : "nosuid");
        opts.add(o.dev() ? "dev" : "nodev");
        opts.add(o.exec() ? "exec" : "noexec");
        // relatime is the kernel's default: not passed, as fusermount3 before 3.17 does not know the word. Nor
        // strictatime, nodiratime and lazytime: where it does not know them, it says so (see fusermountHint).
        if (o.atime() != MountOptions.Atime.RELATIME) {
            opts.add(o.atime().option());
        }
        if (o.noDirAtime()) {
            opts.add("nodiratime");
        }
        if (o.lazyTime()) {
            opts.add("lazytime");
        }
        if (o.sync()) {
            opts.add("sync");
        }
        if (o.dirSync()) {
            opts.add("dirsync");
        }
        if (o.autoUnmount()) {
            opts.add("auto_unmount");
        }
        if (o.maxRead() != 0) {
            opts.add("max_read=" + o.maxRead());
        }
        if (o.blksize() != 0) {
            opts.add("blksize=" + o.blksize());
        }
        opts.addAll(o.customOptions());
        return String.join(",", opts);
    }

    /** fusermount3 reads {@code \,} and {@code \\} in option values the way libfuse does. */
    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace(",", "\\,");
    }

    /** The system property naming the fusermount3 to use instead of looking for it. */
    public static final String FUSERMOUNT_PROPERTY = "jfuser.fusermount";

    /**
     * The fusermount3 named by the system property {@value #FUSERMOUNT_PROPERTY}, else the first in PATH, else in
     * the usual system directories.
     */
    static Path findFusermount() throws IOException {
        String forced = System.getProperty(FUSERMOUNT_PROPERTY);
        if (forced != null) {
            Path p = Path.of(forced);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
            throw new IOException(FUSERMOUNT + " not found at " + forced + " (named by -D" + FUSERMOUNT_PROPERTY
                    + "): correct the path, or leave the property unset to search PATH");
        }
        Set<Path> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty()) {
                    dirs.add(Path.of(dir));
                }
            }
        }
        dirs.addAll(FUSERMOUNT_DIRS);
        for (Path dir : dirs) {
            Path candidate = dir.resolve(FUSERMOUNT);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IOException(FUSERMOUNT + " not found (searched PATH and /usr/bin, /bin): apt-get install fuse3");
    }

    private static IOException fusermountFailed(Path fusermount, Path mp, MountOptions options, ChildWatcher child) {
        String stderr = child.stderr().strip();
        String status = child.exited() ? LibC.describeStatus(child.status()) : "still running";
        String hint = fusermountHint(stderr, options, fusermount);
        return new IOException(FUSERMOUNT + " could not mount " + mp + " (" + status + ")"
                + (stderr.isEmpty() ? ", and printed nothing" : ": " + stderr)
                + (hint == null ? "" : "\n  fix: " + hint));
    }

    private static String stderrSuffix(String stderr) {
        return stderr.isBlank() ? "" : "; it printed: " + stderr.strip();
    }

    /** A fix for fusermount3's usual complaints, matched on its (English, stable for years) messages. */
    static String fusermountHint(String stderr, MountOptions options, Path fusermount) {
        if (stderr.contains("/dev/fuse") && stderr.contains("Permission denied")) {
            return "/dev/fuse must be readable and writable by the mounting user: as root, run chmod 0666 /dev/fuse";
        }
        if (stderr.contains("user_allow_other")) {
            return "as root, add the line user_allow_other to /etc/fuse.conf, or mount without "
                    + (options.allowRoot() ? "allow_root" : "allow_other");
        }
        if (stderr.contains("unknown option")) {
            return "fusermount3 passes on only the options it knows: remove the one it names, or mount as root, "
                    + "which needs no fusermount3 and passes custom options to the kernel as they are"
                    + (options.customOptions().isEmpty() ? "" : " (custom options: " + options.customOptions() + ")");
        }
        if (stderr.contains("no write access to mountpoint") || stderr.contains("not owned")) {
            return "the mounting user needs write access to the mountpoint: chown it to that user, or choose a "
                    + "directory the user owns";
        }
        if (stderr.contains("fuse device not found") || stderr.contains("No such device")) {
            return "load the FUSE kernel module: modprobe fuse";
        }
        if (stderr.contains("mount_max")) {
            return "too many FUSE mounts: unmount some, or raise mount_max in /etc/fuse.conf";
        }
        if (stderr.contains("Transport endpoint is not connected")) {
            return "a dead FUSE mount is in the way: fusermount3 -u -z it first";
        }
        if (stderr.contains("Operation not permitted")) {
            return fusermount + " must be setuid root: as root, run chmod u+s " + fusermount
                    + " (or the mount is blocked by a container or security policy)";
        }
        return null;
    }

    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./+:=@%-]+");

    /** The path as a shell word, so a hint like {@code mkdir -p ...} can be pasted. */
    static String shellQuote(Path path) {
        String s = path.toString();
        return SHELL_SAFE.matcher(s).matches() ? s : "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * A platform daemon thread per child: it drains the child's stderr, if given (so a chatty child never blocks on a
     * full pipe, and we can quote it in errors), then reaps the child. For auto_unmount it lives as long as the
     * watcher does.
     */
    static final class ChildWatcher {
        private static final int MAX_KEPT = 64 * 1024;

        private final int pid;
        private final int stderrFd;
        private final StringBuilder stderr = new StringBuilder();
        private final Thread thread;
        private boolean logFurther;
        private boolean exited;
        private int status;

        private ChildWatcher(int pid, int stderrFd) {
            this.pid = pid;
            this.stderrFd = stderrFd;
            this.thread = Thread.ofPlatform().daemon().name("jfuser-mount-helper-" + pid).unstarted(this::run);
        }

        static ChildWatcher start(int pid, int stderrFd) {
            ChildWatcher w = new ChildWatcher(pid, stderrFd);
            w.thread.start();
            return w;
        }

        private void run() {
            if (stderrFd >= 0) {
                drainStderr();
            }
            reap();
        }

        private void drainStderr() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(4096);
                while (true) {
                    long n = LibC.read(stderrFd, buf, buf.byteSize());
                    if (n == -LibC.EINTR) {
                        continue;
                    }
                    if (n <= 0) {
                        break;
                    }
                    append(new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
                }
            } finally {
                LibC.closeQuietly(stderrFd);
            }
        }

        private void reap() {
            try {
                int s = LibC.waitpid(pid, false);
                boolean log;
                synchronized (this) {
                    status = s;
                    exited = true;
                    log = logFurther;
                }
                if (log && LibC.exitCode(s) != 0 && !alreadyUnmounted()) {
                    LOG.log(System.Logger.Level.WARNING, "fusermount3 (pid {0}) watching an auto_unmount mount ended "
                            + "with {1}", pid, LibC.describeStatus(s));
                }
            } catch (NativeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot reap fusermount3 (pid " + pid + ")", e);
            }
        }

        private synchronized void append(String chunk) {
            if (stderr.length() < MAX_KEPT) {
                stderr.append(chunk);
            }
            if (logFurther) {
                // "... not mounted": we unmounted first, as after every clean end; the watcher found nothing to do.
                LOG.log(alreadyUnmounted() ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
                        "fusermount3 (pid {0}): {1}", pid, chunk.strip());
            }
        }

        /** Whether the watcher said it found the mount already gone, the normal end after our own unmount. */
        private synchronized boolean alreadyUnmounted() {
            String out = stderr.toString().strip();
            return !out.isEmpty() && out.lines().allMatch(l -> l.endsWith(" not mounted"));
        }

        /** From now on, log what the child prints instead of only keeping it (it outlives the mount call). */
        synchronized void logFurtherOutput() {
            logFurther = true;
        }

        /** Waits for the child to exit and be reaped; false on timeout. */
        boolean awaitExit(long millis) {
            try {
                thread.join(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return exited();
        }

        synchronized boolean exited() {
            return exited;
        }

        synchronized int status() {
            return status;
        }

        synchronized String stderr() {
            return stderr.toString();
        }
    }
}
