package dev.jfuser.protocol;

import static dev.jfuser.protocol.LeBytes.le;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jfuser.FsStats;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The structs whose size changed over the protocol's life, decoded at the minor versions on either side of each
 * change (from the changelog in the ABI reference):
 * <ul>
 *   <li>7.9: {@code fuse_read_in}/{@code fuse_write_in} grow from 24 to 40 bytes (lock_owner, flags);
 *       GETATTR gets its {@code fuse_getattr_in}</li>
 *   <li>7.12: MKNOD grows from 8 to 16 bytes (umask); CREATE gets {@code fuse_create_in} (16) instead of the
 *       8-byte {@code fuse_open_in} of flags and mode</li>
 *   <li>7.21: POLL's padding becomes {@code events}</li>
 * </ul>
 */
class MinorVersionMatrixTest {
    private static final long UNIQUE = 77;

    private static LeBytes header(int opcode) {
        return le().struct()
                .at(0).u32(0).at(4).u32(opcode).at(8).u64(UNIQUE).at(16).u64(5)
                .at(24).u32(0).at(28).u32(0).at(32).u32(0).at(36).u16(0).at(38).u16(0)
                .struct();
    }

    private static Operation decode(byte[] request, int minor) throws ProtocolException {
        return RequestDecoder.decode(ByteBuffer.wrap(request), new WireFormat(minor, false)).operation();
    }

    /** The request with its last struct byte missing must be refused, not decoded with a zero. */
    private static void truncatedByOneIsShort(byte[] request, int structEnd, int minor) {
        byte[] cut = le().bytes(Arrays.copyOf(request, structEnd - 1)).buildWithLen();
        ProtocolException e = assertThrows(ProtocolException.class, () -> decode(cut, minor));
        assertEquals(ProtocolException.Kind.SHORT_READ, e.kind());
        assertEquals(UNIQUE, e.unique());
    }

    @ParameterizedTest(name = "7.{0}")
    @ValueSource(ints = {8, 11, 19, 23, 45})
    void read(int minor) throws ProtocolException {
        LeBytes b = header(Opcode.READ.code())
                .at(0).u64(0x1234)             // fh
                .at(8).u64(1L << 33)           // offset
                .at(16).u32(65536);            // size
        Operation expected;
        if (minor < 9) {
            b.at(20).u32(0);                   // padding: the 24-byte 7.8 struct ends here
            expected = new Operation.Read(0x1234, 1L << 33, 65536, 0, 0, 0);
        } else {
            b.at(20).u32(2)                    // read_flags: READ_LOCKOWNER
                    .at(24).u64(0xabc)         // lock_owner
                    .at(32).u32(0x8000)        // flags
                    .at(36).u32(0);            // padding
            expected = new Operation.Read(0x1234, 1L << 33, 65536, 2, 0xabc, 0x8000);
        }
        byte[] request = b.buildWithLen();
        assertEquals(40 + (minor < 9 ? 24 : 40), request.length);
        assertEquals(expected, decode(request, minor));
        truncatedByOneIsShort(request, request.length, minor);
    }

    @ParameterizedTest(name = "7.{0}")
    @ValueSource(ints = {8, 11, 19, 23, 45})
    void readdirUsesTheReadStruct(int minor) throws ProtocolException {
        byte[] request = header(Opcode.READDIR.code()).u64(9).u64(3).u32(4096).zeros(minor < 9 ? 4 : 20)
                .buildWithLen();
        assertEquals(new Operation.Readdir(9, 3, 4096, false), decode(request, minor));
        truncatedByOneIsShort(request, request.length, minor);
    }

