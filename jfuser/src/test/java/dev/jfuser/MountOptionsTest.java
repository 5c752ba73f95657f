package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MountOptionsTest {

    @Test
    void defaultsAreNosuidNodevWithFsnameJfuser() {
        MountOptions o = MountOptions.defaults();
        assertEquals("jfuser", o.fsname());
        assertEquals(Optional.empty(), o.subtype());
        assertFalse(o.suid());
        assertFalse(o.dev());
        assertTrue(o.exec());
        assertFalse(o.readOnly());
        assertEquals("fsname=jfuser,nosuid,nodev", o.toString());
        assertEquals(o, MountOptions.parse(""));
    }

    @Test
    void builderSetsEverything() {
        MountOptions o = MountOptions.builder().fsname("x").subtype("hello").allowOther().defaultPermissions()
                .readOnly().suid(true).dev(true).exec(false).noAtime(true).sync(true).dirSync(true).autoUnmount()
                .maxRead(65536).blksize(4096).option("context=system_u:object_r:fusefs_t:s0").build();
        assertEquals("fsname=x,subtype=hello,allow_other,default_permissions,ro,suid,dev,noexec,noatime,sync,dirsync,"
                + "auto_unmount,max_read=65536,blksize=4096,context=system_u:object_r:fusefs_t:s0", o.toString());
        assertEquals(o, MountOptions.parse(o.toString()));
        assertEquals(o, o.toBuilder().build());
        assertEquals(o.hashCode(), MountOptions.parse(o.toString()).hashCode());
    }

    @Test
    void parsesEveryKnownOption() {
        MountOptions o = MountOptions.parse("fsname=demo,subtype=memfs,allow_root,default_permissions,ro,suid,dev,"
                + "noexec,noatime,sync,dirsync,auto_unmount,max_read=8192,blksize=512");
        assertEquals("demo", o.fsname());
        assertEquals(Optional.of("memfs"), o.subtype());
        assertTrue(o.allowRoot());
        assertFalse(o.allowOther());
        assertTrue(o.defaultPermissions());
        assertTrue(o.readOnly());
        assertTrue(o.suid());
        assertTrue(o.dev());
        assertFalse(o.exec());
        assertTrue(o.noAtime());
        assertTrue(o.sync());
        assertTrue(o.dirSync());
        assertTrue(o.autoUnmount());
        assertEquals(8192, o.maxRead());
        assertEquals(512, o.blksize());
        assertEquals(List.of(), o.customOptions());
    }

    @Test
    void laterOptionsOverrideEarlierOnes() {
        MountOptions o = MountOptions.parse("ro,rw,suid,nosuid,dev,nodev,noexec,exec,noatime,atime,sync,async,"
                + "fsname=a,fsname=b");
        assertEquals(MountOptions.builder().fsname("b").build(), o);
    }

    @Test
    void atimeOptionsFollowMount8() {
        assertEquals(MountOptions.Atime.RELATIME, MountOptions.defaults().atime());
        assertEquals(MountOptions.Atime.RELATIME, MountOptions.parse("relatime").atime());
        assertEquals(MountOptions.defaults(), MountOptions.parse("relatime"), "relatime is the default");
        assertEquals(MountOptions.Atime.NOATIME, MountOptions.parse("noatime").atime());
        assertTrue(MountOptions.parse("noatime").noAtime());
        assertEquals(MountOptions.Atime.STRICTATIME, MountOptions.parse("strictatime").atime());
        assertEquals(MountOptions.Atime.STRICTATIME, MountOptions.parse("norelatime").atime());
        assertEquals(MountOptions.Atime.RELATIME, MountOptions.parse("noatime,atime").atime());
        assertEquals(MountOptions.Atime.STRICTATIME, MountOptions.parse("strictatime,atime").atime(),
                "atime undoes noatime only");
        assertEquals(MountOptions.Atime.RELATIME, MountOptions.parse("strictatime,nostrictatime").atime());
        assertEquals(MountOptions.Atime.NOATIME, MountOptions.parse("strictatime,noatime").atime(), "last one wins");
        MountOptions o = MountOptions.parse("strictatime,nodiratime,lazytime");
        assertTrue(o.noDirAtime() && o.lazyTime());
        assertEquals(List.of(), o.customOptions(), "mount flags, not options for the kernel's FUSE");
        assertEquals("fsname=jfuser,nosuid,nodev,strictatime,nodiratime,lazytime", o.toString());
        assertEquals(o, MountOptions.parse(o.toString()));
        assertFalse(MountOptions.parse("nodiratime,diratime,lazytime,nolazytime").noDirAtime());
        assertEquals(MountOptions.defaults(), MountOptions.parse("nodiratime,diratime,lazytime,nolazytime"));
        assertEquals(MountOptions.Atime.NOATIME,
                MountOptions.builder().atime(MountOptions.Atime.NOATIME).build().atime());
        assertEquals(MountOptions.Atime.STRICTATIME,
                MountOptions.builder().atime(MountOptions.Atime.STRICTATIME).noAtime(false).build().atime());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse("relatime=1"));
        assertEquals("mount option 'relatime=1' takes no value: write relatime", e.getMessage());
    }

    @Test
    void anEmptySubtypeAsksForThePlainFuseType() {
        MountOptions o = MountOptions.parse("subtype=memfs,subtype=");
        assertEquals(Optional.of(""), o.subtype());
        assertEquals("fsname=jfuser,subtype=,nosuid,nodev", o.toString());
        assertEquals(o, MountOptions.parse(o.toString()));
        assertEquals(Optional.empty(), MountOptions.defaults().subtype(), "unset is not the same as empty");
        assertEquals(Optional.of(""), MountOptions.builder().subtype("").build().subtype());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MountOptions.parse("subtype"));
        assertTrue(e.getMessage().contains("subtype= for the plain type fuse"), e.getMessage());
    }

    @Test
    void backslashEscapesCommaAndBackslashInValues() {
        MountOptions o = MountOptions.parse("fsname=a\\,b\\\\c,subtype=x\\,y");
        assertEquals("a,b\\c", o.fsname());
        assertEquals(Optional.of("x,y"), o.subtype());
        assertEquals("fsname=a\\,b\\\\c,subtype=x\\,y,nosuid,nodev", o.toString());
        // Any escaped character stands for itself, as in libfuse.
        assertEquals("ab", MountOptions.parse("fsname=\\a\\b").fsname());
    }

    @Test
    void optionTakesOneUnescapedOption() {
        assertEquals("a,b", MountOptions.builder().option("fsname=a,b").build().fsname());
        assertTrue(MountOptions.builder().option("ro").build().readOnly());
    }

    @Test
    void unknownOptionsAreKeptForTheKernelInOrder() {
        MountOptions o = MountOptions.parse("context=system_u:object_r:fusefs_t:s0,ro,rootcontext=x,iversion");
        assertEquals(List.of("context=system_u:object_r:fusefs_t:s0", "rootcontext=x", "iversion"),
                o.customOptions());
        assertEquals("fsname=jfuser,ro,nosuid,nodev,context=system_u:object_r:fusefs_t:s0,rootcontext=x,iversion",
                o.toString());
    }

    @Test
    void allowOtherAndAllowRootExcludeEachOther() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MountOptions.parse("allow_other,allow_root"));
        assertEquals("allow_other and allow_root cannot both be set: choose one (allow_root admits only root and the "
                + "mounting user, allow_other everybody)", e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> MountOptions.builder().allowOther().allowRoot().build());
        assertTrue(MountOptions.builder().allowOther().allowRoot().allowOther(false).build().allowRoot());
    }

    /** Each bad input, and a fragment its message must contain: the option as written, and the way out. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            foo=                     | unknown mount option 'foo=': a custom option with '=' needs a value
            ro=1                     | mount option 'ro=1' takes no value: write ro
            allow_other=yes          | mount option 'allow_other=yes' takes no value: write allow_other
            fsname=                  | mount option 'fsname=' needs a value: write fsname=NAME
            fsname                   | mount option 'fsname' needs a value: write fsname=NAME
            subtype                  | mount option 'subtype' needs a value: write subtype=TYPE
            max_read=abc             | mount option 'max_read=abc' needs a positive whole number of bytes
            max_read=0               | mount option 'max_read=0' needs a positive whole number
            max_read=-1              | mount option 'max_read=-1' needs a positive whole number
            blksize=1000             | blksize must be a power of two of at least 512, got 1000
            blksize=256              | blksize must be a power of two of at least 512, got 256
            fd=3                     | mount option 'fd=3' is set by jfuser itself when it mounts: remove it
            rootmode=40000           | mount option 'rootmode=40000' is set by jfuser itself
            user_id=0                | mount option 'user_id=0' is set by jfuser itself
            group_id=0               | mount option 'group_id=0' is set by jfuser itself
            nonempty                 | mount option 'nonempty' was removed in FUSE 3: remove it
            blkdev                   | mount option 'blkdev' asks for a block-device (fuseblk) mount
            kernel_cache             | mount option 'kernel_cache' configures the libfuse library, not the mount
            entry_timeout=1          | mount option 'entry_timeout=1' configures the libfuse library
            ro,,rw                   | empty mount option in 'ro,,rw': remove the extra comma
            "ro,"                    | empty mount option in 'ro,': remove the extra comma
            ",ro"                    | empty mount option in ',ro': remove the extra comma
            fsname=x\\               | mount option 'fsname=x\\' ends with a lone backslash
            " rw"                    | unknown mount option ' rw': option names use only letters
            =x                       | unknown mount option '=x': it has no name before '='
            foo=a\\,b                | unknown mount option 'foo=a\\,b': custom options go to the kernel as-is
            foo=a\\\\b               | unknown mount option 'foo=a\\\\b': custom options go to the kernel as-is
            """)
    void validationErrorsNameTheOptionAndTheFix(String input, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MountOptions.parse(input));
        assertTrue(e.getMessage().contains(expected), () -> "message: " + e.getMessage());
    }

    @Test
    void builderRejectsBadValuesWithTheOptionName() {
        assertEquals("fsname must not be empty: write fsname=NAME or leave it unset",
                assertThrows(IllegalArgumentException.class, () -> MountOptions.builder().fsname("")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MountOptions.builder().fsname("a\0b"))
                .getMessage().startsWith("fsname 'a\\0b' contains a NUL character"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MountOptions.builder().subtype("a\0"))
                .getMessage().startsWith("subtype 'a\\0' contains a NUL"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MountOptions.builder().maxRead(-5))
                .getMessage().startsWith("max_read must be a positive number of bytes, got -5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MountOptions.builder().option("foo=a,b"))
                .getMessage().startsWith("unknown mount option 'foo=a,b'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MountOptions.builder().option("x=a\0"))
                .getMessage().contains("NUL"));
    }

    @Test
    void subtypeCanBeCleared() {
        assertEquals(Optional.empty(), MountOptions.builder().subtype("x").subtype(null).build().subtype());
    }

    @Test
    void equalityCoversCustomOptions() {
        assertNotEquals(MountOptions.parse("a"), MountOptions.parse("b"));
        assertNotEquals(MountOptions.parse("a,b"), MountOptions.parse("b,a"));
        assertEquals(MountOptions.parse("a,b"), MountOptions.parse("a,b"));
    }
}
