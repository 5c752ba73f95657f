package dev.jfuser.testkit;

import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FuseException;
import java.util.List;

/**
 * What a program does with files, independent of how it reaches the filesystem: through the {@link FakeKernel}
 * ({@link #of(FakeKernel)}) or through a real mount with {@code java.nio.file} ({@link #mounted(java.nio.file.Path)}).
 * Paths are absolute within the filesystem ({@code "/dir/file"}); failures are {@link FuseException}s carrying the
 * errno the filesystem (or the kernel) answered, so one test can run both ways and expect the same errors.
 */
public interface FsClient {
    /**
     * The attributes of {@code path}, following no symbolic link at the end.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the attributes
     * @throws FuseException with the errno the filesystem answered
     */
    FileAttr stat(String path) throws FuseException;

    /**
     * Whether {@code path} exists.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return whether the path resolves
     * @throws FuseException with the errno the filesystem answered
     */
    boolean exists(String path) throws FuseException;

    /**
     * Creates a directory.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param mode the permission bits (and for mknod the type bits)
     * @throws FuseException with the errno the filesystem answered
     */
    void mkdir(String path, int mode) throws FuseException;

    /**
     * Removes an empty directory.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @throws FuseException with the errno the filesystem answered
     */
    void rmdir(String path) throws FuseException;

    /**
     * Removes a file.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @throws FuseException with the errno the filesystem answered
     */
    void unlink(String path) throws FuseException;

    /**
     * Renames {@code from} to {@code to}, replacing a target.
     *
     * @param from the current path
     * @param to the new path
     * @throws FuseException with the errno the filesystem answered
     */
    void rename(String from, String to) throws FuseException;

    /**
     * Renames with {@code renameat2(2)} flags ({@link dev.jfuser.RenameFlags}: {@code RENAME_NOREPLACE},
     * {@code RENAME_EXCHANGE}). The default answers ENOSYS, for clients written before this method.
     *
     * @param from the current path
     * @param to the new path
     * @param flags the {@code RENAME_*} flags, 0 for a plain rename
     * @throws FuseException with the errno the filesystem answered
     */
    default void rename(String from, String to, int flags) throws FuseException {
        throw new FuseException(Errno.ENOSYS, getClass().getName() + " does not implement rename with flags");
    }

    /**
     * Creates a device node, FIFO or socket ({@code mknod(2)}). The default answers ENOSYS, for clients written
     * before this method.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param mode the type bits ({@link dev.jfuser.Mode#S_IFCHR}, {@code S_IFBLK}, {@code S_IFIFO},
     *     {@code S_IFSOCK}) and permission bits
     * @param rdev the device number of a device node in the kernel's encoding ({@code minor & 0xff | major << 8 |
     *     (minor & ~0xff) << 12}), else 0
     * @throws FuseException with the errno the filesystem answered
     */
    default void mknod(String path, int mode, int rdev) throws FuseException {
        throw new FuseException(Errno.ENOSYS, getClass().getName() + " does not implement mknod");
    }

    /**
     * Creates or truncates {@code path} and writes {@code content}.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param content the whole content
     * @throws FuseException with the errno the filesystem answered
     */
    void writeFile(String path, byte[] content) throws FuseException;

    /**
     * Reads a whole file.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the content
     * @throws FuseException with the errno the filesystem answered
     */
    byte[] readFile(String path) throws FuseException;

    /**
     * Writes into an existing file at {@code offset} (the file grows if needed).
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param offset the file offset
     * @param data the bytes to write
     * @throws FuseException with the errno the filesystem answered
     */
    void writeAt(String path, long offset, byte[] data) throws FuseException;

    /**
     * Reads up to {@code length} bytes at {@code offset}.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param offset the file offset
     * @param length the most bytes to read
     * @return the bytes read; fewer than asked at end of file
     * @throws FuseException with the errno the filesystem answered
     */
    byte[] readAt(String path, long offset, int length) throws FuseException;

    /**
     * Truncates or extends a file.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param size the size in bytes
     * @throws FuseException with the errno the filesystem answered
     */
    void truncate(String path, long size) throws FuseException;

    /**
     * Changes permission bits.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param mode the permission bits (and for mknod the type bits)
     * @throws FuseException with the errno the filesystem answered
     */
    void chmod(String path, int mode) throws FuseException;

    /**
     * Creates a symbolic link at {@code path} pointing at {@code target}.
     *
     * @param target what the link points to
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @throws FuseException with the errno the filesystem answered
     */
    void symlink(String target, String path) throws FuseException;

    /**
     * The target of a symbolic link.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the target
     * @throws FuseException with the errno the filesystem answered
     */
    String readlink(String path) throws FuseException;

    /**
     * Creates a hard link {@code newPath} to {@code existing}.
     *
     * @param existing the path of the existing file
     * @param newPath the path of the new link
     * @throws FuseException with the errno the filesystem answered
     */
    void link(String existing, String newPath) throws FuseException;

    /**
     * Names in a directory, without "." and "..", in the filesystem's order.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the names, in the filesystem's order
     * @throws FuseException with the errno the filesystem answered
     */
    List<String> list(String path) throws FuseException;

    /**
     * Sets an extended attribute in the {@code user.} namespace (full name, e.g. {@code "user.tag"}).
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param name the attribute name, such as {@code "user.x"}
     * @param value the attribute value
     * @throws FuseException with the errno the filesystem answered
     */
    void setxattr(String path, String name, byte[] value) throws FuseException;

    /**
     * An extended attribute's value.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param name the attribute name, such as {@code "user.x"}
     * @return the value
     * @throws FuseException with the errno the filesystem answered
     */
    byte[] getxattr(String path, String name) throws FuseException;

    /**
     * The names of the extended attributes of {@code path}.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @return the names
     * @throws FuseException with the errno the filesystem answered
     */
    List<String> listxattr(String path) throws FuseException;

    /**
     * Removes an extended attribute.
     *
     * @param path an absolute path in the filesystem, such as {@code "/dir/file"}
     * @param name the attribute name, such as {@code "user.x"}
     * @throws FuseException with the errno the filesystem answered
     */
    void removexattr(String path, String name) throws FuseException;

    /**
     * A client over a fake kernel.
     *
     * @param kernel the fake kernel to drive
     * @return a client that sends its operations through {@code kernel}
     */
    static FsClient of(FakeKernel kernel) {
        return new FakeKernelClient(kernel);
    }

    /**
     * A client over a mounted directory, using {@code java.nio.file}.
     *
     * @param root the mounted directory
     * @return a client using {@code java.nio.file} under {@code root}
     */
    static FsClient mounted(java.nio.file.Path root) {
        return new MountedClient(root);
    }
}
