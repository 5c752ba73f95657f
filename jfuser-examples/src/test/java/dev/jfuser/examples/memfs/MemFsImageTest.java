package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.contract.Shell;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --image}: the tree survives an unmount and a remount; bad images are refused before anything loads. */
class MemFsImageTest {
    @TempDir
    Path tmp;

    /** Everything an image must keep, per entry (not atime: reading the tree moves it). */
    private static final String TREE = """
            import hashlib, os, stat, sys
            root = sys.argv[1]
            for d, dirs, files in os.walk(root):
                dirs.sort()
                for n in sorted(dirs + files):
                    full = os.path.join(d, n)
                    s = os.lstat(full)
                    line = '%s ino=%d %o %d:%d nlink=%d size=%d rdev=%d mtime=%d ctime=%d' % (
                        os.path.relpath(full, root), s.st_ino, s.st_mode, s.st_uid, s.st_gid, s.st_nlink,
                        s.st_size, s.st_rdev, s.st_mtime_ns, s.st_ctime_ns)
                    if stat.S_ISREG(s.st_mode):
                        # hash the data segments with their offsets: content and hole layout, without reading holes
                        h = hashlib.sha1()
                        fd = os.open(full, os.O_RDONLY)
                        off = 0
                        while off < s.st_size:
                            try:
                                start = os.lseek(fd, off, os.SEEK_DATA)
                            except OSError:
                                break
                            end = os.lseek(fd, start, os.SEEK_HOLE)
                            h.update(b'%d:' % start + os.pread(fd, end - start, start))
                            off = end
                        os.close(fd)
                        line += ' data=' + h.hexdigest()
                    if stat.S_ISLNK(s.st_mode):
                        line += ' -> ' + os.readlink(full)
                    else:
                        for x in sorted(os.listxattr(full)):
                            line += ' %s=%r' % (x, os.getxattr(full, x))
                    print(line)
            s = os.lstat(root)
            print('. %o %d:%d nlink=%d' % (s.st_mode, s.st_uid, s.st_gid, s.st_nlink))
            """;

    private static String tree(Path root) throws Exception {
        return Shell.run(null, List.of(Shell.PYTHON, "-c", TREE, root.toString())).ok().output();
    }

    @Test
    @Tag("mount")
    void theTreeSurvivesUnmountAndRemount() throws Exception {
        Path image = tmp.resolve("memfs.img");
        MemFs.Options options = MemFs.Options.defaults().withSizeLimit(256L << 20).withImage(image);
        MemFsMount first = MemFsMount.mount(new MemFs(options), "");
        String before;
        try {
            Path mp = first.mountpoint;
            Shell.python(mp, """
                    import random
                    os.makedirs('a/b/c')
                    for i in range(30):
                        with open('a/f%d' % i, 'wb') as f:
                            f.write(random.Random(i).randbytes(i * 3001))
                    fd = os.open('sparse', os.O_CREAT | os.O_WRONLY, 0o600)
                    os.pwrite(fd, b'far away', (5 << 30) + 12345)
                    os.close(fd)
                    os.link('a/f3', 'a/b/c/hard')
                    os.symlink('../f4', 'a/b/sym')
                    os.mkfifo('fifo', 0o640)
                    os.mknod('dev', 0o600 | stat.S_IFCHR, os.makedev(1, 5))
                    os.setxattr('a/f5', 'user.k', b'v' * 1000)
                    os.setxattr('a', 'trusted.t', b'root only')
                    os.chown('a/f6', 65534, 100)
                    os.chmod('a/b', 0o2750)
                    os.utime('a/f7', ns=(1, 1_234_567_891_011_121_314))
                    fd = os.open('a', os.O_TMPFILE | os.O_RDWR)
                    os.write(fd, b'never linked: not saved')
                    open('gone', 'w').write('unlinked before unmount')
                    os.unlink('gone')
                    """).ok();
            before = tree(mp);
        } finally {
            first.close();
        }
        assertTrue(Files.size(image) > 30 * 1500, "image of " + Files.size(image) + " bytes");
        assertEquals(List.of("memfs.img"), Files.list(tmp).map(p -> p.getFileName().toString()).toList(),
                "no temporary file left beside the image");
        MemFsMount second = MemFsMount.mount(new MemFs(options), "");
        try {
            assertEquals(before, tree(second.mountpoint));
            assertTrue(before.contains("sparse") && before.contains("size=5368721473"), before);
            // the remounted tree is live: change it and save again
            Files.writeString(second.mountpoint.resolve("added"), "after remount");
        } finally {
            second.close();
        }
        MemFs third = new MemFs(options);
        assertTrue(third.nodeCount() > 30);
    }

