package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Capability;
import dev.jfuser.DirectoryListing;
import dev.jfuser.FileLock;
import dev.jfuser.Filesystem;
import dev.jfuser.KernelConfig;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The INIT reply's knobs on a scripted kernel: capabilities turned on by implemented methods, required
 * capabilities, {@code max_pages} from {@code max_write}, and the request timeout.
 */
class InitKnobsTest extends SessionFixture {
    private static final long OFFERED = Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT
            | Abi.POSIX_LOCKS | Abi.FLOCK_LOCKS | Abi.DO_READDIRPLUS | Abi.READDIRPLUS_AUTO | Abi.ABORT_ERROR
            | Abi.HAS_EXPIRE_ONLY | Abi.HAS_RESEND | Abi.REQUEST_TIMEOUT;

    /** Overrides nothing but init. */
    static class Plain implements Filesystem {
        Consumer<KernelConfig> onInit = c -> { };

        @Override
        public void init(KernelConfig config) {
            onInit.accept(config);
        }
    }

    static class WithReaddirplus extends Plain {
        @Override
        public void readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
        }
    }

    static class WithSetlk extends Plain {
        @Override
        public void setlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock, boolean sleep,
                          boolean flock) {
        }
    }

    static class WithLocks extends WithSetlk {
        @Override
        public FileLock getlk(Request req, long nodeId, long fh, long lockOwner, FileLock lock) {
            return FileLock.unlocked();
        }
    }

    @TempDir
    Path dir;
    /** What the session reads as the kernel's max_pages limit; absent: the kernel's fixed 256. */
    Path limitFile;

    @BeforeEach
    void noLimitFile() {
        limitFile = dir.resolve("max_pages_limit");
    }

    private FakeKernel.Reply start(Filesystem fs, long offered) throws IOException, InterruptedException {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, offered)));
        session = new Session(kernel, new BlockingAdapter(fs), SessionOptions.DEFAULT.withReaderThreads(1), -1);
        session.maxPagesLimitFile = limitFile;
        session.start();
        return kernel.await(1);
    }

    private static long flags(FakeKernel.Reply init) {
        return (init.body().getInt(12) & 0xffffffffL) | ((long) init.body().getInt(32) << 32);
    }

    private IOException refused(Filesystem fs, long offered) throws InterruptedException {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, offered)));
        Session s = new Session(kernel, new BlockingAdapter(fs), SessionOptions.DEFAULT.withReaderThreads(1), -1);
        s.maxPagesLimitFile = limitFile;
        IOException e = assertThrows(IOException.class, s::start);
        assertEquals(-71, kernel.await(1).error(), "INIT answered EPROTO");
        return e;
    }

    @Test
    void nothingImplementedAsksForNeitherReaddirplusNorLocks() throws Exception {
        long f = flags(start(new Plain(), OFFERED));
        assertEquals(0, f & (Abi.DO_READDIRPLUS | Abi.READDIRPLUS_AUTO | Abi.POSIX_LOCKS | Abi.FLOCK_LOCKS),
                Long.toHexString(f));
    }

    @Test
    void anOverriddenReaddirplusTurnsReaddirplusAndItsAutoModeOn() throws Exception {
        long f = flags(start(new WithReaddirplus(), OFFERED));
        assertEquals(Abi.DO_READDIRPLUS | Abi.READDIRPLUS_AUTO, f & (Abi.DO_READDIRPLUS | Abi.READDIRPLUS_AUTO));
        assertEquals(0, f & (Abi.POSIX_LOCKS | Abi.FLOCK_LOCKS));
    }

    @Test
    void overriddenGetlkAndSetlkTurnBothLockKindsOn() throws Exception {
        long f = flags(start(new WithLocks(), OFFERED));
        assertEquals(Abi.POSIX_LOCKS | Abi.FLOCK_LOCKS, f & (Abi.POSIX_LOCKS | Abi.FLOCK_LOCKS));
    }

    @Test
    void setlkAloneTurnsOnlyFlockLocksOn() throws Exception {
        long f = flags(start(new WithSetlk(), OFFERED));
        assertEquals(Abi.FLOCK_LOCKS, f & (Abi.POSIX_LOCKS | Abi.FLOCK_LOCKS));
    }

    @Test
    void initSeesTheAutomaticCapabilitiesAndMayDisableThem() throws Exception {
        WithLocks fs = new WithLocks();
        boolean[] seen = new boolean[2];
        fs.onInit = c -> {
            seen[0] = c.isEnabled(Capability.POSIX_LOCKS);
            seen[1] = c.isEnabled(Capability.FLOCK_LOCKS);
            c.disable(Capability.POSIX_LOCKS);
        };
        long f = flags(start(fs, OFFERED));
        assertTrue(seen[0] && seen[1], "init sees them on");
        assertEquals(Abi.FLOCK_LOCKS, f & (Abi.POSIX_LOCKS | Abi.FLOCK_LOCKS));
    }

    @Test
    void automaticCapabilitiesTheKernelLacksAreLeftOffQuietly() throws Exception {
        long f = flags(start(new WithLocks(), Abi.ASYNC_READ | Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT));
        assertEquals(0, f & (Abi.POSIX_LOCKS | Abi.FLOCK_LOCKS));
    }

    @Test
    void aRequiredCapabilityTheKernelLacksFailsTheMountNamingTheFlag() throws Exception {
        Plain fs = new Plain();
        fs.onInit = c -> c.enable(Capability.HAS_RESEND);
        IOException e = refused(fs, OFFERED & ~Abi.HAS_RESEND);
        assertTrue(e.getMessage().contains("FUSE_HAS_RESEND") && e.getMessage().contains("7.45"), e.getMessage());
    }

    @Test
    void requiredCapabilitiesTheKernelOffersAreSent() throws Exception {
        Plain fs = new Plain();
        fs.onInit = c -> c.enable(Capability.HAS_RESEND).enable(Capability.HAS_EXPIRE_ONLY);
        long f = flags(start(fs, OFFERED));
        assertEquals(Abi.HAS_RESEND | Abi.HAS_EXPIRE_ONLY, f & (Abi.HAS_RESEND | Abi.HAS_EXPIRE_ONLY));
    }

    @Test
    void abortErrorIsAlwaysAskedForSoAnAbortIsToldFromAnUnmount() throws Exception {
        assertTrue((flags(start(new Plain(), OFFERED)) & Abi.ABORT_ERROR) != 0);
    }

    @Test
    void everyCapabilityNamesItsKernelFlag() {
        for (Capability c : Capability.values()) {
            assertTrue(c.kernelName().startsWith("FUSE_"), c.toString());
        }
        assertEquals("FUSE_DO_READDIRPLUS", Capability.READDIRPLUS.kernelName());
        assertEquals("FUSE_HAS_IOCTL_DIR", Capability.IOCTL_DIR.kernelName());
    }

    @Test
    void aRaisedLimitLetsMaxWriteAndMaxPagesGrowAndTheReadBuffersWithThem() throws Exception {
        Files.writeString(limitFile, "1024\n");
        Plain fs = new Plain();
        int[] limit = new int[1];
        fs.onInit = c -> {
            limit[0] = c.maxPagesLimit();
            c.maxWrite(4 << 20);
        };
        FakeKernel.Reply init = start(fs, OFFERED);
        assertEquals(1024, limit[0]);
        assertEquals(4 << 20, init.body().getInt(20), "max_write");
        assertEquals(1024, init.body().getShort(28) & 0xffff, "max_pages");
        kernel.call(Opcode.GETATTR.code(), 1, new byte[16]);
        assertTrue(kernel.lastReadSize() >= (4 << 20) + 80, "a read buffer holds a 4 MiB WRITE and its headers: "
                + kernel.lastReadSize());
    }

    @Test
    void withoutTheSysctlTheLimitIsTheKernels256Pages() throws Exception {
        Plain fs = new Plain();
        int[] limit = new int[1];
        fs.onInit = c -> limit[0] = c.maxPagesLimit();
        FakeKernel.Reply init = start(fs, OFFERED);
        assertEquals(256, limit[0]);
        assertEquals(1 << 20, init.body().getInt(20));
        assertEquals(256, init.body().getShort(28));
    }

    @Test
    void aMaxWriteAboveTheLimitFailsTheMountNamingTheSysctlAndTheFix() throws Exception {
        Files.writeString(limitFile, "256\n");
        Plain fs = new Plain();
        fs.onInit = c -> c.maxWrite(4 << 20);
        IOException e = refused(fs, OFFERED);
        assertTrue(e.getMessage().contains("/proc/sys/fs/fuse/max_pages_limit")
                && e.getMessage().contains("fs.fuse.max_pages_limit=1024")
                && e.getMessage().contains("at most 1048576"), e.getMessage());
    }

    @Test
    void aLoweredLimitLowersTheDefaultMaxWrite() {
        KernelConfig c = new KernelConfig(45, OFFERED, 131072, null, null, 2);
        assertEquals(8192, c.maxWrite());
        assertEquals(2, c.maxPages());
        assertThrows(IllegalArgumentException.class, () -> c.maxWrite(8193));
    }

    @Test
    void aSmallMaxWriteSendsFewerPages() throws Exception {
        Plain fs = new Plain();
        fs.onInit = c -> c.maxWrite(100_000);
        FakeKernel.Reply init = start(fs, OFFERED);
        assertEquals(100_000, init.body().getInt(20));
        assertEquals(25, init.body().getShort(28), "100000 bytes take 25 pages");
    }

    @Test
    void theRequestTimeoutIsSentWithItsFlag() throws Exception {
        Plain fs = new Plain();
        fs.onInit = c -> c.requestTimeoutSeconds(20);
        FakeKernel.Reply init = start(fs, OFFERED);
        assertTrue((flags(init) & Abi.REQUEST_TIMEOUT) != 0);
        assertEquals(20, init.body().getShort(40), "request_timeout");
    }

    @Test
    void noRequestTimeoutByDefault() throws Exception {
        FakeKernel.Reply init = start(new Plain(), OFFERED);
        assertEquals(0, flags(init) & Abi.REQUEST_TIMEOUT);
        assertEquals(0, init.body().getShort(40));
    }

    @Test
    void aRequestTimeoutOnAKernelWithoutOneFailsTheMount() throws Exception {
        Plain fs = new Plain();
        fs.onInit = c -> c.requestTimeoutSeconds(20);
        IOException e = refused(fs, OFFERED & ~Abi.REQUEST_TIMEOUT);
        assertTrue(e.getMessage().contains("FUSE_REQUEST_TIMEOUT"), e.getMessage());
    }

    @Test
    void requestTimeoutsOutOfRangeAreRefused() {
        KernelConfig c = new KernelConfig(45, OFFERED, 131072);
        assertThrows(IllegalArgumentException.class, () -> c.requestTimeoutSeconds(-1));
        assertThrows(IllegalArgumentException.class, () -> c.requestTimeoutSeconds(65536));
        assertEquals(0, c.requestTimeoutSeconds(0).requestTimeoutSeconds());
    }
}
