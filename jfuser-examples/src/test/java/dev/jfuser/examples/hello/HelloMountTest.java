package dev.jfuser.examples.hello;

import static dev.jfuser.examples.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Filesystem;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountBusyException;
import dev.jfuser.MountOptions;
import dev.jfuser.Request;
import dev.jfuser.examples.MountSupport;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HelloFs mounted for real, as root, in this JVM: the kernel is the client. */
@Tag("mount")
class HelloMountTest {
    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;

    /** HelloFs plus one name whose lookup is a bug (throws), to prove the session survives it. */
    static final class BuggyHello implements Filesystem {
        private final HelloFs hello = new HelloFs(0, 0);

        @Override
        public Entry lookup(Request req, long parent, String name) throws IOException {
            if (name.equals("boom")) {
                throw new IllegalStateException("deliberate bug in lookup");
            }
            return hello.lookup(req, parent, name);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
            return hello.getattr(req, nodeId, fh);
        }

        @Override
        public OpenReply open(Request req, long nodeId, int flags) throws IOException {
            return hello.open(req, nodeId, flags);
        }

        @Override
        public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner) {
            return hello.read(req, nodeId, fh, offset, size, flags, lockOwner);
        }

        @Override
        public OpenReply opendir(Request req, long nodeId, int flags) throws IOException {
            return hello.opendir(req, nodeId, flags);
        }

        @Override
        public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
                throws IOException {
            hello.readdir(req, nodeId, fh, offset, listing);
        }
    }

    @BeforeEach
    void mount() throws IOException {
        MountSupport.assumeRootAndFuse();
        mp = Files.createDirectory(dir.resolve("mnt"));
        mount = Fuse.mount(new BuggyHello(), mp, MountOptions.builder().fsname("hello-test").subtype("hello").build());
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            try {
                mount.close();
            } finally {
                assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
            }
        }
    }

    @Test
    void lsStatCatThroughTheKernel() throws Exception {
        MountSupport.Result ls = run("ls", "-l", mp.toString());
        assertEquals(0, ls.exitCode(), ls.output());
        assertTrue(ls.output().contains("-r--r--r--") && ls.output().contains("hello.txt"), ls.output());
        MountSupport.Result stat = run("stat", "-c", "%s %F %a %i %h", mp.resolve("hello.txt").toString());
        assertEquals("14 regular file 444 2 1", stat.output().strip());
        MountSupport.Result cat = run("cat", mp.resolve("hello.txt").toString());
        assertEquals("Hello, World!\n", cat.output());
        assertArrayEquals(HelloFs.CONTENT, Files.readAllBytes(mp.resolve("hello.txt")));
        try (var entries = Files.list(mp)) {
            assertEquals(List.of("hello.txt"), entries.map(p -> p.getFileName().toString()).toList());
        }
        assertTrue(MountSupport.run("grep", "-q", "hello-test " + mp + " fuse.hello", "/proc/mounts").exitCode() == 0);
    }

    @Test
    void missingFileIsEnoent() throws Exception {
        assertThrows(NoSuchFileException.class, () -> Files.readAllBytes(mp.resolve("missing")));
        MountSupport.Result cat = run("cat", mp.resolve("missing").toString());
        assertTrue(cat.output().contains("No such file or directory"), cat.output());
    }

    @Test
    void writesAreRefusedOnTheReadOnlyFile() {
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> Files.writeString(mp.resolve("hello.txt"), "x"));
        assertTrue(e.getMessage().contains("Read-only") || e.getMessage().contains("denied"), e.getMessage());
    }

    @Test
    void aThrowingHandlerAnswersEioAndTheSessionKeepsServing() throws Exception {
        MountSupport.Result boom = run("stat", mp.resolve("boom").toString());
        assertTrue(boom.output().contains("Input/output error"), boom.output());
        assertEquals("Hello, World!\n", run("cat", mp.resolve("hello.txt").toString()).output());
        assertTrue(mount.isServing());
    }

    @Test
    void concurrentReadersFromSeveralProcesses() throws Exception {
        String file = mp.resolve("hello.txt").toString();
        List<Process> readers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            readers.add(new ProcessBuilder("sh", "-c", "for i in $(seq 100); do cat " + file + "; done")
                    .redirectErrorStream(true).start());
        }
        String expected = "Hello, World!\n".repeat(100);
        for (Process p : readers) {
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor());
            assertEquals(expected, out);
        }
    }

    @Test
    void closeUnmountsAndEndsTheSession() throws Exception {
        mount.close();
        assertFalse(mount.isServing());
        assertFalse(MountSupport.isMounted(mp));
    }

    @Test
    void externalUmountEndsTheSession() throws Exception {
        assertEquals(0, run("umount", mp.toString()).exitCode());
        assertTrue(mount.awaitUnmount(Duration.ofSeconds(10)), "session did not end after umount");
        assertFalse(MountSupport.isMounted(mp));
    }

    @Test
    void busyUnmountIsAClearErrorAndTheMountKeepsServing() throws Exception {
        try (FileChannel open = FileChannel.open(mp.resolve("hello.txt"))) {
            MountBusyException e = assertThrows(MountBusyException.class, mount::close);
            assertTrue(e.getMessage().contains(mp.toString()) && e.getMessage().contains("busy"), e.getMessage());
            assertTrue(mount.isServing());
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64);
            assertEquals(14, open.read(b, 0));
        }
        mount.close();
        assertFalse(MountSupport.isMounted(mp));
    }
}
