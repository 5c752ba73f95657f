package dev.jfuser.s3;

import dev.jfuser.Fuse;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code jfuser s3 BUCKET[/PREFIX] MOUNTPOINT --endpoint URL [options]}: mounts a bucket with {@link S3Fs}.
 * Credentials come from the environment or the profile files ({@link S3Clients#standardCredentials()}).
 */
public final class S3Main {
    private S3Main() {
    }

    static final String USAGE = """
            usage: jfuser s3 BUCKET[/PREFIX] MOUNTPOINT [options]
              mounts an S3 bucket (or the keys under PREFIX) with s3fs; credentials from AWS_ACCESS_KEY_ID /
              AWS_SECRET_ACCESS_KEY, or AWS_PROFILE and ~/.aws/credentials
            options:
              --endpoint URL        the S3 endpoint, e.g. http://127.0.0.1:9000 (default: AWS for the region)
              --region R            the signing region (default us-east-1, or AWS_REGION)
              --read-only           refuse every change (EROFS)
              --ttl SECONDS         how long names and attributes are trusted (default 1)
              --part-size MIB       multipart part size, the write buffer of each file (default 8, at least 5)
              --prefetch-mib MIB    read-ahead memory budget across all open files (default 256)
              --timeout SECONDS     the most one S3 call may take, retries included (default 30)
              --uid N, --gid N      the owner shown for every file (default: the caller's)
            """;

    /**
     * Runs the command; exits with 0 after a clean unmount, 1 on a failure, 2 on bad usage.
     *
     * @param args the command line after {@code s3}
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        S3FsOptions options;
        Path mountpoint;
        try {
            List<String> positional = new ArrayList<>();
            String endpoint = null;
            String region = System.getenv().getOrDefault("AWS_REGION", "us-east-1");
            boolean readOnly = false;
            Duration ttl = null;
            Integer partMib = null;
            Long prefetchMib = null;
            Duration timeout = null;
            int uid = (int) uidOf("-u");
            int gid = (int) uidOf("-g");
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "-h", "--help" -> {
                        out.print(USAGE);
                        return 0;
                    }
                    case "--endpoint" -> endpoint = value(args, ++i, a);
                    case "--region" -> region = value(args, ++i, a);
                    case "--read-only" -> readOnly = true;
                    case "--ttl" -> ttl = seconds(value(args, ++i, a), a, true);
                    case "--part-size" -> partMib = (int) number(value(args, ++i, a), a, 5, 5120);
                    case "--prefetch-mib" -> prefetchMib = number(value(args, ++i, a), a, 0, 1 << 20);
                    case "--timeout" -> timeout = seconds(value(args, ++i, a), a, false);
                    case "--uid" -> uid = (int) number(value(args, ++i, a), a, 0, Integer.MAX_VALUE);
                    case "--gid" -> gid = (int) number(value(args, ++i, a), a, 0, Integer.MAX_VALUE);
                    default -> {
                        if (a.startsWith("-")) {
                            throw new IllegalArgumentException("unknown option " + a + " (see --help)");
                        }
                        positional.add(a);
                    }
                }
            }
            if (positional.size() != 2) {
                throw new IllegalArgumentException("expected BUCKET[/PREFIX] MOUNTPOINT, got " + positional);
            }
            options = S3FsOptions.parse(positional.get(0)).withRegion(region).withReadOnly(readOnly)
                    .withOwner(uid, gid);
            if (endpoint != null) {
                URI e = URI.create(endpoint);
                if (e.getScheme() == null || !e.getScheme().matches("https?") || e.getHost() == null) {
                    throw new IllegalArgumentException("--endpoint needs an http:// or https:// URL, got '"
                            + endpoint + "'");
                }
                options = options.withEndpoint(e);
            }
            if (ttl != null) {
                options = options.withTtl(ttl);
            }
            if (partMib != null) {
                options = options.withParts(partMib << 20, options.partsInFlight());
            }
            if (prefetchMib != null) {
                options = options.withPrefetch(prefetchMib << 20, options.maxReadAhead());
            }
            if (timeout != null) {
                options = options.withTimeouts(options.connectTimeout(), timeout, options.maxAttempts());
            }
            mountpoint = Path.of(positional.get(1));
            if (!Files.isDirectory(mountpoint)) {
                throw new IllegalArgumentException("mount point " + mountpoint + " is not a directory: mkdir it");
            }
        } catch (IllegalArgumentException e) {
            err.println("jfuser s3: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        S3Fs fs = S3Fs.create(options, S3Clients.standardCredentials());
        try {
            // One listing before mounting: a wrong endpoint, bucket or key is one clear line, not a mount whose
            // every call fails.
            S3Fs.await(fs.probe(), options.requestTimeout().plusSeconds(5));
        } catch (IOException e) {
            err.println("jfuser s3: " + e.getMessage());
            fs.destroy();
            return 1;
        }
        MountOptions.Builder mo = MountOptions.builder().fsname("s3fs").subtype("s3fs");
        if (options.readOnly()) {
            mo.readOnly();
        }
        Mount mount;
        try {
            mount = Fuse.mount(fs, mountpoint, mo.build());
        } catch (IOException | RuntimeException e) {
            err.println("jfuser s3: " + e.getMessage());
            fs.destroy();
            return 1;
        }
        out.println("jfuser s3: " + options + " mounted on " + mountpoint.toAbsolutePath() + "; Ctrl-C or 'umount "
                + mountpoint.toAbsolutePath() + "' to stop");
        out.flush();
        try {
            mount.awaitUnmount();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } catch (IllegalStateException e) {
            err.println("jfuser s3: the filesystem stopped after an error (" + e.getCause() + "); unmounted");
            return 1;
        }
        return 0;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static long number(String v, String option, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a whole number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(option + " must be " + min + " to " + max + ", got " + n);
        }
        return n;
    }

    private static Duration seconds(String v, String option, boolean zeroAllowed) {
        double d;
        try {
            d = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " needs a number of seconds, got '" + v + "'");
        }
        if (!(zeroAllowed ? d >= 0 : d > 0) || d > 1e6) {
            throw new IllegalArgumentException(option + " must be " + (zeroAllowed ? "0" : "more than 0")
                    + " to 1e6 seconds, got '" + v + "'");
        }
        return Duration.ofMillis(Math.round(d * 1000));
    }

    /** The caller's uid or gid ({@code id -u} / {@code id -g}); 0 if it cannot be told. */
    private static long uidOf(String flag) {
        try {
            Process p = new ProcessBuilder("id", flag).redirectErrorStream(true).start();
            String s = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? Long.parseLong(s) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
