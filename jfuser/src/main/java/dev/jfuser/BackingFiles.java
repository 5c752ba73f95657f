package dev.jfuser;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Kernel passthrough (FUSE 7.40, Linux 6.9+): the filesystem registers a regular file of another filesystem as a
 * <em>backing file</em> and answers OPEN or CREATE with its id ({@link BackingFile#openReply}); the kernel then
 * serves read, write, splice and mmap of that open file straight from the backing file, and those requests never
 * reach the filesystem. Metadata (lookup, getattr, setattr…), open, flush and release still do.
 *
 * <p>Get this object from {@link KernelConfig#backingFiles()} in {@code init} (keep it in a field) or from
 * {@link Mount#backingFiles()}. Requirements, each reported by name when missing (in {@link #unavailableReason()}
 * and in the {@link FuseException} that {@code open} throws):
 * <ul>
 *   <li>the kernel offers {@link Capability#PASSTHROUGH} and the filesystem enabled it in {@code init};
 *       {@link KernelConfig#maxStackDepth()} is at least 1 (the default once PASSTHROUGH is enabled) and
 *       {@link Capability#WRITEBACK_CACHE} is off (the kernel turns passthrough off with it, so jfuser refuses the
 *       combination at INIT);</li>
 *   <li>the daemon has CAP_SYS_ADMIN in the initial user namespace (in practice: runs as root); otherwise the
 *       kernel answers EPERM;</li>
 *   <li>the backing file is a regular file whose filesystem is stacked less deep than
 *       {@link KernelConfig#maxStackDepth()}: a file on ext4 or tmpfs needs depth 1, a file on another FUSE
 *       filesystem or on overlayfs needs 2 (ELOOP otherwise).</li>
 * </ul>
 *
 * <p><b>Fallback.</b> When kernel passthrough is not available, answer OPEN with an ordinary {@link OpenReply}
 * (without {@link OpenReply#PASSTHROUGH}) and serve {@code read} and {@code write} yourself: catch the
 * {@link FuseException} of {@code open} or test {@link #available()} once in {@code init}.
 *
 * <p><b>One backing file per inode.</b> While a node has files open through passthrough, every further passthrough
 * open of it must name the same backing file (the kernel answers EBUSY otherwise), and it cannot be opened with
 * the page cache at the same time (ETXTBSY). Keep one {@link BackingFile} per node, counted by its open files, and
 * close it at the last release. Open the backing file for reading and writing when the node may be written
 * through any of its opens: all of them share it.
 *
 * <p>Calls are safe from any thread. After the session ended they throw {@link FuseException} with ENOTCONN.
 */
public interface BackingFiles {

    /**
     * Whether kernel passthrough was negotiated for this session (false before INIT was answered).
     *
     * @return {@code true} once INIT was answered with {@link Capability#PASSTHROUGH} enabled
     */
    boolean available();

    /**
     * Why kernel passthrough is not available, naming the missing piece; empty when it is.
     *
     * @return the missing piece, in words; empty when passthrough is available
     */
    String unavailableReason();

    /**
     * FUSE_DEV_IOC_BACKING_OPEN: registers the open regular file {@code fd} (a descriptor of this process, for
     * example {@code dev.jfuser.posix.Fd#intValue()}). The kernel takes its own reference to the file: {@code fd}
     * may be closed afterwards.
     *
     * @param fd an open descriptor of a regular file, opened for the access the FUSE file will be used with
     * @return the registered file, whose id goes into {@link OpenReply}
     * @throws FuseException naming the reason: ENOTSUP when passthrough is not available ({@link
     *     #unavailableReason()}), EPERM without CAP_SYS_ADMIN, ELOOP when the file's filesystem is stacked too
     *     deep, EINVAL or EISDIR when it is not a regular file, EBADF for a closed descriptor
     */
    BackingFile open(int fd) throws IOException;

    /**
     * Opens {@code file} (read-only, or read-write when {@code writable}), registers it with {@link #open(int)} and
     * closes the descriptor again: a filesystem written in plain Java needs no descriptor of its own.
     *
     * @param file the regular file the kernel reads and writes for this FUSE file
     * @param writable whether to open it read-write (needed if the FUSE file is written)
     * @return the registered file, whose id goes into {@link OpenReply}
     * @throws FuseException as {@link #open(int)}, or with the errno of open(2) (ENOENT, EACCES…)
     */
    BackingFile open(Path file, boolean writable) throws IOException;

    /** A registered backing file: its id for {@link OpenReply#backingId()}, released by {@link #close()}. */
    interface BackingFile extends AutoCloseable {
        /**
         * The positive backing id the kernel assigned.
         *
         * @return the backing id, to send in {@link OpenReply#backingId()}
         */
        int id();

        /**
         * An open reply with handle {@code fh} that hands this backing file to the kernel: {@code flags} (other
         * {@code FOPEN_*} bits, e.g. {@link OpenReply#NOFLUSH}) plus {@link OpenReply#PASSTHROUGH}.
         *
         * @param fh the handle later requests on the open file carry (few reach the filesystem with passthrough)
         * @param flags other {@code FOPEN_*} bits to send
         * @return the reply to answer OPEN or CREATE with
         */
        default OpenReply openReply(long fh, int flags) {
            return new OpenReply(fh, flags | OpenReply.PASSTHROUGH, id());
        }

        /**
         * FUSE_DEV_IOC_BACKING_CLOSE: drops the id. Files already opened with it keep reading and writing the
         * backing file until they are released; new opens can no longer name it. Closing twice does nothing.
         */
        @Override
        void close() throws IOException;
    }
}
