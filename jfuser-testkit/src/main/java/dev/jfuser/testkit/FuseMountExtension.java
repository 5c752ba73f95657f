package dev.jfuser.testkit;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.Filesystem;
import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

/**
 * Mounts a filesystem on a temporary directory for a test class, and unmounts it afterwards. When the machine
 * cannot mount (no /dev/fuse, no privilege and no usable fusermount3) the class is skipped with the reason: JUnit
 * reports it as disabled ("cannot mount FUSE here: ..."), which Surefire, Gradle and IDEs list as a skipped test,
 * and none of its tests or {@code @BeforeAll} methods run.
 *
 * <pre>{@code
 * class MyFsMountTest {
 *     @RegisterExtension
 *     static final FuseMountExtension MOUNT = FuseMountExtension.of(MyFs::new);
 *
 *     @Test
 *     void catWorks() throws Exception {
 *         assertEquals("hi", Files.readString(MOUNT.root().resolve("greeting")));
 *     }
 * }
 * }</pre>
 *
 * <p>After the class, the extension fails the run if the mount could not be unmounted (a test left a file open)
 * — it then detaches it lazily so nothing is left behind.
 */
public final class FuseMountExtension implements ExecutionCondition, BeforeAllCallback, AfterAllCallback {
    private final Supplier<?> factory;
    private MountOptions options = MountOptions.defaults();
    private SessionOptions session = SessionOptions.DEFAULT;
    private Supplier<String> mountCheck = FuseMountExtension::whyCannotMount;
    private Path dir;
    private Path root;
    private Mount mount;

    private FuseMountExtension(Supplier<?> factory) {
        this.factory = Objects.requireNonNull(factory, "factory");
    }

    /**
     * Mounts a fresh blocking filesystem from {@code factory} for each test class.
     *
     * @param factory makes a filesystem for each test class
     * @return the extension (register it on a static field)
     */
    public static FuseMountExtension of(Supplier<? extends Filesystem> factory) {
        return new FuseMountExtension(factory);
    }

    /**
     * Mounts a fresh asynchronous filesystem from {@code factory} for each test class.
     *
     * @param factory makes a filesystem for each test class
     * @return the extension (register it on a static field)
     */
    public static FuseMountExtension ofAsync(Supplier<? extends AsyncFilesystem> factory) {
        return new FuseMountExtension(factory);
    }

    /**
     * Mount options to use (default: {@link MountOptions#defaults()}).
     *
     * @param options the session options
     * @return this extension
     */
    public FuseMountExtension withOptions(MountOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        return this;
    }

    /**
     * Session options to use.
     *
     * @param session the session options
     * @return this extension
     */
    public FuseMountExtension withSessionOptions(SessionOptions session) {
        this.session = Objects.requireNonNull(session, "session");
        return this;
    }

    /**
     * Replaces {@link #whyCannotMount()} (for the kit's own tests of the skipping).
     *
     * @param check the check
     * @return this extension
     */
    FuseMountExtension withMountCheck(Supplier<String> check) {
        this.mountCheck = Objects.requireNonNull(check, "check");
        return this;
    }

    /**
     * The mounted directory.
     *
     * @return the mounted directory
     */
    public Path root() {
        if (root == null) {
            throw new IllegalStateException("not mounted: use the extension with @RegisterExtension on a static field");
        }
        return root;
    }

    /**
     * The mount handle.
     *
     * @return the mount handle
     */
    public Mount mount() {
        root();
        return mount;
    }

    /**
     * Why this machine cannot mount, or null if it can: /dev/fuse must exist, and the process must be privileged
     * (CAP_SYS_ADMIN) or have fusermount3 and read-write access to /dev/fuse.
     *
     * @return the reason, or null
     */
    public static String whyCannotMount() {
        Path dev = Path.of("/dev/fuse");
        if (!Files.exists(dev)) {
            return "no /dev/fuse on this machine (modprobe fuse, or run the container with --device /dev/fuse)";
        }
        if (privileged()) {
            return null;
        }
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            return "/dev/fuse is not readable and writable by this user (as root: chmod 0666 /dev/fuse)";
        }
        // As the library looks for it: the system property jfuser.fusermount, else PATH and the system directories.
        String forced = System.getProperty("jfuser.fusermount");
        boolean fusermount = forced != null ? Files.isExecutable(Path.of(forced))
                : Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(":")),
                                Stream.of("/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"))
                        .filter(p -> !p.isEmpty()).map(p -> Path.of(p, "fusermount3")).anyMatch(Files::isExecutable);
        if (!fusermount) {
            return "not privileged and fusermount3 not found" + (forced != null ? " at " + forced
                    + " (-Djfuser.fusermount)" : " (apt-get install fuse3)");
        }
        return null;
    }

    private static boolean privileged() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    return (caps & (1L << 21)) != 0; // CAP_SYS_ADMIN
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: assume not privileged
        }
        return false;
    }

    /** Disables the class, with the reason, where this machine cannot mount. */
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        String why = mountCheck.get();
        if (why != null) {
            System.err.println("FuseMountExtension: skipping " + context.getDisplayName() + ": " + why);
            return ConditionEvaluationResult.disabled("cannot mount FUSE here: " + why);
        }
        return ConditionEvaluationResult.enabled("this machine can mount FUSE");
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        String why = mountCheck.get();
        if (why != null) {
            // Reached only where conditions are deactivated (junit.jupiter.conditions.deactivate).
            throw new TestAbortedException("cannot mount FUSE here: " + why);
        }
        dir = Files.createTempDirectory("jfuser-test-mount");
        root = Files.createDirectory(dir.resolve("mnt"));
        Object fs = factory.get();
        mount = fs instanceof AsyncFilesystem async ? Fuse.mount(async, root, options, session)
                : Fuse.mount((Filesystem) fs, root, options, session);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (mount == null) {
            return;
        }
        try {
            mount.close();
        } catch (IOException busy) {
            mount.unmount(true);
            mount.awaitUnmount(Duration.ofSeconds(10));
            throw new AssertionError("could not unmount " + root + " after the tests (detached it lazily): "
                    + busy.getMessage(), busy);
        } finally {
            Files.deleteIfExists(root);
            Files.deleteIfExists(dir);
            mount = null;
            root = null;
        }
    }
}
