package dev.jfuser.examples.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Capability;
import dev.jfuser.Fuse;
import dev.jfuser.KernelConfig;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.OpenReply;
import dev.jfuser.SessionOptions;
import dev.jfuser.examples.MountSupport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the INIT knobs and flags change, through the real kernel and on the transport under test
 * ({@code -Djfuser.transport}): a {@link ProbeFs} mounted with one setting, then a client showing its effect.
 * {@link InitFlagsAndNotifyCodesTest} lists which test here stands for which flag.
 */
@Tag("mount")
class InitKnobsMountTest {
    private static final Path MAX_PAGES_LIMIT = Path.of(KernelConfig.MAX_PAGES_LIMIT_FILE);

    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;
    private ProbeFs fs;
    private final ByteArrayOutputStream debug = new ByteArrayOutputStream();

    @BeforeEach
    void preconditions() throws IOException {
        MountSupport.assumeRootAndFuse();
        mp = Files.createDirectory(dir.resolve("mnt"));
        fs = new ProbeFs();
    }

    @AfterEach
    void unmount() throws Exception {
        fs.release.countDown();
        if (mount != null) {
            try {
                mount.close();
            } finally {
                assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
            }
        }
    }

    private Mount mount(Consumer<KernelConfig> init, MountOptions options) throws IOException {
        fs.onInit = init;
        mount = Fuse.mount(fs, mp, options, SessionOptions.DEFAULT.withDebug(
                new PrintStream(debug, true, StandardCharsets.UTF_8)));
        return mount;
    }

    /** Mounted with allow_other, for tests whose client is another user. */
    private Mount mountForOthers(Consumer<KernelConfig> init) throws IOException {
        return mount(init, MountOptions.builder().fsname("init-probe").allowOther().build());
    }

    private Mount mount(Consumer<KernelConfig> init) throws IOException {
        return mount(init, MountOptions.builder().fsname("init-probe").build());
    }

    private String debugLog() {
        return debug.toString(StandardCharsets.UTF_8);
    }

    /** Runs a Python snippet (argv[1..] = {@code args}) under a timeout; its trimmed output. */
    private static String python(String code, String... args) throws Exception {
        MountSupport.assumeTool("python3", "python3");
        String[] cmd = new String[5 + args.length];
        cmd[0] = "timeout";
        cmd[1] = "90";
        cmd[2] = "python3";
        cmd[3] = "-c";
        cmd[4] = code;
        System.arraycopy(args, 0, cmd, 5, args.length);
        MountSupport.Result r = MountSupport.run(cmd);
        assertEquals(0, r.exitCode(), r.output());
        return r.output().strip();
    }

    /** stat(2) of {@code path}: "ok", or the errno's name. */
    private static final String STAT = """
            import errno, os, sys
            try:
                os.stat(sys.argv[1]); print("ok")
            except OSError as e:
                print(errno.errorcode[e.errno])
            """;

    // ------------------------------------------------------------------------------------- max_pages

    /** The sysctl's value, read in one read(2): a sysctl answers a read past offset 0 with end of file. */
    private static String readLimit() throws IOException {
        try (java.io.InputStream in = Files.newInputStream(MAX_PAGES_LIMIT)) {
            byte[] b = new byte[32];
            int n = in.read(b);
            return new String(b, 0, Math.max(n, 0), StandardCharsets.US_ASCII).strip();
        }
    }

