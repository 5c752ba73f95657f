package dev.jfuser.posix;

/**
 * Filesystem statistics as {@code fstatvfs(3)} reports them; block counts are in {@code frsize} units.
 *
 * @param bsize preferred block size
 * @param frsize fragment size, the unit of the block counts
 * @param blocks total blocks
 * @param bfree free blocks
 * @param bavail blocks free for unprivileged users
 * @param files total inodes
 * @param ffree free inodes
 * @param namemax longest name
 */
public record StatFs(long bsize, long frsize, long blocks, long bfree, long bavail, long files, long ffree,
                     long namemax) {
}
