package dev.jfuser.examples.realclients;

import static dev.jfuser.examples.contract.Shell.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.examples.contract.Shell;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * Real programs on a mounted filesystem: git, tar, rsync, sqlite3, fio and stress-ng, from Debian packages. Each
 * test skips with a reason when its tool is not installed ({@code apt-get install git tar rsync sqlite3 fio
 * stress-ng attr}).
 *
 * <p>A subclass mounts the filesystem under test once per class (a non-static {@code @BeforeAll}; the instance
 * lifecycle is per class) and returns its root from {@link #root()}; it needs room for about 150 MiB and must
 * allow other users ({@code allow_other}). A mirror returns from {@link #source(Path)} where a directory of the
 * mount is stored: after each test, the tree seen through the mount must then equal the tree stored there.
 */
@Tag("mount")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class RealClientsSuite {
    private Path disk;
    private Path dir;

    /** The mounted root of the filesystem under test. */
    protected abstract Path root();

    /**
     * Where {@code mounted}, a directory of the mount, is stored outside it, for a filesystem that mirrors a
     * source directory; {@code null} (the default) when there is no such place.
     */
    protected Path source(Path mounted) {
        return null;
    }

    /** Prints one line per entry: type, mode, owner, size, content hash, link target, xattrs, hard-link group. */
    private static final String TREE = """
            import hashlib, os, stat, sys
            root = sys.argv[1]
            first = {}
            for d, dirs, files in os.walk(root):
                dirs.sort()
                for n in sorted(dirs + files):
                    full = os.path.join(d, n)
                    rel = os.path.relpath(full, root)
                    s = os.lstat(full)
                    line = '%s %o uid=%d gid=%d' % (rel, s.st_mode, s.st_uid, s.st_gid)
                    if stat.S_ISREG(s.st_mode):
                        line += ' size=%d sha1=%s' % (s.st_size, hashlib.sha1(open(full, 'rb').read()).hexdigest())
                        line += ' links=%d first=%s' % (s.st_nlink, first.setdefault(s.st_ino, rel))
                    if stat.S_ISLNK(s.st_mode):
                        line += ' -> ' + os.readlink(full)
                    if not stat.S_ISLNK(s.st_mode):
                        for x in sorted(os.listxattr(full)):
                            line += ' %s=%r' % (x, os.getxattr(full, x))
                    print(line)
            """;

    @BeforeAll
    void makeDiskDirectory() throws Exception {
        disk = Files.createTempDirectory("jfuser-realclients-");
    }

    @AfterAll
    void removeDiskDirectory() throws Exception {
        if (disk != null) {
            run(null, "rm", "-rf", disk.toString());
        }
    }

    @BeforeEach
    void fresh(TestInfo info) throws Exception {
        dir = Files.createDirectory(root().resolve(info.getTestMethod().orElseThrow().getName()));
    }

    @AfterEach
    void clean() throws Exception {
        try {
            Path stored = source(dir);
            if (stored != null) {
                assertEquals(tree(stored), tree(dir), "the tree stored in " + stored + " vs the mount");
            }
        } finally {
            run(null, "rm", "-rf", dir.toString());
        }
    }

    private static void requireTool(String tool) {
        assumeTrue(Shell.has(tool), tool + " is not installed: apt-get install " + tool);
    }

    private static String tree(Path root) throws Exception {
        return Shell.run(null, List.of(Shell.PYTHON, "-c", TREE, root.toString())).ok().output();
    }

    /** A small tree with what archivers must carry: owners, modes, xattrs, symlinks, hard links, a sparse file. */
    private void populate(Path src) throws Exception {
        Files.createDirectories(src.resolve("sub/deeper"));
        Shell.python(src, """
                import random
                for i in range(40):
                    with open('sub/file%d' % i, 'wb') as f:
                        f.write(random.Random(i).randbytes(i * 997))
                os.chown('sub/file1', 65534, 100)
                os.chown('sub/deeper', 1000, 1000)
                os.chmod('sub/file2', 0o600)
                os.chmod('sub/file3', 0o4755)
                os.chmod('sub/deeper', 0o2770)
                os.setxattr('sub/file4', 'user.origin', b'jfuser test')
                os.setxattr('sub', 'user.dir', b'on a directory')
                os.symlink('file5', 'sub/link5')
                os.symlink('/absolute/dangling', 'sub/dangling')
                os.link('sub/file6', 'sub/deeper/hardlink6')
                fd = os.open('sparse', os.O_CREAT | os.O_WRONLY, 0o644)
                os.pwrite(fd, b'tail', 50 << 20)
                os.close(fd)
                """).ok();
    }

    @Test
    void gitCloneCommitGcAndFsck() throws Exception {
        requireTool("git");
        Path origin = Files.createDirectory(disk.resolve("origin"));
        String git = "git -c user.name=t -c user.email=t@example.org -c init.defaultBranch=main";
        run(origin, "sh", "-c", git + " init -q . && for i in 1 2 3 4 5; do seq $i 5000 > f$i; " + git
                + " add f$i && " + git + " commit -qm c$i; done").ok();
        run(dir, "git", "clone", "-q", "--no-local", origin.toString(), "clone").ok();
        Path clone = dir.resolve("clone");
        run(clone, "sh", "-c", "echo change >> f1 && " + git + " commit -qam local && " + git + " gc -q").ok();
        Shell.Result fsck = run(clone, "git", "fsck", "--full", "--strict");
        assertEquals(0, fsck.exitCode(), fsck.output());
        assertEquals("6", run(clone, "git", "rev-list", "--count", "HEAD").ok().out());
        assertEquals("", run(clone, "git", "status", "--porcelain").ok().out());
    }

    @Test
    void tarRoundTripKeepsOwnersModesXattrsAndLinks() throws Exception {
        requireTool("tar");
        Path src = Files.createDirectory(dir.resolve("src"));
        populate(src);
        Path archive = disk.resolve("tree.tar");
        run(src, "tar", "--xattrs", "--xattrs-include=*", "--sparse", "-cpf", archive.toString(), ".").ok();
        Path dst = Files.createDirectory(dir.resolve("dst"));
        run(dst, "tar", "--xattrs", "--xattrs-include=*", "--same-owner", "-xpf", archive.toString()).ok();
        assertEquals(tree(src), tree(dst));
        assertTrue(tree(dst).contains("user.origin=b'jfuser test'"));
    }

    @Test
    void rsyncArchiveRoundTripThroughDisk() throws Exception {
        requireTool("rsync");
        Path src = Files.createDirectory(dir.resolve("src"));
        populate(src);
        Path middle = disk.resolve("rsync-middle");
        Shell.Result out = run(null, "rsync", "-aHAX", "--sparse", src + "/", middle + "/");
        assertEquals(0, out.exitCode(), out.output());
        Path back = dir.resolve("back");
        out = run(null, "rsync", "-aHAX", "--sparse", middle + "/", back + "/");
        assertEquals(0, out.exitCode(), out.output());
        Shell.Result diff = run(null, "diff", "-r", "--no-dereference", src.toString(), back.toString());
        assertEquals(0, diff.exitCode(), diff.output());
        assertEquals(tree(src), tree(back));
    }

    @Test
    void sqliteHundredThousandRowsPassIntegrityCheck() throws Exception {
        requireTool("sqlite3");
        for (String journal : List.of("delete", "wal")) {
            String db = dir.resolve("test-" + journal + ".db").toString();
            String sql = "PRAGMA journal_mode=" + journal + ";\n"
                    + "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT, n INTEGER);\n"
                    + "CREATE INDEX t_n ON t(n);\n"
                    + "BEGIN;\n"
                    + "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)\n"
                    + "  INSERT INTO t(v, n) SELECT hex(randomblob(16)), x % 977 FROM c;\n"
                    + "COMMIT;\n"
                    + "UPDATE t SET v = 'x' WHERE n = 5;\n"
                    + "DELETE FROM t WHERE n = 7;\n"
                    + "PRAGMA integrity_check;\n"
                    + "SELECT count(*) FROM t;\n";
            Path script = disk.resolve("script-" + journal + ".sql");
            Files.writeString(script, sql);
            Shell.Result r = run(null, "sh", "-c", "sqlite3 " + db + " < " + script);
            assertEquals(0, r.exitCode(), r.output());
            List<String> lines = r.out().lines().toList();
            assertEquals("ok", lines.get(lines.size() - 2), r.output());
            long deleted = java.util.stream.LongStream.rangeClosed(1, 100000).filter(x -> x % 977 == 7).count();
            assertEquals(Long.toString(100000 - deleted), lines.get(lines.size() - 1));
        }
    }

    @Test
    void fioVerifiesSequentialAndRandomWrites() throws Exception {
        requireTool("fio");
        for (String[] job : new String[][] {{"write", "128k", "48M"}, {"randwrite", "4k", "16M"},
                {"randrw", "16k", "16M"}}) {
            Shell.Result r = run(dir, "fio", "--name=" + job[0], "--filename=fio-" + job[0] + ".dat",
                    "--rw=" + job[0], "--bs=" + job[1], "--size=" + job[2], "--ioengine=psync",
                    "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--randrepeat=1",
                    "--output-format=terse", "--terse-version=3");
            assertEquals(0, r.exitCode(), "fio " + job[0] + ": " + r.output());
            assertFalse(r.output().contains("verify: bad"), r.output());
            assertEquals("0", r.out().lines().filter(l -> l.startsWith("3;")).findFirst().orElseThrow()
                    .split(";")[4], "fio error column: " + r.output());
        }
    }

    @Test
    void stressNgFilesystemStressorsRunClean() throws Exception {
        requireTool("stress-ng");
        Path tmp = Files.createDirectory(dir.resolve("stress"));
        // byte counts are bounded: stress-ng's defaults (1 GiB per fallocate worker) would fill a small mount
        Shell.Result r = run(tmp, "stress-ng", "--temp-path", tmp.toString(), "--timeout", "6s",
                "--dir", "1", "--link", "1", "--symlink", "1", "--rename", "1", "--xattr", "1", "--flock", "1",
                "--lockf", "1", "--fallocate", "1", "--fallocate-bytes", "64M", "--seek", "1", "--dentry", "1",
                "--chmod", "1", "--utime", "1",
                "--hdd", "1", "--hdd-bytes", "16M", "--verify", "--metrics-brief");
        assertEquals(0, r.exitCode(), r.output());
        assertFalse(r.output().matches("(?s).*(failed|FAIL|error:).*"), r.output());
        assertTrue(r.output().contains("successful run completed"), r.output());
    }
}