    @Test
    void corruptForeignAndFutureImagesAreRefusedByName() throws Exception {
        Path image = tmp.resolve("good.img");
        MemFs fs = new MemFs(MemFs.Options.defaults().withImage(image));
        fs.save(image);
        byte[] good = Files.readAllBytes(image);

        Path flipped = tmp.resolve("flipped.img");
        byte[] bad = good.clone();
        bad[bad.length / 2] ^= 0x40;
        Files.write(flipped, bad);
        IOException e = assertThrows(IOException.class, () -> new MemFs(MemFs.Options.defaults().withImage(flipped)));
        assertTrue(e.getMessage().contains(flipped.toString()) && e.getMessage().contains("checksum"), e.getMessage());

        Path truncated = tmp.resolve("truncated.img");
        Files.write(truncated, java.util.Arrays.copyOf(good, good.length - 9));
        e = assertThrows(IOException.class, () -> new MemFs(MemFs.Options.defaults().withImage(truncated)));
        assertTrue(e.getMessage().contains(truncated.toString()), e.getMessage());

        Path foreign = tmp.resolve("foreign.img");
        Files.writeString(foreign, "#!/bin/sh\necho this is not an image at all\n");
        e = assertThrows(IOException.class, () -> new MemFs(MemFs.Options.defaults().withImage(foreign)));
        assertTrue(e.getMessage().contains(foreign.toString()) && e.getMessage().contains("not a memfs image"),
                e.getMessage());

        Path future = tmp.resolve("future.img");
        byte[] newer = good.clone();
        newer[11] = 9; // version field (big-endian int after the 8-byte magic)
        Files.write(future, newer);
        e = assertThrows(IOException.class, () -> new MemFs(MemFs.Options.defaults().withImage(future)));
        assertTrue(e.getMessage().contains(future.toString()) && e.getMessage().contains("version 9"), e.getMessage());
    }

    @Test
    void savingReplacesTheImageWhole() throws Exception {
        Path image = tmp.resolve("img");
        Files.writeString(image, "old contents that a failed save must not touch");
        MemFs fs = new MemFs(MemFs.Options.defaults());
        fs.save(image);
        MemFs loaded = new MemFs(MemFs.Options.defaults().withImage(image));
        assertEquals(1, loaded.nodeCount());
        // a save into a directory that is not writable fails and leaves the old image as it was
        Path ro = Files.createDirectory(tmp.resolve("ro"));
        Path roImage = ro.resolve("img");
        Files.write(roImage, Files.readAllBytes(image));
        Shell.run(null, "chattr", "+i", ro.toString());
        boolean immutable = Shell.run(null, "lsattr", "-d", ro.toString()).output().contains("i");
        try {
            if (immutable) {
                assertThrows(IOException.class, () -> fs.save(roImage));
                assertEquals(1, MemFsImage.load(roImage).nodes().size());
                // and a memfs that could not save there is refused at start, not after the session
                IOException e = assertThrows(IOException.class,
                        () -> new MemFs(MemFs.Options.defaults().withImage(roImage)));
                assertTrue(e.getMessage().contains(roImage.toString()), e.getMessage());
            }
        } finally {
            Shell.run(null, "chattr", "-i", ro.toString());
        }
    }

