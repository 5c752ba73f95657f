package dev.jfuser.examples.cli;

import dev.jfuser.Fuse;
import dev.jfuser.HandoverState;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import dev.jfuser.examples.clock.ClockFs;
import dev.jfuser.examples.hello.AsyncHelloFs;
import dev.jfuser.examples.hello.HelloFs;
import dev.jfuser.examples.passthrough.PassthroughFs;
import dev.jfuser.examples.notes.NotesFs;
import dev.jfuser.examples.zip.ZipMount;
import dev.jfuser.path.PathAdapter;
import dev.jfuser.examples.httpfs.BlockingHttpFs;
import dev.jfuser.examples.httpfs.HttpFs;
import dev.jfuser.examples.httpfs.HttpFsOptions;
import dev.jfuser.examples.memfs.AtimePolicy;
import dev.jfuser.examples.memfs.MemFs;
import dev.jfuser.examples.notifyentry.NotifyEntryFs;
import dev.jfuser.examples.poll.PollFs;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

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
              clock          a file whose content changes every second, cached by the kernel and kept
                             current with notifications (--store: push the bytes instead of invalidating)
              notify-entry   a directory showing the last 5 seconds as names, one appearing and
                             one going every second while the kernel caches names and listings
                             for a day; kept correct with entry notifications (--notify MODE)
              poll           events: a file that becomes readable when a line is written to post,
                             waking readers blocked in poll(2), select(2) or epoll
              memfs          an in-memory POSIX filesystem like tmpfs
              passthrough SOURCE
                             a mirror of directory SOURCE, every operation done there
                             (--kernel-passthrough: the kernel reads and writes the
                             source files itself; needs root and Linux 6.9+)
              notes          an in-memory filesystem of directories and files in 93 lines,
                             written on the path API (dev.jfuser.path)
              zip FILE.zip   a zip file, read-write through the JDK's zip filesystem
                             (created if missing; changes are written at unmount)
              httpfs URL     a directory tree served over HTTP, read-only: any server
                             with HTML directory listings (jwebserver, nginx autoindex),
                             e.g. jfuser httpfs http://127.0.0.1:8000/ /mnt/web
              s3 BUCKET[/PREFIX] --endpoint URL
                             an S3 bucket, read-write (module jfuser-s3; bin/jfuser s3 --help)

            options:
              -d             print every request and reply (debug); also -Djfuser.debug=true
              --stats        print per-operation counts, errors and latencies (p50, p90,
                             p99, max) at unmount, and whenever the process gets SIGUSR1
                             (kill -USR1 PID) while mounted
              -o OPT[,OPT]   mount options: fsname=, subtype= (empty: type plain fuse),
                             allow_other, allow_root, default_permissions, ro, nosuid,
                             nodev, noexec, relatime (default), strictatime, noatime,
                             nodiratime, lazytime, sync, dirsync, auto_unmount (unmounts
                             even after kill -9), max_read=N, or any kernel option
              --readers N    reader threads (default 2)
              --size SIZE    memfs: size limit, e.g. 512M, 1G (default half the heap);
                             writes beyond it fail with ENOSPC
              --image FILE   memfs: load the tree from FILE if it exists, save it
                             there at unmount
              --kernel-locks memfs: leave POSIX and flock locks to the kernel, which
                             keeps them local to this machine and lists them in
                             /proc/locks (by default memfs keeps them itself)
              --handover SOCKET
                             memfs: listen on the Unix socket SOCKET; a process that connects
                             (--resume SOCKET) takes the running mount over, then this one exits
              --resume SOCKET
                             memfs: take over the mount served by the process listening on
                             SOCKET (its --handover) instead of mounting: same MOUNTPOINT and
                             options; callers see a pause, never an error
              --notify MODE  notify-entry: how a name that came or went is told to the kernel:
                             invalidate (default, invalEntry), expire (expireEntry: the name is
                             looked up again at its next use), delete (delete: holders of a
                             removed name see it unlinked), none (stale names stay for a day)
              --transport T  dev_fuse (default), io_uring, or auto (io_uring when the kernel
                             offers it); the system property jfuser.transport sets the default
              -h, --help     this text

            httpfs options:
              --timeout S          seconds to wait for a response (default 30); then EIO
              --connect-timeout S  seconds to wait for a connection (default 5)
              --ttl S              seconds names, sizes and listings are trusted (default 5);
                                   then a HEAD revalidates, and a file whose ETag, size or
                                   date changed is dropped from the kernel's page cache
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
        boolean stats = false;
        boolean blocking = false;
        boolean kernelLocks = false;
        boolean store = false;
        boolean kernelPassthrough = false;
        String transport = null;
        String notify = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    out.print(USAGE);
                    return 0;
                }
                case "-d", "--debug" -> debug = true;
                case "--stats" -> stats = true;
                case "-f", "--foreground" -> { } // always in the foreground
                case "--blocking" -> blocking = true;
                case "--kernel-locks" -> kernelLocks = true;
                case "--store" -> store = true;
                case "--kernel-passthrough" -> kernelPassthrough = true;
                case "-o" -> {
                    if (++i == args.length) {
                        return usage(err, "-o needs a value, e.g. -o ro,allow_other");
                    }
                    mountOptions.add(args[i]);
                }
                case "--readers", "--timeout", "--connect-timeout", "--ttl", "--cache", "--size", "--image",
                     "--handover", "--resume" -> {
                    if (++i == args.length) {
                        return usage(err, a + switch (a) {
                            case "--image" -> " needs a file, e.g. --image /var/tmp/memfs.img";
                            case "--size" -> " needs a value, e.g. --size 1G";
                            case "--handover", "--resume" -> " needs a socket path, e.g. " + a + " /run/memfs.sock";
                            default -> " needs a number";
                        });
                    }
                    values.put(a, args[i]);
                }
                case "--notify" -> {
                    if (++i == args.length) {
                        return usage(err, "--notify needs invalidate, expire, delete or none");
                    }
                    notify = args[i];
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
        int expected = example.equals("httpfs") || example.equals("passthrough") || example.equals("zip") ? 3 : 2;
        if (positional.size() != expected) {
            return usage(err, example.equals("httpfs") ? "expected httpfs URL MOUNTPOINT"
                    : example.equals("passthrough") ? "expected passthrough SOURCE MOUNTPOINT"
                    : example.equals("zip") ? "expected zip FILE.zip MOUNTPOINT"
                    : "expected EXAMPLE and MOUNTPOINT");
        }
        if (!example.equals("passthrough") && kernelPassthrough) {
            return usage(err, "--kernel-passthrough is an option of passthrough, not of " + example);
        }
        Path mountpoint = Path.of(positional.get(expected - 1));
        MountOptions options;
        SessionOptions session;
        if (!example.equals("memfs") && (values.containsKey("--size") || values.containsKey("--image"))) {
            return usage(err, "--size and --image are options of memfs, not of " + example);
        }
        if (!example.equals("memfs") && (values.containsKey("--handover") || values.containsKey("--resume"))) {
            return usage(err, "--handover and --resume are options of memfs, not of " + example);
        }
        Path handover = values.containsKey("--handover") ? Path.of(values.get("--handover")).toAbsolutePath() : null;
        Path resume = values.containsKey("--resume") ? Path.of(values.get("--resume")).toAbsolutePath() : null;
        if ((handover != null || resume != null) && transport != null && !transport.equalsIgnoreCase("dev_fuse")) {
            return usage(err, "--handover and --resume serve through /dev/fuse only (a hand-over does not carry "
                    + "io_uring queues yet): drop --transport " + transport + " or use --transport dev_fuse");
        }
        if (!example.equals("memfs") && kernelLocks) {
            return usage(err, "--kernel-locks is an option of memfs, not of " + example);
        }
        if (!example.equals("notify-entry") && notify != null) {
            return usage(err, "--notify is an option of notify-entry, not of " + example);
        }
        Example fs;
        MemFs[] memfsServed = new MemFs[1];
        ZipMount[] zipServed = new ZipMount[1];
        try {
            int readers = (int) inRange(values, "--readers", 1, 64, SessionOptions.DEFAULT.readerThreads());
            options = MountOptions.parse(String.join(",", mountOptions));
            if (options.subtype().isEmpty()) {
                options = options.toBuilder().subtype(example).build();
            }
            session = SessionOptions.DEFAULT.withReaderThreads(readers).withDebug(debug ? err : null);
            if (handover != null || resume != null) {
                session = session.withTransport(Transport.DEV_FUSE);
            } else if (transport != null) {
                try {
                    session = session.withTransport(Transport.parse(transport));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--transport: " + e.getMessage());
                }
            }
            fs = switch (example) {
                case "hello" -> (mp, o, s) -> Fuse.mount(new HelloFs(currentUid(), currentGid()), mp, o, s);
                case "clock" -> {
                    ClockFs clock = ClockFs.systemClock(store ? ClockFs.Mode.STORE : ClockFs.Mode.INVALIDATE,
                            currentUid(), currentGid());
                    yield (mp, o, s) -> Fuse.mount(clock, mp, o, s);
                }
                case "notify-entry" -> {
                    NotifyEntryFs names = NotifyEntryFs.ticking(notifyMode(notify), currentUid(), currentGid());
                    yield (mp, o, s) -> Fuse.mount(names, mp, o, s);
                }
                case "poll" -> {
                    PollFs events = new PollFs(currentUid(), currentGid());
                    yield (mp, o, s) -> Fuse.mount(events, mp, o, s);
                }
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
                    // The kernel never tells a FUSE filesystem the mount's atime flag: memfs is told here.
                    MemFs.Options o = MemFs.Options.defaults().withRoot(currentUid(), currentGid(), 0755)
                            .withAtimePolicy(switch (options.atime()) {
                                case NOATIME -> AtimePolicy.NOATIME;
                                case STRICTATIME -> AtimePolicy.STRICT;
                                case RELATIME -> AtimePolicy.RELATIME;
                            });
                    if (values.containsKey("--size")) {
                        try {
                            o = o.withSizeLimit(parseSize(values.get("--size")));
                        } catch (IllegalArgumentException e) {
                            throw e.getMessage().startsWith("--size") ? e : new IllegalArgumentException("--size "
                                    + values.get("--size") + ": " + e.getMessage() + ": e.g. --size 512M");
                        }
                        String tooBig = sizeBeyondHeap(values.get("--size"), o.sizeLimit());
                        if (tooBig != null) {
                            throw new IOException(tooBig); // reported as "jfuser: ...", status 1
                        }
                    }
                    if (values.containsKey("--image")) {
                        o = o.withImage(Path.of(values.get("--image")).toAbsolutePath());
                    }
                    if (kernelLocks) {
                        o = o.withKernelLocks();
                    }
                    if (resume != null) {
                        MemFs.Options restoreWith = o;
                        yield (mp, mo, s) -> {
                            HandoverState h = Fuse.receiveHandover(resume);
                            try {
                                Path want = mp.toAbsolutePath().normalize();
                                if (h.mountpoint().isPresent() && !h.mountpoint().get().equals(want)
                                        && !h.mountpoint().get().equals(want.toRealPath())) {
                                    throw new IOException("the process at " + resume + " serves "
                                            + h.mountpoint().get() + ", not " + want + "; give that mountpoint");
                                }
                                MemFs restored = MemFs.restore(restoreWith, h.filesystemState());
                                memfsServed[0] = restored;
                                return Fuse.resume(restored, h, s);
                            } catch (IOException | RuntimeException e) {
                                h.close();
                                throw e;
                            }
                        };
                    }
                    MemFs memfs = new MemFs(o);
                    memfsServed[0] = memfs;
                    yield (mp, mo, s) -> Fuse.mount(memfs, mp, mo, s);
                }
                case "passthrough" -> {
                    PassthroughFs mirror = new PassthroughFs(Path.of(positional.get(1)), kernelPassthrough,
                            Duration.ofSeconds(1));
                    // The daemon acts with its own rights: the kernel checks access against the mirrored modes.
                    if (!options.defaultPermissions()) {
                        options = options.toBuilder().defaultPermissions(true).build();
                    }
                    yield (mp, o, s) -> Fuse.mount(mirror, mp, o, s);
                }
                case "notes" -> (mp, o, s) -> Fuse.mount(new PathAdapter(new NotesFs()), mp, o, s);
                case "zip" -> {
                    ZipMount zip = ZipMount.open(Path.of(positional.get(1)));
                    zipServed[0] = zip;
                    yield zip::mount;
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
        // A memfs image that could not be saved at unmount means the mount's changes are lost: not a clean end.
        ZipMount zip = zipServed[0];
        Supplier<String> failure = memfsServed[0] != null || zip == null
                ? () -> memfsServed[0] == null ? null
                        : memfsServed[0].saveFailure().map(Throwable::getMessage).orElse(null)
                : () -> {
                    // the zip file is written when its filesystem closes, after the unmount
                    try {
                        zip.close();
                        return null;
                    } catch (IOException e) {
                        return e.getMessage();
                    }
                };
        return serve(fs, mountpoint, options, session, out, err, failure, stats, handover);
    }

    /**
     * Why a memfs size limit cannot be served by this JVM's heap, with the two ways out, or null when it fits;
     * filling a limit beyond the heap would end in OutOfMemoryError.
     */
    static String sizeBeyondHeap(String asGiven, long limit) {
        long fits = MemFs.Options.heapCapacity();
        if (limit <= fits) {
            return null;
        }
        long heap = Runtime.getRuntime().maxMemory();
        // the heap a limit needs: the limit plus the room heapCapacity() keeps (an eighth, at least 32 MiB)
        long need = Math.max(limit + (32L << 20), limit / 7 * 8);
        return "--size " + asGiven + " does not fit in the Java heap: the heap is at most " + (heap >> 20)
                + " MiB, which holds a memfs of up to " + (fits >> 20) + " MiB; lower --size to " + (fits >> 20)
                + "M or less, or raise the heap, e.g. JAVA_TOOL_OPTIONS=-Xmx" + ((need + (1 << 20) - 1) >> 20) + "m";
    }

    private static NotifyEntryFs.Mode notifyMode(String value) {
        if (value == null) {
            return NotifyEntryFs.Mode.INVALIDATE;
        }
        for (NotifyEntryFs.Mode m : NotifyEntryFs.Mode.values()) {
            if (m.name().equalsIgnoreCase(value.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException("--notify must be invalidate, expire, delete or none, got '" + value
                + "': e.g. --notify delete");
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
        return o.withCacheBytes(inRange(values, "--cache", 0, 1 << 20, o.cacheBytes() >> 20) << 20);
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

    /** A whole number in {@code [min, max]}, the message naming the option, its range and its default. */
    private static long inRange(Map<String, String> values, String option, long min, long max, long fallback) {
        String v = values.get(option);
        long n;
        try {
            n = v == null ? fallback : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            n = min - 1;
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(option + " must be a whole number from " + min + " to " + max + ", got '"
                    + v + "': e.g. " + option + " " + fallback + " (the default)");
        }
        return n;
    }

    /** Seconds, at least {@code min} (0: zero allowed; otherwise more than zero). */
    private static Duration seconds(Map<String, String> values, String option, Duration fallback) {
        String v = values.get(option);
        if (v == null) {
            return fallback;
        }
        boolean zeroAllowed = option.equals("--ttl");
        long ms = fallback.toMillis();
        String fix = ": e.g. " + option + " " + (ms % 1000 == 0 ? Long.toString(ms / 1000) : Double.toString(ms / 1000.0))
                + " (the default)";
        double d;
        try {
            d = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number of seconds, got '" + v + "'" + fix);
        }
        if (!(zeroAllowed ? d >= 0 : d > 0) || d > 1e9) {
            throw new IllegalArgumentException(option + " must be " + (zeroAllowed ? "0" : "more than 0")
                    + " to 1e9 seconds, got '" + v + "'" + fix);
        }
        return Duration.ofMillis(Math.max(zeroAllowed ? 0 : 1, Math.round(d * 1000)));
    }

    private static int serve(Example fs, Path mountpoint, MountOptions options, SessionOptions session,
                             PrintStream out, PrintStream err, Supplier<String> failure, boolean stats,
                             Path handover) {
        Mount mount;
        try {
            mount = fs.mount(mountpoint, options, session);
        } catch (IOException | RuntimeException e) {
            err.println("jfuser: " + e.getMessage());
            return 1;
        }
        // Ctrl-C / SIGTERM: the library's shutdown hook unmounts lazily (a shell cd'ed inside cannot keep us
        // hanging) and lets the session end. This hook of ours only reports that end and sets the exit status: a
        // clean, requested stop is not a failure (as for libfuse daemons), so exit 0 rather than the JVM's
        // 128+signal. The JVM would otherwise halt as soon as the library's hook returns, before main gets to it.
        Outcome outcome = new Outcome(mount, mountpoint, out, err, failure, stats);
        if (stats) {
            printStatsOnSignal(mount, out, err);
        }
        Thread reporter = new Thread(() -> {
            int status = 1;
            try {
                status = mount.awaitUnmount(EXIT_WAIT) ? outcome.report() : outcome.gaveUp();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IllegalStateException e) {
                err.println("jfuser: " + mountpoint.toAbsolutePath() + ": the filesystem stopped after an error ("
                        + e.getCause() + "); unmounted");
            }
            out.flush();
            err.flush();
            Runtime.getRuntime().halt(status);
        }, "jfuser-exit-status");
        Runtime.getRuntime().addShutdownHook(reporter);
        out.println("jfuser: " + mountpoint.toAbsolutePath() + " mounted"
                + (mount.transport() == Transport.IO_URING ? " (io_uring)" : "") + "; Ctrl-C or 'umount "
                + mountpoint.toAbsolutePath() + "' to stop");
        out.flush();
        CompletableFuture<Boolean> handedOver = handover == null ? null : handOverWhenAsked(mount, handover, out, err);
        IllegalStateException failed = null;
        try {
            mount.awaitUnmount();
            if (handedOver != null && mount.isMounted()) {
                // The session ended for a hand-over (or its abandonment): the descriptor is still on its way.
                if (handedOver.get(HANDOVER_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                    try {
                        Runtime.getRuntime().removeShutdownHook(reporter);
                    } catch (IllegalStateException shuttingDown) {
                        // the reporter runs: it reports and exits
                    }
                    return 0;
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            err.println("jfuser: the hand-over of " + mountpoint.toAbsolutePath() + " did not finish: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (IllegalStateException e) {
            failed = e; // e.g. out of memory: the connection was aborted and the mount detached
        }
        try {
            Runtime.getRuntime().removeShutdownHook(reporter);
        } catch (IllegalStateException shuttingDown) {
            // the reporter runs: it reports and exits
        }
        if (handedOver != null && !handedOver.isDone()) {
            // Nobody took the mount over: the socket this process listened on goes with it.
            try {
                java.nio.file.Files.deleteIfExists(handover);
            } catch (IOException ignored) {
                // left behind: the next --handover at that path says it exists
            }
        }
        if (failed != null) {
            err.println("jfuser: " + mountpoint.toAbsolutePath() + ": the filesystem stopped after an error ("
                    + failed.getCause() + "); unmounted");
            return 1;
        }
        return outcome.report();
    }

    /**
     * Prints the mount's statistics whenever the process gets SIGUSR1, as dd prints its progress: the signal the JVM
     * leaves free (it takes SIGQUIT for thread dumps, SIGUSR2 internally, SIGHUP/SIGINT/SIGTERM for its shutdown).
     * Through {@code sun.misc.Signal} of module jdk.unsupported (JEP 260 keeps it for this very use), reached
     * reflectively: javac's warning for a direct use of it cannot be suppressed, and the build allows none.
     */
    private static void printStatsOnSignal(Mount mount, PrintStream out, PrintStream err) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object print = java.lang.reflect.Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler},
                    (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            out.print(mount.stats().table());
                            out.flush();
                            return null;
                        }
                        return switch (method.getName()) {
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> "print the jfuser statistics";
                        };
                    });
            signal.getMethod("handle", signal, handler)
                    .invoke(null, signal.getConstructor(String.class).newInstance("USR1"), print);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable why = e instanceof java.lang.reflect.InvocationTargetException t ? t.getCause() : e;
            err.println("jfuser: SIGUSR1 cannot print the statistics in this JVM (" + why
                    + "); they are printed at unmount");
        }
    }

    /** How long an ended session waits for its hand-over to finish (the new process to confirm). */
    private static final Duration HANDOVER_WAIT = Duration.ofSeconds(60);
    /** How long requests already read may take to be answered before a hand-over is abandoned. */
    private static final Duration HANDOVER_DRAIN = Duration.ofSeconds(30);

    /**
     * Waits, on a thread of its own, for a process to connect to {@code socket} and hands the mount to it; true
     * once the new process serves it. A failure is reported and leaves this process serving if it still can.
     */
    private static CompletableFuture<Boolean> handOverWhenAsked(Mount mount, Path socket, PrintStream out,
                                                                PrintStream err) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("jfuser-handover").start(() -> {
            // A refusal while still serving (memfs holding locks, say) leaves the mount as it was: listen again.
            while (!done.isDone()) {
                try {
                    mount.handOver(socket, HANDOVER_DRAIN);
                    out.println("jfuser: " + mount.mountpoint().map(Path::toString).orElse("the mount")
                            + " handed over through " + socket);
                    out.flush();
                    done.complete(true);
                } catch (IOException | RuntimeException e) {
                    err.println("jfuser: hand-over through " + socket + " failed: " + e.getMessage()
                            + (mount.isServing() ? "; still serving, listening again" : ""));
                    if (!mount.isServing()) {
                        done.complete(false);
                    }
                } catch (InterruptedException e) {
                    done.complete(false);
                }
            }
        });
        return done;
    }

    /** A little longer than the library's shutdown hook waits for the session to end. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(
            SessionOptions.EXIT_UNMOUNT_SECONDS + SessionOptions.EXIT_DESTROY_SECONDS + 5);

    /** How the session ended, said once by whoever gets there first (main or the shutdown hook). */
    private static final class Outcome {
        private final Mount mount;
        private final Path mountpoint;
        private final PrintStream out;
        private final PrintStream err;
        private final Supplier<String> failure;
        private final boolean stats;
        private Integer status;

        Outcome(Mount mount, Path mountpoint, PrintStream out, PrintStream err, Supplier<String> failure,
                boolean stats) {
            this.mount = mount;
            this.mountpoint = mountpoint;
            this.out = out;
            this.err = err;
            this.failure = failure;
            this.stats = stats;
        }

        /** The end as it is; a filesystem's failure at its end (memfs's last image save) makes it status 1. */
        synchronized int report() {
            if (status == null) {
                if (stats) {
                    out.print(mount.stats().table());
                }
                status = ended(mount, mountpoint, out, err);
                String failed = failure.get();
                if (failed != null) {
                    err.println("jfuser: " + failed);
                    status = 1;
                }
            }
            return status;
        }

        synchronized int gaveUp() {
            if (status == null) {
                err.println("jfuser: the session of " + mountpoint.toAbsolutePath() + " did not end within "
                        + EXIT_WAIT.toSeconds() + " s; exiting anyway");
                status = 1;
            }
            return status;
        }
    }

    /** Says how the session ended, only what is true: the mount is gone, or left behind dead (with the fix). */
    private static int ended(Mount mount, Path mountpoint, PrintStream out, PrintStream err) {
        Path mp = mountpoint.toAbsolutePath();
        if (mount.isMounted()) {
            err.println("jfuser: the session ended but " + mp + " is still mounted (the connection was aborted); "
                    + "unmount it with: umount -l " + mp);
            return 1;
        }
        out.println("jfuser: " + mp + " unmounted");
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
