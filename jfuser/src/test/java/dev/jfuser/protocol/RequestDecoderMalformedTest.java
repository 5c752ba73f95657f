package dev.jfuser.protocol;

import static dev.jfuser.protocol.LeBytes.le;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jfuser.Names;
import dev.jfuser.protocol.GoldenRequests.Golden;
import dev.jfuser.protocol.ProtocolException.Kind;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Short, inconsistent and malformed requests: each must become a {@link ProtocolException} of the right kind
 * carrying the request's unique id, never an {@code IndexOutOfBoundsException} or a silently misread field.
 */
class RequestDecoderMalformedTest {
    private static final long UNIQUE = 0x0102_0304_0506_0708L;

    /** Size of each opcode's fixed {@code *_in} struct at 7.45 (from the ABI reference), INIT as sent by 7.45. */
    static final Map<Opcode, Integer> STRUCT_SIZE = new EnumMap<>(Opcode.class);
    /** Opcodes without an argument struct: names only, nothing at all, or (SYNCFS) only padding. */
    static final Set<Opcode> NO_STRUCT = EnumSet.of(Opcode.LOOKUP, Opcode.READLINK, Opcode.SYMLINK, Opcode.UNLINK,
            Opcode.RMDIR, Opcode.STATFS, Opcode.REMOVEXATTR, Opcode.DESTROY,
            // fuse_syncfs_in is 8 bytes of padding: there is nothing to misread, so a short one is tolerated
            Opcode.SYNCFS);

    static {
        Object[][] sizes = {
            {Opcode.FORGET, 8}, {Opcode.GETATTR, 16}, {Opcode.SETATTR, 88}, {Opcode.MKNOD, 16}, {Opcode.MKDIR, 8},
            {Opcode.RENAME, 8}, {Opcode.LINK, 8}, {Opcode.OPEN, 8}, {Opcode.READ, 40}, {Opcode.WRITE, 40},
            {Opcode.RELEASE, 24}, {Opcode.FSYNC, 16}, {Opcode.SETXATTR, 16}, {Opcode.GETXATTR, 8},
            {Opcode.LISTXATTR, 8}, {Opcode.FLUSH, 24}, {Opcode.INIT, 64}, {Opcode.OPENDIR, 8},
            {Opcode.READDIR, 40}, {Opcode.RELEASEDIR, 24}, {Opcode.FSYNCDIR, 16}, {Opcode.GETLK, 48},
            {Opcode.SETLK, 48}, {Opcode.SETLKW, 48}, {Opcode.ACCESS, 8}, {Opcode.CREATE, 16},
            {Opcode.INTERRUPT, 8}, {Opcode.BMAP, 16}, {Opcode.IOCTL, 32}, {Opcode.POLL, 24},
            {Opcode.NOTIFY_REPLY, 40}, {Opcode.BATCH_FORGET, 8}, {Opcode.FALLOCATE, 32}, {Opcode.READDIRPLUS, 40},
            {Opcode.RENAME2, 16}, {Opcode.LSEEK, 24}, {Opcode.COPY_FILE_RANGE, 56}, {Opcode.SETUPMAPPING, 40},
            {Opcode.REMOVEMAPPING, 4}, {Opcode.TMPFILE, 16}, {Opcode.STATX, 24}, {Opcode.COPY_FILE_RANGE_64, 56},
        };
        for (Object[] row : sizes) {
            STRUCT_SIZE.put((Opcode) row[0], (Integer) row[1]);
        }
    }

    /** A 40-byte header for {@code opcode} with {@code len} as given (not necessarily the real length). */
    private static LeBytes header(int len, int opcode, int totalExtLen) {
        return le().struct()
                .at(0).u32(len).at(4).u32(opcode).at(8).u64(UNIQUE).at(16).u64(1)
                .at(24).u32(0).at(28).u32(0).at(32).u32(0)
                .at(36).u16(totalExtLen).at(38).u16(0)
                .struct();
    }

    private static LeBytes header(int opcode) {
        return header(0, opcode, 0);
    }

