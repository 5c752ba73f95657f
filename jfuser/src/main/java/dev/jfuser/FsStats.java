package dev.jfuser;

/**
 * Filesystem statistics for {@code statfs(2)} / {@code df}. Block counts are in units of {@code frsize}.
 *
 * @param blocks total data blocks
 * @param bfree free blocks
 * @param bavail free blocks available to unprivileged users
 * @param files total inodes
 * @param ffree free inodes
 * @param bsize preferred block size
 * @param namelen maximum file name length
 * @param frsize fragment size (the unit of the block counts)
 */
public record FsStats(long blocks, long bfree, long bavail, long files, long ffree, int bsize, int namelen,
                      int frsize) {
    /** What a filesystem that does not implement statfs reports: zero sizes, 255-byte names, 4 KiB blocks. */
    public static final FsStats DEFAULT = new FsStats(0, 0, 0, 0, 0, 4096, 255, 4096);
}
