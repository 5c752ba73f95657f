package dev.jfuser.protocol;

/**
 * The negotiated parameters sent back in {@code fuse_init_out}.
 *
 * @param flags the 64-bit capability flags (low half in {@code flags}, high half in {@code flags2})
 */
public record InitOut(int major, int minor, int maxReadahead, long flags, int maxBackground,
                      int congestionThreshold, int maxWrite, int timeGran, int maxPages, int mapAlignment,
                      int maxStackDepth, int requestTimeout) {
}
