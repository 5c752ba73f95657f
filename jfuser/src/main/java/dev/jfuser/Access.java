package dev.jfuser;

import java.util.StringJoiner;

/**
 * The {@code access(2)} mask bits ({@code <unistd.h>}) a filesystem receives in {@link Filesystem#access}, and the
 * mask {@link OpenFlags#accessMask} computes for an open. The mask stays a plain {@code int}.
 */
public final class Access {
    private Access() {}

    /** Existence only: mask 0, no permission asked. */
    public static final int F_OK = 0;
    /** Execute (for a directory: search) permission. */
    public static final int X_OK = 1;
    /** Write permission. */
    public static final int W_OK = 2;
    /** Read permission. */
    public static final int R_OK = 4;

    /**
     * The mask by its C names, for logs: {@code toString(R_OK | W_OK)} is {@code "R_OK|W_OK"}, 0 is {@code "F_OK"};
     * other bits come last in octal.
     *
     * @param mask an {@code access(2)} mask
     * @return the names of the bits set, separated by {@code |}
     */
    public static String toString(int mask) {
        if (mask == F_OK) {
            return "F_OK";
        }
        StringJoiner j = new StringJoiner("|");
        if ((mask & R_OK) != 0) {
            j.add("R_OK");
        }
        if ((mask & W_OK) != 0) {
            j.add("W_OK");
        }
        if ((mask & X_OK) != 0) {
            j.add("X_OK");
        }
        int rest = mask & ~(R_OK | W_OK | X_OK);
        if (rest != 0) {
            j.add("0" + Integer.toOctalString(rest));
        }
        return j.toString();
    }
}
