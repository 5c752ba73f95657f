package dev.jfuser.examples.memfs;

import dev.jfuser.examples.contract.FilesystemContract;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The contract suite against memfs mounted without {@code default_permissions}: every permission decision is
 * memfs's own. Names are not cached (entry timeout 0), because the kernel consults the filesystem about search
 * permission only when it looks a name up; with cached names a walk through a locked directory would not be
 * re-checked (see {@link MemFs}'s class documentation).
 */
class MemFsSelfCheckedContractTest extends FilesystemContract {
    static final long SIZE = 96L << 20;
    private MemFsMount mounted;

    @BeforeAll
    void mount() throws Exception {
        MemFs.Options o = MemFs.Options.defaults().withSizeLimit(SIZE).withTimeouts(Duration.ZERO, Duration.ofSeconds(1));
        mounted = MemFsMount.mount(new MemFs(o), "");
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
