package dev.jfuser.examples.notifyentry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.examples.notifyentry.NotifyEntryFs.Mode;
import dev.jfuser.protocol.Abi;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.Notification;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which notification each change of notify-entry sends, through the fake kernel (no mount). */
class NotifyEntryFakeKernelTest {
    private static final Notification DIR = new Notification.InvalInode(NotifyEntryFs.ROOT, 0, 0);

    @Test
    void invalidateDropsTheNameAndTheListing() throws Exception {
        NotifyEntryFs fs = new NotifyEntryFs(Mode.INVALIDATE, 0, 0);
        try (FakeKernel k = FakeKernel.start(fs)) {
            fs.addFile("a", "a");
            assertEquals(List.of(new Notification.InvalEntry(1, "a", false), DIR), k.takeNotifications());
            assertEquals(List.of("a"), k.list("/"));
            assertTrue(fs.remove("a"));
            assertEquals(List.of(new Notification.InvalEntry(1, "a", false), DIR), k.takeNotifications());
            assertFalse(fs.remove("a"), "gone already");
            assertEquals(List.of(), k.takeNotifications());
            assertEquals(Errno.ENOENT, assertThrows(FuseException.class, () -> k.stat("/a")).errno());
        }
    }

    @Test
    void expireOnlyExpiresWhenOfferedAndFallsBackOtherwise() throws Exception {
        NotifyEntryFs fs = new NotifyEntryFs(Mode.EXPIRE, 0, 0);
        try (FakeKernel k = FakeKernel.start(fs)) {
            fs.addFile("a", "a");
            assertEquals(List.of(new Notification.InvalEntry(1, "a", true), DIR), k.takeNotifications());
            assertTrue(fs.expiresOnly());
        }
        NotifyEntryFs old = new NotifyEntryFs(Mode.EXPIRE, 0, 0);
        try (FakeKernel k = FakeKernel.builder(old).offeredFlags(FakeKernel.ALL_CAPABILITIES & ~Abi.HAS_EXPIRE_ONLY)
                .start()) {
            old.addFile("a", "a");
            assertEquals(List.of(new Notification.InvalEntry(1, "a", false), DIR), k.takeNotifications());
            assertFalse(old.expiresOnly());
        }
    }

    @Test
    void deleteTellsTheRemovedNodeAndAnUnlinkedNodeHasNoLinks() throws Exception {
        NotifyEntryFs fs = new NotifyEntryFs(Mode.DELETE, 0, 0);
        try (FakeKernel k = FakeKernel.start(fs)) {
            fs.addDirectory("d");
            long d = fs.nodeOf("d");
            assertEquals(2, k.stat("/d").nlink());
            k.takeNotifications();
            fs.remove("d");
            assertEquals(List.of(new Notification.Delete(1, d, "d"), DIR), k.takeNotifications());
            assertEquals(0, fs.getattr(null, d, java.util.OptionalLong.empty()).attr().nlink(),
                    "a holder that asks sees it unlinked");
        }
    }

    @Test
    void noneTellsNothingAndEnoentFromTheKernelIsNotAnError() throws Exception {
        NotifyEntryFs quiet = new NotifyEntryFs(Mode.NONE, 0, 0);
        try (FakeKernel k = FakeKernel.start(quiet)) {
            quiet.addFile("a", "a");
            quiet.remove("a");
            assertEquals(List.of(), k.takeNotifications());
        }
        NotifyEntryFs fs = new NotifyEntryFs(Mode.INVALIDATE, 0, 0);
        try (FakeKernel k = FakeKernel.start(fs)) {
            k.refuseNotifications(n -> Errno.ENOENT);
            fs.addFile("a", "a"); // the kernel caches nothing under that name: nothing is stale
            k.refuseNotifications(n -> Errno.EIO);
            assertEquals(Errno.EIO, assertThrows(FuseException.class, () -> fs.addFile("b", "b")).errno());
        }
    }

    @Test
    void badNamesAreRefusedNamingTheName() throws Exception {
        NotifyEntryFs fs = new NotifyEntryFs(Mode.INVALIDATE, 0, 0);
        fs.addFile("a", "a");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> fs.addFile("a", "x")).getMessage()
                .contains("'a' exists already"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> fs.addFile("x/y", "x")).getMessage()
                .contains("'x/y'"));
    }
}
