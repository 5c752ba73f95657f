package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.internal.session.InitState;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.UnixSockets;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The hand-over message: what the old process sends arrives whole, and broken input is refused naming why. */
class HandoverStateTest {
    private static final InitState INIT = new InitState(45, 45, 0x1234_5678_9abcL, 0x1111_2222L, 131072, 1 << 20,
            0);
    private static final Path WHERE = Path.of("/run/test.sock");

    @Test
    void theInitStateRoundTrips() throws IOException {
        assertEquals(INIT, InitState.fromBytes(INIT.toBytes()));
    }

    @Test
    void anInitStateOfAnotherVersionIsRefusedNamingBoth() {
        byte[] b = INIT.toBytes();
        b[7] = 9;
        IOException e = assertThrows(IOException.class, () -> InitState.fromBytes(b));
        assertTrue(e.getMessage().contains("version 9") && e.getMessage().contains("same jfuser version"),
                e.getMessage());
    }

    @Test
    void theMessageAndTheDescriptorArriveWhole() throws Exception {
        int[] pair = LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC);
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        byte[] fsState = new byte[300_000];
        Arrays.fill(fsState, (byte) 7);
        try {
            byte[] message = HandoverState.encode(INIT, Path.of("/mnt/x"), null, 1000, 42, -1, fsState);
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    LibC.sendFd(pair[0], pipe[1]);
                    UnixSockets.writeFully(pair[0], message);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            try (HandoverState h = HandoverState.receive(pair[1], WHERE)) {
                sender.join(10_000);
                assertEquals(Path.of("/mnt/x"), h.mountpoint().orElseThrow());
                assertEquals(45, h.protocolMinor());
                assertEquals(INIT, h.init());
                assertEquals(1000, h.ownerUid());
                assertEquals(42, h.mountId());
                assertEquals(-1, h.allowRootOwner());
                assertArrayEquals(fsState, h.filesystemState());
                assertTrue(h.takeFd() >= 0);
                assertThrows(IllegalStateException.class, h::takeFd);
            }
        } finally {
            for (int fd : new int[] {pair[0], pipe[0], pipe[1]}) {
                LibC.closeQuietly(fd);
            }
        }
    }

    @Test
    void aPeerThatClosesWithoutADescriptorIsReportedAsAFailedHandOver() throws Exception {
        int[] pair = LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC);
        LibC.close(pair[0]);
        try {
            IOException e = assertThrows(IOException.class, () -> HandoverState.receive(pair[1], WHERE));
            assertTrue(e.getMessage().contains(WHERE.toString()) && e.getMessage().contains("without handing"),
                    e.getMessage());
        } finally {
            LibC.closeQuietly(pair[1]);
        }
    }

    @Test
    void aTruncatedMessageIsRefused() throws Exception {
        int[] pair = LibC.socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC);
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        try {
            byte[] message = HandoverState.encode(INIT, null, null, -1, -1, -1, new byte[100]);
            LibC.sendFd(pair[0], pipe[1]);
            UnixSockets.writeFully(pair[0], Arrays.copyOf(message, message.length - 10));
            LibC.close(pair[0]);
            IOException e = assertThrows(IOException.class, () -> HandoverState.receive(pair[1], WHERE));
            assertTrue(e.getMessage().contains("bytes"), e.getMessage());
        } finally {
            for (int fd : new int[] {pair[1], pipe[0], pipe[1]}) {
                LibC.closeQuietly(fd);
            }
        }
    }
}
