package dev.jfuser.protocol;

/**
 * Every request opcode of FUSE protocol 7.45, with the protocol minor version that introduced it.
 *
 * <p>The kernel only sends an opcode once the negotiated minor version (the lower of the kernel's and ours)
 * reaches {@link #sinceMinor()}; a filesystem never sees, say, {@link #STATX} on a 7.38 kernel.
 */
public enum Opcode {
    /** {@code FUSE_LOOKUP} (opcode 1, since 7.1). */
    LOOKUP(1, 1),
    /** {@code FUSE_FORGET} (opcode 2, since 7.1). */
    FORGET(2, 1),
    /** {@code FUSE_GETATTR} (opcode 3, since 7.1). */
    GETATTR(3, 1),
    /** {@code FUSE_SETATTR} (opcode 4, since 7.1). */
    SETATTR(4, 1),
    /** {@code FUSE_READLINK} (opcode 5, since 7.1). */
    READLINK(5, 1),
    /** {@code FUSE_SYMLINK} (opcode 6, since 7.1). */
    SYMLINK(6, 1),
    /** {@code FUSE_MKNOD} (opcode 8, since 7.1). */
    MKNOD(8, 1),
    /** {@code FUSE_MKDIR} (opcode 9, since 7.1). */
    MKDIR(9, 1),
    /** {@code FUSE_UNLINK} (opcode 10, since 7.1). */
    UNLINK(10, 1),
    /** {@code FUSE_RMDIR} (opcode 11, since 7.1). */
    RMDIR(11, 1),
    /** {@code FUSE_RENAME} (opcode 12, since 7.1). */
    RENAME(12, 1),
    /** {@code FUSE_LINK} (opcode 13, since 7.1). */
    LINK(13, 1),
    /** {@code FUSE_OPEN} (opcode 14, since 7.1). */
    OPEN(14, 1),
    /** {@code FUSE_READ} (opcode 15, since 7.1). */
    READ(15, 1),
    /** {@code FUSE_WRITE} (opcode 16, since 7.1). */
    WRITE(16, 1),
    /** {@code FUSE_STATFS} (opcode 17, since 7.1). */
    STATFS(17, 1),
    /** {@code FUSE_RELEASE} (opcode 18, since 7.1). */
    RELEASE(18, 1),
    /** {@code FUSE_FSYNC} (opcode 20, since 7.1). */
    FSYNC(20, 1),
    /** {@code FUSE_SETXATTR} (opcode 21, since 7.1). */
    SETXATTR(21, 1),
    /** {@code FUSE_GETXATTR} (opcode 22, since 7.1). */
    GETXATTR(22, 1),
    /** {@code FUSE_LISTXATTR} (opcode 23, since 7.1). */
    LISTXATTR(23, 1),
    /** {@code FUSE_REMOVEXATTR} (opcode 24, since 7.1). */
    REMOVEXATTR(24, 1),
    /** {@code FUSE_FLUSH} (opcode 25, since 7.1). */
    FLUSH(25, 1),
    /** {@code FUSE_INIT} (opcode 26, since 7.1). */
    INIT(26, 1),
    /** {@code FUSE_OPENDIR} (opcode 27, since 7.1). */
    OPENDIR(27, 1),
    /** {@code FUSE_READDIR} (opcode 28, since 7.1). */
    READDIR(28, 1),
    /** {@code FUSE_RELEASEDIR} (opcode 29, since 7.1). */
    RELEASEDIR(29, 1),
    /** {@code FUSE_FSYNCDIR} (opcode 30, since 7.2). */
    FSYNCDIR(30, 2),
    /** {@code FUSE_GETLK} (opcode 31, since 7.7). */
    GETLK(31, 7),
    /** {@code FUSE_SETLK} (opcode 32, since 7.7). */
    SETLK(32, 7),
    /** {@code FUSE_SETLKW} (opcode 33, since 7.7). */
    SETLKW(33, 7),
    /** {@code FUSE_ACCESS} (opcode 34, since 7.3). */
    ACCESS(34, 3),
    /** {@code FUSE_CREATE} (opcode 35, since 7.3). */
    CREATE(35, 3),
    /** {@code FUSE_INTERRUPT} (opcode 36, since 7.7). */
    INTERRUPT(36, 7),
    /** {@code FUSE_BMAP} (opcode 37, since 7.8). */
    BMAP(37, 8),
    /** {@code FUSE_DESTROY} (opcode 38, since 7.8). */
    DESTROY(38, 8),
    /** {@code FUSE_IOCTL} (opcode 39, since 7.11). */
    IOCTL(39, 11),
    /** {@code FUSE_POLL} (opcode 40, since 7.11). */
    POLL(40, 11),
    /** {@code FUSE_NOTIFY_REPLY} (opcode 41, since 7.15). */
    NOTIFY_REPLY(41, 15),
    /** {@code FUSE_BATCH_FORGET} (opcode 42, since 7.16). */
    BATCH_FORGET(42, 16),
    /** {@code FUSE_FALLOCATE} (opcode 43, since 7.19). */
    FALLOCATE(43, 19),
    /** {@code FUSE_READDIRPLUS} (opcode 44, since 7.21). */
    READDIRPLUS(44, 21),
    /** {@code FUSE_RENAME2} (opcode 45, since 7.23). */
    RENAME2(45, 23),
    /** {@code FUSE_LSEEK} (opcode 46, since 7.24). */
    LSEEK(46, 24),
    /** {@code FUSE_COPY_FILE_RANGE} (opcode 47, since 7.28). */
    COPY_FILE_RANGE(47, 28),
    /** {@code FUSE_SETUPMAPPING} (opcode 48, since 7.31). */
    SETUPMAPPING(48, 31),
    /** {@code FUSE_REMOVEMAPPING} (opcode 49, since 7.31). */
    REMOVEMAPPING(49, 31),
    /** {@code FUSE_SYNCFS} (opcode 50, since 7.34). */
    SYNCFS(50, 34),
    /** {@code FUSE_TMPFILE} (opcode 51, since 7.37). */
    TMPFILE(51, 37),
    /** {@code FUSE_STATX} (opcode 52, since 7.39). */
    STATX(52, 39),
    /** {@code FUSE_COPY_FILE_RANGE_64} (opcode 53, since 7.45). */
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

    /**
     * The numeric opcode on the wire ({@code fuse_in_header.opcode}).
     *
     * @return the opcode number
     */
    public int code() {
        return code;
    }

    /**
     * The protocol minor version (7.x) that added this opcode.
     *
     * @return the minor version
     */
    public int sinceMinor() {
        return sinceMinor;
    }

    /**
     * The opcode for a wire value, or {@code null} if this protocol version does not define it.
     *
     * @param code the opcode number from the request header
     * @return the opcode, or null
     */
    public static Opcode of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /**
     * Whether the kernel reports an ENOSYS answer to this opcode as success to the caller and then stops sending
     * it for the rest of the mount ({@code fc->no_flush}, {@code no_fsync}, {@code no_fsyncdir}): FLUSH, FSYNC,
     * FSYNCDIR.
     *
     * @return whether ENOSYS counts as success for this opcode
     */
    public boolean enosysMeansSuccess() {
        return this == FLUSH || this == FSYNC || this == FSYNCDIR;
    }

    /**
     * Whether the kernel expects no reply at all for this opcode (FORGET, BATCH_FORGET).
     *
     * @return whether no reply is sent
     */
    public boolean hasNoReply() {
        return this == FORGET || this == BATCH_FORGET;
    }
}
