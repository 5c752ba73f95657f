package dev.jfuser.protocol;

import static dev.jfuser.protocol.LeBytes.le;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code fuse_dirent} / {@code fuse_direntplus} encoding: layout, 8-byte padding, and the fit check. */
class DirentTest {
    private static final byte GARBAGE = (byte) 0xa5;

    private static ByteBuffer garbage(int n) {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        Arrays.fill(b.array(), GARBAGE);
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "name of {0} bytes -> {1} / {2}")
    @CsvSource({"1, 32, 160", "3, 32, 160", "7, 32, 160", "8, 32, 160", "9, 40, 168", "16, 40, 168",
        "255, 280, 408"})
    void sizesArePaddedTo8(int nameLength, int dirent, int direntPlus) {
        // FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + namelen), FUSE_NAME_OFFSET = 24 (plus: 152)
        assertEquals(dirent, DirentWriter.direntSize(nameLength));
        assertEquals(direntPlus, DirentWriter.direntPlusSize(nameLength));
    }

    @Test
    void direntLayoutWithZeroPadding() {
        ByteBuffer b = garbage(64);
        assertTrue(DirentWriter.writeDirent(b, 0x1234_5678_9abc_def0L, 0x8000_0000_0000_0001L, 8, ascii("abc")));
        assertEquals(32, b.position());
        byte[] expected = le().struct()
                .at(0).u64(0x1234_5678_9abc_def0L)   // ino
                .at(8).u64(0x8000_0000_0000_0001L)   // off: cookie of the next entry
                .at(16).u32(3)                       // namelen
                .at(20).u32(8)                       // type: DT_REG
                .at(24).raw("abc")                   // name, not NUL-terminated
                .at(27).zeros(5)                     // padding to 32, zeroed
                .build();
        assertArrayEquals(expected, Arrays.copyOf(b.array(), 32), () -> LeBytes.hex(b.array()));
        for (int i = 32; i < 64; i++) {
            assertEquals(GARBAGE, b.get(i), "byte " + i + " past the entry");
        }
    }

    @Test
    void direntFitsExactlyAtTheBoundaryAndNotOneByteShort() {
        // name of 8 bytes: 24 + 8 = 32 exactly, no padding
        ByteBuffer exact = garbage(32);
        assertTrue(DirentWriter.writeDirent(exact, 1, 2, 4, ascii("12345678")));
        assertEquals(32, exact.position());
        assertEquals(0, exact.remaining());

        // one byte short: nothing written, position unchanged
        ByteBuffer shortBy1 = garbage(31);
        assertFalse(DirentWriter.writeDirent(shortBy1, 1, 2, 4, ascii("12345678")));
        assertEquals(0, shortBy1.position());
        for (int i = 0; i < 31; i++) {
            assertEquals(GARBAGE, shortBy1.get(i));
        }

        // a 1-byte name needs the full padded 32 bytes, not 25
        ByteBuffer unpaddedRoom = garbage(128).position(32 + 7).limit(32 + 7 + 31);
        assertFalse(DirentWriter.writeDirent(unpaddedRoom, 1, 2, 4, ascii("x")));
        assertEquals(39, unpaddedRoom.position());
    }

    @Test
    void direntsFollowEachOtherAtTheBufferPosition() {
        ByteBuffer b = garbage(4096).position(8);      // the writer uses the position, not offset 0
        assertTrue(DirentWriter.writeDirent(b, 10, 1, 4, ascii(".")));
        assertTrue(DirentWriter.writeDirent(b, 11, 2, 4, ascii("..")));
        assertTrue(DirentWriter.writeDirent(b, 12, 3, 10, ascii("a-symlink")));
        assertEquals(8 + 32 + 32 + 40, b.position());
        assertEquals(10, b.getLong(8));                // first entry's ino, at the starting position
        assertEquals(1, b.getInt(8 + 16));             // namelen of "."
        assertEquals(12, b.getLong(8 + 64));           // third entry's ino
        assertEquals(3, b.getLong(8 + 64 + 8));        // off
        assertEquals(9, b.getInt(8 + 64 + 16));        // namelen
        assertEquals(10, b.getInt(8 + 64 + 20));       // DT_LNK
    }

