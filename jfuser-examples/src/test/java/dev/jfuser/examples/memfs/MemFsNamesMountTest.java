package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.examples.contract.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Names are bytes on a real mount: a tree of names that are not UTF-8, with newlines, 255 bytes long, symlinks to
 * targets that are not UTF-8 and xattr names that are not either, built by Python with bytes paths on tmpfs, copied
 * onto memfs with {@code cp -a} and {@code rsync -aX}, listed, renamed and copied back, and compared byte for byte
 * with tmpfs at every step.
 */
@Tag("mount")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemFsNamesMountTest {
    private MemFsMount mounted;
    private TmpfsOracle oracle;
    private Path tmpfs;

    /** Builds the tree in argv[1] with bytes paths only (bytes.fromhex: no escapes to get wrong in Java). */
    private static final String BUILD = """
            import os, sys
            h = bytes.fromhex
            root = os.fsencode(sys.argv[1])
            def p(*parts):
                return os.path.join(root, *parts)
            names = [h('fffe'), b'caf' + h('e9'), b'caf' + h('c3a9'),
                     h('c3a9') + b'-' + h('ff') + b'-' + h('e282ac') + h('c3') + b'x' + h('eda080'),
                     b'line' + h('0a') + b'one' + h('0a'), h('0a'), h('e282ac') * 85, h('c3a9') * 127 + b'a',
                     h('ff') * 255, h('c0af'), h('f4908080'), b'a' + h('80') + b'b', b' lead and trail ']
            for i, n in enumerate(names):
                with open(p(n), 'wb') as f:
                    f.write(n * (i + 1))
                os.setxattr(p(n), b'user.' + h('ff'), n)
            d = h('648081')
            os.mkdir(p(d))
            with open(p(d, h('fefd')), 'wb') as f:
                f.write(b'inside')
            os.setxattr(p(d), b'user.caf' + h('e9') + h('0a'), h('00ff'))
            os.setxattr(p(d), b'user.' + h('e282ac') * 83, b'long name')
            os.symlink(b'../' + h('fffe') + b'/caf' + h('e9') + h('0a'), p(b'link' + h('ff')))
            os.symlink(h('808182'), p(d, b'dangling'))
            os.symlink(h('e282ac') * 85, p(b'to-255'))
            os.link(p(h('fffe')), p(d, b'hard' + h('fe')))
            """;

    /** One line per entry, every name, target and xattr name as Python's repr of its bytes. */
    private static final String TREE = """
            import hashlib, os, stat, sys
            root = os.fsencode(sys.argv[1])
            first = {}
            print('top', sorted(os.listdir(root)))
            for d, dirs, files in os.walk(root):
                dirs.sort()
                for n in sorted(dirs + files):
                    full = os.path.join(d, n)
                    s = os.lstat(full)
                    line = '%r %o' % (os.path.relpath(full, root), s.st_mode)
                    if stat.S_ISREG(s.st_mode):
                        line += ' size=%d sha1=%s' % (s.st_size, hashlib.sha1(open(full, 'rb').read()).hexdigest())
                        line += ' links=%d first=%r' % (s.st_nlink, first.setdefault(s.st_ino, n))
                    if stat.S_ISLNK(s.st_mode):
                        line += ' size=%d -> %r' % (s.st_size, os.readlink(full))
                    else:
                        for x in sorted(os.fsencode(x) for x in os.listxattr(full)):
                            line += ' %r=%r' % (x, os.getxattr(full, x))
                    if stat.S_ISDIR(s.st_mode):
                        line += ' list=%r' % sorted(os.listdir(full))
                    print(line)
            """;

    /** Renames across the tree: names that are not UTF-8 onto others, into and out of a directory. */
    private static final String RENAME = """
            import os, sys
            h = bytes.fromhex
            root = os.fsencode(sys.argv[1])
            def p(*parts):
                return os.path.join(root, *parts)
            os.rename(p(b'caf' + h('e9')), p(h('80') + b'renamed' + h('ff')))
            os.rename(p(h('fffe')), p(h('648081'), h('fe') * 255))
            os.rename(p(h('648081')), p(h('ff') + b'dir' + h('0a')))
            os.rename(p(h('0a')), p(b'caf' + h('c3a9')))          # replaces the UTF-8 name by the newline's file
            os.rename(p(h('e282ac') * 85), p(h('c3a9') * 127 + h('ff')))
            os.rename(p(b'link' + h('ff')), p(h('ff') + b'dir' + h('0a'), b'link' + h('fe')))
            """;

    /** What the 255-byte limit answers: names of 255 and 256 bytes, in every call that takes a name. */
    private static final String LIMITS = """
            import errno, os, sys
            h = bytes.fromhex
            root = os.fsencode(sys.argv[1])
            def p(*parts):
                return os.path.join(root, *parts)
            def attempt(what, f):
                try:
                    f()
                    print(what, 'ok')
                except OSError as e:
                    print(what, errno.errorcode[e.errno])
            open(p(b'f'), 'wb').close()
            for n in [h('e282ac') * 85, h('e282ac') * 85 + b'a', h('c3a9') * 128, h('ff') * 255, h('ff') * 256,
                      h('ff') * 254 + h('c3a9'), h('f09f9880') * 64]:
                attempt('create %d' % len(n), lambda: open(p(n), 'wb').close())
                attempt('mkdir %d' % len(n), lambda: os.mkdir(p(n[:-1] + b'D')))
                attempt('symlink %d' % len(n), lambda: os.symlink(b't', p(n[:-1] + b'L')))
                attempt('rename %d' % len(n), lambda: os.rename(p(b'f'), p(n[:-1] + b'R')) or
                        os.rename(p(n[:-1] + b'R'), p(b'f')))
                attempt('link %d' % len(n), lambda: os.link(p(b'f'), p(n[:-1] + b'K')))
                attempt('stat %d' % len(n), lambda: os.lstat(p(n)))
            for k in [250, 251]:
                attempt('xattr %d' % (5 + k), lambda: os.setxattr(p(b'f'), b'user.' + h('ff') * k, b'v'))
            print(sorted(os.listdir(root)))
            """;

    @BeforeAll
    void mountBoth() throws Exception {
        mounted = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(64L << 20)), "");
        oracle = TmpfsOracle.mount("names", "");
        tmpfs = oracle.root;
    }

    @AfterAll
    void unmountBoth() throws Exception {
        TmpfsOracle.closeBoth(oracle, mounted);
    }

    private static String py(String program, Path dir) throws Exception {
        Shell.Result r = Shell.run(null, Shell.PYTHON, "-c", program, dir.toString());
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    private static String tree(Path dir) throws Exception {
        return py(TREE, dir);
    }

    @Test
    void aTreeOfByteNamesIsCopiedListedRenamedAndCopiedBackUnchanged() throws Exception {
        assumeTrue(Shell.has("rsync"), "rsync is not installed");
        Path source = Files.createDirectory(tmpfs.resolve("source"));
        py(BUILD, source);
        String expected = tree(source);
        assertTrue(expected.contains("b'caf\\xe9'") && expected.contains("b'line\\none\\n'"), expected);

        Path cp = mounted.mountpoint.resolve("cp");
        Shell.run(null, "cp", "-a", source.toString(), cp.toString()).ok();
        assertEquals(expected, tree(cp), "cp -a onto memfs");

        Path rsync = mounted.mountpoint.resolve("rsync");
        Shell.run(null, "rsync", "-aHX", source + "/", rsync + "/").ok();
        assertEquals(expected, tree(rsync), "rsync -aHX onto memfs");

        // the same renames on tmpfs and on memfs give the same trees
        Path renamedOnTmpfs = tmpfs.resolve("renamed");
        Shell.run(null, "cp", "-a", source.toString(), renamedOnTmpfs.toString()).ok();
        py(RENAME, renamedOnTmpfs);
        py(RENAME, cp);
        String renamed = tree(renamedOnTmpfs);
        assertTrue(!renamed.equals(expected));
        assertEquals(renamed, tree(cp), "after the renames");

        // and back from memfs to tmpfs, byte for byte
        Path back = tmpfs.resolve("back");
        Shell.run(null, "rsync", "-aHX", rsync + "/", back + "/").ok();
        assertEquals(expected, tree(back), "rsync -aHX back from memfs");
        Path backCp = tmpfs.resolve("back-cp");
        Shell.run(null, "cp", "-a", cp.toString(), backCp.toString()).ok();
        assertEquals(renamed, tree(backCp), "cp -a back from memfs");
        Shell.run(null, "rm", "-rf", source.toString(), renamedOnTmpfs.toString(), back.toString(),
                backCp.toString(), cp.toString(), rsync.toString()).ok();
    }

    @Test
    void theNameLimitIs255BytesAsOnTmpfs() throws Exception {
        Path onTmpfs = Files.createDirectory(tmpfs.resolve("limits"));
        Path onMemfs = Files.createDirectory(mounted.mountpoint.resolve("limits"));
        String expected = py(LIMITS, onTmpfs);
        assertTrue(expected.contains("create 256 ENAMETOOLONG") && expected.contains("create 255 ok"), expected);
        assertEquals(expected, py(LIMITS, onMemfs));
        Shell.run(null, "rm", "-rf", onTmpfs.toString(), onMemfs.toString()).ok();
    }
}
