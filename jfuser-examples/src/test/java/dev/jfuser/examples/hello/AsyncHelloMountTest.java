package dev.jfuser.examples.hello;

import static dev.jfuser.examples.MountSupport.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.examples.MountSupport;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The async API through the real kernel: AsyncHelloFs answers ls, stat and cat exactly like HelloFs. */
@Tag("mount")
class AsyncHelloMountTest {
    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;

    @BeforeEach
    void mount() throws Exception {
        MountSupport.assumeRootAndFuse();
        mp = Files.createDirectory(dir.resolve("mnt"));
        mount = Fuse.mount(new AsyncHelloFs(0, 0), mp,
                MountOptions.builder().fsname("hello-async-test").subtype("hello-async").build());
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
    void lsStatCat() throws Exception {
        MountSupport.Result ls = run("ls", "-l", mp.toString());
        assertEquals(0, ls.exitCode(), ls.output());
        assertTrue(ls.output().contains("-r--r--r--") && ls.output().contains("hello.txt"), ls.output());
        assertEquals("14 regular file 444 2 1",
                run("stat", "-c", "%s %F %a %i %h", mp.resolve("hello.txt").toString()).output().strip());
        assertEquals("directory 755", run("stat", "-c", "%F %a", mp.toString()).output().strip());
        assertEquals("Hello, World!\n", run("cat", mp.resolve("hello.txt").toString()).output());
        assertArrayEquals(HelloFs.CONTENT, Files.readAllBytes(mp.resolve("hello.txt")));
        try (var entries = Files.list(mp)) {
            assertEquals(List.of("hello.txt"), entries.map(p -> p.getFileName().toString()).toList());
        }
        assertTrue(run("df", mp.toString()).output().contains("hello-async-test"));
    }

    @Test
    void errorsFromFailedStages() {
        assertThrows(NoSuchFileException.class, () -> Files.readAllBytes(mp.resolve("missing")));
        FileSystemException e = assertThrows(FileSystemException.class,
                () -> Files.writeString(mp.resolve("hello.txt"), "x"));
        assertTrue(e.getMessage().contains("Read-only") || e.getMessage().contains("denied"), e.getMessage());
    }
}
