package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
import dev.jfuser.Mode;
import dev.jfuser.RenameFlags;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.function.Executable;

/**
 * The behaviour every writable POSIX-like filesystem owes its users, as one reusable JUnit 5 suite.
 *
 * <p>Extend it and provide an {@link FsClient}: {@link FsClient#of(FakeKernel)} runs the suite in memory without
 * root, {@link FsClient#mounted(java.nio.file.Path)} runs it against a real mount (e.g. from
 * {@link FuseMountExtension}). A correct filesystem passes both ways with the same verdict. Each test works in its
 * own fresh directory, so one filesystem instance can serve the whole class.
 *
 * <p>A filesystem without some optional behaviour (hard links, symlinks, xattrs, device nodes, …) says so by
 * overriding {@link #unsupported()}; the tests that need it are then skipped, each with a JUnit assumption naming
 * the missing {@link Feature}, so the report shows what was not checked:
 *
 * <pre>{@code
 * class MyFsContractTest extends FilesystemContract {
 *     private static final FakeKernel KERNEL = start(new MyFs());
 *
 *     @Override
 *     protected FsClient client() {
 *         return FsClient.of(KERNEL);
 *     }
 *
 *     @Override
 *     protected Set<Feature> unsupported() {
 *         return EnumSet.of(Feature.HARD_LINKS, Feature.DEVICES);
 *     }
 * }
 * }</pre>
 */
public abstract class FilesystemContract {
    /** For subclasses. */
    protected FilesystemContract() {
    }

    /** Optional behaviours a filesystem may lack; see {@link #unsupported()}. */
    public enum Feature {
        /** {@code link(2)}: several names for one inode, with a link count. */
        HARD_LINKS,
        /** {@code symlink(2)} and {@code readlink(2)}. */
        SYMLINKS,
        /** Extended attributes in the {@code user.} namespace. */
        XATTRS,
        /** {@code chmod(2)}: permission bits that can be changed and are reported back. */
        PERMISSIONS,
        /**
         * Character and block device nodes from {@code mknod(2)}. Through a real mount the kernel lets only a caller
         * with CAP_MKNOD (root) make them, so there the test is skipped, saying so, for anyone else.
         */
        DEVICES,
        /** FIFOs (named pipes) from {@code mknod(2)}. */
        FIFOS,
        /** {@code renameat2(2)} with {@code RENAME_NOREPLACE}. */
        RENAME_NOREPLACE,
        /** {@code renameat2(2)} with {@code RENAME_EXCHANGE}. */
        RENAME_EXCHANGE,
        /**
         * Writes at any offset of an existing file and truncation to any size (an object store writes whole
         * objects, sequentially).
         */
        RANDOM_WRITES,
        /** {@code rename(2)} of a directory (an object store has no single call that renames a key prefix). */
        DIRECTORY_RENAME
    }

    /**
     * The optional behaviours the filesystem under test lacks: the tests that need them are skipped, each saying
     * which feature it lacks. The default is none: every test runs.
     *
     * @return the features to leave unchecked
     */
    protected Set<Feature> unsupported() {
        return EnumSet.noneOf(Feature.class);
    }

    /**
     * Skips the calling test, by a JUnit assumption naming the feature, if the filesystem lacks {@code feature}.
     *
     * @param feature what the test needs
     */
    protected final void requires(Feature feature) {
        assumeFalse(unsupported().contains(feature), () -> getClass().getSimpleName() + " declares " + feature
                + " unsupported (unsupported()); the test needing it is skipped");
    }

    /**
     * The client the suite drives.
     *
     * @return a client over the filesystem under test, the same one for every test of the class
     */
    protected abstract FsClient client();

    /** The test's own directory, created fresh before each test. */
    protected String dir;

    @BeforeEach
    void freshDirectory(TestInfo info) throws FuseException {
        dir = "/" + info.getTestMethod().map(m -> m.getName()).orElse("test") + "-" + System.nanoTime();
        client().mkdir(dir, 0755);
    }

