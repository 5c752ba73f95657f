package dev.jfuser.examples.memfs;

import java.time.Duration;

/**
 * The contract suite against memfs mounted without {@code default_permissions}: every permission decision is
 * memfs's own. Names are not cached (entry timeout 0), because the kernel consults the filesystem about search
 * permission only when it looks a name up; with cached names a walk through a locked directory would not be
 * re-checked (see {@link MemFs}'s class documentation).
 */
class MemFsSelfCheckedContractTest extends MountedMemFsContract {
    @Override
    MemFs.Options options() {
        return MemFs.Options.defaults().withSizeLimit(SIZE).withTimeouts(Duration.ZERO, Duration.ofSeconds(1));
    }

    @Override
    String mountOptions() {
        return "";
    }
}
