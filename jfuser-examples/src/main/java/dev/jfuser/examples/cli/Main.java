package dev.jfuser.examples.cli;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import dev.jfuser.examples.hello.AsyncHelloFs;
import dev.jfuser.examples.hello.HelloFs;
import dev.jfuser.examples.httpfs.BlockingHttpFs;
import dev.jfuser.examples.httpfs.HttpFs;
import dev.jfuser.examples.httpfs.HttpFsOptions;
import dev.jfuser.examples.memfs.MemFs;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jfuser EXAMPLE [URL] MOUNTPOINT [options]}: mounts an example filesystem in the foreground until Ctrl-C or
 * an unmount.
 */
public final class Main {
    private static final String USAGE = """
            usage: jfuser EXAMPLE [URL] MOUNTPOINT [options]

            examples:
              hello          a read-only directory with hello.txt
              hello-async    the same, written on AsyncFilesystem
              memfs          an in-memory POSIX filesystem like tmpfs
              httpfs URL     a directory tree served over HTTP, read-only: any server
                             with HTML directory listings (jwebserver, nginx autoindex),
                             e.g. jfuser httpfs http://127.0.0.1:8000/ /mnt/web

            options:
              -d             print every request and reply (debug)
              -o OPT[,OPT]   mount options: fsname=, subtype=, allow_other, allow_root,
                             default_permissions, ro, nosuid, nodev, noexec, noatime,
                             sync, dirsync, auto_unmount, max_read=N, or any kernel option
              --readers N    reader threads (default 2)
              --size SIZE    memfs: size limit, e.g. 512M, 1G (default half the heap);
                             writes beyond it fail with ENOSPC
              --image FILE   memfs: load the tree from FILE if it exists, save it
                             there at unmount
              --transport T  dev_fuse (default), io_uring, or auto (io_uring when the kernel
                             offers it); the system property jfuser.transport sets the default
              -h, --help     this text

            httpfs options:
              --timeout S          seconds to wait for a response (default 30); then EIO
              --connect-timeout S  seconds to wait for a connection (default 5)
              --ttl S              seconds names, sizes and listings are trusted (default 5)
              --cache MIB          block cache budget in MiB (default 64)
              --blocking           the blocking variant (Filesystem, HttpClient.send on
                                   virtual threads) instead of AsyncFilesystem + sendAsync

            Runs in the foreground; Ctrl-C or 'umount MOUNTPOINT' ends it.
            """;

    /** Mounts one example; {@link Fuse#mount} has one overload per API, so each example says which it is. */
    @FunctionalInterface
    private interface Example {
        Mount mount(Path mountpoint, MountOptions options, SessionOptions session) throws IOException;
    }

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit status (0 ok, 1 failure, 2 usage). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        List<String> positional = new ArrayList<>();
        List<String> mountOptions = new ArrayList<>();
        Map<String, String> values = new HashMap<>();
        boolean debug = false;
        boolean blocking = false;
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
                case "--blocking" -> blocking = true;
                case "-o" -> {
                    if (++i == args.length) {
                        return usage(err, "-o needs a value, e.g. -o ro,allow_other");
                    }
                    mountOptions.add(args[i]);
                }
                case "--readers", "--timeout", "--connect-timeout", "--ttl", "--cache", "--size", "--image" -> {
                    if (++i == args.length) {
                        return usage(err, a + switch (a) {
                            case "--image" -> " needs a file, e.g. --image /var/tmp/memfs.img";
                            case "--size" -> " needs a value, e.g. --size 1G";
                            default -> " needs a number";
                        });
                    }
                    values.put(a, args[i]);
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
        if (positional.isEmpty()) {
            return usage(err, "expected EXAMPLE and MOUNTPOINT");
        }
        String example = positional.get(0);
        int expected = example.equals("httpfs") ? 3 : 2;
        if (positional.size() != expected) {
            return usage(err, example.equals("httpfs") ? "expected httpfs URL MOUNTPOINT"
                    : "expected EXAMPLE and MOUNTPOINT");
        }
        Path mountpoint = Path.of(positional.get(expected - 1));
        MountOptions options;
        SessionOptions session;
        if (!example.equals("memfs") && (values.containsKey("--size") || values.containsKey("--image"))) {
            return usage(err, "--size and --image are options of memfs, not of " + example);
        }
        Example fs;
        try {
            int readers = (int) number(values, "--readers", SessionOptions.DEFAULT.readerThreads());
            options = MountOptions.parse(String.join(",", mountOptions));
            if (options.subtype().isEmpty()) {
                options = options.toBuilder().subtype(example).build();
            }
            session = SessionOptions.DEFAULT.withReaderThreads(readers).withDebug(debug ? err : null);
            if (transport != null) {
                session = session.withTransport(Transport.parse(transport));
            }
            fs = switch (example) {
                case "hello" -> (mp, o, s) -> Fuse.mount(new HelloFs(currentUid(), currentGid()), mp, o, s);
                case "hello-async" -> (mp, o, s) -> Fuse.mount(new AsyncHelloFs(currentUid(), currentGid()), mp, o,
                        s);
                case "httpfs" -> {
                    HttpFsOptions http = httpOptions(positional.get(1), values);
                    options = httpMountOptions(options, http);
                    boolean blockingVariant = blocking;
                    yield (mp, o, s) -> blockingVariant ? Fuse.mount(BlockingHttpFs.create(http), mp, o, s)
                            : Fuse.mount(HttpFs.create(http), mp, o, s);
                }
                case "memfs" -> {
                    MemFs.Options o = MemFs.Options.defaults().withRoot(currentUid(), currentGid(), 0755);
                    if (values.containsKey("--size")) {
                        o = o.withSizeLimit(parseSize(values.get("--size")));
                    }
                    if (values.containsKey("--image")) {
                        o = o.withImage(Path.of(values.get("--image")).toAbsolutePath());
                    }
                    MemFs memfs = new MemFs(o);
                    yield (mp, mo, s) -> Fuse.mount(memfs, mp, mo, s);
                }
                default -> null;
            };
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        } catch (IOException e) {
            err.println("jfuser: " + e.getMessage());
            return 1;
        }
        if (fs == null) {
            return usage(err, "unknown example '" + example + "'");
        }
        return serve(fs, mountpoint, options, session, out, err);
    }