    private static void assertErrno(Errno expected, Executable call) {
        FuseException e = assertThrows(FuseException.class, call);
        assertEquals(expected, e.errno(), e.getMessage());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void writtenBytesReadBack() throws Exception {
        FsClient c = client();
        c.writeFile(dir + "/a", bytes("hello, world"));
        assertArrayEquals(bytes("hello, world"), c.readFile(dir + "/a"));
        FileAttr a = c.stat(dir + "/a");
        assertEquals(FileType.REGULAR_FILE, a.type());
        assertEquals(12, a.size());
        c.writeFile(dir + "/a", bytes("short"));
        assertArrayEquals(bytes("short"), c.readFile(dir + "/a"), "rewriting truncates");
    }

    @Test
    void largeFilesSurviveIntact() throws Exception {
        byte[] data = new byte[5 * 1024 * 1024 + 3];
        new Random(42).nextBytes(data);
        client().writeFile(dir + "/big", data);
        assertArrayEquals(data, client().readFile(dir + "/big"));
        assertArrayEquals(java.util.Arrays.copyOfRange(data, 1_000_000, 1_004_096),
                client().readAt(dir + "/big", 1_000_000, 4096));
    }

    @Test
    void writesPastTheEndLeaveAHoleOfZeros() throws Exception {
        requires(Feature.RANDOM_WRITES);
        FsClient c = client();
        c.writeFile(dir + "/sparse", new byte[0]);
        c.writeAt(dir + "/sparse", 100_000, bytes("end"));
        assertEquals(100_003, c.stat(dir + "/sparse").size());
        assertArrayEquals(new byte[50], c.readAt(dir + "/sparse", 40_000, 50));
        assertArrayEquals(bytes("end"), c.readAt(dir + "/sparse", 100_000, 10));
    }

    @Test
    void truncateShrinksAndGrowsWithZeros() throws Exception {
        requires(Feature.RANDOM_WRITES);
        FsClient c = client();
        c.writeFile(dir + "/t", bytes("0123456789"));
        c.truncate(dir + "/t", 4);
        assertArrayEquals(bytes("0123"), c.readFile(dir + "/t"));
        c.truncate(dir + "/t", 8);
        assertArrayEquals(new byte[] {'0', '1', '2', '3', 0, 0, 0, 0}, c.readFile(dir + "/t"));
    }

    @Test
    void directoriesListTheirEntries() throws Exception {
        FsClient c = client();
        c.mkdir(dir + "/sub", 0755);
        c.writeFile(dir + "/sub/x", new byte[0]);
        c.writeFile(dir + "/y", new byte[0]);
        assertEquals(Set.of("sub", "y"), new HashSet<>(c.list(dir)));
        assertEquals(List.of("x"), c.list(dir + "/sub"));
        assertEquals(FileType.DIRECTORY, c.stat(dir + "/sub").type());
    }

    @Test
    void aLargeDirectoryListsEveryEntryOnce() throws Exception {
        FsClient c = client();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            names.add("entry-with-a-longish-name-" + i);
            c.writeFile(dir + "/" + names.get(i), new byte[0]);
        }
        List<String> listed = c.list(dir);
        assertEquals(names.size(), listed.size(), "no duplicates, none missing");
        assertEquals(new HashSet<>(names), new HashSet<>(listed));
    }

    @Test
    void mkdirOverAnExistingNameIsEexist() throws Exception {
        client().mkdir(dir + "/d", 0755);
        assertErrno(Errno.EEXIST, () -> client().mkdir(dir + "/d", 0755));
    }

    @Test
    void rmdirOfANonEmptyDirectoryIsEnotempty() throws Exception {
        client().mkdir(dir + "/d", 0755);
        client().writeFile(dir + "/d/f", new byte[0]);
        assertErrno(Errno.ENOTEMPTY, () -> client().rmdir(dir + "/d"));
        client().unlink(dir + "/d/f");
        client().rmdir(dir + "/d");
        assertFalse(client().exists(dir + "/d"));
    }

    @Test
    void missingNamesAreEnoent() {
        assertErrno(Errno.ENOENT, () -> client().stat(dir + "/nothing"));
        assertErrno(Errno.ENOENT, () -> client().unlink(dir + "/nothing"));
        assertErrno(Errno.ENOENT, () -> client().readFile(dir + "/nothing"));
        assertErrno(Errno.ENOENT, () -> client().rmdir(dir + "/nothing"));
    }

