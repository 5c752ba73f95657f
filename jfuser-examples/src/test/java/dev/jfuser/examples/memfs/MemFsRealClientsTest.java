package dev.jfuser.examples.memfs;

import dev.jfuser.examples.realclients.RealClientsSuite;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The real-clients suite (git, tar, rsync, sqlite3, fio, stress-ng) on a 1 GiB memfs. */
class MemFsRealClientsTest extends RealClientsSuite {
    private MemFsMount mounted;

    @BeforeAll
    void mount() throws Exception {
        mounted = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(1L << 30)), "");
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
}
