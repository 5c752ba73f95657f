package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.IoctlReply;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Opcode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/**
 * MemFs called directly on inode flags: the ioctls, who may change which flag, and what immutable and append-only
 * refuse (the kernel enforces none of it for a FUSE file, so memfs must).
 */
class MemFsInodeFlagsTest {
    private static final int I = MemFs.FS_IMMUTABLE_FL;
    private static final int A = MemFs.FS_APPEND_FL;
    private static final int O_WRONLY = 1;
    private static final int O_RDWR = 2;
    private static final int O_APPEND = 02000;
    private static final int O_TRUNC = 01000;
    private final MemFs fs;

    MemFsInodeFlagsTest() throws Exception {
        fs = new MemFs(MemFs.Options.defaults().withSizeLimit(1 << 20).withRoot(0, 0, 0777));
    }

    private static Request as(int uid, int gid) {
        return new Request(1, Opcode.IOCTL, 1, uid, gid, 0, new int[0]);
    }

    private static final Request ROOT = as(0, 0);
    private static final Request NOBODY = as(65534, 65534);

    private static Errno errno(Executable call) {
        return assertThrows(FuseException.class, call).errno();
    }

    private long file(long parent, String name) throws Exception {
        var c = fs.create(ROOT, parent, name, 0100666, 0, O_RDWR);
        fs.write(ROOT, c.entry().nodeId(), c.open().fh(), 0, ByteBuffer.wrap("data".getBytes(StandardCharsets.UTF_8)),
                0, O_RDWR, 0);
        fs.release(ROOT, c.entry().nodeId(), c.open().fh(), O_RDWR, 0, 0);
        return c.entry().nodeId();
    }

    private int getFlags(long node) throws Exception {
        IoctlReply r = fs.ioctl(ROOT, node, 0, 0, MemFs.FS_IOC_GETFLAGS, 0, new byte[0], 4);
        assertEquals(4, r.out().length);
        return ByteBuffer.wrap(r.out()).order(ByteOrder.nativeOrder()).getInt();
    }

    private void setFlags(Request req, long node, int flags) throws Exception {
        byte[] in = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(flags).array();
        fs.ioctl(req, node, 0, 0, MemFs.FS_IOC_SETFLAGS, 0, in, 0);
    }

    private static SetAttr size(long size, Long fh) {
        return new SetAttr(null, null, null, size, null, false, null, false, null, fh, null, false);
    }

    private static SetAttr times(boolean now) {
        Instant t = Instant.ofEpochSecond(1000);
        return new SetAttr(null, null, null, null, t, now, t, now, null, null, null, false);
    }

    private static SetAttr mode(int mode) {
        return new SetAttr(mode, null, null, null, null, false, null, false, null, null, null, false);
    }

    @Test
    void flagsAreReportedSetAndRefusedLikeTmpfs() throws Exception {
        long f = file(1, "f");
        assertEquals(0, getFlags(f));
        setFlags(ROOT, f, I | A | MemFs.FS_NODUMP_FL | MemFs.FS_NOATIME_FL);
        assertEquals(I | A | MemFs.FS_NODUMP_FL | MemFs.FS_NOATIME_FL, getFlags(f));
        assertEquals(Errno.EOPNOTSUPP, errno(() -> setFlags(ROOT, f, 0x4)), "compression (c) is not kept");
        setFlags(ROOT, f, 0);
        assertEquals(Errno.ENOTTY, errno(() -> fs.ioctl(ROOT, f, 0, 0, 0x5401, 0, new byte[0], 0)), "TCGETS");
        long link = fs.symlink(ROOT, 1, "l", "f").nodeId();
        assertEquals(Errno.ENOTTY, errno(() -> getFlags(link)));
    }

    @Test
    void onlyTheOwnerSetsFlagsAndOnlyRootImmutableOrAppendOnly() throws Exception {
        long f = file(1, "f");
        fs.setattr(ROOT, f, new SetAttr(null, 65534, 65534, null, null, false, null, false, null, null, null, false));
        long other = file(1, "other");
        setFlags(NOBODY, f, MemFs.FS_NODUMP_FL);
        assertEquals(Errno.EPERM, errno(() -> setFlags(NOBODY, f, MemFs.FS_NODUMP_FL | I)));
        assertEquals(Errno.EPERM, errno(() -> setFlags(NOBODY, f, A)));
        assertEquals(Errno.EPERM, errno(() -> setFlags(NOBODY, other, MemFs.FS_NODUMP_FL)), "not the owner");
        setFlags(ROOT, f, I);
        setFlags(NOBODY, f, I | MemFs.FS_NODUMP_FL); // other flags change without the capability
        assertEquals(Errno.EPERM, errno(() -> setFlags(NOBODY, f, 0)), "clearing i needs root too");
        assertEquals(I | MemFs.FS_NODUMP_FL, getFlags(f));
    }

