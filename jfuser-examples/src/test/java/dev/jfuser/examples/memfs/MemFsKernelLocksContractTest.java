package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jfuser.Capability;
import dev.jfuser.examples.contract.FilesystemContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract suite against memfs with locks left to the kernel ({@code Options.withKernelLocks()}): the
 * kernel then keeps POSIX and flock locks locally, and the lock tests must pass all the same.
 */
class MemFsKernelLocksContractTest extends FilesystemContract {
    private MemFsMount mounted;

    @BeforeAll
    void mount() throws Exception {
        mounted = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(96L << 20).withKernelLocks()),
                "default_permissions");
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
        return 96L << 20;
    }

    @Test
    void theKernelWasNotAskedToLeaveLocksToMemfs() {
        assertFalse(mounted.mount.kernelConfig().isEnabled(Capability.POSIX_LOCKS));
        assertFalse(mounted.mount.kernelConfig().isEnabled(Capability.FLOCK_LOCKS));
    }
}
