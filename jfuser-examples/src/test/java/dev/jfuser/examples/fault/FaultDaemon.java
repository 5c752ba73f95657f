package dev.jfuser.examples.fault;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.examples.memfs.MemFs;
import java.nio.file.Path;

/**
 * A filesystem program written exactly as the README shows (try-with-resources and {@code awaitUnmount}, nothing
 * else), serving a {@link FaultyFs}: the fault suite runs it in a child JVM to signal it, or to starve it of heap.
 *
 * <p>Arguments: {@code MOUNTPOINT MOUNT_OPTIONS IMAGE|- SIZE_BYTES|-}. Prints {@code mounted} once it serves.
 */
public final class FaultDaemon {
    private FaultDaemon() {}

    public static void main(String[] args) throws Exception {
        MemFs.Options o = MemFs.Options.defaults();
        if (!args[2].equals("-")) {
            o = o.withImage(Path.of(args[2]));
        }
        if (!args[3].equals("-")) {
            o = o.withSizeLimit(Long.parseLong(args[3]));
        }
        try (Mount mount = Fuse.mount(new FaultyFs(new MemFs(o)), Path.of(args[0]), MountOptions.parse(args[1]))) {
            System.out.println("mounted");
            System.out.flush();
            mount.awaitUnmount();
        }
    }
}
