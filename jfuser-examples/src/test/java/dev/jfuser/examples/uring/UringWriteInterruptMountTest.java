package dev.jfuser.examples.uring;

import static dev.jfuser.examples.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Fuse;
import dev.jfuser.FuseException;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.OpenReply;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import dev.jfuser.examples.MountSupport;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WRITE delivered by an io_uring entry lends the filesystem a view of the entry's payload buffer, which the kernel
 * fills with the next request once the entry's reply is committed. A write whose caller is killed while its async
 * handler still works must therefore not be answered (and the entry committed) before the handler is done: the
 * bytes it reads afterwards must still be the ones written, not a later request's.
 */
@Tag("mount")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UringWriteInterruptMountTest {
    private static final Path ENABLE_URING = Path.of("/sys/module/fuse/parameters/enable_uring");
    private static final int SIZE = 128 * 1024;
    private static final FileAttr ROOT = FileAttr.builder(1, FileType.DIRECTORY).perm(0755).nlink(2).build();
    private static final FileAttr FILE = FileAttr.builder(2, FileType.REGULAR_FILE).perm(0666).size(1 << 30).build();
    /** The later writes go to another file: the held write keeps its file's inode locked. */
    private static final FileAttr OTHER = FileAttr.builder(3, FileType.REGULAR_FILE).perm(0666).size(1 << 30).build();

    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;
    private Process writer;
    private HoldingFs fs;

    /**
     * One file; its first write of 'A's is held: the handler keeps the payload's view and a stage nobody completes
     * until the test says so. Every other write answers at once.
     */
    static final class HoldingFs implements AsyncFilesystem {
        final CountDownLatch held = new CountDownLatch(1);
        volatile ByteBuffer heldData;
        volatile Request heldRequest;
        final CompletableFuture<Integer> heldStage = new CompletableFuture<>();
        volatile int others;

        @Override
        public CompletionStage<Entry> lookup(Request req, long parent, String name) {
            if (parent == 1 && name.equals("f")) {
                return CompletableFuture.completedFuture(Entry.of(FILE));
            }
            if (parent == 1 && name.equals("g")) {
                return CompletableFuture.completedFuture(Entry.of(OTHER));
            }
            return CompletableFuture.failedFuture(new FuseException(Errno.ENOENT));
        }

        @Override
        public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
            return CompletableFuture.completedFuture(AttrReply.of(nodeId == 1 ? ROOT : nodeId == 2 ? FILE : OTHER));
        }

        @Override
        public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
            // Direct I/O: each write(2) is one WRITE its caller waits for, straight from its buffer.
            return CompletableFuture.completedFuture(new OpenReply(0, OpenReply.DIRECT_IO, 0));
        }

        @Override
        public CompletionStage<Integer> write(Request req, long nodeId, long fh, long offset, ByteBuffer data,
                int writeFlags, int flags, long lockOwner) {
            if (data.remaining() > 0 && data.get(data.position()) == 'A' && heldData == null) {
                heldData = data;
                heldRequest = req;
                held.countDown();
                return heldStage;
            }
            others++;
            return CompletableFuture.completedFuture(data.remaining());
        }
    }

    @BeforeEach
    void setUp() throws IOException {
        MountSupport.assumeRootAndFuse();
        assumeTrue(Files.exists(ENABLE_URING) && Files.readString(ENABLE_URING).trim().matches("1|Y"),
                "FUSE-over-io_uring is off: " + ENABLE_URING + " is not 1 (bin/test's io_uring pass turns it on)");
        mp = Files.createDirectory(dir.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (fs != null) {
                fs.heldStage.complete(SIZE);
            }
            if (writer != null && writer.isAlive()) {
                writer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            if (mount != null && mount.isServing()) {
                mount.unmount(true);
                mount.awaitUnmount(Duration.ofSeconds(10));
            }
        } finally {
            if (mp != null) { // null when the test was skipped before it mounted
                assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
            }
        }
    }

    private static String writeProgram(char fill, int count) {
        return "import os, sys\nfd = os.open(sys.argv[1], os.O_WRONLY)\nfor i in range(" + count + "):\n"
                + "    os.pwrite(fd, b'" + fill + "' * " + SIZE + ", i * " + SIZE + ")\n";
    }

    @Test
    void aKilledWritersPayloadStaysItsOwnWhileTheHandlerStillReadsIt() throws Exception {
        fs = new HoldingFs();
        // Two entries per queue: the held one and one that serves on; the later writes cycle through both.
        mount = Fuse.mount(fs, mp, MountOptions.defaults(),
                SessionOptions.DEFAULT.withTransport(Transport.IO_URING).withRingDepth(2));
        assumeTrue(mount.transport() == Transport.IO_URING, "the kernel did not take the io_uring transport");
        Path f = mp.resolve("f");
        // Both writers on one CPU: a request goes to the ring of the CPU its caller runs on.
        writer = new ProcessBuilder("taskset", "-c", "0", "python3", "-c", writeProgram('A', 1), f.toString())
                .redirectErrorStream(true).start();
        assertTrue(fs.held.await(10, TimeUnit.SECONDS), "the write did not reach the filesystem");
        // A killed caller makes the kernel send INTERRUPT for its write.
        assertEquals(0, run("kill", "-KILL", Long.toString(writer.pid())).exitCode());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!fs.heldRequest.isInterrupted() && writer.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(fs.heldRequest.isInterrupted() || !writer.isAlive(), "no INTERRUPT arrived");
        // Later writes with other bytes, through every entry of that CPU's ring.
        MountSupport.Result later = run("timeout", "20", "taskset", "-c", "0", "python3", "-c", writeProgram('B', 16),
                mp.resolve("g").toString());
        assertEquals(0, later.exitCode(), later.output());
        assertEquals(16, fs.others, "the later writes were served");
        ByteBuffer seen = fs.heldData;
        int wrong = 0;
        for (int i = seen.position(); i < seen.limit(); i++) {
            if (seen.get(i) != 'A') {
                wrong++;
            }
        }
        assertEquals(0, wrong, "bytes of the held write's payload that are no longer its own");
        assertTrue(fs.heldRequest.isInterrupted(), "the request is marked interrupted");
        assertTrue(writer.isAlive(), "the killed writer waits for its write's answer");
        fs.heldStage.complete(SIZE);
        assertTrue(writer.waitFor(10, TimeUnit.SECONDS), "the killed writer ended once its write was answered");
        mount.close();
    }
}
