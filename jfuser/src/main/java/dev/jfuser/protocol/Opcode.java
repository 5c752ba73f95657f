package dev.jfuser.protocol;

/**
 * Every request opcode of FUSE protocol 7.45, with the protocol minor version that introduced it.
 *
 * <p>The kernel only sends an opcode once the negotiated minor version (the lower of the kernel's and ours)
 * reaches {@link #sinceMinor()}; a filesystem never sees, say, {@link #STATX} on a 7.38 kernel.
 */
public enum Opcode {
    LOOKUP(1, 1),
    FORGET(2, 1),
    GETATTR(3, 1),
    SETATTR(4, 1),
    READLINK(5, 1),
    SYMLINK(6, 1),
    MKNOD(8, 1),
    MKDIR(9, 1),
    UNLINK(10, 1),
    RMDIR(11, 1),
    RENAME(12, 1),
    LINK(13, 1),
    OPEN(14, 1),
    READ(15, 1),
    WRITE(16, 1),
    STATFS(17, 1),
    RELEASE(18, 1),
    FSYNC(20, 1),
    SETXATTR(21, 1),
    GETXATTR(22, 1),
    LISTXATTR(23, 1),
    REMOVEXATTR(24, 1),
    FLUSH(25, 1),
    INIT(26, 1),
    OPENDIR(27, 1),
    READDIR(28, 1),
    RELEASEDIR(29, 1),
    FSYNCDIR(30, 2),
    GETLK(31, 7),
    SETLK(32, 7),
    SETLKW(33, 7),
    ACCESS(34, 3),
    CREATE(35, 3),
    INTERRUPT(36, 7),
    BMAP(37, 8),
    DESTROY(38, 8),
    IOCTL(39, 11),
    POLL(40, 11),
    NOTIFY_REPLY(41, 15),
    BATCH_FORGET(42, 16),
    FALLOCATE(43, 19),
    READDIRPLUS(44, 21),
    RENAME2(45, 23),
    LSEEK(46, 24),
    COPY_FILE_RANGE(47, 28),
    SETUPMAPPING(48, 31),
    REMOVEMAPPING(49, 31),
    SYNCFS(50, 34),
    TMPFILE(51, 37),
    STATX(52, 39),
    COPY_FILE_RANGE_64(53, 45);

    private static final Opcode[] BY_CODE = new Opcode[54];

    static {
        for (Opcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;
    private final int sinceMinor;

    Opcode(int code, int sinceMinor) {
        this.code = code;
        this.sinceMinor = sinceMinor;
    }

    /** The numeric opcode on the wire ({@code fuse_in_header.opcode}). */
    public int code() {
        return code;
    }

    /** The protocol minor version (7.x) that added this opcode. */
    public int sinceMinor() {
        return sinceMinor;
    }

    /** The opcode for a wire value, or {@code null} if this protocol version does not define it. */
    public static Opcode of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /**
     * Whether the kernel reports an ENOSYS answer to this opcode as success to the caller and then stops sending
     * it for the rest of the mount ({@code fc->no_flush}, {@code no_fsync}, {@code no_fsyncdir}): FLUSH, FSYNC,
     * FSYNCDIR.
     */
    public boolean enosysMeansSuccess() {
        return this == FLUSH || this == FSYNC || this == FSYNCDIR;
    }

    /** Whether the kernel expects no reply at all for this opcode (FORGET, BATCH_FORGET). */
    public boolean hasNoReply() {
        return this == FORGET || this == BATCH_FORGET;
    }
}
