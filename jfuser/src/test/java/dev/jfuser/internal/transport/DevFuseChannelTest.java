package dev.jfuser.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A /dev/fuse descriptor shared by readers without a clone (the -Djfuser.cloneFd=false strategy). */
class DevFuseChannelTest {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int F_GETFD = 1;

    private static int openDevice() throws NativeException {
        Path dev = Path.of("/dev/fuse");
        assumeTrue(Files.isReadable(dev) && Files.isWritable(dev), "needs read and write access to /dev/fuse");
        return LibC.open(dev.toString(), O_RDWR | O_CLOEXEC);
    }

    @Test
    void aSharedChannelUsesTheSameDescriptorAndClosingItLeavesTheDescriptorOpen() throws Exception {
        int fd = openDevice();
        DevFuseChannel main = DevFuseChannel.of(fd);
        FuseChannel shared = main.shareChannel();
        assertNotSame(main, shared, "each reader has its own pollfd array");
        assertEquals(fd, ((DevFuseChannel) shared).fd());
        shared.close();
        LibC.fcntl(fd, F_GETFD, 0); // still open
        main.close();
        assertThrows(NativeException.class, () -> LibC.fcntl(fd, F_GETFD, 0), "closed with the owning channel");
    }

    @Test
    void wakingTheSessionEndsTheSharedReaderToo() throws Exception {
        DevFuseChannel main = DevFuseChannel.of(openDevice());
        FuseChannel shared = main.shareChannel();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(8192);
            main.wakeup();
            assertEquals(-1, shared.receive(buffer));
            assertEquals(-1, main.receive(buffer));
        } finally {
            shared.close();
            main.close();
        }
    }
}
