package dev.jfuser.internal.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.MountOptions;
import dev.jfuser.internal.sys.LibC;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mounter's pure parts and the checks that fail before anything is mounted. */
class MounterTest {
    @TempDir
    Path tmp;

    @Test
    void kernelOptionsForTheDefaults() {
        assertEquals("fd=5,rootmode=40000,user_id=1000,group_id=100",
                Mounter.kernelOptions(MountOptions.defaults(), 5, 1000, 100));
    }

    @Test
    void kernelOptionsCarryFuseOptionsButNotVfsFlags() {
        MountOptions o = MountOptions.parse("fsname=x,subtype=y,default_permissions,allow_root,ro,noexec,"
                + "max_read=4096,context=system_u:object_r:fusefs_t:s0");
        assertEquals("fd=7,rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other,max_read=4096,"
                + "context=system_u:object_r:fusefs_t:s0", Mounter.kernelOptions(o, 7, 0, 0));
    }

    @Test
    void mountFlags() {
        assertEquals(LibC.MS_NOSUID | LibC.MS_NODEV, Mounter.mountFlags(MountOptions.defaults()));
        assertEquals(LibC.MS_RDONLY | LibC.MS_NOEXEC | LibC.MS_NOATIME | LibC.MS_SYNCHRONOUS | LibC.MS_DIRSYNC,
                Mounter.mountFlags(MountOptions.parse("ro,suid,dev,noexec,noatime,sync,dirsync")));
        assertEquals(0x1 | 0x8 | 0x400 | 0x10 | 0x80, // the kernel's values, spelled out once
                Mounter.mountFlags(MountOptions.parse("ro,suid,dev,noexec,noatime,sync,dirsync")));
    }

    @Test
    void fsTypeCarriesTheSubtype() {
        assertEquals("fuse", Mounter.fsType(MountOptions.defaults()));
        assertEquals("fuse.hello", Mounter.fsType(MountOptions.parse("subtype=hello")));
        assertEquals("fuse", Mounter.fsType(MountOptions.parse("subtype=hello,subtype=")));
        assertEquals("fsname=jfuser,rw,nosuid,nodev,exec", Mounter.fusermountOptions(MountOptions.parse("subtype=")));
    }

    @Test
    void atimeOptionsAreMountFlagsNotFuseOptions() {
        long base = LibC.MS_NOSUID | LibC.MS_NODEV;
        assertEquals(base, Mounter.mountFlags(MountOptions.parse("relatime")));
        assertEquals(base | LibC.MS_STRICTATIME, Mounter.mountFlags(MountOptions.parse("strictatime")));
        assertEquals(base | LibC.MS_NOATIME | LibC.MS_NODIRATIME | LibC.MS_LAZYTIME,
                Mounter.mountFlags(MountOptions.parse("noatime,nodiratime,lazytime")));
        assertEquals(1L << 24 | 1L << 25 | 2048, // the kernel's values, spelled out once
                LibC.MS_STRICTATIME | LibC.MS_LAZYTIME | LibC.MS_NODIRATIME);
        for (String o : new String[] {"relatime", "strictatime", "noatime", "nodiratime", "lazytime", "atime",
                "norelatime", "nostrictatime", "diratime", "nolazytime"}) {
            assertEquals("fd=3,rootmode=40000,user_id=0,group_id=0",
                    Mounter.kernelOptions(MountOptions.parse(o), 3, 0, 0), o + " is no FUSE option");
        }
        assertEquals("fsname=jfuser,rw,nosuid,nodev,exec,strictatime,nodiratime,lazytime",
                Mounter.fusermountOptions(MountOptions.parse("strictatime,nodiratime,lazytime")));
        assertEquals("fsname=jfuser,rw,nosuid,nodev,exec", Mounter.fusermountOptions(MountOptions.parse("relatime")),
                "relatime is the default, and older fusermount3 does not know the word");
    }

    @Test
    void fusermountOptionsEscapeValuesAndSpellOutFlags() {
        MountOptions o = MountOptions.builder().fsname("a,b\\c").subtype("t").allowRoot().autoUnmount()
                .option("lazytime").build();
        assertEquals("fsname=a\\,b\\\\c,subtype=t,allow_other,rw,nosuid,nodev,exec,lazytime,auto_unmount",
                Mounter.fusermountOptions(o));
    }