    @ParameterizedTest(name = "7.{0}")
    @ValueSource(ints = {8, 11, 19, 23, 45})
    void write(int minor) throws ProtocolException {
        LeBytes b = header(Opcode.WRITE.code())
                .at(0).u64(0x1234)             // fh
                .at(8).u64(100)                // offset
                .at(16).u32(3)                 // size
                .at(20).u32(1);                // write_flags: WRITE_CACHE
        Operation expected;
        if (minor < 9) {
            // FUSE_COMPAT_WRITE_IN_SIZE = 24: the data follows right here
            expected = new Operation.Write(0x1234, 100, 3, 1, 0, 0, ByteBuffer.wrap(new byte[] {'x', 'y', 'z'}));
        } else {
            b.at(24).u64(0xabc)                // lock_owner
                    .at(32).u32(0x8001)        // flags
                    .at(36).u32(0);            // padding
            expected = new Operation.Write(0x1234, 100, 3, 1, 0xabc, 0x8001,
                    ByteBuffer.wrap(new byte[] {'x', 'y', 'z'}));
        }
        int structEnd = b.size();
        byte[] request = b.raw("xyz").buildWithLen();
        GoldenRequests.assertOperationEquals(expected, decode(request, minor));
        // cut inside the struct (no data left either)
        truncatedByOneIsShort(request, structEnd, minor);
    }

    @ParameterizedTest(name = "7.{0}")
    @ValueSource(ints = {8, 11, 19, 23, 45})
    void mknod(int minor) throws ProtocolException {
        LeBytes b = header(Opcode.MKNOD.code())
                .at(0).u32(0010644)            // mode: S_IFIFO | 0644
                .at(4).u32(0);                 // rdev
        Operation expected;
        if (minor < 12) {
            expected = new Operation.Mknod(0010644, 0, 0, "fifo"); // FUSE_COMPAT_MKNOD_IN_SIZE = 8
        } else {
            b.at(8).u32(022)                   // umask
                    .at(12).u32(0);            // padding
            expected = new Operation.Mknod(0010644, 0, 022, "fifo");
        }
        int structEnd = b.size();
        byte[] request = b.cstr("fifo").buildWithLen();
        assertEquals(expected, decode(request, minor));
        truncatedByOneIsShort(request, structEnd, minor);
    }

    @ParameterizedTest(name = "7.{0}")
    @ValueSource(ints = {8, 11, 19, 23, 45})
    void create(int minor) throws ProtocolException {
        LeBytes b = header(Opcode.CREATE.code())
                .at(0).u32(0x241)              // flags: O_WRONLY | O_CREAT | O_TRUNC
                .at(4).u32(0100640);           // mode
        Operation expected;
        if (minor < 12) {
            expected = new Operation.Create(0x241, 0100640, 0, 0, "c"); // the old 8-byte fuse_open_in
        } else {
            b.at(8).u32(027)                   // umask
                    .at(12).u32(1);            // open_flags (padding before 7.33, always 0 from older kernels)
            expected = new Operation.Create(0x241, 0100640, 027, 1, "c");
        }
        int structEnd = b.size();
        byte[] request = b.cstr("c").buildWithLen();
        assertEquals(expected, decode(request, minor));
        truncatedByOneIsShort(request, structEnd, minor);
    }

    @ParameterizedTest(name = "7.{0}")
    @ValueSource(ints = {8, 11, 19, 23, 45})
    void getattr(int minor) throws ProtocolException {
        if (minor < 9) {
            // no fuse_getattr_in at all before 7.9
            assertEquals(new Operation.Getattr(0, 0), decode(header(Opcode.GETATTR.code()).buildWithLen(), minor));
            return;
        }
        byte[] request = header(Opcode.GETATTR.code())
                .at(0).u32(1)                  // getattr_flags: GETATTR_FH
                .at(4).u32(0)                  // dummy
                .at(8).u64(0x4321)             // fh
                .buildWithLen();
        assertEquals(new Operation.Getattr(1, 0x4321), decode(request, minor));
        truncatedByOneIsShort(request, request.length, minor);
    }

    @ParameterizedTest(name = "7.{0}")
    @ValueSource(ints = {8, 11, 19, 23, 45})
    void poll(int minor) throws ProtocolException {
        // (a 7.8 kernel never sends POLL, added in 7.11; the decoder still reads it with the oldest layout)
        byte[] request = header(Opcode.POLL.code())
                .at(0).u64(0x99)               // fh
                .at(8).u64(0x77)               // kh
                .at(16).u32(1)                 // flags
                .at(20).u32(0x0041)            // events (7.21+), padding before: must read as 0
                .buildWithLen();
        assertEquals(new Operation.Poll(0x99, 0x77, 1, minor < 21 ? 0 : 0x41), decode(request, minor));
        // fuse_poll_in has been 24 bytes since POLL exists (7.11): padding first, events from 7.21
        truncatedByOneIsShort(request, request.length, minor);
    }

