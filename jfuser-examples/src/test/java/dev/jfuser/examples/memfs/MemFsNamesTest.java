package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.Names;
import dev.jfuser.testkit.FakeKernel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * memfs stores names of any bytes through the real codec: not UTF-8, with newlines, 255 bytes long; as entries,
 * symlink targets and xattr names, across renames, links and an image save and load.
 */
class MemFsNamesTest {
    @TempDir
    Path tmp;

    private static byte[] b(String hex) {
        return HexFormat.ofDelimiter(" ").parseHex(hex);
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] repeat(byte[] unit, int times) {
        byte[][] parts = new byte[times][];
        java.util.Arrays.fill(parts, unit);
        return cat(parts);
    }

    /** The path component for these bytes. */
    private static String n(byte[] raw) {
        return Names.fromBytes(raw);
    }

    static final byte[] FF_FE = b("ff fe");
    static final byte[] CAFE_LATIN1 = cat(utf8("caf"), b("e9"));
    static final byte[] MIXED = cat(utf8("é-"), b("ff"), utf8("-€"), b("c3"), utf8("x"), b("ed a0 80"));
    static final byte[] NEWLINES = utf8("line\none\n");
    static final byte[] EURO_255 = repeat(utf8("€"), 85);                // 85 × 3 bytes
    static final byte[] HIGH_255 = repeat(b("ff"), 255);

    private static Set<List<Byte>> asBytes(List<String> names) {
        Set<List<Byte>> out = new java.util.HashSet<>();
        for (String s : names) {
            List<Byte> l = new ArrayList<>();
            for (byte x : Names.bytes(s)) {
                l.add(x);
            }
            out.add(l);
        }
        return out;
    }

    @Test
    void namesOfAnyBytesAreStoredListedAndRenamed() throws Exception {
        try (FakeKernel k = FakeKernel.start(new MemFs(MemFs.Options.defaults().withRoot(0, 0, 0777)))) {
            List<byte[]> names = List.of(FF_FE, CAFE_LATIN1, MIXED, NEWLINES, EURO_255, HIGH_255);
            for (byte[] name : names) {
                k.writeFile("/" + n(name), name);
            }
            k.mkdir("/" + n(FF_FE) + "d", 0755);
            List<byte[]> expected = new ArrayList<>(names);
            expected.add(cat(FF_FE, utf8("d")));
            assertEquals(asBytes(expected.stream().map(Names::fromBytes).toList()), asBytes(k.list("/")));
            for (byte[] name : names) {
                assertArrayEquals(name, k.readFile("/" + n(name)));
                assertEquals(Names.fromBytes(name), k.list("/").stream().filter(s -> s.equals(n(name)))
                        .findFirst().orElseThrow());
            }
            // READDIRPLUS in small chunks lists the same names
            assertEquals(asBytes(k.list("/")), asBytes(k.readdir("/", true, 512).stream()
                    .map(FakeKernel.DirEntry::name).filter(s -> !s.equals(".") && !s.equals("..")).toList()));
            // rename from one undecodable name to another, into a directory with one
            k.rename("/" + n(CAFE_LATIN1), "/" + n(FF_FE) + "d/" + n(b("80 81 0a")));
            assertArrayEquals(CAFE_LATIN1, k.readFile("/" + n(FF_FE) + "d/" + n(b("80 81 0a"))));
            assertThrows(FuseException.class, () -> k.stat("/" + n(CAFE_LATIN1)));
            String dir = "/" + n(FF_FE) + "d";
            k.link("/" + n(MIXED), dir + "/" + n(b("fe")));
            assertEquals(2, k.stat(dir + "/" + n(b("fe"))).nlink());
            k.unlink("/" + n(MIXED));
            assertEquals(1, k.stat(dir + "/" + n(b("fe"))).nlink());
            FuseException notEmpty = assertThrows(FuseException.class, () -> k.rmdir(dir));
            assertEquals(Errno.ENOTEMPTY, notEmpty.errno());
            assertEquals(asBytes(List.of(n(b("80 81 0a")), n(b("fe")))), asBytes(k.list(dir)));
        }
    }

