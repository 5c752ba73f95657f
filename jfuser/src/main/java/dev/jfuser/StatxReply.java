package dev.jfuser;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The answer to statx (protocol 7.39+): the usual attributes plus birth time and file attribute flags.
 *
 * <p>A filesystem that does not implement statx is fine: the kernel then falls back to getattr, and never asks
 * again.
 *
 * @param mask which {@code STATX_*} fields are filled in (e.g. {@code STATX_BASIC_STATS | STATX_BTIME})
 * @param attr the basic attributes
 * @param btime creation time, meaningful when {@code mask} has {@code STATX_BTIME} (0x800)
 * @param attributes {@code STATX_ATTR_*} flags (immutable, append-only, …)
 * @param attributesMask which of {@code attributes} the filesystem supports
 * @param timeout how long the kernel may cache the attributes
 */
public record StatxReply(int mask, FileAttr attr, Instant btime, long attributes, long attributesMask,
                         Duration timeout) {
    /** {@code STATX_BASIC_STATS}: type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks. */
    public static final int STATX_BASIC_STATS = 0x7ff;
    /** {@code STATX_BTIME}: the birth time is valid. */
    public static final int STATX_BTIME = 0x800;

    /** Checks that the attributes and the birth time are present. */
    public StatxReply {
        Objects.requireNonNull(attr, "attr");
        Objects.requireNonNull(btime, "btime");
        Objects.requireNonNull(timeout, "timeout");
    }
}
