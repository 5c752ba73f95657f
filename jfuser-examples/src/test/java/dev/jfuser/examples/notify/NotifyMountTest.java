package dev.jfuser.examples.notify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AttrReply;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.Fuse;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.Notifier;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import dev.jfuser.examples.MountSupport;
import dev.jfuser.protocol.Abi;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every notification through a real kernel, on the transport under test ({@code -Djfuser.transport}): a
 * filesystem whose content changes behind the kernel's back while the kernel caches everything for an hour
 * (entries, negative entries, attributes, pages with keep-cache), kept correct only by the notifier.
 */
@Tag("mount")
class NotifyMountTest {
    private static final Duration HOUR = Duration.ofHours(1);
    /** A fixed mtime: the kernel's AUTO_INVAL_DATA never sees a change, only notifications invalidate. */
    private static final Instant MTIME = Instant.ofEpochSecond(1_700_000_000);

    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;
    private ChangingFs fs;

    /** Files in one root directory; names and contents change when a test says so. */
    static final class ChangingFs implements Filesystem {
        final Map<String, Long> names = new ConcurrentHashMap<>();
        final Map<Long, byte[]> contents = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> lookups = new ConcurrentHashMap<>();
        final Map<Long, AtomicInteger> reads = new ConcurrentHashMap<>();
        final Map<Long, AtomicLong> forgotten = new ConcurrentHashMap<>();
        final AtomicLong pollHandle = new AtomicLong(-1);
        final CountDownLatch pollScheduled = new CountDownLatch(1);
        volatile boolean eventReady;
        /** Reads of this node wait for {@link #release} unless they are a resent copy. */
        volatile long slowNode = -1;
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger resentReads = new AtomicInteger();
        volatile Notifier notifier;

        ChangingFs() {
            file("data", 2, "AAAA");
            file("events", 3, "");
            file("w", 4, "\0".repeat(4096));
            file("old", 5, "old");
            file("del", 6, "del");
            file("st", 7, "zzzzz");
            file("pr", 8, "pr");
            file("slow", 9, "slow");
        }

        void file(String name, long node, String content) {
            contents.put(node, content.getBytes(StandardCharsets.UTF_8));
            names.put(name, node);
        }

        @Override
        public void init(KernelConfig config) {
            notifier = config.notifier();
        }

        private FileAttr attr(long node) {
            if (node == 1) {
                return FileAttr.builder(1, FileType.DIRECTORY).perm(0755).times(MTIME).build();
            }
            byte[] c = contents.get(node);
            return FileAttr.builder(node, FileType.REGULAR_FILE).perm(0644).size(c.length).times(MTIME).build();
        }

        @Override
        public Entry lookup(Request req, long parent, String name) {
            lookups.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet();
            Long node = names.get(name);
            return node == null ? Entry.negative(HOUR) : Entry.of(node, attr(node), HOUR);
        }

        @Override
        public void forget(long nodeId, long nlookup) {
            forgotten.computeIfAbsent(nodeId, n -> new AtomicLong()).addAndGet(nlookup);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws IOException {
            if (nodeId != 1 && !contents.containsKey(nodeId)) {
                throw new FuseException(Errno.ENOENT);
            }
            return new AttrReply(attr(nodeId), HOUR);
        }

        @Override
        public OpenReply open(Request req, long nodeId, int flags) {
            return OpenReply.of(0, OpenReply.KEEP_CACHE);
        }

        @Override
        public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner)
                throws IOException {
            reads.computeIfAbsent(nodeId, n -> new AtomicInteger()).incrementAndGet();
            if (nodeId == slowNode) {
                if ((req.unique() & Abi.UNIQUE_RESEND) != 0) {
                    resentReads.incrementAndGet();
                } else {
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        throw new FuseException(Errno.EINTR);
                    }
                }
            }
            byte[] c = contents.get(nodeId);
            int from = (int) Math.min(offset, c.length);
            return ReadData.of(c, from, Math.min(size, c.length - from));
        }

