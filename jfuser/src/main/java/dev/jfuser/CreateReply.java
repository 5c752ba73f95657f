package dev.jfuser;

import java.util.Objects;

/**
 * The answer to create: the new entry and its open file, in one round trip.
 *
 * @param entry the created node (its lookup count goes up by one)
 * @param open the open file
 */
public record CreateReply(Entry entry, OpenReply open) {
    /** Checks that both parts are present. */
    public CreateReply {
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(open, "open");
        if (entry.nodeId() == 0) {
            throw new IllegalArgumentException("create must return a real node, not a negative entry");
        }
    }
}
