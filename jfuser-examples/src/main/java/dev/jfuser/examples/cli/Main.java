package dev.jfuser.examples.cli;

import dev.jfuser.Filesystem;
import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import dev.jfuser.examples.hello.HelloFs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jfuser EXAMPLE MOUNTPOINT [options]}: mounts an example filesystem in the foreground until Ctrl-C or
 * an unmount.
 */
public final class Main {
    private static final String USAGE = """
            usage: jfuser EXAMPLE MOUNTPOINT [options]

            examples:
              hello        a read-only directory with hello.txt

            options:
              -d             print every request and reply (debug)
              -o OPT[,OPT]   mount options: fsname=, subtype=, allow_other, allow_root,
                             default_permissions, ro, nosuid, nodev, noexec, noatime,
                             sync, dirsync, auto_unmount, max_read=N, or any kernel option
              --readers N    reader threads (default 2)
              --transport T  dev_fuse (default), io_uring, or auto (io_uring when the kernel
                             offers it); the system property jfuser.transport sets the default
              -h, --help     this text

            Runs in the foreground; Ctrl-C or 'umount MOUNTPOINT' ends it.
            """;

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit status (0 ok, 1 failure, 2 usage). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> positional = new ArrayList<>();
        List<String> mountOptions = new ArrayList<>();
        boolean debug = false;
        int readers = SessionOptions.DEFAULT.readerThreads();
        String transport = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    out.print(USAGE);
                    return 0;
                }
                case "-d", "--debug" -> debug = true;
                case "-f", "--foreground" -> { } // always in the foreground
                case "-o" -> {
                    if (++i == args.length) {
                        return usage(err, "-o needs a value, e.g. -o ro,allow_other");
                    }
                    mountOptions.add(args[i]);
                }
                case "--readers" -> {
                    if (++i == args.length) {
                        return usage(err, "--readers needs a number");
                    }
                    try {
                        readers = Integer.parseInt(args[i]);
                    } catch (NumberFormatException e) {
                        return usage(err, "--readers needs a number, got '" + args[i] + "'");
                    }
                }
                case "--transport" -> {
                    if (++i == args.length) {
                        return usage(err, "--transport needs dev_fuse, io_uring or auto");
                    }
                    transport = args[i];
                }
                default -> {
                    if (a.startsWith("-o") && a.length() > 2) {
                        mountOptions.add(a.substring(2));
                    } else if (a.startsWith("-")) {
                        return usage(err, "unknown option " + a);
                    } else {
                        positional.add(a);
                    }
                }
            }
        }
        if (positional.size() != 2) {
            return usage(err, "expected EXAMPLE and MOUNTPOINT");
        }
        String example = positional.get(0);
        Path mountpoint = Path.of(positional.get(1));
        MountOptions options;
        SessionOptions session;
        try {
            options = MountOptions.parse(String.join(",", mountOptions));
            if (options.subtype().isEmpty()) {
                options = options.toBuilder().subtype(example).build();
            }
            session = SessionOptions.DEFAULT.withReaderThreads(readers).withDebug(debug ? err : null);
            if (transport != null) {
                session = session.withTransport(Transport.parse(transport));
            }
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }
        Filesystem fs = switch (example) {
            case "hello" -> new HelloFs(currentUid(), currentGid());
            default -> null;
        };
        if (fs == null) {
            return usage(err, "unknown example '" + example + "'");
        }
        return serve(fs, mountpoint, options, session, out, err);
    }

    private static int serve(Filesystem fs, Path mountpoint, MountOptions options, SessionOptions session,
                             PrintStream out, PrintStream err) {
        Mount mount;
        try {
            mount = Fuse.mount(fs, mountpoint, options, session);
        } catch (IOException | RuntimeException e) {
            err.println("jfuser: " + e.getMessage());
            return 1;
        }
        // Ctrl-C / SIGTERM run this hook: detach lazily, so a busy mount (a shell cd'ed inside) cannot keep us
        // hanging, wait for the session to end, then exit 0 - a clean, requested stop is not a failure.
        Thread hook = new Thread(() -> {
            try {
                mount.unmount(true);
                mount.awaitUnmount(Duration.ofSeconds(10));
                out.println("jfuser: " + mountpoint.toAbsolutePath() + " unmounted");
                out.flush();
            } catch (IOException e) {
                err.println("jfuser: unmount failed: " + e.getMessage());
                Runtime.getRuntime().halt(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(0);
        }, "jfuser-unmount");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("jfuser: " + mountpoint.toAbsolutePath() + " mounted"
                + (mount.transport() == Transport.IO_URING ? " (io_uring)" : "") + "; Ctrl-C or 'umount "
                + mountpoint.toAbsolutePath() + "' to stop");
        out.flush();
        try {
            mount.awaitUnmount();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it unmounts
        }
        out.println("jfuser: " + mountpoint.toAbsolutePath() + " unmounted");
        return 0;
    }

    private static int usage(PrintStream err, String problem) {
        err.println("jfuser: " + problem);
        err.print(USAGE);
        return 2;
    }

    private static int currentUid() {
        return idOf("uid");
    }

    private static int currentGid() {
        return idOf("gid");
    }

    /** Reads the real uid/gid from /proc, so the example needs nothing beyond the public API. */
    private static int idOf(String which) {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status"))) {
                String key = which.equals("uid") ? "Uid:" : "Gid:";
                if (line.startsWith(key)) {
                    return Integer.parseInt(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 0;
    }
}
