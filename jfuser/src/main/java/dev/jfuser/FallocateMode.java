package dev.jfuser;

import java.util.StringJoiner;

/**
 * The {@code fallocate(2)} mode bits ({@code FALLOC_FL_*}, {@code <linux/falloc.h>}) a filesystem receives in
 * {@link Filesystem#fallocate}; 0 allocates the range and extends the file. The mode stays a plain {@code int}.
 *
 * <p>FUSE forwards only {@link #FALLOC_FL_KEEP_SIZE}, {@link #FALLOC_FL_PUNCH_HOLE} (always with
 * {@code KEEP_SIZE}) and {@link #FALLOC_FL_ZERO_RANGE}; the kernel answers EOPNOTSUPP for other modes itself. A
 * filesystem answers EOPNOTSUPP for the modes it does not implement, which {@link #requireOnly} does.
 */
public final class FallocateMode {
    private FallocateMode() {}

    /** Allocate without changing the file size. */
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    /** Deallocate the range (always with {@link #FALLOC_FL_KEEP_SIZE}); it then reads as zeros. */
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;
    /** Reserved code point; no filesystem implements it. */
    public static final int FALLOC_FL_NO_HIDE_STALE = 0x04;
    /** Remove the range and shift the rest of the file down. */
    public static final int FALLOC_FL_COLLAPSE_RANGE = 0x08;
    /** Make the range read as zeros, allocated. */
    public static final int FALLOC_FL_ZERO_RANGE = 0x10;
    /** Insert a hole at the offset, shifting the rest of the file up. */
    public static final int FALLOC_FL_INSERT_RANGE = 0x20;
    /** Unshare blocks shared with other files (copy on write). */
    public static final int FALLOC_FL_UNSHARE_RANGE = 0x40;

    /**
     * Fails the fallocate with EOPNOTSUPP if {@code mode} has a bit outside {@code supported}, naming the bits.
     *
     * @param mode the fallocate mode
     * @param supported the bits the filesystem implements, e.g. {@code FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE}
     * @throws FuseException with {@link Errno#EOPNOTSUPP} naming the unsupported bits
     */
    public static void requireOnly(int mode, int supported) throws FuseException {
        int unsupported = mode & ~supported;
        if (unsupported != 0) {
            throw new FuseException(Errno.EOPNOTSUPP, "fallocate mode not supported by this filesystem: "
                    + toString(unsupported));
        }
    }

    /**
     * The mode by its C names, for logs: {@code "FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE"}, {@code "0"} for a
     * plain allocation; other bits in hex.
     *
     * @param mode a fallocate mode
     * @return the names of the bits set, separated by {@code |}
     */
    public static String toString(int mode) {
        if (mode == 0) {
            return "0";
        }
        int[] bits = {FALLOC_FL_PUNCH_HOLE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_NO_HIDE_STALE, FALLOC_FL_COLLAPSE_RANGE,
            FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE};
        String[] names = {"FALLOC_FL_PUNCH_HOLE", "FALLOC_FL_KEEP_SIZE", "FALLOC_FL_NO_HIDE_STALE",
            "FALLOC_FL_COLLAPSE_RANGE", "FALLOC_FL_ZERO_RANGE", "FALLOC_FL_INSERT_RANGE", "FALLOC_FL_UNSHARE_RANGE"};
        StringJoiner j = new StringJoiner("|");
        int rest = mode;
        for (int i = 0; i < bits.length; i++) {
            if ((rest & bits[i]) != 0) {
                j.add(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0) {
            j.add("0x" + Integer.toHexString(rest));
        }
        return j.toString();
    }
}