    @Test
    void direntPlusLayout() {
        ByteBuffer b = garbage(256);
        FileAttr a = FileAttr.builder(0x99, FileType.DIRECTORY).times(Instant.ofEpochSecond(5, 6)).perm(0755).build();
        assertTrue(DirentWriter.writeDirentPlus(b,
                (out, p) -> ReplyEncoder.entryOut(out, p, 0x99, 3, Duration.ofSeconds(1), Duration.ofSeconds(2), a),
                0x99, 7, 4, ascii("subdir")));
        assertEquals(160, b.position());               // 152 + 6 = 158 -> 160
        ByteBuffer entry = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        ReplyEncoder.entryOut(entry, 0, 0x99, 3, Duration.ofSeconds(1), Duration.ofSeconds(2), a);
        byte[] expected = le().struct()
                .at(0).bytes(entry.array())          // entry_out (golden-tested on its own)
                .at(128).u64(0x99)                   // dirent.ino
                .at(136).u64(7)                      // dirent.off
                .at(144).u32(6)                      // dirent.namelen
                .at(148).u32(4)                      // dirent.type: DT_DIR
                .at(152).raw("subdir")               // name
                .at(158).zeros(2)                    // padding
                .build();
        assertArrayEquals(expected, Arrays.copyOf(b.array(), 160), () -> LeBytes.hex(b.array()));
        assertEquals(0x99, b.getLong(0), "entry_out.nodeid at 0");
        assertEquals(GARBAGE, b.get(160));
    }

    @Test
    void direntPlusFitsExactlyAtTheBoundaryAndNotOneByteShort() {
        DirentWriter.EntryOutWriter negative = (out, p) -> ReplyEncoder.entryOut(out, p, 0, 0, Duration.ZERO,
                Duration.ZERO, null);
        ByteBuffer exact = garbage(160);               // 152 + 8
        assertTrue(DirentWriter.writeDirentPlus(exact, negative, 1, 2, 8, ascii("8bytes!!")));
        assertEquals(160, exact.position());

        ByteBuffer shortBy1 = garbage(159);
        boolean[] called = {false};
        assertFalse(DirentWriter.writeDirentPlus(shortBy1, (out, p) -> called[0] = true, 1, 2, 8,
                ascii("8bytes!!")));
        assertFalse(called[0], "the entry_out writer must not run when the entry does not fit");
        assertEquals(0, shortBy1.position());
        for (int i = 0; i < 159; i++) {
            assertEquals(GARBAGE, shortBy1.get(i));
        }
    }

    @Test
    void directoryListingStopsAtTheExactBoundary() {
        DirectoryListing l = new DirectoryListing(96, false);
        assertFalse(l.isPlus());
        assertTrue(l.add(".", 1, FileType.DIRECTORY, 1));        // 32
        assertTrue(l.add("..", 1, FileType.DIRECTORY, 2));       // 32
        assertFalse(l.add("nine-byte", 5, FileType.REGULAR_FILE, 3)); // 40 > 32 left
        assertTrue(l.add("eight-b!", 6, FileType.SYMLINK, 4));   // exactly the 32 left
        assertFalse(l.add("x", 7, FileType.FIFO, 5));            // 0 left
        assertEquals(3, l.size());
        assertEquals(0, l.remaining());
        ByteBuffer e = l.encoded();
        assertEquals(0, e.position());
        assertEquals(96, e.remaining());
        assertEquals(ByteOrder.LITTLE_ENDIAN, e.order());
        List<ParsedDirent> parsed = ParsedDirent.parse(e, false);
        assertEquals(List.of(
                new ParsedDirent(1, 1, FileType.DIRECTORY.direntType(), ".", null),
                new ParsedDirent(1, 2, 4, "..", null),
                new ParsedDirent(6, 4, 10, "eight-b!", null)), parsed);
    }

    @Test
    void directoryListingDirentTypes() {
        DirectoryListing l = new DirectoryListing(4096, false);
        int i = 0;
        for (FileType t : FileType.values()) {
            assertTrue(l.add("n" + i, 100 + i, t, ++i));
        }
        // DT_FIFO 1, DT_CHR 2, DT_DIR 4, DT_BLK 6, DT_REG 8, DT_LNK 10, DT_SOCK 12
        int[] dtypes = ParsedDirent.parse(l.encoded(), false).stream().mapToInt(ParsedDirent::type).toArray();
        assertArrayEquals(new int[] {1, 2, 4, 6, 8, 10, 12}, dtypes);
    }

    @Test
    void directoryListingPlusCarriesEntries() {
        FileAttr a = FileAttr.builder(0x55, FileType.REGULAR_FILE).size(10).times(Instant.ofEpochSecond(9)).build();
        DirectoryListing l = new DirectoryListing(2 * 160 + 159, true);
        assertTrue(l.isPlus());
        assertTrue(l.add("file", 1, new Entry(0x56, 2, a, Duration.ofSeconds(3), Duration.ofSeconds(4))));
        assertTrue(l.addWithoutAttributes("nolookup", 0x57, FileType.SOCKET, 2));
        assertFalse(l.add("one-more", 3, Entry.of(a)), "159 bytes left, 160 needed");
        assertEquals(2, l.size());
        assertEquals(159, l.remaining());
        List<ParsedDirent> parsed = ParsedDirent.parse(l.encoded(), true);
        assertEquals(2, parsed.size());
        ParsedDirent first = parsed.get(0);
        assertEquals(new ParsedDirent(0x55, 1, 8, "file", first.entry()), first, "d_ino is attr.ino");
        assertEquals(0x56, first.entry().getLong(0), "entry_out.nodeid");
        assertEquals(2, first.entry().getLong(8), "entry_out.generation");
        assertEquals(3, first.entry().getLong(16), "entry_valid");
        assertEquals(4, first.entry().getLong(24), "attr_valid");
        assertEquals(0x55, first.entry().getLong(40), "attr.ino");
        assertEquals(10, first.entry().getLong(48), "attr.size");
        ParsedDirent second = parsed.get(1);
        assertEquals(new ParsedDirent(0x57, 2, 12, "nolookup", second.entry()), second);
        for (int i = 0; i < 128; i++) {
            assertEquals(0, second.entry().get(i), "entry_out of an entry without attributes is all zero, byte " + i);
        }
    }

