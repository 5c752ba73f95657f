package dev.jfuser.examples.nio;

import dev.jfuser.nio.NioFilesystem;
import dev.jfuser.path.PathAdapter;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.FilesystemContract;
import dev.jfuser.testkit.FsClient;
import dev.jfuser.testkit.FuseMountExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test kit's contract against the NIO adapter over the JDK's default filesystem (a directory under
 * {@code /var/tmp}, which keeps user xattrs where tmpfs may not): fake kernel and real mount.
 */
class NioDefaultContractTest {
    private static final java.util.List<Path> DIRS = new java.util.concurrent.CopyOnWriteArrayList<>();

    static PathAdapter adapter() {
        try {
            Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "jfuser-nio-");
            DIRS.add(dir);
            return new PathAdapter(new NioFilesystem(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void removeDirectories() throws IOException {
        for (Path d : DIRS) {
            try (Stream<Path> s = Files.walk(d)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Nested
    class ThroughTheFakeKernel extends FilesystemContract {
        private static FakeKernel kernel;

        @BeforeAll
        static void start() throws IOException {
            kernel = FakeKernel.start(adapter());
        }

        @AfterAll
        static void stop() {
            kernel.close();
        }

        /** java.nio.file has no mknod(2) and no atomic exchange of two names. */
        @Override
        protected Set<Feature> unsupported() {
            return EnumSet.of(Feature.DEVICES, Feature.FIFOS, Feature.RENAME_EXCHANGE);
        }

        @Override
        protected FsClient client() {
            return FsClient.of(kernel);
        }
    }

    @Nested
    @Tag("mount")
    class ThroughARealMount extends FilesystemContract {
        @RegisterExtension
        static final FuseMountExtension MOUNT = FuseMountExtension.of(NioDefaultContractTest::adapter);

        /** java.nio.file has no mknod(2) and no atomic exchange of two names. */
        @Override
        protected Set<Feature> unsupported() {
            return EnumSet.of(Feature.DEVICES, Feature.FIFOS, Feature.RENAME_EXCHANGE);
        }

        @Override
        protected FsClient client() {
            return FsClient.mounted(MOUNT.root());
        }
    }
}
