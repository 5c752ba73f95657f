package dev.jfuser.examples.passthrough;

import dev.jfuser.testkit.FilesystemContract;
import dev.jfuser.testkit.FsClient;
import dev.jfuser.testkit.FuseMountExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test kit's portable contract against passthrough on a real mount, over a fresh source directory, with and
 * without kernel passthrough.
 */
@Tag("mount")
class PassthroughPortableContractTest {
    private static final java.util.List<Path> SOURCES = new java.util.concurrent.CopyOnWriteArrayList<>();

    static PassthroughFs mirror(boolean kernelPassthrough) {
        try {
            Path src = Files.createTempDirectory("jfuser-test-passthrough-src-");
            SOURCES.add(src);
            return new PassthroughFs(src, kernelPassthrough, Duration.ofSeconds(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void removeSources() throws Exception {
        for (Path src : SOURCES) {
            new ProcessBuilder("rm", "-rf", src.toString()).start().waitFor();
        }
    }

    @Nested
    class ThroughARealMount extends FilesystemContract {
        @RegisterExtension
        static final FuseMountExtension MOUNT = FuseMountExtension.of(() -> mirror(false));

        @Override
        protected FsClient client() {
            return FsClient.mounted(MOUNT.root());
        }
    }

    @Nested
    class WithKernelPassthrough extends FilesystemContract {
        @RegisterExtension
        static final FuseMountExtension MOUNT = FuseMountExtension.of(() -> mirror(true));

        @Override
        protected FsClient client() {
            return FsClient.mounted(MOUNT.root());
        }
    }
}
