package dev.jfuser;

import java.util.StringJoiner;

/**
 * The {@code renameat2(2)} flags ({@code RENAME_*}, {@code <linux/fs.h>}) a filesystem receives in
 * {@link Filesystem#rename}; 0 for a plain {@code rename(2)}. The flags stay a plain {@code int}.
 *
 * <p>The kernel rejects unknown flags and {@link #RENAME_EXCHANGE} combined with another flag before FUSE sees them.
 * A filesystem that implements only some flags answers EINVAL for the others, which {@link #requireOnly} does; the
 * caller then sees EINVAL, as on a local filesystem without the feature.
 */
public final class RenameFlags {
    private RenameFlags() {}

    /** Fail with EEXIST instead of replacing an existing target. */
    public static final int RENAME_NOREPLACE = 1;
    /** Swap source and target atomically; both must exist. */
    public static final int RENAME_EXCHANGE = 2;
    /** Leave a whiteout (a character device 0:0) at the source, for overlayfs upper layers. */
    public static final int RENAME_WHITEOUT = 4;

    /**
     * Fails the rename with EINVAL if {@code flags} has a bit outside {@code supported}, naming the flags.
     *
     * @param flags the rename's flags
     * @param supported the flags the filesystem implements, e.g. {@code RENAME_NOREPLACE | RENAME_EXCHANGE}
     * @throws FuseException with {@link Errno#EINVAL} naming the unsupported flags
     */
    public static void requireOnly(int flags, int supported) throws FuseException {
        int unsupported = flags & ~supported;
        if (unsupported != 0) {
            throw new FuseException(Errno.EINVAL, "rename flags not supported by this filesystem: "
                    + toString(unsupported));
        }
    }

    /**
     * The flags by their C names, for logs: {@code "RENAME_NOREPLACE"}, {@code "0"} for none; other bits in hex.
     *
     * @param flags rename flags
     * @return the names of the flags set, separated by {@code |}
     */
    public static String toString(int flags) {
        if (flags == 0) {
            return "0";
        }
        StringJoiner j = new StringJoiner("|");
        if ((flags & RENAME_NOREPLACE) != 0) {
            j.add("RENAME_NOREPLACE");
        }
        if ((flags & RENAME_EXCHANGE) != 0) {
            j.add("RENAME_EXCHANGE");
        }
        if ((flags & RENAME_WHITEOUT) != 0) {
            j.add("RENAME_WHITEOUT");
        }
        int rest = flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT);
        if (rest != 0) {
            j.add("0x" + Integer.toHexString(rest));
        }
        return j.toString();
    }
}
