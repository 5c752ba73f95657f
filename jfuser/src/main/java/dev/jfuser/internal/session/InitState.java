package dev.jfuser.internal.session;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * What the kernel and a session agreed at INIT, all a new process needs to serve the same connection without a
 * new INIT (which the kernel never sends twice): the kernel's offer (its minor, flags and readahead, for the
 * filesystem's {@code KernelConfig}) and the answer (the negotiated minor, flags and limits).
 *
 * @param kernelMinor        the minor version the kernel sent in INIT
 * @param negotiatedMinor    the minor both sides speak
 * @param offeredFlags       the flags the kernel offered (flags | flags2 &lt;&lt; 32)
 * @param flags              the flags agreed
 * @param kernelMaxReadahead the kernel's max_readahead in INIT
 * @param maxWrite           the max_write answered: request buffers must hold it plus the header
 * @param stackDepth         the max_stack_depth answered (passthrough), or 0
 */
public record InitState(int kernelMinor, int negotiatedMinor, long offeredFlags, long flags, int kernelMaxReadahead,
                        int maxWrite, int stackDepth) {
    private static final int MAGIC = 0x4a46494e; // "JFIN"
    private static final int VERSION = 1;

    /** Its bytes, for another process. */
    public byte[] toBytes() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(kernelMinor);
            out.writeInt(negotiatedMinor);
            out.writeLong(offeredFlags);
            out.writeLong(flags);
            out.writeInt(kernelMaxReadahead);
            out.writeInt(maxWrite);
            out.writeInt(stackDepth);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    /**
     * Reads what {@link #toBytes()} wrote.
     *
     * @throws IOException if the bytes are not an INIT state of this version
     */
    public static InitState fromBytes(byte[] bytes) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != MAGIC) {
                throw new IOException("not a jfuser INIT state (wrong magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException("INIT state of version " + version + "; this jfuser reads version " + VERSION
                        + " (hand over between processes of the same jfuser version)");
            }
            InitState s = new InitState(in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readInt(),
                    in.readInt(), in.readInt());
            if (in.read() != -1) {
                throw new IOException("INIT state has bytes after its end");
            }
            return s;
        } catch (java.io.EOFException e) {
            throw new IOException("INIT state is truncated", e);
        }
    }
}
