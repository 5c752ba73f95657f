package dev.jfuser.protocol;

/**
 * {@code struct fuse_in_header}: the 40 bytes that start every request.
 *
 * @param len total request length in bytes, header included
 * @param opcode the raw opcode (see {@link Opcode#of(int)})
 * @param unique the request id the reply must carry; bit 63 set means the kernel resent it
 * @param nodeId the inode the request is about (1 is the root)
 * @param uid the calling process's filesystem uid
 * @param gid the calling process's filesystem gid
 * @param pid the calling thread's pid (0 when the kernel does not know, e.g. for writeback)
 * @param totalExtLen length of the extension area at the end of the request, in units of 8 bytes (7.38+)
 */
public record InHeader(int len, int opcode, long unique, long nodeId, int uid, int gid, int pid, int totalExtLen) {
    /** Size of the header on the wire. */
    public static final int SIZE = 40;
}
