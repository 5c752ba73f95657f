package dev.jfuser;

/**
 * The kind of an inode, as encoded in the top bits of {@code st_mode} ({@code S_IFMT}) and in a directory
 * entry's {@code d_type}.
 */
public enum FileType {
    /** A named pipe ({@code S_IFIFO}, {@code DT_FIFO}). */
    FIFO(0010000, 1),
    /** A character device ({@code S_IFCHR}, {@code DT_CHR}). */
    CHAR_DEVICE(0020000, 2),
    /** A directory ({@code S_IFDIR}, {@code DT_DIR}). */
    DIRECTORY(0040000, 4),
    /** A block device ({@code S_IFBLK}, {@code DT_BLK}). */
    BLOCK_DEVICE(0060000, 6),
    /** A regular file ({@code S_IFREG}, {@code DT_REG}). */
    REGULAR_FILE(0100000, 8),
    /** A symbolic link ({@code S_IFLNK}, {@code DT_LNK}). */
    SYMLINK(0120000, 10),
    /** A Unix domain socket ({@code S_IFSOCK}, {@code DT_SOCK}). */
    SOCKET(0140000, 12);

    /** Mask of the file-type bits in a mode. */
    public static final int S_IFMT = 0170000;

    private final int modeBits;
    private final int direntType;

    FileType(int modeBits, int direntType) {
        this.modeBits = modeBits;
        this.direntType = direntType;
    }

    /**
     * The {@code S_IF*} bits of this type.
     *
     * @return the {@code S_IFMT} bits
     */
    public int modeBits() {
        return modeBits;
    }

    /**
     * The {@code DT_*} value used in directory listings.
     *
     * @return the {@code d_type}
     */
    public int direntType() {
        return direntType;
    }

    /**
     * The type encoded in a full mode, e.g. {@code fromMode(0100644) == REGULAR_FILE}.
     *
     * @param mode a full {@code st_mode}
     * @return the type
     * @throws IllegalArgumentException when the type bits name no file type
     */
    public static FileType fromMode(int mode) {
        int bits = mode & S_IFMT;
        for (FileType t : values()) {
            if (t.modeBits == bits) {
                return t;
            }
        }
        throw new IllegalArgumentException("mode 0" + Integer.toOctalString(mode) + " has no valid file type bits");
    }
}
