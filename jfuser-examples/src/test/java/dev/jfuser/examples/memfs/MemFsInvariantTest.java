package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Entry;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.protocol.Opcode;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random namespace operations straight against MemFs (no kernel), checking the tree's invariants after each:
 * every name leads to a live node, directories link back to their parent and count 2 + subdirectories, files
 * count their names, and nothing unreachable is kept once the "kernel" has forgotten it.
 */
class MemFsInvariantTest {
    private static final Request ROOT = new Request(1, Opcode.LOOKUP, 1, 0, 0, 0, null);
    private static final String[] NAMES = {"a", "b", "c", "d", "e"};

    private final MemFs fs;

    MemFsInvariantTest() throws Exception {
        fs = new MemFs(MemFs.Options.defaults().withSizeLimit(64L << 20));
    }

    /** Resolves a path of names to {parent id, name}; the lookups are forgotten again at once, as a kernel would. */
    private long[] parentOf(String[] path) throws Exception {
        long dir = MemFs.ROOT;
        for (int i = 0; i < path.length - 1; i++) {
            Entry e = fs.lookup(ROOT, dir, path[i]);
            if (e.nodeId() == 0) {
                return null;
            }
            fs.forget(e.nodeId(), 1);
            dir = e.nodeId();
        }
        return new long[] {dir};
    }

    private String[] path(Random r) {
        int depth = 1 + r.nextInt(3);
        String[] p = new String[depth];
        for (int i = 0; i < depth; i++) {
            p[i] = NAMES[r.nextInt(NAMES.length)];
        }
        return p;
    }

    private static String last(String[] p) {
        return p[p.length - 1];
    }

    private void forgetEntry(Entry e) {
        if (e.nodeId() != 0) {
            fs.forget(e.nodeId(), 1);
        }
    }

    @Test
    void namespaceInvariantsHoldUnderRandomOperations() throws Exception {
        Random r = new Random(99);
        for (int i = 0; i < 30_000; i++) {
            String[] p = path(r);
            String[] q = path(r);
            try {
                long[] pp = parentOf(p);
                if (pp == null) {
                    continue;
                }
                switch (r.nextInt(8)) {
                    case 0 -> forgetEntry(fs.mkdir(ROOT, pp[0], last(p), 0755, 0));
                    case 1 -> fs.rmdir(ROOT, pp[0], last(p));
                    case 2 -> {
                        var c = fs.create(ROOT, pp[0], last(p), 0100644, 0, 1);
                        fs.release(ROOT, c.entry().nodeId(), c.open().fh(), 1, 0, 0);
                        forgetEntry(c.entry());
                    }
                    case 3 -> fs.unlink(ROOT, pp[0], last(p));
                    case 4, 5 -> {
                        long[] qq = parentOf(q);
                        if (qq != null) {
                            int flags = r.nextInt(4) == 0 ? 1 + r.nextInt(2) : 0;
                            fs.rename(ROOT, pp[0], last(p), qq[0], last(q), flags);
                        }
                    }
                    case 6 -> {
                        long[] qq = parentOf(q);
                        Entry src = fs.lookup(ROOT, pp[0], last(p));
                        if (qq != null && src.nodeId() != 0) {
                            try {
                                forgetEntry(fs.link(ROOT, src.nodeId(), qq[0], last(q)));
                            } finally {
                                forgetEntry(src);
                            }
                        } else {
                            forgetEntry(src);
                        }
                    }
                    default -> forgetEntry(fs.symlink(ROOT, pp[0], last(p), "target"));
                }
            } catch (FuseException expected) {
                // ENOENT, EEXIST, ENOTEMPTY...: the invariants must hold after failures too
            }
            check(i);
        }
    }

    private void check(int step) {
        fs.locked(() -> {
            Map<Node, Integer> names = new IdentityHashMap<>();
            Map<Long, Node> reachable = new HashMap<>();
            walk(fs.nodes.get(MemFs.ROOT), names, reachable, step);
            for (Map.Entry<Node, Integer> e : names.entrySet()) {
                Node n = e.getKey();
                if (!n.isDir()) {
                    assertEquals(e.getValue(), n.nlink, "step " + step + ": links of node " + n.ino);
                }
            }
            // every node kept is reachable: the test forgets every lookup and closes every file
            assertEquals(reachable.keySet(), fs.nodes.keySet(), "step " + step + ": unreachable nodes kept");
            return null;
        });
    }

    private static void walk(Node dir, Map<Node, Integer> names, Map<Long, Node> reachable, int step) {
        reachable.put(dir.ino, dir);
        int subdirs = 0;
        for (Node.DirEntry e : dir.byCookie.values()) {
            Node n = e.node;
            assertSame(e, dir.byName.get(e.name), "step " + step + ": name index of " + e.name);
            assertTrue(n.nlink > 0, "step " + step + ": linked node " + n.ino + " has nlink " + n.nlink);
            if (n.isDir()) {
                subdirs++;
                assertSame(dir, n.parent, "step " + step + ": parent of directory " + n.ino);
                walk(n, names, reachable, step);
            } else {
                names.merge(n, 1, Integer::sum);
                reachable.put(n.ino, n);
            }
        }
        assertEquals(dir.byCookie.size(), dir.byName.size());
        assertEquals(2 + subdirs, dir.nlink, "step " + step + ": nlink of directory " + dir.ino);
    }
}
