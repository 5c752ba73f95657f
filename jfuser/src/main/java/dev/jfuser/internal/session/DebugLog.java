package dev.jfuser.internal.session;

import dev.jfuser.Errno;
import dev.jfuser.internal.transport.RingEntry;
import dev.jfuser.protocol.InHeader;
import dev.jfuser.protocol.Opcode;
import dev.jfuser.protocol.Operation;
import java.io.PrintStream;

/** The {@code -d} trace: one line per request and per reply, in the spirit of libfuse's debug output. */
final class DebugLog {
    private final PrintStream out;

    DebugLog(PrintStream out) {
        this.out = out;
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

    private static String describe(Operation op) {
        return switch (op) {
            case Operation.Write w -> "Write[fh=" + w.fh() + ", offset=" + w.offset() + ", size=" + w.size() + "]";
            case Operation.Setxattr s -> "Setxattr[name=" + s.name() + ", size=" + s.value().length + ", flags="
                    + s.flags() + "]";
            case Operation.Ioctl i -> "Ioctl[fh=" + i.fh() + ", cmd=0x" + Integer.toHexString(i.cmd()) + ", in="
                    + i.inSize() + ", out=" + i.outSize() + "]";
            case Operation.BatchForget b -> "BatchForget[count=" + b.nodeIds().length + "]";
            default -> op.toString();
        };
    }
}
