package dev.jfuser.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A bad option value names the option as the user typed it, the valid range, and a fix; never an internal name. */
class MainOptionErrorsTest {
    /** Runs the CLI without mounting (every case fails before it would); returns the first line of its stderr. */
    private static String error(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, text);
        return text.lines().findFirst().orElse("");
    }

    private static void assertNames(String message, String option, String... parts) {
        assertTrue(message.startsWith("jfuser: " + option), message);
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
        }
        for (String internal : new String[] {"readerThreads", "cacheBytes", "timeouts must", "ttl must not", "PT",
                "sizeLimit"}) {
            assertFalse(message.contains(internal), "names an internal field: " + message);
        }
    }

    @Test
    void readersOutOfRange() {
        for (String bad : new String[] {"0", "65", "-1", "two"}) {
            assertNames(error("hello", "/nonexistent-mountpoint", "--readers", bad), "--readers",
                    "from 1 to 64", "got '" + bad + "'", "e.g. --readers 2");
        }
    }

    @Test
    void httpfsTimesAndCache() {
        String url = "http://127.0.0.1:9/";
        assertNames(error("httpfs", url, "/nonexistent-mountpoint", "--timeout", "0"), "--timeout",
                "more than 0", "got '0'", "e.g. --timeout 30");
        assertNames(error("httpfs", url, "/nonexistent-mountpoint", "--connect-timeout", "-2"), "--connect-timeout",
                "more than 0", "e.g. --connect-timeout 5");
        assertNames(error("httpfs", url, "/nonexistent-mountpoint", "--ttl", "-1"), "--ttl", "0 to", "e.g. --ttl 5");
        assertNames(error("httpfs", url, "/nonexistent-mountpoint", "--cache", "-1"), "--cache", "from 0 to",
                "e.g. --cache 64");
        assertNames(error("httpfs", url, "/nonexistent-mountpoint", "--cache", "99999999999999"), "--cache",
                "from 0 to");
    }

    @Test
    void memfsSizeBelowTheMinimum() {
        assertNames(error("memfs", "/nonexistent-mountpoint", "--size", "1k"), "--size 1k", "at least",
                "e.g. --size 512M");
    }

    @Test
    void unknownTransport() {
        assertNames(error("hello", "/nonexistent-mountpoint", "--transport", "carrier-pigeon"), "--transport",
                "dev_fuse, io_uring or auto");
    }

    @Test
    void notifyModeUnknownOrOnAnotherExample() {
        assertNames(error("notify-entry", "/nonexistent-mountpoint", "--notify", "shout"), "--notify",
                "invalidate, expire, delete or none", "got 'shout'", "e.g. --notify delete");
        assertNames(error("notify-entry", "/nonexistent-mountpoint", "--notify"), "--notify",
                "invalidate, expire, delete or none");
        assertNames(error("memfs", "/nonexistent-mountpoint", "--notify", "delete"), "--notify",
                "an option of notify-entry, not of memfs");
    }
}