    private static ProtocolException rejects(Kind kind, byte[] request, WireFormat format) {
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> RequestDecoder.decode(ByteBuffer.wrap(request), format));
        assertEquals(kind, e.kind(), e.getMessage());
        return e;
    }

    private static ProtocolException rejects(Kind kind, byte[] request) {
        ProtocolException e = rejects(kind, request, WireFormat.LATEST);
        assertEquals(UNIQUE, e.unique(), "the unique id, so the session can answer EIO");
        return e;
    }

    @Test
    void everyOpcodeIsClassified() {
        for (Opcode op : Opcode.values()) {
            assertTrue(STRUCT_SIZE.containsKey(op) ^ NO_STRUCT.contains(op), op + " must be in exactly one table");
        }
    }

    @Test
    void headerShorterThan40Bytes() {
        byte[] full = header(40, Opcode.GETATTR.code(), 0).build();
        for (int n = 0; n < InHeader.SIZE; n++) {
            ProtocolException e = rejects(Kind.SHORT_READ, Arrays.copyOf(full, n), WireFormat.LATEST);
            assertEquals(0, e.unique(), "no unique id can be trusted in a short header");
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 39, 41, 47, 49, 1 << 20, -1, Integer.MIN_VALUE})
    void lengthFieldDisagreesWithTheBytesRead(int len) {
        byte[] request = header(len, Opcode.FORGET.code(), 0).u64(1).build(); // 48 bytes read
        ProtocolException e = rejects(Kind.BAD_LENGTH, request);
        assertTrue(e.getMessage().contains(Integer.toString(len)), e.getMessage());
    }

    /** Each fixed-size struct cut anywhere short of its full size, the last byte included. */
    @TestFactory
    Stream<DynamicTest> everyFixedStructTruncated() {
        return STRUCT_SIZE.entrySet().stream().map(en -> DynamicTest.dynamicTest(en.getKey().name(), () -> {
            Opcode op = en.getKey();
            int size = en.getValue();
            // the golden request's own struct bytes, so INIT announces 7.45 and counts are real
            Golden g = GoldenRequests.all().stream()
                    .filter(x -> x.opcode() == op && x.format().minor() == Abi.KERNEL_MINOR_VERSION
                            && (op != Opcode.SETXATTR || x.format().setxattrExt())
                            && x.header().totalExtLen() == 0 && x.bytes().length >= 40 + size)
                    .findFirst().orElseThrow(() -> new AssertionError("no LATEST golden case for " + op));
            for (int cut = 0; cut < size; cut++) {
                byte[] request = le().bytes(Arrays.copyOf(g.bytes(), InHeader.SIZE + cut)).buildWithLen();
                ProtocolException e = assertThrows(ProtocolException.class,
                        () -> RequestDecoder.decode(ByteBuffer.wrap(request), g.format()),
                        op + " with " + cut + " of " + size + " struct bytes");
                assertEquals(Kind.SHORT_READ, e.kind(), op + " cut at " + cut + ": " + e.getMessage());
                assertEquals(g.header().unique(), e.unique());
            }
        }));
    }

    /** The other side of the truncation test: the struct sizes demanded are not larger than the ABI's. */
    @TestFactory
    Stream<DynamicTest> exactlySizedZeroStructsDecode() {
        return Arrays.stream(Opcode.values()).map(op -> DynamicTest.dynamicTest(op.name(), () -> {
            int size = STRUCT_SIZE.getOrDefault(op, op == Opcode.SYNCFS ? 8 : 0);
            // zeroed struct (counts and sizes 0), then two names for the ops that take them
            byte[] request = header(op.code()).zeros(size).cstr("a").cstr("b").buildWithLen();
            RequestDecoder.decode(ByteBuffer.wrap(request), WireFormat.LATEST);
        }));
    }

    @Test
    void compatSetxattrStructTruncated() {
        for (int cut = 0; cut < 8; cut++) {
            rejects(Kind.SHORT_READ, header(Opcode.SETXATTR.code()).zeros(cut).buildWithLen(),
                    GoldenRequests.NO_SETXATTR_EXT);
        }
    }

    @Test
    void nameWithoutNul() {
        rejects(Kind.BAD_NAME, header(Opcode.LOOKUP.code()).raw("abc").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.LOOKUP.code()).buildWithLen()); // no name at all
        rejects(Kind.BAD_NAME, header(Opcode.UNLINK.code()).raw("x").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.RMDIR.code()).raw("x").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.REMOVEXATTR.code()).raw("user.x").buildWithLen());
        // second name cut off
        rejects(Kind.BAD_NAME, header(Opcode.SYMLINK.code()).cstr("link").raw("target").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.SYMLINK.code()).cstr("link").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.RENAME.code()).u64(2).cstr("a").raw("b").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.RENAME2.code()).u64(2).u32(0).u32(0).cstr("a").raw("b")
                .buildWithLen());
        // names after a struct
        rejects(Kind.BAD_NAME, header(Opcode.LINK.code()).u64(2).raw("b").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.MKDIR.code()).u32(040755).u32(0).raw("d").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.MKNOD.code()).zeros(16).raw("n").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.CREATE.code()).zeros(16).raw("f").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.GETXATTR.code()).u32(0).u32(0).raw("user.x").buildWithLen());
        rejects(Kind.BAD_NAME, header(Opcode.SETXATTR.code()).zeros(16).raw("user.x").buildWithLen());
    }

    @Test
    void nameTerminatedOnlyInsideTheExtensionArea() {
        // name bytes fill the whole argument area; the only NUL is in the (valid) extension area
        byte[] request = header(0, Opcode.LOOKUP.code(), 1).raw("abcd")
                .u32(8).u32(1000)                      // extension: size 8, unknown type; contains NULs
                .buildWithLen();
        rejects(Kind.BAD_NAME, request);
    }

    /** A name that is not UTF-8 is no protocol error: it decodes to the string {@link Names} gives its bytes. */
    @ParameterizedTest
    @ValueSource(strings = {"c3 28", "ff", "fe", "ff fe", "63 61 66 e9", "c0 af", "e0 80 af", "ed a0 80", "e2 82",
        "f4 90 80 80", "f8 88 80 80 80", "61 80 62", "0a 80 0a"})
    void nameThatIsNotUtf8DecodesByteForByte(String hex) throws ProtocolException {
        byte[] raw = java.util.HexFormat.ofDelimiter(" ").parseHex(hex);
        Operation lookup = RequestDecoder.decode(ByteBuffer.wrap(header(Opcode.LOOKUP.code()).bytes(raw).u8(0)
                .buildWithLen()), WireFormat.LATEST).operation();
        assertEquals(new Operation.Lookup(Names.fromBytes(raw)), lookup);
        assertArrayEquals(raw, Names.bytes(((Operation.Lookup) lookup).name()));
        // and as both names of a two-name op: the link's name and its target
        Operation symlink = RequestDecoder.decode(ByteBuffer.wrap(header(Opcode.SYMLINK.code()).bytes(raw).u8(0)
                .raw("../").bytes(raw).u8(0).buildWithLen()), WireFormat.LATEST).operation();
        byte[] target = new byte[raw.length + 3];
        target[0] = '.';
        target[1] = '.';
        target[2] = '/';
        System.arraycopy(raw, 0, target, 3, raw.length);
        assertEquals(new Operation.Symlink(Names.fromBytes(raw), Names.fromBytes(target)), symlink);
        assertArrayEquals(target, Names.bytes(((Operation.Symlink) symlink).target()));
    }

    @Test
    void writeSizeBeyondThePayload() {
        for (long size : new long[] {6, 1000, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL}) {
            byte[] request = header(Opcode.WRITE.code())
                    .at(0).u64(1).at(8).u64(0).at(16).u32(size).at(20).u32(0).at(24).u64(0).at(32).u32(0).u32(0)
                    .raw("hello")                                  // 5 bytes of payload
                    .buildWithLen();
            rejects(Kind.SHORT_READ, request);
        }
    }

    @Test
    void writeOfTheCompatStructSizeBeyondThePayload() {
        byte[] request = header(Opcode.WRITE.code()).u64(1).u64(0).u32(6).u32(0).raw("hello").buildWithLen();
        rejects(Kind.SHORT_READ, request, new WireFormat(8, false));
    }

    @Test
    void batchForgetCountBeyondTheEntries() {
        for (long count : new long[] {1, 3, 0x1000_0000L, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL}) {
            LeBytes b = header(Opcode.BATCH_FORGET.code()).at(0).u32(count).at(4).u32(0);
            if (count != 1) {
                b.u64(10).u64(1).u64(11).u64(1);                   // 2 entries
            } else {
                b.u64(10);                                         // half an entry
            }
            rejects(Kind.SHORT_READ, b.buildWithLen());
        }
    }

    @Test
    void removeMappingCountBeyondTheEntries() {
        for (long count : new long[] {2, 0x1000_0000L, 0x8000_0000L, 0xffff_ffffL}) {
            rejects(Kind.SHORT_READ, header(Opcode.REMOVEMAPPING.code()).u32(count).u64(1).u64(2).buildWithLen());
        }
    }

    @Test
    void setxattrValueBeyondTheRequest() {
        for (long size : new long[] {4, 0x8000_0000L, 0xffff_ffffL}) {
            rejects(Kind.SHORT_READ, header(Opcode.SETXATTR.code()).u32(size).u32(0).u32(0).u32(0)
                    .cstr("user.k").raw("abc").buildWithLen());
            rejects(Kind.SHORT_READ, header(Opcode.SETXATTR.code()).u32(size).u32(0)
                    .cstr("user.k").raw("abc").buildWithLen(), GoldenRequests.NO_SETXATTR_EXT);
        }
    }

    @Test
    void ioctlInputBeyondTheRequest() {
        for (long inSize : new long[] {5, 0x8000_0000L, 0xffff_ffffL}) {
            rejects(Kind.SHORT_READ, header(Opcode.IOCTL.code())
                    .u64(1).u32(0).u32(0x5401).u64(0).u32(inSize).u32(0).u32(0xdeadbeefL).buildWithLen());
        }
    }

    @Test
    void notifyReplySizeBeyondTheData() {
        for (long size : new long[] {7, 0x8000_0000L, 0xffff_ffffL}) {
            rejects(Kind.SHORT_READ, header(Opcode.NOTIFY_REPLY.code())
                    .u64(0).u64(0).u32(size).u32(0).u64(0).u64(0).raw("abcdef").buildWithLen());
        }
    }

    @Test
    void extensionAreaLargerThanTheRequest() {
        // total_extlen * 8 must leave the 40-byte header intact
        rejects(Kind.BAD_EXTENSION, header(0, Opcode.STATFS.code(), 1).buildWithLen());
        rejects(Kind.BAD_EXTENSION, header(0, Opcode.STATFS.code(), 2).u32(8).u32(1000).buildWithLen());
        rejects(Kind.BAD_EXTENSION, header(0, Opcode.GETATTR.code(), 0xffff).zeros(16).buildWithLen());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 4, 7, 12, 20, 24, 32, 0x8000_0000L, 0xffff_fff8L})
    void extensionHeaderWithABadSize(long size) {
        // a 16-byte extension area whose header claims `size`: zero would loop forever, the rest overrun
        byte[] request = header(0, Opcode.LOOKUP.code(), 2).cstr("n").zeros(6)
                .u32(size).u32(32).u32(1).u32(27)
                .buildWithLen();
        rejects(Kind.BAD_EXTENSION, request);
    }

    @Test
    void secondExtensionRunsPastTheArea() {
        byte[] request = header(0, Opcode.LOOKUP.code(), 3).cstr("n").zeros(6)
                .u32(8).u32(1000)                      // fine
                .u32(24).u32(32).u32(1).u32(27)        // claims 24 bytes, 16 left
                .buildWithLen();
        rejects(Kind.BAD_EXTENSION, request);
    }

    @ParameterizedTest
    @ValueSource(longs = {2, 3, 0x4000_0000L, 0x8000_0000L, 0xffff_ffffL})
    void groupsExtensionClaimsMoreGroupsThanItHolds(long groups) {
        byte[] request = header(0, Opcode.LOOKUP.code(), 2).cstr("n").zeros(6)
                .u32(16).u32(32).u32(groups).u32(27)   // room for one group only
                .buildWithLen();
        rejects(Kind.BAD_EXTENSION, request);
    }

    @Test
    void errorsNameTheOpcodeAndTheUnique() {
        ProtocolException e = rejects(Kind.SHORT_READ, header(Opcode.READ.code()).zeros(39).buildWithLen());
        assertTrue(e.getMessage().contains("READ"), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toString(UNIQUE)), e.getMessage());
    }

    @Test
    void truncatedUnknownOpcodeIsStillUnknown() throws ProtocolException {
        // unknown opcodes have no layout to check: any body is fine and the session answers ENOSYS
        byte[] request = header(99).raw("x").buildWithLen();
        assertEquals(new Operation.Unknown(99), RequestDecoder.decode(ByteBuffer.wrap(request), WireFormat.LATEST)
                .operation());
    }

    @Test
    void onlyProtocolExceptionsEscapeForAnyOpcodeAndAnyBodyLength() {
        // every opcode (and a few unknown ones) with every body length 0..96 of 0xff bytes at every test minor
        for (int minor : new int[] {8, 11, 19, 23, 45}) {
            for (boolean ext : new boolean[] {false, true}) {
                WireFormat f = new WireFormat(minor, ext);
                for (int code = 0; code <= 56; code++) {
                    for (int n = 0; n <= 96; n++) {
                        byte[] body = new byte[n];
                        Arrays.fill(body, (byte) 0xff);
                        byte[] request = header(code).bytes(body).buildWithLen();
                        try {
                            RequestDecoder.decode(ByteBuffer.wrap(request), f);
                        } catch (ProtocolException expected) {
                            // fine
                        } catch (RuntimeException e) {
                            fail("opcode " + code + " with " + n + " 0xff bytes at 7." + minor + " threw " + e, e);
                        }
                    }
                }
            }
        }
    }
}
