package dev.jfuser;

/**
 * The {@code setxattr(2)} flags ({@code XATTR_*}, {@code <linux/xattr.h>}) a filesystem receives in
 * {@link Filesystem#setxattr}, and Linux's xattr size limits ({@code <linux/limits.h>}). The flags stay a plain
 * {@code int}; 0 means "create or replace".
 */
public final class XattrFlags {
    private XattrFlags() {}

    /** Fail with EEXIST if the attribute exists. */
    public static final int XATTR_CREATE = 1;
    /** Fail with ENODATA if the attribute does not exist. */
    public static final int XATTR_REPLACE = 2;
    /** The longest attribute name, in bytes, including its namespace prefix ({@code user.}). */
    public static final int XATTR_NAME_MAX = 255;
    /** The largest attribute value, in bytes. */
    public static final int XATTR_SIZE_MAX = 65536;
    /** The largest {@code listxattr} answer, in bytes: every name with its terminating NUL. */
    public static final int XATTR_LIST_MAX = 65536;

    /**
     * Applies {@link #XATTR_CREATE} and {@link #XATTR_REPLACE} the way Linux does: fails if the attribute exists
     * and {@code XATTR_CREATE} is set, or is absent and {@code XATTR_REPLACE} is set. Call it with the
     * attribute's current state, under the lock that guards the change.
     *
     * @param flags the setxattr flags
     * @param exists whether the attribute exists now
     * @throws FuseException {@link Errno#EEXIST} or {@link Errno#ENODATA} as above; {@link Errno#EINVAL} for flags
     *     other than those two
     */
    public static void check(int flags, boolean exists) throws FuseException {
        if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0) {
            throw new FuseException(Errno.EINVAL, "unknown setxattr flags 0x"
                    + Integer.toHexString(flags & ~(XATTR_CREATE | XATTR_REPLACE)));
        }
        if ((flags & XATTR_CREATE) != 0 && exists) {
            throw new FuseException(Errno.EEXIST, "the attribute exists (XATTR_CREATE)");
        }
        if ((flags & XATTR_REPLACE) != 0 && !exists) {
            throw new FuseException(Errno.ENODATA, "the attribute does not exist (XATTR_REPLACE)");
        }
    }
}
