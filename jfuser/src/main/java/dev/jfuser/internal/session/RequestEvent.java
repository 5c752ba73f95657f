package dev.jfuser.internal.session;

import dev.jfuser.Errno;
import dev.jfuser.internal.transport.RingEntry;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * The JFR event of one FUSE request, from the moment it was read to its reply written: {@code jfr print --events
 * dev.jfuser.Request rec.jfr}, or JMC's event browser under "jfuser". Named {@value #NAME}; a stable name, not a
 * public class (nothing outside records it).
 *
 * <p>Cost: while no recording runs, {@link #beginIfEnabled} is a static check of {@link FlightRecorder#isInitialized}
 * (and, once JFR has started, of {@link EventType#isEnabled}) and allocates nothing; recording, one event object per
 * request. No stack trace: it would be the reply path's, the same for every request.
 */
@Name(RequestEvent.NAME)
@Label("FUSE Request")
@Category("jfuser")
@Description("A request from the kernel, from read to reply written")
@StackTrace(false)
final class RequestEvent extends Event {
    static final String NAME = "dev.jfuser.Request";

    /** Looked up once JFR runs: looking it up registers the event with JFR, which would start JFR's machinery. */
    private static volatile EventType type;

    @Label("Opcode")
    @Description("The FUSE operation, e.g. LOOKUP")
    String opcode;

    @Label("Node")
    @Description("The node id the request is about (1: the root)")
    long nodeId;

    @Label("Unique")
    @Description("The request's id, as in the -d trace")
    long unique;

    @Label("Caller PID")
    @Description("The process that made the request (0 for the kernel's own)")
    int pid;

    @Label("Errno")
    @Description("The error answered (0: success)")
    int errno;

    @Label("Error")
    @Description("The errno's name, e.g. ENOENT; empty for success")
    String error;

    @Label("Transport")
    @Description("dev_fuse or io_uring")
    String transport;

    @Label("Reply Size")
    @Description("Bytes of the reply, header included")
    @DataAmount
    long replySize;

    /** A started event when a recording wants these events, else null. */
    static RequestEvent beginIfEnabled() {
        if (!FlightRecorder.isInitialized()) {
            return null;
        }
        EventType t = type;
        if (t == null) {
            type = t = EventType.getEventType(RequestEvent.class);
        }
        if (!t.isEnabled()) {
            return null;
        }
        RequestEvent e = new RequestEvent();
        e.begin();
        return e;
    }

    /** Ends and commits the event of request {@code r}, answered with {@code err} (null: success). */
    void commit(InFlight r, Errno err, long size) {
        end();
        if (shouldCommit()) {
            opcode = r.opcode == null ? "UNKNOWN" : r.opcode.name();
            nodeId = r.request.nodeId();
            unique = r.unique;
            pid = r.request.pid();
            errno = err == null ? 0 : err.code();
            error = err == null ? "" : err.name();
            transport = r.channel instanceof RingEntry ? "io_uring" : "dev_fuse";
            replySize = size;
            commit();
        }
    }
}
