package dev.jfuser.examples.httpfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.OpenReply;
import dev.jfuser.Request;
import dev.jfuser.protocol.Opcode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** httpfs's logic called directly (no mount) against an in-process server: ranges, slicing, caching, errors. */
class HttpFsTest {
    private static final Request REQ = new Request(2, Opcode.READ, 1, 0, 0, 0, null);
    private static final int BLOCK = 16 * 1024;

    @TempDir
    Path dir;
    private Path root;
    private RangeHandler handler;
    private HttpServers.Server server;
    private HttpFs fs;

    @BeforeEach
    void serve() throws Exception {
        root = Files.createDirectory(dir.resolve("root"));
        HttpServers.writeTree(root);
        handler = new RangeHandler(root);
        server = HttpServers.simpleFileServer(root, h -> handler);
        fs = newFs(server.base());
    }

    private HttpFs newFs(URI base) {
        return HttpFs.create(HttpFsOptions.of(base).withBlockSize(BLOCK).withTtl(Duration.ofSeconds(30))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3)));
    }

    @AfterEach
    void stop() {
        if (fs != null) {
            fs.destroy();
        }
        server.close();
    }

    private static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private long node(AsyncFilesystem fs, String path) throws Exception {
        long node = 1;
        for (String part : path.split("/")) {
            Entry e = get(fs.lookup(REQ, node, part));
            assertTrue(e.nodeId() != 0, "no entry for " + part + " in " + path);
            node = e.nodeId();
        }
        return node;
    }

    private byte[] read(AsyncFilesystem fs, long node, long offset, int size) throws Exception {
        return get(fs.read(REQ, node, 0, offset, size, 0, 0)).toByteArray();
    }

    @Test
    void readsAnyRangeAcrossBlocksWithRangeRequests() throws Exception {
        byte[] expected = Files.readAllBytes(root.resolve("sub dir/nested/1MiB+3.bin"));
        long node = node(fs, "sub dir/nested/1MiB+3.bin");
        assertEquals(expected.length, get(fs.getattr(REQ, node, OptionalLong.empty())).attr().size());
        long[][] cases = {{0, 1}, {0, BLOCK}, {BLOCK - 1, 2}, {BLOCK * 3 + 5, BLOCK * 2 + 7},
            {expected.length - 3, 4096}, {expected.length, 10}, {expected.length + 100, 10}, {12345, 131072}};
        for (long[] c : cases) {
            int from = (int) Math.min(c[0], expected.length);
            int to = (int) Math.min(c[0] + c[1], expected.length);
            assertArrayEquals(Arrays.copyOfRange(expected, from, to), read(fs, node, c[0], (int) c[1]),
                    "offset " + c[0] + " size " + c[1]);
        }
        assertTrue(handler.rangeRequests() > 0);
        long before = handler.requests();
        read(fs, node, BLOCK * 3 + 5, 100);
        assertEquals(before, handler.requests(), "a cached block costs no request");
    }

    @Test
    void aServerThatIgnoresRangesIsSlicedAndTheWholeFileCached() throws Exception {
        handler.ranges = false;
        byte[] expected = Files.readAllBytes(root.resolve("sub dir/nested/1MiB+3.bin"));
        long node = node(fs, "sub dir/nested/1MiB+3.bin");
        long before = handler.requests();
        assertArrayEquals(Arrays.copyOfRange(expected, BLOCK * 5 + 3, BLOCK * 6),
                read(fs, node, BLOCK * 5 + 3, BLOCK - 3));
        assertEquals(before + 1, handler.requests());
        for (long off = 0; off < expected.length; off += 50_000) {
            int n = (int) Math.min(50_000, expected.length - off);
            assertArrayEquals(Arrays.copyOfRange(expected, (int) off, (int) off + n), read(fs, node, off, n));
        }
        assertEquals(before + 1, handler.requests(), "the rest of the file came with the first answer");
    }

    @Test
    void concurrentReadsOfOneBlockSendOneRequest() throws Exception {
        long node = node(fs, "sub dir/4097");
        handler.latencyMillis = 200;
        long before = handler.requests();
        var reads = java.util.stream.IntStream.range(0, 20)
                .mapToObj(i -> fs.read(REQ, node, 0, i * 10, 100, 0, 0).toCompletableFuture()).toList();
        for (var r : reads) {
            assertEquals(100, r.get(10, TimeUnit.SECONDS).size());
        }
        assertEquals(before + 1, handler.requests());
    }

    @Test
    void namesAttributesAndListings() throws Exception {
        Entry missing = get(fs.lookup(REQ, 1, "no such file"));
        assertEquals(0, missing.nodeId(), "a negative entry, cached by the kernel");
        long sub = node(fs, "sub dir");
        Entry file = get(fs.lookup(REQ, sub, "4095"));
        assertEquals(4095, file.attr().size());
        assertEquals(0444, file.attr().perm());
        assertEquals(Files.getLastModifiedTime(root.resolve("sub dir/4095")).toInstant().getEpochSecond(),
                file.attr().mtime().getEpochSecond());
        long requests = handler.requests();
        get(fs.getattr(REQ, file.nodeId(), OptionalLong.empty()));
        get(fs.lookup(REQ, sub, "4095"));
        assertEquals(requests, handler.requests(), "names and sizes are trusted for the TTL");

        OpenReply dirHandle = get(fs.opendir(REQ, sub, 0));
        DirectoryListing listing = new DirectoryListing(4096, false);
        get(fs.readdir(REQ, sub, dirHandle.fh(), 0, listing));
        assertEquals(5, listing.size(), ". .. 4095 4097 nested");
        DirectoryListing rest = new DirectoryListing(4096, false);
        get(fs.readdir(REQ, sub, dirHandle.fh(), 3, rest));
        assertEquals(2, rest.size(), "resumed after the third entry");
        get(fs.releasedir(REQ, sub, dirHandle.fh(), 0));

        assertErrno(Errno.ENOTDIR, () -> fs.lookup(REQ, file.nodeId(), "x"));
        assertErrno(Errno.EISDIR, () -> fs.open(REQ, sub, 0));
        assertErrno(Errno.EROFS, () -> fs.open(REQ, file.nodeId(), 1));
        assertErrno(Errno.EROFS, () -> fs.access(REQ, file.nodeId(), 2));
        assertErrno(Errno.ENOTDIR, () -> fs.opendir(REQ, file.nodeId(), 0));
    }

    @Test
    void aFileWithoutALengthIsOpenedDirectAndReadToItsEnd() throws Exception {
        handler.headLength = false;
        byte[] expected = Files.readAllBytes(root.resolve("sub dir/4097"));
        long node = node(fs, "sub dir/4097");
        assertEquals(OpenReply.DIRECT_IO, get(fs.open(REQ, node, 0)).flags() & OpenReply.DIRECT_IO);
        assertArrayEquals(Arrays.copyOfRange(expected, 4000, 4097), read(fs, node, 4000, 4096));
        assertEquals(0, read(fs, node, 4097, 4096).length, "416 past the end is the end of file");
    }

    @Test
    void aFileDeletedOnTheServerIsEnoentAndAStoppedServerIsEioAtOnce() throws Exception {
        long node = node(fs, "one");
        long other = node(fs, "hello world.txt");
        Files.delete(root.resolve("one"));
        assertErrno(Errno.ENOENT, () -> fs.read(REQ, node, 0, 0, 10, 0, 0));
        server.close();
        long began = System.nanoTime();
        assertErrno(Errno.EIO, () -> fs.read(REQ, other, 0, 0, 10, 0, 0));
        assertErrno(Errno.EIO, () -> fs.lookup(REQ, 1, "sub dir").thenCompose(e -> fs.lookup(REQ, e.nodeId(), "x")));
        assertTrue(System.nanoTime() - began < TimeUnit.SECONDS.toNanos(3), "refused connections fail fast");
    }

    @Test
    void aServerThatNeverAnswersIsEioAfterTheTimeout() throws Exception {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50,
                java.net.InetAddress.getLoopbackAddress())) {
            // Accepts connections (the kernel's backlog does) and never answers.
            HttpFs mute = HttpFs.create(HttpFsOptions.of(URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/"))
                    .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)));
            long began = System.nanoTime();
            assertErrno(Errno.EIO, () -> mute.lookup(REQ, 1, "x"));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
            assertTrue(millis >= 900 && millis < 5000, "took " + millis + " ms");
            mute.destroy();
        }
    }

    private static void assertErrno(Errno expected, java.util.concurrent.Callable<CompletionStage<?>> call) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> get(call.call()));
        FuseException f = assertInstanceOf(FuseException.class, e.getCause(), String.valueOf(e.getCause()));
        assertEquals(expected, f.errno(), f.getMessage());
    }
}
