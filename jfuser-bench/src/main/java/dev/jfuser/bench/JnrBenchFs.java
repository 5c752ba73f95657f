package dev.jfuser.bench;

import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The benchmark tree on jnr-fuse (libfuse 2's high-level, path-based API through JNR). Cache behaviour comes from
 * libfuse options ({@code entry_timeout}, {@code attr_timeout}, {@code direct_io}/{@code kernel_cache}) given at
 * mount time, since this API has no per-reply timeouts.
 */
public final class JnrBenchFs extends FuseStubFS {
    private final Tree tree;
    private final Pointer pattern;

    public JnrBenchFs(Tree tree) {
        this.tree = tree;
        this.pattern = Pointer.wrap(Runtime.getSystemRuntime(), Tree.PATTERN.address(), Tree.PATTERN.byteSize());
    }

    private void fillStat(long node, FileStat st) {
        long size = tree.size(node);
        st.st_mode.set(Tree.mode(node));
        st.st_nlink.set(Tree.nlink(node));
        st.st_size.set(size);
        st.st_blocks.set((size + 511) / 512);
        st.st_blksize.set(4096);
        st.st_uid.set(0);
        st.st_gid.set(0);
        st.st_atim.tv_sec.set(Tree.TIME);
        st.st_mtim.tv_sec.set(Tree.TIME);
        st.st_ctim.tv_sec.set(Tree.TIME);
    }

    @Override
    public int getattr(String path, FileStat stat) {
        long node = tree.resolve(path);
        if (node < 0) {
            return -ErrorCodes.ENOENT();
        }
        fillStat(node, stat);
        return 0;
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        long node = tree.resolve(path);
        if (node < 0) {
            return -ErrorCodes.ENOENT();
        }
        if ((fi.flags.get() & 3) != 0 && node < Tree.SCRATCH_BASE) {
            return -ErrorCodes.EACCES();
        }
        fi.fh.set(node);
        return 0;
    }

    @Override
    public int create(String path, long mode, FuseFileInfo fi) {
        if (!path.startsWith("/scratch/")) {
            return -ErrorCodes.EACCES();
        }
        fi.fh.set(tree.create(path.substring("/scratch/".length())));
        return 0;
    }

    @Override
    public int unlink(String path) {
        return path.startsWith("/scratch/") && tree.unlink(path.substring("/scratch/".length())) ? 0
                : -ErrorCodes.ENOENT();
    }

    @Override
    public int truncate(String path, long size) {
        long node = tree.resolve(path);
        return node >= 0 && tree.truncate(node, size) ? 0 : -ErrorCodes.EACCES();
    }

    @Override
    public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        long node = fi.fh.get();
        int n = tree.readLength(node, offset, (int) size);
        if (n > 0) {
            // the one copy this API needs: into libfuse's buffer (a native memcpy)
            buf.transferFrom(0, pattern, offset % Tree.PERIOD, n);
        }
        return n;
    }

    @Override
    public int write(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        return tree.wrote(fi.fh.get(), offset, size) ? (int) size : -ErrorCodes.EACCES();
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filter, long offset, FuseFileInfo fi) {
        long dir = tree.resolve(path);
        if (dir < 0 || !Tree.isDir(dir)) {
            return -ErrorCodes.ENOENT();
        }
        String[] names = tree.list(dir);
        // offset-aware filling: entry i carries cookie i + 1, as in every implementation
        for (long i = offset; i < names.length + 2; i++) {
            String name = i == 0 ? "." : i == 1 ? ".." : names[(int) i - 2];
            if (filter.apply(buf, name, null, i + 1) != 0) {
                break;
            }
        }
        return 0;
    }
}
