package dev.jfuser.protocol;

import java.nio.ByteBuffer;

/**
 * Encodes directory entries the way READDIR ({@code struct fuse_dirent}) and READDIRPLUS
 * ({@code struct fuse_direntplus}) replies carry them: back to back, each padded to 8 bytes.
 *
 * <p>{@code off} in each entry is the cookie of the <em>next</em> entry: the kernel passes it back as the offset
 * of the following READDIR, so it must stay meaningful while the directory changes.
 */
public final class DirentWriter {
    private DirentWriter() {}

    /**
     * Size on the wire of a plain dirent with a name of {@code nameLength} bytes.
     *
     * @param nameLength the length of the name in bytes
     * @return the bytes, padded to 8
     */
    public static int direntSize(int nameLength) {
        return align8(Abi.DIRENT_SIZE + nameLength);
    }

    /**
     * Size on the wire of a direntplus with a name of {@code nameLength} bytes.
     *
     * @param nameLength the length of the name in bytes
     * @return the bytes, padded to 8
     */
    public static int direntPlusSize(int nameLength) {
        return align8(Abi.DIRENTPLUS_SIZE + nameLength);
    }

    /**
     * Writes a dirent at the buffer's position if it fits before the limit, advancing the position.
     *
     * @param out the reply buffer; the entry goes at its position
     * @param ino the inode number shown in {@code d_ino}
     * @param nextOffset the offset at which a listing resumes after this entry
     * @param direntType the {@code d_type} ({@code DT_*}: 4 directory, 8 regular file, 10 symlink, …)
     * @param name the name's bytes (no '/' or NUL)
     * @return whether it fitted; when not, the buffer is unchanged
     */
    public static boolean writeDirent(ByteBuffer out, long ino, long nextOffset, int direntType, byte[] name) {
        return write(out, null, ino, nextOffset, direntType, name, null);
    }

    /**
     * {@link #writeDirent(ByteBuffer, long, long, int, byte[])} for a name known to be ASCII (every char below
     * 0x80), written from the string without encoding it into an array first.
     *
     * @param out the reply buffer
     * @param ino the inode number
     * @param nextOffset the offset at which a listing resumes after this entry
     * @param direntType the {@code d_type}
     * @param asciiName the name, all ASCII
     * @return whether the entry fitted
     */
    public static boolean writeAsciiDirent(ByteBuffer out, long ino, long nextOffset, int direntType,
                                           String asciiName) {
        return write(out, null, ino, nextOffset, direntType, null, asciiName);
    }

    /**
     * Writes a direntplus: an entry_out (from {@link ReplyEncoder#entryOut}) followed by the dirent.
     *
     * @param out the reply buffer; the entry goes at its position
     * @param entry the entry_out to write first; the kernel takes a lookup count on its node
     * @param ino the inode number shown in {@code d_ino}
     * @param nextOffset the offset at which a listing resumes after this entry
     * @param direntType the {@code d_type} ({@code DT_*}: 4 directory, 8 regular file, 10 symlink, …)
     * @param name the name's bytes (no '/' or NUL)
     * @return whether it fitted; when not, the buffer is unchanged
     */
    public static boolean writeDirentPlus(ByteBuffer out, EntryOutWriter entry, long ino, long nextOffset,
                                          int direntType, byte[] name) {
        return write(out, entry, ino, nextOffset, direntType, name, null);
    }

    /**
     * {@link #writeDirentPlus(ByteBuffer, EntryOutWriter, long, long, int, byte[])} for a name known to be ASCII.
     *
     * @param out the reply buffer
     * @param entry the entry (lookup count taken) for READDIRPLUS
     * @param ino the inode number
     * @param nextOffset the offset at which a listing resumes after this entry
     * @param direntType the {@code d_type}
     * @param asciiName the name, all ASCII
     * @return whether the entry fitted
     */
    public static boolean writeAsciiDirentPlus(ByteBuffer out, EntryOutWriter entry, long ino, long nextOffset,
                                               int direntType, String asciiName) {
        return write(out, entry, ino, nextOffset, direntType, null, asciiName);
    }

    /** One entry: a direntplus when {@code entry} is given, else a dirent; the name from {@code name} or ASCII. */
    private static boolean write(ByteBuffer out, EntryOutWriter entry, long ino, long nextOffset, int direntType,
                                 byte[] name, String asciiName) {
        int length = name != null ? name.length : asciiName.length();
        int size = entry != null ? direntPlusSize(length) : direntSize(length);
        if (out.remaining() < size) {
            return false;
        }
        int p = out.position();
        int d = p;
        if (entry != null) {
            entry.writeEntryOut(out, p);
            d = p + Abi.ENTRY_OUT_SIZE;
        }
        out.putLong(d, ino);
        out.putLong(d + 8, nextOffset);
        out.putInt(d + 16, length);
        out.putInt(d + 20, direntType);
        if (name != null) {
            out.put(d + 24, name);
        } else {
            for (int i = 0; i < length; i++) {
                out.put(d + 24 + i, (byte) asciiName.charAt(i));
            }
        }
        zero(out, d + 24 + length, p + size);
        out.position(p + size);
        return true;
    }

    /** Writes the 128-byte {@code fuse_entry_out} of a direntplus at an absolute position. */
    @FunctionalInterface
    public interface EntryOutWriter {
        /**
         * Writes the entry.
         *
         * @param out the reply buffer
         * @param position the absolute position of the 128 bytes to fill
         */
        void writeEntryOut(ByteBuffer out, int position);
    }

    private static void zero(ByteBuffer out, int from, int to) {
        for (int i = from; i < to; i++) {
            out.put(i, (byte) 0);
        }
    }

    static int align8(int n) {
        return (n + 7) & ~7;
    }
}