    @Test
    void fsxattrSeesAndChangesTheSameFlags() throws Exception {
        long f = file(1, "f");
        setFlags(ROOT, f, I | MemFs.FS_NOATIME_FL);
        IoctlReply r = fs.ioctl(ROOT, f, 0, 0, MemFs.FS_IOC_FSGETXATTR, 0, new byte[0], 28);
        assertEquals(28, r.out().length);
        assertEquals(0x8 | 0x40, ByteBuffer.wrap(r.out()).order(ByteOrder.nativeOrder()).getInt());
        ByteBuffer in = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder()).putInt(0, 0x10 | 0x80);
        fs.ioctl(ROOT, f, 0, 0, MemFs.FS_IOC_FSSETXATTR, 0, in.array(), 0);
        assertEquals(A | MemFs.FS_NODUMP_FL, getFlags(f));
        in.putInt(0, 0).putInt(12, 5); // a project id
        assertEquals(Errno.EOPNOTSUPP, errno(() -> fs.ioctl(ROOT, f, 0, 0, MemFs.FS_IOC_FSSETXATTR, 0, in.array(), 0)));
        in.putInt(12, 0);
        assertEquals(Errno.EPERM, errno(() -> fs.ioctl(NOBODY, f, 0, 0, MemFs.FS_IOC_FSSETXATTR, 0, in.array(), 0)));
    }

    @Test
    void anImmutableFileRefusesEveryChangeEvenToRoot() throws Exception {
        long f = file(1, "f");
        long pre = fs.open(ROOT, f, O_RDWR).fh();
        fs.setxattr(ROOT, f, "user.k", new byte[] {1}, 0, 0);
        setFlags(ROOT, f, I);
        fs.release(ROOT, f, fs.open(ROOT, f, 0).fh(), 0, 0, 0);
        for (int flags : new int[] {O_WRONLY, O_RDWR, O_WRONLY | O_APPEND, O_TRUNC}) {
            assertEquals(Errno.EPERM, errno(() -> fs.open(ROOT, f, flags)), "open 0" + Integer.toOctalString(flags));
        }
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(ROOT, f, size(0, null))), "truncate");
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(ROOT, f, mode(0600))), "chmod");
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(ROOT, f, times(false))), "utimes");
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(ROOT, f, times(true))), "touch");
        assertEquals(Errno.EPERM, errno(() -> fs.setxattr(ROOT, f, "user.n", new byte[] {1}, 0, 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.removexattr(ROOT, f, "user.k")));
        assertEquals(Errno.EPERM, errno(() -> fs.link(ROOT, f, 1, "f2")));
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, 1, "f", 1, "g", 0)));
        long other = file(1, "other");
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, 1, "other", 1, "f", 0)), "rename over it");
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, 1, "other", 1, "f", 2)), "exchange with it");
        assertEquals(Errno.EPERM, errno(() -> fs.unlink(ROOT, 1, "f")));
        assertEquals(Errno.EPERM, errno(() -> fs.fallocate(ROOT, f, pre, 0, 4096, 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.access(ROOT, f, 2)));
        long src = fs.open(ROOT, other, 0).fh();
        assertEquals(Errno.EPERM, errno(() -> fs.copyFileRange(ROOT, other, src, 0, f, pre, 0, 2, 0)));
        fs.release(ROOT, other, src, 0, 0, 0);
        // as on Linux: a descriptor opened for writing before chattr +i still writes and ftruncates
        fs.write(ROOT, f, pre, 1, ByteBuffer.wrap(new byte[] {'P'}), 0, O_RDWR, 0);
        fs.setattr(ROOT, f, size(2, pre));
        assertEquals(2, fs.getattr(ROOT, f, OptionalLong.empty()).attr().size());
        fs.release(ROOT, f, pre, O_RDWR, 0, 0);
        setFlags(ROOT, f, 0);
        fs.unlink(ROOT, 1, "f");
    }

    @Test
    void anAppendOnlyFileGrowsAtItsEndOnly() throws Exception {
        long f = file(1, "f");
        setFlags(ROOT, f, A);
        assertEquals(Errno.EPERM, errno(() -> fs.open(ROOT, f, O_WRONLY)));
        assertEquals(Errno.EPERM, errno(() -> fs.open(ROOT, f, O_RDWR)));
        assertEquals(Errno.EPERM, errno(() -> fs.open(ROOT, f, O_WRONLY | O_APPEND | O_TRUNC)));
        long fh = fs.open(ROOT, f, O_WRONLY | O_APPEND).fh();
        fs.write(ROOT, f, fh, 4, ByteBuffer.wrap(new byte[] {'A'}), 0, O_WRONLY | O_APPEND, 0);
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(ROOT, f, size(0, fh))), "ftruncate");
        assertEquals(Errno.EPERM, errno(() -> fs.fallocate(ROOT, f, fh, 0, 1, 3)), "punch");
        fs.fallocate(ROOT, f, fh, 0, 8192, 1); // preallocation is allowed
        // O_APPEND cleared with fcntl(F_SETFL), which Linux would have refused: no write in the middle
        assertEquals(Errno.EPERM, errno(() -> fs.write(ROOT, f, fh, 0, ByteBuffer.wrap(new byte[] {'X'}), 0,
                O_WRONLY, 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(ROOT, f, mode(0600))), "chmod");
        assertEquals(Errno.EPERM, errno(() -> fs.setattr(ROOT, f, times(false))), "utimes");
        fs.setattr(ROOT, f, times(true)); // touch
        assertEquals(Errno.EPERM, errno(() -> fs.setxattr(ROOT, f, "user.n", new byte[] {1}, 0, 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.link(ROOT, f, 1, "f2")));
        assertEquals(Errno.EPERM, errno(() -> fs.unlink(ROOT, 1, "f")));
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, 1, "f", 1, "g", 0)));
        fs.release(ROOT, f, fh, O_WRONLY | O_APPEND, 0, 0);
        assertEquals(5, fs.getattr(ROOT, f, OptionalLong.empty()).attr().size());
    }

    @Test
    void immutableAndAppendOnlyDirectories() throws Exception {
        long di = fs.mkdir(ROOT, 1, "di", 0755, 0).nodeId();
        long da = fs.mkdir(ROOT, 1, "da", 0755, 0).nodeId();
        long x = file(di, "x");
        file(da, "x");
        fs.mkdir(ROOT, da, "sub", 0755, 0);
        long other = file(1, "other");
        setFlags(ROOT, di, I);
        setFlags(ROOT, da, A);
        assertEquals(Errno.EPERM, errno(() -> fs.create(ROOT, di, "new", 0100644, 0, O_WRONLY)));
        assertEquals(Errno.EPERM, errno(() -> fs.mkdir(ROOT, di, "nd", 0755, 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.symlink(ROOT, di, "sl", "t")));
        assertEquals(Errno.EPERM, errno(() -> fs.mknod(ROOT, di, "ff", 010644, 0, 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.tmpfile(ROOT, di, 0100600, 0, O_WRONLY)));
        assertEquals(Errno.EPERM, errno(() -> fs.link(ROOT, other, di, "l")));
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, 1, "other", di, "moved", 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, di, "x", 1, "out", 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.unlink(ROOT, di, "x")));
        long fh = fs.open(ROOT, x, O_WRONLY).fh(); // the entries themselves are not immutable
        fs.release(ROOT, x, fh, O_WRONLY, 0, 0);
        fs.release(ROOT, fs.create(ROOT, da, "new", 0100644, 0, O_WRONLY).open().fh(), 0, O_WRONLY, 0, 0);
        fs.link(ROOT, other, da, "l");
        fs.rename(ROOT, 1, "other", da, "moved", 0);
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, da, "x", da, "y", 0)));
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, da, "new", da, "x", 0)), "rename over an entry");
        assertEquals(Errno.EPERM, errno(() -> fs.unlink(ROOT, da, "x")));
        assertEquals(Errno.EPERM, errno(() -> fs.rmdir(ROOT, da, "sub")));
        assertEquals(Errno.EPERM, errno(() -> fs.rmdir(ROOT, 1, "da")), "EPERM before ENOTEMPTY");
        assertEquals(Errno.EPERM, errno(() -> fs.rename(ROOT, 1, "di", 1, "di2", 0)));
    }

    @Test
    void noatimeAndNodumpPassToNewEntriesAndNoatimeKeepsAtime() throws Exception {
        long d = fs.mkdir(ROOT, 1, "d", 0755, 0).nodeId();
        setFlags(ROOT, d, MemFs.FS_NODUMP_FL | MemFs.FS_NOATIME_FL | I);
        setFlags(ROOT, d, MemFs.FS_NODUMP_FL | MemFs.FS_NOATIME_FL);
        long f = file(d, "f");
        assertEquals(MemFs.FS_NODUMP_FL | MemFs.FS_NOATIME_FL, getFlags(f), "i is not inherited");
        Instant old = Instant.ofEpochSecond(1000);
        fs.setattr(ROOT, f, new SetAttr(null, null, null, null, old, false, null, false, null, null, null, false));
        long fh = fs.open(ROOT, f, 0).fh();
        fs.read(ROOT, f, fh, 0, 4, 0, 0);
        assertEquals(old, fs.getattr(ROOT, f, OptionalLong.empty()).attr().atime());
        fs.release(ROOT, f, fh, 0, 0, 0);
    }

    @Test
    void theFlagsSurviveAnImage(@TempDir Path tmp) throws Exception {
        Path image = tmp.resolve("img");
        MemFs first = new MemFs(MemFs.Options.defaults().withImage(image));
        long f = first.create(ROOT, 1, "f", 0100644, 0, O_WRONLY).entry().nodeId();
        byte[] in = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(I | MemFs.FS_NODUMP_FL).array();
        first.ioctl(ROOT, f, 0, 0, MemFs.FS_IOC_SETFLAGS, 0, in, 0);
        first.save(image);
        MemFs second = new MemFs(MemFs.Options.defaults().withImage(image));
        long g = second.lookup(ROOT, 1, "f").nodeId();
        assertArrayEquals(in, second.ioctl(ROOT, g, 0, 0, MemFs.FS_IOC_GETFLAGS, 0, new byte[0], 4).out());
        assertEquals(Errno.EPERM, errno(() -> second.unlink(ROOT, 1, "f")));
        assertEquals(MemFsImage.VERSION, ByteBuffer.wrap(Files.readAllBytes(image)).getInt(8));
    }
}
