package dev.jfuser.bench;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Consumer;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;

/**
 * The benchmark tree on Cryptomator's jfuse (libfuse 3's high-level, path-based API through FFM). Cache
 * behaviour comes from libfuse options given at mount time, as for jnr-fuse.
 */
public final class JfuseBenchFs implements FuseOperations {
    /** jfuse always passes a stat to libfuse's filler; these set just the type, for d_type. */
    private static final Consumer<Stat> DIR_TYPE = st -> st.setMode(Stat.S_IFDIR | 0755);
    private static final Consumer<Stat> FILE_TYPE = st -> st.setMode(Stat.S_IFREG | 0644);

    private static final java.time.Instant T = java.time.Instant.ofEpochSecond(Tree.TIME);

    private final Tree tree;
    private final Errno errno;

    private final boolean cache;

    /** @param cache false: open every file with direct I/O, like the other implementations without caching */
    public JfuseBenchFs(Tree tree, Errno errno, boolean cache) {
        this.tree = tree;
        this.errno = errno;
        this.cache = cache;
    }

    @Override
    public Errno errno() {
        return errno;
    }

    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(Operation.INIT, Operation.GET_ATTR, Operation.OPEN, Operation.READ, Operation.WRITE,
                Operation.RELEASE, Operation.OPEN_DIR, Operation.READ_DIR, Operation.RELEASE_DIR, Operation.CREATE,
                Operation.UNLINK, Operation.TRUNCATE);
    }

    @Override
    public void init(FuseConnInfo conn, FuseConfig cfg) {
        // as much per request as the kernel allows, like the other implementations
        conn.setMaxWrite(1 << 20);
        struct(cfg, !cache);
    }

    /**
     * libfuse 3 dropped the {@code -o direct_io} and {@code -o hard_remove} options: a filesystem sets them in
     * {@code fuse_config} in init. jfuse's {@link FuseConfig} is read-only, so this sets the fields through jfuse's
     * own generated accessors.
     */
    private static void struct(FuseConfig cfg, boolean directIo) {
        try {
            var accessor = cfg.getClass().getDeclaredMethod("segment");
            accessor.setAccessible(true);
            MemorySegment struct = (MemorySegment) accessor.invoke(cfg);
            org.cryptomator.jfuse.linux.amd64.extr.fuse3.fuse_config.hard_remove(struct, 1);
            if (directIo) {
                org.cryptomator.jfuse.linux.amd64.extr.fuse3.fuse_config.direct_io(struct, 1);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot set fuse_config.direct_io through jfuse " + e, e);
        }
    }

    @Override
    public int getattr(String path, Stat stat, FileInfo fi) {
        long node = tree.resolve(path);
        if (node < 0) {
            return -errno.enoent();
        }
        long size = tree.size(node);
        stat.setMode(Tree.mode(node));
        stat.setNLink((short) Tree.nlink(node));
        stat.setSize(size);
        stat.setUid(0);
        stat.setGid(0);
        stat.aTime().set(T);
        stat.mTime().set(T);
        stat.cTime().set(T);
        return 0;
    }

    @Override
    public int open(String path, FileInfo fi) {
        long node = tree.resolve(path);
        if (node < 0) {
            return -errno.enoent();
        }
        if ((fi.getFlags() & 3) != 0 && node < Tree.SCRATCH_BASE) {
            return -errno.eacces();
        }
        fi.setFh(node);
        return 0;
    }

    @Override
    public int release(String path, FileInfo fi) {
        return 0;
    }

    @Override
    public int opendir(String path, FileInfo fi) {
        return 0;
    }

    @Override
    public int releasedir(String path, FileInfo fi) {
        return 0;
    }

    @Override
    public int create(String path, int mode, FileInfo fi) {
        if (!path.startsWith("/scratch/")) {
            return -errno.eacces();
        }
        fi.setFh(tree.create(path.substring("/scratch/".length())));
        return 0;
    }

    @Override
    public int unlink(String path) {
        return path.startsWith("/scratch/") && tree.unlink(path.substring("/scratch/".length())) ? 0
                : -errno.enoent();
    }

    @Override
    public int truncate(String path, long size, FileInfo fi) {
        long node = tree.resolve(path);
        return node >= 0 && tree.truncate(node, size) ? 0 : -errno.eacces();
    }

    @Override
    public int read(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        long node = fi.getFh();
        int n = tree.readLength(node, offset, (int) size);
        if (n > 0) {
            // the one copy this API needs: into libfuse's buffer
            MemorySegment.ofBuffer(buf).copyFrom(Tree.slice(offset, n));
        }
        return n;
    }

    @Override
    public int write(String path, ByteBuffer buf, long size, long offset, FileInfo fi) {
        return tree.wrote(fi.getFh(), offset, size) ? (int) size : -errno.eacces();
    }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        long dir = tree.resolve(path);
        if (dir < 0 || !Tree.isDir(dir)) {
            return -errno.enoent();
        }
        String[] names = tree.list(dir);
        for (long i = offset; i < names.length + 2; i++) {
            String name = i == 0 ? "." : i == 1 ? ".." : names[(int) i - 2];
            long node = i < 2 ? dir : tree.child(dir, name);
            if (filler.fill(name, Tree.isDir(node) ? DIR_TYPE : FILE_TYPE, i + 1, 0) != 0) {
                break;
            }
        }
        return 0;
    }
}
