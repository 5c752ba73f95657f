package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
 */
public abstract class FilesystemContract {
    /** For subclasses. */
    protected FilesystemContract() {
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
        FsClient c = client();
        c.writeFile(dir + "/sparse", new byte[0]);
        c.writeAt(dir + "/sparse", 100_000, bytes("end"));
        assertEquals(100_003, c.stat(dir + "/sparse").size());
        assertArrayEquals(new byte[50], c.readAt(dir + "/sparse", 40_000, 50));
        assertArrayEquals(bytes("end"), c.readAt(dir + "/sparse", 100_000, 10));
    }

    @Test
    void truncateShrinksAndGrowsWithZeros() throws Exception {
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
        FsClient c = client();
        c.mkdir(dir + "/src", 0755);
        c.writeFile(dir + "/src/f", new byte[0]);
        c.mkdir(dir + "/dst", 0755);
        c.rename(dir + "/src", dir + "/dst");
        assertEquals(List.of("f"), c.list(dir + "/dst"));
    }

    @Test
    void renameOverANonEmptyDirectoryIsEnotempty() throws Exception {
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
        FsClient c = client();
        c.symlink("some/where", dir + "/l");
        assertEquals("some/where", c.readlink(dir + "/l"));
        assertEquals(FileType.SYMLINK, c.stat(dir + "/l").type());
    }

    @Test
    void hardLinksShareDataAndCountLinks() throws Exception {
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
        client().writeFile(dir + "/f", new byte[0]);
        client().chmod(dir + "/f", 0640);
        assertEquals(0640, client().stat(dir + "/f").perm());
    }

    @Test
    void extendedAttributesRoundTrip() throws Exception {
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
    void namesLongerThan255BytesAreEnametoolong() throws Exception {
        String ok = "n".repeat(255);
        client().writeFile(dir + "/" + ok, new byte[0]);
        assertTrue(client().exists(dir + "/" + ok));
        assertErrno(Errno.ENAMETOOLONG, () -> client().writeFile(dir + "/" + "n".repeat(256), new byte[0]));
    }
}
