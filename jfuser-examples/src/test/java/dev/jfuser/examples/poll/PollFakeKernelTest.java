package dev.jfuser.examples.poll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.protocol.Opcode;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.Notification;
import dev.jfuser.testkit.Reply;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The poll example's readiness, wakeups and queues through the fake kernel (no mount). */
class PollFakeKernelTest {
    private static final int POLLIN = 1;

    /** A POLL request as the kernel sends it (fuse_poll_in); returns the revents answered. */
    private static int poll(FakeKernel k, long node, long fh, long kh, boolean scheduleNotify) {
        ByteBuffer in = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        in.putLong(fh).putLong(kh).putInt(scheduleNotify ? 1 : 0).putInt(POLLIN);
        Reply r = k.request(Opcode.POLL, node, in.array());
        assertEquals(0, r.error());
        return r.body().order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    }

    @Test
    void pollIsReadyOnlyWithAnEventQueuedAndEachPostWakesTheKeptHandle() throws Exception {
        PollFs fs = new PollFs(0, 0);
        try (FakeKernel k = FakeKernel.start(fs);
             FakeKernel.OpenFile events = k.open("/" + PollFs.EVENTS, 0)) {
            long node = events.nodeId();
            long fh = 1; // the first open
            assertEquals(0, poll(k, node, fh, 77, true));
            assertEquals(1, fs.sleepingPolls());
            fs.post("one\n");
            assertEquals(List.of(new Notification.PollWakeup(77)), k.takeNotifications());
            assertEquals(POLLIN, poll(k, node, fh, 77, true));
            assertEquals(1, fs.sleepingPolls(), "a ready answer is no sleep");
            assertArrayEquals("one\n".getBytes(StandardCharsets.UTF_8), events.read(0, 100));
            assertEquals(0, poll(k, node, fh, 77, false));
        }
    }

    @Test
    void eachOpenHasItsOwnQueueAndANonBlockingReadOfNothingIsEagain() throws Exception {
        PollFs fs = new PollFs(0, 0);
        try (FakeKernel k = FakeKernel.start(fs);
             FakeKernel.OpenFile a = k.open("/" + PollFs.EVENTS, 0);
             FakeKernel.OpenFile b = k.open("/" + PollFs.EVENTS, 0x800)) {
            assertEquals(Errno.EAGAIN, assertThrows(FuseException.class, () -> b.read(0, 10)).errno());
            fs.post("x");
            fs.post("yz");
            assertArrayEquals("xy".getBytes(StandardCharsets.UTF_8), a.read(0, 2), "split at the size asked");
            assertArrayEquals("z".getBytes(StandardCharsets.UTF_8), a.read(0, 2));
            assertArrayEquals("xyz".getBytes(StandardCharsets.UTF_8), b.read(0, 10), "b's own copy");
            assertEquals(List.of(), k.takeNotifications(), "nobody polled: no handle to wake");
        }
    }

    @Test
    void writesToPostAreEvents() throws Exception {
        PollFs fs = new PollFs(0, 0);
        try (FakeKernel k = FakeKernel.start(fs);
             FakeKernel.OpenFile events = k.open("/" + PollFs.EVENTS, 0);
             FakeKernel.OpenFile post = k.open("/" + PollFs.POST, 1)) {
            assertEquals(5, post.write(0, "hello".getBytes(StandardCharsets.UTF_8)));
            assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), events.read(0, 100));
            assertEquals(1, fs.postedCount());
            assertEquals(Errno.EACCES, assertThrows(FuseException.class,
                    () -> k.open("/" + PollFs.EVENTS, 1)).errno());
        }
    }
}
