package dev.jfuser.examples.clock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.examples.MountSupport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The clock example through the kernel with caching on: each tick reaches readers only through notifications. */
@Tag("mount")
class ClockMountTest {
    @TempDir
    Path dir;

    /** A clock the test moves by hand. */
    static final class HandClock extends Clock {
        volatile Instant now = Instant.parse("2026-01-31T12:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static String cat(Path file) throws Exception {
        MountSupport.Result r = MountSupport.run("timeout", "20", "cat", file.toString());
        assertEquals(0, r.exitCode(), r.output());
        return r.output();
    }

    @ParameterizedTest
    @EnumSource(ClockFs.Mode.class)
    void readersSeeEachTickOnlyWhenTheFilesystemNotifies(ClockFs.Mode mode) throws Exception {
        MountSupport.assumeRootAndFuse();
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        HandClock clock = new HandClock();
        ClockFs fs = new ClockFs(clock, mode, Duration.ZERO, 0, 0);
        Mount mount = Fuse.mount(fs, mp, MountOptions.builder().fsname("clock-test").build(), SessionOptions.DEFAULT);
        try {
            Path time = mp.resolve(ClockFs.FILE_NAME);
            assertEquals("2026-01-31T12:00:00Z\n", cat(time));
            for (int s = 1; s <= 3; s++) {
                clock.now = clock.now.plusSeconds(1);
                fs.tick();
                String expected = "2026-01-31T12:00:0" + s + "Z\n";
                assertEquals(expected, fs.content());
                if (mode == ClockFs.Mode.NONE) {
                    assertEquals("2026-01-31T12:00:00Z\n", cat(time), "the kernel's cache, never told");
                } else {
                    assertEquals(expected, cat(time));
                }
            }
        } finally {
            try {
                mount.close();
            } finally {
                assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
            }
        }
    }

    @Test
    void binJfuserClockTicksEverySecond() throws Exception {
        MountSupport.assumeRootAndFuse();
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        List<String> cmd = new ArrayList<>(MountSupport.cliCommand("clock", mp.toString()));
        Process cli = new ProcessBuilder(cmd).redirectErrorStream(true).start();
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
            Path time = mp.resolve(ClockFs.FILE_NAME);
            String a = cat(time);
            Thread.sleep(1500);
            String b = cat(time);
            assertNotEquals(a, b, "the second read still saw the first second");
            Instant shown = Instant.parse(b.strip());
            assertTrue(Math.abs(Duration.between(shown, Instant.now()).toMillis()) < 2500, b);
        } finally {
            MountSupport.run("umount", mp.toString());
            if (!cli.waitFor(20, TimeUnit.SECONDS)) {
                cli.destroyForcibly();
            }
            assertFalse(MountSupport.forceUnmount(mp), "the test left " + mp + " mounted");
        }
    }
}