    @Test
    void aFourMebibyteWriteArrivesAsOneWriteWhenTheMaxPagesLimitAllowsIt() throws Exception {
        String before = readLimit();
        boolean raised = Integer.parseInt(before) < 1024;
        try {
            if (raised) {
                Files.writeString(MAX_PAGES_LIMIT, "1024\n");
            }
            fs.onInit = c -> {
                Assumptions.assumeTrue(c.maxPagesLimit() >= 1024, "another process changed "
                        + MAX_PAGES_LIMIT + " to " + c.maxPagesLimit() + " while this test ran");
                c.maxWrite(4 << 20);
            };
            try {
                mount = Fuse.mount(fs, mp, MountOptions.builder().fsname("init-probe").build(), SessionOptions.DEFAULT);
            } catch (IOException e) {
                if (e.getCause() instanceof org.opentest4j.TestAbortedException skip) {
                    throw skip;
                }
                throw e;
            }
            assertEquals(1024, mount.kernelConfig().maxPages());
            MountSupport.Result r = MountSupport.run("timeout", "60", "dd", "if=/dev/zero",
                    "of=" + mp.resolve("f"), "bs=4M", "count=1", "conv=notrunc");
            assertEquals(0, r.exitCode(), r.output());
        } finally {
            // Put back what was there, unless someone else has written the file since.
            if (raised && readLimit().equals("1024")) {
                Files.writeString(MAX_PAGES_LIMIT, before + "\n");
            }
        }
        List<String> writes = fs.matching("WRITE ");
        assertEquals(List.of("WRITE 2 offset=0 size=4194304 writeFlags=0"), writes.stream()
                .map(w -> w.replaceAll(" writeFlags=\\d+", " writeFlags=0")).toList(), "one WRITE for the 4 MiB");
        assertEquals(4 << 20, fs.contents.get(2L).length);
    }

    @Test
    void withTheDefaultLimitTheSameWriteTakesFourRequests() throws Exception {
        Assumptions.assumeTrue(readLimit().equals("256"),
                "the kernel's max_pages limit is not its default 256 at the moment");
        mount(c -> { });
        assertEquals(256, mount.kernelConfig().maxPages());
        MountSupport.Result r = MountSupport.run("timeout", "60", "dd", "if=/dev/zero", "of=" + mp.resolve("f"),
                "bs=4M", "count=1", "conv=notrunc");
        assertEquals(0, r.exitCode(), r.output());
        List<String> writes = fs.matching("WRITE ");
        assertEquals(4, writes.size(), writes.toString());
        assertTrue(writes.stream().allMatch(w -> w.contains("size=1048576")), writes.toString());
    }

    // ------------------------------------------------------------------------------- request timeout

    @Test
    void aHungRequestMakesTheKernelAbortTheConnectionAfterTheRequestTimeout() throws Exception {
        mount(c -> c.requestTimeoutSeconds(1));
        long start = System.nanoTime();
        String hung = python(STAT, mp.resolve("hang").toString());
        long waited = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        assertEquals("ECONNABORTED", hung, "the caller of the hung request is failed, not left waiting");
        // The kernel checks every 15 s and treats shorter timeouts as 15 s.
        assertTrue(waited >= 14 && waited <= 45, "aborted after " + waited + " s");
        assertTrue(mount.awaitUnmount(Duration.ofSeconds(20)), "the session ends after the abort");
        assertEquals("ENOTCONN", python(STAT, mp.resolve("f").toString()), "later callers");
        assertTrue(mount.isMounted(), "the dead mount stays until unmounted");
        assertTrue(debugLog().contains("the kernel aborted the connection with 1 request(s) unanswered: a request"
                + " waited longer than the request timeout of 1 s"), debugLog());
        System.out.println("request timeout 1 s: the hung stat failed after " + waited + " s");
    }

    // ------------------------------------------------------------------------------------ ABORT_ERROR

    /** Aborts this test's connection through fusectl, as an administrator would. */
    private void abortConnection() throws Exception {
        Path connections = Path.of("/sys/fs/fuse/connections");
        if (!Files.isDirectory(connections) || !Files.list(connections).findAny().isPresent()) {
            MountSupport.run("mount", "-t", "fusectl", "none", connections.toString());
        }
        String minor = python("import os, sys; print(os.minor(os.stat(sys.argv[1]).st_dev))", mp.toString());
        Files.writeString(connections.resolve(minor).resolve("abort"), "1\n");
        assertTrue(mount.awaitUnmount(Duration.ofSeconds(20)), "the session ends after the abort");
    }