    @Test
    void directoryListingKindsAreNotMixed() {
        assertThrows(IllegalStateException.class,
                () -> new DirectoryListing(100, true).add("a", 1, FileType.REGULAR_FILE, 1));
        FileAttr a = FileAttr.builder(2, FileType.REGULAR_FILE).build();
        assertThrows(IllegalStateException.class, () -> new DirectoryListing(100, false).add("a", 1, Entry.of(a)));
        assertThrows(IllegalArgumentException.class, () -> new DirectoryListing(-1, false));
        for (String bad : new String[] {"", "a/b", "nul\0"}) {
            assertThrows(IllegalArgumentException.class,
                    () -> new DirectoryListing(100, false).add(bad, 1, FileType.REGULAR_FILE, 1), bad);
        }
    }

    @Test
    void aListingIntoAGivenBufferEncodesTheSameBytesFromItsPosition() {
        FileAttr a = FileAttr.builder(0x55, FileType.REGULAR_FILE).size(10).build();
        for (boolean plus : new boolean[] {false, true}) {
            DirectoryListing heap = new DirectoryListing(1000, plus);
            ByteBuffer direct = ByteBuffer.allocateDirect(1100);
            direct.position(16).limit(1016); // after a reply header's room, as the session lists
            DirectoryListing given = new DirectoryListing(direct, plus);
            for (DirectoryListing l : List.of(heap, given)) {
                for (String name : List.of("ascii", "été", "日本", "x")) {
                    if (plus) {
                        assertTrue(l.add(name, 7, Entry.of(a)));
                    } else {
                        assertTrue(l.add(name, 3, FileType.DIRECTORY, 7));
                    }
                }
                assertTrue(l.addWithoutAttributes("last", 9, FileType.SYMLINK, 8));
            }
            assertEquals(heap.encoded(), given.encoded(), "plus=" + plus);
            assertEquals(heap.encodedLength(), given.encodedLength());
            assertEquals(heap.encoded(), direct.duplicate().limit(16 + given.encodedLength()).position(16),
                    "written in place, from the buffer's position");
        }
    }

    @Test
    void emptyListingEncodesNothing() {
        DirectoryListing l = new DirectoryListing(0, false);
        assertFalse(l.add("a", 1, FileType.REGULAR_FILE, 1));
        assertEquals(0, l.encoded().remaining());
        assertEquals(0, l.size());
    }

    /** A small parser for READDIR / READDIRPLUS replies, checking alignment and zero padding on the way. */
    record ParsedDirent(long ino, long off, int type, String name, ByteBuffer entry) {
        static List<ParsedDirent> parse(ByteBuffer reply, boolean plus) {
            ByteBuffer b = reply.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int base = b.position();
            List<ParsedDirent> out = new java.util.ArrayList<>();
            int p = base;
            while (p < b.limit()) {
                ByteBuffer entry = null;
                if (plus) {
                    if (b.limit() - p < 128) {
                        throw new AssertionError("entry_out cut off at " + (p - base));
                    }
                    entry = b.slice(p, 128).order(ByteOrder.LITTLE_ENDIAN);
                    p += 128;
                }
                if (b.limit() - p < 24) {
                    throw new AssertionError("dirent header cut off at " + (p - base));
                }
                long ino = b.getLong(p);
                long off = b.getLong(p + 8);
                int namelen = b.getInt(p + 16);
                int type = b.getInt(p + 20);
                if (namelen <= 0 || namelen > 1024 || b.limit() - p - 24 < namelen) {
                    throw new AssertionError("bad namelen " + namelen + " at " + (p - base));
                }
                byte[] name = new byte[namelen];
                b.get(p + 24, name);
                int end = p + 24 + namelen;
                int padded = base + (((end - base) + 7) & ~7);
                if (padded > b.limit()) {
                    throw new AssertionError("padding of the entry at " + (p - base) + " runs past the reply");
                }
                for (int i = end; i < padded; i++) {
                    if (b.get(i) != 0) {
                        throw new AssertionError("non-zero padding byte at " + (i - base));
                    }
                }
                out.add(new ParsedDirent(ino, off, type, dev.jfuser.Names.fromBytes(name), entry));
                p = padded;
            }
            return out;
        }
    }
}
