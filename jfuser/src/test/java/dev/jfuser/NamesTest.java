package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Names}: every byte string has exactly one {@code String}, and back. */
class NamesTest {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ff fe             | \\uDCFF\\uDCFE",
        "63 61 66 e9       | caf\\uDCE9",
        "63 61 66 c3 a9    | caf\\u00E9",
        "c3 28             | \\uDCC3(",
        "c0 af             | \\uDCC0\\uDCAF",
        "e0 80 af          | \\uDCE0\\uDC80\\uDCAF",
        "ed a0 80          | \\uDCED\\uDCA0\\uDC80",
        "ed b2 80          | \\uDCED\\uDCB2\\uDC80",
        "e2 82             | \\uDCE2\\uDC82",
        "e2 82 ac          | \\u20AC",
        "f0 9f 98 80       | \\uD83D\\uDE00",
        "f4 8f bf bf       | \\uDBFF\\uDFFF",
        "f4 90 80 80       | \\uDCF4\\uDC90\\uDC80\\uDC80",
        "f8 88 80 80 80    | \\uDCF8\\uDC88\\uDC80\\uDC80\\uDC80",
        "61 80 62          | a\\uDC80b",
        "e9 c3 a9 e9       | \\uDCE9\\u00E9\\uDCE9",
        "c3 c3 a9          | \\uDCC3\\u00E9",
        "0a 61 0a          | \\u000Aa\\u000A",
    })
    void decodesUtf8AndEscapesEveryOtherByte(String hex, String escaped) {
        byte[] raw = HEX.parseHex(hex.strip());
        String expected = unescape(escaped.strip());
        assertEquals(expected, Names.fromBytes(raw));
        assertArrayEquals(raw, Names.bytes(expected));
        assertEquals(raw.length, Names.byteLength(expected));
    }

    @Test
    void asciiIsOneCharPerByte() {
        byte[] raw = "hello.txt".getBytes(StandardCharsets.US_ASCII);
        assertEquals("hello.txt", Names.fromBytes(raw));
        assertArrayEquals(raw, Names.bytes("hello.txt"));
        assertEquals(9, Names.byteLength("hello.txt"));
        assertEquals("", Names.fromBytes(new byte[0]));
        assertEquals("lo", Names.fromBytes(raw, 3, 2));
        assertEquals(0, Names.bytes("").length);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\\uD800",             // a high surrogate alone
        "a\\uD83D",            // a high surrogate at the end
        "\\uD83Db",            // a high surrogate before a non-surrogate
        "\\uDC00",             // a low surrogate that is not an escape (below U+DC80)
        "\\uDC7F",
        "x\\uDE00",            // a low surrogate of a pair, alone
        "\\uDCC3\\uDCA9",      // escapes of c3 a9, which is "é"
        "\\uDCE2\\uDC82\\uDCAC", // escapes of the euro sign
        "\\uDCF0\\uDC9F\\uDC98\\uDC80",
        "caf\\uDCC3\\uDCA9",
    })
    void refusesStringsNoBytesDecodeTo(String escaped) {
        String s = unescape(escaped);
        assertThrows(IllegalArgumentException.class, () -> Names.bytes(s));
        assertThrows(IllegalArgumentException.class, () -> Names.byteLength(s));
    }

    @Property(tries = 3000)
    void anyBytesComeBackIdentical(@ForAll("nameBytes") byte[] raw) {
        String s = Names.fromBytes(raw);
        assertArrayEquals(raw, Names.bytes(s));
        assertEquals(raw.length, Names.byteLength(s));
        assertEquals(s, Names.fromBytes(Names.bytes(s)));
    }

    @Property(tries = 2000)
    void validUtf8IsPlainUtf8(@ForAll("text") String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(text, Names.fromBytes(utf8));
        assertArrayEquals(utf8, Names.bytes(text));
        assertEquals(utf8.length, Names.byteLength(text));
    }

    /** Any chars at all: either they are refused or they are exactly what their bytes decode to. */
    @Property(tries = 3000)
    void encodingIsInjective(@ForAll("anyChars") String s) {
        byte[] b;
        try {
            b = Names.bytes(s);
        } catch (IllegalArgumentException refused) {
            assertThrows(IllegalArgumentException.class, () -> Names.byteLength(s));
            return;
        }
        assertEquals(s, Names.fromBytes(b));
        assertEquals(b.length, Names.byteLength(s));
    }

    /** Names as Linux allows them: 1 to 255 bytes, neither NUL nor '/'; biased to high bytes and UTF-8 pieces. */
    @Provide
    Arbitrary<byte[]> nameBytes() {
        Arbitrary<byte[]> piece = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.bytes().filter(b -> b != 0 && b != '/').map(b -> new byte[] {b})),
                Tuple.of(3, Arbitraries.integers().between(0x80, 0xff).map(b -> new byte[] {(byte) (int) b})),
                Tuple.of(2, text().map(t -> t.getBytes(StandardCharsets.UTF_8))));
        return piece.list().ofMaxSize(60).map(parts -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            parts.forEach(out::writeBytes);
            byte[] all = out.toByteArray();
            return all.length == 0 ? new byte[] {'x'} : java.util.Arrays.copyOf(all, Math.min(all.length, 255));
        });
    }

    @Provide
    Arbitrary<String> text() {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.integers().between(1, 0x7f)),
                Tuple.of(2, Arbitraries.integers().between(0x80, 0x7ff)),
                Tuple.of(1, Arbitraries.integers().between(0x800, 0xd7ff)),
                Tuple.of(1, Arbitraries.integers().between(0xe000, 0xffff)),
                Tuple.of(1, Arbitraries.integers().between(0x10000, 0x10ffff)));
        return codePoint.list().ofMaxSize(12).map(cps -> {
            StringBuilder sb = new StringBuilder();
            cps.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    @Provide
    Arbitrary<String> anyChars() {
        Arbitrary<Character> c = Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.chars().range('a', 'z')),
                Tuple.of(3, Arbitraries.chars().range('\uDC80', '\uDCFF')),
                Tuple.of(1, Arbitraries.chars().range('\uD800', '\uDFFF')),
                Tuple.of(1, Arbitraries.chars().range('\u0080', '\u07ff')),
                Tuple.of(1, Arbitraries.chars()));
        return c.list().ofMaxSize(12).map(cs -> {
            StringBuilder sb = new StringBuilder();
            cs.forEach(sb::append);
            return sb.toString();
        });
    }

    /** {@code \}{@code uXXXX} escapes to chars (CSV and annotations cannot hold lone surrogates). */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (s.startsWith("\\u", i)) {
                b.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                i += 5;
            } else {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }
}
