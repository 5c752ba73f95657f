package dev.jfuser.examples.nio;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import dev.jfuser.nio.NioFilesystem;
import dev.jfuser.path.PathAdapter;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.FilesystemContract;
import dev.jfuser.testkit.FsClient;
import dev.jfuser.testkit.FuseMountExtension;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The test kit's contract against the NIO adapter over an in-memory jimfs: fake kernel and real mount. */
class NioJimfsContractTest {
    /** A Unix-like jimfs with every attribute view it has, user-defined attributes (xattrs) among them. */
    static FileSystem jimfs() {
        return Jimfs.newFileSystem(Configuration.unix().toBuilder()
                .setAttributeViews("basic", "owner", "posix", "unix", "user").build());
    }

    static PathAdapter adapter() {
        return new PathAdapter(new NioFilesystem(jimfs().getPath("/")));
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
        static final FuseMountExtension MOUNT = FuseMountExtension.of(NioJimfsContractTest::adapter);

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
