package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jfuser.Capability;
import org.junit.jupiter.api.Test;

/**
 * The contract suite against memfs with locks left to the kernel ({@code Options.withKernelLocks()}): the
 * kernel then keeps POSIX and flock locks locally, and the lock tests must pass all the same.
 */
class MemFsKernelLocksContractTest extends MountedMemFsContract {
    @Override
    MemFs.Options options() {
        return MemFs.Options.defaults().withSizeLimit(SIZE).withKernelLocks();
    }

    @Override
    String mountOptions() {
        return "default_permissions";
    }

    @Test
    void theKernelWasNotAskedToLeaveLocksToMemfs() {
        assertFalse(mounted.mount.kernelConfig().isEnabled(Capability.POSIX_LOCKS));
        assertFalse(mounted.mount.kernelConfig().isEnabled(Capability.FLOCK_LOCKS));
    }
}
