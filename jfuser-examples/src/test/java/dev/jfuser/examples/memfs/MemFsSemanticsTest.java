package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jfuser.DirectoryListing;
import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Opcode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * MemFs called directly on the rules a conformance suite checks: exec permission, listings under concurrent
 * renames, the atime policy and O_NOATIME, RENAME_WHITEOUT, inode flags.
 */
class MemFsSemanticsTest {
    private static final int FMODE_EXEC = 040;
    private final MemFs fs;

    MemFsSemanticsTest() throws Exception {
        fs = new MemFs(MemFs.Options.defaults().withSizeLimit(1 << 20).withRoot(0, 0, 0777));
    }

    private static Request as(int uid, int gid, int... groups) {
        return new Request(1, Opcode.LOOKUP, 1, uid, gid, 0, groups);
    }

    private static final Request ROOT = as(0, 0);
    private static final Request NOBODY = as(65534, 65534);

    private static Errno errno(Executable call) {
        return assertThrows(FuseException.class, call).errno();
    }

    private long file(long parent, String name, int perm) throws Exception {
        return fs.create(ROOT, parent, name, 0100000 | perm, 0, 2).entry().nodeId();
    }

    // ------------------------------------------------------------------------------------------------ exec

    @Test
    void theOpenOfAProgramBeingExecutedNeedsExecuteNotRead() throws Exception {
        long prog = file(1, "prog", 0711);
        long data = file(1, "data", 0644);
        fs.open(NOBODY, prog, FMODE_EXEC); // execve's open: O_RDONLY | __FMODE_EXEC
        assertEquals(Errno.EACCES, errno(() -> fs.open(NOBODY, prog, 0)), "a plain read is still refused");
        assertEquals(Errno.EACCES, errno(() -> fs.open(NOBODY, data, FMODE_EXEC)), "readable, not executable");
        fs.open(ROOT, data, 0);
        assertEquals(Errno.EACCES, errno(() -> fs.open(ROOT, data, FMODE_EXEC)), "root needs some execute bit");
    }

    // ------------------------------------------------------------------------------------------- listings

    /** One READDIR of {@code entries} 32-byte slots (names up to 8 bytes) through {@code fh}, from {@code offset}. */
    private List<String> readdir(long fh, long offset, int entries, List<Long> offsets) throws Exception {
        DirectoryListing l = new DirectoryListing(entries * 32, false);
        fs.readdir(ROOT, 1, fh, offset, l);
        return MemFsTest.names(l, offsets);
    }

    @Test
    void aListingInProgressSkipsWhatWasRenamedOrCreatedAfterItStarted() throws Exception {
        for (int i = 0; i < 10; i++) {
            file(1, "f" + i, 0644);
        }
        long fh = fs.opendir(ROOT, 1, 0).fh();
        List<Long> offsets = new ArrayList<>();
        assertEquals(List.of(".", "..", "f0", "f1"), readdir(fh, 0, 4, offsets));
        fs.rename(ROOT, 1, "f1", 1, "g1", 0); // listed already: not again under its new name
        fs.rename(ROOT, 1, "f5", 1, "g5", 0); // not listed yet: the listing misses it, as on tmpfs
        fs.rename(ROOT, 1, "f6", 1, "f7", 0); // over a name not listed yet
        fs.rename(ROOT, 1, "f0", 1, "f8", 2); // RENAME_EXCHANGE: both names bound anew
        fs.unlink(ROOT, 1, "f3");
        file(1, "new", 0644);
        List<String> rest = readdir(fh, offsets.get(3), 100, new ArrayList<>());
        assertEquals(List.of("f2", "f4", "f9"), rest);
        // rewinddir starts a new listing, which sees the directory as it is now
        List<String> again = readdir(fh, 0, 100, new ArrayList<>());
        assertEquals(List.of(".", "..", "f2", "f4", "f9", "g1", "g5", "f7", "f0", "f8", "new"), again);
        fs.releasedir(ROOT, 1, fh, 0);
    }

