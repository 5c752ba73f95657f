package dev.jfuser.examples.notes;

import dev.jfuser.path.PathAdapter;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.FilesystemContract;
import dev.jfuser.testkit.FsClient;
import dev.jfuser.testkit.FuseMountExtension;
import java.io.IOException;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test kit's contract against the notes filesystem, written on the path API: fake kernel and real mount. Notes
 * keeps directories and files only, so the tests of symbolic links, hard links and xattrs are skipped (the NIO
 * adapter's contract tests run them on the path API).
 */
class NotesFsContractTest {
    /** Skips the tests of what notes does not have. */
    static final class WithoutLinksOrXattrs implements ExecutionCondition {
        private static final Set<String> MISSING = Set.of("symlinksPointAtTheirTarget",
                "hardLinksShareDataAndCountLinks", "extendedAttributesRoundTrip");

        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return context.getTestMethod().filter(m -> MISSING.contains(m.getName()))
                    .map(m -> ConditionEvaluationResult.disabled("notes has no symbolic links, hard links or xattrs"))
                    .orElse(ConditionEvaluationResult.enabled("notes has it"));
        }
    }

    @Nested
    @ExtendWith(WithoutLinksOrXattrs.class)
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

        @Override
        protected FsClient client() {
            return FsClient.of(kernel);
        }
    }

    @Nested
    @Tag("mount")
    @ExtendWith(WithoutLinksOrXattrs.class)
    class ThroughARealMount extends FilesystemContract {
        @RegisterExtension
        static final FuseMountExtension MOUNT = FuseMountExtension.of(() -> new PathAdapter(new NotesFs()));

        @Override
        protected FsClient client() {
            return FsClient.mounted(MOUNT.root());
        }
    }
}
