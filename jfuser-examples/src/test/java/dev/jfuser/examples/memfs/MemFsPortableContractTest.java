package dev.jfuser.examples.memfs;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.examples.support.AsyncView;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.FilesystemContract;
import dev.jfuser.testkit.FsClient;
import dev.jfuser.testkit.FuseMountExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test kit's portable contract against memfs four ways: through the fake kernel and through a real mount, each
 * with the blocking API and with memfs seen through the async API. A correct filesystem gets the same verdict from
 * all four.
 */
class MemFsPortableContractTest {
    private static final ExecutorService POOL = Executors.newFixedThreadPool(4);

    static MemFs memfs() {
        try {
            return new MemFs();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static AsyncFilesystem asyncMemfs() {
        return AsyncView.of(memfs(), POOL);
    }

    @AfterAll
    static void stopPool() {
        POOL.shutdownNow();
    }

    @Nested
    class ThroughTheFakeKernel extends FilesystemContract {
        private static FakeKernel kernel;

        @BeforeAll
        static void start() throws IOException {
            kernel = FakeKernel.start(memfs());
        }

        @AfterAll
        static void stop() {
            kernel.close();
        }

        @Override
        protected FsClient client() {
            return FsClient.of(kernel);
        }
    }

    @Nested
    class AsyncThroughTheFakeKernel extends FilesystemContract {
        private static FakeKernel kernel;

        @BeforeAll
        static void start() throws IOException {
            kernel = FakeKernel.start(asyncMemfs());
        }

        @AfterAll
        static void stop() {
            kernel.close();
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
        static final FuseMountExtension MOUNT = FuseMountExtension.of(MemFsPortableContractTest::memfs);

        @Override
        protected FsClient client() {
            return FsClient.mounted(MOUNT.root());
        }
    }

    @Nested
    @Tag("mount")
    class AsyncThroughARealMount extends FilesystemContract {
        @RegisterExtension
        static final FuseMountExtension MOUNT = FuseMountExtension.ofAsync(MemFsPortableContractTest::asyncMemfs);

        @Override
        protected FsClient client() {
            return FsClient.mounted(MOUNT.root());
        }
    }
}
