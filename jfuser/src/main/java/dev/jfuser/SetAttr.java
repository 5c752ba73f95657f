package dev.jfuser;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What a setattr request changes: chmod, chown, truncate and utimens all arrive as one SETATTR with only
 * some fields present.
 *
 * <p>Times given as "now" ({@code UTIME_NOW}, or {@code touch}) are resolved to the filesystem's current time
 * when the request is decoded, and {@link #atimeNow()} / {@link #mtimeNow()} tell that they were.
 *
 * <p>The kernel accepts any 64-bit seconds in {@code utimensat}; {@link Instant} covers about ±10^9 years. A time
 * beyond that range arrives clamped to {@link Instant#MIN} or {@link Instant#MAX} rounded to its whole second
 * (0 ns), as the kernel's {@code timestamp_truncate} clamps times at the limits of a filesystem's range, so every
 * value decodes and a later stat shows that limit.
 */
public final class SetAttr {
    private final Integer mode;
    private final Integer uid;
    private final Integer gid;
    private final Long size;
    private final Instant atime;
    private final boolean atimeNow;
    private final Instant mtime;
    private final boolean mtimeNow;
    private final Instant ctime;
    private final Long fh;
    private final Long lockOwner;
    private final boolean killSuidgid;

    /**
     * Builds a change set; {@code null} means "not changed". Public for adapters and test doubles.
     *
     * @param mode the new permission bits, or null
     * @param uid the new owner, or null
     * @param gid the new group, or null
     * @param size the new size, or null
     * @param atime the new access time, or null
     * @param atimeNow whether the access time is set to now
     * @param mtime the new modification time, or null
     * @param mtimeNow whether the modification time is set to now
     * @param ctime the new change time, or null
     * @param fh the file handle the change came through, or null
     * @param lockOwner the lock owner of the caller, or null
     * @param killSuidgid whether to clear the set-user-ID and set-group-ID bits
     */
    public SetAttr(Integer mode, Integer uid, Integer gid, Long size, Instant atime, boolean atimeNow,
                   Instant mtime, boolean mtimeNow, Instant ctime, Long fh, Long lockOwner, boolean killSuidgid) {
        this.mode = mode;
        this.uid = uid;
        this.gid = gid;
        this.size = size;
        this.atime = atime;
        this.atimeNow = atimeNow;
        this.mtime = mtime;
        this.mtimeNow = mtimeNow;
        this.ctime = ctime;
        this.fh = fh;
        this.lockOwner = lockOwner;
        this.killSuidgid = killSuidgid;
    }

    /**
     * New permission bits ({@code chmod}); may include the type bits, which must be ignored.
     *
     * @return the mode, if it changes
     */
    public OptionalInt mode() {
        return mode == null ? OptionalInt.empty() : OptionalInt.of(mode);
    }

    /**
     * New owner ({@code chown}).
     *
     * @return the owner, if it changes
     */
    public OptionalInt uid() {
        return uid == null ? OptionalInt.empty() : OptionalInt.of(uid);
    }

    /**
     * New group ({@code chown}/{@code chgrp}).
     *
     * @return the group, if it changes
     */
    public OptionalInt gid() {
        return gid == null ? OptionalInt.empty() : OptionalInt.of(gid);
    }

    /**
     * New size ({@code truncate}/{@code ftruncate}, or {@code open(O_TRUNC)}).
     *
     * @return the size, if it changes
     */
    public OptionalLong size() {
        return size == null ? OptionalLong.empty() : OptionalLong.of(size);
    }

    /**
     * New access time.
     *
     * @return the time, if set to a given value
     */
    public Optional<Instant> atime() {
        return Optional.ofNullable(atime);
    }

    /**
     * Whether {@link #atime()} was "now" rather than a given time.
     *
     * @return whether {@link #atime()} was "now" rather than a given time
     */
    public boolean atimeNow() {
        return atimeNow;
    }

    /**
     * New modification time.
     *
     * @return the time, if set to a given value
     */
    public Optional<Instant> mtime() {
        return Optional.ofNullable(mtime);
    }

    /**
     * Whether {@link #mtime()} was "now" rather than a given time.
     *
     * @return whether {@link #mtime()} was "now" rather than a given time
     */
    public boolean mtimeNow() {
        return mtimeNow;
    }

    /**
     * New status change time (only sent with the writeback cache).
     *
     * @return the time, if set to a given value
     */
    public Optional<Instant> ctime() {
        return Optional.ofNullable(ctime);
    }

    /**
     * The open file handle when the change came through one ({@code ftruncate}, {@code fchmod}…).
     *
     * @return the open file handle when the change came through one ({@code ftruncate}, {@code fchmod}…)
     */
    public OptionalLong fh() {
        return fh == null ? OptionalLong.empty() : OptionalLong.of(fh);
    }

    /**
     * The lock owner of a truncate through an open file.
     *
     * @return the lock owner of a truncate through an open file
     */
    public OptionalLong lockOwner() {
        return lockOwner == null ? OptionalLong.empty() : OptionalLong.of(lockOwner);
    }

    /**
     * Whether the filesystem should clear set-uid/set-gid bits (the kernel asks when a non-privileged write or
     * truncate happens and the {@code HANDLE_KILLPRIV_V2} capability is on).
     *
     * @return whether to clear the bits
     */
    public boolean killSuidgid() {
        return killSuidgid;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("SetAttr[");
        if (mode != null) b.append("mode=0").append(Integer.toOctalString(mode)).append(' ');
        if (uid != null) b.append("uid=").append(uid).append(' ');
        if (gid != null) b.append("gid=").append(gid).append(' ');
        if (size != null) b.append("size=").append(size).append(' ');
        if (atime != null) b.append("atime=").append(atimeNow ? "now" : atime).append(' ');
        if (mtime != null) b.append("mtime=").append(mtimeNow ? "now" : mtime).append(' ');
        if (ctime != null) b.append("ctime=").append(ctime).append(' ');
        if (fh != null) b.append("fh=").append(fh).append(' ');
        if (killSuidgid) b.append("kill_suidgid ");
        return b.toString().strip() + "]";
    }
}
