package dev.jfuser;

import java.time.Duration;
import java.util.Objects;

/**
 * The answer to a name lookup (and to mknod, mkdir, symlink, link, create): which inode a name refers to.
 *
 * <p>Each {@code Entry} returned with a non-zero {@code nodeId} increments the kernel's <em>lookup count</em> of
 * that node by one; the kernel later gives the counts back with {@link Filesystem#forget}. A filesystem must keep
 * the node id valid until its count returns to zero. {@code generation} distinguishes a reused node id from its
 * previous life (needed for NFS export). The two timeouts say how long the kernel may cache the name→node mapping
 * and the attributes without asking again; zero means "ask every time".
 *
 * @param nodeId the FUSE node id (never 1 except for the root; 0 means a cached negative entry)
 * @param generation the node id's generation
 * @param attr the node's attributes
 * @param entryTimeout how long the kernel may cache the name
 * @param attrTimeout how long the kernel may cache the attributes
 */
public record Entry(long nodeId, long generation, FileAttr attr, Duration entryTimeout, Duration attrTimeout) {

    /** One second: the default timeout libfuse filesystems commonly use. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

    /** Checks the timeouts (present, not negative) and that a positive entry ({@code nodeId != 0}) has attributes. */
    public Entry {
        Objects.requireNonNull(entryTimeout, "entryTimeout");
        Objects.requireNonNull(attrTimeout, "attrTimeout");
        if (nodeId != 0) {
            Objects.requireNonNull(attr, "attr");
        }
        if (entryTimeout.isNegative() || attrTimeout.isNegative()) {
            throw new IllegalArgumentException("timeouts must not be negative: " + entryTimeout + ", " + attrTimeout);
        }
    }

    /**
     * An entry for {@code attr.ino()} as node id, generation 0 and the {@link #DEFAULT_TIMEOUT}s.
     *
     * @param attr the attributes
     * @return an entry for {@code attr.ino()} as node id, generation 0 and the {@link #DEFAULT_TIMEOUT}s
     */
    public static Entry of(FileAttr attr) {
        return new Entry(attr.ino(), 0, attr, DEFAULT_TIMEOUT, DEFAULT_TIMEOUT);
    }

    /**
     * An entry with the given node id and timeouts (both the same).
     *
     * @param nodeId the node id
     * @param attr the attributes
     * @param timeout how long the kernel may cache the answer
     * @return an entry with the given node id and timeouts (both the same)
     */
    public static Entry of(long nodeId, FileAttr attr, Duration timeout) {
        return new Entry(nodeId, 0, attr, timeout, timeout);
    }

    /**
     * A negative entry: "this name does not exist", cached by the kernel for {@code timeout} so repeated lookups of
     * a missing name do not reach the filesystem. Throwing ENOENT from lookup instead caches nothing.
     *
     * @param timeout how long the kernel may cache it
     * @return the negative entry
     */
    public static Entry negative(Duration timeout) {
        return new Entry(0, 0, null, timeout, Duration.ZERO);
    }
}
