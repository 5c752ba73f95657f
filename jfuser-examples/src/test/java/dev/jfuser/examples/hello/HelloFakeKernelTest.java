package dev.jfuser.examples.hello;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jfuser.Errno;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
import dev.jfuser.testkit.FakeKernel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** HelloFs through the fake kernel: no root, no /dev/fuse. */
class HelloFakeKernelTest {
    @Test
    void listsStatsAndReadsHello() throws Exception {
        try (FakeKernel k = FakeKernel.start(new HelloFs(1000, 1000))) {
            assertEquals(List.of("hello.txt"), k.list("/"));
            var attr = k.stat("/hello.txt");
            assertEquals(FileType.REGULAR_FILE, attr.type());
            assertEquals(0444, attr.perm());
            assertEquals(1000, attr.uid());
            assertArrayEquals(HelloFs.CONTENT, k.readFile("/hello.txt"));
            assertEquals(Errno.ENOENT, assertThrows(FuseException.class, () -> k.stat("/missing")).errno());
            assertEquals(Errno.EROFS, assertThrows(FuseException.class, () -> k.open("/hello.txt", 1)).errno());
            assertEquals(Errno.ENOSYS, assertThrows(FuseException.class, () -> k.mkdir("/d", 0755)).errno());
        }
    }

    @Test
    void readsAtEveryOffset() throws Exception {
        try (FakeKernel k = FakeKernel.start(new HelloFs(0, 0)); var f = k.open("/hello.txt", 0)) {
            for (int off = 0; off <= HelloFs.CONTENT.length + 2; off++) {
                byte[] got = f.read(off, 4);
                int n = Math.max(0, Math.min(4, HelloFs.CONTENT.length - off));
                assertEquals(n, got.length, "read at " + off);
            }
        }
    }
}
