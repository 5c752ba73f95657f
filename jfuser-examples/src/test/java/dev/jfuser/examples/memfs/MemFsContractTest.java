package dev.jfuser.examples.memfs;

/**
 * The contract suite against memfs mounted with {@code default_permissions}: the kernel checks permissions from
 * the attributes memfs reports (and memfs checks again), names and attributes are cached for 1 s.
 */
class MemFsContractTest extends MountedMemFsContract {
    @Override
    MemFs.Options options() {
        return MemFs.Options.defaults().withSizeLimit(SIZE);
    }

    @Override
    String mountOptions() {
        return "default_permissions";
    }
}
