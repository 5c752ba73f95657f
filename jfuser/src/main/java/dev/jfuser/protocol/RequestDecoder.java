package dev.jfuser.protocol;

import dev.jfuser.Names;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Decodes one request read from /dev/fuse. Pure: works on the bytes given, never reads or writes a device.
 *
 * <p>Layout of every request: {@code fuse_in_header} (40 bytes), the opcode's {@code *_in} struct, then names or
 * payload, then (7.38+) {@code total_extlen * 8} bytes of extensions. Everything is checked against the header's
 * length before it is read; a short or inconsistent request becomes a {@link ProtocolException}, never an
 * out-of-bounds read. Unknown opcodes decode to {@link Operation.Unknown} so the session can answer ENOSYS.
 */
public final class RequestDecoder {
    private RequestDecoder() {}

    /**
     * Decodes the request occupying bytes {@code 0..buf.limit()} of {@code buf} (any byte order; the decoder
     * switches it to little-endian).
     *
     * @param buf the request bytes, header first
     * @param format the wire layout agreed at INIT
     * @return the request
     * @throws ProtocolException if the bytes are not a valid request
     */
    public static WireRequest decode(ByteBuffer buf, WireFormat format) throws ProtocolException {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        int read = buf.limit();
        if (read < InHeader.SIZE) {
            throw new ProtocolException(ProtocolException.Kind.SHORT_READ, 0,
                    "request of " + read + " bytes is shorter than the 40-byte header");
        }
        int len = buf.getInt(0);
        long unique = buf.getLong(8);
        if (len != read) {
            throw new ProtocolException(ProtocolException.Kind.BAD_LENGTH, unique,
                    "header says " + len + " bytes but " + read + " were read");
        }
        InHeader h = new InHeader(len, buf.getInt(4), unique, buf.getLong(16), buf.getInt(24), buf.getInt(28),
                buf.getInt(32), buf.getShort(36) & 0xffff);
        int end = len - h.totalExtLen() * 8;
        if (end < InHeader.SIZE) {
            throw new ProtocolException(ProtocolException.Kind.BAD_EXTENSION, unique,
                    "extension area of " + h.totalExtLen() * 8 + " bytes does not fit a " + len + "-byte request");
        }
        int[] groups = h.totalExtLen() == 0 ? null : extensions(buf, end, len, unique);
        Cursor c = new Cursor(buf, InHeader.SIZE, end, unique, h.opcode());
        return new WireRequest(h, operation(c, h.opcode(), format), groups);
    }

