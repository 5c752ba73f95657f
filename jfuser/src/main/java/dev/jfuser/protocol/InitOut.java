package dev.jfuser.protocol;

/**
 * The negotiated parameters sent back in {@code fuse_init_out}.
 *
 * @param flags the 64-bit capability flags (low half in {@code flags}, high half in {@code flags2})
 * @param major the protocol major version
 * @param minor the protocol minor version
 * @param maxReadahead the readahead limit in bytes
 * @param maxBackground the most background requests in flight
 * @param congestionThreshold background requests at which the kernel reports congestion
 * @param maxWrite the most bytes in one WRITE
 * @param timeGran the timestamp granularity in nanoseconds
 * @param maxPages the most pages in one request
 * @param mapAlignment log2 of the DAX mapping alignment
 * @param maxStackDepth the passthrough stacking depth
 * @param requestTimeout seconds the kernel waits for a reply, 0 for ever
 */
public record InitOut(int major, int minor, int maxReadahead, long flags, int maxBackground,
                      int congestionThreshold, int maxWrite, int timeGran, int maxPages, int mapAlignment,
                      int maxStackDepth, int requestTimeout) {
}
