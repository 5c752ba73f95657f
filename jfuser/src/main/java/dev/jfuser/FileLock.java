package dev.jfuser;

/**
 * A POSIX record lock ({@code struct flock}) as FUSE transports it: a byte range, a type and the owning pid.
 *
 * @param start first byte of the range
 * @param end last byte of the range, inclusive; {@link Long#MAX_VALUE} ({@code OFFSET_MAX}) means "to the end"
 * @param type {@link #F_RDLCK}, {@link #F_WRLCK} or {@link #F_UNLCK}
 * @param pid the process holding the lock (reported by getlk)
 */
public record FileLock(long start, long end, int type, int pid) {
    public static final int F_RDLCK = 0;
    public static final int F_WRLCK = 1;
    public static final int F_UNLCK = 2;

    /**
     * The answer to getlk when nothing conflicts.
     *
     * @return the answer to getlk when nothing conflicts
     */
    public static FileLock unlocked() {
        return new FileLock(0, 0, F_UNLCK, 0);
    }
}
