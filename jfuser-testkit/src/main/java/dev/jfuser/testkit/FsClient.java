package dev.jfuser.testkit;

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
    FileAttr stat(String path) throws FuseException;

    boolean exists(String path) throws FuseException;

    void mkdir(String path, int mode) throws FuseException;

    void rmdir(String path) throws FuseException;

    void unlink(String path) throws FuseException;

    void rename(String from, String to) throws FuseException;

    /** Creates or truncates {@code path} and writes {@code content}. */
    void writeFile(String path, byte[] content) throws FuseException;

    byte[] readFile(String path) throws FuseException;

    /** Writes into an existing file at {@code offset} (the file grows if needed). */
    void writeAt(String path, long offset, byte[] data) throws FuseException;

    /** Reads up to {@code length} bytes at {@code offset}. */
    byte[] readAt(String path, long offset, int length) throws FuseException;

    void truncate(String path, long size) throws FuseException;

    void chmod(String path, int mode) throws FuseException;

    void symlink(String target, String path) throws FuseException;

    String readlink(String path) throws FuseException;

    void link(String existing, String newPath) throws FuseException;

    /** Names in a directory, without "." and "..", in the filesystem's order. */
    List<String> list(String path) throws FuseException;

    /** Sets an extended attribute in the {@code user.} namespace (full name, e.g. {@code "user.tag"}). */
    void setxattr(String path, String name, byte[] value) throws FuseException;

    byte[] getxattr(String path, String name) throws FuseException;

    List<String> listxattr(String path) throws FuseException;

    void removexattr(String path, String name) throws FuseException;

    /** A client over a fake kernel. */
    static FsClient of(FakeKernel kernel) {
        return new FakeKernelClient(kernel);
    }

    /** A client over a mounted directory, using {@code java.nio.file}. */
    static FsClient mounted(java.nio.file.Path root) {
        return new MountedClient(root);
    }
}
