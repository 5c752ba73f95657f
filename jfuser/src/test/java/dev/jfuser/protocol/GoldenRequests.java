package dev.jfuser.protocol;

import static dev.jfuser.protocol.LeBytes.le;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Hand-assembled requests, one or more per opcode, each with the record the decoder must produce.
 *
 * <p>Every byte comes from the struct layouts in {@code fuse-abi-7.45.md}: the {@code at(n)} calls are the byte
 * offsets listed there, so a wrong offset in the decoder shows up as a wrong field, not as a test that agrees
 * with it. Field values are distinct and often have high bits set, so a u32 read where a u64 belongs (or
 * the wrong field) cannot pass by accident.
 */
final class GoldenRequests {
    private GoldenRequests() {}

    static final int UID = 1000;
    static final int GID = 100;
    static final int PID = 4242;

    /** The 7.45 format without SETXATTR_EXT (8-byte {@code fuse_setxattr_in}). */
    static final WireFormat NO_SETXATTR_EXT = new WireFormat(45, false);

    /**
     * One golden request.
     *
     * @param opcode null for an opcode this protocol does not define
     * @param groups the expected supplementary groups, or null
     */
    record Golden(String name, Opcode opcode, WireFormat format, byte[] bytes, InHeader header, Operation expected,
                  int[] groups) {
        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * {@code fuse_in_header} (40 bytes) of a request without extensions, written field by field, followed by the
     * op's body; offsets in {@code body} are relative to the end of the header.
     */
    private static Golden req(String name, WireFormat format, int len, int opcode, long unique, long nodeId,
                              UnaryOperator<LeBytes> body, Operation expected) {
        LeBytes b = le().struct()
                .at(0).u32(len)          // len: whole request, header included
                .at(4).u32(opcode)       // opcode
                .at(8).u64(unique)       // unique
                .at(16).u64(nodeId)      // nodeid
                .at(24).u32(UID)         // uid
                .at(28).u32(GID)         // gid
                .at(32).u32(PID)         // pid
                .at(36).u16(0)           // total_extlen
                .at(38).u16(0)           // padding
                .struct();
        byte[] bytes = body.apply(b).build();
        return new Golden(name, Opcode.of(opcode), format, bytes,
                new InHeader(len, opcode, unique, nodeId, UID, GID, PID, 0), expected, null);
    }

    private static Golden req(String name, int len, Opcode op, long unique, long nodeId, UnaryOperator<LeBytes> body,
                              Operation expected) {
        return req(name, WireFormat.LATEST, len, op.code(), unique, nodeId, body, expected);
    }

    private static ByteBuffer ascii(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    static List<Golden> all() {
        List<Golden> g = new ArrayList<>();
        g.add(req("LOOKUP", 44 /* 40 + "foo\0" */, Opcode.LOOKUP, 0x11, 1,
                b -> b.at(0).cstr("foo"),
                new Operation.Lookup("foo")));
        g.add(req("LOOKUP non-ASCII name", 40 + 14, Opcode.LOOKUP, 0x11, 1,
                b -> b.at(0).bytes((byte) 0xc3, (byte) 0xbc)        // "ü"
                        .bytes((byte) 0xe6, (byte) 0x97, (byte) 0xa5)  // "日"
                        .bytes((byte) 0xf0, (byte) 0x9f, (byte) 0x98, (byte) 0x80) // U+1F600, a surrogate pair in Java
                        .raw(".txt").u8(0),
                new Operation.Lookup("ü日\uD83D\uDE00.txt")));
        g.add(req("FORGET", 48 /* 40 + fuse_forget_in */, Opcode.FORGET, 0x12, 5,
                b -> b.at(0).u64(7),                       // nlookup
                new Operation.Forget(7)));
        g.add(req("GETATTR", 56 /* 40 + fuse_getattr_in(16) */, Opcode.GETATTR, 0x13, 2,
                b -> b.at(0).u32(1)                        // getattr_flags = FUSE_GETATTR_FH
                        .at(4).u32(0)                      // dummy
                        .at(8).u64(0x1122334455667788L),   // fh
                new Operation.Getattr(1, 0x1122334455667788L)));
        g.add(req("SETATTR", 128 /* 40 + fuse_setattr_in(88) */, Opcode.SETATTR, 0x14, 6,
                b -> b.at(0).u32(0x67f)                    // valid: MODE|UID|GID|SIZE|ATIME|MTIME|FH|LOCKOWNER|CTIME
                        .at(4).u32(0)                      // padding
                        .at(8).u64(0x0a)                   // fh
                        .at(16).u64(0x1_0000_1000L)        // size (> 4 GiB)
                        .at(24).u64(0xabcdef)              // lock_owner
                        .at(32).u64(1_700_000_000L)        // atime
                        .at(40).u64(1_700_000_001L)        // mtime
                        .at(48).u64(1_700_000_002L)        // ctime
                        .at(56).u32(111)                   // atimensec
                        .at(60).u32(222)                   // mtimensec
                        .at(64).u32(333)                   // ctimensec
                        .at(68).u32(0100644)               // mode
                        .at(72).u32(0xdead)                // unused4 (ignored)
                        .at(76).u32(1001)                  // uid
                        .at(80).u32(1002)                  // gid
                        .at(84).u32(0xbeef),               // unused5 (ignored)
                new Operation.Setattr(0x67f, 0x0a, 0x1_0000_1000L, 0xabcdef, 1_700_000_000L, 1_700_000_001L,
                        1_700_000_002L, 111, 222, 333, 0100644, 1001, 1002)));
        g.add(req("READLINK", 40, Opcode.READLINK, 0x15, 7, b -> b, new Operation.Readlink()));
        g.add(req("SYMLINK", 57 /* 40 + "link\0" + "target/path\0" */, Opcode.SYMLINK, 0x16, 1,
                b -> b.at(0).cstr("link")                  // the new entry's name
                        .at(5).cstr("target/path"),        // the link target
                new Operation.Symlink("link", "target/path")));
        g.add(req("MKNOD", 61 /* 40 + fuse_mknod_in(16) + "tty0\0" */, Opcode.MKNOD, 0x18, 1,
                b -> b.at(0).u32(0020644)                  // mode: S_IFCHR | 0644
                        .at(4).u32(0x0501)                 // rdev: major 5, minor 1
                        .at(8).u32(022)                    // umask
                        .at(12).u32(0)                     // padding
                        .at(16).cstr("tty0"),
                new Operation.Mknod(0020644, 0x0501, 022, "tty0")));
        g.add(req("MKDIR", 52 /* 40 + fuse_mkdir_in(8) + "dir\0" */, Opcode.MKDIR, 0x19, 1,
                b -> b.at(0).u32(040755)                   // mode
                        .at(4).u32(022)                    // umask
                        .at(8).cstr("dir"),
                new Operation.Mkdir(040755, 022, "dir")));
        g.add(req("UNLINK", 45, Opcode.UNLINK, 0x1a, 1, b -> b.at(0).cstr("gone"), new Operation.Unlink("gone")));
        g.add(req("RMDIR", 47, Opcode.RMDIR, 0x1b, 1, b -> b.at(0).cstr("olddir"), new Operation.Rmdir("olddir")));
        g.add(req("RENAME", 52 /* 40 + fuse_rename_in(8) + "a\0" + "b\0" */, Opcode.RENAME, 0x1c, 3,
                b -> b.at(0).u64(9)                        // newdir
                        .at(8).cstr("a")                   // old name (in nodeid)
                        .at(10).cstr("b"),                 // new name (in newdir)
                new Operation.Rename(9, 0, "a", "b")));
        g.add(req("LINK", 53 /* 40 + fuse_link_in(8) + "hard\0" */, Opcode.LINK, 0x1d, 3,
                b -> b.at(0).u64(5)                        // oldnodeid
                        .at(8).cstr("hard"),
                new Operation.Link(5, "hard")));
        g.add(req("OPEN", 48 /* 40 + fuse_open_in(8) */, Opcode.OPEN, 0x1e, 4,
                b -> b.at(0).u32(0x8402)                   // flags: O_RDWR | O_APPEND | O_LARGEFILE
                        .at(4).u32(1),                     // open_flags: FUSE_OPEN_KILL_SUIDGID
                new Operation.Open(0x8402, 1)));
        g.add(req("READ", 80 /* 40 + fuse_read_in(40) */, Opcode.READ, 0x1f, 4,
                b -> b.at(0).u64(0x77)                     // fh
                        .at(8).u64(1L << 40)               // offset
                        .at(16).u32(131072)                // size
                        .at(20).u32(2)                     // read_flags: FUSE_READ_LOCKOWNER
                        .at(24).u64(0xc0ffee)              // lock_owner
                        .at(32).u32(0x8002)                // flags (open flags)
                        .at(36).u32(0),                    // padding
                new Operation.Read(0x77, 1L << 40, 131072, 2, 0xc0ffee, 0x8002)));
        g.add(req("WRITE", 85 /* 40 + fuse_write_in(40) + 5 data bytes */, Opcode.WRITE, 0x20, 4,
                b -> b.at(0).u64(0x78)                     // fh
                        .at(8).u64(4096)                   // offset
                        .at(16).u32(5)                     // size
                        .at(20).u32(3)                     // write_flags: WRITE_CACHE | WRITE_LOCKOWNER
                        .at(24).u64(0xc0ffee)              // lock_owner
                        .at(32).u32(0x8001)                // flags
                        .at(36).u32(0)                     // padding
                        .at(40).raw("hello"),              // data
                new Operation.Write(0x78, 4096, 5, 3, 0xc0ffee, 0x8001, ascii("hello"))));
        g.add(req("STATFS", 40, Opcode.STATFS, 0x21, 1, b -> b, new Operation.Statfs()));
        g.add(req("RELEASE", 64 /* 40 + fuse_release_in(24) */, Opcode.RELEASE, 0x22, 4,
                b -> b.at(0).u64(0x79)                     // fh
                        .at(8).u32(0x8002)                 // flags
                        .at(12).u32(3)                     // release_flags: FLUSH | FLOCK_UNLOCK
                        .at(16).u64(0xc0ffee),             // lock_owner
                new Operation.Release(0x79, 0x8002, 3, 0xc0ffee)));
        g.add(req("FSYNC", 56 /* 40 + fuse_fsync_in(16) */, Opcode.FSYNC, 0x24, 4,
                b -> b.at(0).u64(0x7a)                     // fh
                        .at(8).u32(1)                      // fsync_flags: FDATASYNC
                        .at(12).u32(0),                    // padding
                new Operation.Fsync(0x7a, 1)));
        g.add(req("SETXATTR with SETXATTR_EXT", WireFormat.LATEST, 66 /* 40 + 16 + "user.k\0" + 3 */,
                Opcode.SETXATTR.code(), 0x25, 4,
                b -> b.at(0).u32(3)                        // size of the value
                        .at(4).u32(1)                      // flags: XATTR_CREATE
                        .at(8).u32(1)                      // setxattr_flags: SETXATTR_ACL_KILL_SGID
                        .at(12).u32(0)                     // padding
                        .at(16).cstr("user.k")
                        .at(23).bytes((byte) 0, (byte) 0xff, (byte) 'A'), // binary value, NUL included
                new Operation.Setxattr("user.k", new byte[] {0, (byte) 0xff, 'A'}, 1, 1)));
        g.add(req("SETXATTR without SETXATTR_EXT", NO_SETXATTR_EXT, 58 /* 40 + 8 + "user.k\0" + 3 */,
                Opcode.SETXATTR.code(), 0x25, 4,
                b -> b.at(0).u32(3)                        // size
                        .at(4).u32(2)                      // flags: XATTR_REPLACE
                        .at(8).cstr("user.k")              // FUSE_COMPAT_SETXATTR_IN_SIZE = 8: name right here
                        .at(15).raw("abc"),
                new Operation.Setxattr("user.k", "abc".getBytes(StandardCharsets.US_ASCII), 2, 0)));
        g.add(req("GETXATTR", 55 /* 40 + fuse_getxattr_in(8) + "user.k\0" */, Opcode.GETXATTR, 0x26, 4,
                b -> b.at(0).u32(256)                      // size
                        .at(4).u32(0)                      // padding
                        .at(8).cstr("user.k"),
                new Operation.Getxattr("user.k", 256)));
        g.add(req("LISTXATTR", 48, Opcode.LISTXATTR, 0x27, 4,
                b -> b.at(0).u32(4096)                     // size
                        .at(4).u32(0),                     // padding
                new Operation.Listxattr(4096)));
        g.add(req("REMOVEXATTR", 47, Opcode.REMOVEXATTR, 0x28, 4, b -> b.at(0).cstr("user.k"),
                new Operation.Removexattr("user.k")));
        g.add(req("FLUSH", 64 /* 40 + fuse_flush_in(24) */, Opcode.FLUSH, 0x29, 4,
                b -> b.at(0).u64(0x7b)                     // fh
                        .at(8).u32(0)                      // unused
                        .at(12).u32(0)                     // padding
                        .at(16).u64(0xc0ffee),             // lock_owner
                new Operation.Flush(0x7b, 0xc0ffee)));
        g.add(req("INIT 7.45 with INIT_EXT", WireFormat.INITIAL, 104 /* 40 + fuse_init_in(64) */,
                Opcode.INIT.code(), 1, 0,
                b -> b.at(0).u32(7)                        // major
                        .at(4).u32(45)                     // minor
                        .at(8).u32(131072)                 // max_readahead
                        .at(12).u32(0xc000_0021L)          // flags: ASYNC_READ|BIG_WRITES|INIT_EXT|INIT_RESERVED
                        .at(16).u32(0x81)                  // flags2: SECURITY_CTX (1<<32), HAS_RESEND (1<<39)
                        .at(20).zeros(44),                 // unused[11]
                new Operation.Init(7, 45, 131072, 0x0000_0081_c000_0021L)));
        g.add(req("INIT 7.45 without INIT_EXT", WireFormat.INITIAL, 104, Opcode.INIT.code(), 1, 0,
                b -> b.at(0).u32(7)                        // major
                        .at(4).u32(45)                     // minor
                        .at(8).u32(65536)                  // max_readahead
                        .at(12).u32(0x21)                  // flags: ASYNC_READ|BIG_WRITES, no INIT_EXT
                        .at(16).u32(0xffff_ffffL)          // flags2: must be ignored without INIT_EXT
                        .at(20).zeros(44),                 // unused[11]
                new Operation.Init(7, 45, 65536, 0x21)));
        g.add(req("INIT 7.35 (16-byte fuse_init_in)", WireFormat.INITIAL, 56, Opcode.INIT.code(), 1, 0,
                b -> b.at(0).u32(7)                        // major
                        .at(4).u32(35)                     // minor
                        .at(8).u32(131072)                 // max_readahead
                        .at(12).u32(0x8000_0001L),         // flags (bit 31 must stay unsigned)
                new Operation.Init(7, 35, 131072, 0x8000_0001L)));
        g.add(req("OPENDIR", 48, Opcode.OPENDIR, 0x2b, 1,
                b -> b.at(0).u32(0x98800)                  // flags: O_RDONLY|O_NONBLOCK|O_DIRECTORY|O_CLOEXEC
                        .at(4).u32(0),                     // open_flags
                new Operation.Opendir(0x98800, 0)));
        g.add(req("READDIR", 80 /* 40 + fuse_read_in(40) */, Opcode.READDIR, 0x2c, 1,
                b -> b.at(0).u64(0x7c)                     // fh
                        .at(8).u64(3)                      // offset (cookie of the next entry)
                        .at(16).u32(4096)                  // size
                        .at(20).u32(0)                     // read_flags
                        .at(24).u64(0)                     // lock_owner
                        .at(32).u32(0x98800)               // flags
                        .at(36).u32(0),                    // padding
                new Operation.Readdir(0x7c, 3, 4096, false)));
        g.add(req("RELEASEDIR", 64, Opcode.RELEASEDIR, 0x2d, 1,
                b -> b.at(0).u64(0x7c)                     // fh
                        .at(8).u32(0x98800)                // flags
                        .at(12).u32(0)                     // release_flags
                        .at(16).u64(0),                    // lock_owner
                new Operation.Releasedir(0x7c, 0x98800, 0, 0)));
        g.add(req("FSYNCDIR", 56, Opcode.FSYNCDIR, 0x2e, 1,
                b -> b.at(0).u64(0x7c)                     // fh
                        .at(8).u32(0)                      // fsync_flags
                        .at(12).u32(0),                    // padding
                new Operation.Fsyncdir(0x7c, 0)));
        g.add(req("GETLK", 88 /* 40 + fuse_lk_in(48) */, Opcode.GETLK, 0x2f, 4,
                b -> b.at(0).u64(0x7d)                     // fh
                        .at(8).u64(0x0123456789abcdefL)    // owner
                        .at(16).u64(100)                   // lk.start
                        .at(24).u64(Long.MAX_VALUE)        // lk.end (OFFSET_MAX)
                        .at(32).u32(1)                     // lk.type: F_WRLCK
                        .at(36).u32(4242)                  // lk.pid
                        .at(40).u32(0)                     // lk_flags
                        .at(44).u32(0),                    // padding
                new Operation.Lk(0x7d, 0x0123456789abcdefL, 100, Long.MAX_VALUE, 1, 4242, 0, false)));
        g.add(req("SETLK", 88, Opcode.SETLK, 0x30, 4,
                b -> b.at(0).u64(0x7d)                     // fh
                        .at(8).u64(0x0123456789abcdefL)    // owner
                        .at(16).u64(0)                     // lk.start
                        .at(24).u64(99)                    // lk.end
                        .at(32).u32(0)                     // lk.type: F_RDLCK
                        .at(36).u32(7)                     // lk.pid
                        .at(40).u32(1)                     // lk_flags: FUSE_LK_FLOCK
                        .at(44).u32(0),                    // padding
                new Operation.Lk(0x7d, 0x0123456789abcdefL, 0, 99, 0, 7, 1, false)));
        g.add(req("SETLKW", 88, Opcode.SETLKW, 0x31, 4,
                b -> b.at(0).u64(0x7d)                     // fh
                        .at(8).u64(0x42)                   // owner
                        .at(16).u64(10)                    // lk.start
                        .at(24).u64(20)                    // lk.end
                        .at(32).u32(2)                     // lk.type: F_UNLCK
                        .at(36).u32(8)                     // lk.pid
                        .at(40).u32(0)                     // lk_flags
                        .at(44).u32(0),                    // padding
                new Operation.Lk(0x7d, 0x42, 10, 20, 2, 8, 0, true)));
        g.add(req("ACCESS", 48, Opcode.ACCESS, 0x32, 4,
                b -> b.at(0).u32(6)                        // mask: R_OK | W_OK
                        .at(4).u32(0),                     // padding
                new Operation.Access(6)));
        g.add(req("CREATE", 64 /* 40 + fuse_create_in(16) + "new.txt\0" */, Opcode.CREATE, 0x33, 1,
                b -> b.at(0).u32(0xc1)                     // flags: O_WRONLY | O_CREAT | O_EXCL
                        .at(4).u32(0100644)                // mode
                        .at(8).u32(022)                    // umask
                        .at(12).u32(1)                     // open_flags: FUSE_OPEN_KILL_SUIDGID
                        .at(16).cstr("new.txt"),
                new Operation.Create(0xc1, 0100644, 022, 1, "new.txt")));
        g.add(req("INTERRUPT", 48, Opcode.INTERRUPT, 0x35, 0,
                b -> b.at(0).u64(0x1234),                  // unique of the interrupted request
                new Operation.Interrupt(0x1234)));
        g.add(req("BMAP", 56, Opcode.BMAP, 0x36, 4,
                b -> b.at(0).u64(42)                       // block
                        .at(8).u32(4096)                   // blocksize
                        .at(12).u32(0),                    // padding
                new Operation.Bmap(42, 4096)));
        g.add(req("DESTROY", 40, Opcode.DESTROY, 0x37, 0, b -> b, new Operation.Destroy()));
        g.add(req("IOCTL with input bytes", 76 /* 40 + fuse_ioctl_in(32) + 4 */, Opcode.IOCTL, 0x38, 4,
                b -> b.at(0).u64(0x7e)                     // fh
                        .at(8).u32(0x10)                   // flags: FUSE_IOCTL_DIR
                        .at(12).u32(0xc004_5401L)          // cmd: _IOWR('T', 1, int), top bit set
                        .at(16).u64(0x7ffd_1234_5678L)     // arg (caller's pointer)
                        .at(24).u32(4)                     // in_size
                        .at(28).u32(8)                     // out_size
                        .at(32).bytes((byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef), // in data
                new Operation.Ioctl(0x7e, 0x10, (int) 0xc004_5401L, 0x7ffd_1234_5678L, 4, 8,
                        new byte[] {(byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef})));
        g.add(req("POLL", 64 /* 40 + fuse_poll_in(24) */, Opcode.POLL, 0x39, 4,
                b -> b.at(0).u64(0x7f)                     // fh
                        .at(8).u64(0x5151)                 // kh
                        .at(16).u32(1)                     // flags: FUSE_POLL_SCHEDULE_NOTIFY
                        .at(20).u32(5),                    // events: POLLIN | POLLOUT
                new Operation.Poll(0x7f, 0x5151, 1, 5)));
        g.add(req("NOTIFY_REPLY", 86 /* 40 + fuse_notify_retrieve_in(40) + 6 */, Opcode.NOTIFY_REPLY, 0x99, 7,
                b -> b.at(0).u64(0)                        // dummy1
                        .at(8).u64(8192)                   // offset
                        .at(16).u32(6)                     // size
                        .at(20).u32(0)                     // dummy2
                        .at(24).u64(0)                     // dummy3
                        .at(32).u64(0)                     // dummy4
                        .at(40).raw("abcdef"),             // the retrieved data
                new Operation.NotifyReply(8192, 6, ascii("abcdef"))));
        g.add(req("BATCH_FORGET", 80 /* 40 + fuse_batch_forget_in(8) + 2 * fuse_forget_one(16) */,
                Opcode.BATCH_FORGET, 0x3a, 0,
                b -> b.at(0).u32(2)                        // count
                        .at(4).u32(0)                      // dummy
                        .struct()
                        .at(0).u64(10).at(8).u64(3)        // forget_one[0]: nodeid, nlookup
                        .at(16).u64(11).at(24).u64(1),     // forget_one[1]: nodeid, nlookup
                new Operation.BatchForget(new long[] {10, 11}, new long[] {3, 1})));
        g.add(req("FALLOCATE", 72 /* 40 + fuse_fallocate_in(32) */, Opcode.FALLOCATE, 0x3b, 4,
                b -> b.at(0).u64(0x80)                     // fh
                        .at(8).u64(4096)                   // offset
                        .at(16).u64(65536)                 // length
                        .at(24).u32(3)                     // mode: KEEP_SIZE | PUNCH_HOLE
                        .at(28).u32(0),                    // padding
                new Operation.Fallocate(0x80, 4096, 65536, 3)));
        g.add(req("READDIRPLUS", 80, Opcode.READDIRPLUS, 0x3c, 1,
                b -> b.at(0).u64(0x7c)                     // fh
                        .at(8).u64(0)                      // offset
                        .at(16).u32(8192)                  // size
                        .at(20).u32(0)                     // read_flags
                        .at(24).u64(0)                     // lock_owner
                        .at(32).u32(0x98800)               // flags
                        .at(36).u32(0),                    // padding
                new Operation.Readdir(0x7c, 0, 8192, true)));
        g.add(req("RENAME2", 60 /* 40 + fuse_rename2_in(16) + "x\0" + "y\0" */, Opcode.RENAME2, 0x3d, 3,
                b -> b.at(0).u64(9)                        // newdir
                        .at(8).u32(2)                      // flags: RENAME_EXCHANGE
                        .at(12).u32(0)                     // padding
                        .at(16).cstr("x")                  // old name
                        .at(18).cstr("y"),                 // new name
                new Operation.Rename(9, 2, "x", "y")));
        g.add(req("LSEEK", 64 /* 40 + fuse_lseek_in(24) */, Opcode.LSEEK, 0x3e, 4,
                b -> b.at(0).u64(0x81)                     // fh
                        .at(8).u64(1000)                   // offset
                        .at(16).u32(3)                     // whence: SEEK_DATA
                        .at(20).u32(0),                    // padding
                new Operation.Lseek(0x81, 1000, 3)));
        g.add(req("COPY_FILE_RANGE", 96 /* 40 + fuse_copy_file_range_in(56) */, Opcode.COPY_FILE_RANGE, 0x3f, 4,
                b -> b.at(0).u64(0x82)                     // fh_in
                        .at(8).u64(512)                    // off_in
                        .at(16).u64(12)                    // nodeid_out
                        .at(24).u64(0x83)                  // fh_out
                        .at(32).u64(1 << 20)               // off_out
                        .at(40).u64(1 << 30)               // len
                        .at(48).u64(0),                    // flags
                new Operation.CopyFileRange(0x82, 512, 12, 0x83, 1 << 20, 1 << 30, 0, false)));
        g.add(req("COPY_FILE_RANGE_64", 96, Opcode.COPY_FILE_RANGE_64, 0x40, 4,
                b -> b.at(0).u64(0x82)                     // fh_in
                        .at(8).u64(0)                      // off_in
                        .at(16).u64(13)                    // nodeid_out
                        .at(24).u64(0x84)                  // fh_out
                        .at(32).u64(0)                     // off_out
                        .at(40).u64(1L << 33)              // len: 8 GiB, more than a u32 reply could count
                        .at(48).u64(0),                    // flags
                new Operation.CopyFileRange(0x82, 0, 13, 0x84, 0, 1L << 33, 0, true)));
        g.add(req("SETUPMAPPING", 80 /* 40 + fuse_setupmapping_in(40) */, Opcode.SETUPMAPPING, 0x41, 4,
                b -> b.at(0).u64(0x85)                     // fh
                        .at(8).u64(0x200000)               // foffset
                        .at(16).u64(0x200000)              // len
                        .at(24).u64(3)                     // flags: READ | WRITE
                        .at(32).u64(0x400000),             // moffset
                new Operation.SetupMapping(0x85, 0x200000, 0x200000, 3, 0x400000)));
        g.add(req("REMOVEMAPPING", 76 /* 40 + fuse_removemapping_in(4) + 2 * fuse_removemapping_one(16) */,
                Opcode.REMOVEMAPPING, 0x42, 4,
                b -> b.at(0).u32(2)                        // count
                        .struct()
                        .at(0).u64(0x400000).at(8).u64(0x200000)   // [0]: moffset, len
                        .at(16).u64(0x600000).at(24).u64(0x1000),  // [1]: moffset, len
                new Operation.RemoveMapping(new long[] {0x400000, 0x600000}, new long[] {0x200000, 0x1000})));
        g.add(req("SYNCFS", 48 /* 40 + fuse_syncfs_in(8) */, Opcode.SYNCFS, 0x43, 1,
                b -> b.at(0).u64(0),                       // padding
                new Operation.Syncfs()));
        g.add(req("TMPFILE", 58 /* 40 + fuse_create_in(16) + "/\0" */, Opcode.TMPFILE, 0x44, 1,
                b -> b.at(0).u32(0x410002)                 // flags: O_TMPFILE | O_RDWR
                        .at(4).u32(0100600)                // mode
                        .at(8).u32(022)                    // umask
                        .at(12).u32(0)                     // open_flags
                        .at(16).cstr("/"),                 // the kernel's placeholder dentry name, ignored
                new Operation.Tmpfile(0x410002, 0100600, 022, 0)));
        g.add(req("STATX", 64 /* 40 + fuse_statx_in(24) */, Opcode.STATX, 0x45, 4,
                b -> b.at(0).u32(1)                        // getattr_flags: FUSE_GETATTR_FH
                        .at(4).u32(0)                      // reserved
                        .at(8).u64(0x86)                   // fh
                        .at(16).u32(0x4000)                // sx_flags: AT_STATX_DONT_SYNC
                        .at(20).u32(0xfff),                // sx_mask: STATX_BASIC_STATS | STATX_BTIME
                new Operation.Statx(1, 0x86, 0x4000, 0xfff)));

        // opcodes 7 and 19 are holes in the enum; 4096 is CUSE_INIT, never sent on /dev/fuse
        g.add(req("unknown opcode 7", WireFormat.LATEST, 40, 7, 0x50, 1, b -> b, new Operation.Unknown(7)));
        g.add(req("unknown opcode 19 with a body", WireFormat.LATEST, 48, 19, 0x51, 1, b -> b.u64(-1),
                new Operation.Unknown(19)));
        g.add(req("unknown opcode CUSE_INIT", WireFormat.LATEST, 56, 4096, 0x52, 0, b -> b.zeros(16),
                new Operation.Unknown(4096)));
        g.add(req("unknown opcode 0xffffffff", WireFormat.LATEST, 40, -1, 0x53, 0, b -> b,
                new Operation.Unknown(-1)));

        g.addAll(withExtensions());
        return g;
    }

    /** Requests with an extension area (7.38+): {@code total_extlen * 8} bytes after the op's arguments. */
    static List<Golden> withExtensions() {
        List<Golden> g = new ArrayList<>();
        // MKDIR from a process with fsgid 27 on a CREATE_SUPP_GROUP mount
        byte[] mkdir = le().struct()
                .at(0).u32(68)                 // len: 40 + fuse_mkdir_in(8) + "dir\0" + 16 bytes of extensions
                .at(4).u32(9)                  // opcode: FUSE_MKDIR
                .at(8).u64(0x60)               // unique
                .at(16).u64(1)                 // nodeid
                .at(24).u32(UID).at(28).u32(GID).at(32).u32(PID)
                .at(36).u16(2)                 // total_extlen: 2 * 8 bytes
                .at(38).u16(0)                 // padding
                .struct()
                .at(0).u32(040755)             // fuse_mkdir_in.mode
                .at(4).u32(022)                // fuse_mkdir_in.umask
                .at(8).cstr("dir")             // name; the extension area follows unaligned at byte 52
                .struct()
                .at(0).u32(16)                 // fuse_ext_header.size: header + supp_groups, rounded up to 8
                .at(4).u32(32)                 // fuse_ext_header.type: FUSE_EXT_GROUPS
                .at(8).u32(1)                  // fuse_supp_groups.nr_groups
                .at(12).u32(27)                // groups[0]
                .build();
        g.add(new Golden("MKDIR with FUSE_EXT_GROUPS", Opcode.MKDIR, WireFormat.LATEST, mkdir,
                new InHeader(68, 9, 0x60, 1, UID, GID, PID, 2), new Operation.Mkdir(040755, 022, "dir"),
                new int[] {27}));

        // CREATE with an opaque security-context extension (types 0..31) skipped, then three groups
        byte[] create = le().struct()
                .at(0).u32(104)                // len: 40 + 16 + "f\0" + 6 (pad) + 16 + 24
                .at(4).u32(35)                 // opcode: FUSE_CREATE
                .at(8).u64(0x61)               // unique
                .at(16).u64(1)                 // nodeid
                .at(24).u32(UID).at(28).u32(GID).at(32).u32(PID)
                .at(36).u16(5)                 // total_extlen: 40 bytes
                .at(38).u16(0)                 // padding
                .struct()
                .at(0).u32(0x41)               // flags: O_WRONLY | O_CREAT
                .at(4).u32(0100600)            // mode
                .at(8).u32(077)                // umask
                .at(12).u32(0)                 // open_flags
                .at(16).cstr("f")
                .at(18).zeros(6)               // bytes between the name and the extensions are ignored
                .struct()
                .at(0).u32(16)                 // ext[0].size
                .at(4).u32(31)                 // ext[0].type: a security context (FUSE_MAX_NR_SECCTX)
                .at(8).u64(0x1122334455667788L) // opaque
                .struct()
                .at(0).u32(24)                 // ext[1].size: 8 + 4 + 3 * 4 = 24
                .at(4).u32(32)                 // ext[1].type: FUSE_EXT_GROUPS
                .at(8).u32(3)                  // nr_groups
                .at(12).u32(4).at(16).u32(24).at(20).u32(0xffff_ffffL) // groups
                .build();
        g.add(new Golden("CREATE with a secctx and FUSE_EXT_GROUPS", Opcode.CREATE, WireFormat.LATEST, create,
                new InHeader(104, 35, 0x61, 1, UID, GID, PID, 5), new Operation.Create(0x41, 0100600, 077, 0, "f"),
                new int[] {4, 24, -1}));

        // LOOKUP with a groups extension holding no group, and an unknown extension type 33 (skipped)
        byte[] lookup = le().struct()
                .at(0).u32(72)                 // len: 40 + "n\0" + 6 (pad) + 16 + 8
                .at(4).u32(1)                  // opcode: FUSE_LOOKUP
                .at(8).u64(0x62)               // unique
                .at(16).u64(1)                 // nodeid
                .at(24).u32(UID).at(28).u32(GID).at(32).u32(PID)
                .at(36).u16(3)                 // total_extlen: 24 bytes
                .at(38).u16(0)                 // padding
                .struct()
                .at(0).cstr("n").zeros(6)
                .struct()
                .at(0).u32(16)                 // size
                .at(4).u32(32)                 // type: FUSE_EXT_GROUPS
                .at(8).u32(0)                  // nr_groups
                .at(12).u32(0)                 // rounding
                .struct()
                .at(0).u32(8)                  // size: a bare header
                .at(4).u32(33)                 // type: unknown, skipped
                .build();
        g.add(new Golden("LOOKUP with empty groups and an unknown extension", Opcode.LOOKUP, WireFormat.LATEST,
                lookup, new InHeader(72, 1, 0x62, 1, UID, GID, PID, 3), new Operation.Lookup("n"), new int[0]));

        // an unknown extension only: no groups
        byte[] unlink = le().struct()
                .at(0).u32(56)                 // len: 40 + "zz\0" + 5 + 8
                .at(4).u32(10)                 // opcode: FUSE_UNLINK
                .at(8).u64(0x63).at(16).u64(1)
                .at(24).u32(UID).at(28).u32(GID).at(32).u32(PID)
                .at(36).u16(1)                 // total_extlen: 8 bytes
                .at(38).u16(0)
                .struct()
                .at(0).cstr("zz").zeros(5)
                .struct()
                .at(0).u32(8).at(4).u32(1000)  // a header of unknown type 1000
                .build();
        g.add(new Golden("UNLINK with an unknown extension", Opcode.UNLINK, WireFormat.LATEST, unlink,
                new InHeader(56, 10, 0x63, 1, UID, GID, PID, 1), new Operation.Unlink("zz"), null));
        return g;
    }

    /** Compares two operations field by field, arrays by content and byte buffers by their remaining bytes. */
    static void assertOperationEquals(Operation expected, Operation actual) {
        assertEquals(expected.getClass(), actual.getClass(), "operation type");
        for (RecordComponent rc : expected.getClass().getRecordComponents()) {
            Object e;
            Object a;
            try {
                e = rc.getAccessor().invoke(expected);
                a = rc.getAccessor().invoke(actual);
            } catch (ReflectiveOperationException ex) {
                throw new AssertionError(ex);
            }
            String what = expected.getClass().getSimpleName() + "." + rc.getName();
            switch (e) {
                case byte[] eb -> assertArrayEquals(eb, (byte[]) a, what);
                case long[] el -> assertArrayEquals(el, (long[]) a, what);
                case int[] ei -> assertArrayEquals(ei, (int[]) a, what);
                case ByteBuffer eb -> {
                    ByteBuffer ab = (ByteBuffer) a;
                    assertEquals(eb.remaining(), ab.remaining(), what + " length");
                    assertEquals(eb, ab, what);
                }
                case null, default -> assertEquals(e, a, what);
            }
        }
    }
}
