package dev.jfuser.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class S3FsOptionsTest {
    @Test
    void bucketAndPrefixFromTheCommandLine() {
        assertEquals("", S3FsOptions.parse("my-bucket").prefix());
        assertEquals("a/b/", S3FsOptions.parse("my-bucket/a/b").prefix());
        assertEquals("a/b/", S3FsOptions.parse("my-bucket/a/b/").prefix());
        assertEquals("my-bucket", S3FsOptions.parse("my-bucket/a").bucket());
        assertEquals("s3://b-1/p/ at http://h:1", S3FsOptions.parse("b-1/p").withEndpoint(URI.create("http://h:1"))
                .toString());
    }

    @Test
    void badValuesNameTheThingAndTheRule() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> S3FsOptions.parse("Bad_Bucket")).getMessage()
                .contains("'Bad_Bucket' is not a valid S3 bucket name"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> S3FsOptions.parse("b-1//x")).getMessage()
                .contains("prefix"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> S3FsOptions.of("b-1", "")
                .withParts(1 << 20, 2)).getMessage().contains("at least 5 MiB"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> S3FsOptions.of("b-1", "")
                .withTimeouts(Duration.ZERO, Duration.ofSeconds(1), 1)).getMessage().contains("positive"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> S3FsOptions.of("b-1", "")
                .withPrefetch(-1, 1 << 20)).getMessage().contains("budget"));
    }
}
