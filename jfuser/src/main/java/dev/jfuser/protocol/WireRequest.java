package dev.jfuser.protocol;

/**
 * One decoded request: its header, its arguments, and the request extensions (7.38+).
 *
 * @param supplementaryGroups the caller's supplementary groups from a {@code FUSE_EXT_GROUPS} extension, or null
 * @param header the decoded {@code fuse_in_header}
 * @param operation the decoded arguments
 */
public record WireRequest(InHeader header, Operation operation, int[] supplementaryGroups) {
    /**
     * The opcode, or null when unknown.
     *
     * @return the opcode, or null when unknown
     */
    public Opcode opcode() {
        return Opcode.of(header.opcode());
    }
}
