package dev.jfuser.examples.handover;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jfuser.DelegatingAsyncFilesystem;
import dev.jfuser.Fuse;
import dev.jfuser.HandoverSource;
import dev.jfuser.HandoverState;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.hello.AsyncHelloFs;
import dev.jfuser.examples.hello.HelloFs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The hand-over API within one JVM, through a real mount: an {@link dev.jfuser.AsyncFilesystem} handed from one
 * session to the next (the fd travels over the socket as between processes), and the refusals that name why.
 */
@Tag("mount")
class HandoverApiMountTest {
    private Path base;
    private Path mp;

    @BeforeEach
    void setUp() throws IOException {
        MountSupport.assumeRootAndFuse();
        base = Files.createTempDirectory("jfuser-handover-api");
        mp = Files.createDirectory(base.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        boolean left = MountSupport.forceUnmount(mp);
        MountSupport.run("rm", "-rf", base.toString());
        assertFalse(left, "the test left " + mp + " mounted");
    }

    @Test
    void anAsyncFilesystemIsHandedToANewSessionAndAnOpenFileStaysValid() throws Exception {
        SessionOptions options = SessionOptions.DEFAULT.withTransport(Transport.DEV_FUSE).withUnmountOnExit(false);
        Mount first = Fuse.mount(new AsyncHelloFs(0, 0), mp, MountOptions.defaults(), options);
        Path file = mp.resolve("hello.txt");
        FileChannel held = FileChannel.open(file, StandardOpenOption.READ);
        try {
            Path socket = base.resolve("s");
            CompletableFuture<Void> handing = CompletableFuture.runAsync(() -> {
                try {
                    first.handOver(socket, Duration.ofSeconds(10));
                } catch (IOException | InterruptedException e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().start(r));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(socket) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            Mount second;
            try (HandoverState h = Fuse.receiveHandover(socket)) {
                assertEquals(mp.toRealPath(), h.mountpoint().orElseThrow());
                assertEquals(0, h.filesystemState().length, "AsyncHelloFs hands no state over");
                second = Fuse.resume(new AsyncHelloFs(0, 0), h, options);
            }
            handing.get(10, TimeUnit.SECONDS);
            try {
                assertFalse(first.isServing(), "the old session ended with the hand-over");
                assertTrue(second.isServing());
                assertTrue(MountSupport.isMounted(mp));
                assertFalse(Files.exists(socket), "the socket is removed once connected");
                ByteBuffer b = ByteBuffer.allocate(HelloFs.CONTENT.length);
                held.read(b, 0);
                assertArrayEquals(HelloFs.CONTENT, b.array(), "read through the descriptor opened before");
                assertArrayEquals(HelloFs.CONTENT, Files.readAllBytes(file), "read by name");
            } finally {
                held.close();
                second.close();
            }
            assertFalse(MountSupport.isMounted(mp), "the new session unmounts as a mount made by itself");
        } finally {
            held.close();
        }
    }

    /** Refuses every hand-over while serving. */
    private static final class Refusing extends DelegatingAsyncFilesystem implements HandoverSource {
        Refusing() {
            super(new HelloFs(0, 0));
        }

        @Override
        public void checkHandover() throws IOException {
            throw new IOException("refusing: a request of ours is half done");
        }

        @Override
        public byte[] handoverState() {
            throw new AssertionError("never asked after a refusal");
        }
    }

    @Test
    void aFilesystemRefusingLeavesTheMountServingAndTheTakerIsToldSo() throws Exception {
        SessionOptions options = SessionOptions.DEFAULT.withTransport(Transport.DEV_FUSE).withUnmountOnExit(false);
        try (Mount m = Fuse.mount(new Refusing(), mp, MountOptions.defaults(), options)) {
            Path socket = base.resolve("s");
            CompletableFuture<Void> handing = CompletableFuture.runAsync(() -> {
                try {
                    m.handOver(socket, Duration.ofSeconds(5));
                } catch (IOException | InterruptedException e) {
                    throw new RuntimeException(e);
                }
            }, r -> Thread.ofPlatform().start(r));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(socket) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            IOException taker = assertThrows(IOException.class, () -> Fuse.receiveHandover(socket));
            assertTrue(taker.getMessage().contains("without handing its mount over"), taker.getMessage());
            ExecutionException e = assertThrows(ExecutionException.class, () -> handing.get(10, TimeUnit.SECONDS));
            assertTrue(e.getCause().getCause().getMessage().contains("half done"), e.toString());
            assertTrue(m.isServing(), "a refused hand-over leaves the session serving");
            assertArrayEquals(HelloFs.CONTENT, Files.readAllBytes(mp.resolve("hello.txt")));
        }
    }

    @Test
    void aSessionOnIoUringRefusesTheHandOverSayingWhy() throws Exception {
        SessionOptions options = SessionOptions.DEFAULT.withTransport(Transport.IO_URING).withUnmountOnExit(false);
        try (Mount m = Fuse.mount(new HelloFs(0, 0), mp, MountOptions.defaults(), options)) {
            assumeTrue(m.transport() == Transport.IO_URING, "the kernel does not offer FUSE over io_uring");
            IOException e = assertThrows(IOException.class, () -> {
                // Connect from another thread so the hand-over gets past waiting for a process.
                Path socket = base.resolve("s");
                Thread.ofPlatform().start(() -> {
                    try {
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                        while (!Files.exists(socket) && System.nanoTime() < deadline) {
                            Thread.sleep(5);
                        }
                        Fuse.receiveHandover(socket).close();
                    } catch (IOException | InterruptedException ignored) {
                        // the refusal closes the socket: nothing arrives
                    }
                });
                m.handOver(socket, Duration.ofSeconds(5));
            });
            assertTrue(e.getMessage().contains("io_uring") && e.getMessage().contains("Transport.DEV_FUSE"),
                    e.getMessage());
            assertTrue(m.isServing(), "a refused hand-over leaves the session serving");
            assertArrayEquals(HelloFs.CONTENT, Files.readAllBytes(mp.resolve("hello.txt")));
        }
    }
}
