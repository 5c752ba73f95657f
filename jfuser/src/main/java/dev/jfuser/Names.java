package dev.jfuser;

import java.nio.charset.StandardCharsets;

/**
 * How jfuser turns the bytes of a Linux name into a {@link String} and back, losslessly.
 *
 * <p>To Linux a file name, a symlink target and an xattr name are bytes, not text: any byte except NUL (and '/'
 * in a name) may occur, and real trees hold names that are not valid UTF-8 (Latin-1 names from old archives,
 * arbitrary bytes written by programs). jfuser hands every such value to a filesystem as a {@code String} decoded
 * this way, and encodes every {@code String} a filesystem answers with (directory entries, readlink targets,
 * xattr lists, notification names) the same way back, so whatever bytes the kernel sent come back identical:
 *
 * <ul>
 * <li>Bytes that form valid UTF-8 decode as UTF-8 (ASCII, the common case, one char per byte).</li>
 * <li>Every other byte {@code b} (0x80 to 0xFF; a byte that neither starts nor continues a well-formed sequence
 * in its place) becomes the lone surrogate {@code U+DC00 + b}, that is U+DC80 to U+DCFF, one char per byte (the
 * scheme Python calls "surrogateescape").</li>
 * </ul>
 *
 * <p>{@link #bytes} reverses it: chars encode as UTF-8, and each lone surrogate U+DC80..U+DCFF becomes its byte
 * again. Since UTF-8 cannot encode surrogates, no valid UTF-8 name decodes to one: each byte string has exactly one
 * {@code String}, and {@link #bytes} accepts exactly the {@code String}s that {@link #fromBytes} produces. It
 * rejects the others with {@link IllegalArgumentException}: an unpaired surrogate outside U+DC80..U+DCFF, and
 * escapes of bytes that together form valid UTF-8 (U+DCC3 U+DCA9 would be the bytes of "é", which decode to "é",
 * not to those escapes). A filesystem that answers with such a string gets EIO for that request and a log line.
 *
 * <p>A filesystem that only compares, stores and returns names needs none of this: the strings it is given come
 * back as the same bytes. One that passes names on to something byte-based (another file system, a network
 * protocol, a byte count such as the 255-byte {@code NAME_MAX}) uses {@link #bytes} and {@link #fromBytes}, never
 * {@code String.getBytes(UTF_8)}, which would turn escapes into '?'. Java's own {@code java.nio.file} paths cannot
 * carry names that are not valid UTF-8 in a UTF-8 locale.
 */
public final class Names {
    /** The longest name Linux allows, in bytes ({@code NAME_MAX}). */
    public static final int NAME_MAX = 255;

    private static final int ESCAPE_BASE = 0xDC00;

    private Names() {}

    /**
     * The {@code String} for the bytes of a name, a symlink target or an xattr name; see the class comment.
     *
     * @param bytes the name's bytes as Linux stores them
     * @return a string that {@link #bytes} maps back to exactly these bytes
     */
    public static String fromBytes(byte[] bytes) {
        return fromBytes(bytes, 0, bytes.length);
    }