    @Test
    void fileAndDirectoryOperationsDoNotMix() throws Exception {
        FsClient c = client();
        c.mkdir(dir + "/d", 0755);
        c.writeFile(dir + "/f", new byte[0]);
        assertErrno(Errno.EISDIR, () -> c.unlink(dir + "/d"));
        assertErrno(Errno.ENOTDIR, () -> c.rmdir(dir + "/f"));
        assertErrno(Errno.ENOTDIR, () -> c.stat(dir + "/f/below"));
    }

    @Test
    void renameMovesAndReplaces() throws Exception {
        FsClient c = client();
        c.writeFile(dir + "/a", bytes("A"));
        c.writeFile(dir + "/b", bytes("B"));
        c.rename(dir + "/a", dir + "/b");
        assertFalse(c.exists(dir + "/a"));
        assertArrayEquals(bytes("A"), c.readFile(dir + "/b"));
        c.mkdir(dir + "/sub", 0755);
        c.rename(dir + "/b", dir + "/sub/moved");
        assertArrayEquals(bytes("A"), c.readFile(dir + "/sub/moved"));
    }

    @Test
    void renameOfADirectoryOverAnEmptyOneReplacesIt() throws Exception {
        requires(Feature.DIRECTORY_RENAME);
        FsClient c = client();
        c.mkdir(dir + "/src", 0755);
        c.writeFile(dir + "/src/f", new byte[0]);
        c.mkdir(dir + "/dst", 0755);
        c.rename(dir + "/src", dir + "/dst");
        assertEquals(List.of("f"), c.list(dir + "/dst"));
    }

    @Test
    void renameOverANonEmptyDirectoryIsEnotempty() throws Exception {
        requires(Feature.DIRECTORY_RENAME);
        FsClient c = client();
        c.mkdir(dir + "/src", 0755);
        c.mkdir(dir + "/dst", 0755);
        c.writeFile(dir + "/dst/f", new byte[0]);
        assertErrno(Errno.ENOTEMPTY, () -> c.rename(dir + "/src", dir + "/dst"));
    }

    @Test
    void renameOfADirectoryIntoItselfIsEinval() throws Exception {
        FsClient c = client();
        c.mkdir(dir + "/d", 0755);
        c.mkdir(dir + "/d/inner", 0755);
        assertErrno(Errno.EINVAL, () -> c.rename(dir + "/d", dir + "/d/inner/d"));
    }

    @Test
    void symlinksPointAtTheirTarget() throws Exception {
        requires(Feature.SYMLINKS);
        FsClient c = client();
        c.symlink("some/where", dir + "/l");
        assertEquals("some/where", c.readlink(dir + "/l"));
        assertEquals(FileType.SYMLINK, c.stat(dir + "/l").type());
    }

    @Test
    void hardLinksShareDataAndCountLinks() throws Exception {
        requires(Feature.HARD_LINKS);
        FsClient c = client();
        c.writeFile(dir + "/one", bytes("shared"));
        c.link(dir + "/one", dir + "/two");
        assertEquals(2, c.stat(dir + "/one").nlink());
        assertEquals(c.stat(dir + "/one").ino(), c.stat(dir + "/two").ino());
        c.writeAt(dir + "/two", 0, bytes("SH"));
        assertArrayEquals(bytes("SHared"), c.readFile(dir + "/one"));
        c.unlink(dir + "/one");
        assertEquals(1, c.stat(dir + "/two").nlink());
        assertArrayEquals(bytes("SHared"), c.readFile(dir + "/two"));
    }

    @Test
    void chmodChangesPermissionBits() throws Exception {
        requires(Feature.PERMISSIONS);
        client().writeFile(dir + "/f", new byte[0]);
        client().chmod(dir + "/f", 0640);
        assertEquals(0640, client().stat(dir + "/f").perm());
    }

