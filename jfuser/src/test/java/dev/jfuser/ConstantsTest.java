package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The helpers of the constant classes, and the per-architecture open flags. */
class ConstantsTest {
    @Test
    void accessModeAndItsPredicates() {
        assertEquals(OpenFlags.O_WRONLY, OpenFlags.accessMode(OpenFlags.O_WRONLY | OpenFlags.O_APPEND));
        assertTrue(OpenFlags.isReadable(OpenFlags.O_RDONLY | OpenFlags.O_NOATIME));
        assertFalse(OpenFlags.isWritable(OpenFlags.O_RDONLY | OpenFlags.O_TRUNC));
        assertTrue(OpenFlags.isWritable(OpenFlags.O_RDWR));
        assertTrue(OpenFlags.isReadable(OpenFlags.O_RDWR));
        assertFalse(OpenFlags.isReadable(OpenFlags.O_WRONLY));
    }

    @Test
    void accessMaskOfAnOpen() {
        assertEquals(Access.R_OK, OpenFlags.accessMask(OpenFlags.O_RDONLY));
        assertEquals(Access.W_OK, OpenFlags.accessMask(OpenFlags.O_WRONLY | OpenFlags.O_APPEND));
        assertEquals(Access.R_OK | Access.W_OK, OpenFlags.accessMask(OpenFlags.O_RDWR));
        assertEquals(Access.R_OK | Access.W_OK, OpenFlags.accessMask(OpenFlags.O_RDONLY | OpenFlags.O_TRUNC));
        assertEquals(Access.X_OK, OpenFlags.accessMask(OpenFlags.O_RDONLY | OpenFlags.FMODE_EXEC));
    }

    @Test
    void openFlagsByName() {
        assertEquals("O_WRONLY|O_APPEND", OpenFlags.toString(OpenFlags.O_WRONLY | OpenFlags.O_APPEND));
        assertEquals("O_RDONLY", OpenFlags.toString(0));
        assertEquals("O_RDWR|O_SYNC|O_LARGEFILE", OpenFlags.toString(OpenFlags.O_RDWR | OpenFlags.O_SYNC
                | OpenFlags.O_LARGEFILE));
        assertEquals("O_RDONLY|O_DSYNC", OpenFlags.toString(OpenFlags.O_DSYNC));
        assertEquals("O_RDWR|O_TMPFILE", OpenFlags.toString(OpenFlags.O_RDWR | OpenFlags.O_TMPFILE));
        assertEquals("O_RDONLY|O_DIRECTORY", OpenFlags.toString(OpenFlags.O_DIRECTORY));
        assertEquals("O_RDONLY|0100000000", OpenFlags.toString(0100000000));
    }

    @Test
    void architecturesDifferInFourOpenFlags() {
        // x86_64 uses the kernel's generic values; arm64 and powerpc have their own asm/fcntl.h.
        int[] generic = {040000, 0100000, 0200000, 0400000};
        assertArrayEquals(generic, OpenFlags.forArch("amd64"));
        assertArrayEquals(generic, OpenFlags.forArch("x86_64"));
        assertArrayEquals(generic, OpenFlags.forArch("riscv64"));
        assertArrayEquals(new int[] {0200000, 0400000, 040000, 0100000}, OpenFlags.forArch("aarch64"));
        assertArrayEquals(new int[] {0400000, 0200000, 040000, 0100000}, OpenFlags.forArch("ppc64le"));
        int[] here = {OpenFlags.O_DIRECT, OpenFlags.O_LARGEFILE, OpenFlags.O_DIRECTORY, OpenFlags.O_NOFOLLOW};
        assertArrayEquals(OpenFlags.forArch(System.getProperty("os.arch")), here);
        assertEquals(020000000 | OpenFlags.O_DIRECTORY, OpenFlags.O_TMPFILE);
        assertEquals(OpenFlags.O_DIRECTORY, dev.jfuser.posix.Posix.O_DIRECTORY, "Posix shares the values");
    }

