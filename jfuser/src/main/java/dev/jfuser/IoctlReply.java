package dev.jfuser;

import java.util.Objects;

/**
 * The answer to an ioctl: the ioctl's return value and the bytes copied back to the caller's argument buffer.
 *
 * <p>FUSE supports "restricted" ioctls on regular mounts: the kernel decodes the command's size from its
 * {@code _IOR/_IOW} encoding and passes exactly that many bytes in and out.
 *
 * @param result the value {@code ioctl(2)} returns to the caller
 * @param out bytes to copy out (at most the request's {@code outSize})
 */
public record IoctlReply(int result, byte[] out) {
    /** Checks that {@code out} is present (empty for none). */
    public IoctlReply {
        Objects.requireNonNull(out, "out");
    }

    /**
     * A reply with a result and no output bytes.
     *
     * @param result the ioctl(2) return value
     * @return a reply with a result and no output bytes
     */
    public static IoctlReply of(int result) {
        return new IoctlReply(result, new byte[0]);
    }
}
