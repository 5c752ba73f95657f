package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileLock;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Opcode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** MemFs called directly, without a kernel: the rules that do not need a mount to be checked. */
class MemFsTest {
    private static final int ROOT_UID = 0;
    private final MemFs fs;

    MemFsTest() throws Exception {
        fs = new MemFs(MemFs.Options.defaults().withSizeLimit(1 << 20).withRoot(0, 0, 0777));
    }

    private static Request as(int uid, int gid, int... groups) {
        return new Request(1, Opcode.LOOKUP, 1, uid, gid, 0, groups);
    }

    private static final Request ROOT = as(ROOT_UID, 0);

    private static Errno errno(Executable call) {
        return assertThrows(FuseException.class, call).errno();
    }

    private long file(long parent, String name) throws Exception {
        return fs.create(ROOT, parent, name, 0100644, 0, 2).entry().nodeId();
    }

    /** Names a READDIR listing holds, decoded from the dirent wire format; their offsets go to {@code offsets}. */
    static List<String> names(DirectoryListing l, List<Long> offsets) {
        ByteBuffer b = l.encoded().order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (b.remaining() >= 24) {
            int start = b.position();
            long off = b.getLong(start + 8);
            int len = b.getInt(start + 16);
            byte[] name = new byte[len];
            b.get(start + 24, name);
            out.add(new String(name, StandardCharsets.UTF_8));
            offsets.add(off);
            b.position(start + ((24 + len + 7) & ~7));
        }
        return out;
    }

    @Test
    void readdirResumesAfterItsCookieWhileEntriesChange() throws Exception {
        for (int i = 0; i < 10; i++) {
            file(1, "f" + i);
        }
        DirectoryListing first = new DirectoryListing(4 * 32, false); // room for 4 entries
        fs.readdir(ROOT, 1, 0, 0, first);
        List<Long> offsets = new ArrayList<>();
        assertEquals(List.of(".", "..", "f0", "f1"), names(first, offsets));
        fs.unlink(ROOT, 1, "f2");
        fs.unlink(ROOT, 1, "f1");
        file(1, "new");
        DirectoryListing rest = new DirectoryListing(4096, false);
        fs.readdir(ROOT, 1, 0, offsets.get(3), rest);
        assertEquals(List.of("f3", "f4", "f5", "f6", "f7", "f8", "f9", "new"), names(rest, new ArrayList<>()));
    }

    @Test
    void readdirplusCountsLookupsAndForgetFrees() throws Exception {
        long f = file(1, "f"); // create: lookups 1
        fs.release(ROOT, f, 1, 0, 0, 0);
        fs.readdirplus(ROOT, 1, 0, 0, new DirectoryListing(4096, true)); // lookups 2
        fs.unlink(ROOT, 1, "f");
        fs.forget(f, 1);
        assertEquals(2, fs.nodeCount(), "one kernel reference left");
        fs.forget(f, 1);
        assertEquals(1, fs.nodeCount());
        assertEquals(Errno.ENOENT, errno(() -> fs.getattr(ROOT, f, OptionalLong.empty())));
    }

