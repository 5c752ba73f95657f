package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jfuser.examples.contract.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * memfs next to tmpfs (mounted {@code relatime}, the default of Linux mounts) on the corners of POSIX a broad
 * conformance suite reaches: extreme timestamps, exec without read permission, O_NOATIME and the atime policy,
 * RENAME_WHITEOUT, POSIX ACLs and inode flags. Each test runs the same program in a fresh directory on both and
 * compares what they print.
 */
@Tag("mount")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemFsSemanticsMountTest {
    private MemFsMount mounted;
    private TmpfsOracle oracle;
    private Path tmpfs;
    private Path onMemfs;
    private Path onTmpfs;

    @BeforeAll
    void mountBoth() throws Exception {
        mounted = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(64L << 20)), "");
        oracle = TmpfsOracle.mount("semantics", "relatime");
        tmpfs = oracle.root;
    }

    @AfterAll
    void unmountBoth() throws Exception {
        TmpfsOracle.closeBoth(oracle, mounted);
    }

    @BeforeEach
    void fresh(TestInfo info) throws Exception {
        Path[] dirs = oracle.freshDirs(mounted.mountpoint, info.getTestMethod().orElseThrow().getName());
        onMemfs = dirs[0];
        onTmpfs = dirs[1];
    }

    @AfterEach
    void clean() throws Exception {
        Shell.run(null, "rm", "-rf", onMemfs.toString(), onTmpfs.toString());
    }

    /** Runs {@code code} (Python, after the shell's prelude) as root in the test's directory on memfs. */
    private String memfs(String code) throws Exception {
        return Shell.python(onMemfs, code).ok().out();
    }

    /** Runs {@code code} on both and checks they print the same; returns that output. */
    private String same(String code) throws Exception {
        String m = memfs(code);
        String t = Shell.python(onTmpfs, code).ok().out();
        assertEquals(t, m, "memfs printed something else than tmpfs");
        return m;
    }

    // ------------------------------------------------------------------------------------------- timestamps

    private static final String UTIME = """
            open('f', 'w').close()
            for s in %s:
                try:
                    os.utime('f', ns=(s * 10**9 + 5, s * 10**9 + 7))
                    st = os.stat('f')
                    print(s, divmod(st.st_atime_ns, 10**9), divmod(st.st_mtime_ns, 10**9))
                except OSError as e:
                    print(s, errno.errorcode[e.errno])
            """;

    @Test
    void timestampsWithinInstantsRangeRoundTripLikeTmpfs() throws Exception {
        same(UTIME.formatted("[0, 1, -1, 2**31, 2**33, -2**33, 2**40, -2**40, 31556889864403199, "
                + "-31557014167219200]"));
    }

    @Test
    void timestampsBeyondInstantsRangeClampInsteadOfFailing() throws Exception {
        String out = memfs(UTIME.formatted("[2**63 - 1, -2**63, 31556889864403200, -31557014167219201]"));
        assertEquals("""
                9223372036854775807 (31556889864403199, 0) (31556889864403199, 0)
                -9223372036854775808 (-31557014167219200, 0) (-31557014167219200, 0)
                31556889864403200 (31556889864403199, 0) (31556889864403199, 0)
                -31557014167219201 (-31557014167219200, 0) (-31557014167219200, 0)""", out);
    }

    // ------------------------------------------------------------------------------------------ permissions

    @Test
    void anotherUserRunsAProgramHeMayExecuteButNotRead() throws Exception {
        String setup = """
                import shutil
                shutil.copyfile('/bin/true', 'prog')
                os.chmod('prog', 0o711)
                """;
        for (Path dir : new Path[] {onMemfs, onTmpfs}) {
            Shell.python(dir, setup).ok();
            Shell.Result run = Shell.asNobody(dir, java.util.List.of(), dir.resolve("prog").toString());
            assertEquals(0, run.exitCode(), dir + ": " + run.output());
            // reading is still refused
            Shell.Result cat = Shell.asNobody(dir, java.util.List.of(), "cat", dir.resolve("prog").toString());
            assertEquals(1, cat.exitCode(), dir + ": " + cat.output());
        }
    }

    // ------------------------------------------------------------------------------------------- listings

    /**
     * A lister and a renamer process on one directory of 1000 files that stay and 1000 that are renamed over and
     * over: each listing must end, return no inode twice, return every file that stays, and at most the 2000.
     */
    private static final String LIST_WHILE_RENAMING = """
            import multiprocessing
            N = 1000
            for i in range(N):
                open('keep%05d' % i, 'w').close()
                open('ren%05d' % i, 'w').close()
            def renamer(started, stop):
                k = 0
                names = ['ren%05d' % i for i in range(N)]
                while not stop.is_set():
                    i = k % N
                    new = 'ren%05d.%d' % (i, k)
                    os.rename(names[i], new)
                    names[i] = new
                    k += 1
                    if k == 100:
                        started.set()
            started, stop = multiprocessing.Event(), multiprocessing.Event()
            p = multiprocessing.Process(target=renamer, args=(started, stop))
            p.start()
            started.wait(30)
            try:
                for round in range(8):
                    inodes, names, count = set(), set(), 0
                    dups = 0
                    with os.scandir('.') as it:
                        for e in it:
                            count += 1
                            if count > 10 * N:
                                break
                            dups += e.inode() in inodes or e.name in names
                            inodes.add(e.inode())
                            names.add(e.name)
                    keeps = sum(1 for n in names if n.startswith('keep'))
                    print('ended' if count <= 2 * N else 'too long (%d entries)' % count, 'dups', dups, 'keeps', keeps)
            finally:
                stop.set()
                p.join()
            """;

    @Test
    void aListingEndsAndReturnsEachEntryOnceWhileEntriesAreRenamed() throws Exception {
        String out = same(LIST_WHILE_RENAMING);
        assertEquals("ended dups 0 keeps 1000\n".repeat(8).strip(), out);
    }

    // ------------------------------------------------------------------------------------------------ atime

    @Test
    void oNoatimeAndRelatimeLikeTmpfs() throws Exception {
        String out = same("""
                def cat(p, flags=0):
                    fd = os.open(p, os.O_RDONLY | flags)
                    os.read(fd, 100)
                    os.close(fd)
                def at(p):
                    return os.stat(p).st_atime_ns
                with open('f', 'wb') as f:
                    f.write(b'data')
                os.utime('f', (100, 200))  # atime before mtime: relatime moves it on a read
                cat('f', os.O_NOATIME)
                print('read with O_NOATIME leaves atime', at('f') == 100 * 10**9)
                t = time.time()
                os.utime('f', (t + 1000, t - 1000))  # after mtime and ctime, and recent: relatime leaves it
                a = at('f')
                cat('f')
                print('relatime leaves a recent atime after mtime and ctime', at('f') == a)
                os.utime('f', (100, 200))
                cat('f')
                print('relatime moves an atime before mtime', at('f') != 100 * 10**9)
                os.mkdir('d')
                os.utime('d', (100, 200))
                fd = os.open('d', os.O_RDONLY | os.O_DIRECTORY | os.O_NOATIME)
                os.listdir(fd)
                os.close(fd)
                print('listing with O_NOATIME leaves atime', at('d') == 100 * 10**9)
                os.listdir('d')
                print('relatime listing moves it', at('d') != 100 * 10**9)
                """);
        assertEquals(5, out.lines().filter(l -> l.endsWith(" True")).count(), out);
    }

    // ---------------------------------------------------------------------------------------------- whiteout

    @Test
    void renameWhiteoutLeavesACharacterDevice00LikeTmpfs() throws Exception {
        same("""
                def show(p):
                    s = os.lstat(p)
                    return '%s mode=%o rdev=%d,%d nlink=%d' % (p, s.st_mode, os.major(s.st_rdev), os.minor(s.st_rdev),
                                                              s.st_nlink)
                with open('a', 'w') as f:
                    f.write('payload')
                open('victim', 'w').close()
                os.mkdir('dir')
                print('whiteout', err(lambda: renameat2('a', 'b', 4)))
                print(show('a'), open('b').read())
                print('over a victim', err(lambda: renameat2('b', 'victim', 4)), show('b'), open('victim').read())
                print('noreplace', err(lambda: renameat2('victim', 'a', 5)), show('victim'))
                print('with exchange', err(lambda: renameat2('victim', 'dir', 6)))
                print('a directory', err(lambda: renameat2('dir', 'moved', 4)), show('dir'), show('moved'))
                print(sorted(os.listdir('.')))
                """);
    }

    @Test
    void memfsServesAsTheUpperLayerOfAnOverlay() throws Exception {
        Path lower = Files.createDirectory(onTmpfs.resolve("lower"));
        Files.writeString(lower.resolve("gone"), "lower file");
        Files.writeString(lower.resolve("kept"), "lower file");
        Path upper = Files.createDirectory(onMemfs.resolve("upper"));
        Path work = Files.createDirectory(onMemfs.resolve("work"));
        Path merged = Files.createDirectory(onTmpfs.resolve("merged"));
        Shell.run(null, "mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + upper
                + ",workdir=" + work, merged.toString()).ok();
        try {
            Files.delete(merged.resolve("gone"));
            Files.writeString(merged.resolve("kept"), "changed");
            assertEquals("[kept]", Shell.run(merged, "ls").out().lines().toList().toString());
            String up = Shell.python(upper, """
                    for n in sorted(os.listdir('.')):
                        s = os.lstat(n)
                        print(n, oct(stat.S_IFMT(s.st_mode)), os.major(s.st_rdev), os.minor(s.st_rdev))
                    """).ok().out();
            assertEquals("gone 0o20000 0 0\nkept 0o100000 0 0", up, "a whiteout for the deleted lower file");
        } finally {
            if (Shell.run(null, "umount", merged.toString()).exitCode() != 0) {
                Shell.run(null, "umount", "-l", merged.toString());
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- ACLs

    /** Runs a shell script in the test's directory on memfs and on tmpfs; checks they print the same. */
    private String sameShell(String script) throws Exception {
        String m = Shell.run(onMemfs, "sh", "-c", script).out();
        String t = Shell.run(onTmpfs, "sh", "-c", script).out();
        assertEquals(t, m, "memfs printed something else than tmpfs");
        return m;
    }

    @Test
    void anUnlinkedClosedFileKeepsItsDataWhileTheKernelStillHoldsIt() throws Exception {
        // An O_PATH descriptor opens nothing in the filesystem (no OPEN), yet keeps the inode: through it the
        // unlinked file can be opened again (/proc/self/fd, open_by_handle_at), with its data. So memfs frees an
        // unlinked file's bytes only once the kernel forgets it too, as tmpfs does at the inode's last reference.
        String out = same("""
                class FH(ctypes.Structure):
                    _fields_ = [('bytes', ctypes.c_uint), ('type', ctypes.c_int), ('h', ctypes.c_ubyte * 128)]
                with open('f', 'wb') as f:
                    f.write(b'kept data')
                fh = FH(); fh.bytes = 128; mid = ctypes.c_int()
                _check(libc.name_to_handle_at(-100, b'f', ctypes.byref(fh), ctypes.byref(mid), 0))
                here = os.open('.', os.O_RDONLY)
                held = os.open('f', os.O_PATH)
                os.unlink('f')
                def by_handle():
                    return _check(libc.open_by_handle_at(here, ctypes.byref(fh), os.O_RDONLY))
                def read(opener):
                    try:
                        fd = opener()
                        data = os.read(fd, 100).decode()
                        os.close(fd)
                        return data
                    except OSError as e:
                        return errno.errorcode[e.errno]
                print(read(lambda: os.open('/proc/self/fd/%d' % held, os.O_RDONLY)), read(by_handle), end=' ')
                os.close(held)
                for i in range(500):  # the kernel forgets the inode in the background
                    r = read(by_handle)
                    if r == 'ESTALE':
                        break
                    time.sleep(0.02)
                print(r)
                """);
        assertEquals("kept data kept data ESTALE", out);
    }

    @Test
    void posixAclsAreStoredEnforcedAndInheritedLikeOnTmpfs() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Shell.has("setfacl") && Shell.has("getfacl"),
                "setfacl/getfacl are not installed: apt-get install acl");
        String out = sameShell("""
                asnobody() { runuser -u nobody -- "$@" 2>&1 | sed 's/^[^:]*: //'; }
                echo secret > f
                chmod 600 f
                setfacl -m u:nobody:r f && echo set
                getfacl -c f
                stat -c '%A' f
                asnobody cat f
                setfacl -m u:nobody:- f
                asnobody cat f
                setfacl -m u:nobody:rw,m::r f
                asnobody sh -c 'echo x >> f'
                chmod 660 f
                getfacl -c f
                setfacl -b f
                getfacl -c f
                stat -c '%A' f
                mkdir d
                setfacl -d -m u:nobody:rwx,g::r-x,o::- d
                touch d/new
                mkdir d/sub
                stat -c '%A %n' d/new d/sub
                getfacl -c d/new d/sub
                asnobody touch d/sub/by-nobody || true
                setfacl -m u:nobody:rwx d
                asnobody touch d/by-nobody
                ls d
                getfattr -d -m - --absolute-names f d/new 2>&1 | grep -c posix_acl
                """);
        org.junit.jupiter.api.Assertions.assertTrue(out.contains("user:nobody:r--"), out);
        org.junit.jupiter.api.Assertions.assertTrue(out.contains("Permission denied"), out);
    }
}
