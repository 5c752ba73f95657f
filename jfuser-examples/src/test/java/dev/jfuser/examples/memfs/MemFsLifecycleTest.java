package dev.jfuser.examples.memfs;

import static dev.jfuser.examples.contract.Shell.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Lookup counts and freeing: memfs holds an unlinked inode exactly as long as the kernel or an open file does. */
@Tag("mount")
class MemFsLifecycleTest {
    private MemFsMount mounted;
    private MemFs fs;

    @BeforeEach
    void mount() throws Exception {
        fs = new MemFs(MemFs.Options.defaults().withSizeLimit(64L << 20));
        mounted = MemFsMount.mount(fs, "");
    }

    @AfterEach
    void unmount() throws Exception {
        if (mounted != null) {
            mounted.close();
        }
    }

    private void awaitNodes(int expected) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (fs.nodeCount() != expected && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(expected, fs.nodeCount(), "inodes held by memfs");
    }

    @Test
    void removedFilesAreFreedOnceTheKernelForgetsThem() throws Exception {
        Path mp = mounted.mountpoint;
        long empty = Files.getFileStore(mp).getUnallocatedSpace(); // the limit less what the root is charged
        Path d = Files.createDirectory(mp.resolve("d"));
        for (int i = 0; i < 200; i++) {
            Files.write(d.resolve("f" + i), new byte[5000]);
        }
        run(d, "ls", "-l").ok(); // readdirplus hands out lookup references too
        assertEquals(202, fs.nodeCount());
        run(null, "rm", "-rf", d.toString()).ok();
        awaitNodes(1);
        long free = Files.getFileStore(mp).getUnallocatedSpace();
        assertEquals(empty, free, "all space is back");
        assertEquals((64L << 20) - 4096, empty, "the root's inode takes part of one page");
    }

    @Test
    void anUnlinkedOpenFileIsFreedAtClose() throws Exception {
        Path f = mounted.mountpoint.resolve("f");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[1 << 20]));
            Files.delete(f);
            Thread.sleep(200);
            assertEquals(2, fs.nodeCount(), "still open, so still there");
            assertTrue(Files.getFileStore(mounted.mountpoint).getUnallocatedSpace() <= (63L << 20));
        }
        awaitNodes(1);
    }

    @Test
    void cachedInodesAreForgottenWhenTheKernelDropsItsCaches() throws Exception {
        Path d = Files.createDirectory(mounted.mountpoint.resolve("d"));
        for (int i = 0; i < 50; i++) {
            Files.writeString(d.resolve("f" + i), "x");
        }
        assertEquals(52, fs.nodeCount(), "names stay while they exist");
        // dropping the dentry and inode caches makes the kernel FORGET everything unused; names still exist
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "2");
        Thread.sleep(300);
        assertEquals(52, fs.nodeCount(), "linked files are kept whatever the kernel forgets");
        assertEquals("x", Files.readString(d.resolve("f7")));
    }
}
