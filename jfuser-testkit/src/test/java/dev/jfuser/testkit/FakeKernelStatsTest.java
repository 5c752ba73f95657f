package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.MountStats;
import dev.jfuser.OperationStats;
import dev.jfuser.protocol.Opcode;
import org.junit.jupiter.api.Test;

/** FakeKernel.stats(): the session's counters for what the fake kernel sent, as Mount.stats() gives them. */
class FakeKernelStatsTest {

    @Test
    void statsCountTheRequestsTheFakeKernelSentAndTheirErrors() throws Exception {
        try (FakeKernel k = FakeKernel.start(new MiniFs(false))) {
            k.mkdir("/d", 0755);
            k.writeFile("/d/a", MiniFs.utf8("hi"));
            assertEquals(Errno.ENOENT, assertThrows(FuseException.class, () -> k.stat("/d/missing")).errno());
            MountStats stats = k.stats();
            OperationStats mkdir = stats.operation(Opcode.MKDIR).orElseThrow(() -> new AssertionError(stats.table()));
            assertEquals(1, mkdir.count());
            assertEquals(0, mkdir.errors());
            OperationStats lookup = stats.operation(Opcode.LOOKUP).orElseThrow();
            assertEquals(2, lookup.errors(Errno.ENOENT), "writeFile looks the name up first, then stat: " + stats.table());
            assertTrue(stats.operation(Opcode.WRITE).orElseThrow().count() >= 1, stats.table());
            assertEquals(stats.requests(), stats.operations().stream().mapToLong(OperationStats::count).sum());
            assertTrue(stats.table().contains("MKDIR"), stats.table());
            assertEquals(0, stats.unknownOpcodes(), "the kit's own sync requests are left out: " + stats.table());
        }
    }
}
