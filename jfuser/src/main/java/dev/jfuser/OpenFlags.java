package dev.jfuser;

import java.util.Locale;
import java.util.StringJoiner;

/**
 * The {@code open(2)} flags ({@code O_*}) a filesystem receives in {@link Filesystem#open}, {@link Filesystem#create},
 * {@link Filesystem#tmpfile}, {@link Filesystem#opendir} and, as the open file's flags, in read, write and release;
 * with helpers to read them. The flags stay plain {@code int}s, so {@code flags & OpenFlags.O_APPEND} and raw
 * values both work.
 *
 * <p>Values are the kernel's ({@code <asm/fcntl.h>}), which is what FUSE carries: the flags of the kernel's open
 * file, not a C library's. jfuser targets Linux on x86_64 and aarch64. Most values are the same on every
 * architecture and are compile-time constants; four differ between the two, and are set when this class loads from
 * the JVM's {@code os.arch}, so they are not compile-time constants (not usable as {@code case} labels):
 *
 * <table class="striped">
 * <caption>Flags whose value depends on the architecture (octal)</caption>
 * <thead><tr><th>flag</th><th>x86_64 (and riscv64, s390x, loongarch64)</th><th>aarch64 (and arm)</th>
 *     <th>ppc64, ppc64le</th></tr></thead>
 * <tbody>
 * <tr><td>{@link #O_DIRECT}</td><td>040000</td><td>0200000</td><td>0400000</td></tr>
 * <tr><td>{@link #O_LARGEFILE}</td><td>0100000</td><td>0400000</td><td>0200000</td></tr>
 * <tr><td>{@link #O_DIRECTORY}</td><td>0200000</td><td>040000</td><td>040000</td></tr>
 * <tr><td>{@link #O_NOFOLLOW}</td><td>0400000</td><td>0100000</td><td>0100000</td></tr>
 * </tbody>
 * </table>
 * {@link #O_TMPFILE} contains {@code O_DIRECTORY} and so differs too. Architectures not named use the first column
 * (the kernel's generic values).
 *
 * <p>What the kernel sends: OPEN never carries {@code O_CREAT}, {@code O_EXCL} or {@code O_NOCTTY} (the kernel
 * handles them), CREATE keeps {@code O_CREAT} and {@code O_EXCL}. On 64-bit kernels every open file has
 * {@link #O_LARGEFILE} set, so it shows up in the flags (the C library's {@code O_LARGEFILE} is 0 there, the kernel's
 * is not). The kernel may also set {@link #FMODE_EXEC} on the open of a program being executed.
 */
public final class OpenFlags {
    private OpenFlags() {}

    /** Open for reading only: access mode 0. */
    public static final int O_RDONLY = 0;
    /** Open for writing only: access mode 1. */
    public static final int O_WRONLY = 1;
    /** Open for reading and writing: access mode 2. */
    public static final int O_RDWR = 2;
    /** Mask of the access mode ({@link #O_RDONLY}, {@link #O_WRONLY}, {@link #O_RDWR}) in the flags. */
    public static final int O_ACCMODE = 3;
    /** Create the file if it does not exist (CREATE only; OPEN never carries it). */
    public static final int O_CREAT = 0100;
    /** With {@link #O_CREAT}: fail with EEXIST if the file exists (CREATE only). */
    public static final int O_EXCL = 0200;
    /** Do not make a terminal the controlling terminal (never sent to a FUSE filesystem). */
    public static final int O_NOCTTY = 0400;
    /**
     * Truncate to length 0 on open. Sent in OPEN's flags only with {@link Capability#ATOMIC_O_TRUNC}; otherwise the
     * kernel truncates with a SETATTR first.
     */
    public static final int O_TRUNC = 01000;
    /** Every write goes to the end of the file. */
    public static final int O_APPEND = 02000;
    /** Non-blocking I/O. */
    public static final int O_NONBLOCK = 04000;
    /** Writes complete when the data (not all metadata) is on stable storage. */
    public static final int O_DSYNC = 010000;
    /** Signal-driven I/O ({@code FASYNC}); set with {@code fcntl(F_SETFL)}. */
    public static final int O_ASYNC = 020000;
    /** Do not update the access time. */
    public static final int O_NOATIME = 01000000;
    /** Close the descriptor on {@code execve} (the kernel keeps it to itself; FUSE never sees it). */
    public static final int O_CLOEXEC = 02000000;
    /** Writes complete when data and metadata are on stable storage ({@code __O_SYNC | O_DSYNC}). */
    public static final int O_SYNC = 04010000;
    /** A path-only descriptor, not opened for I/O (never sent to a FUSE filesystem). */
    public static final int O_PATH = 010000000;
    /**
     * The kernel's {@code __FMODE_EXEC}: set in OPEN's flags when {@code execve(2)} opens the program. The open is
     * read-only but needs execute permission, not read permission. A kernel-internal bit, not in the C headers.
     */
    public static final int FMODE_EXEC = 040;

    private static final int[] ARCH = forArch(System.getProperty("os.arch", ""));

