package dev.jfuser;

import dev.jfuser.internal.session.InitState;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import dev.jfuser.internal.sys.UnixSockets;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A mount received from another process ({@link Fuse#receiveHandover}), to be served with {@link Fuse#resume}: its
 * connection to the kernel (a /dev/fuse descriptor), what INIT agreed on it, where it is mounted, and the state the
 * filesystem handed over ({@link HandoverSource}).
 *
 * <p>Until {@link Fuse#resume} takes it, this object owns the connection: {@link #close()} it if the new process
 * cannot serve after all. Closing it unserved drops the last hold on the connection, so the kernel aborts it (callers
 * get ECONNABORTED, then ENOTCONN until the mount is unmounted); the old process learns that the hand-over failed.
 */
public final class HandoverState implements AutoCloseable {
    private static final int MAGIC = 0x4a464856; // "JFHV"
    private static final int VERSION = 1;
    /** The most the header and filesystem state may take, so a broken peer cannot make us allocate without bound. */
    private static final int MAX_BYTES = Integer.MAX_VALUE - 64;

    private final InitState init;
    private final Path mountpoint;
    private final Path fusermount;
    private final int ownerUid;
    private final int mountId;
    private final int allowRootOwner;
    private final byte[] filesystemState;
    private int fd;
    private int socket;

    private HandoverState(InitState init, Path mountpoint, Path fusermount, int ownerUid, int mountId,
                          int allowRootOwner, byte[] filesystemState, int fd, int socket) {
        this.init = init;
        this.mountpoint = mountpoint;
        this.fusermount = fusermount;
        this.ownerUid = ownerUid;
        this.mountId = mountId;
        this.allowRootOwner = allowRootOwner;
        this.filesystemState = filesystemState;
        this.fd = fd;
        this.socket = socket;
    }

    /**
     * What the filesystem's {@link HandoverSource#handoverState()} returned in the old process (empty when it does
     * not implement {@link HandoverSource}). Build the new filesystem from it before {@link Fuse#resume}.
     *
     * @return the bytes (a copy)
     */
    public byte[] filesystemState() {
        return filesystemState.clone();
    }

    /**
     * Where the mount is, or empty for a session the old process served on a descriptor ({@link Fuse#serve}).
     *
     * @return the mountpoint
     */
    public Optional<Path> mountpoint() {
        return Optional.ofNullable(mountpoint);
    }

    /**
     * The FUSE protocol minor version the old process negotiated with the kernel, which the new one keeps speaking.
     *
     * @return the minor version (the major is 7)
     */
    public int protocolMinor() {
        return init.negotiatedMinor();
    }

    InitState init() {
        return init;
    }

    Path fusermount() {
        return fusermount;
    }

    int ownerUid() {
        return ownerUid;
    }

    int mountId() {
        return mountId;
    }

    int allowRootOwner() {
        return allowRootOwner;
    }

    /** The descriptor, now the caller's; this object no longer closes it. */
    synchronized int takeFd() {
        if (fd < 0) {
            throw new IllegalStateException("this hand-over was already resumed or closed");
        }
        int f = fd;
        fd = -1;
        return f;
    }

    /** Tells the old process that the mount is served here, and lets it go. */
    synchronized void confirm() {
        if (socket >= 0) {
            try {
                UnixSockets.writeFully(socket, new byte[] {1});
            } catch (NativeException e) {
                // the old process went away already: nothing waits for the confirmation
            }
            LibC.closeQuietly(socket);
            socket = -1;
        }
    }

    /** Closes the connection if it was not resumed (aborting it) and the socket to the old process. */
    @Override
    public synchronized void close() {
        if (fd >= 0) {
            LibC.closeQuietly(fd);
            fd = -1;
        }
        if (socket >= 0) {
            LibC.closeQuietly(socket);
            socket = -1;
        }
    }

    /** The bytes the old process sends after the descriptor. */
    static byte[] encode(InitState init, Path mountpoint, Path fusermount, int ownerUid, int mountId,
                         int allowRootOwner, byte[] filesystemState) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(filesystemState.length + 256);
        try (DataOutputStream out = new DataOutputStream(b)) {
            out.writeInt(0); // length, patched below
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            bytes(out, init.toBytes());
            bytes(out, mountpoint == null ? new byte[0] : mountpoint.toString().getBytes(StandardCharsets.UTF_8));
            bytes(out, fusermount == null ? new byte[0] : fusermount.toString().getBytes(StandardCharsets.UTF_8));
            out.writeInt(ownerUid);
            out.writeInt(mountId);
            out.writeInt(allowRootOwner);
            bytes(out, filesystemState);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] all = b.toByteArray();
        int length = all.length - 4;
        all[0] = (byte) (length >>> 24);
        all[1] = (byte) (length >>> 16);
        all[2] = (byte) (length >>> 8);
        all[3] = (byte) length;
        return all;
    }

    /** Reads a hand-over from a connected socket: the descriptor, then the bytes {@link #encode} made. */
    static HandoverState receive(int socket, Path where) throws IOException {
        int fd = LibC.recvFd(socket);
        if (fd < 0) {
            throw new IOException("the process at " + where + " closed the connection without handing its mount"
                    + " over (see its log: the hand-over failed there)");
        }
        try {
            byte[] len = UnixSockets.readFully(socket, 4);
            int length = ((len[0] & 0xff) << 24) | ((len[1] & 0xff) << 16) | ((len[2] & 0xff) << 8) | (len[3] & 0xff);
            if (length < 12 || length > MAX_BYTES) {
                throw new IOException("the hand-over from " + where + " announces " + length + " bytes of state");
            }
            byte[] body = UnixSockets.readFully(socket, length);
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(body))) {
                if (in.readInt() != MAGIC) {
                    throw new IOException("what " + where + " sent is not a jfuser hand-over");
                }
                int version = in.readInt();
                if (version != VERSION) {
                    throw new IOException("the hand-over from " + where + " has version " + version + "; this jfuser"
                            + " reads version " + VERSION + " (run the same jfuser version on both sides)");
                }
                InitState init = InitState.fromBytes(bytes(in));
                String mp = new String(bytes(in), StandardCharsets.UTF_8);
                String fm = new String(bytes(in), StandardCharsets.UTF_8);
                int ownerUid = in.readInt();
                int mountId = in.readInt();
                int allowRootOwner = in.readInt();
                byte[] fsState = bytes(in);
                return new HandoverState(init, mp.isEmpty() ? null : Path.of(mp), fm.isEmpty() ? null : Path.of(fm),
                        ownerUid, mountId, allowRootOwner, fsState, fd, socket);
            } catch (java.io.EOFException e) {
                throw new IOException("the hand-over from " + where + " is truncated", e);
            }
        } catch (IOException | RuntimeException e) {
            LibC.closeQuietly(fd);
            throw e;
        }
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("a hand-over field announces " + n + " bytes, " + in.available() + " are left");
        }
        return in.readNBytes(n);
    }

    @Override
    public String toString() {
        return "HandoverState[" + (mountpoint == null ? "fd session" : mountpoint) + ", FUSE 7."
                + init.negotiatedMinor()
                + ", " + filesystemState.length + " bytes of filesystem state]";
    }
}
