package dev.jfuser.examples.memfs;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.AttrReply;
import dev.jfuser.DelegatingAsyncFilesystem;
import dev.jfuser.Request;
import dev.jfuser.examples.support.AsyncView;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.FilesystemContract;
import dev.jfuser.testkit.FsClient;
import dev.jfuser.testkit.FuseMountExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test kit's portable contract against memfs six ways: through the fake kernel and through a real mount, each
 * with the blocking API, with memfs seen through the async API, and behind {@link DelegatingAsyncFilesystem} with
 * one operation made async. A correct filesystem gets the same verdict from all six.
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

    /** memfs behind the async API's porting adapter, with one operation (getattr) made async. */
    static AsyncFilesystem delegatingMemfs() {
        MemFs fs = memfs();
        return new DelegatingAsyncFilesystem(fs) {
            @Override
            public CompletionStage<AttrReply> getattr(Request req, long nodeId, OptionalLong fh) {
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        return fs.getattr(req, nodeId, fh);
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                }, POOL);
            }
        };
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
    class DelegatingThroughTheFakeKernel extends FilesystemContract {
        private static FakeKernel kernel;

        @BeforeAll
        static void start() throws IOException {
            kernel = FakeKernel.start(delegatingMemfs());
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
    class DelegatingThroughARealMount extends FilesystemContract {
        @RegisterExtension
        static final FuseMountExtension MOUNT = FuseMountExtension.ofAsync(
                MemFsPortableContractTest::delegatingMemfs);

        @Override
        protected FsClient client() {
            return FsClient.mounted(MOUNT.root());
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
