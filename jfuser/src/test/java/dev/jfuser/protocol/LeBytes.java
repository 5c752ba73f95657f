package dev.jfuser.protocol;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A little-endian byte assembler for hand-written golden requests and replies, one ABI field per call:
 * {@code le().at(0).u32(len).u32(opcode).u64(unique)...}.
 *
 * <p>{@link #at(int)} asserts the current offset, so each struct is written against the byte offsets of the ABI
 * reference and a miscounted field fails loudly instead of shifting everything after it.
 */
final class LeBytes {
    private byte[] bytes = new byte[64];
    private int size;
    /** Where {@link #at(int)} offsets are counted from (the start of the current struct). */
    private int base;

    static LeBytes le() {
        return new LeBytes();
    }

    /** Starts a new struct here: later {@link #at(int)} offsets are relative to this point. */
    LeBytes struct() {
        base = size;
        return this;
    }

    /** Asserts that the next field starts at {@code offset} from the start of the current struct. */
    LeBytes at(int offset) {
        if (size - base != offset) {
            throw new AssertionError("field expected at struct offset " + offset + " but is at " + (size - base));
        }
        return this;
    }

    LeBytes u8(int v) {
        ensure(1);
        bytes[size++] = (byte) v;
        return this;
    }

    LeBytes u16(int v) {
        return u8(v).u8(v >>> 8);
    }

    /** A u32/s32 field; {@code long} so values like {@code 0xffff_ffffL} read naturally. */
    LeBytes u32(long v) {
        return u16((int) v).u16((int) (v >>> 16));
    }

    LeBytes u64(long v) {
        return u32(v).u32(v >>> 32);
    }

    LeBytes bytes(byte... b) {
        ensure(b.length);
        System.arraycopy(b, 0, bytes, size, b.length);
        size += b.length;
        return this;
    }

    /** The UTF-8 bytes of {@code s} without a terminator. */
    LeBytes raw(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A NUL-terminated name as the kernel sends it. */
    LeBytes cstr(String s) {
        return raw(s).u8(0);
    }

    LeBytes zeros(int n) {
        ensure(n);
        size += n;
        return this;
    }

    /** Fills with {@code value} up to the next multiple of 8 (counted from the start of the whole array). */
    LeBytes padTo8(int value) {
        while ((size & 7) != 0) {
            u8(value);
        }
        return this;
    }

    int size() {
        return size;
    }

    byte[] build() {
        return Arrays.copyOf(bytes, size);
    }

    /** The bytes with {@code fuse_in_header.len} (offset 0) set to their real length. */
    byte[] buildWithLen() {
        byte[] b = build();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(0, b.length);
        return b;
    }

    private void ensure(int n) {
        if (size + n > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + n));
        }
    }

    /** Hex dump in rows of 8 bytes, for readable assertion messages. */
    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < b.length; i += 8) {
            s.append(String.format("%4d: ", i))
                    .append(HexFormat.ofDelimiter(" ").formatHex(b, i, Math.min(b.length, i + 8))).append('\n');
        }
        return s.toString();
    }
}
