package dev.jfuser.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The memfs options of the CLI, without mounting. */
class MainMemfsOptionsTest {
    @Test
    void sizesTakeBinaryUnits() {
        assertEquals(4096, Main.parseSize("4096"));
        assertEquals(64L << 10, Main.parseSize("64k"));
        assertEquals(512L << 20, Main.parseSize("512M"));
        assertEquals(1L << 30, Main.parseSize("1G"));
        assertEquals(2L << 40, Main.parseSize("2T"));
        for (String bad : new String[] {"", "G", "-1G", "1.5G", "lots", "99999999999T"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Main.parseSize(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    private static String[] runCli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void aSizeBeyondTheHeapIsRefusedWithTheWayOut() {
        long heap = Runtime.getRuntime().maxMemory();
        String size = ((heap >> 20) + 1) + "M";
        String[] r = runCli("memfs", "/nonexistent-mountpoint", "--size", size);
        assertEquals("1", r[0], r[2]);
        assertTrue(r[2].contains("--size " + size) && r[2].contains("heap") && r[2].contains("-Xmx")
                && r[2].contains("JAVA_TOOL_OPTIONS") && r[2].contains("lower --size"), r[2]);
        assertTrue(Main.sizeBeyondHeap("1M", 1L << 20) == null, "a small memfs fits");
    }

    @Test
    void usageNamesMemfsAndItsOptions() {
        String[] r = runCli("--help");
        assertEquals("0", r[0]);
        assertTrue(r[1].contains("memfs") && r[1].contains("--size SIZE") && r[1].contains("--image FILE")
                && r[1].contains("--kernel-locks"), r[1]);
    }

    @Test
    void badMemfsOptionsAreUsageErrors() {
        String[] r = runCli("memfs", "/nonexistent-mountpoint", "--size", "huge");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--size needs a positive size like 512M or 1G, got 'huge'"), r[2]);
        r = runCli("hello", "/nonexistent-mountpoint", "--size", "1G");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--size and --image are options of memfs, not of hello"), r[2]);
        r = runCli("hello", "/nonexistent-mountpoint", "--kernel-locks");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--kernel-locks is an option of memfs, not of hello"), r[2]);
        r = runCli("memfs", "/nonexistent-mountpoint", "--image");
        assertEquals("2", r[0]);
        assertTrue(r[2].contains("--image needs a file"), r[2]);
    }
}
