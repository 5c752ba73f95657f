package dev.jfuser.examples.memfs;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A POSIX ACL in the kernel's xattr form ({@code system.posix_acl_access} / {@code system.posix_acl_default}): a
 * little-endian u32 version 2, then entries of u16 tag, u16 permission bits, u32 id. The kernel enforces ACLs
 * itself once the filesystem negotiates {@code POSIX_ACL}; memfs keeps the mode bits in step with them, applies a
 * directory's default ACL to what is created in it, and checks them in its own permission checks.
 */
final class Acl {
    static final String ACCESS = "system.posix_acl_access";
    static final String DEFAULT = "system.posix_acl_default";

    static final int USER_OBJ = 0x01;
    static final int USER = 0x02;
    static final int GROUP_OBJ = 0x04;
    static final int GROUP = 0x08;
    static final int MASK = 0x10;
    static final int OTHER = 0x20;
    private static final int VERSION = 2;

    /** Tag, permission bits and id of each entry, sorted as the kernel sends them. */
    final int[] tags;
    final int[] perms;
    final int[] ids;

    private Acl(int[] tags, int[] perms, int[] ids) {
        this.tags = tags;
        this.perms = perms;
        this.ids = ids;
    }

    /** Parses and checks an ACL xattr value; EINVAL if it is malformed or lacks a required entry. */
    static Acl parse(byte[] value) throws FuseException {
        if (value.length < 4 || (value.length - 4) % 8 != 0) {
            throw new FuseException(Errno.EINVAL, "ACL of " + value.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != VERSION) {
            throw new FuseException(Errno.EOPNOTSUPP, "ACL version " + b.getInt(0));
        }
        int count = (value.length - 4) / 8;
        int[] tags = new int[count];
        int[] perms = new int[count];
        int[] ids = new int[count];
        int seen = 0;
        for (int i = 0; i < count; i++) {
            tags[i] = Short.toUnsignedInt(b.getShort(4 + 8 * i));
            perms[i] = Short.toUnsignedInt(b.getShort(6 + 8 * i));
            ids[i] = b.getInt(8 + 8 * i);
            if (Integer.bitCount(tags[i]) != 1 || tags[i] > OTHER || (perms[i] & ~7) != 0) {
                throw new FuseException(Errno.EINVAL, "ACL entry tag " + tags[i] + " perm " + perms[i]);
            }
            seen |= tags[i];
        }
        int required = USER_OBJ | GROUP_OBJ | OTHER | ((seen & (USER | GROUP)) != 0 ? MASK : 0);
        if ((seen & required) != required) {
            throw new FuseException(Errno.EINVAL, "ACL lacks a required entry");
        }
        return new Acl(tags, perms, ids);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(4 + 8 * tags.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(VERSION);
        for (int i = 0; i < tags.length; i++) {
            b.putShort((short) tags[i]).putShort((short) perms[i]).putInt(ids[i]);
        }
        return b.array();
    }

    private Acl copy() {
        return new Acl(tags.clone(), perms.clone(), ids.clone());
    }

    private int find(int tag) {
        for (int i = 0; i < tags.length; i++) {
            if (tags[i] == tag) {
                return i;
            }
        }
        return -1;
    }

    /** Whether the mode bits say everything: only the owner, owning group and other entries. */
    boolean equivalentToMode() {
        return tags.length == 3;
    }

    /** The permission bits (0777) this ACL stands for: the group class is the mask when there is one. */
    int modeBits() {
        int group = find(MASK) >= 0 ? perms[find(MASK)] : perms[find(GROUP_OBJ)];
        return perms[find(USER_OBJ)] << 6 | group << 3 | perms[find(OTHER)];
    }

    /** This ACL after a chmod to {@code perm}: the owner, group class (mask or group) and other entries follow. */
    Acl chmod(int perm) {
        Acl a = copy();
        a.perms[a.find(USER_OBJ)] = perm >> 6 & 7;
        int group = a.find(MASK) >= 0 ? a.find(MASK) : a.find(GROUP_OBJ);
        a.perms[group] = perm >> 3 & 7;
        a.perms[a.find(OTHER)] = perm & 7;
        return a;
    }

    /**
     * What a directory's default ACL gives a new node created with {@code mode} (permission bits, no umask):
     * element 0 the node's mode bits, element 1 its access ACL or null when the mode says everything (Linux's
     * {@code posix_acl_create}).
     */
    Object[] create(int mode) {
        Acl a = copy();
        int m = mode;
        int uo = a.find(USER_OBJ);
        a.perms[uo] &= m >> 6 & 7;
        m &= a.perms[uo] << 6 | ~0700;
        int o = a.find(OTHER);
        a.perms[o] &= m & 7;
        m &= a.perms[o] | ~07;
        int g = a.find(MASK) >= 0 ? a.find(MASK) : a.find(GROUP_OBJ);
        a.perms[g] &= m >> 3 & 7;
        m &= a.perms[g] << 3 | ~070;
        return new Object[] {m, a.equivalentToMode() ? null : a};
    }

    /**
     * Whether the caller gets all of {@code mask} (R 4, W 2, X 1) under this access ACL: POSIX.1e's algorithm,
     * the owner, then named users, then the groups (any matching one that grants), then other.
     */
    boolean permits(int uid, int ownerUid, int ownerGid, java.util.function.IntPredicate inGroup, int mask) {
        if (uid == ownerUid) {
            return (perms[find(USER_OBJ)] & mask) == mask;
        }
        int m = find(MASK);
        int limit = m >= 0 ? perms[m] : 7;
        for (int i = 0; i < tags.length; i++) {
            if (tags[i] == USER && ids[i] == uid) {
                return (perms[i] & limit & mask) == mask;
            }
        }
        boolean matched = false;
        for (int i = 0; i < tags.length; i++) {
            boolean member = tags[i] == GROUP_OBJ ? inGroup.test(ownerGid) : tags[i] == GROUP && inGroup.test(ids[i]);
            if (member) {
                if ((perms[i] & limit & mask) == mask) {
                    return true;
                }
                matched = true;
            }
        }
        if (matched) {
            return false;
        }
        return (perms[find(OTHER)] & mask) == mask;
    }

    @Override
    public String toString() {
        return "Acl" + Arrays.toString(tags) + Arrays.toString(perms) + Arrays.toString(ids);
    }
}
