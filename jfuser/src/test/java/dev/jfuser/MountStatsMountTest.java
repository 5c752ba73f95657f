package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.protocol.Opcode;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Through the real kernel, over whichever transport the run asks for (bin/test runs it over /dev/fuse and io_uring):
 * Mount.stats() counts what the kernel sent, and a JFR recording sees each request with its transport.
 */
@Tag("mount")
class MountStatsMountTest {
    @TempDir
    Path dir;
    private Mount mount;

    /** A root directory holding nothing: every lookup is ENOENT. */
    static final class EmptyFs implements Filesystem {
        @Override
        public Entry lookup(Request req, long parent, String name) throws FuseException {
            throw new FuseException(Errno.ENOENT);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
            return AttrReply.of(FileAttr.builder(1, FileType.DIRECTORY).perm(0755).build());
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (mount != null) {
            mount.unmount(true);
            assertTrue(mount.awaitUnmount(Duration.ofSeconds(10)), "the session did not end");
        }
    }

    @Test
    void statsAndTheRecordingSeeTheKernelsRequests() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse");
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        mount = Fuse.mount(new EmptyFs(), mp, MountOptions.defaults(), SessionOptions.DEFAULT);
        String transport = mount.transport().name().toLowerCase(Locale.ROOT);
        Path file = dir.resolve("requests.jfr");
        try (Recording recording = new Recording()) {
            recording.enable("dev.jfuser.Request");
            recording.start();
            for (int i = 0; i < 20; i++) {
                Path missing = mp.resolve("missing-" + i);
                try {
                    Files.readAttributes(missing, "unix:ino");
                    throw new AssertionError(missing + " exists");
                } catch (NoSuchFileException expected) {
                    // a LOOKUP answered ENOENT
                }
            }
            // A reply reaches the caller before its event is committed, and the event before the reply is counted.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (mount.stats().operation(Opcode.LOOKUP).map(o -> o.errors(Errno.ENOENT)).orElse(0L) < 20
                    && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            recording.stop();
            recording.dump(file);
        }

        MountStats stats = mount.stats();
        OperationStats lookup = stats.operation(Opcode.LOOKUP).orElseThrow(() -> new AssertionError(stats.table()));
        assertTrue(lookup.count() >= 20 && lookup.errors(Errno.ENOENT) >= 20, stats.table());
        assertTrue(lookup.max().compareTo(Duration.ZERO) > 0 && lookup.p50().compareTo(lookup.max()) <= 0,
                stats.table());
        assertEquals(1, stats.operation(Opcode.INIT).orElseThrow().count(), stats.table());
        assertEquals(mount.transport(), stats.transport());

        List<RecordedEvent> lookups = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.jfuser.Request"))
                .filter(e -> e.getString("opcode").equals("LOOKUP")).toList();
        assertEquals(20, lookups.size(), lookups.toString());
        for (RecordedEvent e : lookups) {
            assertEquals(1, e.getLong("nodeId"));
            assertEquals("ENOENT", e.getString("error"));
            assertEquals(transport, e.getString("transport"), "the transport the request came on");
            assertTrue(e.getInt("pid") > 0, "the caller's pid");
        }
    }
}
