package dev.jfuser.internal.session;

import dev.jfuser.Errno;
import dev.jfuser.internal.transport.RingEntry;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.InHeader;
import dev.jfuser.protocol.Opcode;
import dev.jfuser.protocol.Operation;
import java.io.PrintStream;

/**
 * The {@code -d} trace: one line per request and per reply, in the spirit of libfuse's debug output. Modes are
 * printed in octal and flags by name ({@code O_WRONLY|O_CREAT|O_TRUNC}, {@code valid=MODE|SIZE}); bits without a
 * name are printed in hex after the names. Open flags are Linux's x86-64/generic values, as in
 * {@link dev.jfuser.posix.Posix}.
 */
final class DebugLog {
    /** The system property that turns the trace on (to standard error) for every session: {@code true}. */
    static final String PROPERTY = "jfuser.debug";

    private final PrintStream out;

    DebugLog(PrintStream out) {
        this.out = out;
    }

    /**
     * The trace to {@code out} when set (SessionOptions.withDebug), else to standard error when the system property
     * {@value #PROPERTY} is {@code true}, else none.
     *
     * @throws IllegalArgumentException if the property is neither true nor false
     */
    static DebugLog of(PrintStream out) {
        if (out != null) {
            return new DebugLog(out);
        }
        String v = System.getProperty(PROPERTY);
        if (v == null || v.isBlank() || v.trim().equalsIgnoreCase("false")) {
            return new DebugLog(null);
        }
        if (v.trim().equalsIgnoreCase("true")) {
            return new DebugLog(System.err);
        }
        throw new IllegalArgumentException("the system property " + PROPERTY + " must be true or false, got '" + v
                + "': e.g. -D" + PROPERTY + "=true prints every request and reply to standard error");
    }

    boolean enabled() {
        return out != null;
    }

    void request(InHeader h, Operation op) {
        request(h, op, null);
    }

    /** A request line; {@code via} names the io_uring queue the request came on (null: /dev/fuse). */
    void request(InHeader h, Operation op, Object via) {
        if (out == null) {
            return;
        }
        Opcode code = Opcode.of(h.opcode());
        out.println("unique: " + h.unique() + ", opcode: " + (code == null ? "UNKNOWN" : code.name()) + " ("
                + h.opcode() + "), nodeid: " + h.nodeId() + ", insize: " + h.len() + ", pid: " + h.pid() + "  "
                + describe(op) + (via instanceof RingEntry e ? "  [io_uring queue " + e.qid() + "]" : ""));
    }

    void reply(long unique, Opcode opcode, Errno error, long length) {
        if (out == null) {
            return;
        }
        if (error == null) {
            out.println("   unique: " + unique + ", success, outsize: " + length);
        } else {
            out.println("   unique: " + unique + ", error: -" + error.code() + " (" + error.description()
                    + "), outsize: " + length);
        }
    }

    /** A notification the filesystem sent, and the kernel's verdict ({@code error} null: applied). */
    void notification(String what, Errno error) {
        if (out == null) {
            return;
        }
        out.println("notify: " + what + (error == null ? ", success"
                : ", error: -" + error.code() + " (" + error.description() + ")"));
    }

    void note(String message) {
        if (out != null) {
            out.println(message);
        }
    }

