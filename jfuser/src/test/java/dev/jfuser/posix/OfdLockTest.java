package dev.jfuser.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Errno;
import dev.jfuser.FileLock;
import dev.jfuser.FuseException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Open-file-description locks: per open file description, against each other and against classic locks. */
class OfdLockTest {
    private static final long MAX = Long.MAX_VALUE;

    @Test
    void twoOpenFileDescriptionsOfOneProcessConflictAndOneMergesAndSplits(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "0123456789");
        try (Fd a = Posix.open(f, Posix.O_RDWR); Fd b = Posix.open(f, Posix.O_RDWR)) {
            assertTrue(Posix.ofdSetLock(a, FileLock.F_WRLCK, 2, 5));
            assertTrue(Posix.ofdSetLock(a, FileLock.F_WRLCK, 0, 7)); // the same description: merged
            assertTrue(Posix.ofdSetLock(a, FileLock.F_UNLCK, 0, 1)); // and split
            assertFalse(Posix.ofdSetLock(b, FileLock.F_RDLCK, 3, 3));
            assertTrue(Posix.ofdSetLock(b, FileLock.F_WRLCK, 8, MAX));
            assertEquals(new FileLock(2, 7, FileLock.F_WRLCK, -1), Posix.ofdGetLock(b, FileLock.F_RDLCK, 0, 7));
            assertEquals(new FileLock(8, MAX, FileLock.F_WRLCK, -1), Posix.ofdGetLock(a, FileLock.F_RDLCK, 0, MAX));
            assertEquals(FileLock.unlocked(), Posix.ofdGetLock(a, FileLock.F_WRLCK, 0, 7), "its own locks");
            assertTrue(Posix.ofdSetLock(a, FileLock.F_UNLCK, 0, MAX));
            assertEquals(FileLock.unlocked(), Posix.ofdGetLock(b, FileLock.F_WRLCK, 0, MAX));
        }
    }

    @Test
    void aClassicLockOfThisProcessConflictsAndIsReportedWithItsPid(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "0123456789");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE);
             var held = ch.lock(4, 2, true);
             Fd a = Posix.open(f, Posix.O_RDWR)) {
            assertTrue(held.isValid());
            assertFalse(Posix.ofdSetLock(a, FileLock.F_WRLCK, 0, MAX));
            assertTrue(Posix.ofdSetLock(a, FileLock.F_RDLCK, 0, MAX), "read locks share");
            assertEquals(new FileLock(4, 5, FileLock.F_RDLCK, (int) ProcessHandle.current().pid()),
                    Posix.ofdGetLock(a, FileLock.F_WRLCK, 0, MAX));
        }
    }

    @Test
    void aWriteLockNeedsADescriptorOpenForWritingAndARangeNeedsAnOrder(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "x");
        try (Fd r = Posix.open(f, Posix.O_RDONLY)) {
            FuseException e = assertThrows(FuseException.class, () -> Posix.ofdSetLock(r, FileLock.F_WRLCK, 0, 0));
            assertEquals(Errno.EBADF, e.errno());
            e = assertThrows(FuseException.class, () -> Posix.ofdSetLock(r, FileLock.F_RDLCK, 5, 4));
            assertEquals(Errno.EINVAL, e.errno());
        }
    }
}
