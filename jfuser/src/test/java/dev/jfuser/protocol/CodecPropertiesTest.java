package dev.jfuser.protocol;

import static dev.jfuser.protocol.LeBytes.le;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.protocol.DirentTest.ParsedDirent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of the codec over random input:
 * <ul>
 *   <li>a request assembled from random field values with {@link LeBytes} (per the ABI offsets) decodes back to
 *       exactly those values, for every opcode;</li>
 *   <li>random bytes, random bodies behind a valid header, truncated and mutated valid requests decode or throw
 *       {@link ProtocolException}, nothing else;</li>
 *   <li>a {@link DirectoryListing} never exceeds its size, and every entry it accepted parses back.</li>
 * </ul>
 */
class CodecPropertiesTest {

    /** A request and what it must decode to. */
    record Sample(byte[] bytes, WireFormat format, InHeader header, Operation expected, int[] groups) {
        @Override
        public String toString() {
            return expected + " (" + bytes.length + " bytes, " + format + ", groups " + Arrays.toString(groups)
                    + ")\n" + LeBytes.hex(bytes);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // decode(encode(x)) == x

    @Property(tries = 3000)
    void decodingAnAssembledRequestGivesItsFields(@ForAll("requests") Sample s) throws ProtocolException {
        WireRequest w = RequestDecoder.decode(ByteBuffer.wrap(s.bytes()), s.format());
        assertEquals(s.header(), w.header());
        GoldenRequests.assertOperationEquals(s.expected(), w.operation());
        assertArrayEquals(s.groups(), w.supplementaryGroups());
    }

    @Provide
    Arbitrary<Sample> requests() {
        return Combinators.combine(
                Arbitraries.of(Opcode.class),
                Arbitraries.longs().array(long[].class).ofSize(16),
                Arbitraries.longs().array(long[].class).ofSize(5),
                names(),
                names(),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(80),
                Arbitraries.integers().array(int[].class).ofMaxSize(10).injectNull(0.5),
                Arbitraries.of(true, false)
        ).as(CodecPropertiesTest::assemble);
    }

    /** Names as the kernel sends them: any Unicode text without NUL, UTF-8 encoded (1 to 4 bytes a code point). */
    static Arbitrary<String> names() {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.integers().between(1, 0x7f)),
                Tuple.of(2, Arbitraries.integers().between(0x80, 0x7ff)),
                Tuple.of(1, Arbitraries.integers().between(0x800, 0xd7ff)),
                Tuple.of(1, Arbitraries.integers().between(0xe000, 0xffff)),
                Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10ffff)));
        return codePoint.list().ofMaxSize(24).map(cps -> {
            StringBuilder sb = new StringBuilder();
            cps.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    private static int u32(long v) {
        return (int) v;
    }

    /** Writes a request for {@code op} from random values following the ABI struct layouts. */
    static Sample assemble(Opcode op, long[] v, long[] h, String n1, String n2, byte[] data, int[] groups,
                           boolean setxattrExt) {
        int extLen = groups == null ? 0 : DirentWriter.align8(12 + 4 * groups.length) / 8;
        LeBytes b = le().struct()
                .at(0).u32(0)                  // len, patched below
                .at(4).u32(op.code())
                .at(8).u64(h[0])               // unique
                .at(16).u64(h[1])              // nodeid
                .at(24).u32(h[2])              // uid
                .at(28).u32(h[3])              // gid
                .at(32).u32(h[4])              // pid
                .at(36).u16(extLen)            // total_extlen
                .at(38).u16(0)                 // padding
                .struct();
        WireFormat format = new WireFormat(Abi.KERNEL_MINOR_VERSION, setxattrExt);
        Operation expected = switch (op) {
            case LOOKUP -> {
                b.cstr(n1);
                yield new Operation.Lookup(n1);
            }
            case FORGET -> {
                b.at(0).u64(v[0]);
                yield new Operation.Forget(v[0]);
            }
            case GETATTR -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]).at(8).u64(v[2]);
                yield new Operation.Getattr(u32(v[0]), v[2]);
            }
            case SETATTR -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]).at(8).u64(v[2]).at(16).u64(v[3]).at(24).u64(v[4])
                        .at(32).u64(v[5]).at(40).u64(v[6]).at(48).u64(v[7])
                        .at(56).u32(v[8]).at(60).u32(v[9]).at(64).u32(v[10]).at(68).u32(v[11])
                        .at(72).u32(v[12]).at(76).u32(v[13]).at(80).u32(v[14]).at(84).u32(v[15]);
                yield new Operation.Setattr(u32(v[0]), v[2], v[3], v[4], v[5], v[6], v[7], u32(v[8]), u32(v[9]),
                        u32(v[10]), u32(v[11]), u32(v[13]), u32(v[14]));
            }
            case READLINK -> new Operation.Readlink();
            case SYMLINK -> {
                b.cstr(n1).cstr(n2);
                yield new Operation.Symlink(n1, n2);
            }
            case MKNOD -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]).at(8).u32(v[2]).at(12).u32(v[3]).at(16).cstr(n1);
                yield new Operation.Mknod(u32(v[0]), u32(v[1]), u32(v[2]), n1);
            }
            case MKDIR -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]).at(8).cstr(n1);
                yield new Operation.Mkdir(u32(v[0]), u32(v[1]), n1);
            }
            case UNLINK -> {
                b.cstr(n1);
                yield new Operation.Unlink(n1);
            }
            case RMDIR -> {
                b.cstr(n1);
                yield new Operation.Rmdir(n1);
            }
            case RENAME -> {
                b.at(0).u64(v[0]).at(8).cstr(n1).cstr(n2);
                yield new Operation.Rename(v[0], 0, n1, n2);
            }
            case RENAME2 -> {
                b.at(0).u64(v[0]).at(8).u32(v[1]).at(12).u32(v[2]).at(16).cstr(n1).cstr(n2);
                yield new Operation.Rename(v[0], u32(v[1]), n1, n2);
            }
            case LINK -> {
                b.at(0).u64(v[0]).at(8).cstr(n1);
                yield new Operation.Link(v[0], n1);
            }
            case OPEN -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]);
                yield new Operation.Open(u32(v[0]), u32(v[1]));
            }
            case OPENDIR -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]);
                yield new Operation.Opendir(u32(v[0]), u32(v[1]));
            }
            case READ, READDIR, READDIRPLUS -> {
                b.at(0).u64(v[0]).at(8).u64(v[1]).at(16).u32(v[2]).at(20).u32(v[3]).at(24).u64(v[4])
                        .at(32).u32(v[5]).at(36).u32(v[6]);
                yield op == Opcode.READ
                        ? new Operation.Read(v[0], v[1], u32(v[2]), u32(v[3]), v[4], u32(v[5]))
                        : new Operation.Readdir(v[0], v[1], u32(v[2]), op == Opcode.READDIRPLUS);
            }
            case WRITE -> {
                b.at(0).u64(v[0]).at(8).u64(v[1]).at(16).u32(data.length).at(20).u32(v[3]).at(24).u64(v[4])
                        .at(32).u32(v[5]).at(36).u32(v[6]).at(40).bytes(data);
                yield new Operation.Write(v[0], v[1], data.length, u32(v[3]), v[4], u32(v[5]), ByteBuffer.wrap(data));
            }
            case STATFS -> new Operation.Statfs();
            case RELEASE, RELEASEDIR -> {
                b.at(0).u64(v[0]).at(8).u32(v[1]).at(12).u32(v[2]).at(16).u64(v[3]);
                yield op == Opcode.RELEASE ? new Operation.Release(v[0], u32(v[1]), u32(v[2]), v[3])
                        : new Operation.Releasedir(v[0], u32(v[1]), u32(v[2]), v[3]);
            }
            case FSYNC, FSYNCDIR -> {
                b.at(0).u64(v[0]).at(8).u32(v[1]).at(12).u32(v[2]);
                yield op == Opcode.FSYNC ? new Operation.Fsync(v[0], u32(v[1]))
                        : new Operation.Fsyncdir(v[0], u32(v[1]));
            }
            case SETXATTR -> {
                b.at(0).u32(data.length).at(4).u32(v[1]);
                if (setxattrExt) {
                    b.at(8).u32(v[2]).at(12).u32(v[3]);
                }
                b.cstr(n1).bytes(data);
                yield new Operation.Setxattr(n1, data, u32(v[1]), setxattrExt ? u32(v[2]) : 0);
            }
            case GETXATTR -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]).at(8).cstr(n1);
                yield new Operation.Getxattr(n1, u32(v[0]));
            }
            case LISTXATTR -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]);
                yield new Operation.Listxattr(u32(v[0]));
            }
            case REMOVEXATTR -> {
                b.cstr(n1);
                yield new Operation.Removexattr(n1);
            }
            case FLUSH -> {
                b.at(0).u64(v[0]).at(8).u32(v[1]).at(12).u32(v[2]).at(16).u64(v[3]);
                yield new Operation.Flush(v[0], v[3]);
            }
            case INIT -> {
                int minor = 36 + (int) Math.floorMod(v[0], 10L);
                b.at(0).u32(7).at(4).u32(minor).at(8).u32(v[1]).at(12).u32(v[2]).at(16).u32(v[3])
                        .at(20).u64(v[4]).u64(v[5]).u64(v[6]).u64(v[7]).u64(v[8]).u32(v[9]);
                long flags = (v[2] & 0xffff_ffffL)
                        | ((v[2] & Abi.INIT_EXT) != 0 ? (v[3] & 0xffff_ffffL) << 32 : 0);
                yield new Operation.Init(7, minor, u32(v[1]), flags);
            }
            case GETLK, SETLK, SETLKW -> {
                b.at(0).u64(v[0]).at(8).u64(v[1]).at(16).u64(v[2]).at(24).u64(v[3]).at(32).u32(v[4])
                        .at(36).u32(v[5]).at(40).u32(v[6]).at(44).u32(v[7]);
                yield new Operation.Lk(v[0], v[1], v[2], v[3], u32(v[4]), u32(v[5]), u32(v[6]), op == Opcode.SETLKW);
            }
            case ACCESS -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]);
                yield new Operation.Access(u32(v[0]));
            }
            case CREATE -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]).at(8).u32(v[2]).at(12).u32(v[3]).at(16).cstr(n1);
                yield new Operation.Create(u32(v[0]), u32(v[1]), u32(v[2]), u32(v[3]), n1);
            }
            case TMPFILE -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]).at(8).u32(v[2]).at(12).u32(v[3]).at(16).cstr(n1);
                yield new Operation.Tmpfile(u32(v[0]), u32(v[1]), u32(v[2]), u32(v[3]));
            }
            case INTERRUPT -> {
                b.at(0).u64(v[0]);
                yield new Operation.Interrupt(v[0]);
            }
            case BMAP -> {
                b.at(0).u64(v[0]).at(8).u32(v[1]).at(12).u32(v[2]);
                yield new Operation.Bmap(v[0], u32(v[1]));
            }
            case DESTROY -> new Operation.Destroy();
            case IOCTL -> {
                b.at(0).u64(v[0]).at(8).u32(v[1]).at(12).u32(v[2]).at(16).u64(v[3]).at(24).u32(data.length)
                        .at(28).u32(v[4]).at(32).bytes(data);
                yield new Operation.Ioctl(v[0], u32(v[1]), u32(v[2]), v[3], data.length, u32(v[4]), data);
            }
            case POLL -> {
                b.at(0).u64(v[0]).at(8).u64(v[1]).at(16).u32(v[2]).at(20).u32(v[3]);
                yield new Operation.Poll(v[0], v[1], u32(v[2]), u32(v[3]));
            }
            case NOTIFY_REPLY -> {
                b.at(0).u64(v[0]).at(8).u64(v[1]).at(16).u32(data.length).at(20).u32(v[2]).at(24).u64(v[3])
                        .at(32).u64(v[4]).at(40).bytes(data);
                yield new Operation.NotifyReply(v[1], data.length, ByteBuffer.wrap(data));
            }
            case BATCH_FORGET -> {
                int n = data.length % 8;
                b.at(0).u32(n).at(4).u32(v[15]);
                long[] ids = new long[n];
                long[] counts = new long[n];
                for (int i = 0; i < n; i++) {
                    ids[i] = v[2 * i];
                    counts[i] = v[2 * i + 1];
                    b.u64(ids[i]).u64(counts[i]);
                }
                yield new Operation.BatchForget(ids, counts);
            }
            case FALLOCATE -> {
                b.at(0).u64(v[0]).at(8).u64(v[1]).at(16).u64(v[2]).at(24).u32(v[3]).at(28).u32(v[4]);
                yield new Operation.Fallocate(v[0], v[1], v[2], u32(v[3]));
            }
            case LSEEK -> {
                b.at(0).u64(v[0]).at(8).u64(v[1]).at(16).u32(v[2]).at(20).u32(v[3]);
                yield new Operation.Lseek(v[0], v[1], u32(v[2]));
            }
            case COPY_FILE_RANGE, COPY_FILE_RANGE_64 -> {
                b.at(0).u64(v[0]).at(8).u64(v[1]).at(16).u64(v[2]).at(24).u64(v[3]).at(32).u64(v[4])
                        .at(40).u64(v[5]).at(48).u64(v[6]);
                yield new Operation.CopyFileRange(v[0], v[1], v[2], v[3], v[4], v[5], v[6],
                        op == Opcode.COPY_FILE_RANGE_64);
            }
            case SETUPMAPPING -> {
                b.at(0).u64(v[0]).at(8).u64(v[1]).at(16).u64(v[2]).at(24).u64(v[3]).at(32).u64(v[4]);
                yield new Operation.SetupMapping(v[0], v[1], v[2], v[3], v[4]);
            }
            case REMOVEMAPPING -> {
                int n = data.length % 8;
                b.at(0).u32(n);
                long[] offsets = new long[n];
                long[] lens = new long[n];
                for (int i = 0; i < n; i++) {
                    offsets[i] = v[2 * i];
                    lens[i] = v[2 * i + 1];
                    b.u64(offsets[i]).u64(lens[i]);
                }
                yield new Operation.RemoveMapping(offsets, lens);
            }
            case SYNCFS -> {
                b.at(0).u64(v[0]);
                yield new Operation.Syncfs();
            }
            case STATX -> {
                b.at(0).u32(v[0]).at(4).u32(v[1]).at(8).u64(v[2]).at(16).u32(v[3]).at(20).u32(v[4]);
                yield new Operation.Statx(u32(v[0]), v[2], u32(v[3]), u32(v[4]));
            }
        };
        if (groups != null) {
            int size = extLen * 8;
            b.struct().at(0).u32(size).at(4).u32(Abi.EXT_GROUPS).at(8).u32(groups.length);
            for (int g : groups) {
                b.u32(g);
            }
            b.zeros(size - 12 - 4 * groups.length);
        }
        byte[] bytes = b.buildWithLen();
        InHeader header = new InHeader(bytes.length, op.code(), h[0], h[1], u32(h[2]), u32(h[3]), u32(h[4]), extLen);
        return new Sample(bytes, format, header, expected, groups);
    }

    // ---------------------------------------------------------------------------------------------------------
    // nothing but ProtocolException escapes

    @Provide
    Arbitrary<WireFormat> formats() {
        return Combinators.combine(Arbitraries.of(1, 5, 8, 9, 11, 12, 19, 21, 23, 36, 38, 45, 46),
                Arbitraries.of(true, false)).as(WireFormat::new);
    }

    /** Decodes, accepting success or a ProtocolException; any other throwable fails the property. */
    private static void decodeOrProtocolException(byte[] bytes, WireFormat format) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        try {
            WireRequest w = RequestDecoder.decode(buf, format);
            assertEquals(bytes.length, w.header().len());
            switch (w.operation()) {
                case Operation.Write wr -> assertEquals(wr.size(), wr.data().remaining());
                case Operation.NotifyReply nr -> assertEquals(nr.size(), nr.data().remaining());
                case Operation.Ioctl io -> assertEquals(io.inSize(), io.in().length);
                case Operation.BatchForget bf -> assertEquals(bf.nodeIds().length, bf.nlookups().length);
                default -> { }
            }
        } catch (ProtocolException expected) {
            assertTrue(expected.getMessage() != null && !expected.getMessage().isEmpty());
        }
    }

    @Property(tries = 2000)
    void randomBytes(@ForAll @Size(max = 400) byte[] bytes, @ForAll("formats") WireFormat format) {
        decodeOrProtocolException(bytes, format);
    }

    @Property(tries = 5000)
    void randomBodiesBehindAConsistentHeader(@ForAll @IntRange(min = 0, max = 60) int opcode,
                                             @ForAll @IntRange(min = 0, max = 6) int totalExtLen,
                                             @ForAll @Size(max = 300) byte[] body,
                                             @ForAll("formats") WireFormat format) {
        byte[] bytes = le().u32(0).u32(opcode).u64(1).u64(1).u32(0).u32(0).u32(0).u16(totalExtLen).u16(0)
                .bytes(body).buildWithLen();
        decodeOrProtocolException(bytes, format);
    }

    @Property(tries = 3000)
    void truncatedValidRequests(@ForAll("requests") Sample s, @ForAll @IntRange(min = 0, max = 1 << 20) int seed,
                                @ForAll boolean patchLen, @ForAll("formats") WireFormat format) {
        int cut = seed % s.bytes().length;
        byte[] bytes = Arrays.copyOf(s.bytes(), cut);
        if (patchLen && cut >= 4) {
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(0, cut);
        }
        decodeOrProtocolException(bytes, format);
        decodeOrProtocolException(bytes, s.format());
    }

    @Property(tries = 3000)
    void mutatedValidRequests(@ForAll("requests") Sample s,
                              @ForAll @Size(min = 1, max = 6) List<@IntRange(min = 0, max = 1 << 20) Integer> at,
                              @ForAll @Size(min = 6, max = 6) byte[] values,
                              @ForAll boolean patchLen) {
        byte[] bytes = s.bytes().clone();
        for (int i = 0; i < at.size(); i++) {
            bytes[at.get(i) % bytes.length] = values[i];
        }
        if (patchLen) {
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(0, bytes.length);
        }
        decodeOrProtocolException(bytes, s.format());
    }

    // ---------------------------------------------------------------------------------------------------------
    // directory listings

    /** One entry offered to a listing; {@code nodeId} 0 in a plus listing means "without attributes". */
    record DirEntry(String name, long ino, FileType type, long nextOffset, long nodeId) {}

    @Provide
    Arbitrary<List<DirEntry>> dirEntries() {
        Arbitrary<String> name = names().filter(n -> !n.isEmpty() && n.indexOf('/') < 0 && n.indexOf('\0') < 0);
        return Combinators.combine(name, Arbitraries.longs(), Arbitraries.of(FileType.class), Arbitraries.longs(),
                Arbitraries.longs().between(0, 1000)).as(DirEntry::new).list().ofMaxSize(40);
    }

    @Property(tries = 1000)
    void directoryListingNeverOverflowsAndParsesBack(@ForAll @IntRange(min = 0, max = 3000) int maxBytes,
                                                     @ForAll boolean plus,
                                                     @ForAll("dirEntries") List<DirEntry> entries) {
        DirectoryListing listing = new DirectoryListing(maxBytes, plus);
        List<DirEntry> accepted = new ArrayList<>();
        for (DirEntry e : entries) {
            int before = listing.remaining();
            int nameLength = e.name().getBytes(StandardCharsets.UTF_8).length;
            int need = plus ? DirentWriter.direntPlusSize(nameLength) : DirentWriter.direntSize(nameLength);
            boolean added;
            if (!plus) {
                added = listing.add(e.name(), e.ino(), e.type(), e.nextOffset());
            } else if (e.nodeId() == 0) {
                added = listing.addWithoutAttributes(e.name(), e.ino(), e.type(), e.nextOffset());
            } else {
                FileAttr a = FileAttr.builder(e.ino(), e.type()).times(Instant.EPOCH).build();
                added = listing.add(e.name(), e.nextOffset(),
                        new Entry(e.nodeId(), 0, a, Duration.ofSeconds(1), Duration.ofSeconds(1)));
            }
            assertEquals(need <= before, added, "fits exactly when " + need + " <= " + before);
            assertEquals(added ? before - need : before, listing.remaining());
            if (added) {
                accepted.add(e);
            }
        }
        ByteBuffer encoded = listing.encoded();
        assertTrue(encoded.remaining() <= maxBytes);
        assertEquals(maxBytes - listing.remaining(), encoded.remaining());
        assertEquals(accepted.size(), listing.size());
        List<ParsedDirent> parsed = ParsedDirent.parse(encoded, plus);
        assertEquals(accepted.size(), parsed.size());
        for (int i = 0; i < parsed.size(); i++) {
            DirEntry e = accepted.get(i);
            ParsedDirent p = parsed.get(i);
            assertEquals(e.name(), p.name());
            assertEquals(e.ino(), p.ino());
            assertEquals(e.nextOffset(), p.off());
            assertEquals(e.type().direntType(), p.type());
            if (plus) {
                assertEquals(e.nodeId(), p.entry().getLong(0), "entry_out.nodeid");
                assertEquals(e.nodeId() == 0 ? 0 : e.ino(), p.entry().getLong(40), "entry_out.attr.ino");
                assertEquals(e.nodeId() == 0 ? 0 : e.type().modeBits(), p.entry().getInt(40 + 60),
                        "entry_out.attr.mode");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // names: any bytes the kernel sends come back identical

    /**
     * A name of any bytes (1 to 255, no NUL, no '/') decoded from a LOOKUP and listed again in a READDIR and a
     * READDIRPLUS reply is the same bytes on the wire; an unlink, a symlink target and an xattr name too.
     */
    @Property(tries = 2000)
    void anyNameBytesComeBackIdentical(@ForAll("nameBytes") byte[] raw) throws ProtocolException {
        String name = ((Operation.Lookup) decode(le().bytes(raw).u8(0), Opcode.LOOKUP)).name();
        for (boolean plus : new boolean[] {false, true}) {
            DirectoryListing listing = new DirectoryListing(4096, plus);
            boolean fitted = plus
                    ? listing.add(name, 1, new Entry(0, 0, null, Duration.ZERO, Duration.ZERO))
                    : listing.add(name, 7, FileType.REGULAR_FILE, 1);
            assertTrue(fitted);
            ByteBuffer out = listing.encoded();
            int d = plus ? Abi.ENTRY_OUT_SIZE : 0;
            byte[] listed = new byte[out.getInt(d + 16)];
            out.get(d + 24, listed);
            assertArrayEquals(raw, listed);
        }
        Operation.Symlink symlink = (Operation.Symlink) decode(le().bytes(raw).u8(0).bytes(raw).u8(0),
                Opcode.SYMLINK);
        assertEquals(name, symlink.name());
        assertEquals(name, symlink.target());
        Operation.Removexattr rx = (Operation.Removexattr) decode(le().raw("user.").bytes(raw).u8(0),
                Opcode.REMOVEXATTR);
        byte[] xattrName = new byte[5 + raw.length];
        System.arraycopy("user.".getBytes(StandardCharsets.US_ASCII), 0, xattrName, 0, 5);
        System.arraycopy(raw, 0, xattrName, 5, raw.length);
        assertArrayEquals(xattrName, dev.jfuser.Names.bytes(rx.name()));
    }

    /** An ASCII name decodes to one char per byte and is listed straight from the string, as before. */
    @Property(tries = 500)
    void asciiNamesKeepTheirFastPath(@ForAll("asciiNames") String ascii) throws ProtocolException {
        String name = ((Operation.Lookup) decode(le().raw(ascii).u8(0), Opcode.LOOKUP)).name();
        assertEquals(ascii, name);
        DirectoryListing listing = new DirectoryListing(4096, false);
        assertTrue(listing.add(name, 7, FileType.REGULAR_FILE, 1));
        ByteBuffer out = listing.encoded();
        assertEquals(DirentWriter.direntSize(ascii.length()), out.remaining());
        byte[] listed = new byte[out.getInt(16)];
        out.get(24, listed);
        assertArrayEquals(ascii.getBytes(StandardCharsets.US_ASCII), listed);
    }

    private static Operation decode(LeBytes body, Opcode op) throws ProtocolException {
        byte[] b = body.build();
        byte[] request = le().struct().at(0).u32(40 + b.length).at(4).u32(op.code()).at(8).u64(9).at(16).u64(1)
                .zeros(16).at(40).bytes(b).build();
        return RequestDecoder.decode(ByteBuffer.wrap(request), WireFormat.LATEST).operation();
    }

    /** Names Linux allows: 1 to 255 bytes of anything but NUL and '/', biased to bytes that are not ASCII. */
    @Provide
    Arbitrary<byte[]> nameBytes() {
        Arbitrary<Byte> b = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.bytes().filter(x -> x != 0 && x != '/')),
                Tuple.of(3, Arbitraries.integers().between(0x80, 0xff).map(x -> (byte) (int) x)),
                Tuple.of(1, Arbitraries.of((byte) 0xc3, (byte) 0xa9, (byte) 0xe2, (byte) 0x82, (byte) 0xac,
                        (byte) 0xf0, (byte) 0x9f, (byte) 0xed, (byte) 0x0a)));
        return b.array(byte[].class).ofMinSize(1).ofMaxSize(255);
    }

    @Provide
    Arbitrary<String> asciiNames() {
        return Arbitraries.strings().withCharRange((char) 1, (char) 0x7f).excludeChars('/').ofMinLength(1)
                .ofMaxLength(255);
    }
}
