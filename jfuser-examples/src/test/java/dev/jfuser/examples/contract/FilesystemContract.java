package dev.jfuser.examples.contract;

import static dev.jfuser.examples.contract.Shell.python;
import static dev.jfuser.examples.contract.Shell.pythonAsNobody;
import static dev.jfuser.examples.contract.Shell.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * What a POSIX filesystem mounted through FUSE must do, checked through the mount with plain NIO, coreutils and
 * small Python programs (for the calls Java lacks): files, directories, links, special files, rename and its flags,
 * permissions and ownership (as root and as user {@code nobody}), timestamps, xattrs, statfs, fallocate,
 * SEEK_DATA/SEEK_HOLE, copy_file_range, locks, O_TMPFILE and concurrency.
 *
 * <p>A subclass mounts the filesystem under test (once per class: the instance lifecycle is per class, so a
 * non-static {@code @BeforeAll} can mount), returns its root from {@link #root()}, and declares in
 * {@link #features()} which optional behaviours the filesystem has; tests of missing features are skipped. The
 * mount must allow other users ({@code allow_other}) for the tests that run as {@code nobody}, and the directories
 * above the mount point must be searchable by everyone. Each test works in a fresh directory under the root,
 * removed afterwards.
 *
 * <p>Needs root, Python 3 at {@code /usr/bin/python3}, coreutils and util-linux ({@code runuser}).
 */
@Tag("mount")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FilesystemContract {

    /** Optional behaviours; a filesystem declares the ones it has. */
    public enum Feature {
        HARD_LINKS, SYMLINKS, SPECIAL_FILES, XATTRS, TRUSTED_XATTRS, RENAME_FLAGS, TMPFILE, FALLOCATE, SEEK_HOLES,
        COPY_FILE_RANGE, POSIX_LOCKS, FLOCK, PERMISSIONS, CHOWN, SPARSE_FILES,
        /** Search permission is checked on every path walk, also through names the kernel has cached. */
        SEARCH_PERMISSION_ALWAYS
    }

    /** The mounted root of the filesystem under test. */
    protected abstract Path root();

    /** The optional behaviours to test; all by default. */
    protected Set<Feature> features() {
        return EnumSet.allOf(Feature.class);
    }

    /** The size limit of the mounted filesystem in bytes (for the ENOSPC test), or -1 to skip that test. */
    protected long sizeLimit() {
        return -1;
    }

    /** The directory of the current test: fresh and empty, mode 0755, owned by root. */
    protected Path dir;

    protected final void require(Feature f) {
        assumeTrue(features().contains(f), "the filesystem under test does not declare " + f);
    }

    @BeforeEach
    void freshDirectory(TestInfo info) throws IOException {
        assumeTrue(Files.isExecutable(Path.of(Shell.PYTHON)) || Shell.has(Shell.PYTHON),
                "python3 not found (the contract's clients are Python scripts): apt-get install python3");
        String name = info.getTestMethod().map(m -> m.getName()).orElse("test");
        dir = root().resolve(name);
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            removeTree(dir);
        }
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void removeDirectory() throws Exception {
        if (dir != null && Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            removeTree(dir);
        }
    }

    private static void removeTree(Path p) throws IOException {
        try {
            Shell.run(null, "rm", "-rf", p.toString()).ok();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    // ------------------------------------------------------------------------------------------- helpers

    /** Runs {@code body} (Python statements using the prelude) in {@link #dir} and returns its printed output. */
    protected String py(String body) throws Exception {
        return python(dir, body).ok().out();
    }

    /** The errno name (or "OK") of one Python expression, run as root in {@link #dir}. */
    protected String errnoOf(String expression) throws Exception {
        return py("print(err(lambda: " + expression + "))");
    }

    /** The errno name (or "OK") of one Python expression, run as nobody in {@link #dir}. */
    protected String nobodyErrnoOf(String expression) throws Exception {
        return pythonAsNobody(dir, "print(err(lambda: " + expression + "))").ok().out();
    }

    protected static PosixFileAttributes attrs(Path p) throws IOException {
        return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    protected static int nlink(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
    }

    protected static long ino(Path p) throws IOException {
        return (Long) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    }

    protected static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    protected static int gid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    protected static int uid(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    protected static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private void chmod(Path p, String perms) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }

    private void openUp() throws IOException {
        chmod(dir, "rwxrwxrwx");
    }

    // --------------------------------------------------------------------------------------- regular files

    @Test
    void writeReadBack() throws Exception {
        Path f = dir.resolve("f");
        byte[] data = random(300_000, 1);
        Files.write(f, data);
        assertArrayEquals(data, Files.readAllBytes(f));
        assertEquals(300_000, Files.size(f));
        assertTrue(attrs(f).isRegularFile());
    }

    @Test
    void overwriteInTheMiddleAndExtend() throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, "0123456789".getBytes(StandardCharsets.US_ASCII));
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("ab".getBytes(StandardCharsets.US_ASCII)), 3);
            ch.write(ByteBuffer.wrap("Z".getBytes(StandardCharsets.US_ASCII)), 14);
        }
        byte[] want = "012ab56789\0\0\0\0Z".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(want, Files.readAllBytes(f));
    }

    @Test
    void appendAddsAtTheEnd() throws Exception {
        Path f = dir.resolve("f");
        Files.writeString(f, "one\n");
        Files.writeString(f, "two\n", StandardOpenOption.APPEND);
        run(dir, "sh", "-c", "echo three >> f").ok();
        assertEquals("one\ntwo\nthree\n", Files.readString(f));
    }

    @Test
    void truncateShrinksAndGrowsWithZeros() throws Exception {
        Path f = dir.resolve("f");
        Files.write(f, random(10_000, 2));
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(f), 5000);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(5000);
        }
        run(dir, "truncate", "-s", "9000", "f").ok();
        byte[] now = Files.readAllBytes(f);
        assertEquals(9000, now.length);
        assertArrayEquals(head, java.util.Arrays.copyOf(now, 5000));
        for (int i = 5000; i < 9000; i++) {
            assertEquals(0, now[i], "byte " + i + " after regrowing must be zero");
        }
        Files.write(f, new byte[0], StandardOpenOption.TRUNCATE_EXISTING);
        assertEquals(0, Files.size(f));
    }

    @Test
    void readingPastTheEndGivesNothing() throws Exception {
        Path f = dir.resolve("f");
        Files.writeString(f, "abc");
        try (FileChannel ch = FileChannel.open(f)) {
            assertEquals(-1, ch.read(ByteBuffer.allocate(10), 100));
            ByteBuffer b = ByteBuffer.allocate(10);
            assertEquals(2, ch.read(b, 1));
        }
    }

    @Test
    void oneTebibyteSparseFileCostsAlmostNothing() throws Exception {
        require(Feature.SPARSE_FILES);
        Path f = dir.resolve("sparse");
        long tib = 1L << 40;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("end".getBytes(StandardCharsets.US_ASCII)), tib - 3);
        }
        assertEquals(tib, Files.size(f));
        long blocks = Long.parseLong(run(dir, "stat", "-c", "%b", "sparse").ok().out());
        assertTrue(blocks <= 64, "1 TiB sparse file uses " + blocks + " blocks");
        try (FileChannel ch = FileChannel.open(f)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, tib - 8);
            assertArrayEquals("\0\0\0\0\0end".getBytes(StandardCharsets.US_ASCII), b.array());
        }
    }

    @Test
    void largeFileInRandomPieces() throws Exception {
        Path f = dir.resolve("big");
        byte[] model = new byte[6 << 20];
        Random rnd = new Random(3);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ)) {
            for (int i = 0; i < 60; i++) {
                int off = rnd.nextInt(model.length - 200_000);
                byte[] piece = new byte[1 + rnd.nextInt(200_000)];
                rnd.nextBytes(piece);
                System.arraycopy(piece, 0, model, off, piece.length);
                ch.write(ByteBuffer.wrap(piece), off);
            }
            ch.write(ByteBuffer.wrap(new byte[] {model[model.length - 1]}), model.length - 1);
        }
        assertArrayEquals(model, Files.readAllBytes(f));
    }

    @Test
    void inodeNumbersAreStableAndDistinct() throws Exception {
        Path a = Files.writeString(dir.resolve("a"), "a");
        Path b = Files.writeString(dir.resolve("b"), "b");
        long ia = ino(a);
        assertNotEquals(ia, ino(b));
        Files.move(a, dir.resolve("c"));
        assertEquals(ia, ino(dir.resolve("c")));
        assertEquals(ia, Long.parseLong(run(dir, "stat", "-c", "%i", "c").ok().out()));
    }

    @Test
    void concurrentWritersAndReaders() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Path shared = dir.resolve("shared");
            Files.write(shared, new byte[8 * 65536]);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    byte[] mine = random(65536, 100 + id);
                    Path own = dir.resolve("own-" + id);
                    for (int round = 0; round < 20; round++) {
                        Files.write(own, mine);
                        assertArrayEquals(mine, Files.readAllBytes(own));
                    }
                    try (FileChannel ch = FileChannel.open(shared, StandardOpenOption.WRITE)) {
                        ch.write(ByteBuffer.wrap(mine), (long) id * 65536);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            byte[] all = Files.readAllBytes(shared);
            for (int t = 0; t < 8; t++) {
                assertArrayEquals(random(65536, 100 + t), java.util.Arrays.copyOfRange(all, t * 65536, (t + 1) * 65536));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ---------------------------------------------------------------------------------------- directories

    @Test
    void directoriesCountTheirSubdirectoriesInNlink() throws Exception {
        Path d = Files.createDirectory(dir.resolve("d"));
        assertEquals(2, nlink(d));
        Files.createDirectory(d.resolve("x"));
        Files.createDirectory(d.resolve("y"));
        Files.writeString(d.resolve("file"), "f");
        assertEquals(4, nlink(d));
        Files.delete(d.resolve("x"));
        assertEquals(3, nlink(d));
        try (var s = Files.list(d)) {
            assertEquals(Set.of("y", "file"), s.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    void removingDirectoriesFollowsPosix() throws Exception {
        Path d = Files.createDirectory(dir.resolve("d"));
        Files.writeString(d.resolve("f"), "x");
        assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(d));
        assertEquals("ENOTDIR", errnoOf("os.rmdir('d/f')"));
        assertEquals("EISDIR", errnoOf("os.unlink('d')"));
        assertEquals("ENOENT", errnoOf("os.rmdir('missing')"));
        Files.delete(d.resolve("f"));
        Files.delete(d);
        assertFalse(Files.exists(d));
    }

    @Test
    void createExclusiveOnAnExistingNameFails() throws Exception {
        Files.writeString(dir.resolve("f"), "x");
        assertEquals("EEXIST", errnoOf("os.open('f', os.O_CREAT | os.O_EXCL | os.O_WRONLY)"));
        assertEquals("EEXIST", errnoOf("os.mkdir('f')"));
    }

    @Test
    void namesLongerThan255BytesAreRejected() throws Exception {
        String ok = "n".repeat(255);
        Files.writeString(dir.resolve(ok), "x");
        assertTrue(Files.exists(dir.resolve(ok)));
        String tooLong = "n".repeat(256);
        assertEquals("ENAMETOOLONG", errnoOf("open('" + tooLong + "', 'w')"));
        assertEquals("ENAMETOOLONG", errnoOf("os.mkdir('" + tooLong + "')"));
        assertEquals("ENAMETOOLONG", errnoOf("os.stat('" + tooLong + "')"));
    }

    @Test
    void largeDirectoryListsEveryEntryOnce() throws Exception {
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < 1500; i++) {
            String n = "entry-with-a-longish-name-" + i;
            Files.createFile(dir.resolve(n));
            names.add(n);
        }
        List<String> seen = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(p -> seen.add(p.getFileName().toString()));
        }
        assertEquals(names.size(), seen.size(), "duplicates or missing entries");
        assertEquals(names, new TreeSet<>(seen));
        String ls = run(dir, "ls", "-la").ok().output();
        assertTrue(ls.contains("entry-with-a-longish-name-1499"));
    }

    @Test
    void readdirOffsetsStayValidWhileEntriesComeAndGo() throws Exception {
        int n = 600;
        for (int i = 0; i < n; i++) {
            Files.createFile(dir.resolve("keep-" + i));
            Files.createFile(dir.resolve("drop-" + i));
        }
        // Python's scandir reads in kernel-sized chunks; mutate between entries so offsets must resume correctly.
        String out = py("""
                seen = []
                i = 0
                with os.scandir('.') as it:
                    for e in it:
                        seen.append(e.name)
                        if i < 600:
                            os.unlink('drop-%d' % i)
                            open('new-%d' % i, 'w').close()
                        i += 1
                keep = [s for s in seen if s.startswith('keep-')]
                print(len(keep), len(set(keep)), len(seen) == len(set(seen)))
                """);
        assertEquals(n + " " + n + " True", out, "every surviving entry exactly once, no duplicates");
    }

    // ------------------------------------------------------------------------------------------- symlinks

    @Test
    void symlinksPointAndDangle() throws Exception {
        require(Feature.SYMLINKS);
        Files.writeString(dir.resolve("target"), "content");
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("target"));
        assertTrue(attrs(link).isSymbolicLink());
        assertEquals(Path.of("target"), Files.readSymbolicLink(link));
        assertEquals("content", Files.readString(link));
        assertEquals(6, attrs(link).size(), "a symlink's size is its target's length");
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), Path.of("nowhere/at/all"));
        assertTrue(Files.exists(dangling, LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(dangling));
        assertEquals("lrwxrwxrwx", run(dir, "stat", "-c", "%A", "dangling").ok().out());
        assertEquals("ENAMETOOLONG", errnoOf("os.symlink('x' * 5000, 'long')"));
    }

    // ----------------------------------------------------------------------------------------- hard links

    @Test
    void hardLinksShareDataAndCountLinks() throws Exception {
        require(Feature.HARD_LINKS);
        Path a = Files.writeString(dir.resolve("a"), "shared");
        Files.createDirectory(dir.resolve("sub"));
        Path b = Files.createLink(dir.resolve("sub/b"), a);
        assertEquals(2, nlink(a));
        assertEquals(ino(a), ino(b));
        Files.writeString(b, "changed");
        assertEquals("changed", Files.readString(a));
        Files.delete(a);
        assertEquals(1, nlink(b));
        assertEquals("changed", Files.readString(b));
        assertEquals("EPERM", errnoOf("os.link('sub', 'dirlink')"));
        assertEquals("EEXIST", errnoOf("os.link('sub/b', 'sub/b')"));
    }

    @Test
    void anUnlinkedOpenFileLivesUntilClosed() throws Exception {
        Path f = dir.resolve("f");
        Files.writeString(f, "still here");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Files.delete(f);
            assertFalse(Files.exists(f));
            ch.write(ByteBuffer.wrap("STILL".getBytes(StandardCharsets.US_ASCII)), 0);
            ByteBuffer b = ByteBuffer.allocate(20);
            ch.read(b, 0);
            assertEquals("STILL here", new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII));
        }
    }

    // -------------------------------------------------------------------------------------- special files

    @Test
    void fifosSocketsAndDeviceNodes() throws Exception {
        require(Feature.SPECIAL_FILES);
        run(dir, "mkfifo", "fifo").ok();
        run(dir, "mknod", "null", "c", "1", "3").ok();
        run(dir, "mknod", "loop", "b", "7", "0").ok();
        py("s = socket.socket(socket.AF_UNIX); s.bind('sock'); s.close()");
        assertEquals("fifo", run(dir, "stat", "-c", "%F", "fifo").ok().out());
        assertEquals("character special file 1 3", run(dir, "stat", "-c", "%F %t %T", "null").ok().out());
        assertEquals("block special file 7 0", run(dir, "stat", "-c", "%F %t %T", "loop").ok().out());
        assertEquals("socket", run(dir, "stat", "-c", "%F", "sock").ok().out());
        // a FIFO on the mount is a real pipe (the kernel serves it)
        String out = py("""
                r = os.open('fifo', os.O_RDONLY | os.O_NONBLOCK)
                w = os.open('fifo', os.O_WRONLY)
                os.write(w, b'through the pipe')
                print(os.read(r, 100).decode())
                """);
        assertEquals("through the pipe", out);
    }

    // ------------------------------------------------------------------------------------------- tmpfile

    @Test
    void tmpfileIsInvisibleUntilLinked() throws Exception {
        require(Feature.TMPFILE);
        String out = py("""
                fd = os.open('.', os.O_TMPFILE | os.O_RDWR, 0o640)
                os.write(fd, b'anonymous')
                before = sorted(os.listdir('.'))
                n0 = os.fstat(fd).st_nlink
                linkat_empty(fd, 'named')
                print(before, n0, os.stat('named').st_nlink, open('named').read(), oct(os.stat('named').st_mode & 0o777))
                """);
        assertEquals("[] 0 1 anonymous 0o640", out);
    }

    // -------------------------------------------------------------------------------------------- rename

    @Test
    void renameReplacesAFile() throws Exception {
        Files.writeString(dir.resolve("a"), "new");
        Files.writeString(dir.resolve("b"), "old");
        long ia = ino(dir.resolve("a"));
        assertEquals("OK", errnoOf("os.rename('a', 'b')"));
        assertEquals("new", Files.readString(dir.resolve("b")));
        assertEquals(ia, ino(dir.resolve("b")));
        assertFalse(Files.exists(dir.resolve("a")));
    }

    @Test
    void renameOfDirectoriesFollowsPosix() throws Exception {
        Files.createDirectories(dir.resolve("src/inner"));
        Files.createDirectory(dir.resolve("empty"));
        Files.createDirectories(dir.resolve("full/x"));
        Files.writeString(dir.resolve("file"), "f");
        assertEquals("ENOTEMPTY", errnoOf("os.rename('src', 'full')"));
        assertEquals("ENOTDIR", errnoOf("os.rename('src', 'file')"));
        assertEquals("EISDIR", errnoOf("os.rename('file', 'empty')"));
        assertEquals("EINVAL", errnoOf("os.rename('src', 'src/inner/deeper')"));
        assertEquals("OK", errnoOf("os.rename('src', 'empty')"));
        assertTrue(Files.isDirectory(dir.resolve("empty/inner")));
        assertEquals(4, nlink(dir), "2 + the subdirectories empty and full");
    }

    @Test
    void renameMovesDirectoriesBetweenParents() throws Exception {
        Files.createDirectories(dir.resolve("p1/child"));
        Files.createDirectory(dir.resolve("p2"));
        assertEquals(3, nlink(dir.resolve("p1")));
        assertEquals(2, nlink(dir.resolve("p2")));
        Files.move(dir.resolve("p1/child"), dir.resolve("p2/child"));
        assertEquals(2, nlink(dir.resolve("p1")));
        assertEquals(3, nlink(dir.resolve("p2")));
        assertEquals(Files.readAttributes(dir.resolve("p2"), PosixFileAttributes.class).fileKey(),
                Files.readAttributes(dir.resolve("p2/child/.."), PosixFileAttributes.class).fileKey());
    }

    @Test
    void renameBetweenTwoNamesOfOneInodeDoesNothing() throws Exception {
        require(Feature.HARD_LINKS);
        Files.writeString(dir.resolve("a"), "x");
        Files.createLink(dir.resolve("b"), dir.resolve("a"));
        assertEquals("OK", errnoOf("os.rename('a', 'b')"));
        assertTrue(Files.exists(dir.resolve("a")) && Files.exists(dir.resolve("b")));
        assertEquals(2, nlink(dir.resolve("a")));
    }

    @Test
    void renameNoreplaceAndExchange() throws Exception {
        require(Feature.RENAME_FLAGS);
        Files.writeString(dir.resolve("a"), "A");
        Files.writeString(dir.resolve("b"), "B");
        Files.createDirectories(dir.resolve("d/sub"));
        assertEquals("EEXIST", errnoOf("renameat2('a', 'b', 1)"));
        assertEquals("OK", errnoOf("renameat2('a', 'c', 1)"));
        assertEquals("OK", errnoOf("renameat2('c', 'b', 2)"));
        assertEquals("B", Files.readString(dir.resolve("c")));
        assertEquals("A", Files.readString(dir.resolve("b")));
        assertEquals("ENOENT", errnoOf("renameat2('b', 'missing', 2)"));
        assertEquals("EINVAL", errnoOf("renameat2('b', 'c', 3)"));
        // exchange a file with a directory in another parent: link counts follow the directory
        assertEquals("OK", errnoOf("renameat2('b', 'd/sub', 2)"));
        assertTrue(Files.isDirectory(dir.resolve("b")));
        assertEquals("A", Files.readString(dir.resolve("d/sub")));
        assertEquals(2, nlink(dir.resolve("d")));
        assertEquals(4, nlink(dir)); // d and b
    }

    // ---------------------------------------------------------------------------- permissions and ownership

    @Test
    void chmodAndChownAsRoot() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        run(dir, "chmod", "6755", "f").ok();
        assertEquals(06755, mode(f) & 07777);
        require(Feature.CHOWN);
        run(dir, "chown", "65534:100", "f").ok();
        assertEquals(65534, uid(f));
        assertEquals(100, gid(f));
        assertEquals(00755, mode(f) & 07777, "chown clears set-uid and set-gid (Linux, also for root)");
        Path d = Files.createDirectory(dir.resolve("d"));
        run(dir, "chmod", "3777", "d").ok();
        run(dir, "chown", "65534", "d").ok();
        assertEquals(03777, mode(d) & 07777, "chown keeps the bits on directories");
    }

    @Test
    void umaskIsApplied() throws Exception {
        run(dir, "sh", "-c", "umask 027 && mkdir d && touch f && mknod p p").ok();
        assertEquals(0750, mode(dir.resolve("d")) & 07777);
        assertEquals(0640, mode(dir.resolve("f")) & 07777);
        assertEquals(0640, mode(dir.resolve("p")) & 07777);
        run(dir, "sh", "-c", "umask 0 && mkdir d2 && touch f2").ok();
        assertEquals(0777, mode(dir.resolve("d2")) & 07777);
        assertEquals(0666, mode(dir.resolve("f2")) & 07777);
    }

    @Test
    void setGidDirectoriesPassTheirGroupOn() throws Exception {
        require(Feature.CHOWN);
        Path d = Files.createDirectory(dir.resolve("shared"));
        run(dir, "chown", "0:100", "shared").ok();
        run(dir, "chmod", "2775", "shared").ok();
        Files.writeString(d.resolve("f"), "x");
        Files.createDirectory(d.resolve("sub"));
        assertEquals(100, gid(d.resolve("f")));
        assertEquals(100, gid(d.resolve("sub")));
        assertEquals(02000, mode(d.resolve("sub")) & 02000, "subdirectories inherit set-gid");
        assertEquals(0, mode(d.resolve("f")) & 02000, "files do not");
    }

    @Test
    void nobodyIsHeldToThePermissionBits() throws Exception {
        require(Feature.PERMISSIONS);
        openUp();
        Files.writeString(dir.resolve("secret"), "root only");
        chmod(dir.resolve("secret"), "rw-------");
        Files.writeString(dir.resolve("public"), "everyone");
        chmod(dir.resolve("public"), "rw-r--r--");
        assertEquals("EACCES", nobodyErrnoOf("open('secret').read()"));
        assertEquals("OK", nobodyErrnoOf("open('public').read()"));
        assertEquals("EACCES", nobodyErrnoOf("open('public', 'a').write('x')"));
        assertEquals("OK", nobodyErrnoOf("open('mine', 'w').write('x')"));
        assertEquals(65534, uid(dir.resolve("mine")));
        assertEquals("False True", pythonAsNobody(dir, "print(os.access('secret', os.R_OK), "
                + "os.access('public', os.R_OK))").ok().out());
        Path closed = Files.createDirectory(dir.resolve("closed"));
        chmod(closed, "rwxr-xr-x");
        assertEquals("EACCES", nobodyErrnoOf("open('closed/new', 'w')"));
        assertEquals("EACCES", nobodyErrnoOf("os.mkdir('closed/newdir')"));
        chmod(closed, "rwx------");
        assertEquals("EACCES", nobodyErrnoOf("os.listdir('closed')"));
        assertEquals("EACCES", nobodyErrnoOf("open('" + dir.resolve("closed") + "/x', 'w')"));
    }

    @Test
    void searchPermissionGuardsEveryWalk() throws Exception {
        require(Feature.PERMISSIONS);
        require(Feature.SEARCH_PERMISSION_ALWAYS);
        openUp();
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.writeString(locked.resolve("file"), "behind a locked door");
        chmod(locked.resolve("file"), "rw-r--r--");
        chmod(locked, "rwx------");
        // root just created and looked up the file, so the kernel may well have the names cached
        assertEquals("EACCES", nobodyErrnoOf("open('" + locked.resolve("file") + "').read()"));
    }

    @Test
    void stickyDirectoriesProtectOthersFiles() throws Exception {
        require(Feature.PERMISSIONS);
        chmod(dir, "rwxrwxrwx");
        run(dir, "chmod", "+t", ".").ok();
        Files.writeString(dir.resolve("roots"), "r");
        chmod(dir.resolve("roots"), "rw-rw-rw-");
        assertEquals("OK", nobodyErrnoOf("open('mine', 'w').close()"));
        assertEquals("EPERM", nobodyErrnoOf("os.unlink('roots')"));
        assertEquals("EPERM", nobodyErrnoOf("os.rename('roots', 'stolen')"));
        assertEquals("OK", nobodyErrnoOf("os.rename('mine', 'mine2')"));
        assertEquals("OK", nobodyErrnoOf("os.unlink('mine2')"));
        assertTrue(Files.exists(dir.resolve("roots")));
    }

    @Test
    void onlyTheOwnerChmodsAndOnlyRootGivesFilesAway() throws Exception {
        require(Feature.PERMISSIONS);
        require(Feature.CHOWN);
        openUp();
        Files.writeString(dir.resolve("roots"), "r");
        chmod(dir.resolve("roots"), "rw-rw-rw-");
        assertEquals("EPERM", nobodyErrnoOf("os.chmod('roots', 0o777)"));
        assertEquals("OK", nobodyErrnoOf("open('mine', 'w').close()"));
        assertEquals("OK", nobodyErrnoOf("os.chmod('mine', 0o600)"));
        assertEquals(0600, mode(dir.resolve("mine")) & 07777);
        assertEquals("EPERM", nobodyErrnoOf("os.chown('mine', 0, -1)"));
        assertEquals("EPERM", nobodyErrnoOf("os.chown('mine', -1, 0)"));
        assertEquals("OK", nobodyErrnoOf("os.chown('mine', 65534, -1)"));
        // a group nobody belongs to only through a supplementary group (read from /proc by the filesystem)
        assertEquals("OK", Shell.asNobody(dir, List.of("users"), Shell.PYTHON, "-c",
                Shell.PRELUDE + "print(err(lambda: os.chown('mine', -1, 100)))").ok().out());
        assertEquals(100, gid(dir.resolve("mine")));
        // chmod g+s by a non-member of the file's group drops set-gid silently
        run(dir, "chown", "65534:0", "mine").ok();
        assertEquals("OK", nobodyErrnoOf("os.chmod('mine', 0o2755)"));
        assertEquals(0755, mode(dir.resolve("mine")) & 07777);
    }

    @Test
    void supplementaryGroupsGrantGroupAccess() throws Exception {
        require(Feature.PERMISSIONS);
        require(Feature.CHOWN);
        openUp();
        Files.writeString(dir.resolve("team"), "for the users group");
        run(dir, "chown", "0:100", "team").ok();
        chmod(dir.resolve("team"), "rw-r-----");
        assertEquals("EACCES", nobodyErrnoOf("open('team').read()"));
        assertEquals("for the users group", Shell.asNobody(dir, List.of("users"), "cat", "team").ok().out());
    }

    @Test
    void writesAndTruncatesByOthersClearSetUid() throws Exception {
        require(Feature.PERMISSIONS);
        require(Feature.CHOWN);
        openUp();
        Path f = Files.writeString(dir.resolve("prog"), "#!/bin/sh\n");
        run(dir, "chown", "65534:65534", "prog").ok();
        run(dir, "chmod", "6775", "prog").ok();
        assertEquals(06775, mode(f) & 07777);
        Files.writeString(f, "# root writes keep the bits\n", StandardOpenOption.APPEND);
        assertEquals(06775, mode(f) & 07777);
        assertEquals("OK", nobodyErrnoOf("os.write(os.open('prog', os.O_WRONLY | os.O_APPEND), b'echo\\n')"));
        assertEquals(0775, mode(f) & 07777, "a write by the owner (not root) clears set-uid and set-gid");
        run(dir, "chmod", "6775", "prog").ok();
        assertEquals("OK", nobodyErrnoOf("os.truncate('prog', 3)"));
        assertEquals(0775, mode(f) & 07777, "so does a truncate");
    }

    @Test
    void fileCapabilitiesGoAwayWithAnUnprivilegedWrite() throws Exception {
        require(Feature.PERMISSIONS);
        require(Feature.XATTRS);
        openUp();
        Path f = Files.writeString(dir.resolve("tool"), "#!/bin/sh\n");
        chmod(f, "rwxrwxrwx");
        // a VFS_CAP_REVISION_2 capability set with CAP_NET_RAW permitted and effective, as setcap writes it
        py("os.setxattr('tool', 'security.capability', struct.pack('<IIIII', 0x02000001, 1 << 13, 0, 0, 0))");
        assertEquals("20", py("print(len(os.getxattr('tool', 'security.capability')))"));
        assertEquals("OK", nobodyErrnoOf("os.write(os.open('tool', os.O_WRONLY | os.O_APPEND), b'echo')"));
        assertEquals("ENODATA", errnoOf("os.getxattr('tool', 'security.capability')"));
        assertEquals("#!/bin/sh\necho", Files.readString(f));
    }

    @Test
    void timesFollowUtimensatRules() throws Exception {
        require(Feature.PERMISSIONS);
        openUp();
        Path f = Files.writeString(dir.resolve("f"), "x");
        chmod(f, "rw-rw-rw-");
        // nanosecond precision, both ways
        py("os.utime('f', ns=(1_500_000_000_123_456_789, 1_600_000_000_987_654_321))");
        assertEquals("1500000000123456789 1600000000987654321",
                py("s = os.stat('f'); print(s.st_atime_ns, s.st_mtime_ns)"));
        // touch -m: mtime given, atime UTIME_OMIT
        run(dir, "touch", "-m", "-d", "@1700000000.5", "f").ok();
        assertEquals("1500000000123456789 1700000000500000000",
                py("s = os.stat('f'); print(s.st_atime_ns, s.st_mtime_ns)"));
        // touch -a: atime UTIME_NOW, mtime UTIME_OMIT
        run(dir, "touch", "-a", "f").ok();
        String[] t = py("s = os.stat('f'); print(s.st_atime_ns, s.st_mtime_ns)").split(" ");
        assertTrue(Long.parseLong(t[0]) > 1_700_000_000_000_000_000L);
        assertEquals("1700000000500000000", t[1]);
        FileTime set = FileTime.from(Instant.parse("2020-01-02T03:04:05.123456789Z"));
        Files.setLastModifiedTime(f, set);
        assertEquals(set, Files.getLastModifiedTime(f));
        // a non-owner with write access may set both times to now, nothing else
        assertEquals("OK", nobodyErrnoOf("os.utime('f')"));
        assertEquals("EPERM", nobodyErrnoOf("os.utime('f', ns=(1, 1))"));
    }

    @Test
    void modificationAndChangeTimesMove() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        py("os.utime('f', ns=(1_000_000_000, 1_000_000_000)); os.utime('.', ns=(1_000_000_000, 1_000_000_000))");
        String before = py("s = os.stat('f'); print(s.st_ctime_ns)");
        Files.writeString(f, "more", StandardOpenOption.APPEND);
        String[] after = py("s = os.stat('f'); print(s.st_mtime_ns, s.st_ctime_ns)").split(" ");
        assertTrue(Long.parseLong(after[0]) > 1_000_000_000L, "write moves mtime");
        assertTrue(Long.parseLong(after[1]) >= Long.parseLong(before), "write moves ctime");
        long dirMtime = Long.parseLong(py("print(os.stat('.').st_mtime_ns)"));
        assertEquals(1_000_000_000L, dirMtime);
        Files.createFile(dir.resolve("g"));
        assertTrue(Long.parseLong(py("print(os.stat('.').st_mtime_ns)")) > 1_000_000_000L, "create moves dir mtime");
        py("os.utime('f', ns=(1_000_000_000, 1_000_000_000))");
        long c1 = Long.parseLong(py("print(os.stat('f').st_ctime_ns)"));
        Thread.sleep(5);
        chmod(f, "rw-------");
        long c2 = Long.parseLong(py("print(os.stat('f').st_ctime_ns)"));
        assertTrue(c2 > c1, "chmod moves ctime");
        assertEquals("1000000000", py("print(os.stat('f').st_mtime_ns)"), "chmod keeps mtime");
    }

    // ---------------------------------------------------------------------------------------------- xattrs

    @Test
    void userXattrsThroughNio() throws Exception {
        require(Feature.XATTRS);
        Path f = Files.writeString(dir.resolve("f"), "x");
        UserDefinedFileAttributeView view = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        view.write("color", ByteBuffer.wrap("blue".getBytes(StandardCharsets.UTF_8)));
        view.write("empty", ByteBuffer.allocate(0));
        assertEquals(Set.of("color", "empty"), new HashSet<>(view.list()));
        ByteBuffer b = ByteBuffer.allocate(view.size("color"));
        view.read("color", b);
        assertEquals("blue", new String(b.array(), StandardCharsets.UTF_8));
        assertEquals(0, view.size("empty"));
        view.delete("color");
        assertEquals(List.of("empty"), view.list());
        assertThrows(FileSystemException.class, () -> view.size("color"));
        Path d = Files.createDirectory(dir.resolve("d"));
        Files.getFileAttributeView(d, UserDefinedFileAttributeView.class)
                .write("on-dir", ByteBuffer.wrap(new byte[] {1}));
    }

    @Test
    void xattrFlagsLimitsAndProbing() throws Exception {
        require(Feature.XATTRS);
        Files.writeString(dir.resolve("f"), "x");
        assertEquals("ENODATA", errnoOf("os.setxattr('f', 'user.a', b'1', os.XATTR_REPLACE)"));
        assertEquals("OK", errnoOf("os.setxattr('f', 'user.a', b'1', os.XATTR_CREATE)"));
        assertEquals("EEXIST", errnoOf("os.setxattr('f', 'user.a', b'2', os.XATTR_CREATE)"));
        assertEquals("OK", errnoOf("os.setxattr('f', 'user.a', b'22', os.XATTR_REPLACE)"));
        assertEquals("b'22'", py("print(os.getxattr('f', 'user.a'))"));
        assertEquals("ERANGE", errnoOf("os.setxattr('f', 'user.' + 'n' * 251, b'1')"));
        assertEquals("OK", errnoOf("os.setxattr('f', 'user.' + 'n' * 250, b'1')"));
        assertEquals("OK", errnoOf("os.setxattr('f', 'user.big', b'v' * 65536)"));
        assertEquals("E2BIG", errnoOf("os.setxattr('f', 'user.bigger', b'v' * 65537)"));
        assertEquals("65536", py("print(len(os.getxattr('f', 'user.big')))"));
        // size probing and short buffers
        assertEquals("2", py("print(getxattr_sized('f', 'user.a', 0))"));
        assertEquals("ERANGE", errnoOf("getxattr_sized('f', 'user.a', 1)"));
        assertEquals("ENODATA", errnoOf("os.getxattr('f', 'user.none')"));
        assertEquals("ENODATA", errnoOf("os.removexattr('f', 'user.none')"));
        assertEquals("ENOTSUP", errnoOf("os.setxattr('f', 'nonsense.a', b'1')"));
        if (Shell.has("setfattr")) {
            run(dir, "setfattr", "-n", "user.tool", "-v", "from-attr-package", "f").ok();
            assertTrue(run(dir, "getfattr", "-d", "f").ok().output().contains("user.tool=\"from-attr-package\""));
        }
    }

    @Test
    void xattrNamespacesFollowLinuxRules() throws Exception {
        require(Feature.XATTRS);
        require(Feature.TRUSTED_XATTRS);
        openUp();
        Path f = Files.writeString(dir.resolve("f"), "x");
        chmod(f, "rw-rw-rw-");
        assertEquals("OK", errnoOf("os.setxattr('f', 'trusted.t', b'1')"));
        assertEquals("OK", errnoOf("os.setxattr('f', 'security.s', b'1')"));
        assertEquals("OK", errnoOf("os.setxattr('f', 'user.u', b'1')"));
        assertEquals("['security.s', 'trusted.t', 'user.u']", py("print(sorted(os.listxattr('f')))"));
        assertEquals("ENODATA", nobodyErrnoOf("os.getxattr('f', 'trusted.t')"));
        assertEquals("EPERM", nobodyErrnoOf("os.setxattr('f', 'trusted.x', b'1')"));
        assertEquals("EPERM", nobodyErrnoOf("os.setxattr('f', 'security.x', b'1')"));
        assertEquals("OK", nobodyErrnoOf("os.getxattr('f', 'security.s')"));
        assertEquals("OK", nobodyErrnoOf("os.setxattr('f', 'user.n', b'1')"));
        assertEquals("['security.s', 'user.n', 'user.u']", pythonAsNobody(dir,
                "print(sorted(os.listxattr('f')))").ok().out());
        chmod(f, "rw-r--r--");
        assertEquals("EACCES", nobodyErrnoOf("os.setxattr('f', 'user.n', b'2')"));
        Files.createSymbolicLink(dir.resolve("link"), Path.of("f"));
        assertEquals("EPERM", errnoOf("os.setxattr('link', 'user.x', b'1', follow_symlinks=False)"));
    }

    // ---------------------------------------------------------------------------------- statfs and space

    @Test
    void statfsCountsWhatIsStored() throws Exception {
        FileStore store = Files.getFileStore(dir);
        long before = store.getUnallocatedSpace();
        assertTrue(store.getTotalSpace() > 0);
        Files.write(dir.resolve("f"), random(4 << 20, 4));
        long after = store.getUnallocatedSpace();
        assertTrue(before - after >= 4 << 20, "4 MiB written, free space went from " + before + " to " + after);
        Files.delete(dir.resolve("f"));
        // through FUSE the space comes back when the kernel forgets the inode, which it does asynchronously
        long deadline = System.currentTimeMillis() + 10_000;
        while (store.getUnallocatedSpace() < before - (64 << 10) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(store.getUnallocatedSpace() >= before - (64 << 10), "space comes back after delete");
        String df = run(dir, "df", "-i", ".").ok().output();
        assertTrue(df.lines().count() == 2, df);
    }

    @Test
    void aFullFilesystemSaysEnospc() throws Exception {
        assumeTrue(sizeLimit() > 0, "no size limit declared");
        byte[] mb = random(1 << 20, 5);
        Path f = dir.resolve("filler");
        IOException full = null;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long i = 0; i <= sizeLimit() / mb.length + 1; i++) {
                ch.write(ByteBuffer.wrap(mb));
            }
        } catch (IOException e) {
            full = e;
        }
        assertTrue(full != null && String.valueOf(full.getMessage()).contains("No space left"), "got " + full);
        assertTrue(Files.size(f) <= sizeLimit());
        assertEquals("ENOSPC", errnoOf("fallocate(os.open('g', os.O_CREAT | os.O_WRONLY), 0, 0, "
                + sizeLimit() + ")"));
        Files.delete(f);
        FileStore store = Files.getFileStore(dir);
        long deadline = System.currentTimeMillis() + 10_000; // freed when the kernel forgets the inode
        while (store.getUnallocatedSpace() < 2L * mb.length && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        // Anything that still has the deleted file open (or its directory as working directory) keeps the space.
        assertTrue(store.getUnallocatedSpace() >= 2L * mb.length, "the space of the deleted file did not come back "
                + "within 10 s; processes inside the mount:\n" + dev.jfuser.examples.MountSupport.holders(root()));
        Files.write(dir.resolve("after"), mb);
        assertEquals(mb.length, Files.size(dir.resolve("after")));
    }

    // ------------------------------------------------------------------ fallocate, holes, copy_file_range

    @Test
    void fallocateModes() throws Exception {
        require(Feature.FALLOCATE);
        Files.write(dir.resolve("f"), random(3 * 4096, 6));
        String out = py("""
                fd = os.open('f', os.O_RDWR)
                fallocate(fd, 0, 0, 5 * 4096)
                a = os.fstat(fd).st_size
                fallocate(fd, 1, 0, 9 * 4096)
                b = os.fstat(fd).st_size
                fallocate(fd, 3, 4096, 4096)
                hole = os.pread(fd, 4096, 4096)
                edge = os.pread(fd, 4096, 0)
                print(a, b, hole == bytes(4096), edge != bytes(4096),
                      err(lambda: fallocate(fd, 2, 0, 10)),
                      err(lambda: fallocate(fd, 0x10, 0, 10)),
                      err(lambda: fallocate(fd, 0x08, 0, 4096)))
                """);
        assertEquals((5 * 4096) + " " + (5 * 4096) + " True True ENOTSUP ENOTSUP ENOTSUP", out);
    }

    @Test
    void seekDataAndSeekHole() throws Exception {
        require(Feature.SEEK_HOLES);
        String out = py("""
                fd = os.open('s', os.O_CREAT | os.O_RDWR, 0o644)
                os.pwrite(fd, b'x' * 100, 64 * 4096)
                os.pwrite(fd, b'y', 200 * 4096 + 5)
                os.ftruncate(fd, 300 * 4096)
                print(os.lseek(fd, 0, os.SEEK_DATA), os.lseek(fd, 0, os.SEEK_HOLE),
                      os.lseek(fd, 64 * 4096 + 7, os.SEEK_HOLE), os.lseek(fd, 65 * 4096, os.SEEK_DATA),
                      os.lseek(fd, 201 * 4096, os.SEEK_HOLE),
                      err(lambda: os.lseek(fd, 201 * 4096, os.SEEK_DATA)),
                      err(lambda: os.lseek(fd, 300 * 4096, os.SEEK_HOLE)))
                """);
        assertEquals((64 * 4096) + " 0 " + (65 * 4096) + " " + (200 * 4096) + " " + (201 * 4096) + " ENXIO ENXIO", out);
    }

    @Test
    void copyFileRangeCopiesBytes() throws Exception {
        require(Feature.COPY_FILE_RANGE);
        byte[] data = random(300_000, 7);
        Files.write(dir.resolve("src"), data);
        String out = py("""
                a = os.open('src', os.O_RDONLY)
                b = os.open('dst', os.O_CREAT | os.O_RDWR, 0o644)
                n1 = os.copy_file_range(a, b, 200_000, 0, 10)
                n2 = os.copy_file_range(a, b, 500_000, 200_000, 200_010)
                n3 = os.copy_file_range(a, b, 10, 300_000, 0)
                print(n1, n2, n3, os.fstat(b).st_size)
                """);
        assertEquals("200000 100000 0 300010", out);
        byte[] dst = Files.readAllBytes(dir.resolve("dst"));
        assertArrayEquals(new byte[10], java.util.Arrays.copyOf(dst, 10));
        assertArrayEquals(data, java.util.Arrays.copyOfRange(dst, 10, 300_010));
    }

    // ----------------------------------------------------------------------------------------------- locks

    @Test
    void posixLocksConflictAcrossProcessesAndGoAwayOnClose() throws Exception {
        require(Feature.POSIX_LOCKS);
        openUp();
        Path f = Files.writeString(dir.resolve("f"), "0123456789");
        String probe = """
                fd = os.open('f', os.O_RDWR)
                print(err(lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 4, 2)),
                      err(lambda: fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 2, 0)), end=' ')
                lk = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack('hhqqi', fcntl.F_WRLCK, 0, 0, 0, 0))
                t, w, s, l, pid = struct.unpack('hhqqi', lk)
                print(t == fcntl.F_WRLCK, s, l, pid)
                """;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock held = ch.lock(2, 4, false);
            assertTrue(held.isValid());
            assertEquals("EAGAIN OK True 2 4 " + ProcessHandle.current().pid(), py(probe));
        }
        assertEquals("OK", errnoOf("fcntl.lockf(os.open('f', os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)"));
    }

    @Test
    void blockingPosixLockWaitsForTheHolder() throws Exception {
        require(Feature.POSIX_LOCKS);
        Path f = Files.writeString(dir.resolve("f"), "x");
        Process holder = new ProcessBuilder(Shell.PYTHON, "-c", """
                import fcntl, os, sys, time
                fd = os.open('f', os.O_RDWR)
                fcntl.lockf(fd, fcntl.LOCK_EX)
                print('locked', flush=True)
                time.sleep(1.0)
                """).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            assertEquals("locked", new String(holder.getInputStream().readNBytes(6), StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
                 FileLock l = ch.lock()) {
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertTrue(waited >= 300, "the lock was granted after " + waited + " ms, while the holder lived");
                assertTrue(l.isValid());
            }
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    @Test
    void aBlockedLockWaitEndsWithASignal() throws Exception {
        require(Feature.POSIX_LOCKS);
        Path f = Files.writeString(dir.resolve("f"), "x");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileLock held = ch.lock()) {
            assertTrue(held.isValid());
            // SIGALRM interrupts the F_SETLKW in the kernel, which sends FUSE_INTERRUPT to the waiting request
            String out = py("""
                    import signal
                    class Alarm(Exception):
                        pass
                    def ring(signum, frame):
                        raise Alarm()
                    signal.signal(signal.SIGALRM, ring)
                    fd = os.open('f', os.O_RDWR)
                    signal.alarm(1)
                    start = time.time()
                    try:
                        fcntl.lockf(fd, fcntl.LOCK_EX)
                        print('locked?!')
                    except Alarm:
                        print('interrupted after %.1f s' % (time.time() - start))
                    """);
            assertTrue(out.startsWith("interrupted after "), out);
            double waited = Double.parseDouble(out.substring("interrupted after ".length(), out.length() - 2));
            assertTrue(waited >= 0.9 && waited < 10, out);
        }
        // the abandoned wait left nothing behind: the lock is free for the next process
        assertEquals("OK", errnoOf("fcntl.lockf(os.open('f', os.O_RDWR), fcntl.LOCK_EX | fcntl.LOCK_NB)"));
    }

    @Test
    void flockLocksAreExclusiveUntilClosed() throws Exception {
        require(Feature.FLOCK);
        Files.writeString(dir.resolve("f"), "x");
        String out = py("""
                a = os.open('f', os.O_RDWR)
                b = os.open('f', os.O_RDWR)
                fcntl.flock(a, fcntl.LOCK_EX)
                r1 = err(lambda: fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB))
                r2 = err(lambda: fcntl.flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB))
                fcntl.flock(a, fcntl.LOCK_SH)
                r3 = err(lambda: fcntl.flock(b, fcntl.LOCK_SH | fcntl.LOCK_NB))
                r4 = err(lambda: fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB))
                os.close(b)
                # FUSE drops a flock with the RELEASE of the last close, which the kernel sends asynchronously
                for i in range(200):
                    r5 = err(lambda: fcntl.flock(a, fcntl.LOCK_EX | fcntl.LOCK_NB))
                    if r5 == 'OK':
                        break
                    time.sleep(0.01)
                print(r1, r2, r3, r4, r5)
                """);
        assertEquals("EAGAIN EAGAIN OK EAGAIN OK", out);
        if (Shell.has("flock")) {
            // -o: the lock stays with the flock process, not with the command it runs (which would inherit it).
            // The command says when it runs, so the lock is held and the child exists before we look for it.
            Process holder = new ProcessBuilder("flock", "-o", "f", "sh", "-c", "echo locked; exec sleep 30")
                    .directory(dir.toFile()).redirectErrorStream(true).start();
            try {
                assertEquals("locked", new String(holder.getInputStream().readNBytes(6), StandardCharsets.US_ASCII));
                assertEquals(1, run(dir, "flock", "-n", "f", "true").exitCode());
            } finally {
                // The child's working directory is in the mount: it must be gone before the test ends, or the
                // unmount after the class finds the mount busy.
                List<ProcessHandle> all = new ArrayList<>(holder.descendants().toList());
                all.add(holder.toHandle());
                all.forEach(ProcessHandle::destroyForcibly);
                for (ProcessHandle p : all) {
                    p.onExit().get(30, TimeUnit.SECONDS);
                }
            }
            assertEquals(0, run(dir, "flock", "-w", "5", "f", "true").exitCode(), "released when the holder died");
        }
    }
}