    /**
     * {@link #fromBytes(byte[])} for {@code length} bytes from {@code offset}.
     *
     * @param bytes the array holding the name
     * @param offset the index of the name's first byte
     * @param length the number of bytes in the name
     * @return a string that {@link #bytes} maps back to exactly these bytes
     */
    public static String fromBytes(byte[] bytes, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        int end = offset + length;
        int i = offset;
        while (i < end && bytes[i] >= 0) {
            i++;
        }
        if (i == end) {
            return new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
        }
        char[] out = new char[length];
        int n = 0;
        for (int k = offset; k < i; k++) {
            out[n++] = (char) bytes[k];
        }
        while (i < end) {
            int b0 = bytes[i] & 0xff;
            if (b0 < 0x80) {
                out[n++] = (char) b0;
                i++;
                continue;
            }
            int len = sequenceLength(bytes, i, end, b0);
            if (len == 0) {
                out[n++] = (char) (ESCAPE_BASE + b0);
                i++;
            } else if (len == 2) {
                out[n++] = (char) (((b0 & 0x1f) << 6) | (bytes[i + 1] & 0x3f));
                i += 2;
            } else if (len == 3) {
                out[n++] = (char) (((b0 & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f));
                i += 3;
            } else {
                int cp = ((b0 & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6)
                        | (bytes[i + 3] & 0x3f);
                out[n++] = Character.highSurrogate(cp);
                out[n++] = Character.lowSurrogate(cp);
                i += 4;
            }
        }
        return new String(out, 0, n);
    }

    /**
     * The length of the well-formed UTF-8 sequence starting with {@code b0} (at least 0x80) at {@code i}, or 0 if
     * there is none (Unicode's table of well-formed byte sequences: no overlong forms, no surrogates, nothing
     * above U+10FFFF).
     */
    private static int sequenceLength(byte[] b, int i, int end, int b0) {
        int len;
        int lo = 0x80;
        int hi = 0xbf;
        if (b0 >= 0xc2 && b0 <= 0xdf) {
            len = 2;
        } else if (b0 >= 0xe0 && b0 <= 0xef) {
            len = 3;
            if (b0 == 0xe0) {
                lo = 0xa0;
            } else if (b0 == 0xed) {
                hi = 0x9f;
            }
        } else if (b0 >= 0xf0 && b0 <= 0xf4) {
            len = 4;
            if (b0 == 0xf0) {
                lo = 0x90;
            } else if (b0 == 0xf4) {
                hi = 0x8f;
            }
        } else {
            return 0;
        }
        if (end - i < len) {
            return 0;
        }
        int b1 = b[i + 1] & 0xff;
        if (b1 < lo || b1 > hi) {
            return 0;
        }
        for (int k = 2; k < len; k++) {
            int bk = b[i + k] & 0xff;
            if (bk < 0x80 || bk > 0xbf) {
                return 0;
            }
        }
        return len;
    }

    /**
     * The bytes {@code s} stands for: UTF-8, with each escape U+DC80..U+DCFF as its byte (the inverse of
     * {@link #fromBytes}).
     *
     * @param s a name as the library hands it over, or any string
     * @return the bytes the kernel sees for {@code s}
     * @throws IllegalArgumentException if {@code s} is not what {@link #fromBytes} produces for any bytes: it holds
     *     an unpaired surrogate other than U+DC80..U+DCFF, or escapes of bytes that form valid UTF-8
     */
    public static byte[] bytes(String s) {
        int n = s.length();
        int i = 0;
        while (i < n && s.charAt(i) < 0x80) {
            i++;
        }
        if (i == n) {
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
        byte[] out = new byte[encodedLength(s, i)];
        int p = 0;
        for (int k = 0; k < i; k++) {
            out[p++] = (byte) s.charAt(k);
        }
        boolean escaped = false;
        while (i < n) {
            char c = s.charAt(i++);
            if (c < 0x80) {
                out[p++] = (byte) c;
            } else if (c < 0x800) {
                out[p++] = (byte) (0xc0 | (c >> 6));
                out[p++] = (byte) (0x80 | (c & 0x3f));
            } else if (Character.isHighSurrogate(c)) {
                // a pair: encodedLength checked that the low surrogate follows
                int cp = Character.toCodePoint(c, s.charAt(i++));
                out[p++] = (byte) (0xf0 | (cp >> 18));
                out[p++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                out[p++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                out[p++] = (byte) (0x80 | (cp & 0x3f));
            } else if (Character.isLowSurrogate(c)) {
                out[p++] = (byte) (c - ESCAPE_BASE);
                escaped = true;
            } else {
                out[p++] = (byte) (0xe0 | (c >> 12));
                out[p++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                out[p++] = (byte) (0x80 | (c & 0x3f));
            }
        }
        if (escaped && !fromBytes(out).equals(s)) {
            throw new IllegalArgumentException("not a name jfuser could have decoded: escapes bytes that form valid"
                    + " UTF-8 (" + describe(s) + ")");
        }
        return out;
    }

    /**
     * The number of bytes {@link #bytes} gives for {@code s}, e.g. to compare with {@link #NAME_MAX}; without an
     * array unless {@code s} holds escapes.
     *
     * @param s a name as the library hands it over, or any string
     * @return the length in bytes of {@code bytes(s)}
     * @throws IllegalArgumentException as {@link #bytes} does
     */
    public static int byteLength(String s) {
        int n = s.length();
        int i = 0;
        while (i < n && s.charAt(i) < 0x80) {
            i++;
        }
        if (i == n) {
            return n;
        }
        for (int k = i; k < n; k++) {
            char c = s.charAt(k);
            if (c >= 0xdc80 && c <= 0xdcff && (k == 0 || !Character.isHighSurrogate(s.charAt(k - 1)))) {
                return bytes(s).length;
            }
        }
        return encodedLength(s, i);
    }

    /** Bytes of {@code s}, all chars before {@code from} being ASCII; checks every surrogate is paired or an escape. */
    private static int encodedLength(String s, int from) {
        int n = s.length();
        int length = from;
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                length++;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    throw new IllegalArgumentException("unpaired surrogate U+" + hex(c) + " at index " + i + " ("
                            + describe(s) + ")");
                }
                length += 4;
                i++;
            } else if (Character.isLowSurrogate(c)) {
                if (c < 0xdc80 || c > 0xdcff) {
                    throw new IllegalArgumentException("unpaired surrogate U+" + hex(c) + " at index " + i
                            + ", not an escaped byte (" + describe(s) + ")");
                }
                length++;
            } else {
                length += 3;
            }
        }
        return length;
    }

    private static String hex(char c) {
        return Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT);
    }

    /** The string with every char outside printable ASCII as {@code \}{@code uXXXX}, for messages and logs. */
    private static String describe(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                b.append(c);
            } else {
                b.append("\\u").append(String.format("%04X", (int) c));
            }
        }
        return b.append('"').toString();
    }
}
