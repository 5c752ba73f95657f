package dev.jfuser.examples.path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.examples.notes.NotesFs;
import dev.jfuser.nio.NioFilesystem;
import dev.jfuser.path.PathAdapter;
import dev.jfuser.protocol.Opcode;
import dev.jfuser.testkit.FakeKernel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The bookkeeping the path adapter does for a path filesystem: FORGET empties its table, hard links are one node,
 * open files survive renames (also of a directory above them) and unlinks, listings keep their offsets while the
 * directory changes, and {@code .}/{@code ..} are listed.
 */
class PathAdapterTest {
    private static final int O_RDWR = 2;

    private static PathAdapter overJimfs() {
        return new PathAdapter(new NioFilesystem(Jimfs.newFileSystem(Configuration.unix().toBuilder()
                .setAttributeViews("basic", "posix", "unix").build()).getPath("/")));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void forgottenNodesLeaveTheTable() throws Exception {
        PathAdapter a = new PathAdapter(new NotesFs());
        try (FakeKernel k = FakeKernel.start(a)) {
            int empty = a.nodeCount();
            k.mkdir("/d", 0755);
            for (int i = 0; i < 20; i++) {
                k.writeFile("/d/f" + i, bytes("x"));
                k.stat("/d/f" + i);
            }
            k.rename("/d/f0", "/d/g0");
            k.unlink("/d/f1");
            k.list("/d");
            k.sync();
            assertEquals(empty, a.nodeCount(), "every lookup was forgotten, so only the root is left");
        }
    }

    @Test
    void hardLinksAreOneNode() throws Exception {
        try (FakeKernel k = FakeKernel.start(overJimfs())) {
            k.writeFile("/one", bytes("shared"));
            k.link("/one", "/two");
            try (FakeKernel.OpenFile f = k.open("/one", 0)) {
                assertEquals(f.nodeId(), k.lookup("/two"), "both names lead to the node the kernel holds");
            }
        }
    }

    @Test
    void anOpenFileFollowsItsRenameAndItsDirectorysRename() throws Exception {
        // notes finds files by path alone, so reads after the renames prove the adapter passes the new path
        try (FakeKernel k = FakeKernel.start(new PathAdapter(new NotesFs()))) {
            k.mkdir("/d", 0755);
            k.mkdir("/e", 0755);
            k.writeFile("/d/f", bytes("before"));
            try (FakeKernel.OpenFile f = k.open("/d/f", O_RDWR)) {
                k.rename("/d/f", "/e/g");
                f.write(0, bytes("BE"));
                k.rename("/e", "/x");
                k.rename("/x", "/d/inner");
                assertArrayEquals(bytes("BEfore"), f.read(0, 100));
                assertEquals(6, f.stat().size());
            }
            assertArrayEquals(bytes("BEfore"), k.readFile("/d/inner/g"));
            assertFalse(k.exists("/e"));
        }
    }

    @Test
    void anUnlinkedOpenFileKeepsServingThroughItsHandle() throws Exception {
        try (FakeKernel k = FakeKernel.start(overJimfs())) {
            k.writeFile("/u", bytes("still here"));
            try (FakeKernel.OpenFile f = k.open("/u", O_RDWR)) {
                k.unlink("/u");
                assertFalse(k.exists("/u"));
                f.write(10, bytes("!"));
                assertArrayEquals(bytes("still here!"), f.read(0, 100));
                assertEquals(11, f.stat().size());
            }
        }
    }

    @Test
    void listingsKeepTheirOffsetsWhileTheDirectoryChanges() throws Exception {
        PathAdapter a = new PathAdapter(new NotesFs());
        try (FakeKernel k = FakeKernel.start(a)) {
            k.mkdir("/d", 0755);
            Set<String> all = new HashSet<>();
            for (int i = 0; i < 100; i++) {
                k.writeFile("/d/file-" + i, new byte[0]);
                all.add("file-" + i);
            }
            Request req = new Request(1, Opcode.READDIR, 1, 0, 0, 0, null);
            Entry dir = a.lookup(req, 1, "d");
            long fh = a.opendir(req, dir.nodeId(), 0).fh();
            List<String> seen = new ArrayList<>();
            long offset = 0;
            int round = 0;
            while (true) {
                DirectoryListing l = new DirectoryListing(512, false);
                a.readdir(req, dir.nodeId(), fh, offset, l);
                if (l.size() == 0) {
                    break;
                }
                offset = names(l.encoded(), seen);
                // between the chunks, names come and go
                k.unlink("/d/file-" + (99 - round));
                k.writeFile("/d/new-" + round, new byte[0]);
                round++;
            }
            a.releasedir(req, dir.nodeId(), fh, 0);
            a.forget(dir.nodeId(), 1);
            assertEquals(".", seen.get(0));
            assertEquals("..", seen.get(1));
            List<String> files = seen.subList(2, seen.size());
            assertEquals(new HashSet<>(files).size(), files.size(), "no name twice: " + files);
            assertEquals(all, new HashSet<>(files), "the listing is the directory as it was when it started");
            assertTrue(round > 3, "the listing took several chunks");
        }
    }

    @Test
    void dotAndDotDotCarryTheInodesOfTheDirectoryAndItsParent() throws Exception {
        try (FakeKernel k = FakeKernel.start(new PathAdapter(new NotesFs()))) {
            k.mkdir("/d", 0755);
            List<FakeKernel.DirEntry> l = k.readdir("/d", false, 4096);
            assertEquals(".", l.get(0).name());
            assertEquals(k.stat("/d").ino(), l.get(0).ino());
            assertEquals("..", l.get(1).name());
            assertEquals(k.stat("/").ino(), l.get(1).ino());
        }
    }

    @Test
    void aFileWithoutAnInoGetsItsNodeId() throws Exception {
        PathAdapter a = new PathAdapter(new dev.jfuser.path.PathFilesystem() {
            @Override
            public dev.jfuser.FileAttr getattr(Request req, String path, OptionalLong fh) {
                return dev.jfuser.FileAttr.builder(0, path.equals("/") ? dev.jfuser.FileType.DIRECTORY
                        : dev.jfuser.FileType.REGULAR_FILE).perm(0644).build();
            }
        });
        try (FakeKernel k = FakeKernel.start(a)) {
            try (FakeKernel.OpenFile f = k.open("/x", 0)) {
                assertEquals(f.nodeId(), f.stat().ino());
            }
        }
    }

    @Test
    void renameStormsWhileOthersReadBelowKeepPathsAndTheTableRight() throws Exception {
        PathAdapter a = new PathAdapter(new NotesFs());
        try (FakeKernel k = FakeKernel.start(a)) {
            int empty = a.nodeCount();
            k.mkdir("/a", 0755);
            k.mkdir("/a/sub", 0755);
            for (int i = 0; i < 8; i++) {
                k.writeFile("/a/sub/f" + i, bytes("content of f" + i));
            }
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int me = t;
                readers.add(Thread.ofPlatform().start(() -> {
                    int i = me;
                    while (!stop.get()) {
                        String name = "f" + (i++ % 8);
                        for (String top : new String[] {"/a", "/b"}) {
                            FakeKernel.OpenFile f;
                            try {
                                f = k.open(top + "/sub/" + name, 0);
                            } catch (FuseException e) {
                                if (e.errno() != dev.jfuser.Errno.ENOENT) {
                                    failures.add(e); // ENOENT: the directory was renamed away meanwhile
                                }
                                continue;
                            }
                            try (f) {
                                // whatever the directory is called meanwhile, the open file reads its own bytes
                                assertArrayEquals(bytes("content of " + name), f.read(0, 100));
                                reads.incrementAndGet();
                            } catch (Throwable e) {
                                failures.add(e);
                            }
                        }
                    }
                }));
            }
            for (int r = 0; r < 300; r++) {
                k.rename(r % 2 == 0 ? "/a" : "/b", r % 2 == 0 ? "/b" : "/a");
            }
            stop.set(true);
            for (Thread t : readers) {
                t.join();
            }
            assertEquals(List.of(), failures);
            assertTrue(reads.get() > 0, "some reads got through");
            assertArrayEquals(bytes("content of f3"), k.readFile("/a/sub/f3"));
            k.sync();
            assertEquals(empty, a.nodeCount(), "every node the storm looked up was forgotten");
        }
    }

    /** The names of a READDIR listing, in order; answers the offset after the last. */
    private static long names(ByteBuffer b, List<String> out) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        long next = 0;
        while (b.remaining() > 0) {
            int p = b.position();
            next = b.getLong(p + 8);
            int len = b.getInt(p + 16);
            byte[] name = new byte[len];
            b.get(p + 24, name);
            out.add(new String(name, StandardCharsets.UTF_8));
            b.position((p + 24 + len + 7) & ~7);
        }
        return next;
    }
}
