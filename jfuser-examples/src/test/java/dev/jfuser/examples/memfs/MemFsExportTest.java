package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.protocol.Opcode;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.FakeKernel.FileHandle;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * File handles on memfs without a mount: the fake kernel decodes them as the kernel does once it forgot the inode
 * (the kit forgets every lookup after each call), by node id and generation, and finds directories' parents.
 */
class MemFsExportTest {
    private static final Request ROOT = new Request(1, Opcode.LOOKUP, 1, 0, 0, 0, new int[0]);

    private static Errno errno(Executable call) {
        return assertThrows(FuseException.class, call).errno();
    }

    @Test
    void aHandleDecodesAfterTheKernelForgotTheNodeAndIsStaleOnceTheFileIsGone() throws Exception {
        MemFs fs = new MemFs();
        try (FakeKernel k = FakeKernel.start(fs)) {
            assertTrue(k.exportSupport(), "memfs asks for export support");
            k.writeFile("/a", "hello".getBytes(StandardCharsets.UTF_8));
            FileHandle h = k.handle("/a");
            assertNotEquals(0, h.generation(), "a node's generation tells this memfs from an earlier one");
            k.sync();
            assertEquals(0, fs.nodes.get(h.nodeId()).lookups, "the kernel holds no reference any more");
            FileAttr a = k.openByHandle(h);
            assertEquals(h.nodeId(), a.ino());
            assertEquals(5, a.size());
            assertEquals(Errno.ESTALE, errno(() -> k.openByHandle(new FileHandle(h.nodeId(), h.generation() + 1))),
                    "another generation: a handle of an earlier memfs");
            k.unlink("/a");
            assertEquals(Errno.ESTALE, errno(() -> k.openByHandle(h)));
            assertEquals(Errno.ESTALE, errno(() -> k.openByHandle(new FileHandle(999, h.generation()))),
                    "a node id never handed out");
        }
    }

    @Test
    void theRootHasGenerationZeroAndIsItsOwnParent() throws Exception {
        try (FakeKernel k = FakeKernel.start(new MemFs())) {
            FileHandle root = k.handle("/");
            assertEquals(new FileHandle(1, 0), root);
            assertEquals(1, k.openByHandle(root).ino());
            assertEquals(1, k.lookupParent(1));
        }
    }

    @Test
    void aDirectorysParentIsFoundByIdAlsoAfterARename() throws Exception {
        MemFs fs = new MemFs();
        try (FakeKernel k = FakeKernel.start(fs)) {
            k.mkdir("/d", 0755);
            k.mkdir("/d/e", 0755);
            k.mkdir("/other", 0755);
            k.writeFile("/d/file", new byte[1]);
            FileHandle e = k.handle("/d/e");
            assertEquals(k.lookup("/d"), k.lookupParent(e.nodeId()));
            k.rename("/d/e", "/other/e");
            assertEquals(k.lookup("/other"), k.lookupParent(e.nodeId()));
            assertEquals(1, k.lookupParent(k.lookup("/other")));
            assertEquals(Errno.ENOTDIR, errno(() -> k.lookupParent(k.lookup("/d/file"))),
                    "a file has no single parent (hard links)");
            k.rmdir("/other/e");
            assertEquals(Errno.ESTALE, errno(() -> k.lookupParent(e.nodeId())));
            assertEquals(Errno.ESTALE, errno(() -> k.openByHandle(e)));
        }
    }

    @Test
    void everyEntryOfANodeCarriesTheSameGeneration() throws Exception {
        // The kernel marks an inode bad when an entry for its node id comes with another generation.
        MemFs fs = new MemFs();
        Entry created = fs.create(ROOT, 1, "f", 0100644, 0, 2).entry();
        Entry dir = fs.mkdir(ROOT, 1, "d", 0755, 0);
        Entry tmp = fs.tmpfile(ROOT, 1, 0100600, 0, 2).entry();
        assertEquals(created.generation(), fs.lookup(ROOT, 1, "f").generation());
        assertEquals(created.generation(), fs.lookupNode(ROOT, created.nodeId()).generation());
        assertEquals(created.generation(), dir.generation());
        assertEquals(created.generation(), tmp.generation());
        assertEquals(0, fs.lookupNode(ROOT, 1).generation());
        assertEquals(0, fs.lookupParent(ROOT, dir.nodeId()).generation());
        DirectoryListing plus = new DirectoryListing(4096, true);
        fs.readdirplus(ROOT, 1, fs.opendir(ROOT, 1, 0).fh(), 0, plus);
        java.nio.ByteBuffer b = plus.encoded().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int entries = 0;
        while (b.remaining() >= 128 + 24) {
            // fuse_direntplus: a fuse_entry_out (node id, generation, ...) then the dirent
            int start = b.position();
            long node = b.getLong(start);
            if (node != 0 && node != 1) {
                assertEquals(created.generation(), b.getLong(start + 8), "readdirplus entry of node " + node);
                entries++;
            }
            int nameLen = b.getInt(start + 128 + 16);
            b.position(start + ((128 + 24 + nameLen + 7) & ~7));
        }
        assertEquals(2, entries, "f and d");
    }

    @Test
    void anotherMemfsGivesItsNodesAnotherGeneration() throws Exception {
        long a = new MemFs().mkdir(ROOT, 1, "d", 0755, 0).generation();
        long b = new MemFs().mkdir(ROOT, 1, "d", 0755, 0).generation();
        assertNotEquals(a, b, "same node id, different memfs: the old handle must be stale");
        assertTrue(a > 0 && a < (1L << 31) && b > 0 && b < (1L << 31), a + ", " + b);
    }
}
