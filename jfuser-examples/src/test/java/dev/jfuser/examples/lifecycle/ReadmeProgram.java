package dev.jfuser.examples.lifecycle;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.examples.memfs.MemFs;
import java.nio.file.Path;

/**
 * A program written as the README shows: try-with-resources around {@link Fuse#mount}, then
 * {@link Mount#awaitUnmount()}, nothing else. {@code ReadmeProgram MOUNTPOINT OPTIONS [IMAGE] [--no-unmount-on-exit]}
 * mounts memfs (persisted to IMAGE if given) and prints "mounted" once it serves.
 */
public final class ReadmeProgram {
    private ReadmeProgram() {}

    public static void main(String[] args) throws Exception {
        MemFs.Options o = MemFs.Options.defaults();
        SessionOptions session = SessionOptions.DEFAULT;
        for (int i = 2; i < args.length; i++) {
            if (args[i].equals("--no-unmount-on-exit")) {
                session = session.withUnmountOnExit(false);
            } else {
                o = o.withImage(Path.of(args[i]));
            }
        }
        try (Mount mount = Fuse.mount(new MemFs(o), Path.of(args[0]), MountOptions.parse(args[1]), session)) {
            System.out.println("mounted");
            System.out.flush();
            mount.awaitUnmount();
        }
    }
}