    @ParameterizedTest(name = "7.{0}")
    @CsvSource({"5, 8", "6, 16", "23, 16", "35, 16", "36, 64", "45, 64"})
    void init(int minor, int structSize) throws ProtocolException {
        // fuse_init_in: major, minor (7.0); max_readahead, flags (7.6); flags2 and unused[11] (7.36)
        LeBytes b = header(Opcode.INIT.code()).at(0).u32(7).at(4).u32(minor);
        if (structSize >= 16) {
            b.at(8).u32(4096).at(12).u32(0x4000_0001L);   // ASYNC_READ | INIT_EXT
        }
        if (structSize == 64) {
            b.at(16).u32(0x100).at(20).zeros(44);         // flags2: ALLOW_IDMAP (1 << 40)
        }
        byte[] request = b.buildWithLen();
        long flags = structSize == 64 ? 0x100_4000_0001L : structSize == 16 ? 0x4000_0001L : 0;
        assertEquals(new Operation.Init(7, minor, structSize >= 16 ? 4096 : 0, flags),
                decode(request, Abi.KERNEL_MINOR_VERSION));
        truncatedByOneIsShort(request, request.length, Abi.KERNEL_MINOR_VERSION);
    }

    @Test
    void initFromAHigherMajorNeedsOnlyTheVersion() throws ProtocolException {
        // a kernel with major 8 sends a struct we cannot know; we only need major/minor to answer "7"
        byte[] request = header(Opcode.INIT.code()).u32(8).u32(0).buildWithLen();
        assertEquals(new Operation.Init(8, 0, 0, 0), decode(request, Abi.KERNEL_MINOR_VERSION));
    }

    @ParameterizedTest(name = "7.{0}")
    @ValueSource(ints = {7, 8, 19, 45})
    void releaseGrewAt8(int minor) throws ProtocolException {
        // fuse_release_in: fh, flags, padding (16 bytes) until 7.8 added release_flags and lock_owner
        LeBytes b = header(Opcode.RELEASE.code()).at(0).u64(0x11).at(8).u32(2);
        if (minor < 8) {
            b.at(12).u32(0);
        } else {
            b.at(12).u32(2).at(16).u64(0x22);              // FLOCK_UNLOCK, lock_owner
        }
        byte[] request = b.buildWithLen();
        assertEquals(minor < 8 ? new Operation.Release(0x11, 2, 0, 0) : new Operation.Release(0x11, 2, 2, 0x22),
                decode(request, minor));
        truncatedByOneIsShort(request, request.length, minor);
    }

    @Test
    void entryAndAttrOutSizes() {
        // FUSE_COMPAT_ENTRY_OUT_SIZE / FUSE_COMPAT_ATTR_OUT_SIZE before 7.9 (no blksize, no flags)
        assertEquals(120, ReplyEncoder.entryOutSize(8));
        assertEquals(96, ReplyEncoder.attrOutSize(8));
        for (int minor : new int[] {9, 11, 19, 23, 45}) {
            assertEquals(128, ReplyEncoder.entryOutSize(minor));
            assertEquals(104, ReplyEncoder.attrOutSize(minor));
        }
    }

    @ParameterizedTest(name = "7.{0} -> {1}")
    @CsvSource({"1, 48", "3, 48", "4, 80", "19, 80", "45, 80"})
    void statfsOutSize(int minor, int size) {
        ByteBuffer b = ByteBuffer.allocate(80).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(size, ReplyEncoder.statfsOut(b, 0, minor, FsStats.DEFAULT));
    }

    @ParameterizedTest(name = "7.{0} -> {1}")
    @CsvSource({"0, 8", "4, 8", "5, 24", "19, 24", "22, 24", "23, 64", "36, 64", "45, 64"})
    void initOutSize(int minor, int size) {
        ByteBuffer b = ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(size, ReplyEncoder.initOut(b, 0, new InitOut(7, minor, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
    }
}
