package dev.jfuser.posix;

import java.time.Instant;

/**
 * The status of a file as {@code statx(2)} reports it.
 *
 * @param dev the device of the filesystem holding the file: major in the high 32 bits, minor in the low
 * @param ino the inode number
 * @param mode file type and permission bits ({@code st_mode})
 * @param nlink hard links
 * @param uid owner
 * @param gid group
 * @param rdevMajor major number of a device file
 * @param rdevMinor minor number of a device file
 * @param size size in bytes
 * @param blocks 512-byte blocks allocated
 * @param blksize preferred I/O size
 * @param atime last access
 * @param mtime last modification
 * @param ctime last status change
 */
public record Stat(long dev, long ino, int mode, int nlink, int uid, int gid, int rdevMajor, int rdevMinor,
                   long size, long blocks, int blksize, Instant atime, Instant mtime, Instant ctime) {
    /**
     * The device number of a device file in the kernel's 32-bit encoding, as FUSE's {@code rdev} carries it.
     *
     * @return {@code minor & 0xff | major << 8 | (minor & ~0xff) << 12}, as {@code new_encode_dev} makes it
     */
    public int rdev() {
        return (rdevMinor & 0xff) | (rdevMajor << 8) | ((rdevMinor & ~0xff) << 12);
    }
}