    @Test
    void anAbortEndsTheSessionSaysSoAndCloseRemovesTheDeadMount() throws Exception {
        mount(c -> { });
        assertEquals("ok", python(STAT, mp.resolve("f").toString()));
        abortConnection();
        assertEquals("ENOTCONN", python(STAT, mp.resolve("d").toString()));
        assertTrue(mount.isMounted(), "a dead mount is left");
        assertTrue(debugLog().contains("the kernel aborted the connection with 0 request(s) unanswered"),
                debugLog());
        mount.close();
        assertFalse(mount.isMounted(), "close detached the dead mount");
    }

    @Test
    void anUnmountIsNotTakenForAnAbort() throws Exception {
        mount(c -> { });
        assertEquals("ok", python(STAT, mp.resolve("f").toString()));
        mount.close();
        assertFalse(debugLog().contains("aborted"), debugLog());
    }

    // --------------------------------------------------------------- capabilities from implemented methods

    @Test
    void flockAndFcntlLocksReachAFilesystemThatImplementsSetlkAndGetlk() throws Exception {
        mount(c -> { });
        assertTrue(mount.kernelConfig().isEnabled(Capability.POSIX_LOCKS));
        assertTrue(mount.kernelConfig().isEnabled(Capability.FLOCK_LOCKS));
        python("""
                import fcntl, sys
                with open(sys.argv[1], "r+") as f:
                    fcntl.flock(f, fcntl.LOCK_EX)
                    fcntl.flock(f, fcntl.LOCK_UN)
                    fcntl.lockf(f, fcntl.LOCK_EX, 1, 0)
                    fcntl.lockf(f, fcntl.LOCK_UN, 1, 0)
                """, mp.resolve("f").toString());
        assertTrue(fs.count("SETLK 2 flock=true") >= 2, fs.log.toString());
        assertTrue(fs.count("SETLK 2 flock=false") >= 2, fs.log.toString());
    }

    @Test
    void locksDisabledInInitStayWithTheKernel() throws Exception {
        mount(c -> c.disable(Capability.POSIX_LOCKS).disable(Capability.FLOCK_LOCKS));
        python("""
                import fcntl, sys
                with open(sys.argv[1], "r+") as f:
                    fcntl.flock(f, fcntl.LOCK_EX)
                    fcntl.lockf(f, fcntl.LOCK_EX, 1, 0)
                """, mp.resolve("f").toString());
        assertEquals(0, fs.count("SETLK"), fs.log.toString());
    }

