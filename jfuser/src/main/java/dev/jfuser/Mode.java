package dev.jfuser;

/**
 * The bits of {@code st_mode} ({@code <sys/stat.h>}): the file type in the top bits ({@link #S_IFMT}), then set-uid,
 * set-gid and sticky, then read, write and execute for owner, group and others. Parameters and attributes named
 * {@code mode} carry these bits as a plain {@code int}; these constants and helpers read and build them. The values
 * are the same on every Linux architecture.
 *
 * <pre>{@code
 * int mode = Mode.of(FileType.REGULAR_FILE, 0644);   // 0100644
 * Mode.type(mode)         // REGULAR_FILE
 * Mode.permissions(mode)  // 0644
 * Mode.toString(mode)     // "-rw-r--r--", as ls -l shows it
 * Mode.toOctal(mode)      // "0100644"
 * }</pre>
 */
public final class Mode {
    private Mode() {}

    /** Mask of the file-type bits. */
    public static final int S_IFMT = 0170000;
    /** File type: socket. */
    public static final int S_IFSOCK = 0140000;
    /** File type: symbolic link. */
    public static final int S_IFLNK = 0120000;
    /** File type: regular file. */
    public static final int S_IFREG = 0100000;
    /** File type: block device. */
    public static final int S_IFBLK = 0060000;
    /** File type: directory. */
    public static final int S_IFDIR = 0040000;
    /** File type: character device. */
    public static final int S_IFCHR = 0020000;
    /** File type: FIFO (named pipe). */
    public static final int S_IFIFO = 0010000;
    /** Set-user-ID on execution. */
    public static final int S_ISUID = 04000;
    /** Set-group-ID on execution; on a directory, new entries take the directory's group. */
    public static final int S_ISGID = 02000;
    /** Sticky: in a directory, only an entry's owner (or the directory's) may remove or rename it. */
    public static final int S_ISVTX = 01000;
    /** Owner: read, write and execute. */
    public static final int S_IRWXU = 0700;
    /** Owner: read. */
    public static final int S_IRUSR = 0400;
    /** Owner: write. */
    public static final int S_IWUSR = 0200;
    /** Owner: execute (search for a directory). */
    public static final int S_IXUSR = 0100;
    /** Group: read, write and execute. */
    public static final int S_IRWXG = 070;
    /** Group: read. */
    public static final int S_IRGRP = 040;
    /** Group: write. */
    public static final int S_IWGRP = 020;
    /** Group: execute (search for a directory). */
    public static final int S_IXGRP = 010;
    /** Others: read, write and execute. */
    public static final int S_IRWXO = 07;
    /** Others: read. */
    public static final int S_IROTH = 04;
    /** Others: write. */
    public static final int S_IWOTH = 02;
    /** Others: execute (search for a directory). */
    public static final int S_IXOTH = 01;
    /** Mask of everything but the type: permissions, set-uid, set-gid and sticky ({@code 07777}). */
    public static final int PERMISSION_BITS = 07777;

    /**
     * The file type encoded in {@code mode}.
     *
     * @param mode a full {@code st_mode}
     * @return its type
     * @throws IllegalArgumentException if the type bits name no file type (0 among them: mkdir's mode may lack
     *     them, and a mknod's mode of type 0 means a regular file, which the caller decides)
     */
    public static FileType type(int mode) {
        return FileType.fromMode(mode);
    }

    /**
     * Whether {@code mode}'s type is {@code type}.
     *
     * @param mode a full {@code st_mode}
     * @param type the type to test for
     * @return whether the type bits are {@code type}'s
     */
    public static boolean is(int mode, FileType type) {
        return (mode & S_IFMT) == type.modeBits();
    }

    /**
     * Whether {@code mode} is a directory's.
     *
     * @param mode a full {@code st_mode}
     * @return whether the type bits are {@link #S_IFDIR}
     */
    public static boolean isDirectory(int mode) {
        return (mode & S_IFMT) == S_IFDIR;
    }

    /**
     * Whether {@code mode} is a regular file's.
     *
     * @param mode a full {@code st_mode}
     * @return whether the type bits are {@link #S_IFREG}
     */
    public static boolean isRegularFile(int mode) {
        return (mode & S_IFMT) == S_IFREG;
    }

    /**
     * Whether {@code mode} is a symbolic link's.
     *
     * @param mode a full {@code st_mode}
     * @return whether the type bits are {@link #S_IFLNK}
     */
    public static boolean isSymlink(int mode) {
        return (mode & S_IFMT) == S_IFLNK;
    }

    /**
     * The permission bits of {@code mode}, with set-uid, set-gid and sticky: {@code mode & 07777}.
     *
     * @param mode a full {@code st_mode}, or permission bits alone
     * @return the low twelve bits
     */
    public static int permissions(int mode) {
        return mode & PERMISSION_BITS;
    }

    /**
     * A full mode from a type and permission bits.
     *
     * @param type the file type
     * @param permissions permission bits, with set-uid, set-gid and sticky if wanted ({@code 0755}, {@code 01777})
     * @return {@code type.modeBits() | permissions}
     * @throws IllegalArgumentException if {@code permissions} has bits outside {@code 07777} (type bits, say)
     */
    public static int of(FileType type, int permissions) {
        if ((permissions & ~PERMISSION_BITS) != 0) {
            throw new IllegalArgumentException("permission bits 0" + Integer.toOctalString(permissions)
                    + " go beyond 07777; pass the type as the FileType and the permissions in octal, e.g. 0644");
        }
        return type.modeBits() | permissions;
    }

    /**
     * {@code mode} in octal with a leading 0, as C writes it: {@code "0100644"}, {@code "0755"}.
     *
     * @param mode a mode
     * @return the octal text
     */
    public static String toOctal(int mode) {
        return "0" + Integer.toOctalString(mode);
    }

    /**
     * {@code mode} as {@code ls -l} shows it: the type letter ({@code -dlcbps}, {@code ?} for none) and three
     * {@code rwx} triplets, with {@code s}/{@code S} for set-uid and set-gid and {@code t}/{@code T} for sticky
     * (lowercase when the execute bit under it is set): {@code "drwxr-xr-x"}, {@code "-rwsr-xr-x"},
     * {@code "drwxrwxrwt"}.
     *
     * @param mode a full {@code st_mode}
     * @return ten characters
     */
    public static String toString(int mode) {
        char[] c = new char[10];
        c[0] = switch (mode & S_IFMT) {
            case S_IFREG -> '-';
            case S_IFDIR -> 'd';
            case S_IFLNK -> 'l';
            case S_IFCHR -> 'c';
            case S_IFBLK -> 'b';
            case S_IFIFO -> 'p';
            case S_IFSOCK -> 's';
            default -> '?';
        };
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            c[i + 1] = (mode & (0400 >> i)) != 0 ? rwx.charAt(i) : '-';
        }
        c[3] = special(mode, S_ISUID, S_IXUSR, 's');
        c[6] = special(mode, S_ISGID, S_IXGRP, 's');
        c[9] = special(mode, S_ISVTX, S_IXOTH, 't');
        return new String(c);
    }

    private static char special(int mode, int bit, int exec, char letter) {
        boolean x = (mode & exec) != 0;
        if ((mode & bit) == 0) {
            return x ? 'x' : '-';
        }
        return x ? letter : Character.toUpperCase(letter);
    }
}
