package dev.jfuser.examples.notes;

import dev.jfuser.path.PathAdapter;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.FilesystemContract;
import dev.jfuser.testkit.FsClient;
import dev.jfuser.testkit.FuseMountExtension;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test kit's contract against the notes filesystem, written on the path API: fake kernel and real mount. Notes
 * keeps directories and files only and renames without flags, so it declares the rest unsupported (the NIO
 * adapter's contract tests run links and xattrs on the path API).
 */
class NotesFsContractTest {
    @Nested
    class ThroughTheFakeKernel extends FilesystemContract {
        private static FakeKernel kernel;

        @BeforeAll
        static void start() throws IOException {
            kernel = FakeKernel.start(new PathAdapter(new NotesFs()));
        }

        @AfterAll
        static void stop() {
            kernel.close();
        }

        /** Notes has directories and regular files only, renamed without flags. */
        @Override
        protected Set<Feature> unsupported() {
            return EnumSet.of(Feature.SYMLINKS, Feature.HARD_LINKS, Feature.XATTRS, Feature.DEVICES, Feature.FIFOS,
                    Feature.RENAME_NOREPLACE, Feature.RENAME_EXCHANGE);
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
        static final FuseMountExtension MOUNT = FuseMountExtension.of(() -> new PathAdapter(new NotesFs()));

        /** Notes has directories and regular files only, renamed without flags. */
        @Override
        protected Set<Feature> unsupported() {
            return EnumSet.of(Feature.SYMLINKS, Feature.HARD_LINKS, Feature.XATTRS, Feature.DEVICES, Feature.FIFOS,
                    Feature.RENAME_NOREPLACE, Feature.RENAME_EXCHANGE);
        }

        @Override
        protected FsClient client() {
            return FsClient.mounted(MOUNT.root());
        }
    }
}
