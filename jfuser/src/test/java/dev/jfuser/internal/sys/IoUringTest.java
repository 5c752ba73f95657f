package dev.jfuser.internal.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The raw ring mechanics, with NOPs: no FUSE needed. */
class IoUringTest {
    private static void assumeIoUring() throws Exception {
        Path sysctl = Path.of("/proc/sys/kernel/io_uring_disabled");
        assumeTrue(!Files.exists(sysctl) || Files.readString(sysctl).trim().equals("0"),
                "io_uring is disabled by sysctl kernel.io_uring_disabled");
    }

    @Test
    void nopsCompleteWithTheirUserData() throws Exception {
        assumeIoUring();
        MemorySegment state = LibC.allocateCallState(Arena.ofAuto());
        try (IoUring ring = IoUring.setup(4, 16, IoUring.SETUP_SQE128)) {
            assertEquals(4, ring.sqEntries());
            assertEquals(16, ring.cqEntries());
            for (int round = 0; round < 10; round++) { // wraps the rings a few times
                for (int i = 0; i < 3; i++) {
                    MemorySegment sqe = ring.nextSqe();
                    assertNotNull(sqe);
                    assertEquals(128, sqe.byteSize());
                    IoUring.prepareNop(sqe, round * 100L + i);
                    ring.publish();
                }
                assertEquals(3, ring.sqPending());
                assertEquals(3, ring.enter(state, 3, 3));
                assertEquals(0, ring.sqPending());
                assertEquals(3, ring.cqReady());
                for (int i = 0; i < 3; i++) {
                    assertEquals(round * 100L + i, ring.cqeUserData(i));
                    assertEquals(0, ring.cqeRes(i));
                }
                ring.cqAdvance(3);
                assertEquals(0, ring.cqReady());
            }
        }
    }

    @Test
    void aFullSubmissionRingGivesNoSlot() throws Exception {
        assumeIoUring();
        try (IoUring ring = IoUring.setup(2, 0, 0)) {
            IoUring.prepareNop(ring.nextSqe(), 1);
            ring.publish();
            IoUring.prepareNop(ring.nextSqe(), 2);
            ring.publish();
            assertNull(ring.nextSqe());
        }
    }
}
