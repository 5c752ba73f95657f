package dev.jfuser.testkit;

import dev.jfuser.FileAttr;
import dev.jfuser.FuseException;
import dev.jfuser.OpenFlags;
import java.util.List;

/** {@link FsClient} over a {@link FakeKernel}: each call is the requests the kernel's VFS would send. */
final class FakeKernelClient implements FsClient {
    private final FakeKernel k;

    FakeKernelClient(FakeKernel kernel) {
        this.k = kernel;
    }

    @Override
    public FileAttr stat(String path) throws FuseException {
        return k.stat(path);
    }

    @Override
    public boolean exists(String path) throws FuseException {
        return k.exists(path);
    }

    @Override
    public void mkdir(String path, int mode) throws FuseException {
        k.mkdir(path, mode);
    }

    @Override
    public void rmdir(String path) throws FuseException {
        k.rmdir(path);
    }

    @Override
    public void unlink(String path) throws FuseException {
        k.unlink(path);
    }

    @Override
    public void rename(String from, String to) throws FuseException {
        k.rename(from, to, 0);
    }

    @Override
    public void rename(String from, String to, int flags) throws FuseException {
        k.rename(from, to, flags);
    }

    @Override
    public void mknod(String path, int mode, int rdev) throws FuseException {
        k.mknod(path, mode, rdev);
    }

    @Override
    public void writeFile(String path, byte[] content) throws FuseException {
        k.writeFile(path, content);
    }

    @Override
    public byte[] readFile(String path) throws FuseException {
        return k.readFile(path);
    }

    @Override
    public void writeAt(String path, long offset, byte[] data) throws FuseException {
        try (FakeKernel.OpenFile f = k.open(path, OpenFlags.O_WRONLY)) {
            f.write(offset, data);
        }
    }

    @Override
    public byte[] readAt(String path, long offset, int length) throws FuseException {
        try (FakeKernel.OpenFile f = k.open(path, 0)) {
            return f.read(offset, length);
        }
    }

    @Override
    public void truncate(String path, long size) throws FuseException {
        k.truncate(path, size);
    }

    @Override
    public void chmod(String path, int mode) throws FuseException {
        k.chmod(path, mode);
    }

    @Override
    public void symlink(String target, String path) throws FuseException {
        k.symlink(target, path);
    }

    @Override
    public String readlink(String path) throws FuseException {
        return k.readlink(path);
    }

    @Override
    public void link(String existing, String newPath) throws FuseException {
        k.link(existing, newPath);
    }

    @Override
    public List<String> list(String path) throws FuseException {
        return k.list(path);
    }

    @Override
    public void setxattr(String path, String name, byte[] value) throws FuseException {
        k.setxattr(path, name, value, 0);
    }

    @Override
    public byte[] getxattr(String path, String name) throws FuseException {
        return k.getxattr(path, name);
    }

    @Override
    public List<String> listxattr(String path) throws FuseException {
        return k.listxattr(path);
    }

    @Override
    public void removexattr(String path, String name) throws FuseException {
        k.removexattr(path, name);
    }
}
