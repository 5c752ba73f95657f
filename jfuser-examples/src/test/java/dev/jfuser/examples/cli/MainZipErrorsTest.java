package dev.jfuser.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code jfuser zip} says what it expects, and refuses a file that is not a zip before mounting anything. */
class MainZipErrorsTest {
    private static String run(int expectedCode, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(expectedCode, code, text);
        return text;
    }

    @Test
    void theZipFileIsNamed() {
        assertTrue(run(2, "zip", "/nonexistent-mountpoint").contains("expected zip FILE.zip MOUNTPOINT"));
    }

    @Test
    void aFileThatIsNotAZipIsRefused() throws Exception {
        Path notZip = Files.createTempFile("jfuser-not-a-zip", ".zip");
        try {
            Files.writeString(notZip, "plain text, not a zip archive\n");
            String err = run(1, "zip", notZip.toString(), "/nonexistent-mountpoint");
            assertTrue(err.contains(notZip.toString()) && err.contains("not a zip"), err);
        } finally {
            Files.delete(notZip);
        }
    }
}