    static String describe(Operation op) {
        return switch (op) {
            case Operation.Write w -> "Write[fh=" + w.fh() + ", offset=" + w.offset() + ", size=" + w.size()
                    + ", writeFlags=" + names(w.writeFlags(), WRITE_FLAGS) + ", flags=" + openFlags(w.flags()) + "]";
            case Operation.Read r -> "Read[fh=" + r.fh() + ", offset=" + r.offset() + ", size=" + r.size()
                    + ", readFlags=" + names(r.readFlags(), READ_FLAGS) + ", flags=" + openFlags(r.flags()) + "]";
            case Operation.Setxattr s -> "Setxattr[name=" + s.name() + ", size=" + s.value().length + ", flags="
                    + names(s.flags(), XATTR_FLAGS) + ", setxattrFlags=" + names(s.setxattrFlags(), SETXATTR_FLAGS)
                    + "]";
            case Operation.Ioctl i -> "Ioctl[fh=" + i.fh() + ", cmd=0x" + Integer.toHexString(i.cmd()) + ", in="
                    + i.inSize() + ", out=" + i.outSize() + "]";
            case Operation.BatchForget b -> "BatchForget[count=" + b.nodeIds().length + "]";
            case Operation.Getattr g -> "Getattr[flags=" + names(g.flags(), GETATTR_FLAGS)
                    + ((g.flags() & Abi.GETATTR_FH) != 0 ? ", fh=" + g.fh() : "") + "]";
            case Operation.Setattr a -> setattr(a);
            case Operation.Mknod m -> "Mknod[name=" + m.name() + ", mode=" + octal(m.mode()) + ", rdev=" + m.rdev()
                    + ", umask=" + octal(m.umask()) + "]";
            case Operation.Mkdir m -> "Mkdir[name=" + m.name() + ", mode=" + octal(m.mode()) + ", umask="
                    + octal(m.umask()) + "]";
            case Operation.Rename r -> "Rename[newDir=" + r.newDir() + ", flags=" + names(r.flags(), RENAME_FLAGS)
                    + ", oldName=" + r.oldName() + ", newName=" + r.newName() + "]";
            case Operation.Open o -> "Open[flags=" + openFlags(o.flags()) + ", openFlags="
                    + names(o.openFlags(), OPEN_IN_FLAGS) + "]";
            case Operation.Opendir o -> "Opendir[flags=" + openFlags(o.flags()) + ", openFlags="
                    + names(o.openFlags(), OPEN_IN_FLAGS) + "]";
            case Operation.Create c -> "Create[name=" + c.name() + ", flags=" + openFlags(c.flags()) + ", mode="
                    + octal(c.mode()) + ", umask=" + octal(c.umask()) + ", openFlags="
                    + names(c.openFlags(), OPEN_IN_FLAGS) + "]";
            case Operation.Tmpfile t -> "Tmpfile[flags=" + openFlags(t.flags()) + ", mode=" + octal(t.mode())
                    + ", umask=" + octal(t.umask()) + ", openFlags=" + names(t.openFlags(), OPEN_IN_FLAGS) + "]";
            case Operation.Release r -> "Release[fh=" + r.fh() + ", flags=" + openFlags(r.flags())
                    + ", releaseFlags=" + names(r.releaseFlags(), RELEASE_FLAGS) + ", lockOwner=0x"
                    + Long.toHexString(r.lockOwner()) + "]";
            case Operation.Releasedir r -> "Releasedir[fh=" + r.fh() + ", flags=" + openFlags(r.flags())
                    + ", releaseFlags=" + names(r.releaseFlags(), RELEASE_FLAGS) + "]";
            case Operation.Fsync f -> "Fsync[fh=" + f.fh() + ", fsyncFlags=" + names(f.fsyncFlags(), FSYNC_FLAGS)
                    + "]";
            case Operation.Fsyncdir f -> "Fsyncdir[fh=" + f.fh() + ", fsyncFlags="
                    + names(f.fsyncFlags(), FSYNC_FLAGS) + "]";
            case Operation.Access a -> "Access[mask=" + (a.mask() == 0 ? "F_OK" : names(a.mask(), ACCESS_MASK)) + "]";
            case Operation.Fallocate f -> "Fallocate[fh=" + f.fh() + ", offset=" + f.offset() + ", length="
                    + f.length() + ", mode=" + names(f.mode(), FALLOCATE_MODES) + "]";
            case Operation.Lseek l -> "Lseek[fh=" + l.fh() + ", offset=" + l.offset() + ", whence="
                    + (l.whence() >= 0 && l.whence() < WHENCE.length ? WHENCE[l.whence()] : l.whence()) + "]";
            case Operation.Lk l -> "Lk[fh=" + l.fh() + ", owner=0x" + Long.toHexString(l.owner()) + ", start="
                    + l.start() + ", end=" + l.end() + ", type=" + (l.type() >= 0 && l.type() < LOCK_TYPES.length
                    ? LOCK_TYPES[l.type()] : l.type()) + ", pid=" + l.pid() + ", lkFlags="
                    + names(l.lkFlags(), LK_FLAGS) + ", sleep=" + l.sleep() + "]";
            case Operation.Init i -> "Init[major=" + i.major() + ", minor=" + i.minor() + ", maxReadahead="
                    + i.maxReadahead() + ", flags=0x" + Long.toHexString(i.flags()) + "]";
            default -> op.toString();
        };
    }

