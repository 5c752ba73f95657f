package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.CreateReply;
import dev.jfuser.Errno;
import dev.jfuser.FsStats;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.protocol.Opcode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What memfs charges against its size limit (data in whole pages, inodes, entries, xattrs, symlink targets), that
 * statfs says the same, that everything comes back when it is removed, and the xattr store's bookkeeping.
 */
class MemFsStorageTest {
    private static final Request ROOT = new Request(1, Opcode.LOOKUP, 1, 0, 0, 0, new int[0]);
    private static final int XATTR_CREATE = 1;
    private static final int XATTR_REPLACE = 2;

    private static Errno errno(Executable call) {
        return assertThrows(FuseException.class, call).errno();
    }

    private static MemFs memfs(long size) throws Exception {
        return new MemFs(MemFs.Options.defaults().withSizeLimit(size).withRoot(0, 0, 0777));
    }

    /** The charge recomputed from the tree: what {@code fs.used} must always equal. */
    private static long recount(MemFs fs) {
        return fs.locked(() -> fs.nodes.values().stream().mapToLong(Node::charge).sum());
    }

    private static long freeBytes(MemFs fs) {
        FsStats s = fs.statfs(ROOT, 1);
        return s.bfree() * s.bsize();
    }

    @Test
    void xattrValuesAndNamesCountAgainstTheSizeLimit() throws Exception {
        MemFs fs = memfs(1 << 20);
        long f = fs.create(ROOT, 1, "f", 0100644, 0, 2).entry().nodeId();
        long freeBefore = freeBytes(fs);
        byte[] value = new byte[65536];
        int stored = 0;
        FuseException full = null;
        try {
            for (; stored < 1000; stored++) {
                fs.setxattr(ROOT, f, "user.x" + stored, value, 0, 0);
            }
        } catch (FuseException e) {
            full = e;
        }
        assertTrue(full != null && full.errno() == Errno.ENOSPC, "1 MiB held " + stored + " xattrs of 64 KiB");
        assertEquals(15, stored, "1 MiB less the inodes holds 15 values of 64 KiB");
        assertEquals(fs.used, recount(fs));
        assertTrue(freeBefore - freeBytes(fs) >= 15L * 65536, "statfs sees the xattrs: free went from "
                + freeBefore + " to " + freeBytes(fs));
        // and no more data fits than the xattrs leave: a short write of the whole pages left
        long pagesLeft = fs.statfs(ROOT, 1).bfree();
        assertTrue(pagesLeft < 16);
        assertEquals(pagesLeft * 4096, fs.write(ROOT, f, 2, 0, ByteBuffer.wrap(new byte[65536]), 0, 2, 0));
        fs.setattr(ROOT, f, new dev.jfuser.SetAttr(null, null, null, 0L, null, false, null, false, null, null, null,
                false));
        // a replacement charges the difference only; removing gives everything back
        fs.setxattr(ROOT, f, "user.x0", new byte[10], XATTR_REPLACE, 0);
        fs.setxattr(ROOT, f, "user.x0", value, XATTR_REPLACE, 0);
        for (int i = 0; i < stored; i++) {
            fs.removexattr(ROOT, f, "user.x" + i);
        }
        assertEquals(freeBefore, freeBytes(fs));
        assertEquals(fs.used, recount(fs));
    }

    @Test
    void namesSymlinksAndInodesAreChargedAndStatfsAgrees() throws Exception {
        MemFs fs = memfs(1 << 20);
        long empty = fs.used;
        assertEquals(Node.INODE_COST, empty, "the root directory");
        fs.mkdir(ROOT, 1, "d", 040755, 0);
        long name = "n".repeat(200).length();
        fs.symlink(ROOT, 1, "s", "t".repeat(4000));
        assertEquals(empty + 2 * Node.INODE_COST + 2 * Node.ENTRY_COST + 2 + 4000, fs.used);
        long f = fs.create(ROOT, 1, "f", 0100644, 0, 2).entry().nodeId();
        fs.link(ROOT, f, 1, "n".repeat(200));
        assertEquals(empty + 3 * Node.INODE_COST + 4 * Node.ENTRY_COST + 3 + name + 4000, fs.used);
        assertEquals(fs.used, recount(fs));
        FsStats s = fs.statfs(ROOT, 1);
        assertEquals((fs.options().sizeLimit() - fs.used) / 4096, s.bfree(), "statfs counts the same bytes");
        // names alone fill a memfs: creating stops with ENOSPC, which statfs predicted
        FuseException full = null;
        int made = 0;
        try {
            for (; made < 100_000; made++) {
                fs.mknod(ROOT, 1, "file-with-a-longish-name-" + made, 0100644, 0, 0);
            }
        } catch (FuseException e) {
            full = e;
        }
        assertTrue(full != null && full.errno() == Errno.ENOSPC, "made " + made);
        assertTrue(made > 1000 && made < 4000, "1 MiB holds " + made + " empty files");
        assertTrue(fs.statfs(ROOT, 1).bfree() == 0, "statfs says full");
        // take the last bytes with an xattr: then a rename to a longer name fails whole, to a shorter one works
        long left = fs.options().sizeLimit() - fs.used;
        fs.setxattr(ROOT, 1, "user.rest", new byte[(int) (left - Node.XATTR_COST - 9)], 0, 0);
        assertEquals(fs.options().sizeLimit(), fs.used);
        assertEquals(Errno.ENOSPC, errno(() -> fs.rename(ROOT, 1, "file-with-a-longish-name-0", 1,
                "x".repeat(255), 0)));
        fs.rename(ROOT, 1, "file-with-a-longish-name-0", 1, "short", 0);
        assertEquals(fs.options().sizeLimit() - 21, fs.used);
        assertEquals(fs.used, recount(fs));
    }

