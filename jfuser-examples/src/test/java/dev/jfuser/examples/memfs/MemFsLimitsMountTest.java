package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.contract.Shell;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** memfs's limits as clients see them: the size limit covers xattrs, and offsets reach 2^63-1 as on tmpfs. */
@Tag("mount")
class MemFsLimitsMountTest {

    @Test
    void xattrsFillTheSizeLimitAndStatfsSeesThem() throws Exception {
        MemFsMount m = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(8L << 20)), "");
        try {
            Path f = Files.createFile(m.mountpoint.resolve("f"));
            FileStore store = Files.getFileStore(f);
            long before = store.getUnallocatedSpace();
            UserDefinedFileAttributeView view = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
            ByteBuffer value = ByteBuffer.allocate(65536);
            int stored = 0;
            IOException full = null;
            try {
                for (; stored < 1000; stored++) {
                    view.write("x" + stored, value.rewind());
                }
            } catch (IOException e) {
                full = e;
            }
            assertTrue(full != null && String.valueOf(full.getMessage()).contains("No space left"),
                    "8 MiB held " + stored + " xattrs of 64 KiB; then " + full);
            assertTrue(stored >= 120 && stored < 128, "stored " + stored);
            long after = store.getUnallocatedSpace();
            assertTrue(before - after >= stored * 65536L, "statfs: free went from " + before + " to " + after);
            assertTrue(after < 65536 + 4096, "statfs says full: " + after + " bytes free");
            // setfattr, the command-line client, gets the same answer
            Shell.Result r = Shell.run(m.mountpoint, "setfattr", "-n", "user.more", "-v", "0x" + "00".repeat(60000),
                    "f");
            assertTrue(r.exitCode() != 0 && r.output().contains("No space left"), r.output());
            for (int i = 0; i < stored; i++) {
                view.delete("x" + i);
            }
            assertEquals(before, store.getUnallocatedSpace(), "removing the xattrs gives the space back");
        } finally {
            m.close();
        }
    }

    /** pread/pwrite/ftruncate/lseek near 2^63-1, printed; the same script must print the same on tmpfs. */
    private static final String HUGE_OFFSETS = """
            M = (1 << 63) - 1
            fd = os.open('sparse', os.O_CREAT | os.O_RDWR, 0o644)
            out = []
            def do(fn):
                try:
                    out.append(fn())
                except OSError as e:
                    out.append(errno.errorcode.get(e.errno, e.errno))
                except SystemError as e:
                    out.append('SystemError')
            do(lambda: os.pwrite(fd, b'abc', M - 3))
            do(lambda: os.fstat(fd).st_size)
            do(lambda: os.pread(fd, 1, M - 2))
            do(lambda: os.pread(fd, 10, M - 4096))
            do(lambda: os.pread(fd, 1, M - 1))
            do(lambda: os.pread(fd, 3, M - 3))
            do(lambda: os.pread(fd, 5, M - 1))
            do(lambda: os.pwrite(fd, b'x', M - 1))
            do(lambda: os.pwrite(fd, b'xyz', M - 2))
            do(lambda: os.pread(fd, 5, M - 5))
            do(lambda: os.lseek(fd, 0, os.SEEK_DATA))
            do(lambda: os.lseek(fd, M - 4096 * 3, os.SEEK_DATA))
            do(lambda: os.lseek(fd, M - 4096 * 3, os.SEEK_HOLE))
            do(lambda: fallocate(fd, 1, M - 10, 10))
            do(lambda: fallocate(fd, 1, M - 10, 11))
            do(lambda: fallocate(fd, 1, (1 << 62) - 5, 4096 * 2))
            do(lambda: os.ftruncate(fd, (1 << 62) + 1))
            do(lambda: os.pread(fd, 4, 1 << 62))
            do(lambda: os.fstat(fd).st_size)
            do(lambda: os.fstat(fd).st_blocks)
            do(lambda: os.ftruncate(fd, M))
            do(lambda: os.pread(fd, 3, M - 3))
            do(lambda: os.pwrite(fd, b'e', (1 << 32) - 1))
            do(lambda: os.pread(fd, 3, (1 << 32) - 2))
            do(lambda: os.lseek(fd, 1 << 31, os.SEEK_DATA))
            do(lambda: os.fstat(fd).st_blocks)
            os.close(fd)
            print(out)
            """;

    @Test
    void hugeOffsetsBehaveAsOnTmpfs() throws Exception {
        MountSupport.assumeRootAndFuse();
        Path base = Files.createTempDirectory("jfuser-test-offsets-");
        Path tmpfs = Files.createDirectory(base.resolve("tmpfs"));
        Shell.run(null, "mount", "-t", "tmpfs", "-o", "size=64m", "memfs-oracle", tmpfs.toString()).ok();
        String expected;
        try {
            expected = Shell.python(tmpfs, HUGE_OFFSETS).ok().out();
        } finally {
            Shell.run(null, "umount", tmpfs.toString());
            Files.deleteIfExists(tmpfs);
            Files.deleteIfExists(base);
        }
        MemFsMount m = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(64L << 20)), "");
        try {
            // One deliberate difference: in a file larger than 2^63-4096 tmpfs answers SEEK_DATA with ENXIO although
            // the last page holds data (its page-count rounding overflows); memfs finds that page.
            String lastPage = Long.toString(Long.MAX_VALUE / 4096 * 4096);
            String tmpfsOverflow = "'ENXIO', 'ENXIO', 9223372036854763519";
            assertTrue(expected.contains(tmpfsOverflow), expected);
            assertEquals(expected.replace(tmpfsOverflow, lastPage + ", " + lastPage + ", 9223372036854763519"),
                    Shell.python(m.mountpoint, HUGE_OFFSETS).ok().out());
            // Java's FileChannel reaches the same positions
            try (FileChannel ch = FileChannel.open(m.mountpoint.resolve("j"), StandardOpenOption.CREATE,
                    StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                assertEquals(1, ch.write(ByteBuffer.wrap(new byte[] {7}), Long.MAX_VALUE - 1));
                assertEquals(Long.MAX_VALUE, ch.size());
                ByteBuffer one = ByteBuffer.allocate(1); // position + length must not pass 2^63-1
                assertEquals(1, ch.read(one, Long.MAX_VALUE - 1));
                assertEquals(7, one.get(0));
            }
        } finally {
            m.close();
        }
    }
}
