package dev.jfuser.bench;

import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
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
        this.fs = new JfuserBenchFs(tree, false, false);
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
