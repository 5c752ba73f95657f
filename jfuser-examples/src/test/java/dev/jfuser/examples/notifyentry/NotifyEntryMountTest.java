package dev.jfuser.examples.notifyentry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.notifyentry.NotifyEntryFs.Mode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * notify-entry through the kernel, which trusts names, negative names and listings for a day: {@code ls} and
 * {@code stat} see each name come and go at once only because the filesystem notifies ({@link Mode#NONE} shows
 * the stale view the notifications replace).
 */
@Tag("mount")
class NotifyEntryMountTest {
    @TempDir
    Path dir;
    private Path mp;
    private Mount mount;
    private NotifyEntryFs fs;

    private void mount(Mode mode) throws Exception {
        MountSupport.assumeRootAndFuse();
        mp = Files.createDirectory(dir.resolve("mnt"));
        fs = new NotifyEntryFs(mode, 0, 0);
        mount = Fuse.mount(fs, mp, MountOptions.builder().fsname("notify-entry-test").build(), SessionOptions.DEFAULT);
    }

    @AfterEach
    void unmount() throws Exception {
        if (mount != null) {
            try {
                mount.close();
            } finally {
                assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
            }
        }
    }

    /** Ends a {@code timeout ... python3} child: SIGTERM, which timeout passes on to python. */
    static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private List<String> ls() throws Exception {
        MountSupport.Result r = MountSupport.run("timeout", "20", "ls", "-1", "--color=never", mp.toString());
        assertEquals(0, r.exitCode(), r.output());
        return r.output().isEmpty() ? List.of() : Arrays.asList(r.output().split("\n"));
    }

    private boolean exists(String name) throws Exception {
        return MountSupport.run("timeout", "20", "stat", mp.resolve(name).toString()).exitCode() == 0;
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    void lsAndStatSeeNamesComeAndGoOnlyWhenTheFilesystemNotifies(Mode mode) throws Exception {
        mount(mode);
        fs.addFile("a", "first\n");
        assertEquals(List.of("a"), ls());
        assertTrue(exists("a"));
        assertFalse(exists("b"), "b does not exist yet; the kernel now caches that for a day");
        assertEquals("first\n", Files.readString(mp.resolve("a")));

        fs.addFile("b", "second\n");
        fs.remove("a");
        if (mode == Mode.NONE) {
            assertEquals(List.of("a"), ls(), "the cached listing");
            assertTrue(exists("a"), "the cached name");
            assertFalse(exists("b"), "the cached negative name");
        } else {
            assertEquals(List.of("b"), ls());
            assertFalse(exists("a"));
            assertTrue(exists("b"));
            assertEquals("second\n", Files.readString(mp.resolve("b")));
        }
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"INVALIDATE", "EXPIRE", "DELETE"})
    void aRemovedNameHeldOpenOrAsCwdIsUnlinkedForItsHoldersOnlyWithDelete(Mode mode) throws Exception {
        mount(mode);
        fs.addFile("f", "held\n");
        fs.addDirectory("d");
        String script = "import os, sys\n"
                + "fd = os.open('" + mp.resolve("f") + "', os.O_RDONLY)\n"
                + "os.chdir('" + mp.resolve("d") + "')\n"
                + "def show():\n"
                + "    print('file nlink', os.fstat(fd).st_nlink, 'cwd nlink', os.stat('.').st_nlink,\n"
                + "          'read', os.pread(fd, 16, 0).decode().strip(), flush=True)\n"
                + "show()\n"
                + "sys.stdin.readline()\n"
                + "show()\n";
        Process holder = new ProcessBuilder("timeout", "30", "python3", "-c", script).redirectErrorStream(true)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("file nlink 1 cwd nlink 2 read held", out.readLine());
            fs.remove("f");
            fs.remove("d");
            assertFalse(exists("f"));
            assertFalse(exists("d"));
            assertEquals(List.of(), ls());
            holder.getOutputStream().write('\n');
            holder.getOutputStream().flush();
            String after = out.readLine();
            if (mode == Mode.DELETE) {
                assertEquals("file nlink 0 cwd nlink 0 read held", after,
                        "unlinked for its holders, as after unlink and rmdir; the open file is still readable");
            } else {
                // The kernel asks the file's attributes again (and hears nlink 0), but keeps the directory's:
                // only delete tells a process whose cwd it is that it is gone.
                assertTrue(after.matches("file nlink [01] cwd nlink 2 read held"), after);
            }
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        } finally {
            stop(holder); // its cwd would keep the mount busy
        }
    }

    @Test
    void expireOnlyIsUsedWhenTheKernelOffersIt() throws Exception {
        mount(Mode.EXPIRE);
        fs.addFile("e", "e\n");
        assertTrue(exists("e"));
        fs.remove("e");
        assertFalse(exists("e"));
        assertEquals(mount.kernelConfig().kernelMinor() >= 38, fs.expiresOnly(),
                "FUSE_HAS_EXPIRE_ONLY came with protocol 7.38");
    }

    @Test
    void binJfuserNotifyEntryShowsTheLastSecondsAsNames() throws Exception {
        MountSupport.assumeRootAndFuse();
        mp = Files.createDirectory(dir.resolve("mnt"));
        Process cli = new ProcessBuilder(MountSupport.cliCommand("notify-entry", mp.toString()))
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream(),
                    StandardCharsets.UTF_8));
            String first = out.readLine();
            assertTrue(first != null && first.contains("mounted"), "CLI did not mount: " + first);
            Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    out.transferTo(java.io.Writer.nullWriter());
                } catch (java.io.IOException ignored) {
                    // the CLI ended
                }
            });
            List<String> before = ls();
            assertFalse(before.isEmpty(), "the current second's name");
            for (String name : before) {
                assertTrue(exists(name), name);
            }
            Thread.sleep((NotifyEntryFs.KEEP_SECONDS + 1) * 1000L);
            List<String> after = ls();
            assertFalse(after.isEmpty());
            assertTrue(after.size() <= NotifyEntryFs.KEEP_SECONDS + 1, after.toString());
            Set<String> both = new HashSet<>(before);
            both.retainAll(after);
            assertEquals(Set.of(), both, "the names of " + (NotifyEntryFs.KEEP_SECONDS + 1) + " s ago are gone");
            for (String name : before) {
                assertFalse(exists(name), name + " is still there for stat");
            }
            for (String name : after) {
                assertTrue(exists(name), name + " came but stat does not see it");
            }
            assertNotEquals(before, after);
        } finally {
            MountSupport.run("umount", mp.toString());
            if (!cli.waitFor(20, TimeUnit.SECONDS)) {
                cli.destroyForcibly();
            }
            assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
        }
    }
}