    private static HttpFsOptions httpOptions(String url, Map<String, String> values) {
        URI base;
        try {
            base = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: '" + url + "' (" + e.getReason() + ")");
        }
        HttpFsOptions o = HttpFsOptions.of(base).withOwner(currentUid(), currentGid());
        o = o.withTimeouts(seconds(values, "--connect-timeout", o.connectTimeout()),
                seconds(values, "--timeout", o.requestTimeout()));
        o = o.withTtl(seconds(values, "--ttl", o.ttl()));
        return o.withCacheBytes(number(values, "--cache", o.cacheBytes() >> 20) << 20);
    }

    /** httpfs is read-only, and its source in {@code mount}/{@code df} is the URL. */
    private static MountOptions httpMountOptions(MountOptions options, HttpFsOptions http) {
        MountOptions.Builder b = options.toBuilder().readOnly();
        if (options.fsname().equals(MountOptions.defaults().fsname())) {
            try {
                b.fsname(http.base().toString());
            } catch (IllegalArgumentException unusable) {
                b.fsname("httpfs"); // e.g. a URL with a comma, which the mount option syntax cannot carry
            }
        }
        return b.build();
    }

    private static long number(Map<String, String> values, String option, long fallback) {
        String v = values.get(option);
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a whole number, got '" + v + "'");
        }
    }

    private static Duration seconds(Map<String, String> values, String option, Duration fallback) {
        String v = values.get(option);
        if (v == null) {
            return fallback;
        }
        try {
            return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number of seconds, got '" + v + "'");
        }
    }

    private static int serve(Example fs, Path mountpoint, MountOptions options, SessionOptions session,
                             PrintStream out, PrintStream err) {
        Mount mount;
        try {
            mount = fs.mount(mountpoint, options, session);
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
        IllegalStateException failed = null;
        try {
            mount.awaitUnmount();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IllegalStateException e) {
            failed = e; // e.g. out of memory: the connection was aborted and the mount detached
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running: it unmounts
        }
        if (failed != null) {
            err.println("jfuser: " + mountpoint.toAbsolutePath() + ": the filesystem stopped after an error ("
                    + failed.getCause() + "); unmounted");
            return 1;
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

    /** Parses {@code 1G}, {@code 512M}, {@code 64k}, {@code 4096}: bytes with an optional binary unit. */
    static long parseSize(String text) {
        String t = text.trim();
        long unit = 1;
        if (!t.isEmpty()) {
            switch (Character.toUpperCase(t.charAt(t.length() - 1))) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                case 'T' -> unit = 1L << 40;
                default -> { }
            }
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long n = Long.parseLong(digits);
            if (n > 0 && n <= Long.MAX_VALUE / unit) {
                return n * unit;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException("--size needs a positive size like 512M or 1G, got '" + text + "'");
    }
}
