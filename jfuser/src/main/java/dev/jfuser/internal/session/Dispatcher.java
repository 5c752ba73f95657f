package dev.jfuser.internal.session;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.DirectoryListing;
import dev.jfuser.Errno;
import dev.jfuser.FileLock;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Operation;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one dispatch path: turns a decoded operation into a call on an {@link AsyncFilesystem} and its completed
 * stage into the reply. The blocking {@code Filesystem} reaches this path through {@link BlockingAdapter}.
 */
final class Dispatcher {
    private final AsyncFilesystem fs;
    private final Session session;

    Dispatcher(AsyncFilesystem fs, Session session) {
        this.fs = fs;
        this.session = session;
    }

    /** Starts the operation; the reply is sent whenever its stage completes. Never throws. */
    void dispatch(Operation op, InFlight r) {
        Request q = r.request;
        long node = q.nodeId();
        switch (op) {
            case Operation.Lookup o -> on(r, () -> fs.lookup(q, node, o.name()), r::replyEntry);
            case Operation.Getattr o -> on(r, () -> fs.getattr(q, node, fh(o.flags(), o.fh())), r::replyAttr);
            case Operation.Setattr o -> on(r, () -> fs.setattr(q, node, setAttr(o)), r::replyAttr);
            case Operation.Readlink o -> on(r, () -> fs.readlink(q, node), r::replyReadlink);
            case Operation.Symlink o -> on(r, () -> fs.symlink(q, node, o.name(), o.target()), r::replyEntry);
            case Operation.Mknod o -> on(r, () -> fs.mknod(q, node, o.name(), o.mode(), o.umask(), o.rdev()),
                    r::replyEntry);
            case Operation.Mkdir o -> on(r, () -> fs.mkdir(q, node, o.name(), o.mode(), o.umask()), r::replyEntry);
            case Operation.Unlink o -> onVoid(r, () -> fs.unlink(q, node, o.name()));
            case Operation.Rmdir o -> onVoid(r, () -> fs.rmdir(q, node, o.name()));
            case Operation.Rename o -> onVoid(r, () -> fs.rename(q, node, o.oldName(), o.newDir(), o.newName(),
                    o.flags()));
            case Operation.Link o -> on(r, () -> fs.link(q, o.oldNodeId(), node, o.newName()), r::replyEntry);
            case Operation.Open o -> on(r, () -> fs.open(q, node, o.flags()), r::replyOpen);
            case Operation.Read o -> on(r, () -> fs.read(q, node, o.fh(), o.offset(), o.size(), o.flags(),
                    (o.readFlags() & Abi.READ_LOCKOWNER) != 0 ? o.lockOwner() : 0), r::replyData);
            case Operation.Write o -> on(r, () -> fs.write(q, node, o.fh(), o.offset(), o.data(), o.writeFlags(),
                    o.flags(), (o.writeFlags() & Abi.WRITE_LOCKOWNER) != 0 ? o.lockOwner() : 0), r::replyWrite);
            case Operation.Statfs o -> on(r, () -> fs.statfs(q, node), r::replyStatfs);
            case Operation.Release o -> onVoid(r, () -> fs.release(q, node, o.fh(), o.flags(), o.releaseFlags(),
                    o.lockOwner()));
            case Operation.Fsync o -> onVoid(r, () -> fs.fsync(q, node, o.fh(),
                    (o.fsyncFlags() & Abi.FSYNC_FDATASYNC) != 0));
            case Operation.Setxattr o -> onVoid(r, () -> fs.setxattr(q, node, o.name(), o.value(), o.flags(),
                    o.setxattrFlags()));
            case Operation.Getxattr o -> on(r, () -> fs.getxattr(q, node, o.name()),
                    v -> r.replyXattr(v, o.size()));
            case Operation.Listxattr o -> on(r, () -> fs.listxattr(q, node), v -> r.replyXattrList(v, o.size()));
            case Operation.Removexattr o -> onVoid(r, () -> fs.removexattr(q, node, o.name()));
            case Operation.Flush o -> onVoid(r, () -> fs.flush(q, node, o.fh(), o.lockOwner()));
            case Operation.Opendir o -> on(r, () -> fs.opendir(q, node, o.flags()), r::replyOpen);
            case Operation.Readdir o -> {
                DirectoryListing listing = new DirectoryListing(o.size(), o.plus());
                if (o.plus()) {
                    onVoid(r, () -> fs.readdirplus(q, node, o.fh(), o.offset(), listing), () -> r.replyDirectory(listing));
                } else {
                    onVoid(r, () -> fs.readdir(q, node, o.fh(), o.offset(), listing), () -> r.replyDirectory(listing));
                }
            }
            case Operation.Releasedir o -> onVoid(r, () -> fs.releasedir(q, node, o.fh(), o.flags()));
            case Operation.Fsyncdir o -> onVoid(r, () -> fs.fsyncdir(q, node, o.fh(),
                    (o.fsyncFlags() & Abi.FSYNC_FDATASYNC) != 0));
            case Operation.Lk o -> {
                FileLock lock = new FileLock(o.start(), o.end(), o.type(), o.pid());
                boolean flock = (o.lkFlags() & Abi.LK_FLOCK) != 0;
                if (q.opcode() == dev.jfuser.protocol.Opcode.GETLK) {
                    on(r, () -> fs.getlk(q, node, o.fh(), o.owner(), lock), r::replyLock);
                } else {
                    onVoid(r, () -> fs.setlk(q, node, o.fh(), o.owner(), lock, o.sleep(), flock));
                }
            }
            case Operation.Access o -> onVoid(r, () -> fs.access(q, node, o.mask()));
            case Operation.Create o -> on(r, () -> fs.create(q, node, o.name(), o.mode(), o.umask(), o.flags()),
                    r::replyCreate);
            case Operation.Tmpfile o -> on(r, () -> fs.tmpfile(q, node, o.mode(), o.umask(), o.flags()),
                    r::replyCreate);
            case Operation.Bmap o -> on(r, () -> fs.bmap(q, node, o.blocksize(), o.block()), r::replyU64);
            case Operation.Ioctl o -> on(r, () -> fs.ioctl(q, node, o.fh(), o.flags(), o.cmd(), o.arg(), o.in(),
                    o.outSize()), v -> r.replyIoctl(v, o.outSize()));
            case Operation.Poll o -> on(r, () -> fs.poll(q, node, o.fh(), o.kh(), o.flags(), o.events()),
                    r::replyPoll);
            case Operation.Fallocate o -> onVoid(r, () -> fs.fallocate(q, node, o.fh(), o.offset(), o.length(),
                    o.mode()));
            case Operation.Lseek o -> on(r, () -> fs.lseek(q, node, o.fh(), o.offset(), o.whence()), r::replyU64);
            case Operation.CopyFileRange o -> on(r, () -> fs.copyFileRange(q, node, o.fhIn(), o.offIn(),
                    o.nodeIdOut(), o.fhOut(), o.offOut(), o.len(), o.flags()), n -> {
                        if (o.wide()) {
                            r.replyU64(n);
                        } else {
                            // COPY_FILE_RANGE answers with fuse_write_out: a 32-bit count
                            r.replyWrite((int) Math.min(n, 0xffff_f000L));
                        }
                    });
            case Operation.SetupMapping o -> onVoid(r, () -> fs.setupMapping(q, node, o.fh(), o.foffset(), o.len(),
                    o.flags(), o.moffset()));
            case Operation.RemoveMapping o -> onVoid(r, () -> fs.removeMapping(q, o.moffsets(), o.lens()));
            case Operation.Syncfs o -> onVoid(r, () -> fs.syncfs(q, node));
            case Operation.Statx o -> on(r, () -> fs.statx(q, node, fh(o.getattrFlags(), o.fh()), o.sxFlags(),
                    o.sxMask()), r::replyStatx);
            // handled by the session before dispatch; answered here only if one slips through
            case Operation.Forget o -> r.error(Errno.ENOSYS);
            case Operation.BatchForget o -> r.error(Errno.ENOSYS);
            case Operation.Init o -> r.error(Errno.EIO);
            case Operation.Destroy o -> r.replyEmpty();
            case Operation.Interrupt o -> r.error(Errno.ENOSYS);
            case Operation.NotifyReply o -> r.error(Errno.ENOSYS);
            case Operation.Unknown o -> r.error(Errno.ENOSYS);
        }
    }

