package dev.jfuser.internal.mount;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.internal.sys.Iovec;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.PollFd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Just enough of a FUSE daemon, speaking raw bytes, to prove a mount's fd is live: answers FUSE_INIT, GETATTR of the
 * root (an empty directory), and ENOSYS to everything else. It is independent of the real protocol and session
 * packages on purpose, so mount tests do not depend on them.
 */
final class FakeFuseDaemon implements AutoCloseable {
    static final int FUSE_GETATTR = 3;
    static final int FUSE_OPENDIR = 27;
    static final int FUSE_INIT = 26;
    static final int FUSE_FORGET = 2;
    static final int FUSE_INTERRUPT = 36;
    static final int FUSE_BATCH_FORGET = 42;

    /** fuse_in_header: len u32, opcode u32, unique u64, nodeid u64, uid, gid, pid u32, extlen u16, pad u16. */
    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;
    static final int INIT_OUT = 64;
    static final int ATTR_OUT = 104; // attr_valid u64, attr_valid_nsec u32, dummy u32, struct fuse_attr (88)

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf = arena.allocate(1 << 20 | 4096, 8); // above FUSE_MIN_READ_BUFFER
    private final MemorySegment reply = arena.allocate(4096, 8);
    private final MemorySegment iov = Iovec.allocate(arena, 2);
    private final MemorySegment pollFds = PollFd.allocate(arena, 1);
    final List<Integer> opcodesSeen = new CopyOnWriteArrayList<>();
    private volatile boolean stop;
    private volatile boolean sawEnodev;
    private Thread thread;

    FakeFuseDaemon(int fd) {
        this.fd = fd;
    }

    /** Waits (up to 5 s) for the next request and returns its length; -errno on failure, 0 on timeout. */
    long next(int timeoutMillis) {
        PollFd.set(pollFds, 0, fd, PollFd.POLLIN);
        int ready = LibC.poll(pollFds, 1, timeoutMillis);
        if (ready <= 0) {
            return ready;
        }
        return LibC.read(fd, buf, buf.byteSize());
    }

    int opcode() {
        return buf.get(JAVA_INT, 4);
    }

    long unique() {
        return buf.get(JAVA_LONG, 8);
    }

    long nodeId() {
        return buf.get(JAVA_LONG, 16);
    }

    int requestLength() {
        return buf.get(JAVA_INT, 0);
    }

    /** fuse_init_in follows the header: major u32, minor u32, max_readahead u32, flags u32. */
    int initMajor() {
        return buf.get(JAVA_INT, IN_HEADER);
    }

    int initMinor() {
        return buf.get(JAVA_INT, IN_HEADER + 4);
    }

    /** Reads the request that must be FUSE_INIT. */
    void expectInit() {
        long n = next(5000);
        assertTrue(n > 0, "no FUSE_INIT within 5 s: " + n);
        assertEquals(FUSE_INIT, opcode(), "first request is FUSE_INIT");
        assertEquals(n, requestLength(), "header len matches the bytes read");
        assertEquals(7, initMajor());
    }

    /** Answers the FUSE_INIT just read, as header + fuse_init_out in two iovecs. */
    void replyInit() {
        MemorySegment body = reply.asSlice(OUT_HEADER, INIT_OUT);
        body.fill((byte) 0);
        body.set(JAVA_INT, 0, 7);
        body.set(JAVA_INT, 4, Math.min(45, initMinor()));
        body.set(JAVA_INT, 8, buf.get(JAVA_INT, IN_HEADER + 8)); // max_readahead: take the kernel's
        body.set(JAVA_INT, 12, 0); // no optional capabilities
        body.set(JAVA_SHORT, 16, (short) 16); // max_background
        body.set(JAVA_SHORT, 18, (short) 12); // congestion_threshold
        body.set(JAVA_INT, 20, 131072); // max_write
        body.set(JAVA_INT, 24, 1); // time_gran
        send(0, body);
    }

    private void send(int error, MemorySegment body) {
        MemorySegment header = reply.asSlice(0, OUT_HEADER);
        header.set(JAVA_INT, 0, OUT_HEADER + (int) body.byteSize());
        header.set(JAVA_INT, 4, error);
        header.set(JAVA_LONG, 8, unique());
        Iovec.set(iov, 0, header);
        Iovec.set(iov, 1, body);
        long n = LibC.writev(fd, iov, 2);
        // -ENOENT: the request was interrupted meanwhile, which is not an error.
        assertTrue(n == OUT_HEADER + body.byteSize() || n == -LibC.ENOENT, "reply write: " + n);
    }

    private void sendError(int errno) {
        send(-errno, reply.asSlice(OUT_HEADER, 0));
    }

    /** The root is an empty directory, mode 0755, owned by root; attributes are not cached. */
    private void replyRootAttr() {
        MemorySegment body = reply.asSlice(OUT_HEADER, ATTR_OUT);
        body.fill((byte) 0);
        MemorySegment attr = body.asSlice(16);
        attr.set(JAVA_LONG, 0, 1); // ino
        attr.set(JAVA_INT, 60, 0040755); // mode
        attr.set(JAVA_INT, 64, 2); // nlink
        attr.set(JAVA_INT, 80, 4096); // blksize
        send(0, body);
    }

    /** Serves requests on a platform thread until {@link #close()} or the end of the connection (ENODEV). */
    void serveInBackground() {
        thread = Thread.ofPlatform().daemon().name("fake-fuse-daemon").start(() -> {
            while (!stop) {
                long n = next(100);
                if (n == 0 || n == -LibC.EINTR || n == -LibC.EAGAIN) {
                    continue;
                }
                if (n == -LibC.ENODEV) {
                    sawEnodev = true;
                    return;
                }
                if (n < 0) {
                    return; // fd closed under us, connection aborted
                }
                int op = opcode();
                opcodesSeen.add(op);
                switch (op) {
                    case FUSE_INIT -> replyInit();
                    case FUSE_GETATTR -> {
                        if (nodeId() == 1) {
                            replyRootAttr();
                        } else {
                            sendError(LibC.ENOENT);
                        }
                    }
                    case FUSE_FORGET, FUSE_BATCH_FORGET, FUSE_INTERRUPT -> { } // never answered
                    default -> sendError(LibC.ENOSYS);
                }
            }
        });
    }

    boolean sawEnodev() {
        return sawEnodev;
    }

    /** Waits for the serving thread to see the end of the connection. */
    boolean awaitEnd(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    @Override
    public void close() {
        stop = true;
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (thread == null || !thread.isAlive()) {
            arena.close();
        }
    }
}
