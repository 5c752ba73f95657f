package dev.jfuser.posix;

/**
 * One directory entry as {@code getdents64(2)} reports it.
 *
 * @param ino the entry's inode number
 * @param type the {@code DT_*} type (0 when the filesystem does not say)
 * @param name the name, raw bytes (not NUL-terminated; may be any bytes but '/' and NUL)
 */
public record DirEntry(long ino, int type, byte[] name) {
}
