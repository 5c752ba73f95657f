package dev.jfuser.protocol;

import static dev.jfuser.protocol.LeBytes.le;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jfuser.FileAttr;
import dev.jfuser.FileLock;
import dev.jfuser.FileType;
import dev.jfuser.FsStats;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Reply structs compared byte for byte with arrays assembled from the ABI reference's offsets. Each struct is
 * encoded at offset 16 (after the out header) into a buffer pre-filled with 0xEE, so padding and reserved fields
 * the encoder forgets to zero show up as 0xEE, and bytes it must not touch are checked too.
 */
class ReplyEncoderGoldenTest {
    private static final int P = Abi.OUT_HEADER_SIZE;
    private static final byte GARBAGE = (byte) 0xee;

    private static final Instant ATIME = Instant.ofEpochSecond(1_700_000_000L, 111_111_111);
    private static final Instant MTIME = Instant.ofEpochSecond(1_700_000_100L, 222_222_222);
    private static final Instant CTIME = Instant.ofEpochSecond(1_700_000_200L, 333_333_333);
    private static final FileAttr ATTR = new FileAttr(0x1122_3344_5566_7788L, 0x1_0000_0001L, 9, ATIME, MTIME, CTIME,
            FileType.REGULAR_FILE, 04755, 3, 1000, 100, 0, 4096, Abi.ATTR_SUBMOUNT);

    /** {@code struct fuse_attr} (88 bytes) of {@link #ATTR}. */
    private static LeBytes attr(LeBytes b) {
        return b.struct()
                .at(0).u64(0x1122_3344_5566_7788L)   // ino
                .at(8).u64(0x1_0000_0001L)           // size
                .at(16).u64(9)                       // blocks
                .at(24).u64(1_700_000_000L)          // atime
                .at(32).u64(1_700_000_100L)          // mtime
                .at(40).u64(1_700_000_200L)          // ctime
                .at(48).u32(111_111_111)             // atimensec
                .at(52).u32(222_222_222)             // mtimensec
                .at(56).u32(333_333_333)             // ctimensec
                .at(60).u32(0104755)                 // mode: S_IFREG | 04755
                .at(64).u32(3)                       // nlink
                .at(68).u32(1000)                    // uid
                .at(72).u32(100)                     // gid
                .at(76).u32(0)                       // rdev
                .at(80).u32(4096)                    // blksize
                .at(84).u32(1);                      // flags: FUSE_ATTR_SUBMOUNT
    }

    private static ByteBuffer garbage() {
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        Arrays.fill(b.array(), GARBAGE);
        return b;
    }

    /** Asserts the bytes at {@code from} equal {@code expected}, and that nothing after them was written. */
    private static void assertEncoded(byte[] expected, ByteBuffer b, int from) {
        byte[] actual = Arrays.copyOfRange(b.array(), from, from + expected.length);
        assertArrayEquals(expected, actual, () -> "expected\n" + LeBytes.hex(expected) + "actual\n"
                + LeBytes.hex(actual));
        for (int i = 0; i < from; i++) {
            assertEquals(GARBAGE, b.get(i), "byte " + i + " before the struct was written");
        }
        for (int i = from + expected.length; i < b.capacity(); i++) {
            assertEquals(GARBAGE, b.get(i), "byte " + i + " after the struct was written");
        }
    }

    @Test
    void outHeader() {
        ByteBuffer b = garbage();
        assertEquals(16, ReplyEncoder.header(b, 144, -2, 0x8000_0000_0000_0005L));
        assertEncoded(le().struct()
                .at(0).u32(144)                      // len
                .at(4).u32(0xffff_fffeL)             // error: -ENOENT
                .at(8).u64(0x8000_0000_0000_0005L)   // unique, resend bit included
                .build(), b, 0);
    }

    @Test
    void attrOut() {
        ByteBuffer b = garbage();
        assertEquals(104, ReplyEncoder.attrOut(b, P, Duration.ofMillis(2250), ATTR));
        assertEncoded(attr(le().struct()
                .at(0).u64(2)                        // attr_valid
                .at(8).u32(250_000_000)              // attr_valid_nsec
                .at(12).u32(0)                       // dummy
                .at(16)).build(), b, P);
    }

    @Test
    void entryOut() {
        ByteBuffer b = garbage();
        Duration century = Duration.ofSeconds(3_153_600_000L, 999_999_999);
        assertEquals(128, ReplyEncoder.entryOut(b, P, 0x42, 7, Duration.ofMillis(1500), century, ATTR));
        assertEncoded(attr(le().struct()
                .at(0).u64(0x42)                     // nodeid
                .at(8).u64(7)                        // generation
                .at(16).u64(1)                       // entry_valid
                .at(24).u64(3_153_600_000L)          // attr_valid
                .at(32).u32(500_000_000)             // entry_valid_nsec
                .at(36).u32(999_999_999)             // attr_valid_nsec
                .at(40)).build(), b, P);
    }

