package dev.jfuser.protocol;

/**
 * What the decoder must know of the negotiated session: the minor version (struct sizes changed over time) and
 * whether {@code SETXATTR_EXT} widened {@code fuse_setxattr_in}.
 *
 * @param minor the protocol minor version
 * @param setxattrExt whether SETXATTR carries the extended {@code fuse_setxattr_in}
 */
public record WireFormat(int minor, boolean setxattrExt) {
    /** Before INIT: the INIT request itself has the same layout at every version. */
    public static final WireFormat INITIAL = new WireFormat(Abi.KERNEL_MINOR_VERSION, false);
    /** The newest format with every size extension on. */
    public static final WireFormat LATEST = new WireFormat(Abi.KERNEL_MINOR_VERSION, true);
}
