package dev.jfuser;

import java.time.Instant;
import java.util.Objects;

/**
 * The attributes of an inode, what {@code stat(2)} shows ({@code struct fuse_attr} on the wire).
 *
 * <p>{@code ino} is the number {@code stat} reports; it may differ from the FUSE node id the filesystem hands
 * the kernel in an {@link Entry}, though most filesystems use the same number. {@code perm} holds the permission
 * bits including set-uid, set-gid and sticky ({@code 07777}); the type bits come from {@link #type()}.
 *
 * @param ino inode number reported by stat
 * @param size size in bytes
 * @param blocks number of 512-byte blocks allocated
 * @param atime last access time
 * @param mtime last modification time
 * @param ctime last status change time
 * @param type file type
 * @param perm permission bits ({@code 07777})
 * @param nlink number of hard links
 * @param uid owner
 * @param gid group
 * @param rdev device number for device nodes ({@code makedev} encoding), else 0
 * @param blksize preferred I/O block size; 0 lets the kernel choose
 * @param flags {@code FUSE_ATTR_*} flags (submount, DAX), normally 0
 */
public record FileAttr(long ino, long size, long blocks, Instant atime, Instant mtime, Instant ctime,
                       FileType type, int perm, int nlink, int uid, int gid, int rdev, int blksize, int flags) {

    /** Checks that the times and the type are present. */
    public FileAttr {
        Objects.requireNonNull(atime, "atime");
        Objects.requireNonNull(mtime, "mtime");
        Objects.requireNonNull(ctime, "ctime");
        Objects.requireNonNull(type, "type");
        if ((perm & ~07777) != 0) {
            throw new IllegalArgumentException("perm 0" + Integer.toOctalString(perm)
                    + " has bits outside 07777; pass the file type as FileType, not in perm");
        }
    }

    /**
     * The full {@code st_mode}: type bits and permission bits.
     *
     * @return the full {@code st_mode}: type bits and permission bits
     */
    public int mode() {
        return type.modeBits() | perm;
    }

    /**
     * Starts a builder for an inode of the given number and type, all times set to now.
     *
     * @param ino the inode number
     * @param type the file type
     * @return the builder
     */
    public static Builder builder(long ino, FileType type) {
        return new Builder(ino, type);
    }

    /**
     * A builder initialised from these attributes.
     *
     * @return a builder initialised from these attributes
     */
    public Builder toBuilder() {
        Builder b = new Builder(ino, type);
        b.size = size;
        b.blocks = blocks;
        b.atime = atime;
        b.mtime = mtime;
        b.ctime = ctime;
        b.perm = perm;
        b.nlink = nlink;
        b.uid = uid;
        b.gid = gid;
        b.rdev = rdev;
        b.blksize = blksize;
        b.flags = flags;
        return b;
    }

    /** Builds {@link FileAttr}s; unset fields default to zero, times to now, nlink to 1 (2 for directories). */
    public static final class Builder {
        private final long ino;
        private FileType type;
        private long size;
        private long blocks;
        private Instant atime;
        private Instant mtime;
        private Instant ctime;
        private int perm;
        private int nlink;
        private int uid;
        private int gid;
        private int rdev;
        private int blksize;
        private int flags;

        private Builder(long ino, FileType type) {
            this.ino = ino;
            this.type = Objects.requireNonNull(type, "type");
            Instant now = Instant.now();
            this.atime = now;
            this.mtime = now;
            this.ctime = now;
            this.nlink = type == FileType.DIRECTORY ? 2 : 1;
        }

        /**
         * Sets the file type.
         *
         * @param type the file type
         * @return this builder
         */
        public Builder type(FileType type) { this.type = Objects.requireNonNull(type, "type"); return this; }

        /**
         * Sets the size in bytes.
         *
         * @param size the size in bytes
         * @return this builder
         */
        public Builder size(long size) { this.size = size; return this; }

        /**
         * Sets 512-byte blocks allocated.
         *
         * @param blocks 512-byte blocks allocated
         * @return this builder
         */
        public Builder blocks(long blocks) { this.blocks = blocks; return this; }

        /**
         * Sets the last access time.
         *
         * @param atime the last access time
         * @return this builder
         */
        public Builder atime(Instant atime) { this.atime = atime; return this; }

        /**
         * Sets the last modification time.
         *
         * @param mtime the last modification time
         * @return this builder
         */
        public Builder mtime(Instant mtime) { this.mtime = mtime; return this; }

        /**
         * Sets the last status change time.
         *
         * @param ctime the last status change time
         * @return this builder
         */
        public Builder ctime(Instant ctime) { this.ctime = ctime; return this; }

        /**
         * Sets atime, mtime and ctime at once.
         *
         * @param t the time for all three
         * @return this builder
         */
        public Builder times(Instant t) { this.atime = t; this.mtime = t; this.ctime = t; return this; }

        /**
         * Sets the permission bits ({@code 07777}).
         *
         * @param perm the permission bits ({@code 07777})
         * @return this builder
         */
        public Builder perm(int perm) { this.perm = perm; return this; }

        /**
         * Sets the number of hard links.
         *
         * @param nlink the number of hard links
         * @return this builder
         */
        public Builder nlink(int nlink) { this.nlink = nlink; return this; }

        /**
         * Sets the owner.
         *
         * @param uid the owner
         * @return this builder
         */
        public Builder uid(int uid) { this.uid = uid; return this; }

        /**
         * Sets the group.
         *
         * @param gid the group
         * @return this builder
         */
        public Builder gid(int gid) { this.gid = gid; return this; }

        /**
         * Sets the device number of a device node.
         *
         * @param rdev the device number of a device node
         * @return this builder
         */
        public Builder rdev(int rdev) { this.rdev = rdev; return this; }

        /**
         * Sets the preferred I/O block size, 0 for the kernel's.
         *
         * @param blksize the preferred I/O block size, 0 for the kernel's
         * @return this builder
         */
        public Builder blksize(int blksize) { this.blksize = blksize; return this; }

        /**
         * Sets {@code FUSE_ATTR_*} flags, normally 0.
         *
         * @param flags {@code FUSE_ATTR_*} flags, normally 0
         * @return this builder
         */
        public Builder flags(int flags) { this.flags = flags; return this; }

        /**
         * Builds the attributes.
         *
         * @return the attributes set so far
         */
        public FileAttr build() {
            return new FileAttr(ino, size, blocks, atime, mtime, ctime, type, perm, nlink, uid, gid, rdev,
                    blksize, flags);
        }
    }
}