    private static String setattr(Operation.Setattr a) {
        int v = a.valid();
        StringBuilder b = new StringBuilder("Setattr[valid=").append(names(v, SETATTR_VALID));
        if ((v & Abi.FATTR_MODE) != 0) {
            b.append(", mode=").append(octal(a.mode()));
        }
        if ((v & Abi.FATTR_UID) != 0) {
            b.append(", uid=").append(a.uid());
        }
        if ((v & Abi.FATTR_GID) != 0) {
            b.append(", gid=").append(a.gid());
        }
        if ((v & Abi.FATTR_SIZE) != 0) {
            b.append(", size=").append(a.size());
        }
        if ((v & Abi.FATTR_ATIME) != 0) {
            b.append(", atime=").append(a.atime()).append('.').append(nanos(a.atimeNsec()));
        }
        if ((v & Abi.FATTR_MTIME) != 0) {
            b.append(", mtime=").append(a.mtime()).append('.').append(nanos(a.mtimeNsec()));
        }
        if ((v & Abi.FATTR_CTIME) != 0) {
            b.append(", ctime=").append(a.ctime()).append('.').append(nanos(a.ctimeNsec()));
        }
        if ((v & Abi.FATTR_FH) != 0) {
            b.append(", fh=").append(a.fh());
        }
        if ((v & Abi.FATTR_LOCKOWNER) != 0) {
            b.append(", lockOwner=0x").append(Long.toHexString(a.lockOwner()));
        }
        return b.append(']').toString();
    }

    private static String nanos(int ns) {
        String s = Integer.toString(ns);
        return "0".repeat(Math.max(0, 9 - s.length())) + s;
    }

    /** A mode or umask in octal with its leading 0, as chmod and ls take them: 0100644, 022. */
    static String octal(int mode) {
        return "0" + Integer.toOctalString(mode);
    }

    /**
     * Open flags by name: the access mode first, then the other bits; O_SYNC for __O_SYNC with O_DSYNC, O_TMPFILE
     * for __O_TMPFILE with O_DIRECTORY, as open(2) names them.
     */
    static String openFlags(int flags) {
        StringBuilder b = new StringBuilder(switch (flags & 3) {
            case 0 -> "O_RDONLY";
            case 1 -> "O_WRONLY";
            case 2 -> "O_RDWR";
            default -> "O_ACCMODE";
        });
        int rest = flags & ~3;
        if ((rest & O_SYNC) == O_SYNC) {
            rest &= ~O_SYNC;
            b.append("|O_SYNC");
        }
        if ((rest & O_TMPFILE) == O_TMPFILE) {
            rest &= ~O_TMPFILE;
            b.append("|O_TMPFILE");
        }
        String others = names(rest, OPEN_FLAGS);
        return rest == 0 ? b.toString() : b.append('|').append(others).toString();
    }

    /** The names of the bits set in {@code flags} joined by '|', unnamed bits in hex at the end; "0" for none. */
    static String names(int flags, Object[] table) {
        if (flags == 0) {
            return "0";
        }
        StringBuilder b = new StringBuilder();
        long left = flags & 0xffff_ffffL;
        for (int i = 0; i < table.length; i += 2) {
            long bit = ((Number) table[i]).longValue();
            if ((left & bit) == bit) {
                b.append(b.isEmpty() ? "" : "|").append(table[i + 1]);
                left &= ~bit;
            }
        }
        if (left != 0) {
            b.append(b.isEmpty() ? "" : "|").append("0x").append(Long.toHexString(left));
        }
        return b.toString();
    }