    @Test
    void extendedAttributesRoundTrip() throws Exception {
        requires(Feature.XATTRS);
        FsClient c = client();
        c.writeFile(dir + "/f", new byte[0]);
        c.setxattr(dir + "/f", "user.color", bytes("blue"));
        c.setxattr(dir + "/f", "user.empty", new byte[0]);
        assertArrayEquals(bytes("blue"), c.getxattr(dir + "/f", "user.color"));
        assertArrayEquals(new byte[0], c.getxattr(dir + "/f", "user.empty"));
        assertEquals(Set.of("user.color", "user.empty"), new HashSet<>(c.listxattr(dir + "/f")));
        c.removexattr(dir + "/f", "user.color");
        assertErrno(Errno.ENODATA, () -> c.getxattr(dir + "/f", "user.color"));
        assertErrno(Errno.ENODATA, () -> c.removexattr(dir + "/f", "user.color"));
    }

    @Test
    void fifosAreCreatedByMknod() throws Exception {
        requires(Feature.FIFOS);
        client().mknod(dir + "/fifo", Mode.S_IFIFO | 0640, 0);
        FileAttr a = client().stat(dir + "/fifo");
        assertEquals(FileType.FIFO, a.type());
        assertEquals(0640, a.perm());
        assertTrue(client().list(dir).contains("fifo"));
    }

    @Test
    void deviceNodesKeepTheirNumbers() throws Exception {
        requires(Feature.DEVICES);
        assumeTrue(!(client() instanceof MountedClient) || MountedClient.mayMakeDevices(),
                "device nodes through a real mount need CAP_MKNOD (root), which this process lacks");
        int rdev = 1 << 8 | 3; // 1:3, /dev/null's numbers, in the kernel's encoding
        client().mknod(dir + "/null", Mode.S_IFCHR | 0666, rdev);
        client().mknod(dir + "/blk", Mode.S_IFBLK | 0600, 7 << 8 | 1);
        FileAttr c = client().stat(dir + "/null");
        assertEquals(FileType.CHAR_DEVICE, c.type());
        assertEquals(rdev, c.rdev());
        FileAttr b = client().stat(dir + "/blk");
        assertEquals(FileType.BLOCK_DEVICE, b.type());
        assertEquals(7 << 8 | 1, b.rdev());
    }

    @Test
    void renameNoreplaceRefusesAnExistingTarget() throws Exception {
        requires(Feature.RENAME_NOREPLACE);
        FsClient c = client();
        c.writeFile(dir + "/a", bytes("A"));
        c.writeFile(dir + "/b", bytes("B"));
        assertErrno(Errno.EEXIST, () -> c.rename(dir + "/a", dir + "/b", RenameFlags.RENAME_NOREPLACE));
        assertArrayEquals(bytes("B"), c.readFile(dir + "/b"), "the target is untouched");
        c.rename(dir + "/a", dir + "/c", RenameFlags.RENAME_NOREPLACE);
        assertFalse(c.exists(dir + "/a"));
        assertArrayEquals(bytes("A"), c.readFile(dir + "/c"));
    }

    @Test
    void renameExchangeSwapsTwoNames() throws Exception {
        requires(Feature.RENAME_EXCHANGE);
        FsClient c = client();
        c.writeFile(dir + "/f", bytes("file"));
        c.mkdir(dir + "/d", 0755);
        c.writeFile(dir + "/d/inside", new byte[0]);
        c.rename(dir + "/f", dir + "/d", RenameFlags.RENAME_EXCHANGE);
        assertEquals(FileType.DIRECTORY, c.stat(dir + "/f").type());
        assertEquals(List.of("inside"), c.list(dir + "/f"));
        assertArrayEquals(bytes("file"), c.readFile(dir + "/d"));
        assertErrno(Errno.ENOENT, () -> c.rename(dir + "/f", dir + "/missing", RenameFlags.RENAME_EXCHANGE));
    }

    @Test
    void namesLongerThan255BytesAreEnametoolong() throws Exception {
        String ok = "n".repeat(255);
        client().writeFile(dir + "/" + ok, new byte[0]);
        assertTrue(client().exists(dir + "/" + ok));
        assertErrno(Errno.ENAMETOOLONG, () -> client().writeFile(dir + "/" + "n".repeat(256), new byte[0]));
    }
}
