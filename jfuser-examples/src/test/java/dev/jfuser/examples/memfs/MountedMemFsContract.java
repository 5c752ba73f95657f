package dev.jfuser.examples.memfs;

import dev.jfuser.examples.contract.FilesystemContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract suite against one memfs mount per class; subclasses choose memfs's options and mount options. */
abstract class MountedMemFsContract extends FilesystemContract {
    static final long SIZE = 96L << 20;
    protected MemFsMount mounted;

    /** memfs's options (the size limit is {@link #SIZE}). */
    abstract MemFs.Options options();

    /** Mount options, e.g. {@code "default_permissions"}, or empty. */
    abstract String mountOptions();

    @BeforeAll
    void mount() throws Exception {
        mounted = MemFsMount.mount(new MemFs(options()), mountOptions());
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
