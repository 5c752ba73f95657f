package dev.jfuser.bench;

import dev.jfuser.AttrReply;
import dev.jfuser.Capability;
import dev.jfuser.CreateReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.OpenReply;
import dev.jfuser.ReadData;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Opcode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;

/**
 * The benchmark tree on jfuser's blocking API. {@link JfuserAsyncBenchFs} answers the same way through the async
 * API. Replies are built per request, as a typical filesystem would; failures are preallocated exceptions (no
 * stack trace, as {@link FuseException} never fills one).
 */
public final class JfuserBenchFs implements Filesystem {
    static final FuseException ENOENT = new FuseException(Errno.ENOENT);
    static final FuseException EACCES = new FuseException(Errno.EACCES);
    static final FuseException EINVAL = new FuseException(Errno.EINVAL);
    private static final Instant T = Instant.ofEpochSecond(Tree.TIME);
    /** Every operation this filesystem implements: all answer from memory, so all may run inline. */
    public static final Opcode[] OPS = {Opcode.LOOKUP, Opcode.GETATTR, Opcode.SETATTR, Opcode.OPEN, Opcode.CREATE,
        Opcode.UNLINK, Opcode.READ, Opcode.WRITE, Opcode.FLUSH, Opcode.RELEASE, Opcode.OPENDIR, Opcode.READDIR,
        Opcode.READDIRPLUS, Opcode.RELEASEDIR};

    final Tree tree;
    final Duration timeout;
    final int openFlags;
    final boolean readdirplus;

    /**
     * @param cache whether the kernel may cache: entries and attributes for 60 s and file pages (KEEP_CACHE);
     *     otherwise timeouts are 0 and files are opened with DIRECT_IO
     * @param readdirplus whether to ask for READDIRPLUS
     */
    public JfuserBenchFs(Tree tree, boolean cache, boolean readdirplus) {
        this.tree = tree;
        this.timeout = cache ? Duration.ofSeconds(60) : Duration.ZERO;
        this.openFlags = cache ? OpenReply.KEEP_CACHE : OpenReply.DIRECT_IO;
        this.readdirplus = readdirplus;
    }

    FileAttr attr(long node) {
        return new FileAttr(node, tree.size(node), (tree.size(node) + 511) / 512, T, T, T,
                Tree.isDir(node) ? FileType.DIRECTORY : FileType.REGULAR_FILE, Tree.mode(node) & 07777,
                Tree.nlink(node), 0, 0, 0, 4096, 0);
    }

    Entry entry(long node) {
        return new Entry(node, 0, attr(node), timeout, timeout);
    }

    @Override
    public void init(KernelConfig config) {
        config.maxWrite(KernelConfig.MAX_MAX_WRITE);
        // readdirplus is implemented, which turns READDIRPLUS and READDIRPLUS_AUTO on: the benchmark chooses.
        config.disable(Capability.READDIRPLUS_AUTO);
        if (readdirplus) {
            config.enableIfSupported(Capability.READDIRPLUS);
        } else {
            config.disable(Capability.READDIRPLUS);
        }
    }

    @Override
    public Entry lookup(Request req, long parent, String name) throws FuseException {
        long node = tree.lookup(parent, name);
        if (node < 0) {
            throw ENOENT;
        }
        return entry(node);
    }

    @Override
    public AttrReply getattr(Request req, long nodeId, OptionalLong fh) throws FuseException {
        if (!tree.exists(nodeId)) {
            throw ENOENT;
        }
        return new AttrReply(attr(nodeId), timeout);
    }

    @Override
    public AttrReply setattr(Request req, long nodeId, SetAttr changes) throws FuseException {
        if (changes.size().isPresent() && !tree.truncate(nodeId, changes.size().getAsLong())) {
            throw EACCES;
        }
        return getattr(req, nodeId, OptionalLong.empty());
    }

    @Override
    public OpenReply open(Request req, long nodeId, int flags) throws FuseException {
        if ((flags & 3) != 0 && nodeId < Tree.SCRATCH_BASE) {
            throw EACCES;
        }
        return OpenReply.of(0, openFlags);
    }

    @Override
    public CreateReply create(Request req, long parent, String name, int mode, int umask, int flags)
            throws FuseException {
        if (parent != Tree.SCRATCH) {
            throw EACCES;
        }
        return new CreateReply(entry(tree.create(name)), OpenReply.of(0, openFlags));
    }

    @Override
    public void unlink(Request req, long parent, String name) throws FuseException {
        if (parent != Tree.SCRATCH || !tree.unlink(name)) {
            throw ENOENT;
        }
    }

    @Override
    public ReadData read(Request req, long nodeId, long fh, long offset, int size, int flags, long lockOwner) {
        int n = tree.readLength(nodeId, offset, size);
        return n == 0 ? ReadData.empty() : ReadData.of(Tree.slice(offset, n));
    }

    @Override
    public int write(Request req, long nodeId, long fh, long offset, ByteBuffer data, int writeFlags, int flags,
                     long lockOwner) throws FuseException {
        int n = data.remaining();
        if (!tree.wrote(nodeId, offset, n)) {
            throw EACCES;
        }
        return n;
    }

    @Override
    public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws FuseException {
        fill(nodeId, offset, listing);
    }

    @Override
    public void readdirplus(Request req, long nodeId, long fh, long offset, DirectoryListing listing)
            throws FuseException {
        fill(nodeId, offset, listing);
    }

    /** Entries "." and ".." then the names; entry i has cookie i + 1. */
    void fill(long dir, long offset, DirectoryListing listing) throws FuseException {
        if (!Tree.isDir(dir)) {
            throw ENOENT;
        }
        String[] names = tree.list(dir);
        for (long i = offset; i < names.length + 2; i++) {
            boolean fitted;
            if (i < 2) {
                String name = i == 0 ? "." : "..";
                fitted = listing.addWithoutAttributes(name, dir, FileType.DIRECTORY, i + 1);
            } else {
                String name = names[(int) i - 2];
                long node = tree.child(dir, name);
                if (node < 0) {
                    continue; // a scratch file removed since the snapshot
                }
                fitted = listing.isPlus() ? listing.add(name, i + 1, entry(node))
                        : listing.add(name, node, Tree.isDir(node) ? FileType.DIRECTORY : FileType.REGULAR_FILE,
                                i + 1);
            }
            if (!fitted) {
                return;
            }
        }
    }
}
