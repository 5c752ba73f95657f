package dev.jfuser.internal.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketsTest {
    @TempDir
    Path tmp;

    @Test
    void aDescriptorAndBytesTravelFromTheListenerToTheConnectingSide() throws Exception {
        Path path = tmp.resolve("s");
        int[] pipe = LibC.pipe(LibC.O_CLOEXEC);
        int listening = UnixSockets.listen(path);
        byte[] state = new byte[100_000];
        for (int i = 0; i < state.length; i++) {
            state[i] = (byte) (i * 31);
        }
        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
            try {
                int c = UnixSockets.accept(listening);
                LibC.sendFd(c, pipe[1]);
                UnixSockets.writeFully(c, state);
                LibC.close(c);
            } catch (NativeException e) {
                throw new RuntimeException(e);
            }
        });
        int s = UnixSockets.connect(path);
        int received = LibC.recvFd(s);
        byte[] got = UnixSockets.readFully(s, state.length);
        sender.get(10, TimeUnit.SECONDS);
        assertArrayEquals(state, got);
        assertTrue(received >= 0 && received != pipe[1]);
        // The received descriptor is the pipe's write end: what is written there comes out of the read end.
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment hello = arena.allocateFrom("hello", StandardCharsets.US_ASCII);
            assertEquals(5, LibC.write(received, hello, 5));
            MemorySegment in = arena.allocate(5);
            assertEquals(5, LibC.read(pipe[0], in, 5));
            assertEquals("hello", new String(in.toArray(JAVA_BYTE), StandardCharsets.US_ASCII));
        } finally {
            for (int fd : new int[] {received, s, listening, pipe[0], pipe[1]}) {
                LibC.closeQuietly(fd);
            }
        }
    }

    @Test
    void readingPastWhatThePeerSentFailsNamingTheShortfall() throws Exception {
        Path path = tmp.resolve("s");
        int listening = UnixSockets.listen(path);
        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
            try {
                int c = UnixSockets.accept(listening);
                UnixSockets.writeFully(c, new byte[3]);
                LibC.close(c);
            } catch (NativeException e) {
                throw new RuntimeException(e);
            }
        });
        int s = UnixSockets.connect(path);
        try {
            sender.get(10, TimeUnit.SECONDS);
            NativeException e = assertThrows(NativeException.class, () -> UnixSockets.readFully(s, 8));
            assertEquals(LibC.EPROTO, e.errno());
            assertTrue(e.getMessage().contains("3 of 8 bytes"), e.getMessage());
        } finally {
            LibC.closeQuietly(s);
            LibC.closeQuietly(listening);
        }
    }

    @Test
    void aPathTooLongForASocketIsRefusedWithTheLimit() {
        Path path = tmp.resolve("x".repeat(120));
        NativeException e = assertThrows(NativeException.class, () -> UnixSockets.listen(path));
        assertTrue(e.getMessage().contains("at most 107"), e.getMessage());
    }

    @Test
    void connectingWhereNobodyListensNamesThePath() {
        Path path = tmp.resolve("nobody");
        NativeException e = assertThrows(NativeException.class, () -> UnixSockets.connect(path));
        assertEquals(LibC.ENOENT, e.errno());
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
    }
}
