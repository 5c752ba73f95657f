package dev.jfuser.examples.path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.jfuser.examples.notes.NotesFs;
import dev.jfuser.nio.NioFilesystem;
import dev.jfuser.path.AsyncPathAdapter;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.FilesystemContract;
import dev.jfuser.testkit.FsClient;
import dev.jfuser.testkit.FuseMountExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test kit's contract through the async path API ({@link AsyncPathAdapter}): the NIO adapter over jimfs seen
 * through completion stages, through the fake kernel and a real mount; and the shared node table's bookkeeping
 * (renames of open files, listings, FORGET) through it.
 */
class AsyncPathContractTest {
    private static final ExecutorService POOL = Executors.newFixedThreadPool(4);

    static AsyncPathAdapter adapter() {
        return new AsyncPathAdapter(new AsyncPathView(new NioFilesystem(Jimfs.newFileSystem(Configuration.unix()
                .toBuilder().setAttributeViews("basic", "owner", "posix", "unix", "user").build()).getPath("/")),
                POOL));
    }

    @AfterAll
    static void stopPool() {
        POOL.shutdownNow();
    }

    @Test
    void theTableIsSharedBookkeeping() throws Exception {
        // notes finds files by path alone: reads after the renames prove the adapter passes the new path
        AsyncPathAdapter a = new AsyncPathAdapter(new AsyncPathView(new NotesFs(), POOL));
        try (FakeKernel k = FakeKernel.start(a)) {
            int empty = a.nodeCount();
            k.mkdir("/d", 0755);
            k.writeFile("/d/f", "before".getBytes(StandardCharsets.UTF_8));
            try (FakeKernel.OpenFile f = k.open("/d/f", 2)) {
                k.rename("/d", "/e");
                f.write(0, "BE".getBytes(StandardCharsets.UTF_8));
                assertArrayEquals("BEfore".getBytes(StandardCharsets.UTF_8), f.read(0, 100));
            }
            List<FakeKernel.DirEntry> l = k.readdir("/e", false, 4096);
            assertEquals(List.of(".", "..", "f"), l.stream().map(FakeKernel.DirEntry::name).toList());
            assertEquals(k.stat("/").ino(), l.get(1).ino());
            k.sync();
            assertEquals(empty, a.nodeCount(), "every lookup was forgotten");
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

        /** Served by the NIO adapter over jimfs: java.nio.file has no mknod(2) and no atomic exchange of two names. */
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
        static final FuseMountExtension MOUNT = FuseMountExtension.ofAsync(AsyncPathContractTest::adapter);

        /** Served by the NIO adapter over jimfs: java.nio.file has no mknod(2) and no atomic exchange of two names. */
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