    @Test
    void theNameLimitCountsBytes() throws Exception {
        try (FakeKernel k = FakeKernel.start(new MemFs(MemFs.Options.defaults().withRoot(0, 0, 0777)))) {
            // 255 bytes of three-byte chars and of two-byte chars with one ASCII byte: 85 and 128 chars
            byte[] twoByte255 = cat(repeat(utf8("é"), 127), utf8("a"));
            for (byte[] ok : List.of(EURO_255, twoByte255, HIGH_255, cat(repeat(utf8("é"), 127), b("ff")))) {
                k.mkdir("/" + n(ok), 0755);
                assertEquals(ok.length, Names.bytes(k.list("/").stream().filter(s -> s.equals(n(ok))).findFirst()
                        .orElseThrow()).length);
            }
            for (byte[] tooLong : List.of(cat(EURO_255, utf8("a")), repeat(utf8("é"), 128), repeat(b("ff"), 256),
                    cat(repeat(b("ff"), 254), utf8("é")))) {
                FuseException e = assertThrows(FuseException.class, () -> k.mkdir("/" + n(tooLong), 0755));
                assertEquals(Errno.ENAMETOOLONG, e.errno(), tooLong.length + " bytes");
                e = assertThrows(FuseException.class, () -> k.symlink("t", "/" + n(tooLong)));
                assertEquals(Errno.ENAMETOOLONG, e.errno());
                e = assertThrows(FuseException.class, () -> k.rename("/" + n(EURO_255), "/" + n(tooLong)));
                assertEquals(Errno.ENAMETOOLONG, e.errno());
            }
        }
    }

    @Test
    void symlinkTargetsAndXattrNamesKeepTheirBytes() throws Exception {
        try (FakeKernel k = FakeKernel.start(new MemFs(MemFs.Options.defaults().withRoot(0, 0, 0777)))) {
            byte[] target = cat(utf8("../"), FF_FE, utf8("/"), CAFE_LATIN1, utf8("\n"));
            k.symlink(n(target), "/" + n(b("f0 28 8c 28")));
            assertArrayEquals(target, Names.bytes(k.readlink("/" + n(b("f0 28 8c 28")))));
            assertEquals(target.length, k.stat("/" + n(b("f0 28 8c 28"))).size());

            k.writeFile("/f", new byte[0]);
            byte[] x1 = cat(utf8("user."), b("ff"));
            byte[] x2 = cat(utf8("user.caf"), b("e9"), utf8("\n"));
            k.setxattr("/f", n(x1), b("01"), 0);
            k.setxattr("/f", n(x2), b("02 ff"), 0);
            Set<String> listed = new TreeSet<>(k.listxattr("/f"));
            assertEquals(new TreeSet<>(List.of(n(x1), n(x2))), listed);
            assertArrayEquals(b("01"), k.getxattr("/f", n(x1)));
            assertArrayEquals(b("02 ff"), k.getxattr("/f", n(x2)));
            k.removexattr("/f", n(x1));
            assertEquals(List.of(n(x2)), k.listxattr("/f"));
        }
    }

    @Test
    void anImageKeepsTheBytes() throws Exception {
        Path image = tmp.resolve("names.img");
        byte[] target = cat(FF_FE, utf8("/x"));
        byte[] xattr = cat(utf8("user."), b("ff"));
        try (FakeKernel k = FakeKernel.start(new MemFs(MemFs.Options.defaults().withImage(image)))) {
            k.mkdir("/" + n(CAFE_LATIN1), 0755);
            k.writeFile("/" + n(CAFE_LATIN1) + "/" + n(HIGH_255), MIXED);
            k.symlink(n(target), "/" + n(MIXED));
            k.setxattr("/" + n(CAFE_LATIN1), n(xattr), FF_FE, 0);
        }
        try (FakeKernel k = FakeKernel.start(new MemFs(MemFs.Options.defaults().withImage(image)))) {
            assertEquals(asBytes(List.of(n(CAFE_LATIN1), n(MIXED))), asBytes(k.list("/")));
            assertArrayEquals(MIXED, k.readFile("/" + n(CAFE_LATIN1) + "/" + n(HIGH_255)));
            assertArrayEquals(target, Names.bytes(k.readlink("/" + n(MIXED))));
            assertArrayEquals(FF_FE, k.getxattr("/" + n(CAFE_LATIN1), n(xattr)));
        }
    }
}