    @Test
    void missingMountpointSaysHowToCreateIt() {
        Path missing = tmp.resolve("nope");
        IOException e = assertThrows(IOException.class, () -> Mounter.mount(missing, MountOptions.defaults()));
        assertEquals("mountpoint " + missing + " does not exist: create it with mkdir -p " + missing, e.getMessage());
    }

    @Test
    void hintsQuotePathsForTheShell() {
        Path missing = tmp.resolve("with space");
        IOException e = assertThrows(IOException.class, () -> Mounter.mount(missing, MountOptions.defaults()));
        assertTrue(e.getMessage().endsWith("mkdir -p '" + missing + "'"), e.getMessage());
        assertEquals("'/a/it'\\''s'", Mounter.shellQuote(Path.of("/a/it's")));
    }

    @Test
    void fileAsMountpointIsRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        IOException e = assertThrows(IOException.class, () -> Mounter.mount(file, MountOptions.defaults()));
        assertTrue(e.getMessage().startsWith("mountpoint " + file + " is not a directory"), e.getMessage());
    }

    @Test
    void existingMountPointIsRefusedWithTheUnmountCommand() {
        IOException e = assertThrows(IOException.class,
                () -> Mounter.mount(Path.of("/proc"), MountOptions.defaults()));
        assertEquals("mountpoint /proc is already a mount point (proc): unmount it first with umount /proc, or choose "
                + "another directory", e.getMessage());
    }

    @Test
    void relativeAndUnnormalizedMountpointsAreResolved() {
        IOException e = assertThrows(IOException.class,
                () -> Mounter.mount(Path.of("/proc/self/.."), MountOptions.defaults()));
        assertTrue(e.getMessage().startsWith("mountpoint /proc is already a mount point"), e.getMessage());
    }

    @Test
    void isMountPointReadsMountinfo() {
        assertTrue(Mounter.isMountPoint(Path.of("/")));
        assertTrue(Mounter.isMountPoint(Path.of("/proc")));
        assertFalse(Mounter.isMountPoint(tmp));
    }

    @Test
    void mountinfoParsingUnescapesOctal() {
        String text = """
                22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
                95 22 0:52 / /tmp/with\\040space\\011tab\\134back rw,nosuid,nodev shared:40 - fuse.hello my\\040fs rw,user_id=0
                96 22 0:53 / /mnt/x rw - fuse jfuser rw
                """;
        List<MountInfo> mounts = MountInfo.parse(text);
        assertEquals(3, mounts.size());
        assertEquals(new MountInfo(95, Path.of("/tmp/with space\ttab\\back"), "fuse.hello", "my fs"), mounts.get(1));
        assertEquals(new MountInfo(96, Path.of("/mnt/x"), "fuse", "jfuser"), mounts.get(2), "no optional fields");
        assertEquals("a\\0b", MountInfo.unescape("a\\0b"), "not an escape: left alone");
    }

    @Test
    void findsFusermount3() throws IOException {
        MounterMountTest.assumeFusermount();
        Path fm = Mounter.findFusermount();
        assertEquals("fusermount3", fm.getFileName().toString());
        assertTrue(Files.isExecutable(fm));
    }

    @Test
    void fusermountHintsNameTheFix() {
        MountOptions plain = MountOptions.defaults();
        Path fm = Path.of("/usr/bin/fusermount3");
        assertTrue(Mounter.fusermountHint("fusermount3: failed to open /dev/fuse: Permission denied", plain, fm)
                .contains("chmod 0666 /dev/fuse"));
        assertTrue(Mounter.fusermountHint("fusermount3: option allow_other only allowed if 'user_allow_other' is set "
                + "in /etc/fuse.conf", MountOptions.parse("allow_root"), fm)
                .contains("user_allow_other to /etc/fuse.conf, or mount without allow_root"));
        assertTrue(Mounter.fusermountHint("fusermount3: unknown option 'foo=bar'", MountOptions.parse("foo=bar"), fm)
                .contains("[foo=bar]"));
        assertTrue(Mounter.fusermountHint("fusermount3: user has no write access to mountpoint /x", plain, fm)
                .contains("write access"));
        assertTrue(Mounter.fusermountHint("fusermount3: mount failed: Operation not permitted", plain, fm)
                .contains("chmod u+s /usr/bin/fusermount3"));
        assertNull(Mounter.fusermountHint("something new", plain, fm));
    }
}