    private static OptionalLong fh(int flags, long fh) {
        return (flags & Abi.GETATTR_FH) != 0 ? OptionalLong.of(fh) : OptionalLong.empty();
    }

    static SetAttr setAttr(Operation.Setattr o) {
        int v = o.valid();
        Instant now = (v & (Abi.FATTR_ATIME_NOW | Abi.FATTR_MTIME_NOW)) != 0 ? Instant.now() : null;
        Instant atime = null;
        if ((v & Abi.FATTR_ATIME) != 0) {
            atime = (v & Abi.FATTR_ATIME_NOW) != 0 ? now : Instant.ofEpochSecond(o.atime(), o.atimeNsec());
        }
        Instant mtime = null;
        if ((v & Abi.FATTR_MTIME) != 0) {
            mtime = (v & Abi.FATTR_MTIME_NOW) != 0 ? now : Instant.ofEpochSecond(o.mtime(), o.mtimeNsec());
        }
        return new SetAttr(
                (v & Abi.FATTR_MODE) != 0 ? o.mode() : null,
                (v & Abi.FATTR_UID) != 0 ? o.uid() : null,
                (v & Abi.FATTR_GID) != 0 ? o.gid() : null,
                (v & Abi.FATTR_SIZE) != 0 ? o.size() : null,
                atime, (v & Abi.FATTR_ATIME_NOW) != 0,
                mtime, (v & Abi.FATTR_MTIME_NOW) != 0,
                (v & Abi.FATTR_CTIME) != 0 ? Instant.ofEpochSecond(o.ctime(), o.ctimeNsec()) : null,
                (v & Abi.FATTR_FH) != 0 ? o.fh() : null,
                (v & Abi.FATTR_LOCKOWNER) != 0 ? o.lockOwner() : null,
                (v & Abi.FATTR_KILL_SUIDGID) != 0);
    }