        @Override
        public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                         long lockOwner) {
            int n = data.remaining();
            contents.compute(nodeId, (k, old) -> {
                byte[] grown = java.util.Arrays.copyOf(old, (int) Math.max(old.length, offset + n));
                data.get(data.position(), grown, (int) offset, n);
                return grown;
            });
            return n;
        }

        @Override
        public int poll(Request req, long nodeId, long fh, long kh, int flags, int events) {
            if ((flags & Abi.POLL_SCHEDULE_NOTIFY) != 0) {
                pollHandle.set(kh);
                pollScheduled.countDown();
            }
            return eventReady ? events & 1 : 0; // POLLIN once an event arrived
        }
    }

    @BeforeEach
    void mount() throws IOException {
        MountSupport.assumeRootAndFuse();
        mp = Files.createDirectory(dir.resolve("mnt"));
        fs = new ChangingFs();
        mount = Fuse.mount(fs, mp, MountOptions.builder().fsname("notify-test").build(), SessionOptions.DEFAULT);
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            fs.release.countDown();
            try {
                mount.close();
            } finally {
                assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
            }
        }
    }

    private String cat(String name) throws Exception {
        MountSupport.Result r = MountSupport.run("timeout", "20", "cat", mp.resolve(name).toString());
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    private boolean exists(String name) throws Exception {
        return MountSupport.run("timeout", "20", "stat", mp.resolve(name).toString()).exitCode() == 0;
    }

    private int lookups(String name) {
        AtomicInteger n = fs.lookups.get(name);
        return n == null ? 0 : n.get();
    }

    @Test
    void invalInodeMakesAKeepCacheReaderSeeNewContent() throws Exception {
        assertEquals("AAAA", cat("data"));
        fs.contents.put(2L, "BBBB".getBytes(StandardCharsets.UTF_8));
        assertEquals("AAAA", cat("data"), "the kernel serves its cached pages (keep_cache, same size and mtime)");
        mount.notifier().invalInode(2, 0, 0);
        assertEquals("BBBB", cat("data"));
    }

    @Test
    void invalEntryMakesANewNameAppearAndARemovedOneGo() throws Exception {
        assertFalse(exists("new"));
        fs.file("new", 10, "new");
        assertFalse(exists("new"), "the negative entry is cached for an hour");
        mount.notifier().invalEntry(1, "new");
        assertTrue(exists("new"));

        assertTrue(exists("old"));
        fs.names.remove("old");
        assertTrue(exists("old"), "the entry is cached for an hour");
        mount.notifier().invalEntry(1, "old");
        assertFalse(exists("old"));
    }

    @Test
    void expireEntryMakesTheKernelLookTheNameUpAgain() throws Exception {
        Assumptions.assumeTrue(mount.kernelConfig().kernelMinor() >= 38, "FUSE_HAS_EXPIRE_ONLY needs 7.38");
        assertTrue(exists("old"));
        int before = lookups("old");
        assertTrue(exists("old"));
        assertEquals(before, lookups("old"), "cached: no second LOOKUP");
        fs.names.remove("old");
        mount.notifier().expireEntry(1, "old");
        assertFalse(exists("old"));
        assertTrue(lookups("old") > before, "looked up again at its next use");
    }

    @Test
    void deleteTakesACachedNameAwayAndTheFileIsUnlinkedForItsHolders() throws Exception {
        String script = "import os, sys\n"
                + "fd = os.open('" + mp.resolve("del") + "', os.O_RDONLY)\n"
                + "print('nlink', os.fstat(fd).st_nlink, flush=True)\n"
                + "sys.stdin.readline()\n"
                + "print('nlink', os.fstat(fd).st_nlink, 'read', os.pread(fd, 16, 0).decode(), flush=True)\n";
        Process holder = new ProcessBuilder("timeout", "30", "python3", "-c", script).redirectErrorStream(true)
                .start();
        try {
            java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                    holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("nlink 1", out.readLine());
            fs.names.remove("del");
            assertTrue(exists("del"), "the entry is cached for an hour");
            mount.notifier().delete(1, 6, "del");
            assertFalse(exists("del"));
            holder.getOutputStream().write('\n');
            holder.getOutputStream().flush();
            assertEquals("nlink 0 read del", out.readLine(), "unlinked, as after an unlink, and still readable");
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void storePutsBytesInThePageCacheThatReadsThenReturn() throws Exception {
        assertTrue(exists("st"));
        mount.notifier().store(7, 0, "hello".getBytes(StandardCharsets.UTF_8));
        assertEquals("hello", cat("st"));
        assertEquals(0, fs.reads.getOrDefault(7L, new AtomicInteger()).get(), "served from the page cache");
    }

    @Test
    void retrieveReturnsWhatWasWrittenThroughThePageCache() throws Exception {
        byte[] pattern = new byte[4096];
        for (int i = 0; i < pattern.length; i++) {
            pattern[i] = (byte) ('a' + i % 26);
        }
        try (FileChannel ch = FileChannel.open(mp.resolve("w"), StandardOpenOption.WRITE)) {
            assertEquals(4096, ch.write(ByteBuffer.wrap(pattern), 0));
        }
        byte[] got = mount.notifier().retrieve(4, 0, 4096).get(10, TimeUnit.SECONDS);
        assertArrayEquals(pattern, got);
        byte[] tail = mount.notifier().retrieve(4, 4000, 1000).get(10, TimeUnit.SECONDS);
        assertArrayEquals(java.util.Arrays.copyOfRange(pattern, 4000, 4096), tail, "clamped at the end of file");
        assertEquals(0, mount.notifier().unmatchedReplies());
    }

    @Test
    void pollWakeupWakesAClientBlockedInPoll() throws Exception {
        String script = "import os, select, time\n"
                + "fd = os.open('" + mp.resolve("events") + "', os.O_RDONLY)\n"
                + "p = select.poll()\n"
                + "p.register(fd, select.POLLIN)\n"
                + "t = time.time()\n"
                + "r = p.poll(20000)\n"
                + "print('events', [e for _, e in r], 'after', round(time.time() - t, 3))\n";
        Process client = new ProcessBuilder("timeout", "30", "python3", "-c", script).redirectErrorStream(true)
                .start();
        try {
            assertTrue(fs.pollScheduled.await(20, TimeUnit.SECONDS), "the kernel never asked to be notified");
            Thread.sleep(200); // the client is asleep in poll(2) now
            fs.eventReady = true;
            long t0 = System.nanoTime();
            mount.notifier().pollWakeup(fs.pollHandle.get());
            String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(out.startsWith("events [1]"), out);
            assertTrue(ms < 5000, "woken after " + ms + " ms: " + out);
        } finally {
            client.destroyForcibly();
        }
    }

    @Test
    void notifyingANodeTheKernelDoesNotKnowIsEnoent() throws Exception {
        FuseException e = assertThrows(FuseException.class, () -> mount.notifier().invalInode(987_654, 0, 0));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("ENOENT"), e.getMessage());
        e = assertThrows(FuseException.class, () -> mount.notifier().store(987_654, 0, new byte[1]));
        assertEquals(Errno.ENOENT, e.errno());
        ExecutionException x = assertThrows(ExecutionException.class,
                () -> mount.notifier().retrieve(987_654, 0, 10).get(10, TimeUnit.SECONDS));
        assertEquals(Errno.ENOENT, ((FuseException) x.getCause()).errno());
        e = assertThrows(FuseException.class, () -> mount.notifier().invalEntry(1, "never-looked-up"));
        assertEquals(Errno.ENOENT, e.errno());
        // a wakeup for a handle the kernel does not know is ignored by the kernel
        mount.notifier().pollWakeup(987_654);
        assertEquals("AAAA", cat("data"), "the session serves on");
    }

    @Test
    void afterUnmountNotificationsThrowAClearException() throws Exception {
        Notifier n = mount.notifier();
        mount.close();
        FuseException e = assertThrows(FuseException.class, () -> n.invalInode(1, 0, 0));
        assertEquals(Errno.ENOTCONN, e.errno());
        assertTrue(e.getMessage().contains("session has ended"), e.getMessage());
        ExecutionException x = assertThrows(ExecutionException.class,
                () -> n.retrieve(1, 0, 1).get(10, TimeUnit.SECONDS));
        assertEquals(Errno.ENOTCONN, ((FuseException) x.getCause()).errno());
    }

    @Test
    void incEpochExpiresEveryCachedName() throws Exception {
        Assumptions.assumeTrue(mount.kernelConfig().kernelMinor() >= 44, "FUSE_NOTIFY_INC_EPOCH needs 7.44");
        assertTrue(exists("data"));
        assertFalse(exists("nope"));
        int data = lookups("data");
        int nope = lookups("nope");
        assertTrue(exists("data"));
        assertEquals(data, lookups("data"));
        mount.notifier().incEpoch();
        assertTrue(exists("data"));
        assertFalse(exists("nope"));
        assertEquals(data + 1, lookups("data"), "looked up again after the new epoch");
        assertEquals(nope + 1, lookups("nope"), "negative entries expire too");
    }

    @Test
    void pruneMakesTheKernelForgetUnusedNodes() throws Exception {
        Assumptions.assumeTrue(mount.kernelConfig().kernelMinor() >= 45, "FUSE_NOTIFY_PRUNE needs 7.45");
        assertTrue(exists("pr"));
        assertFalse(fs.forgotten.containsKey(8L));
        mount.notifier().prune(8, 987_654);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!fs.forgotten.containsKey(8L) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertNotNull(fs.forgotten.get(8L), "no FORGET for the pruned node");
        assertTrue(exists("pr"));
        assertEquals(2, lookups("pr"), "the name was dropped and looked up again");
    }

    @Test
    void resendMakesTheKernelSendAnUnansweredRequestAgain() throws Exception {
        Assumptions.assumeTrue(mount.kernelConfig().kernelMinor() >= 40,
                "FUSE_HAS_RESEND came with 7.40");
        Assumptions.assumeTrue(mount.transport() == Transport.DEV_FUSE,
                "the kernel resends only requests read from /dev/fuse, not those held by io_uring entries");
        fs.slowNode = 9;
        Process client = new ProcessBuilder("timeout", "30", "cat", mp.resolve("slow").toString())
                .redirectErrorStream(true).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (fs.reads.getOrDefault(9L, new AtomicInteger()).get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, fs.reads.get(9L).get(), "the first READ waits in the filesystem");
            mount.notifier().resend();
            String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(client.waitFor(30, TimeUnit.SECONDS));
            assertEquals("slow", out, "answered by the resent READ while the first still waits");
            assertEquals(1, fs.resentReads.get());
        } finally {
            fs.release.countDown();
            client.destroyForcibly();
        }
    }

    /**
     * The notify codes of protocol 7.45 (every {@code NOTIFY_*} constant of {@link Abi}) and the test above that
     * exercises each through the real kernel. Codes gated by the kernel's version are skipped by their test, with
     * the reason, on an older kernel; RESEND is exercised over /dev/fuse only (see its test).
     */
    @Test
    void everyNotifyCodeOfTheProtocolIsExercisedByATestHere() throws Exception {
        Map<Integer, String> byCode = new TreeMap<>(Map.of(
                Abi.NOTIFY_POLL, "pollWakeupWakesAClientBlockedInPoll",
                Abi.NOTIFY_INVAL_INODE, "invalInodeMakesAKeepCacheReaderSeeNewContent",
                Abi.NOTIFY_INVAL_ENTRY, "invalEntryMakesANewNameAppearAndARemovedOneGo",
                Abi.NOTIFY_STORE, "storePutsBytesInThePageCacheThatReadsThenReturn",
                Abi.NOTIFY_RETRIEVE, "retrieveReturnsWhatWasWrittenThroughThePageCache",
                Abi.NOTIFY_DELETE, "deleteTakesACachedNameAwayAndTheFileIsUnlinkedForItsHolders",
                Abi.NOTIFY_RESEND, "resendMakesTheKernelSendAnUnansweredRequestAgain",
                Abi.NOTIFY_INC_EPOCH, "incEpochExpiresEveryCachedName",
                Abi.NOTIFY_PRUNE, "pruneMakesTheKernelForgetUnusedNodes"));
        int codes = 0;
        for (Field f : Abi.class.getFields()) {
            if (f.getName().startsWith("NOTIFY_") && Modifier.isStatic(f.getModifiers())) {
                codes++;
                int code = f.getInt(null);
                String test = byCode.get(code);
                assertNotNull(test, f.getName() + " (" + code + ") has no test");
                Method m = getClass().getDeclaredMethod(test);
                assertNotNull(m.getAnnotation(Test.class), test + " is not a test");
            }
        }
        assertEquals(9, codes, "protocol 7.45 has nine notify codes");
        assertEquals(codes, byCode.size());
    }
}
