package dev.jfuser.examples.passthrough;

import dev.jfuser.examples.realclients.RealClientsSuite;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The real-clients suite (git, tar, rsync, sqlite3, fio, stress-ng) on passthrough over a 1 GiB tmpfs source; after
 * each test the tree in the source must be the tree the mount shows.
 */
class PassthroughRealClientsTest extends RealClientsSuite {
    private PassthroughMount mounted;

    boolean kernelPassthrough() {
        return false;
    }

    @BeforeAll
    void mount() throws Exception {
        mounted = PassthroughMount.mount(kernelPassthrough(), Duration.ofSeconds(1), 1L << 30);
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
    protected Path source(Path mounted) {
        return this.mounted.source.resolve(this.mounted.mountpoint.relativize(mounted));
    }
}