    private static final int O_SYNC = 04010000;
    private static final int O_TMPFILE = 020200000;
    private static final Object[] OPEN_FLAGS = {
        0100, "O_CREAT", 0200, "O_EXCL", 0400, "O_NOCTTY", 01000, "O_TRUNC", 02000, "O_APPEND", 04000, "O_NONBLOCK",
        010000, "O_DSYNC", 020000, "O_ASYNC", 040000, "O_DIRECT", 0100000, "O_LARGEFILE", 0200000, "O_DIRECTORY",
        0400000, "O_NOFOLLOW", 01000000, "O_NOATIME", 02000000, "O_CLOEXEC", 04000000, "__O_SYNC",
        010000000, "O_PATH", 020000000, "__O_TMPFILE",
    };
    private static final Object[] SETATTR_VALID = {
        Abi.FATTR_MODE, "MODE", Abi.FATTR_UID, "UID", Abi.FATTR_GID, "GID", Abi.FATTR_SIZE, "SIZE",
        Abi.FATTR_ATIME, "ATIME", Abi.FATTR_MTIME, "MTIME", Abi.FATTR_FH, "FH", Abi.FATTR_ATIME_NOW, "ATIME_NOW",
        Abi.FATTR_MTIME_NOW, "MTIME_NOW", Abi.FATTR_LOCKOWNER, "LOCKOWNER", Abi.FATTR_CTIME, "CTIME",
        Abi.FATTR_KILL_SUIDGID, "KILL_SUIDGID",
    };
    private static final Object[] OPEN_IN_FLAGS = {Abi.OPEN_KILL_SUIDGID, "KILL_SUIDGID"};
    private static final Object[] GETATTR_FLAGS = {Abi.GETATTR_FH, "GETATTR_FH"};
    private static final Object[] READ_FLAGS = {Abi.READ_LOCKOWNER, "READ_LOCKOWNER"};
    private static final Object[] WRITE_FLAGS = {
        Abi.WRITE_CACHE, "WRITE_CACHE", Abi.WRITE_LOCKOWNER, "WRITE_LOCKOWNER", Abi.WRITE_KILL_SUIDGID,
        "WRITE_KILL_SUIDGID",
    };
    private static final Object[] RELEASE_FLAGS = {
        Abi.RELEASE_FLUSH, "RELEASE_FLUSH", Abi.RELEASE_FLOCK_UNLOCK, "RELEASE_FLOCK_UNLOCK",
    };
    private static final Object[] FSYNC_FLAGS = {Abi.FSYNC_FDATASYNC, "FDATASYNC"};
    private static final Object[] LK_FLAGS = {Abi.LK_FLOCK, "LK_FLOCK"};
    private static final Object[] RENAME_FLAGS = {1, "RENAME_NOREPLACE", 2, "RENAME_EXCHANGE", 4, "RENAME_WHITEOUT"};
    private static final Object[] XATTR_FLAGS = {1, "XATTR_CREATE", 2, "XATTR_REPLACE"};
    private static final Object[] SETXATTR_FLAGS = {Abi.SETXATTR_ACL_KILL_SGID, "ACL_KILL_SGID"};
    private static final Object[] ACCESS_MASK = {4, "R_OK", 2, "W_OK", 1, "X_OK"};
    private static final Object[] FALLOCATE_MODES = {
        1, "KEEP_SIZE", 2, "PUNCH_HOLE", 4, "NO_HIDE_STALE", 8, "COLLAPSE_RANGE", 0x10, "ZERO_RANGE",
        0x20, "INSERT_RANGE", 0x40, "UNSHARE_RANGE",
    };
    private static final String[] WHENCE = {"SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"};
    private static final String[] LOCK_TYPES = {"F_RDLCK", "F_WRLCK", "F_UNLCK"};
}
