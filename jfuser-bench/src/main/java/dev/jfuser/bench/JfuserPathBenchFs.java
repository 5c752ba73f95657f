package dev.jfuser.bench;

import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.path.DirEntry;
import dev.jfuser.path.PathFilesystem;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The benchmark tree on jfuser's path API ({@link dev.jfuser.path.PathAdapter}): the same answers as
 * {@link JfuserBenchFs}, found by path, so a comparison of the two measures what the adapter's node table and
 * path building cost.
 */
public final class JfuserPathBenchFs implements PathFilesystem {
    private final JfuserBenchFs fs;

    /**
     * @param tree the benchmark tree
     */
    public JfuserPathBenchFs(Tree tree) {
        this(tree, false);
    }

    /**
     * @param tree the benchmark tree
     * @param cache whether files are opened with KEEP_CACHE (else DIRECT_IO), as {@link JfuserBenchFs}; the entry
     *     and attribute timeouts are the {@link dev.jfuser.path.PathAdapter}'s
     */
    public JfuserPathBenchFs(Tree tree, boolean cache) {
        this.fs = new JfuserBenchFs(tree, cache, false);
    }

    @Override
    public OpenReply open(Request req, String path, int flags) throws FuseException {
        if ((flags & 3) != 0 && node(path) < Tree.SCRATCH_BASE) {
            throw JfuserBenchFs.EACCES;
        }
        return OpenReply.of(0, fs.openFlags);
    }

    @Override
    public OpenReply create(Request req, String path, int mode, int flags) throws FuseException {
        if (!path.startsWith("/scratch/")) {
            throw JfuserBenchFs.EACCES;
        }
        fs.tree.create(path.substring("/scratch/".length()));
        return OpenReply.of(0, fs.openFlags);
    }

    @Override
    public void unlink(Request req, String path) throws FuseException {
        if (!path.startsWith("/scratch/") || !fs.tree.unlink(path.substring("/scratch/".length()))) {
            throw JfuserBenchFs.ENOENT;
        }
    }

    private long node(String path) throws FuseException {
        long node = fs.tree.resolve(path);
        if (node < 0) {
            throw JfuserBenchFs.ENOENT;
        }
        return node;
    }

    @Override
    public FileAttr getattr(Request req, String path, OptionalLong fh) throws FuseException {
        return fs.attr(node(path));
    }

    @Override
    public int write(Request req, String path, long fh, long offset, ByteBuffer data) throws FuseException {
        int n = data.remaining();
        if (!fs.tree.wrote(node(path), offset, n)) {
            throw JfuserBenchFs.EACCES;
        }
        return n;
    }

    @Override
    public List<DirEntry> readdir(Request req, String path, long fh) throws FuseException {
        long dir = node(path);
        String[] names = fs.tree.list(dir);
        List<DirEntry> list = new ArrayList<>(names.length);
        for (String name : names) {
            long node = fs.tree.child(dir, name);
            if (node >= 0) {
                list.add(new DirEntry(name, Tree.isDir(node) ? FileType.DIRECTORY : FileType.REGULAR_FILE, node));
            }
        }
        return list;
    }

    @Override
    public ReadData read(Request req, String path, long fh, long offset, int size) throws FuseException {
        long node = node(path);
        int n = fs.tree.readLength(node, offset, size);
        return n == 0 ? ReadData.empty() : ReadData.of(Tree.slice(offset, n));
    }
}