    @Test
    @Tag("mount")
    void theCliPersistsWithImageAndRefusesABadOne() throws Exception {
        MountSupport.assumeRootAndFuse();
        Path mp = Files.createDirectory(tmp.resolve("mnt"));
        Path image = tmp.resolve("cli.img");
        runCli(mp, image, () -> Files.writeString(mp.resolve("kept"), "across runs"));
        runCli(mp, image, () -> assertEquals("across runs", Files.readString(mp.resolve("kept"))));
        Files.writeString(image, "garbage");
        Process p = new ProcessBuilder(MountSupport.cliCommand("memfs", mp.toString(), "--image", image.toString()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.waitFor());
        assertTrue(out.contains(image.toString()) && out.contains("not a memfs image"), out);
        assertFalse(MountSupport.isMounted(mp));
    }

    @Test
    void anImageThatCouldNotBeSavedIsRefusedAtStart() {
        for (String where : List.of("/nonexistdir/x.img", "/proc/x.img")) {
            IOException e = assertThrows(IOException.class,
                    () -> new MemFs(MemFs.Options.defaults().withImage(Path.of(where))), where);
            assertTrue(e.getMessage().contains(where) && e.getMessage().contains("could not be saved"),
                    e.getMessage());
        }
        IOException e = assertThrows(IOException.class,
                () -> new MemFs(MemFs.Options.defaults().withImage(Path.of("/nonexistdir/x.img"))));
        assertTrue(e.getMessage().contains("/nonexistdir does not exist"), e.getMessage());
    }

    @Test
    void aFailedSaveAtTheEndIsReported() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("vanishing"));
        Path image = dir.resolve("x.img");
        MemFs fs = new MemFs(MemFs.Options.defaults().withImage(image));
        assertTrue(fs.saveFailure().isEmpty());
        Files.delete(dir);
        fs.destroy();
        IOException e = fs.saveFailure().orElseThrow(() -> new AssertionError("the failed save went unnoticed"));
        assertTrue(e.getMessage().contains(image.toString()) && e.getMessage().contains("lost"), e.getMessage());
        Files.createDirectory(dir);
        fs.destroy();
        assertTrue(fs.saveFailure().isEmpty(), "a later save that works clears it");
    }

    @Test
    void temporariesOfSavesThatDiedAreRemovedAtStart() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path image = tmp.resolve("x.img");
        Path dead = tmp.resolve(".x.img.tmp-" + gone.pid());
        Path live = tmp.resolve(".x.img.tmp-1"); // init runs: its save may be in progress
        Path other = tmp.resolve(".y.img.tmp-" + gone.pid());
        for (Path p : List.of(dead, live, other)) {
            Files.writeString(p, "half a save");
        }
        new MemFs(MemFs.Options.defaults().withImage(image));
        assertFalse(Files.exists(dead), "the stray temporary of a dead save is removed");
        assertTrue(Files.exists(live) && Files.exists(other), "a live process's and another image's stay");
    }

    @Test
    @Tag("mount")
    void theCliRefusesAnUnsavableImageAndFailsWhenTheLastSaveFails() throws Exception {
        MountSupport.assumeRootAndFuse();
        Path mp = Files.createDirectory(tmp.resolve("mnt"));
        for (String where : List.of("/nonexistdir/x.img", "/proc/x.img")) {
            Process p = new ProcessBuilder(MountSupport.cliCommand("memfs", mp.toString(), "--image", where))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(1, p.exitValue(), out);
            assertTrue(out.contains(where) && out.contains("could not be saved"), out);
            assertFalse(MountSupport.isMounted(mp));
        }
        Path dir = Files.createDirectory(tmp.resolve("vanishing"));
        Path image = dir.resolve("x.img");
        Process p = new ProcessBuilder(MountSupport.cliCommand("memfs", mp.toString(), "--image", image.toString()))
                .redirectErrorStream(true).start();
        String out;
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            assertTrue(line != null && line.contains("mounted"), "jfuser said: " + line);
            Files.writeString(mp.resolve("work"), "to be lost");
            Files.delete(dir);
            Shell.run(null, "umount", mp.toString()).ok();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the CLI ends after the unmount");
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
            MountSupport.forceUnmount(mp);
        }
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains(image.toString()) && out.contains("lost"), out);
    }

    private interface Check {
        void run() throws Exception;
    }

    private static void runCli(Path mp, Path image, Check check) throws Exception {
        Process p = new ProcessBuilder(MountSupport.cliCommand("memfs", mp.toString(), "--size", "64M", "--image",
                image.toString())).redirectErrorStream(true).start();
        try {
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = r.readLine();
            assertTrue(line != null && line.contains("mounted"), "jfuser said: " + line);
            assertEquals("64M", Shell.run(null, "df", "--output=size", "-BM", mp.toString()).ok().output()
                    .lines().skip(1).findFirst().orElseThrow().strip());
            check.run();
        } finally {
            Shell.run(null, "umount", mp.toString());
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            MountSupport.forceUnmount(mp);
        }
        assertEquals(0, p.exitValue());
        assertTrue(Files.exists(image));
    }
}
