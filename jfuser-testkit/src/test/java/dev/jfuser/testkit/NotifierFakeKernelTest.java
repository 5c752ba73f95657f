package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Capability;
import dev.jfuser.Errno;
import dev.jfuser.Filesystem;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Notifier;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The notifier through the fake kernel: every notify code decoded from the wire, errors, versions, retrieve. */
class NotifierFakeKernelTest {

    /** A filesystem that keeps the notifier its init got, and whatever calling it during init did. */
    static final class Keeper implements Filesystem {
        volatile Notifier notifier;
        volatile RuntimeException duringInit;
        final Capability enable;

        Keeper(Capability enable) {
            this.enable = enable;
        }

        @Override
        public void init(KernelConfig config) {
            notifier = config.notifier();
            if (enable != null) {
                config.enable(enable);
            }
            try {
                notifier.invalInode(1, 0, 0);
            } catch (RuntimeException e) {
                duringInit = e;
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void initGetsTheSessionsNotifierWhichWorksOnceInitReturned() throws Exception {
        Keeper fs = new Keeper(null);
        try (FakeKernel k = FakeKernel.start(fs)) {
            assertSame(k.notifier(), fs.notifier);
            assertTrue(fs.duringInit instanceof IllegalStateException, String.valueOf(fs.duringInit));
            assertTrue(fs.duringInit.getMessage().contains("init has returned"), fs.duringInit.getMessage());
            assertEquals(List.of(), k.notifications());
            fs.notifier.invalInode(1, 0, 0);
            assertEquals(List.of(new Notification.InvalInode(1, 0, 0)), k.takeNotifications());
        }
    }

    @Test
    void everyNotifyCodeReachesTheKernelAsItsStruct() throws Exception {
        Keeper fs = new Keeper(null);
        try (FakeKernel k = FakeKernel.start(fs)) {
            Notifier n = fs.notifier;
            n.invalInode(7, 4096, -1);
            n.invalEntry(1, "a.txt");
            n.expireEntry(1, "b");
            n.delete(1, 9, "gone");
            n.store(7, 10, "stored".getBytes(StandardCharsets.UTF_8));
            assertArrayEquals(new byte[0], n.retrieve(8, 0, 100).get(5, TimeUnit.SECONDS)); // nothing cached
            n.pollWakeup(0x5151);
            n.resend();
            n.incEpoch();
            n.prune(7, 8, 9);
            List<Notification> got = k.takeNotifications();
            assertEquals(10, got.size(), got.toString());
            assertEquals(new Notification.InvalInode(7, 4096, -1), got.get(0));
            assertEquals(new Notification.InvalEntry(1, "a.txt", false), got.get(1));
            assertEquals(new Notification.InvalEntry(1, "b", true), got.get(2));
            assertEquals(new Notification.Delete(1, 9, "gone"), got.get(3));
            assertEquals(new Notification.Store(7, 10, "stored".getBytes(StandardCharsets.UTF_8)), got.get(4));
            Notification.Retrieve r = (Notification.Retrieve) got.get(5);
            assertEquals(8, r.node());
            assertEquals(100, r.size());
            assertTrue(r.notifyUnique() != 0);
            assertEquals(new Notification.PollWakeup(0x5151), got.get(6));
            assertEquals(new Notification.Resend(), got.get(7));
            assertEquals(new Notification.IncEpoch(), got.get(8));
            assertEquals(new Notification.Prune(List.of(7L, 8L, 9L)), got.get(9));
            assertEquals(List.of(), k.violations());
        }
    }

    @Test
    void storeFillsThePageCacheRetrieveReadsItInvalInodeDropsIt() throws Exception {
        Keeper fs = new Keeper(null);
        try (FakeKernel k = FakeKernel.start(fs)) {
            k.pageCache(5, "0123456789".getBytes(StandardCharsets.UTF_8));
            assertEquals("234", new String(fs.notifier.retrieve(5, 2, 3).get(5, TimeUnit.SECONDS),
                    StandardCharsets.UTF_8));
            // from a direct buffer (no copy on the way out) past the cached end: the file grows
            ByteBuffer direct = ByteBuffer.allocateDirect(4).put("abcd".getBytes(StandardCharsets.UTF_8)).flip();
            fs.notifier.store(5, 8, direct);
            assertEquals("01234567abcd", new String(k.pageCache(5), StandardCharsets.UTF_8));
            assertEquals("67abcd", new String(fs.notifier.retrieve(5, 6, 1000).get(5, TimeUnit.SECONDS),
                    StandardCharsets.UTF_8));
            fs.notifier.invalInode(5, -1, 0); // attributes only: the pages stay
            assertTrue(k.pageCache(5) != null);
            fs.notifier.invalInode(5, 0, 0);
            assertNull(k.pageCache(5));
            // larger than a reply buffer, from the heap
            byte[] big = new byte[200_000];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) (i * 31);
            }
            fs.notifier.store(6, 0, big);
            assertArrayEquals(big, fs.notifier.retrieve(6, 0, big.length).get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aRefusedNotificationThrowsFuseExceptionNamingTheErrno() throws Exception {
        Keeper fs = new Keeper(null);
        try (FakeKernel k = FakeKernel.start(fs)) {
            k.refuseNotifications(n -> n instanceof Notification.InvalInode i && i.node() == 99 ? Errno.ENOENT
                    : n instanceof Notification.InvalEntry ? Errno.ENOTDIR
                    : n instanceof Notification.Retrieve ? Errno.ENOENT : null);
            FuseException e = assertThrows(FuseException.class, () -> fs.notifier.invalInode(99, 0, 0));
            assertEquals(Errno.ENOENT, e.errno());
            assertTrue(e.getMessage().contains("ENOENT") && e.getMessage().contains("INVAL_INODE node 99"),
                    e.getMessage());
            e = assertThrows(FuseException.class, () -> fs.notifier.invalEntry(5, "x"));
            assertEquals(Errno.ENOTDIR, e.errno());
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> fs.notifier.retrieve(99, 0, 10).get(5, TimeUnit.SECONDS));
            assertEquals(Errno.ENOENT, ((FuseException) failed.getCause()).errno());
            fs.notifier.invalInode(1, 0, 0); // others still go through
        }
    }

    @Test
    void notificationsTheKernelDoesNotOfferFailBeforeAnythingIsWritten() throws Exception {
        Keeper fs = new Keeper(null);
        long offered = FakeKernel.ALL_CAPABILITIES & ~Abi.HAS_EXPIRE_ONLY & ~Abi.HAS_RESEND;
        try (FakeKernel k = FakeKernel.builder(fs).offeredFlags(offered).protocolMinor(43).start()) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> fs.notifier.expireEntry(1, "a"));
            assertTrue(e.getMessage().contains("FUSE_HAS_EXPIRE_ONLY"), e.getMessage());
            e = assertThrows(UnsupportedOperationException.class, fs.notifier::resend);
            assertTrue(e.getMessage().contains("FUSE_HAS_RESEND"), e.getMessage());
            e = assertThrows(UnsupportedOperationException.class, fs.notifier::incEpoch);
            assertTrue(e.getMessage().contains("7.44") && e.getMessage().contains("7.43"), e.getMessage());
            e = assertThrows(UnsupportedOperationException.class, () -> fs.notifier.prune(2));
            assertTrue(e.getMessage().contains("7.45"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> fs.notifier.invalEntry(1, "a/b"));
            assertEquals(List.of(), k.notifications());
        }
    }

    @Test
    void unmatchedNotifyRepliesAreCountedAndTheSessionServesOn() throws Exception {
        Keeper fs = new Keeper(null);
        try (FakeKernel k = FakeKernel.start(fs)) {
            k.answerRetrieves(false);
            CompletableFuture<byte[]> cancelled = fs.notifier.retrieve(3, 0, 10);
            long unique = ((Notification.Retrieve) k.takeNotifications().get(0)).notifyUnique();
            cancelled.cancel(false);
            k.notifyReply(unique, 3, 0, "late".getBytes(StandardCharsets.UTF_8));  // the cancelled one: too late
            k.notifyReply(123_456, 3, 0, new byte[0]);                            // answers nothing at all
            k.sync();
            assertEquals(2, fs.notifier.unmatchedReplies());
            k.answerRetrieves(true);
            k.pageCache(3, "abc".getBytes(StandardCharsets.UTF_8));
            assertEquals("abc", new String(fs.notifier.retrieve(3, 0, 10).get(5, TimeUnit.SECONDS),
                    StandardCharsets.UTF_8));
        }
    }

    @Test
    void afterTheSessionEndedNotificationsFailClearlyAndPendingRetrievesFail() throws Exception {
        Keeper fs = new Keeper(null);
        FakeKernel k = FakeKernel.start(fs);
        k.answerRetrieves(false);
        CompletableFuture<byte[]> pending = fs.notifier.retrieve(3, 0, 10);
        k.close();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        assertEquals(Errno.ENOTCONN, ((FuseException) failed.getCause()).errno());
        FuseException e = assertThrows(FuseException.class, () -> fs.notifier.invalInode(1, 0, 0));
        assertEquals(Errno.ENOTCONN, e.errno());
        assertTrue(e.getMessage().contains("session has ended"), e.getMessage());
        ExecutionException late = assertThrows(ExecutionException.class,
                () -> fs.notifier.retrieve(1, 0, 1).get(5, TimeUnit.SECONDS));
        assertEquals(Errno.ENOTCONN, ((FuseException) late.getCause()).errno());
    }

    @Test
    void notificationsFromManyThreadsWhileRequestsAreInFlight() throws Exception {
        Keeper fs = new Keeper(null);
        try (FakeKernel k = FakeKernel.start(fs)) {
            List<Thread> threads = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int base = t * 1000;
                threads.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 200; i++) {
                        try {
                            fs.notifier.invalInode(base + i, i, 1);
                            k.request(Opcode.STATFS, 1, new byte[0]);
                        } catch (java.io.IOException e) {
                            throw new AssertionError(e);
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            List<Notification> got = k.notifications();
            assertEquals(1600, got.size());
            assertEquals(1600, got.stream().distinct().count());
            assertEquals(List.of(), k.violations());
        }
    }

    @Test
    void theDebugLogPrintsEveryNotificationAndItsResult() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Keeper fs = new Keeper(null);
        SessionOptions options = SessionOptions.DEFAULT.withReaderThreads(1)
                .withDebug(new PrintStream(out, true, StandardCharsets.UTF_8));
        try (FakeKernel k = FakeKernel.builder(fs).sessionOptions(options).start()) {
            k.refuseNotifications(n -> n instanceof Notification.Delete ? Errno.ENOENT : null);
            fs.notifier.invalEntry(1, "x");
            assertThrows(FuseException.class, () -> fs.notifier.delete(1, 5, "y"));
        }
        String log = out.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("notify: INVAL_ENTRY parent 1, name \"x\", success"), log);
        assertTrue(log.contains("notify: DELETE parent 1, child 5, name \"y\", error: -2 (No such file or directory)"),
                log);
    }

    @Test
    void explicitInvalDataReplacesTheAutoDefaultInTheInitReply() throws Exception {
        Keeper fs = new Keeper(Capability.EXPLICIT_INVAL_DATA);
        try (FakeKernel k = FakeKernel.start(fs)) {
            int flags = k.initReply().body().getInt(12);
            assertTrue((flags & Abi.EXPLICIT_INVAL_DATA) != 0, Integer.toHexString(flags));
            assertFalse((flags & Abi.AUTO_INVAL_DATA) != 0, "the kernel would let AUTO_INVAL_DATA win: "
                    + Integer.toHexString(flags));
            assertFalse(k.kernelConfig().isEnabled(Capability.AUTO_INVAL_DATA));
        }
    }
}
