package dev.jfuser;

/**
 * The answer to open and opendir: a file handle and flags that steer the kernel's page cache.
 *
 * <p>The file handle {@code fh} is any 64-bit value the filesystem chooses (an index, a pointer-like id); the kernel
 * passes it back unchanged on every read, write, flush, release… of this open file.
 *
 * @param fh the file handle
 * @param flags {@code FOPEN_*} bits, see the constants of this class
 * @param backingId the id of a registered backing file for FUSE passthrough ({@link #PASSTHROUGH}), else 0
 */
public record OpenReply(long fh, int flags, int backingId) {
    /** Bypass the page cache: every read and write reaches the filesystem, sizes need not be known. */
    public static final int DIRECT_IO = 1;
    /** Keep the cached pages of this file from earlier opens (the file did not change meanwhile). */
    public static final int KEEP_CACHE = 1 << 1;
    /** The file is not seekable (pipes, sockets-like files). */
    public static final int NONSEEKABLE = 1 << 2;
    /** Allow the kernel to cache this directory's listing (opendir only). */
    public static final int CACHE_DIR = 1 << 3;
    /** A stream: no file position at all. */
    public static final int STREAM = 1 << 4;
    /** Do not send FLUSH on close. */
    public static final int NOFLUSH = 1 << 5;
    /** Allow parallel direct writes on the same file (with {@link #DIRECT_IO}). */
    public static final int PARALLEL_DIRECT_WRITES = 1 << 6;
    /** Reads and writes go straight to {@link #backingId()}'s file in the kernel. */
    public static final int PASSTHROUGH = 1 << 7;

    /**
     * An open reply with the handle and no flags.
     *
     * @param fh a file handle of the filesystem's choice, passed back in later requests
     * @return an open reply with the handle and no flags
     */
    public static OpenReply of(long fh) {
        return new OpenReply(fh, 0, 0);
    }

    /**
     * An open reply with the handle and {@code FOPEN_*} flags.
     *
     * @param fh a file handle of the filesystem's choice, passed back in later requests
     * @param flags {@code FOPEN_*} flags
     * @return an open reply with the handle and {@code FOPEN_*} flags
     */
    public static OpenReply of(long fh, int flags) {
        return new OpenReply(fh, flags, 0);
    }
}