    @Test
    void negativeEntryOutHasNodeIdZeroAndZeroedAttributes() {
        ByteBuffer b = garbage();
        assertEquals(128, ReplyEncoder.entryOut(b, P, 0, 0, Duration.ofSeconds(30), Duration.ZERO, null));
        assertEncoded(le().struct()
                .at(0).u64(0)                        // nodeid 0: a cached "does not exist"
                .at(8).u64(0)                        // generation
                .at(16).u64(30)                      // entry_valid: how long the negative entry is cached
                .at(24).u64(0)                       // attr_valid
                .at(32).u32(0)                       // entry_valid_nsec
                .at(36).u32(0)                       // attr_valid_nsec
                .at(40).zeros(88)                    // attr
                .build(), b, P);
    }

    @Test
    void openOut() {
        ByteBuffer b = garbage();
        assertEquals(16, ReplyEncoder.openOut(b, P, 0xfedc_ba98_7654_3210L, 0x83, -1));
        assertEncoded(le().struct()
                .at(0).u64(0xfedc_ba98_7654_3210L)   // fh
                .at(8).u32(0x83)                     // open_flags: DIRECT_IO | KEEP_CACHE | PASSTHROUGH
                .at(12).u32(0xffff_ffffL)            // backing_id (int32)
                .build(), b, P);
    }

    @Test
    void writeOut() {
        ByteBuffer b = garbage();
        assertEquals(8, ReplyEncoder.writeOut(b, P, 131072));
        assertEncoded(le().at(0).u32(131072).at(4).u32(0).build(), b, P); // size, padding
    }

    @Test
    void statfsOut() {
        ByteBuffer b = garbage();
        FsStats s = new FsStats(0x1_0000_0000L, 500_000, 400_000, 65536, 60000, 4096, 255, 1024);
        assertEquals(80, ReplyEncoder.statfsOut(b, P, 45, s));
        assertEncoded(le().struct()
                .at(0).u64(0x1_0000_0000L)           // blocks
                .at(8).u64(500_000)                  // bfree
                .at(16).u64(400_000)                 // bavail
                .at(24).u64(65536)                   // files
                .at(32).u64(60000)                   // ffree
                .at(40).u32(4096)                    // bsize
                .at(44).u32(255)                     // namelen
                .at(48).u32(1024)                    // frsize
                .at(52).u32(0)                       // padding
                .at(56).zeros(24)                    // spare[6]
                .build(), b, P);
    }

    @Test
    void lkOut() {
        ByteBuffer b = garbage();
        assertEquals(24, ReplyEncoder.lkOut(b, P, new FileLock(100, Long.MAX_VALUE, FileLock.F_WRLCK, 4242)));
        assertEncoded(le().struct()
                .at(0).u64(100)                      // lk.start
                .at(8).u64(Long.MAX_VALUE)           // lk.end: OFFSET_MAX
                .at(16).u32(1)                       // lk.type: F_WRLCK
                .at(20).u32(4242)                    // lk.pid
                .build(), b, P);
    }

    @Test
    void initOut() {
        ByteBuffer b = garbage();
        InitOut o = new InitOut(7, 45, 131072, (0x0000_0281L << 32) | 0xc000_1021L, 0xffff, 0xc000, 1 << 20, 1, 256,
                12, 2, 0xfffe);
        assertEquals(64, ReplyEncoder.initOut(b, P, o));
        assertEncoded(le().struct()
                .at(0).u32(7)                        // major
                .at(4).u32(45)                       // minor
                .at(8).u32(131072)                   // max_readahead
                .at(12).u32(0xc000_1021L)            // flags (low half)
                .at(16).u16(0xffff)                  // max_background
                .at(18).u16(0xc000)                  // congestion_threshold
                .at(20).u32(1 << 20)                 // max_write
                .at(24).u32(1)                       // time_gran
                .at(28).u16(256)                     // max_pages
                .at(30).u16(12)                      // map_alignment
                .at(32).u32(0x281)                   // flags2 (high half)
                .at(36).u32(2)                       // max_stack_depth
                .at(40).u16(0xfffe)                  // request_timeout
                .at(42).zeros(22)                    // unused[11]
                .build(), b, P);
        // the fields most often misplaced, read back at their ABI offsets
        assertEquals(0xc000_1021, b.getInt(P + 12), "flags at 12");
        assertEquals(0x281, b.getInt(P + 32), "flags2 at 32");
        assertEquals(256, b.getShort(P + 28), "max_pages at 28");
        assertEquals(12, b.getShort(P + 30), "map_alignment at 30");
        assertEquals(1 << 20, b.getInt(P + 20), "max_write at 20");
        assertEquals(2, b.getInt(P + 36), "max_stack_depth at 36");
    }