    @Test
    void renameFlagsNotSupportedAreEinval() throws FuseException {
        RenameFlags.requireOnly(RenameFlags.RENAME_NOREPLACE, RenameFlags.RENAME_NOREPLACE);
        RenameFlags.requireOnly(0, 0);
        FuseException e = assertThrows(FuseException.class, () -> RenameFlags.requireOnly(
                RenameFlags.RENAME_EXCHANGE | RenameFlags.RENAME_NOREPLACE, RenameFlags.RENAME_NOREPLACE));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(e.getMessage().contains("RENAME_EXCHANGE"), e.getMessage());
        assertEquals("RENAME_NOREPLACE|RENAME_WHITEOUT|0x10", RenameFlags.toString(
                RenameFlags.RENAME_NOREPLACE | RenameFlags.RENAME_WHITEOUT | 0x10));
    }

    @Test
    void xattrCreateAndReplaceAsLinuxHasThem() throws FuseException {
        XattrFlags.check(0, true);
        XattrFlags.check(0, false);
        XattrFlags.check(XattrFlags.XATTR_CREATE, false);
        XattrFlags.check(XattrFlags.XATTR_REPLACE, true);
        assertEquals(Errno.EEXIST, assertThrows(FuseException.class,
                () -> XattrFlags.check(XattrFlags.XATTR_CREATE, true)).errno());
        assertEquals(Errno.ENODATA, assertThrows(FuseException.class,
                () -> XattrFlags.check(XattrFlags.XATTR_REPLACE, false)).errno());
        assertEquals(Errno.EINVAL, assertThrows(FuseException.class, () -> XattrFlags.check(4, false)).errno());
    }

    @Test
    void fallocateModesNotSupportedAreEopnotsupp() throws FuseException {
        int mine = FallocateMode.FALLOC_FL_KEEP_SIZE | FallocateMode.FALLOC_FL_PUNCH_HOLE;
        FallocateMode.requireOnly(FallocateMode.FALLOC_FL_PUNCH_HOLE | FallocateMode.FALLOC_FL_KEEP_SIZE, mine);
        FuseException e = assertThrows(FuseException.class,
                () -> FallocateMode.requireOnly(FallocateMode.FALLOC_FL_ZERO_RANGE, mine));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertTrue(e.getMessage().contains("FALLOC_FL_ZERO_RANGE"), e.getMessage());
        assertEquals("FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE", FallocateMode.toString(3));
        assertEquals("0", FallocateMode.toString(0));
    }

    @Test
    void modesReadAndBuilt() {
        int mode = Mode.of(FileType.REGULAR_FILE, 0644);
        assertEquals(0100644, mode);
        assertEquals(FileType.REGULAR_FILE, Mode.type(mode));
        assertTrue(Mode.isRegularFile(mode));
        assertFalse(Mode.isDirectory(mode));
        assertTrue(Mode.is(0120777, FileType.SYMLINK));
        assertTrue(Mode.isSymlink(0120777));
        assertEquals(0644, Mode.permissions(mode));
        assertEquals(06755, Mode.permissions(0106755));
        assertEquals("0100644", Mode.toOctal(mode));
        assertThrows(IllegalArgumentException.class, () -> Mode.of(FileType.DIRECTORY, 040755));
        assertThrows(IllegalArgumentException.class, () -> Mode.type(0644));
    }

    @Test
    void modesAsLsShowsThem() {
        assertEquals("-rw-r--r--", Mode.toString(0100644));
        assertEquals("drwxr-xr-x", Mode.toString(040755));
        assertEquals("drwxrwxrwt", Mode.toString(041777));
        assertEquals("drwxrwxrwT", Mode.toString(041776));
        assertEquals("-rwsr-sr-x", Mode.toString(0106755));
        assertEquals("-rwSr-Sr--", Mode.toString(0106644));
        assertEquals("lrwxrwxrwx", Mode.toString(0120777));
        assertEquals("crw-rw-rw-", Mode.toString(020666));
        assertEquals("brw-------", Mode.toString(060600));
        assertEquals("prw-r--r--", Mode.toString(010644));
        assertEquals("srwxr-xr-x", Mode.toString(0140755));
        assertEquals("?rw-r--r--", Mode.toString(0644));
    }

    @Test
    void accessMasksByName() {
        assertEquals("F_OK", Access.toString(Access.F_OK));
        assertEquals("R_OK|W_OK", Access.toString(Access.R_OK | Access.W_OK));
        assertEquals("X_OK|010", Access.toString(Access.X_OK | 010));
    }
}
