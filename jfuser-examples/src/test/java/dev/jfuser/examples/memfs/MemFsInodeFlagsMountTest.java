package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.examples.contract.Shell;
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
 * Inode flags through a real mount, next to tmpfs: {@code chattr +i}/{@code +a} on files and directories and every
 * operation Linux refuses or allows on them, the flags that are kept ({@code d}, {@code A}) and those refused, who
 * may change them, inheritance, {@code FS_IOC_FSGETXATTR}/{@code FSSETXATTR}. Each test runs the same program
 * (Python, calling the real {@code chattr}/{@code lsattr} of e2fsprogs) on both and compares what they print.
 */
@Tag("mount")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemFsInodeFlagsMountTest {
    private MemFsMount mounted;
    private TmpfsOracle oracle;
    private Path tmpfs;
    private Path onMemfs;
    private Path onTmpfs;

    @BeforeAll
    void mountBoth() throws Exception {
        assumeTrue(Shell.has("chattr") && Shell.has("lsattr"), "e2fsprogs (chattr, lsattr) is not installed");
        mounted = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(64L << 20)), "");
        oracle = TmpfsOracle.mount("inodeflags", "relatime");
        tmpfs = oracle.root;
    }

    @AfterAll
    void unmountBoth() throws Exception {
        if (oracle != null) {
            Shell.run(null, "chattr", "-R", "-i", "-a", tmpfs.toString());
        }
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
        // a failed test may leave immutable or append-only files behind, which rm cannot remove
        Shell.run(null, "chattr", "-R", "-i", "-a", onMemfs.toString(), onTmpfs.toString());
        Shell.run(null, "rm", "-rf", onMemfs.toString(), onTmpfs.toString());
    }

    /** Runs {@code code} (after the helpers) on both and checks they print the same; returns that output. */
    private String same(String code) throws Exception {
        String t = Shell.python(onTmpfs, HELPERS + code).ok().out();
        String m = Shell.python(onMemfs, HELPERS + code).ok().out();
        assertEquals(t, m, "memfs printed something else than tmpfs");
        return m;
    }

    private static final String HELPERS = """
            import subprocess
            def sh(*cmd):
                r = subprocess.run(list(cmd), capture_output=True, text=True)
                return r.returncode
            def lsattr(p):
                r = subprocess.run(['lsattr', '-d', p], capture_output=True, text=True)
                return r.stdout.split()[0] if r.returncode == 0 else 'rc%d' % r.returncode
            def content(p):
                with open(p, 'rb') as f:
                    b = f.read()
                return len(b), b[:4], b[-4:]
            """;

    /**
     * Immutable and append-only files and directories: opens, truncate, writes through descriptors opened before
     * the flag was set, fallocate, copy_file_range, chmod/chown/utimes/touch, xattrs, link, rename, unlink, and
     * creating and removing entries; then the flags are cleared and everything works again.
     */
    @Test
    void immutableAndAppendOnlyRefuseWhatTmpfsRefuses() throws Exception {
        String out = same("""
            def setup():
                for n in ['fi', 'fa', 'other']:
                    with open(n, 'w') as f:
                        f.write('data')
                    os.setxattr(n, 'user.k', b'v')
                for d in ['di', 'da']:
                    os.mkdir(d)
                    open(d + '/x', 'w').write('x')
                    os.mkdir(d + '/sub')
            setup()
            pre_i = os.open('fi', os.O_RDWR)
            pre_a = os.open('fa', os.O_RDWR)
            print('chattr', sh('chattr', '+i', 'fi'), sh('chattr', '+a', 'fa'), sh('chattr', '+i', 'di'), sh('chattr', '+a', 'da'))
            print('lsattr', lsattr('fi'), lsattr('fa'), lsattr('di'), lsattr('da'))
            def opens(p):
                for name, fl in [('r', os.O_RDONLY), ('w', os.O_WRONLY), ('rw', os.O_RDWR), ('wa', os.O_WRONLY | os.O_APPEND),
                                 ('rwa', os.O_RDWR | os.O_APPEND), ('rt', os.O_RDONLY | os.O_TRUNC),
                                 ('wat', os.O_WRONLY | os.O_APPEND | os.O_TRUNC)]:
                    def o():
                        os.close(os.open(p, fl))
                    print(' open', name, err(o))
            def attrs(p):
                print(' chmod', err(lambda: os.chmod(p, 0o644)))
                print(' chown', err(lambda: os.chown(p, 0, 0)))
                print(' utime', err(lambda: os.utime(p, ns=(10**9, 10**9))))
                print(' touch', err(lambda: os.utime(p, None)))
                print(' setxattr', err(lambda: os.setxattr(p, 'user.n', b'1')))
                print(' removexattr', err(lambda: os.removexattr(p, 'user.k')))
                print(' getxattr', err(lambda: os.getxattr(p, 'user.k')))
            def names(p):
                print(' link', err(lambda: os.link(p, p + '.l')))
                print(' rename', err(lambda: os.rename(p, p + '.r')))
                print(' rename-over', err(lambda: os.rename('other', p)))
                print(' unlink', err(lambda: os.unlink(p)))
            for p, pre in [('fi', pre_i), ('fa', pre_a)]:
                print(p)
                opens(p)
                print(' truncate', err(lambda: os.truncate(p, 0)))
                print(' pre-write', err(lambda: os.pwrite(pre, b'P', 1)))
                print(' pre-ftruncate', err(lambda: os.ftruncate(pre, 2)))
                print(' pre-fallocate', err(lambda: fallocate(pre, 0, 0, 8192)))
                print(' pre-punch', err(lambda: fallocate(pre, 3, 0, 1)))
                def copy():
                    src = os.open('other', os.O_RDONLY)
                    try:
                        os.copy_file_range(src, pre, 2, 0, 0)
                    finally:
                        os.close(src)
                print(' pre-copy', err(copy))
                def app():
                    fd = os.open(p, os.O_WRONLY | os.O_APPEND)
                    try:
                        os.write(fd, b'A')
                        os.pwrite(fd, b'B', 0)
                        print(' ftruncate-append', err(lambda: os.ftruncate(fd, 1)))
                        print(' fallocate-append', err(lambda: fallocate(fd, 0, 0, 100)), err(lambda: fallocate(fd, 1, 0, 9000)), err(lambda: fallocate(fd, 3, 0, 1)))
                    finally:
                        os.close(fd)
                print(' append-write', err(app))
                attrs(p)
                names(p)
                print(' content', content(p), os.stat(p).st_size)
                print(' lsattr', lsattr(p))
            os.close(pre_i)
            os.close(pre_a)
            for d in ['di', 'da']:
                print(d)
                print(' create', err(lambda: os.close(os.open(d + '/new', os.O_CREAT | os.O_WRONLY, 0o644))))
                print(' mkdir', err(lambda: os.mkdir(d + '/nd')))
                print(' symlink', err(lambda: os.symlink('t', d + '/sl')))
                print(' mkfifo', err(lambda: os.mkfifo(d + '/ff')))
                print(' tmpfile', err(lambda: os.close(os.open(d, os.O_TMPFILE | os.O_WRONLY, 0o600))))
                print(' link-in', err(lambda: os.link('other', d + '/l')))
                print(' rename-in', err(lambda: os.rename('other', d + '/moved')))
                if os.path.exists(d + '/moved'):
                    os.rename(d + '/moved', d + '/moved2') if False else None
                    open('other', 'w').write('data')
                print(' rename-over', err(lambda: os.rename('other', d + '/x')))
                print(' rename-within', err(lambda: os.rename(d + '/x', d + '/y')))
                print(' rename-out', err(lambda: os.rename(d + '/x', 'out')))
                print(' unlink', err(lambda: os.unlink(d + '/x')))
                print(' rmdir', err(lambda: os.rmdir(d + '/sub')))
                print(' write-inside', err(lambda: open(d + '/x', 'a').write('more')))
                print(' listdir', sorted(os.listdir(d)))
                attrs(d)
                print(' rename-dir', err(lambda: os.rename(d, d + '.r')))
                print(' rmdir-self', err(lambda: os.rmdir(d)))
                print(' lsattr', lsattr(d))
            print('clear', sh('chattr', '-i', 'fi', 'di'), sh('chattr', '-a', 'fa', 'da'))
            print('lsattr', lsattr('fi'), lsattr('fa'), lsattr('di'), lsattr('da'))
            print('after', err(lambda: os.truncate('fi', 0)), err(lambda: os.unlink('fa')), err(lambda: os.unlink('di/x')), err(lambda: os.unlink('da/x')))
            """);
        assertTrue(out.contains("lsattr ----i----------------- -----a----------------"), out);
        assertTrue(out.contains(" unlink EPERM") && out.contains("after OK OK OK OK"), out);
    }

    /**
     * Which flags can be set and by whom: the owner sets {@code d} but not {@code i} or {@code a}, others nothing;
     * flags tmpfs does not keep are EOPNOTSUPP; {@code d} and {@code A} pass to new entries; {@code A} stops atime;
     * {@code FS_IOC_FSGETXATTR}/{@code FSSETXATTR} see and change the same flags.
     */
    @Test
    void whoMaySetWhichFlagsLikeTmpfs() throws Exception {
        String out = same("""
            for n in ['fi', 'other']:
                open(n, 'w').write('data')
            def nobody(*cmd):
                return sh('runuser', '-u', 'nobody', '--', *cmd)
            open('own', 'w').close()
            os.chown('own', 65534, 65534)
            print('nobody', nobody('chattr', '+d', 'own'), nobody('chattr', '+i', 'own'), nobody('chattr', '+a', 'own'),
                  nobody('chattr', '+d', 'fi'), lsattr('own'), lsattr('fi'))
            print('root', sh('chattr', '+i', 'own'), nobody('chattr', '-i', 'own'), nobody('chattr', '-d', 'own'), lsattr('own'))
            sh('chattr', '-i', 'own')
            print('others', [(f, sh('chattr', '+' + f, 'other')) for f in 'cjsStTuCxFPmeD'], lsattr('other'))
            print('i+d', sh('chattr', '+i', 'fi'), sh('chattr', '+d', 'fi'), lsattr('fi'), sh('chattr', '-i', '-d', 'fi'), lsattr('fi'))
            os.mkdir('inh')
            print('inherit', sh('chattr', '+dAi', 'inh'), sh('chattr', '-i', 'inh'), lsattr('inh'))
            open('inh/f', 'w').write('abc')
            os.mkdir('inh/d')
            print('inherited', lsattr('inh/f'), lsattr('inh/d'))
            os.utime('inh/f', (1000, 2000))
            print('noatime', content('inh/f'), os.stat('inh/f').st_atime)
            sh('chattr', '-A', 'inh/f')
            content('inh/f')
            print('atime', os.stat('inh/f').st_atime > 1000)
            def fsx(p):
                fd = os.open(p, os.O_RDONLY)
                try:
                    b = bytearray(28)
                    fcntl.ioctl(fd, 0x801c581f, b)
                    return struct.unpack('7I', b)
                finally:
                    os.close(fd)
            def setfsx(p, xflags, projid=0):
                fd = os.open(p, os.O_RDONLY)
                try:
                    fcntl.ioctl(fd, 0x401c5820, struct.pack('7I', xflags, 0, 0, projid, 0, 0, 0))
                finally:
                    os.close(fd)
            print('fsx', fsx('inh'), err(lambda: setfsx('other', 0x10 | 0x80)), fsx('other'), lsattr('other'),
                  err(lambda: setfsx('other', 0x20)), err(lambda: setfsx('other', 0, 5)), err(lambda: setfsx('other', 0)), lsattr('other'))
            """);
        assertTrue(out.contains("inherited ------dA-------------- ------dA--------------"), out);
    }

    /**
     * Dropping O_APPEND with {@code fcntl(F_SETFL)} on an append-only file: tmpfs refuses the fcntl; a FUSE
     * filesystem is not asked, so memfs refuses the write that would not append instead. Either way the file only
     * grows at its end.
     */
    @Test
    void clearingOAppendCannotWriteInTheMiddle() throws Exception {
        String code = """
            open('fa', 'w').write('data')
            sh('chattr', '+a', 'fa')
            fd = os.open('fa', os.O_WRONLY | os.O_APPEND)
            r = err(lambda: fcntl.fcntl(fd, fcntl.F_SETFL, 0))
            w = err(lambda: os.pwrite(fd, b'X', 0))
            os.close(fd)
            print(r, w, content('fa'))
            sh('chattr', '-a', 'fa')
            """;
        assertEquals("EPERM OK (5, b'data', b'ataX')", Shell.python(onTmpfs, HELPERS + code).ok().out());
        assertEquals("OK EPERM (4, b'data', b'data')", Shell.python(onMemfs, HELPERS + code).ok().out());
    }
}