    @Test
    void statxOut() {
        // rdev in the kernel's 32-bit new_encode_dev form: (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)
        int major = 0xabc;
        int minor = 0xdef12;
        int rdev = (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
        assertEquals(0xdefa_bc12, rdev);
        Instant beforeEpoch = Instant.ofEpochSecond(-1, 500_000_000);   // 1969-12-31T23:59:59.5Z
        FileAttr a = new FileAttr(0x77, 0, 0, beforeEpoch, MTIME, CTIME, FileType.BLOCK_DEVICE, 0660, 1, 0, 6, rdev,
                512, 0);
        Instant btime = Instant.ofEpochSecond(1_600_000_000L, 1);
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        Arrays.fill(b.array(), GARBAGE);
        assertEquals(288, ReplyEncoder.statxOut(b, P, Duration.ofSeconds(5, 7), 0xfff, a, btime, 0x20, 0x30));
        assertEncoded(le().struct()
                .at(0).u64(5)                        // attr_valid
                .at(8).u32(7)                        // attr_valid_nsec
                .at(12).u32(0)                       // flags
                .at(16).u64(0).at(24).u64(0)         // spare[2]
                .struct()                            // struct fuse_statx at 32
                .at(0).u32(0xfff)                    // mask: BASIC_STATS | BTIME
                .at(4).u32(512)                      // blksize
                .at(8).u64(0x20)                     // attributes
                .at(16).u32(1)                       // nlink
                .at(20).u32(0)                       // uid
                .at(24).u32(6)                       // gid
                .at(28).u16(0060660)                 // mode: S_IFBLK | 0660
                .at(30).u16(0)                       // __spare0
                .at(32).u64(0x77)                    // ino
                .at(40).u64(0)                       // size
                .at(48).u64(0)                       // blocks
                .at(56).u64(0x30)                    // attributes_mask
                .at(64).u64(-1).u32(500_000_000).u32(0)        // atime: tv_sec, tv_nsec, __reserved
                .at(80).u64(1_600_000_000L).u32(1).u32(0)      // btime
                .at(96).u64(1_700_000_200L).u32(333_333_333).u32(0) // ctime
                .at(112).u64(1_700_000_100L).u32(222_222_222).u32(0) // mtime
                .at(128).u32(0xabc)                  // rdev_major
                .at(132).u32(0xdef12)                // rdev_minor
                .at(136).u32(0)                      // dev_major
                .at(140).u32(0)                      // dev_minor
                .at(144).zeros(112)                  // __spare2[14]
                .build(), b, P);
    }

    @Test
    void statxRdevOfCommonDevices() {
        // /dev/null is 1:3, /dev/nvme0n1 259:0, /dev/sda1 8:1: small numbers sit in the low 20 bits
        int[][] devices = {{1, 3}, {259, 0}, {8, 1}, {0, 0}, {0xfff, 0xfffff}};
        for (int[] d : devices) {
            int rdev = (d[1] & 0xff) | (d[0] << 8) | ((d[1] & ~0xff) << 12);
            FileAttr a = FileAttr.builder(5, FileType.CHAR_DEVICE).rdev(rdev).times(Instant.EPOCH).build();
            ByteBuffer b = ByteBuffer.allocate(288).order(ByteOrder.LITTLE_ENDIAN);
            ReplyEncoder.statxOut(b, 0, Duration.ZERO, 0x7ff, a, Instant.EPOCH, 0, 0);
            assertEquals(d[0], b.getInt(32 + 128), "major of " + d[0] + ":" + d[1]);
            assertEquals(d[1], b.getInt(32 + 132), "minor of " + d[0] + ":" + d[1]);
        }
    }

    @Test
    void getxattrPollIoctlAndU64Outs() {
        ByteBuffer b = garbage();
        assertEquals(8, ReplyEncoder.getxattrOut(b, P, 123));
        assertEncoded(le().at(0).u32(123).at(4).u32(0).build(), b, P);    // size, padding

        b = garbage();
        assertEquals(8, ReplyEncoder.pollOut(b, P, 0x19));
        assertEncoded(le().at(0).u32(0x19).at(4).u32(0).build(), b, P);   // revents, padding

        b = garbage();
        assertEquals(16, ReplyEncoder.ioctlOut(b, P, -25));
        assertEncoded(le().struct()
                .at(0).u32(-25L & 0xffff_ffffL)      // result (int32)
                .at(4).u32(0)                        // flags: no RETRY
                .at(8).u32(0)                        // in_iovs
                .at(12).u32(0)                       // out_iovs
                .build(), b, P);

        b = garbage();
        assertEquals(8, ReplyEncoder.u64Out(b, P, 1L << 33));            // bmap / lseek / copy_file_range out
        assertEncoded(le().at(0).u64(1L << 33).build(), b, P);
    }

    @Test
    void headerPlusEntryIsOneReply() {
        ByteBuffer b = garbage();
        int n = ReplyEncoder.entryOut(b, P, 2, 0, Duration.ZERO, Duration.ZERO, ATTR);
        ReplyEncoder.header(b, P + n, 0, 10);
        assertEncoded(attr(le().struct()
                .at(0).u32(144).at(4).u32(0).at(8).u64(10)          // fuse_out_header
                .struct()
                .at(0).u64(2).at(8).u64(0).at(16).u64(0).at(24).u64(0).at(32).u32(0).at(36).u32(0)
                .at(40)).build(), b, 0);
    }

    @Test
    void notificationBodies() {
        byte[] file = "file".getBytes(StandardCharsets.US_ASCII);

        ByteBuffer b = garbage();
        assertEquals(24, ReplyEncoder.notifyInvalInode(b, P, 0x10, 4096, -1));
        assertEncoded(le().struct()
                .at(0).u64(0x10)                     // ino
                .at(8).u64(4096)                     // off
                .at(16).u64(-1)                      // len (int64)
                .build(), b, P);

        b = garbage();
        assertEquals(21, ReplyEncoder.notifyInvalEntry(b, P, 1, file, Abi.EXPIRE_ONLY));
        assertEncoded(le().struct()
                .at(0).u64(1)                        // parent
                .at(8).u32(4)                        // namelen (without the NUL)
                .at(12).u32(1)                       // flags: FUSE_EXPIRE_ONLY
                .at(16).cstr("file")                 // name + NUL
                .build(), b, P);

        b = garbage();
        assertEquals(29, ReplyEncoder.notifyDelete(b, P, 1, 0x20, file));
        assertEncoded(le().struct()
                .at(0).u64(1)                        // parent
                .at(8).u64(0x20)                     // child
                .at(16).u32(4)                       // namelen
                .at(20).u32(0)                       // padding
                .at(24).cstr("file")
                .build(), b, P);

        b = garbage();
        assertEquals(24, ReplyEncoder.notifyStore(b, P, 0x20, 8192, 100));
        assertEncoded(le().struct()
                .at(0).u64(0x20)                     // nodeid
                .at(8).u64(8192)                     // offset
                .at(16).u32(100)                     // size (the data follows)
                .at(20).u32(0)                       // padding
                .build(), b, P);

        b = garbage();
        assertEquals(32, ReplyEncoder.notifyRetrieve(b, P, 0x77, 0x20, 0, 4096));
        assertEncoded(le().struct()
                .at(0).u64(0x77)                     // notify_unique
                .at(8).u64(0x20)                     // nodeid
                .at(16).u64(0)                       // offset
                .at(24).u32(4096)                    // size
                .at(28).u32(0)                       // padding
                .build(), b, P);

        b = garbage();
        assertEquals(8, ReplyEncoder.notifyPollWakeup(b, P, 0x5151));
        assertEncoded(le().at(0).u64(0x5151).build(), b, P);            // kh

        b = garbage();
        assertEquals(16 + 16, ReplyEncoder.notifyPrune(b, P, new long[] {9, 0x30, 0x31, 10}, 1, 2));
        assertEncoded(le().struct()
                .at(0).u32(2)                        // count
                .at(4).u32(0)                        // padding
                .at(8).u64(0)                        // spare
                .at(16).u64(0x30)                    // the node ids follow
                .at(24).u64(0x31)
                .build(), b, P);
    }

    @Test
    void notificationHeaderCarriesTheCodeWhereAReplyHasItsError() {
        // RESEND (7) and INC_EPOCH (8) are a bare header: length 16, unique 0, the code in the error field
        for (int code : new int[] {Abi.NOTIFY_RESEND, Abi.NOTIFY_INC_EPOCH}) {
            ByteBuffer b = garbage();
            assertEquals(16, ReplyEncoder.header(b, Abi.OUT_HEADER_SIZE, code, 0));
            assertEncoded(le().at(0).u32(16).at(4).u32(code).at(8).u64(0).build(), b, 0);
        }
        ByteBuffer b = garbage();
        ReplyEncoder.header(b, 16 + 24, Abi.NOTIFY_INVAL_INODE, 0);
        assertEncoded(le().at(0).u32(40).at(4).u32(2).at(8).u64(0).build(), b, 0);
    }
}
