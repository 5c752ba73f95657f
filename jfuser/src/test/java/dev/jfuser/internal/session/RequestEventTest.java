package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Errno;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Opcode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/** Each request is a JFR event while a recording asks for dev.jfuser.Request, and nothing otherwise. */
class RequestEventTest extends SessionFixture {

    @Test
    void aRecordingSeesEachRequestWithItsOpcodeNodeErrnoAndTransport() throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, 0)));
        session = new Session(kernel, new BlockingAdapter(new SessionTest.TestFs()),
                SessionOptions.DEFAULT.withReaderThreads(1), -1);
        session.start();
        kernel.await(1);
        Path file = Files.createTempFile("jfuser-requests", ".jfr");
        long found;
        long missing;
        try (Recording recording = new Recording()) {
            recording.enable(RequestEvent.NAME);
            recording.start();
            found = kernel.unique();
            kernel.push(FakeKernel.request(Opcode.LOOKUP.code(), found, 1, FakeKernel.name("a")));
            assertEquals(0, kernel.await(found).error());
            missing = kernel.unique();
            kernel.push(FakeKernel.request(Opcode.LOOKUP.code(), missing, 1, FakeKernel.name("nope")));
            assertEquals(-Errno.ENOENT.code(), kernel.await(missing).error());
            assertEquals(0, kernel.call(Opcode.GETATTR.code(), 2, new byte[16]).error());
            // The reply reaches the kernel before its event is committed, and the event before the reply is counted.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (session.stats().requests() < 4 && System.nanoTime() < deadline) { // INIT, 2 LOOKUPs, GETATTR
                Thread.sleep(1);
            }
            recording.stop();
            recording.dump(file);
        }
        try {
            List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("dev.jfuser.Request")).toList();
            assertEquals(3, events.size(), events.toString());
            RecordedEvent ok = byUnique(events, found);
            assertEquals("LOOKUP", ok.getString("opcode"));
            assertEquals(1, ok.getLong("nodeId"));
            assertEquals(4242, ok.getInt("pid"));
            assertEquals(0, ok.getInt("errno"));
            assertEquals("", ok.getString("error"));
            assertEquals("dev_fuse", ok.getString("transport"));
            assertEquals(16 + 128, ok.getLong("replySize"), "fuse_out_header and fuse_entry_out");
            assertTrue(!ok.getDuration().isNegative() && ok.getDuration().toNanos() > 0, "" + ok.getDuration());
            assertNull(ok.getStackTrace(), "no stack trace: it would be the reply path's every time");
            RecordedEvent miss = byUnique(events, missing);
            assertEquals(Errno.ENOENT.code(), miss.getInt("errno"));
            assertEquals("ENOENT", miss.getString("error"));
            assertEquals(16, miss.getLong("replySize"));
            assertTrue(events.stream().anyMatch(e -> e.getString("opcode").equals("GETATTR")
                    && e.getLong("nodeId") == 2));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aRecordingWithDefaultSettingsRecordsRequests() {
        try (Recording defaults = new Recording()) {
            defaults.start();
            RequestEvent e = RequestEvent.beginIfEnabled();
            assertTrue(e != null, "enabled by default, as in -XX:StartFlightRecording's default settings");
            defaults.stop();
        }
    }

    @Test
    void withoutARecordingThatWantsThemNoEventIsMade() {
        assertNull(RequestEvent.beginIfEnabled(), "no recording");
        try (Recording other = new Recording()) {
            other.enable("jdk.ThreadSleep");
            other.disable(RequestEvent.NAME);
            other.start();
            assertNull(RequestEvent.beginIfEnabled(), "a recording without dev.jfuser.Request");
            other.stop();
        }
    }

    private static RecordedEvent byUnique(List<RecordedEvent> events, long unique) {
        return events.stream().filter(e -> e.getLong("unique") == unique).findFirst()
                .orElseThrow(() -> new AssertionError("no event for request " + unique + " in " + events));
    }
}
