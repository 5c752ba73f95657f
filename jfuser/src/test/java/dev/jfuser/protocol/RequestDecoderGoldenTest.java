package dev.jfuser.protocol;

import static dev.jfuser.protocol.GoldenRequests.assertOperationEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jfuser.protocol.GoldenRequests.Golden;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Decodes the hand-assembled requests of {@link GoldenRequests} and compares every field. */
class RequestDecoderGoldenTest {

    @Test
    void everyOpcodeHasAGoldenCase() {
        Set<Opcode> covered = EnumSet.noneOf(Opcode.class);
        for (Golden g : GoldenRequests.all()) {
            if (g.opcode() != null) {
                covered.add(g.opcode());
            }
        }
        List<Opcode> missing = new ArrayList<>();
        for (Opcode op : Opcode.values()) {
            if (!covered.contains(op)) {
                missing.add(op);
            }
        }
        assertTrue(missing.isEmpty(), "opcodes without a golden decode case: " + missing);
    }

    @Test
    void goldenCasesAreSelfConsistent() {
        for (Golden g : GoldenRequests.all()) {
            assertEquals(g.bytes().length, g.header().len(), g.name() + ": hand-written len vs bytes assembled");
            if (g.opcode() != null) {
                assertEquals(g.opcode().code(), g.header().opcode(), g.name());
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> decodesGoldenRequestsFromAHeapBuffer() {
        return GoldenRequests.all().stream().map(g -> DynamicTest.dynamicTest(g.name(),
                () -> check(g, RequestDecoder.decode(ByteBuffer.wrap(g.bytes()), g.format()))));
    }

    /**
     * The session decodes from a direct buffer larger than the request, limited to the bytes read, and in the
     * default big-endian order: the decoder must switch to little-endian and look only up to the limit.
     */
    @TestFactory
    Stream<DynamicTest> decodesGoldenRequestsFromALargerDirectBuffer() {
        return GoldenRequests.all().stream().map(g -> DynamicTest.dynamicTest(g.name(), () -> {
            ByteBuffer direct = ByteBuffer.allocateDirect(g.bytes().length + 4096);
            assertEquals(ByteOrder.BIG_ENDIAN, direct.order());
            direct.put(g.bytes());
            for (int i = 0; i < 4096; i++) {
                direct.put((byte) 0x5a); // stale bytes of an earlier, longer request
            }
            direct.clear().limit(g.bytes().length);
            check(g, RequestDecoder.decode(direct, g.format()));
        }));
    }

    private static void check(Golden g, WireRequest w) {
        assertEquals(g.header(), w.header(), "header");
        assertEquals(g.opcode(), w.opcode(), "opcode");
        assertOperationEquals(g.expected(), w.operation());
        assertArrayEquals(g.groups(), w.supplementaryGroups(), "supplementary groups");
    }

    @Test
    void writeDataIsAViewIntoTheRequestBuffer() throws ProtocolException {
        Golden g = golden("WRITE");
        byte[] bytes = g.bytes().clone();
        Operation.Write w = assertInstanceOf(Operation.Write.class,
                RequestDecoder.decode(ByteBuffer.wrap(bytes), g.format()).operation());
        assertTrue(w.data().hasArray());
        assertSame(bytes, w.data().array(), "no copy of the payload");
        assertEquals(80, w.data().arrayOffset() + w.data().position(), "payload starts after header + write_in");
        assertEquals(5, w.data().remaining());
        bytes[80] = 'J';
        assertEquals('J', w.data().get(w.data().position()), "the view sees the request buffer");
    }

    @Test
    void notifyReplyDataIsAViewOfExactlySizeBytes() throws ProtocolException {
        Golden g = golden("NOTIFY_REPLY");
        byte[] bytes = g.bytes().clone();
        WireRequest w = RequestDecoder.decode(ByteBuffer.wrap(bytes), g.format());
        Operation.NotifyReply r = assertInstanceOf(Operation.NotifyReply.class, w.operation());
        assertSame(bytes, r.data().array());
        assertEquals(6, r.data().remaining());
        assertEquals(7, w.header().nodeId(), "the node whose data was retrieved");
        assertEquals(0x99, w.header().unique(), "the notify_unique of the RETRIEVE");
    }

    @Test
    void symlinkAndRenameTakeTwoConsecutiveNames() throws ProtocolException {
        byte[] symlink = LeBytes.le()
                .u32(0).u32(6).u64(1).u64(1).u32(0).u32(0).u32(0).u16(0).u16(0)     // header, len patched
                .cstr("ünï")                                                         // name
                .cstr("../a b/\u65e5\u672c")                                         // target: any bytes but NUL
                .buildWithLen();
        Operation.Symlink s = assertInstanceOf(Operation.Symlink.class,
                RequestDecoder.decode(ByteBuffer.wrap(symlink), WireFormat.LATEST).operation());
        assertEquals("ünï", s.name());
        assertEquals("../a b/\u65e5\u672c", s.target());

        byte[] rename2 = LeBytes.le()
                .u32(0).u32(45).u64(1).u64(1).u32(0).u32(0).u32(0).u16(0).u16(0)    // header
                .u64(2).u32(1).u32(0)                                                // newdir, RENAME_NOREPLACE
                .cstr("").cstr("new")                                                // an empty first name
                .buildWithLen();
        Operation.Rename r = assertInstanceOf(Operation.Rename.class,
                RequestDecoder.decode(ByteBuffer.wrap(rename2), WireFormat.LATEST).operation());
        assertEquals(new Operation.Rename(2, 1, "", "new"), r);
    }

    @Test
    void namesEndAtTheFirstNul() throws ProtocolException {
        // anything after the first NUL (here a second name the op does not take) is not part of the name
        byte[] lookup = LeBytes.le()
                .u32(0).u32(1).u64(1).u64(1).u32(0).u32(0).u32(0).u16(0).u16(0)
                .cstr("abc").cstr("def")
                .buildWithLen();
        assertEquals(new Operation.Lookup("abc"),
                RequestDecoder.decode(ByteBuffer.wrap(lookup), WireFormat.LATEST).operation());
    }

    @Test
    void headerFieldsKeepTheirUnsignedBits() throws ProtocolException {
        byte[] b = LeBytes.le().struct()
                .at(0).u32(40)                          // len
                .at(4).u32(3)                           // GETATTR, at minor 8: no fuse_getattr_in
                .at(8).u64(0x8000_0000_0000_0002L)      // unique with FUSE_UNIQUE_RESEND
                .at(16).u64(-2L)                        // nodeid: the top of the u64 range
                .at(24).u32(0xffff_ffffL)               // uid: FUSE_INVALID_UIDGID
                .at(28).u32(0xffff_fffeL)               // gid
                .at(32).u32(0)                          // pid: unknown (writeback)
                .at(36).u16(0)                          // total_extlen
                .at(38).u16(0xffff)                     // padding: ignored
                .build();
        WireRequest w = RequestDecoder.decode(ByteBuffer.wrap(b), new WireFormat(8, false));
        assertEquals(new InHeader(40, 3, 0x8000_0000_0000_0002L, -2L, -1, -2, 0, 0), w.header());
        assertTrue((w.header().unique() & Abi.UNIQUE_RESEND) != 0);
        assertEquals(new Operation.Getattr(0, 0), w.operation());
        assertNull(w.supplementaryGroups());
    }

    @Test
    void unknownOpcodesHaveNoOpcodeEnum() throws ProtocolException {
        for (int code : new int[] {0, 7, 19, 54, 4096, 1_048_576, 436_207_616, Integer.MIN_VALUE, -1}) {
            byte[] b = LeBytes.le().u32(40).u32(code).u64(9).u64(1).u32(0).u32(0).u32(0).u16(0).u16(0).build();
            WireRequest w = RequestDecoder.decode(ByteBuffer.wrap(b), WireFormat.LATEST);
            assertEquals(new Operation.Unknown(code), w.operation(), "opcode " + code);
            assertNull(w.opcode());
            assertNull(Opcode.of(code));
        }
    }

    @Test
    void opcodeNumbersAndVersionsMatchTheAbi() {
        // fuse_opcode values and the changelog entry that added each opcode
        int[][] abi = {
            {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}, {8, 1}, {9, 1}, {10, 1}, {11, 1}, {12, 1}, {13, 1},
            {14, 1}, {15, 1}, {16, 1}, {17, 1}, {18, 1}, {20, 1}, {21, 1}, {22, 1}, {23, 1}, {24, 1}, {25, 1},
            {26, 1}, {27, 1}, {28, 1}, {29, 1}, {30, 2}, {31, 7}, {32, 7}, {33, 7}, {34, 3}, {35, 3}, {36, 7},
            {37, 8}, {38, 8}, {39, 11}, {40, 11}, {41, 15}, {42, 16}, {43, 19}, {44, 21}, {45, 23}, {46, 24},
            {47, 28}, {48, 31}, {49, 31}, {50, 34}, {51, 37}, {52, 39}, {53, 45},
        };
        assertEquals(abi.length, Opcode.values().length);
        for (int[] row : abi) {
            Opcode op = Opcode.of(row[0]);
            if (op == null) {
                fail("no Opcode for " + row[0]);
            }
            assertEquals(row[0], op.code());
            assertEquals(row[1], op.sinceMinor(), op + " since");
            assertEquals(op == Opcode.FORGET || op == Opcode.BATCH_FORGET, op.hasNoReply(), op + " no reply");
        }
        assertNull(Opcode.of(0));
    }

    private static Golden golden(String name) {
        return GoldenRequests.all().stream().filter(g -> g.name().equals(name)).findFirst().orElseThrow();
    }
}