    @Test
    void renameEdgeCases() throws Exception {
        Entry a = fs.mkdir(ROOT, 1, "a", 0755, 0);
        Entry sub = fs.mkdir(ROOT, a.nodeId(), "sub", 0755, 0);
        fs.mkdir(ROOT, 1, "full", 0755, 0);
        file(fs.lookup(ROOT, 1, "full").nodeId(), "x");
        file(1, "file");
        assertEquals(Errno.EINVAL, errno(() -> fs.rename(ROOT, 1, "a", sub.nodeId(), "in", 0)));
        assertEquals(Errno.ENOTEMPTY, errno(() -> fs.rename(ROOT, 1, "a", 1, "full", 0)));
        assertEquals(Errno.ENOTDIR, errno(() -> fs.rename(ROOT, 1, "a", 1, "file", 0)));
        assertEquals(Errno.EISDIR, errno(() -> fs.rename(ROOT, 1, "file", 1, "a", 0)));
        assertEquals(Errno.EEXIST, errno(() -> fs.rename(ROOT, 1, "file", 1, "full", 1)));
        assertEquals(Errno.ENOENT, errno(() -> fs.rename(ROOT, 1, "file", 1, "none", 2)));
        assertEquals(Errno.EINVAL, errno(() -> fs.rename(ROOT, 1, "file", 1, "x", 3)));
        assertEquals(Errno.EINVAL, errno(() -> fs.rename(ROOT, 1, "file", 1, "x", 8))); // an unknown flag
        assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.rename(ROOT, 1, "file", 1, "n".repeat(256), 0)));
        assertEquals(Errno.ENAMETOOLONG, errno(() -> fs.lookup(ROOT, 1, "n".repeat(256))));
        fs.rename(ROOT, a.nodeId(), "sub", 1, "moved", 0);
        assertEquals(5, fs.getattr(ROOT, 1, OptionalLong.empty()).attr().nlink()); // 2 + a, full, moved
        assertEquals(2, fs.getattr(ROOT, a.nodeId(), OptionalLong.empty()).attr().nlink());
    }

    @Test
    void permissionChecksUseTheGroupsTheKernelSent() throws Exception {
        long f = file(1, "team");
        fs.setattr(ROOT, f, new SetAttr(0640, null, 100, null, null, false, null, false, null, null, null, false));
        assertEquals(Errno.EACCES, errno(() -> fs.open(as(1000, 1000), f, 0)));
        fs.open(as(1000, 1000, 100), f, 0);
        assertEquals(Errno.EACCES, errno(() -> fs.open(as(1000, 1000, 100), f, 1)));
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(as(1000, 100), f,
                new SetAttr(0777, null, null, null, null, false, null, false, null, null, null, false))));
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(as(1000, 100), f,
                new SetAttr(null, 1000, null, null, null, false, null, false, null, null, null, false))));
    }

    @Test
    void writesStopAtTheSizeLimit() throws Exception {
        long f = file(1, "f");
        byte[] mib = new byte[1 << 20];
        java.util.Arrays.fill(mib, (byte) 7);
        // the inodes and names take part of the limit: a short write of the pages left
        assertEquals((1 << 20) - 4096, fs.write(ROOT, f, 1, 0, ByteBuffer.wrap(mib), 0, 2, 0));
        long g = file(1, "g");
        assertEquals(Errno.ENOSPC, errno(() -> fs.write(ROOT, g, 2, 0, ByteBuffer.wrap(new byte[1]), 0, 2, 0)));
        fs.fallocate(ROOT, f, 1, 0, 4096, 3); // punch one page
        assertEquals(4096, fs.write(ROOT, g, 2, 4096 * 10, ByteBuffer.wrap(new byte[8192]), 0, 2, 0),
                "a short write: only one page was free");
        assertArrayEquals(new byte[4096], fs.read(ROOT, f, 1, 0, 4096, 0, 0).toByteArray());
        assertEquals(4096, fs.lseek(ROOT, f, 1, 0, 3));
        assertEquals(0, fs.lseek(ROOT, f, 1, 0, 4));
    }

    @Test
    void aWaitingLockGivesUpWhenInterrupted() throws Exception {
        long f = file(1, "f");
        FileLock all = new FileLock(0, Long.MAX_VALUE, FileLock.F_WRLCK, 10);
        fs.setlk(ROOT, f, 1, 111, all, false, false);
        assertEquals(Errno.EAGAIN, errno(() -> fs.setlk(ROOT, f, 1, 222, all, false, false)));
        assertEquals(FileLock.F_WRLCK, fs.getlk(ROOT, f, 1, 222, all).type());
        Request waiting = as(0, 0);
        CompletableFuture<Errno> result = new CompletableFuture<>();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                fs.setlk(waiting, f, 1, 222, all, true, false);
                result.complete(null);
            } catch (FuseException e) {
                result.complete(e.errno());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        Thread.sleep(100);
        assertTrue(!result.isDone(), "the lock must wait while held");
        waiting.markInterrupted();
        t.interrupt();
        assertEquals(Errno.EINTR, result.get(5, TimeUnit.SECONDS));
        // and a waiter is woken when the holder's close (flush) drops its locks
        CompletableFuture<Void> granted = CompletableFuture.runAsync(() -> {
            try {
                fs.setlk(as(0, 0), f, 1, 333, all, true, false);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        fs.flush(ROOT, f, 1, 111);
        granted.get(5, TimeUnit.SECONDS);
        assertEquals(FileLock.F_UNLCK, fs.getlk(ROOT, f, 1, 333, all).type());
    }

    /** Starts a sleeping setlk on a virtual thread; the future completes with null or the errno. */
    private CompletableFuture<Errno> waitFor(long node, long owner, long start, long end) {
        CompletableFuture<Errno> result = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                fs.setlk(as(0, 0), node, 1, owner, new FileLock(start, end, FileLock.F_WRLCK, 10), true, false);
                result.complete(null);
            } catch (FuseException e) {
                result.complete(e.errno());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private void awaitLockWaits(int n) throws InterruptedException {
        for (int i = 0; i < 500 && fs.lockWaits() != n; i++) {
            Thread.sleep(10);
        }
        assertEquals(n, fs.lockWaits());
    }

    @Test
    void aWaitClosingAChainOfWaitersFailsWithEdeadlk() throws Exception {
        long f = file(1, "f");
        long g = file(1, "g");
        // owner 1 holds f:0-1, owner 2 holds f:2-3 and g:0-0, owner 3 holds g:1-1
        fs.setlk(ROOT, f, 1, 1, new FileLock(0, 1, FileLock.F_WRLCK, 10), false, false);
        fs.setlk(ROOT, f, 1, 2, new FileLock(2, 3, FileLock.F_WRLCK, 10), false, false);
        fs.setlk(ROOT, g, 1, 2, new FileLock(0, 0, FileLock.F_WRLCK, 10), false, false);
        fs.setlk(ROOT, g, 1, 3, new FileLock(1, 1, FileLock.F_WRLCK, 10), false, false);
        CompletableFuture<Errno> oneWaits = waitFor(f, 1, 2, 3);   // 1 waits for 2
        awaitLockWaits(1);
        CompletableFuture<Errno> twoWaits = waitFor(g, 2, 1, 1);   // 2 waits for 3, across files
        awaitLockWaits(2);
        // a third owner that holds nothing anyone waits for just waits
        CompletableFuture<Errno> bystander = waitFor(f, 4, 0, 0);
        awaitLockWaits(3);
        // 3 asking for what 1 holds closes the cycle 3 -> 1 -> 2 -> 3; a non-blocking try only conflicts
        FileLock cycle = new FileLock(0, 1, FileLock.F_WRLCK, 10);
        assertEquals(Errno.EDEADLK, errno(() -> fs.setlk(ROOT, f, 1, 3, cycle, true, false)));
        assertEquals(Errno.EAGAIN, errno(() -> fs.setlk(ROOT, f, 1, 3, cycle, false, false)));
        assertTrue(!oneWaits.isDone() && !twoWaits.isDone() && !bystander.isDone());
        fs.flush(ROOT, g, 1, 3);   // 3 closes: 2 gets g:1-1 and stops waiting
        assertEquals(null, twoWaits.get(5, TimeUnit.SECONDS));
        fs.flush(ROOT, f, 1, 2);   // 2 closes: 1 gets f:2-3
        assertEquals(null, oneWaits.get(5, TimeUnit.SECONDS));
        fs.flush(ROOT, f, 1, 1);   // 1 closes: the bystander gets f:0-0
        assertEquals(null, bystander.get(5, TimeUnit.SECONDS));
        assertEquals(0, fs.lockWaits());
    }

    @Test
    void getlkNamesTheFirstConflictInLinuxOrder() throws Exception {
        long f = file(1, "f");
        fs.setlk(ROOT, f, 1, 1, new FileLock(50, 59, FileLock.F_RDLCK, 11), false, false);
        fs.setlk(ROOT, f, 1, 2, new FileLock(30, 39, FileLock.F_WRLCK, 12), false, false);
        fs.setlk(ROOT, f, 1, 1, new FileLock(10, 19, FileLock.F_RDLCK, 11), false, false);
        FileLock all = new FileLock(0, Long.MAX_VALUE, FileLock.F_WRLCK, 10);
        // owner 1 came first, and its ranges are sorted: 10-19, although 50-59 is older
        assertEquals(new FileLock(10, 19, FileLock.F_RDLCK, 11), fs.getlk(ROOT, f, 1, 9, all));
        // once owner 1 held nothing, a new lock of it goes after owner 2
        fs.flush(ROOT, f, 1, 1);
        fs.setlk(ROOT, f, 1, 1, new FileLock(0, 4, FileLock.F_RDLCK, 11), false, false);
        assertEquals(new FileLock(30, 39, FileLock.F_WRLCK, 12), fs.getlk(ROOT, f, 1, 9, all));
        // an OFD lock (owner 5, through handle 7) goes with the RELEASE of that handle, POSIX locks stay
        fs.setlk(ROOT, f, 7, 5, new FileLock(100, 109, FileLock.F_WRLCK, 13), false, false);
        fs.release(ROOT, f, 7, 2, 0, 0);
        assertEquals(FileLock.F_UNLCK,
                fs.getlk(ROOT, f, 1, 9, new FileLock(100, 200, FileLock.F_WRLCK, 10)).type());
        assertEquals(new FileLock(30, 39, FileLock.F_WRLCK, 12), fs.getlk(ROOT, f, 1, 9, all));
    }

    @Test
    void xattrNamesAndValuesHaveLinuxLimits() throws Exception {
        long f = file(1, "f");
        assertEquals(Errno.ERANGE, errno(() -> fs.setxattr(ROOT, f, "user." + "n".repeat(251), new byte[1], 0, 0)));
        assertEquals(Errno.E2BIG, errno(() -> fs.setxattr(ROOT, f, "user.big", new byte[65537], 0, 0)));
        assertEquals(Errno.EOPNOTSUPP, errno(() -> fs.setxattr(ROOT, f, "system.posix_acl_access", new byte[4], 0, 0)));
        fs.setxattr(ROOT, f, "trusted.t", new byte[] {1}, 0, 0);
        assertEquals(List.of(), fs.listxattr(as(1000, 1000), f));
        assertEquals(List.of("trusted.t"), fs.listxattr(ROOT, f));
    }
}
