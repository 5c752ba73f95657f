package dev.jfuser;

import java.time.Duration;
import java.util.Objects;

/**
 * The answer to getattr and setattr: the attributes and how long the kernel may cache them.
 *
 * @param attr the attributes
 * @param timeout how long the kernel may use them without asking again
 */
public record AttrReply(FileAttr attr, Duration timeout) {
    /** Checks that both are present and the timeout is not negative. */
    public AttrReply {
        Objects.requireNonNull(attr, "attr");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
    }

    /**
     * Attributes cached for {@link Entry#DEFAULT_TIMEOUT}.
     *
     * @param attr the attributes
     * @return the reply
     */
    public static AttrReply of(FileAttr attr) {
        return new AttrReply(attr, Entry.DEFAULT_TIMEOUT);
    }
}