    @Test
    void aListingOfAFilesystemWithReaddirplusUsesReaddirplus() throws Exception {
        mount(c -> { });
        assertTrue(mount.kernelConfig().isEnabled(Capability.READDIRPLUS));
        assertTrue(mount.kernelConfig().isEnabled(Capability.READDIRPLUS_AUTO));
        MountSupport.Result r = MountSupport.run("timeout", "20", "ls", "-l", mp.toString());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("link -> f"), r.output());
        assertTrue(fs.count("READDIRPLUS 1") >= 1, fs.log.toString());
        assertEquals(0, fs.count("READDIR 1"), fs.log.toString());
        assertEquals(0, fs.count("LOOKUP f"), "ls -l needed no LOOKUP: the listing brought the entries");
    }

    @Test
    void readdirplusDisabledInInitListsWithReaddir() throws Exception {
        mount(c -> c.disable(Capability.READDIRPLUS));
        MountSupport.Result r = MountSupport.run("timeout", "20", "ls", "-l", mp.toString());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(fs.count("READDIR 1") >= 1, fs.log.toString());
        assertEquals(0, fs.count("READDIRPLUS"), fs.log.toString());
    }

    // ------------------------------------------------------------------------- flags2 capabilities

    private static final String NAME_TO_HANDLE = """
            import ctypes, errno, sys
            libc = ctypes.CDLL(None, use_errno=True)
            class H(ctypes.Structure):
                _fields_ = [("n", ctypes.c_uint), ("t", ctypes.c_int), ("b", ctypes.c_ubyte * 128)]
            h = H(); h.n = 128; mid = ctypes.c_int()
            rc = libc.name_to_handle_at(-100, sys.argv[1].encode(), ctypes.byref(h), ctypes.byref(mid), 0)
            print("ok" if rc == 0 else errno.errorcode[ctypes.get_errno()])
            """;

    @Test
    void withNoExportSupportNoFileHandleIsHandedOut() throws Exception {
        mount(c -> c.enable(Capability.NO_EXPORT_SUPPORT));
        // EOPNOTSUPP, which Python names by its alias ENOTSUP.
        assertTrue(List.of("EOPNOTSUPP", "ENOTSUP").contains(python(NAME_TO_HANDLE, mp.resolve("f").toString())));
    }

    @Test
    void withoutNoExportSupportAFileHandleIsHandedOut() throws Exception {
        mount(c -> { });
        assertEquals("ok", python(NAME_TO_HANDLE, mp.resolve("f").toString()));
    }

    @Test
    void allowIdmapWithoutDefaultPermissionsIsRefusedByTheKernel() throws Exception {
        mount(c -> c.enable(Capability.ALLOW_IDMAP));
        assertEquals("ECONNREFUSED", python(STAT, mp.resolve("f").toString()),
                "the kernel took the INIT reply as an error: idmapping needs default_permissions");
    }

    @Test
    void allowIdmapWithDefaultPermissionsIsAccepted() throws Exception {
        mount(c -> c.enable(Capability.ALLOW_IDMAP),
                MountOptions.builder().fsname("init-probe").defaultPermissions().build());
        assertEquals("ok", python(STAT, mp.resolve("f").toString()));
    }

    // ---------------------------------------------------------------------------- flags1 capabilities

    @Test
    void atomicOTruncSendsTheTruncationWithTheOpen() throws Exception {
        mount(c -> c.enable(Capability.ATOMIC_O_TRUNC));
        python("import sys; open(sys.argv[1], 'w').close()", mp.resolve("f").toString());
        assertTrue(fs.matching("OPEN 2").stream().anyMatch(o -> (Integer.decode(o.substring(o.indexOf("0x")))
                & 0x200) != 0), fs.log.toString());
        assertEquals(0, fs.count("SETATTR"), fs.log.toString());
    }

    @Test
    void withoutAtomicOTruncTheKernelTruncatesWithASetattr() throws Exception {
        mount(c -> c.disable(Capability.ATOMIC_O_TRUNC));
        python("import sys; open(sys.argv[1], 'w').close()", mp.resolve("f").toString());
        assertEquals(1, fs.count("SETATTR 2"), fs.log.toString());
    }

    @Test
    void dontMaskHandsTheUmaskToTheFilesystem() throws Exception {
        mount(c -> c.enable(Capability.DONT_MASK));
        python("import os, sys; os.umask(0o027); os.close(os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o666))",
                mp.resolve("new").toString());
        assertEquals(List.of("CREATE new mode=0100666 umask=027"), creates());
    }

    @Test
    void withoutDontMaskTheKernelAppliesTheUmask() throws Exception {
        mount(c -> c.disable(Capability.DONT_MASK));
        python("import os, sys; os.umask(0o027); os.close(os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o666))",
                mp.resolve("new").toString());
        assertEquals(List.of("CREATE new mode=0100640 umask=027"), creates());
    }

    @Test
    void writebackCacheMarksWritesAsComingFromThePageCache() throws Exception {
        mount(c -> c.enable(Capability.WRITEBACK_CACHE));
        python("import sys\nwith open(sys.argv[1], 'r+') as f:\n    f.write('x')", mp.resolve("f").toString());
        List<String> writes = fs.matching("WRITE 2");
        assertFalse(writes.isEmpty(), fs.log.toString());
        assertTrue(writes.stream().allMatch(w -> (Integer.parseInt(w.substring(w.indexOf("writeFlags=") + 11))
                & 1) != 0), "WRITE_CACHE set: " + writes);
    }

    @Test
    void noOpenSupportStopsOpensAfterTheFirstEnosys() throws Exception {
        fs.noOpen = true;
        mount(c -> c.enable(Capability.NO_OPEN_SUPPORT));
        for (int i = 0; i < 3; i++) {
            assertEquals("probe", python("import sys; print(open(sys.argv[1]).read().strip())",
                    mp.resolve("f").toString()));
        }
        assertEquals(1, fs.count("OPEN 2"), fs.log.toString());
    }

    @Test
    void noOpendirSupportStopsOpendirsAfterTheFirstEnosys() throws Exception {
        fs.noOpendir = true;
        mount(c -> c.enable(Capability.NO_OPENDIR_SUPPORT));
        for (int i = 0; i < 3; i++) {
            python("import os, sys; print(sorted(os.listdir(sys.argv[1])))", mp.resolve("d").toString());
        }
        assertEquals(1, fs.count("OPENDIR 3"), fs.log.toString());
    }

    @Test
    void cacheSymlinksKeepsTheTargetInThePageCache() throws Exception {
        mount(c -> c.enable(Capability.CACHE_SYMLINKS));
        for (int i = 0; i < 5; i++) {
            assertEquals("f", python("import os, sys; print(os.readlink(sys.argv[1]))",
                    mp.resolve("link").toString()));
        }
        assertTrue(fs.count("READLINK") <= 2, "most readlinks were served from the page cache: " + fs.log);
    }

    @Test
    void withoutCacheSymlinksEveryReadlinkReachesTheFilesystem() throws Exception {
        mount(c -> { });
        for (int i = 0; i < 5; i++) {
            python("import os, sys; print(os.readlink(sys.argv[1]))", mp.resolve("link").toString());
        }
        assertEquals(5, fs.count("READLINK"), fs.log.toString());
    }

    private static final String MMAP = """
            import errno, mmap, os, sys
            fd = os.open(sys.argv[1], os.O_RDONLY)
            try:
                m = mmap.mmap(fd, 6, mmap.MAP_SHARED, mmap.PROT_READ); print(m[:5].decode())
            except OSError as e:
                print(errno.errorcode[e.errno])
            """;

    @Test
    void directIoAllowMmapLetsADirectIoFileBeMapped() throws Exception {
        fs.openFlags = OpenReply.DIRECT_IO;
        mount(c -> c.enable(Capability.DIRECT_IO_ALLOW_MMAP));
        assertEquals("probe", python(MMAP, mp.resolve("f").toString()));
    }

    @Test
    void withoutDirectIoAllowMmapADirectIoFileCannotBeMappedShared() throws Exception {
        fs.openFlags = OpenReply.DIRECT_IO;
        mount(c -> { });
        assertEquals("ENODEV", python(MMAP, mp.resolve("f").toString()));
    }

    @Test
    void ioctlDirLetsAnIoctlOnADirectoryReachTheFilesystem() throws Exception {
        mount(c -> c.enable(Capability.IOCTL_DIR));
        python("""
                import fcntl, os, sys
                fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
                try:
                    fcntl.ioctl(fd, 0x5401)
                except OSError:
                    pass
                """, mp.resolve("d").toString());
        assertTrue(fs.count("IOCTL 3") >= 1, fs.log.toString());
    }

    private List<String> creates() {
        return fs.matching("CREATE").stream().map(c -> c.substring(0, c.indexOf(" groups="))).toList();
    }

    // ------------------------------------------------------------------ concurrency the kernel allows

    /** Reads 128 KiB of f (4 MiB long) with {@code dd} and {@code flags}; each READ takes 200 ms. */
    private void slowReads(String... flags) throws Exception {
        fs.contents.put(2L, new byte[4 << 20]);
        fs.readMillis = 200;
        String[] cmd = new String[6 + flags.length];
        System.arraycopy(new String[] {"timeout", "60", "dd", "if=" + mp.resolve("f"), "of=/dev/null", "bs=128K"},
                0, cmd, 0, 6);
        System.arraycopy(flags, 0, cmd, 6, flags.length);
        MountSupport.Result r = MountSupport.run(cmd);
        assertEquals(0, r.exitCode(), r.output());
    }

    @Test
    void asyncReadSendsAReadaheadWindowAsConcurrentReads() throws Exception {
        mount(c -> c.maxWrite(16384));
        assertTrue(mount.kernelConfig().isEnabled(Capability.ASYNC_READ), "on by default");
        slowReads("count=1");
        assertTrue(fs.mostReadsAtOnce.get() >= 2, "READs at once: " + fs.mostReadsAtOnce + " " + fs.log);
    }

    @Test
    void withoutAsyncReadReadaheadReadsOneAtATime() throws Exception {
        mount(c -> c.maxWrite(16384).disable(Capability.ASYNC_READ));
        slowReads("count=1");
        assertEquals(1, fs.mostReadsAtOnce.get(), fs.log.toString());
    }

    @Test
    void asyncDioSendsTheReadsOfOneDirectReadConcurrently() throws Exception {
        mount(c -> c.maxWrite(16384));
        assertTrue(mount.kernelConfig().isEnabled(Capability.ASYNC_DIO), "on by default");
        slowReads("count=1", "iflag=direct");
        assertTrue(fs.mostReadsAtOnce.get() >= 2, "READs at once: " + fs.mostReadsAtOnce + " " + fs.log);
    }

    @Test
    void withoutAsyncDioTheReadsOfOneDirectReadGoOneAtATime() throws Exception {
        mount(c -> c.maxWrite(16384).disable(Capability.ASYNC_DIO));
        slowReads("count=1", "iflag=direct");
        assertEquals(1, fs.mostReadsAtOnce.get(), fs.log.toString());
        assertTrue(fs.count("READ 2") >= 2, fs.log.toString());
    }

    private static final String PARALLEL_STATS = """
            import os, sys, threading
            def look(n):
                try:
                    os.stat(os.path.join(sys.argv[1], n))
                except OSError:
                    pass
            ts = [threading.Thread(target=look, args=("p%d" % i,)) for i in range(4)]
            [t.start() for t in ts]; [t.join() for t in ts]
            """;

    @Test
    void parallelDiropsLetsLookupsInOneDirectoryRunTogether() throws Exception {
        mount(c -> { });
        assertTrue(mount.kernelConfig().isEnabled(Capability.PARALLEL_DIROPS), "on by default");
        python(PARALLEL_STATS, mp.toString());
        assertTrue(fs.mostLookupsAtOnce.get() >= 2, "LOOKUPs at once: " + fs.mostLookupsAtOnce);
    }

    @Test
    void withoutParallelDiropsLookupsInOneDirectoryAreSerialized() throws Exception {
        mount(c -> c.disable(Capability.PARALLEL_DIROPS));
        python(PARALLEL_STATS, mp.toString());
        assertEquals(1, fs.mostLookupsAtOnce.get(), fs.log.toString());
    }

    // ----------------------------------------------------------------- set-uid and supplementary groups

    /** The interpreter itself, not a shim in root's home that nobody may not enter. */
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3"
            : "python3";

    /** Lets nobody reach the mountpoint inside this test's directory. */
    private void openToNobody() throws IOException {
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Writes to f as nobody (not privileged: the kernel then clears set-uid on a write). */
    private void writeAsNobody() throws Exception {
        MountSupport.assumeTool("setpriv", "util-linux");
        openToNobody();
        MountSupport.Result r = MountSupport.run("timeout", "30", "setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", PYTHON, "-c", "import sys\nwith open(sys.argv[1], 'r+') as f:\n    f.write('x')",
                mp.resolve("f").toString());
        assertEquals(0, r.exitCode(), r.output());
    }

    @Test
    void withoutHandleKillprivTheKernelClearsSetUidWithASetattr() throws Exception {
        fs.fileMode = 04777;
        mountForOthers(c -> { });
        writeAsNobody();
        assertTrue(fs.matching("SETATTR 2").stream().anyMatch(a -> a.contains("mode")), fs.log.toString());
        assertEquals(0777, fs.fileMode);
    }

    @Test
    void handleKillprivLeavesClearingSetUidToTheFilesystem() throws Exception {
        fs.fileMode = 04777;
        mountForOthers(c -> c.enable(Capability.HANDLE_KILLPRIV));
        writeAsNobody();
        assertFalse(fs.matching("SETATTR").stream().anyMatch(a -> a.contains("mode")), fs.log.toString());
        assertEquals(04777, fs.fileMode, "the kernel left it alone");
    }

    @Test
    void handleKillprivV2FlagsTheWriteThatMustClearSetUid() throws Exception {
        fs.fileMode = 04777;
        mountForOthers(c -> c.enable(Capability.HANDLE_KILLPRIV_V2));
        writeAsNobody();
        assertFalse(fs.matching("SETATTR").stream().anyMatch(a -> a.contains("mode")), fs.log.toString());
        assertTrue(fs.matching("WRITE 2").stream().anyMatch(w -> (Integer.parseInt(
                w.substring(w.indexOf("writeFlags=") + 11)) & 4) != 0), "WRITE_KILL_SUIDGID: " + fs.log);
    }

    /** Creates d/x as nobody with the supplementary group 4321, d's group. */
    private void createAsNobodyInGroup() throws Exception {
        MountSupport.assumeTool("setpriv", "util-linux");
        fs.dirGid = 4321;
        openToNobody();
        MountSupport.Result r = MountSupport.run("timeout", "30", "setpriv", "--reuid=65534", "--regid=65534",
                "--groups=4321", PYTHON, "-c", "import os, sys; os.close(os.open(sys.argv[1], os.O_CREAT, 0o644))",
                mp.resolve("d").resolve("x").toString());
        assertEquals(0, r.exitCode(), r.output());
    }

    @Test
    void createSuppGroupSendsTheGroupThatMatchesTheDirectory() throws Exception {
        mountForOthers(c -> c.enable(Capability.CREATE_SUPP_GROUP));
        createAsNobodyInGroup();
        assertEquals(1, fs.count("CREATE x"), fs.log.toString());
        assertTrue(fs.matching("CREATE x").getFirst().endsWith("groups=[4321]"), fs.log.toString());
    }

    @Test
    void withoutCreateSuppGroupNoGroupsComeWithACreate() throws Exception {
        mountForOthers(c -> { });
        createAsNobodyInGroup();
        assertTrue(fs.matching("CREATE x").getFirst().endsWith("groups=[]"), fs.log.toString());
    }

    /** Changes f's content (same size) and mtime; a stat then shows the kernel the new mtime. */
    private String readAfterAnMtimeChange() throws Exception {
        fs.attrTimeout = Duration.ZERO;
        fs.openFlags = OpenReply.KEEP_CACHE;
        String read = "import sys; print(open(sys.argv[1]).read().strip())";
        assertEquals("probe", python(read, mp.resolve("f").toString()));
        fs.contents.put(2L, "PROBE\n".getBytes(StandardCharsets.UTF_8));
        fs.mtime = ProbeFs.MTIME.plusSeconds(60);
        python(STAT, mp.resolve("f").toString());
        return python(read, mp.resolve("f").toString());
    }

    @Test
    void autoInvalDataDropsCachedPagesWhenTheMtimeChanges() throws Exception {
        mount(c -> { });
        assertTrue(mount.kernelConfig().isEnabled(Capability.AUTO_INVAL_DATA), "on by default");
        assertEquals("PROBE", readAfterAnMtimeChange());
    }

    @Test
    void explicitInvalDataKeepsCachedPagesWhenTheMtimeChanges() throws Exception {
        mount(c -> c.enable(Capability.EXPLICIT_INVAL_DATA));
        assertEquals("probe", readAfterAnMtimeChange());
    }
}