    private static Operation operation(Cursor c, int opcode, WireFormat f) throws ProtocolException {
        Opcode op = Opcode.of(opcode);
        if (op == null) {
            return new Operation.Unknown(opcode);
        }
        int minor = f.minor();
        return switch (op) {
            case LOOKUP -> new Operation.Lookup(c.name());
            case FORGET -> new Operation.Forget(c.need(8).u64(0));
            case BATCH_FORGET -> batchForget(c);
            case GETATTR -> minor < 9 ? Operation.Getattr.OF_PATH : getattr(c.need(16));
            case SETATTR -> setattr(c.need(88));
            case READLINK -> new Operation.Readlink();
            case SYMLINK -> {
                String name = c.name();
                yield new Operation.Symlink(name, c.name());
            }
            case MKNOD -> {
                if (minor < 12) {
                    c.need(8);
                    int mode = c.u32(0);
                    int rdev = c.u32(4);
                    yield new Operation.Mknod(mode, rdev, 0, c.skip(8).name());
                }
                c.need(16);
                int mode = c.u32(0);
                int rdev = c.u32(4);
                int umask = c.u32(8);
                yield new Operation.Mknod(mode, rdev, umask, c.skip(16).name());
            }
            case MKDIR -> {
                c.need(8);
                int mode = c.u32(0);
                int umask = c.u32(4);
                yield new Operation.Mkdir(mode, umask, c.skip(8).name());
            }
            case UNLINK -> new Operation.Unlink(c.name());
            case RMDIR -> new Operation.Rmdir(c.name());
            case RENAME -> {
                long newDir = c.need(8).u64(0);
                c.skip(8);
                String oldName = c.name();
                yield new Operation.Rename(newDir, 0, oldName, c.name());
            }
            case RENAME2 -> {
                c.need(16);
                long newDir = c.u64(0);
                int flags = c.u32(8);
                c.skip(16);
                String oldName = c.name();
                yield new Operation.Rename(newDir, flags, oldName, c.name());
            }
            case LINK -> {
                long old = c.need(8).u64(0);
                yield new Operation.Link(old, c.skip(8).name());
            }
            case OPEN -> new Operation.Open(c.need(8).u32(0), c.u32(4));
            case OPENDIR -> new Operation.Opendir(c.need(8).u32(0), c.u32(4));
            case READ -> minor < 9
                    ? new Operation.Read(c.need(24).u64(0), c.u64(8), c.u32(16), 0, 0, 0)
                    : new Operation.Read(c.need(40).u64(0), c.u64(8), c.u32(16), c.u32(20), c.u64(24), c.u32(32));
            case READDIR, READDIRPLUS -> new Operation.Readdir(c.need(minor < 9 ? 24 : 40).u64(0), c.u64(8),
                    c.u32(16), op == Opcode.READDIRPLUS);
            case WRITE -> write(c, minor);
            case STATFS -> new Operation.Statfs();
            case RELEASE, RELEASEDIR -> {
                // 7.8 grew fuse_release_in from 16 to 24 bytes (release_flags, lock_owner); a shorter one from a
                // newer kernel is cut off, not an old layout: decoding it would drop FLOCK_UNLOCK silently.
                boolean full = minor >= 8;
                c.need(full ? 24 : 16);
                long fh = c.u64(0);
                int flags = c.u32(8);
                int releaseFlags = full ? c.u32(12) : 0;
                long owner = full ? c.u64(16) : 0;
                yield op == Opcode.RELEASE ? new Operation.Release(fh, flags, releaseFlags, owner)
                        : new Operation.Releasedir(fh, flags, releaseFlags, owner);
            }
            case FSYNC -> new Operation.Fsync(c.need(16).u64(0), c.u32(8));
            case FSYNCDIR -> new Operation.Fsyncdir(c.need(16).u64(0), c.u32(8));
            case SETXATTR -> setxattr(c, f.setxattrExt());
            case GETXATTR -> {
                int size = c.need(8).u32(0);
                yield new Operation.Getxattr(c.skip(8).name(), size);
            }
            case LISTXATTR -> new Operation.Listxattr(c.need(8).u32(0));
            case REMOVEXATTR -> new Operation.Removexattr(c.name());
            case FLUSH -> new Operation.Flush(c.need(24).u64(0), c.u64(16));
            case INIT -> init(c);
            case GETLK, SETLK, SETLKW -> {
                c.need(48);
                yield new Operation.Lk(c.u64(0), c.u64(8), c.u64(16), c.u64(24), c.u32(32), c.u32(36),
                        c.u32(40), op == Opcode.SETLKW);
            }
            case ACCESS -> new Operation.Access(c.need(8).u32(0));
            case CREATE -> {
                if (minor < 12) {
                    c.need(8);
                    int flags = c.u32(0);
                    int mode = c.u32(4);
                    yield new Operation.Create(flags, mode, 0, 0, c.skip(8).name());
                }
                c.need(16);
                int flags = c.u32(0);
                int mode = c.u32(4);
                int umask = c.u32(8);
                int openFlags = c.u32(12);
                yield new Operation.Create(flags, mode, umask, openFlags, c.skip(16).name());
            }
            case TMPFILE -> new Operation.Tmpfile(c.need(16).u32(0), c.u32(4), c.u32(8), c.u32(12));
            case INTERRUPT -> new Operation.Interrupt(c.need(8).u64(0));
            case BMAP -> new Operation.Bmap(c.need(16).u64(0), c.u32(8));
            case DESTROY -> new Operation.Destroy();
            case IOCTL -> {
                c.need(32);
                int inSize = c.u32(24);
                long fh = c.u64(0);
                int flags = c.u32(8);
                int cmd = c.u32(12);
                long arg = c.u64(16);
                int outSize = c.u32(28);
                yield new Operation.Ioctl(fh, flags, cmd, arg, inSize, outSize, c.skip(32).bytes(inSize));
            }
            // fuse_poll_in has been 24 bytes since 7.11; its last field was padding until 7.21 made it 'events'
            case POLL -> new Operation.Poll(c.need(24).u64(0), c.u64(8), c.u32(16), minor < 21 ? 0 : c.u32(20));
            case NOTIFY_REPLY -> {
                c.need(40);
                long offset = c.u64(8);
                int size = c.u32(16);
                c.skip(40);
                // size is a u32: a value with the top bit set is negative here and must not reach slice()
                if (size < 0 || size > c.remaining()) {
                    throw c.error(ProtocolException.Kind.SHORT_READ, "NOTIFY_REPLY of "
                            + Integer.toUnsignedString(size) + " bytes carries only " + c.remaining());
                }
                yield new Operation.NotifyReply(offset, size, c.view(size));
            }
            case FALLOCATE -> new Operation.Fallocate(c.need(32).u64(0), c.u64(8), c.u64(16), c.u32(24));
            case LSEEK -> new Operation.Lseek(c.need(24).u64(0), c.u64(8), c.u32(16));
            case COPY_FILE_RANGE, COPY_FILE_RANGE_64 -> new Operation.CopyFileRange(c.need(56).u64(0), c.u64(8),
                    c.u64(16), c.u64(24), c.u64(32), c.u64(40), c.u64(48), op == Opcode.COPY_FILE_RANGE_64);
            case SETUPMAPPING -> new Operation.SetupMapping(c.need(40).u64(0), c.u64(8), c.u64(16), c.u64(24),
                    c.u64(32));
            case REMOVEMAPPING -> removeMapping(c);
            case SYNCFS -> new Operation.Syncfs();
            case STATX -> new Operation.Statx(c.need(24).u32(0), c.u64(8), c.u32(16), c.u32(20));
        };
    }

