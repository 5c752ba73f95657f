package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * {@link FilesystemContract#unsupported()}: the tests of a feature a filesystem lacks are skipped, saying which
 * feature, and the others still run.
 */
class FilesystemContractFeaturesTest {
    /** The kit's small filesystem has no rename flags (it answers EINVAL), so it declares them unsupported. */
    static class WithoutRenameFlags extends FilesystemContract {
        private static final FakeKernel KERNEL = start();

        private static FakeKernel start() {
            try {
                return FakeKernel.start(new MiniFs(false));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        protected FsClient client() {
            return FsClient.of(KERNEL);
        }

        @Override
        protected Set<Feature> unsupported() {
            return EnumSet.of(Feature.RENAME_NOREPLACE, Feature.RENAME_EXCHANGE);
        }
    }

    /** The same filesystem claiming everything: its rename-flag tests then fail, as they should. */
    static class ClaimingEverything extends WithoutRenameFlags {
        @Override
        protected Set<Feature> unsupported() {
            return EnumSet.noneOf(Feature.class);
        }
    }

    /** Runs the named tests of {@code contract}; the outcome of each, with the reason of skips and failures. */
    private static Map<String, String> run(Class<?> contract, String... methods) {
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (String m : methods) {
            request.selectors(selectMethod(contract.getName() + "#" + m));
        }
        LauncherDiscoveryRequest built = request.build();
        Map<String, String> outcomes = new TreeMap<>();
        Launcher launcher = LauncherFactory.create();
        launcher.execute(built, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    outcomes.put(id.getDisplayName().replace("()", ""), result.getStatus() + ": "
                            + result.getThrowable().map(Throwable::getMessage).orElse(""));
                }
            }
        });
        return outcomes;
    }

    @Test
    void testsOfAMissingFeatureAreSkippedNamingIt() {
        Map<String, String> outcomes = run(WithoutRenameFlags.class, "renameNoreplaceRefusesAnExistingTarget",
                "renameExchangeSwapsTwoNames", "renameMovesAndReplaces", "fifosAreCreatedByMknod");
        assertEquals(4, outcomes.size(), outcomes.toString());
        assertTrue(outcomes.get("renameNoreplaceRefusesAnExistingTarget").startsWith("ABORTED: ")
                && outcomes.get("renameNoreplaceRefusesAnExistingTarget").contains("RENAME_NOREPLACE unsupported"),
                outcomes.toString());
        assertTrue(outcomes.get("renameExchangeSwapsTwoNames").contains("RENAME_EXCHANGE unsupported"),
                outcomes.toString());
        assertEquals("SUCCESSFUL: ", outcomes.get("renameMovesAndReplaces"));
        assertEquals("SUCCESSFUL: ", outcomes.get("fifosAreCreatedByMknod"), "MiniFs makes FIFOs");
    }

    @Test
    void aFeatureClaimedButMissingFails() {
        Map<String, String> outcomes = run(ClaimingEverything.class, "renameNoreplaceRefusesAnExistingTarget");
        assertTrue(outcomes.get("renameNoreplaceRefusesAnExistingTarget").startsWith("FAILED: "), outcomes.toString());
    }
}
