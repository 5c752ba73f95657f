package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Where the machine cannot mount, a class using the extension is reported as skipped with the reason (what IDEs,
 * Surefire and Gradle show as a skipped test), not as a class that ran nothing.
 */
class FuseMountExtensionSkipTest {
    static final String REASON = "no FUSE for this probe";
    static final AtomicBoolean PROBE_RAN = new AtomicBoolean();

    /** Run only through the launcher below (a nested class: build tools do not pick it up by themselves). */
    static class UnmountableProbe {
        @RegisterExtension
        static final FuseMountExtension MOUNT =
                FuseMountExtension.of(() -> new MiniFs(false)).withMountCheck(() -> REASON);

        @Test
        void needsTheMount() {
            PROBE_RAN.set(true);
        }
    }

    @Test
    void aClassThatCannotMountIsSkippedWithTheReason() {
        List<String> skipped = new CopyOnWriteArrayList<>();
        List<String> finished = new CopyOnWriteArrayList<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                skipped.add(id.getDisplayName() + ": " + reason);
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.getSource().isPresent() && !id.getDisplayName().equals("JUnit Jupiter")) {
                    finished.add(id.getDisplayName() + ": " + result.getStatus());
                }
            }
        };
        LauncherFactory.create().execute(
                LauncherDiscoveryRequestBuilder.request().selectors(selectClass(UnmountableProbe.class)).build(),
                listener);
        assertEquals(List.of("FuseMountExtensionSkipTest$UnmountableProbe: cannot mount FUSE here: " + REASON), skipped);
        assertEquals(List.of(), finished);
        assertFalse(PROBE_RAN.get());
    }
}