    private <T> void on(InFlight r, Supplier<CompletionStage<T>> call, Consumer<T> reply) {
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (Throwable t) {
            fail(r, t);
            return;
        }
        if (stage == null) {
            fail(r, new NullPointerException("the filesystem returned a null stage for " + r.opcode));
            return;
        }
        r.started(stage);
        stage.whenComplete((value, failure) -> {
            if (failure != null) {
                fail(r, failure);
            } else if (value == null) {
                fail(r, new NullPointerException("the filesystem answered " + r.opcode + " with null"));
            } else if (!r.isAnswered()) {
                try {
                    reply.accept(value);
                } catch (IllegalStateException alreadyAnswered) {
                    session.log(System.Logger.Level.ERROR, alreadyAnswered.getMessage(), alreadyAnswered);
                }
            }
        });
    }

    private void onVoid(InFlight r, Supplier<CompletionStage<Void>> call) {
        onVoid(r, call, r::replyEmpty);
    }

    private void onVoid(InFlight r, Supplier<CompletionStage<Void>> call, Runnable success) {
        CompletionStage<Void> stage;
        try {
            stage = call.get();
        } catch (Throwable t) {
            fail(r, t);
            return;
        }
        if (stage == null) {
            fail(r, new NullPointerException("the filesystem returned a null stage for " + r.opcode));
            return;
        }
        r.started(stage);
        stage.whenComplete((value, failure) -> {
            if (failure != null) {
                fail(r, failure);
            } else if (!r.isAnswered()) {
                try {
                    success.run();
                } catch (IllegalStateException raced) {
                    // answered by the session's shutdown meanwhile
                }
            }
        });
    }

    private void fail(InFlight r, Throwable failure) {
        Throwable t = ErrnoMapper.unwrap(failure);
        Errno errno = ErrnoMapper.expected(t);
        if (errno == null) {
            session.log(System.Logger.Level.ERROR, r.opcode + " request " + r.unique + " on node "
                    + r.request.nodeId() + " failed; answering EIO", t);
            errno = Errno.EIO;
        }
        if (r.isAnswered()) {
            return;
        }
        try {
            r.error(errno);
        } catch (IllegalStateException raced) {
            // answered concurrently (e.g. the session failing it at shutdown)
        }
    }
}
