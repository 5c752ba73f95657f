package dev.jfuser.testkit;

import dev.jfuser.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reply the filesystem sent to the fake kernel.
 *
 * @param unique the request it answers
 * @param error 0 on success, else a negated errno as on the wire
 * @param body the bytes after the 16-byte {@code fuse_out_header} (little-endian)
 */
public record Reply(long unique, int error, ByteBuffer body) {
    /** Makes the body a read-only little-endian view. */
    public Reply {
        body = body.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Whether the reply reports success.
     *
     * @return whether the error is 0
     */
    public boolean ok() {
        return error == 0;
    }

    /**
     * The errno of a failed reply.
     *
     * @return the errno
     */
    public Errno errno() {
        if (error >= 0) {
            throw new IllegalStateException("reply to request " + unique + " is not an error");
        }
        return Errno.of(-error);
    }

    /**
     * The body as a byte array.
     *
     * @return a copy of the body's bytes
     */
    public byte[] bytes() {
        byte[] b = new byte[body.remaining()];
        body.duplicate().get(b);
        return b;
    }
}