    private static Operation getattr(Cursor c) {
        int flags = c.u32(0);
        long fh = c.u64(8);
        // Most GETATTRs come from stat(2) of a path: one shared record for them (records compare by value).
        return flags == 0 && fh == 0 ? Operation.Getattr.OF_PATH : new Operation.Getattr(flags, fh);
    }

    private static Operation setattr(Cursor c) {
        return new Operation.Setattr(c.u32(0), c.u64(8), c.u64(16), c.u64(24), c.u64(32), c.u64(40), c.u64(48),
                c.u32(56), c.u32(60), c.u32(64), c.u32(68), c.u32(76), c.u32(80));
    }

    private static Operation write(Cursor c, int minor) throws ProtocolException {
        // Before 7.9 fuse_write_in was 24 bytes (no lock_owner, flags).
        int structSize = minor < 9 ? Abi.COMPAT_WRITE_IN_SIZE : 40;
        c.need(structSize);
        long fh = c.u64(0);
        long offset = c.u64(8);
        int size = c.u32(16);
        int writeFlags = c.u32(20);
        long owner = minor < 9 ? 0 : c.u64(24);
        int flags = minor < 9 ? 0 : c.u32(32);
        c.skip(structSize);
        if (size < 0 || size > c.remaining()) {
            throw c.error(ProtocolException.Kind.SHORT_READ,
                    "WRITE of " + Integer.toUnsignedString(size) + " bytes carries only " + c.remaining());
        }
        return new Operation.Write(fh, offset, size, writeFlags, owner, flags, c.view(size));
    }

    private static Operation setxattr(Cursor c, boolean ext) throws ProtocolException {
        int structSize = ext ? 16 : Abi.COMPAT_SETXATTR_IN_SIZE;
        c.need(structSize);
        int size = c.u32(0);
        int flags = c.u32(4);
        int xflags = ext ? c.u32(8) : 0;
        String name = c.skip(structSize).name();
        if (size < 0 || size > c.remaining()) {
            throw c.error(ProtocolException.Kind.SHORT_READ,
                    "SETXATTR value of " + Integer.toUnsignedString(size) + " bytes carries only " + c.remaining());
        }
        return new Operation.Setxattr(name, c.bytes(size), flags, xflags);
    }

    private static Operation init(Cursor c) throws ProtocolException {
        // fuse_init_in grew over time: 8 bytes (7.0), 16 (7.6: max_readahead, flags), 64 (7.36: flags2).
        // The kernel always sends the whole struct of the version it announces, so a shorter one is cut off.
        // A kernel with another major only needs major/minor read: we answer with our major and it retries.
        c.need(8);
        int major = c.u32(0);
        int minor = c.u32(4);
        int size = major != Abi.KERNEL_VERSION ? 8 : minor >= 36 ? 64 : minor >= 6 ? 16 : 8;
        c.need(size);
        int readahead = size >= 16 ? c.u32(8) : 0;
        long flags = size >= 16 ? c.u32(12) & 0xffffffffL : 0;
        if ((flags & Abi.INIT_EXT) != 0 && size >= 20) {
            flags |= (c.u32(16) & 0xffffffffL) << 32;
        }
        return new Operation.Init(major, minor, readahead, flags);
    }

    private static Operation batchForget(Cursor c) throws ProtocolException {
        int count = c.need(8).u32(0);
        c.skip(8);
        if (count < 0 || (long) count * 16 > c.remaining()) {
            throw c.error(ProtocolException.Kind.SHORT_READ,
                    "BATCH_FORGET of " + Integer.toUnsignedString(count) + " entries carries " + c.remaining()
                            + " bytes");
        }
        long[] ids = new long[count];
        long[] counts = new long[count];
        for (int i = 0; i < count; i++) {
            ids[i] = c.u64(i * 16);
            counts[i] = c.u64(i * 16 + 8);
        }
        return new Operation.BatchForget(ids, counts);
    }