    @Test
    void aListingTerminatesWhileEveryEntryIsRenamedBetweenItsReads() throws Exception {
        int n = 200;
        List<String> current = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            current.add("f" + i);
            file(1, "f" + i, 0644);
        }
        long fh = fs.opendir(ROOT, 1, 0).fh();
        java.util.Set<String> seen = new java.util.HashSet<>();
        long offset = 0;
        int reads = 0;
        int generation = 0;
        while (true) {
            List<Long> offsets = new ArrayList<>();
            List<String> got = readdir(fh, offset, 1, offsets);
            if (got.isEmpty()) {
                break;
            }
            assertEquals(true, seen.add(got.get(0)), got.get(0) + " listed twice");
            offset = offsets.get(0);
            generation++;
            for (int i = 0; i < n; i++) { // every entry gets a new name before the next read
                String next = "r" + generation + "." + i;
                fs.rename(ROOT, 1, current.get(i), 1, next, 0);
                current.set(i, next);
            }
            assertEquals(true, ++reads <= n + 2, "the listing did not end after " + reads + " reads");
        }
        fs.releasedir(ROOT, 1, fh, 0);
    }

    // ----------------------------------------------------------------------------------------------- atime

    private static final int O_NOATIME = 01000000;
    private static final java.time.Instant OLD = java.time.Instant.parse("2001-01-01T00:00:00Z");

    /** A file with data whose atime, mtime and ctime are set as given; returns its node id. */
    private static long fileWithTimes(MemFs fs, java.time.Instant atime, java.time.Instant mtime,
                                      java.time.Instant ctime) throws Exception {
        long ino = fs.create(ROOT, 1, "t", 0100644, 0, 2).entry().nodeId();
        fs.write(ROOT, ino, 0, 0, ByteBuffer.wrap(new byte[] {1, 2, 3}), 0, 2, 0);
        fs.locked(() -> {
            Node n = fs.nodes.get(ino);
            n.atime = atime;
            n.mtime = mtime;
            n.ctime = ctime;
            return null;
        });
        return ino;
    }

    private static java.time.Instant atime(MemFs fs, long ino) {
        return fs.locked(() -> fs.nodes.get(ino).atime);
    }

    private static MemFs with(AtimePolicy policy) throws Exception {
        return new MemFs(MemFs.Options.defaults().withSizeLimit(1 << 20).withAtimePolicy(policy));
    }

    @Test
    void relatimeMovesAtimeOnlyWhenNotAfterMtimeOrCtimeOrADayOld() throws Exception {
        assertEquals(AtimePolicy.RELATIME, MemFs.Options.defaults().atimePolicy(), "Linux's default");
        java.time.Instant now = java.time.Instant.now();
        java.time.Instant recent = now.minusSeconds(60);
        // atime after mtime and ctime, an hour old: stays
        MemFs fs = with(AtimePolicy.RELATIME);
        long ino = fileWithTimes(fs, recent, recent.minusSeconds(10), recent.minusSeconds(10));
        fs.read(ROOT, ino, 0, 0, 10, 0, 0);
        assertEquals(recent, atime(fs, ino));
        // atime equal to mtime: moves
        fs = with(AtimePolicy.RELATIME);
        ino = fileWithTimes(fs, recent, recent, recent.minusSeconds(10));
        fs.read(ROOT, ino, 0, 0, 10, 0, 0);
        assertEquals(true, atime(fs, ino).isAfter(recent));
        // atime before ctime: moves
        fs = with(AtimePolicy.RELATIME);
        ino = fileWithTimes(fs, recent, recent.minusSeconds(10), now);
        fs.read(ROOT, ino, 0, 0, 10, 0, 0);
        assertEquals(true, atime(fs, ino).isAfter(recent));
        // after both, but a day old: moves
        fs = with(AtimePolicy.RELATIME);
        java.time.Instant dayOld = now.minus(java.time.Duration.ofDays(1)).minusSeconds(1);
        ino = fileWithTimes(fs, dayOld, OLD, OLD);
        fs.read(ROOT, ino, 0, 0, 10, 0, 0);
        assertEquals(true, atime(fs, ino).isAfter(dayOld));
    }

    @Test
    void strictatimeMovesAtimeOnEveryAccessAndNoatimeNever() throws Exception {
        java.time.Instant recent = java.time.Instant.now().minusSeconds(60);
        MemFs strict = with(AtimePolicy.STRICT);
        long ino = fileWithTimes(strict, recent, OLD, OLD);
        strict.read(ROOT, ino, 0, 0, 10, 0, 0);
        assertEquals(true, atime(strict, ino).isAfter(recent), "strictatime: a read moves atime");
        MemFs never = with(AtimePolicy.NOATIME);
        long f = fileWithTimes(never, OLD, recent, recent);
        never.read(ROOT, f, 0, 0, 10, 0, 0);
        assertEquals(OLD, atime(never, f), "noatime: a read leaves it");
        long dir = never.mkdir(ROOT, 1, "d", 0755, 0).nodeId();
        never.locked(() -> never.nodes.get(dir).atime = OLD);
        long fh = never.opendir(ROOT, dir, 0).fh();
        never.readdir(ROOT, dir, fh, 0, new DirectoryListing(4096, false));
        assertEquals(OLD, atime(never, dir), "noatime: a listing leaves it");
        // explicit times still apply
        never.setattr(ROOT, f, new SetAttr(null, null, null, null, recent, false, null, false, null, null, null,
                false));
        assertEquals(recent, atime(never, f));
    }

    @Test
    void aReadWithONoatimeLeavesAtimeUnderEveryPolicy() throws Exception {
        for (AtimePolicy policy : AtimePolicy.values()) {
            MemFs fs = with(policy);
            long ino = fileWithTimes(fs, OLD, OLD, OLD); // would move under STRICT and RELATIME
            fs.read(ROOT, ino, 0, 0, 10, O_NOATIME, 0);
            assertEquals(OLD, atime(fs, ino), policy + ": read with O_NOATIME");
            long dir = fs.mkdir(ROOT, 1, "d", 0755, 0).nodeId();
            fs.locked(() -> fs.nodes.get(dir).atime = OLD);
            long fh = fs.opendir(ROOT, dir, O_NOATIME).fh();
            fs.readdir(ROOT, dir, fh, 0, new DirectoryListing(4096, false));
            assertEquals(OLD, atime(fs, dir), policy + ": listing through an O_NOATIME handle");
            fs.read(ROOT, ino, 0, 0, 10, 0, 0);
            assertEquals(policy != AtimePolicy.NOATIME, !atime(fs, ino).equals(OLD), policy + ": plain read");
        }
    }

    // ---------------------------------------------------------------------------------------------- whiteout

    @Test
    void renameWhiteoutPutsACharacterDevice00AtTheOldName() throws Exception {
        long a = file(1, "a", 0644);
        fs.rename(ROOT, 1, "a", 1, "b", 4);
        dev.jfuser.Entry w = fs.lookup(ROOT, 1, "a");
        assertEquals(dev.jfuser.FileType.CHAR_DEVICE, w.attr().type());
        assertEquals(0, w.attr().perm());
        assertEquals(0, w.attr().rdev());
        assertEquals(a, fs.lookup(ROOT, 1, "b").nodeId());
        assertEquals(Errno.EINVAL, errno(() -> fs.rename(ROOT, 1, "b", 1, "a", 4 | 2)), "not with RENAME_EXCHANGE");
        MemFs full = new MemFs(MemFs.Options.defaults().withSizeLimit(1 << 20).withMaxInodes(2));
        full.create(ROOT, 1, "x", 0100644, 0, 2);
        assertEquals(Errno.ENOSPC, assertThrows(FuseException.class,
                () -> full.rename(ROOT, 1, "x", 1, "y", 4)).errno(), "no inode for the whiteout");
        assertEquals(0, full.lookup(ROOT, 1, "y").nodeId(), "nothing renamed");
        assertEquals(true, full.lookup(ROOT, 1, "x").nodeId() != 0);
    }
}
