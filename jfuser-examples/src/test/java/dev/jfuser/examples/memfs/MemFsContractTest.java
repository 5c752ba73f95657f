package dev.jfuser.examples.memfs;

import dev.jfuser.examples.contract.FilesystemContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract suite against memfs mounted with {@code default_permissions}: the kernel checks permissions from
 * the attributes memfs reports (and memfs checks again), names and attributes are cached for 1 s.
 */
class MemFsContractTest extends FilesystemContract {
    static final long SIZE = 96L << 20;
    private MemFsMount mounted;

    @BeforeAll
    void mount() throws Exception {
        mounted = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(SIZE)), "default_permissions");
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
        return SIZE;
    }
}
