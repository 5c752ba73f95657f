package dev.jfuser.examples.passthrough;

import dev.jfuser.examples.contract.FilesystemContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract suite against passthrough over a tmpfs source, mounted with {@code default_permissions}. */
class PassthroughContractTest extends FilesystemContract {
    protected PassthroughMount mounted;

    boolean kernelPassthrough() {
        return false;
    }

    @BeforeAll
    void mount() throws Exception {
        mounted = PassthroughMount.mount(kernelPassthrough());
    }

    @AfterAll
    void unmount() throws Exception {
        if (mounted != null) {
            mounted.close();
        }
    }

    @Override
    protected Path root() {
        return mounted.mountpoint;
    }

    @Override
    protected long sizeLimit() {
        return PassthroughMount.SIZE;
    }
}
