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
import dev.jfuser.protocol.Opcode;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;
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
        m = PassthroughMount.mount(false);
        sh(m.mountpoint, "python3 -c \"import os; fd = os.open('f', os.O_CREAT | os.O_WRONLY); os.write(fd, b'kept');"
                + " os.fsync(fd); print(open('" + m.source + "/f').read()); os.close(fd)\"");
        assertEquals("kept", Files.readString(m.source.resolve("f")));
        assertEquals(sh(m.source, "stat -f -c '%b %S %c' ."), sh(m.mountpoint, "stat -f -c '%b %S %c' ."));
        Files.setPosixFilePermissions(m.base, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