    @Test
    void aFillDeleteCycleGivesEveryByteAndTheHeapBack() throws Exception {
        MemFs fs = memfs(96L << 20);
        long empty = fs.used;
        long heapBefore = heapUsedAfterGc();
        for (int cycle = 0; cycle < 3; cycle++) {
            List<long[]> files = new ArrayList<>();
            byte[] mib = new byte[1 << 20];
            java.util.Arrays.fill(mib, (byte) (cycle + 1));
            for (int i = 0; i < 64; i++) {
                CreateReply c = fs.create(ROOT, 1, "f" + i, 0100644, 0, 2);
                long node = c.entry().nodeId();
                long fh = c.open().fh();
                assertEquals(mib.length, fs.write(ROOT, node, fh, 0, ByteBuffer.wrap(mib), 0, 2, 0));
                fs.setxattr(ROOT, node, "user.k", new byte[1000], 0, 0);
                fs.link(ROOT, node, 1, "link" + i);
                files.add(new long[] {node, fh});
            }
            fs.symlink(ROOT, 1, "sym", "f0");
            fs.mkdir(ROOT, 1, "dir", 040755, 0);
            assertTrue(fs.used > 64L << 20);
            assertEquals(fs.used, recount(fs));
            for (int i = 0; i < files.size(); i++) {
                long[] nf = files.get(i);
                fs.release(ROOT, nf[0], nf[1], 0, 0, 0);
                fs.unlink(ROOT, 1, "f" + i);
                fs.unlink(ROOT, 1, "link" + i);
                fs.forget(nf[0], 2); // create and link each gave the kernel one reference
            }
            fs.unlink(ROOT, 1, "sym");
            fs.rmdir(ROOT, 1, "dir");
            for (long ino : new ArrayList<>(fs.nodes.keySet())) {
                if (ino != 1) {
                    fs.forget(ino, 1);
                }
            }
            assertEquals(1, fs.nodeCount());
            assertEquals(empty, fs.used, "cycle " + cycle + ": every byte is given back");
        }
        long heapAfter = heapUsedAfterGc();
        assertTrue(heapAfter - heapBefore < 16L << 20, "heap in use went from " + (heapBefore >> 20) + " MiB to "
                + (heapAfter >> 20) + " MiB after three 64 MiB fill/delete cycles");
    }

    private static long heapUsedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    @Test
    void manyXattrsKeepTheirOrderListSizeAndFlags() throws Exception {
        MemFs fs = memfs(64L << 20);
        long f = fs.create(ROOT, 1, "f", 0100644, 0, 2).entry().nodeId();
        List<String> names = new ArrayList<>();
        int listBytes = 0;
        // names of 1..200 bytes, non-ASCII among them: the list limit counts UTF-8 bytes plus a NUL each
        for (int i = 0; listBytes < 60_000; i++) {
            String name = "user." + (i % 3 == 0 ? "é" : "e") + "x".repeat(i % 190) + i;
            fs.setxattr(ROOT, f, name, new byte[] {(byte) i}, XATTR_CREATE, 0);
            names.add(name);
            listBytes += name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
        }
        assertEquals(names, fs.listxattr(ROOT, f), "listxattr keeps insertion order");
        assertEquals(Errno.EEXIST, errno(() -> fs.setxattr(ROOT, f, names.get(7), new byte[1], XATTR_CREATE, 0)));
        assertEquals(Errno.ENODATA, errno(() -> fs.setxattr(ROOT, f, "user.absent", new byte[1], XATTR_REPLACE, 0)));
        fs.setxattr(ROOT, f, names.get(7), new byte[] {42, 43}, XATTR_REPLACE, 0);
        assertArrayEquals(new byte[] {42, 43}, fs.getxattr(ROOT, f, names.get(7)));
        assertEquals(names, fs.listxattr(ROOT, f), "a replaced value keeps its place");
        // fill the name list to exactly 65536 bytes: one more byte is ENOSPC, a replacement still works
        int room = 65536 - listBytes;
        for (char tag = 'A'; room > 0; tag++) {
            int len = Math.min(255, room - 1);
            if (room - (len + 1) > 0 && room - (len + 1) < 7) {
                len -= 7; // leave room for a last name of at least "user.X"
            }
            String name = "user." + tag + "z".repeat(len - 6);
            fs.setxattr(ROOT, f, name, new byte[0], 0, 0);
            names.add(name);
            room -= len + 1;
        }
        assertEquals(0, room);
        assertEquals(Errno.ENOSPC, errno(() -> fs.setxattr(ROOT, f, "user.y", new byte[1], 0, 0)));
        fs.setxattr(ROOT, f, names.get(0), new byte[100], 0, 0);
        fs.removexattr(ROOT, f, names.get(1));
        assertEquals(Errno.ENODATA, errno(() -> fs.removexattr(ROOT, f, names.get(1))));
        fs.setxattr(ROOT, f, "user.y", new byte[1], XATTR_CREATE, 0); // the freed name bytes are room again
        names.remove(1);
        names.add("user.y");
        assertEquals(names, fs.listxattr(ROOT, f));
        assertEquals(fs.used, recount(fs));
    }
}
