package dev.jfuser.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract run against a directory of the machine's own filesystem: the kernel's answers are the oracle that
 * keeps the suite's expectations honest (a test that fails here is a wrong test, not a wrong filesystem).
 */
class LocalDirectoryContractTest extends FilesystemContract {
    private static Path root;

    @BeforeAll
    static void createRoot() throws IOException {
        root = Files.createTempDirectory("jfuser-contract-oracle");
    }

    @AfterAll
    static void removeRoot() throws Exception {
        new ProcessBuilder("rm", "-rf", root.toString()).start().waitFor();
    }

    @Override
    protected FsClient client() {
        return FsClient.mounted(root);
    }
}