    /** Direct I/O, bypassing the page cache; the value depends on the architecture (see the class comment). */
    public static final int O_DIRECT = ARCH[0];
    /**
     * Large-file offsets; always set by 64-bit kernels, so present in the flags. The value depends on the
     * architecture (see the class comment).
     */
    public static final int O_LARGEFILE = ARCH[1];
    /** Fail unless the path is a directory; the value depends on the architecture (see the class comment). */
    public static final int O_DIRECTORY = ARCH[2];
    /** Fail if the last path component is a symbolic link; the value depends on the architecture. */
    public static final int O_NOFOLLOW = ARCH[3];
    /**
     * An unnamed temporary file ({@code __O_TMPFILE | O_DIRECTORY}, so it depends on the architecture); the kernel
     * sends such opens as TMPFILE, without this flag.
     */
    public static final int O_TMPFILE = 020000000 | O_DIRECTORY;

    /**
     * O_DIRECT, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW for an {@code os.arch} value, from the kernel's
     * {@code arch/<arch>/include/uapi/asm/fcntl.h} (or asm-generic for architectures without their own).
     */
    static int[] forArch(String osArch) {
        return switch (osArch.toLowerCase(Locale.ROOT)) {
            case "aarch64", "arm64", "arm" -> new int[] {0200000, 0400000, 040000, 0100000};
            case "ppc64", "ppc64le", "ppc" -> new int[] {0400000, 0200000, 040000, 0100000};
            default -> new int[] {040000, 0100000, 0200000, 0400000};
        };
    }

    /**
     * The access mode of {@code flags}: {@link #O_RDONLY}, {@link #O_WRONLY} or {@link #O_RDWR} (or 3, which Linux
     * accepts for some device ioctls and FUSE never sends).
     *
     * @param flags {@code open(2)} flags
     * @return {@code flags & O_ACCMODE}
     */
    public static int accessMode(int flags) {
        return flags & O_ACCMODE;
    }

    /**
     * Whether a file opened with {@code flags} may be read: access mode {@link #O_RDONLY} or {@link #O_RDWR}.
     *
     * @param flags {@code open(2)} flags
     * @return whether the access mode allows reading
     */
    public static boolean isReadable(int flags) {
        int acc = flags & O_ACCMODE;
        return acc == O_RDONLY || acc == O_RDWR;
    }

    /**
     * Whether a file opened with {@code flags} may be written: access mode {@link #O_WRONLY} or {@link #O_RDWR}.
     *
     * @param flags {@code open(2)} flags
     * @return whether the access mode allows writing
     */
    public static boolean isWritable(int flags) {
        int acc = flags & O_ACCMODE;
        return acc == O_WRONLY || acc == O_RDWR;
    }

    /**
     * The permissions an open with {@code flags} needs, as an {@link Access} mask, for a filesystem that checks
     * permissions itself (mounted without {@code default_permissions}): {@link Access#R_OK} to read,
     * {@link Access#W_OK} to write or to truncate ({@link #O_TRUNC}), and {@link Access#X_OK} instead of read for
     * the read-only open of a program being executed ({@link #FMODE_EXEC}).
     *
     * @param flags {@code open(2)} flags as OPEN or CREATE carries them
     * @return the {@link Access} bits the caller must hold on the file
     */
    public static int accessMask(int flags) {
        int acc = flags & O_ACCMODE;
        int need = switch (acc) {
            case O_WRONLY -> Access.W_OK;
            case O_RDWR -> Access.R_OK | Access.W_OK;
            default -> (flags & FMODE_EXEC) != 0 ? Access.X_OK : Access.R_OK;
        };
        if ((flags & O_TRUNC) != 0) {
            need |= Access.W_OK;
        }
        return need;
    }

    /**
     * The flags by their C names, for logs: {@code toString(O_WRONLY | O_APPEND)} is {@code "O_WRONLY|O_APPEND"};
     * bits without a name come last, in octal ({@code "O_RDONLY|0100000000"}).
     *
     * @param flags {@code open(2)} flags
     * @return the access mode's name followed by the names of the other bits set, separated by {@code |}
     */
    public static String toString(int flags) {
        StringJoiner j = new StringJoiner("|");
        j.add(switch (flags & O_ACCMODE) {
            case O_RDONLY -> "O_RDONLY";
            case O_WRONLY -> "O_WRONLY";
            case O_RDWR -> "O_RDWR";
            default -> "O_ACCMODE";
        });
        int rest = flags & ~O_ACCMODE;
        if ((rest & O_TMPFILE) == O_TMPFILE) {
            j.add("O_TMPFILE");
            rest &= ~O_TMPFILE;
        }
        if ((rest & O_SYNC) == O_SYNC) {
            j.add("O_SYNC");
            rest &= ~O_SYNC;
        }
        int[] bits = {FMODE_EXEC, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK, O_DSYNC, O_ASYNC,
            O_DIRECT, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW, O_NOATIME, O_CLOEXEC, O_PATH};
        String[] names = {"FMODE_EXEC", "O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND", "O_NONBLOCK",
            "O_DSYNC", "O_ASYNC", "O_DIRECT", "O_LARGEFILE", "O_DIRECTORY", "O_NOFOLLOW", "O_NOATIME", "O_CLOEXEC",
            "O_PATH"};
        for (int i = 0; i < bits.length; i++) {
            if ((rest & bits[i]) != 0) {
                j.add(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0) {
            j.add("0" + Integer.toOctalString(rest));
        }
        return j.toString();
    }
}