    private static Operation removeMapping(Cursor c) throws ProtocolException {
        int count = c.need(4).u32(0);
        c.skip(4);
        if (count < 0 || (long) count * 16 > c.remaining()) {
            throw c.error(ProtocolException.Kind.SHORT_READ, "REMOVEMAPPING of " + Integer.toUnsignedString(count)
                    + " entries carries " + c.remaining() + " bytes");
        }
        long[] offsets = new long[count];
        long[] lens = new long[count];
        for (int i = 0; i < count; i++) {
            offsets[i] = c.u64(i * 16);
            lens[i] = c.u64(i * 16 + 8);
        }
        return new Operation.RemoveMapping(offsets, lens);
    }

    /** Parses the extension area; returns the supplementary groups if a FUSE_EXT_GROUPS extension is present. */
    private static int[] extensions(ByteBuffer buf, int from, int to, long unique) throws ProtocolException {
        int[] groups = null;
        int p = from;
        while (p < to) {
            if (to - p < 8) {
                throw new ProtocolException(ProtocolException.Kind.BAD_EXTENSION, unique,
                        "extension header cut off at byte " + p);
            }
            int size = buf.getInt(p);
            int type = buf.getInt(p + 4);
            if (size < 8 || size > to - p || (size & 7) != 0) {
                throw new ProtocolException(ProtocolException.Kind.BAD_EXTENSION, unique,
                        "extension of type " + type + " has bad size " + size);
            }
            if (type == Abi.EXT_GROUPS) {
                int n = size >= 12 ? buf.getInt(p + 8) : 0;
                if (n < 0 || 12 + (long) n * 4 > size) {
                    throw new ProtocolException(ProtocolException.Kind.BAD_EXTENSION, unique,
                            "groups extension claims " + n + " groups in " + size + " bytes");
                }
                groups = new int[n];
                for (int i = 0; i < n; i++) {
                    groups[i] = buf.getInt(p + 12 + i * 4);
                }
            }
            // types 0..31 are security contexts: only sent when SECURITY_CTX was negotiated, which we never ask for
            p += size;
        }
        return groups;
    }

    /** A bounds-checked read position inside one request body. */
    private static final class Cursor {
        private final ByteBuffer buf;
        private final int end;
        private final long unique;
        private final int opcode;
        private int pos;

        Cursor(ByteBuffer buf, int pos, int end, long unique, int opcode) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
            this.unique = unique;
            this.opcode = opcode;
        }

        int remaining() {
            return end - pos;
        }

        Cursor need(int n) throws ProtocolException {
            if (remaining() < n) {
                throw error(ProtocolException.Kind.SHORT_READ, "needs a " + n + "-byte argument struct but has "
                        + remaining() + " bytes");
            }
            return this;
        }

        Cursor skip(int n) {
            pos += n;
            return this;
        }

        int u32(int off) {
            return buf.getInt(pos + off);
        }

        long u64(int off) {
            return buf.getLong(pos + off);
        }

        byte[] bytes(int n) throws ProtocolException {
            if (n < 0 || n > remaining()) {
                throw error(ProtocolException.Kind.SHORT_READ, "needs " + n + " bytes of data, has " + remaining());
            }
            byte[] out = new byte[n];
            buf.get(pos, out);
            pos += n;
            return out;
        }

        ByteBuffer view(int n) {
            ByteBuffer v = buf.slice(pos, n);
            pos += n;
            return v;
        }

        /** The NUL-terminated name at the position, consumed including the NUL. */
        String name() throws ProtocolException {
            int start = pos;
            boolean ascii = true;
            for (int i = start; i < end; i++) {
                byte b = buf.get(i);
                if (b == 0) {
                    pos = i + 1;
                    return decodeName(start, i - start, ascii);
                }
                if (b < 0) {
                    ascii = false;
                }
            }
            throw error(ProtocolException.Kind.BAD_NAME, "name at byte " + start + " has no terminating NUL");
        }

        /** A name as {@link Names} decodes it: every byte sequence has one {@code String}, none is malformed. */
        private String decodeName(int start, int length, boolean ascii) {
            byte[] raw = new byte[length];
            buf.get(start, raw);
            return ascii ? new String(raw, StandardCharsets.ISO_8859_1) : Names.fromBytes(raw);
        }

        ProtocolException error(ProtocolException.Kind kind, String what) {
            Opcode op = Opcode.of(opcode);
            return new ProtocolException(kind, unique, (op == null ? "opcode " + opcode : op.name())
                    + " request " + unique + ": " + what);
        }
    }
}
