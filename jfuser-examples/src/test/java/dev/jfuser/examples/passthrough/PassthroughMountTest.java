package dev.jfuser.examples.passthrough;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.contract.Shell;
import dev.jfuser.posix.Fd;
import dev.jfuser.posix.Posix;
import dev.jfuser.protocol.Opcode;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * passthrough on a real mount over tmpfs: no route reaches outside the source, the mount and the source agree, and
 * with kernel passthrough reads and writes do not reach the daemon.
 */
@Tag("mount")
class PassthroughMountTest {
    private PassthroughMount m;

    @AfterEach
    void unmount() throws Exception {
        if (m != null) {
            m.close();
        }
    }

    private static Request req(Opcode op, long node) {
        return new Request(1, op, node, 0, 0, 0, new int[0]);
    }

    private static long ino(Path p) throws Exception {
        return (Long) Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
    }

    private static String sh(Path dir, String script) throws Exception {
        return ok(MountSupport.run("sh", "-c", "cd '" + dir + "' && " + script));
    }

    private static String ok(MountSupport.Result r) {
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    @Test
    void dotDotAtTheRootIsTheRootNotTheSourcesParent() throws Exception {
        m = PassthroughMount.mount(false);
        Entry e = m.fs.lookup(req(Opcode.LOOKUP, 1), 1, "..");
        assertEquals(ino(m.source), e.attr().ino(), "'..' of the root is the root");
        assertEquals(1, e.nodeId());
        m.fs.forget(1, 1);
    }

    @Test
    void anAbsoluteSymlinkPointingOutIsReturnedAsStoredAndNeverFollowed() throws Exception {
        m = PassthroughMount.mount(false);
        Files.createSymbolicLink(m.source.resolve("out"), Path.of("/etc"));
        assertEquals("/etc", Files.readSymbolicLink(m.mountpoint.resolve("out")).toString());
        assertTrue(Files.isSymbolicLink(m.mountpoint.resolve("out")));
        Entry out = m.fs.lookup(req(Opcode.LOOKUP, 1), 1, "out");
        assertEquals(FileType.SYMLINK, out.attr().type());
        // The daemon, asked to work inside the link's node, works on the link, not on /etc.
        FuseException e = assertThrows(FuseException.class, () -> m.fs.lookup(req(Opcode.LOOKUP, out.nodeId()),
                out.nodeId(), "passwd"));
        assertEquals(Errno.ENOTDIR, e.errno());
        assertThrows(FuseException.class, () -> m.fs.mkdir(req(Opcode.MKDIR, out.nodeId()), out.nodeId(),
                "jfuser-escape", 0755, 0));
        assertFalse(Files.exists(Path.of("/etc/jfuser-escape")));
        assertThrows(FuseException.class, () -> m.fs.opendir(req(Opcode.OPENDIR, out.nodeId()), out.nodeId(), 0));
        m.fs.forget(out.nodeId(), 1);
    }

    @Test
    void aRelativeSymlinkClimbingOutIsNotFollowed() throws Exception {
        m = PassthroughMount.mount(false);
        Path d = Files.createDirectories(m.source.resolve("a/b"));
        Files.createSymbolicLink(d.resolve("up"), Path.of("../../../../../../etc"));
        Entry a = m.fs.lookup(req(Opcode.LOOKUP, 1), 1, "a");
        Entry b = m.fs.lookup(req(Opcode.LOOKUP, a.nodeId()), a.nodeId(), "b");
        Entry up = m.fs.lookup(req(Opcode.LOOKUP, b.nodeId()), b.nodeId(), "up");
        assertEquals(FileType.SYMLINK, up.attr().type());
        assertEquals("../../../../../../etc", m.fs.readlink(req(Opcode.READLINK, up.nodeId()), up.nodeId()));
        FuseException e = assertThrows(FuseException.class, () -> m.fs.lookup(req(Opcode.LOOKUP, up.nodeId()),
                up.nodeId(), "hostname"));
        assertEquals(Errno.ENOTDIR, e.errno());
        // A name holding the climb is one name to the daemon: no such entry, not a path walk.
        assertThrows(FuseException.class, () -> m.fs.lookup(req(Opcode.LOOKUP, b.nodeId()), b.nodeId(),
                "../../../../etc"));
        for (Entry x : new Entry[] {up, b, a}) {
            m.fs.forget(x.nodeId(), 1);
        }
    }

    @Test
    void aHardLinkToAFileOutsideIsRefused() throws Exception {
        m = PassthroughMount.mount(false);
        MountSupport.Result r = MountSupport.run("ln", "/etc/hostname", m.mountpoint.resolve("x").toString());
        assertTrue(r.output().contains("Invalid cross-device link"), r.output());
        assertFalse(Files.exists(m.source.resolve("x"), LinkOption.NOFOLLOW_LINKS));
        // Within the mount, hard links are the source's.
        Files.writeString(m.mountpoint.resolve("f"), "x");
        Files.createLink(m.mountpoint.resolve("g"), m.mountpoint.resolve("f"));
        assertEquals(ino(m.source.resolve("f")), ino(m.source.resolve("g")));
        assertEquals(2, Files.getAttribute(m.source.resolve("f"), "unix:nlink"));
    }

    @Test
    void aNodeStaysItsInodeWhileItIsRenamedBehindTheMount() throws Exception {
        m = PassthroughMount.mount(false);
        Files.createDirectory(m.source.resolve("d"));
        Entry d = m.fs.lookup(req(Opcode.LOOKUP, 1), 1, "d");
        Files.move(m.source.resolve("d"), m.source.resolve("e"));
        Files.createDirectory(m.source.resolve("d")); // a new "d" takes the old name
        Entry f = m.fs.mknod(req(Opcode.MKNOD, d.nodeId()), d.nodeId(), "f", 0100644, 0, 0);
        assertTrue(Files.exists(m.source.resolve("e/f")), "created in the node's directory, now named e");
        assertFalse(Files.exists(m.source.resolve("d/f")));
        m.fs.forget(f.nodeId(), 1);
        m.fs.forget(d.nodeId(), 1);
    }

    /**
     * A directory the mount is working in is swapped, in the source, with a symlink to a directory outside it,
     * thousands of times while clients create, rename, chmod and unlink in it through the mount and the daemon is
     * asked directly: nothing lands outside. The outside directory is root's (0700) and the clients run as nobody,
     * so a client following the link on its own side gets EACCES; only a daemon that followed it could write there.
     */
    @Test
    void renamesRacingLookupsNeverLeadOutside() throws Exception {
        m = PassthroughMount.mount(false, Duration.ZERO);
        Path secret = Files.createTempDirectory("jfuser-test-passthrough-outside-");
        try {
            raceRenamesAgainstLookups(secret);
        } finally {
            MountSupport.run("rm", "-rf", secret.toString());
        }
    }

    private void raceRenamesAgainstLookups(Path secret) throws Exception {
        Files.writeString(secret.resolve("victim"), "outside");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rwx------"));
        Path d = Files.createDirectory(m.source.resolve("d"));
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(d.resolve("victim"), "inside");
        Files.setPosixFilePermissions(d.resolve("victim"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.createSymbolicLink(m.source.resolve("l"), secret);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong swaps = new AtomicLong();
        Thread racer = Thread.ofPlatform().start(() -> {
            try (Fd src = Posix.open(m.source, Posix.O_PATH | Posix.O_DIRECTORY)) {
                byte[] dn = {'d'};
                byte[] ln = {'l'};
                while (!stop.get()) {
                    Posix.renameat2(src, dn, src, ln, 2 /* RENAME_EXCHANGE */);
                    swaps.incrementAndGet();
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        try {
            Shell.Result r = Shell.pythonAsNobody(m.mountpoint, """
                    done = 0
                    for i in range(1500):
                        for op in (lambda: open('d/f%d' % i, 'w').close(), lambda: os.mkdir('d/g%d' % i),
                                   lambda: os.rename('d/f%d' % i, 'd/h%d' % i), lambda: os.chmod('d/victim', 0o777),
                                   lambda: os.symlink('x', 'd/s%d' % i), lambda: os.unlink('d/victim'),
                                   lambda: os.listdir('d'), lambda: open('d/victim', 'a').write('x')):
                            try:
                                op()
                                done += 1
                            except OSError:
                                pass
                    print(done)
                    """);
            assertEquals(0, r.exitCode(), r.output());
            assertTrue(Integer.parseInt(r.out().strip()) > 100, "operations that succeeded: " + r.out());
            for (int i = 0; i < 3000; i++) { // the daemon asked directly, as the kernel would after a lookup
                Entry e;
                try {
                    e = m.fs.lookup(req(Opcode.LOOKUP, 1), 1, "d");
                } catch (FuseException between) {
                    continue; // the name is between its two inodes
                }
                try {
                    Entry f = m.fs.mknod(req(Opcode.MKNOD, e.nodeId()), e.nodeId(), "api" + i, 0100644, 0, 0);
                    m.fs.forget(f.nodeId(), 1);
                    m.fs.unlink(req(Opcode.UNLINK, e.nodeId()), e.nodeId(), "victim");
                } catch (FuseException refused) {
                    // ENOTDIR on the symlink's node, ENOENT on a victim already gone: both inside
                } finally {
                    m.fs.forget(e.nodeId(), 1);
                }
            }
        } finally {
            stop.set(true);
            racer.join();
        }
        assertTrue(swaps.get() > 1000, swaps + " swaps");
        try (var listing = Files.list(secret)) {
            List<String> names = listing.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("victim"), names.size() > 10 ? names.subList(0, 10) : names,
                    "nothing may be made outside (" + names.size() + " entries)");
        }
        assertEquals("outside", Files.readString(secret.resolve("victim")));
        assertEquals("rw-r--r--",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(secret.resolve("victim"))));
    }

    /** Without allow_other, only the user who mounted (root here) gets in: the kernel refuses nobody. */
    @Test
    void aSecondUserCannotReadTheMountWithoutAllowOther() throws Exception {
        m = PassthroughMount.mount(false, Duration.ofSeconds(1), PassthroughMount.SIZE, "default_permissions");
        Files.writeString(m.source.resolve("f"), "for everyone");
        Files.setPosixFilePermissions(m.source.resolve("f"), PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals("for everyone", Files.readString(m.mountpoint.resolve("f")), "root reads it");
        Shell.Result cat = Shell.asNobody(null, List.of(), "cat", m.mountpoint.resolve("f").toString());
        assertTrue(cat.exitCode() != 0 && cat.output().contains("Permission denied"), cat.output());
        Shell.Result stat = Shell.asNobody(null, List.of(), "stat", m.mountpoint.toString());
        assertTrue(stat.exitCode() != 0 && stat.output().contains("Permission denied"), stat.output());
        Shell.Result source = Shell.asNobody(null, List.of(), "cat", m.source.resolve("f").toString());
        assertEquals("for everyone", source.out(), "the source itself is readable: the mount is what refuses");
    }

    /** With allow_other, the same user reads what the modes allow (the contrast for the test above). */
    @Test
    void withAllowOtherTheSecondUserReadsWhatTheModesAllow() throws Exception {
        m = PassthroughMount.mount(false);
        Files.writeString(m.source.resolve("f"), "for everyone");
        Files.setPosixFilePermissions(m.source.resolve("f"), PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(m.source.resolve("g"), "root's");
        Files.setPosixFilePermissions(m.source.resolve("g"), PosixFilePermissions.fromString("rw-------"));
        assertEquals("for everyone", Shell.asNobody(null, List.of(), "cat", m.mountpoint.resolve("f").toString())
                .ok().out());
        Shell.Result g = Shell.asNobody(null, List.of(), "cat", m.mountpoint.resolve("g").toString());
        assertTrue(g.exitCode() != 0 && g.output().contains("Permission denied"), g.output());
    }

    /**
     * Through the kernel alone (no direct calls): reading files makes nodes, each holding a descriptor; dropping
     * the kernel's caches sends FORGET and every one of them is closed again, while the mount is still up.
     */
    @Test
    void forgetClosesTheNodesDescriptors() throws Exception {
        m = PassthroughMount.mount(true);
        sh(m.source, "mkdir d && for i in $(seq 200); do echo $i > d/f$i; done");
        int before = m.fs.openDescriptors();
        sh(m.mountpoint, "cat d/f* > /dev/null");
        assertTrue(m.fs.openDescriptors() >= before + 200, m.fs.openDescriptors() + " descriptors");
        long deadline = System.currentTimeMillis() + 10_000;
        do {
            ok(MountSupport.run("sh", "-c", "echo 2 > /proc/sys/vm/drop_caches"));
            Thread.sleep(100);
        } while (m.fs.openDescriptors() > before && System.currentTimeMillis() < deadline);
        assertEquals(before, m.fs.openDescriptors(), "descriptors left after every node was forgotten");
        assertEquals(before, m.descriptorsIntoSource().size(), m.descriptorsIntoSource().toString());
    }

    @Test
    void inodeNumbersAreTheSourcesAndNodeIdsAreFreedOnForget() throws Exception {
        m = PassthroughMount.mount(false);
        Files.writeString(m.source.resolve("f"), "x");
        assertEquals(ino(m.source.resolve("f")), ino(m.mountpoint.resolve("f")));
        Entry first = m.fs.lookup(req(Opcode.LOOKUP, 1), 1, "f");
        Entry again = m.fs.lookup(req(Opcode.LOOKUP, 1), 1, "f");
        assertEquals(first.nodeId(), again.nodeId(), "one node per source inode");
        m.fs.forget(first.nodeId(), 2);
        // The kernel too looked "f" up; drop its lookups so the node can go.
        ok(MountSupport.run("sh", "-c", "echo 2 > /proc/sys/vm/drop_caches"));
        long deadline = System.currentTimeMillis() + 5000;
        while (System.currentTimeMillis() < deadline) {
            try {
                m.fs.getattr(req(Opcode.GETATTR, first.nodeId()), first.nodeId(), OptionalLong.empty());
                Thread.sleep(50);
            } catch (FuseException gone) {
                assertEquals(Errno.ESTALE, gone.errno());
                return;
            }
        }
        throw new AssertionError("node " + first.nodeId() + " was not freed after every lookup was forgotten");
    }

    /** The same operations on the mount and on a plain tmpfs directory leave the same tree. */
    @Test
    void theMountBehavesLikeItsSourceDifferentially() throws Exception {
        m = PassthroughMount.mount(false);
        Path ref = Files.createDirectory(m.base.resolve("ref"));
        ok(MountSupport.run("mount", "-t", "tmpfs", "passthrough-test-ref", ref.toString()));
        try {
            String script = "umask 022 && mkdir -p a/b/c && echo hello > a/f && ln a/f a/g && ln -s ../f a/b/s"
                    + " && mkfifo a/p && mknod a/null c 1 3 && yes jfuser-passthrough | head -c 2621440 > big"
                    + " && dd if=/dev/zero of=sparse bs=1 count=1 seek=10M 2>/dev/null && truncate -s 5 a/f"
                    + " && mv a/b a/c2 && chmod 4711 a/g && setfattr -n user.k -v v a/f && touch -d 2000-01-01 a/f"
                    + " && cp -a a a2 && python3 -c \"import os; os.rename('a2/c2','a2/x', ) ; os.truncate('big', 123456)\""
                    + " && chown 123:456 a2/f && mkdir -m 1777 t && rm a2/p";
            String list = "find . -mindepth 1 -printf '%P %y %m %s %n %l %U:%G %TY\\n' | sort"
                    + " && find . -type f -exec md5sum {} + | sort && getfattr -R -d . 2>/dev/null | sort";
            sh(ref, script);
            sh(m.mountpoint, script);
            String expected = sh(ref, list);
            assertEquals(expected, sh(m.mountpoint, list), "the mount vs tmpfs");
            assertEquals(expected, sh(m.source, list), "the source vs tmpfs");
            assertEquals(sh(m.source, "find . -printf '%P %i\\n' | sort"),
                    sh(m.mountpoint, "find . -printf '%P %i\\n' | sort"), "inode numbers are the source's");
        } finally {
            MountSupport.run("umount", "-l", ref.toString());
            Files.deleteIfExists(ref);
        }
    }

    @Test
    void withKernelPassthroughReadsAndWritesNeverReachTheDaemon() throws Exception {
        m = PassthroughMount.mount(true);
        Path f = m.mountpoint.resolve("f");
        sh(m.mountpoint, "dd if=/dev/urandom of=f bs=1M count=8 2>/dev/null && cat f > /dev/null");
        assertEquals("", sh(m.base, "cmp src/f mnt/f"), "the mount reads the source's bytes");
        sh(m.mountpoint, "dd if=/dev/zero of=f bs=4k count=3 seek=100 conv=notrunc 2>/dev/null && sync f");
        byte[] source = Files.readAllBytes(m.source.resolve("f"));
        assertArrayEquals(source, Files.readAllBytes(f));
        assertEquals(8 << 20, source.length);
        for (int i = 100 * 4096; i < 103 * 4096; i++) {
            assertEquals(0, source[i], "the write landed in the source at " + i);
        }
        assertEquals(0, m.fs.servedReads(), "READ requests that reached the daemon");
        assertEquals(0, m.fs.servedWrites(), "WRITE requests that reached the daemon");
    }

    /**
     * Without HANDLE_KILLPRIV_V2 the kernel asks for security.capability before every write it passes through
     * (a round trip per write); with it, once per file until its attributes change.
     */
    @Test
    void passedThroughWritesDoNotAskTheDaemonForCapabilities() throws Exception {
        m = PassthroughMount.mount(true);
        sh(m.mountpoint, "dd if=/dev/zero of=f bs=4k count=2048 2>/dev/null && dd if=/dev/zero of=f bs=4k"
                + " count=2048 conv=notrunc 2>/dev/null");
        assertEquals(0, m.fs.servedWrites());
        assertTrue(m.fs.servedGetxattrs() <= 4, m.fs.servedGetxattrs() + " GETXATTR requests for 4096 writes");
        assertEquals(8 << 20, Files.size(m.source.resolve("f")));
    }

    @Test
    void withoutKernelPassthroughTheDaemonServesTheSameBytes() throws Exception {
        m = PassthroughMount.mount(false);
        sh(m.mountpoint, "dd if=/dev/urandom of=f bs=1M count=2 2>/dev/null && echo 3 > /proc/sys/vm/drop_caches"
                + " && cat f > /dev/null");
        assertEquals("", sh(m.base, "cmp src/f mnt/f"));
        assertTrue(m.fs.servedReads() > 0 && m.fs.servedWrites() > 0);
    }

    @Test
    void fsyncLeavesTheDataInTheSourceAndStatfsIsTheSources() throws Exception {
        for (boolean kernel : new boolean[] {false, true}) {
            m = PassthroughMount.mount(kernel);
            // Written into the mount's page cache (mmap), so nothing need reach the source before the fsync.
            String read = sh(m.mountpoint, "python3 -c \"import os, mmap; fd = os.open('f', os.O_CREAT | os.O_RDWR);"
                    + " os.ftruncate(fd, 4096); mm = mmap.mmap(fd, 4096); mm[0:4] = b'kept';"
                    + " os.fsync(fd); print(open('" + m.source + "/f', 'rb').read(4).decode()); os.close(fd)\"");
            assertEquals("kept", read.strip(), "the source after fsync returned (kernel passthrough " + kernel + ")");
            if (!kernel) {
                m.close();
                m = null;
            }
        }
        assertEquals(sh(m.source, "stat -f -c '%b %S %c' ."), sh(m.mountpoint, "stat -f -c '%b %S %c' ."));
        Files.setPosixFilePermissions(m.base, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
