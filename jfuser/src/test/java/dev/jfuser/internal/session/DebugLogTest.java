package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import dev.jfuser.protocol.Operation;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

/** The -d trace: modes in octal, flags by name, and the system property that turns it on. */
class DebugLogTest extends SessionFixture {

    @Test
    void modesAreOctalAndFlagsNamed() {
        assertEquals("Create[name=f, flags=O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, mode=0100644, umask=022, openFlags=0]",
                DebugLog.describe(new Operation.Create(01 | 0100 | 01000 | 02000000, 0100644, 022, 0, "f")));
        assertEquals("Mkdir[name=d, mode=0755, umask=02]", DebugLog.describe(new Operation.Mkdir(0755, 02, "d")));
        assertEquals("Open[flags=O_RDWR|O_SYNC|O_APPEND|O_NOATIME, openFlags=KILL_SUIDGID]",
                DebugLog.describe(new Operation.Open(02 | 04010000 | 02000 | 01000000, Abi.OPEN_KILL_SUIDGID)));
        assertEquals("Open[flags=O_RDONLY|O_DIRECTORY|O_NOFOLLOW|0x80000000, openFlags=0]",
                DebugLog.describe(new Operation.Open(0200000 | 0400000 | 0x80000000, 0)),
                "a bit without a name is shown in hex");
        assertEquals("Setattr[valid=MODE|SIZE|FH, mode=04755, size=4096, fh=7]", DebugLog.describe(
                new Operation.Setattr(Abi.FATTR_MODE | Abi.FATTR_SIZE | Abi.FATTR_FH, 7, 4096, 0, 0, 0, 0, 0, 0, 0,
                        04755, 0, 0)));
        assertEquals("Setattr[valid=ATIME|MTIME_NOW, atime=10.000000005]", DebugLog.describe(
                new Operation.Setattr(Abi.FATTR_ATIME | Abi.FATTR_MTIME_NOW, 0, 0, 0, 10, 0, 0, 5, 0, 0, 0, 0, 0)));
        assertEquals("Rename[newDir=1, flags=RENAME_NOREPLACE, oldName=a, newName=b]",
                DebugLog.describe(new Operation.Rename(1, 1, "a", "b")));
        assertEquals("Access[mask=R_OK|X_OK]", DebugLog.describe(new Operation.Access(5)));
        assertEquals("Access[mask=F_OK]", DebugLog.describe(new Operation.Access(0)));
        assertEquals("Fallocate[fh=3, offset=0, length=4096, mode=KEEP_SIZE|PUNCH_HOLE]",
                DebugLog.describe(new Operation.Fallocate(3, 0, 4096, 3)));
        assertEquals("Lseek[fh=3, offset=10, whence=SEEK_DATA]", DebugLog.describe(new Operation.Lseek(3, 10, 3)));
        assertTrue(DebugLog.describe(new Operation.Release(3, 0101, Abi.RELEASE_FLUSH, 0))
                .contains("flags=O_WRONLY|O_CREAT, releaseFlags=RELEASE_FLUSH"));
        assertTrue(DebugLog.describe(new Operation.Setxattr("user.x", new byte[3], 2, 0))
                .contains("flags=XATTR_REPLACE"));
    }

    @Test
    @ResourceLock(Resources.SYSTEM_PROPERTIES)
    void theSystemPropertyTurnsTheTraceOnWhereCodeLeftItOff() {
        String before = System.getProperty(DebugLog.PROPERTY);
        try {
            System.clearProperty(DebugLog.PROPERTY);
            assertFalse(DebugLog.of(null).enabled());
            System.setProperty(DebugLog.PROPERTY, "true");
            assertTrue(DebugLog.of(null).enabled());
            System.setProperty(DebugLog.PROPERTY, "false");
            assertFalse(DebugLog.of(null).enabled());
            assertTrue(DebugLog.of(System.out).enabled(), "a stream set in code is used whatever the property says");
            System.setProperty(DebugLog.PROPERTY, "yes");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DebugLog.of(null));
            assertTrue(e.getMessage().contains("jfuser.debug") && e.getMessage().contains("-Djfuser.debug=true"),
                    e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty(DebugLog.PROPERTY);
            } else {
                System.setProperty(DebugLog.PROPERTY, before);
            }
        }
    }

    @Test
    void aSessionTracesRequestsWithNamedFlags() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, 0)));
        session = new Session(kernel, new BlockingAdapter(new SessionTest.TestFs()),
                SessionOptions.DEFAULT.withReaderThreads(1).withDebug(out), -1);
        session.start();
        kernel.await(1);
        // fuse_open_in: flags O_RDWR|O_APPEND, open_flags 0
        long open = kernel.unique();
        kernel.push(FakeKernel.request(Opcode.OPEN.code(), open, 2, FakeKernel.le(02 | 02000)));
        kernel.await(open);
        assertEquals(-2, kernel.call(Opcode.LOOKUP.code(), 1, FakeKernel.name("nope")).error());
        String trace = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(trace.contains("unique: " + open + ", opcode: OPEN (14), nodeid: 2")
                && trace.contains("Open[flags=O_RDWR|O_APPEND, openFlags=0]"), trace);
        assertTrue(trace.contains("error: -2 (No such file or directory)"), trace);
    }
}
