package dev.jfuser.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What an {@link S3Fs} mounts and how: the bucket and key prefix, the endpoint, caching, buffering and timeouts.
 * Start from {@link #of(String, String)} and change what you need with the {@code with…} methods.
 *
 * @param bucket the bucket's name
 * @param prefix the key prefix mounted as the root: empty for the whole bucket, else ending in {@code '/'}
 * @param endpoint the S3 endpoint (an S3-compatible server, a VPC endpoint); empty for AWS's own for the region
 * @param region the signing region
 * @param readOnly whether every change is refused with EROFS
 * @param ttl how long names, attributes and listings are trusted, here and in the kernel
 * @param partSize the size of each multipart upload part, and so of a writer's buffer (5 MiB to 5 GiB)
 * @param partsInFlight how many parts of one file may be uploading at once while it is written
 * @param prefetchBytes the memory budget for read-ahead across all open files
 * @param maxReadAhead the largest single read-ahead window of a sequential reader
 * @param connectTimeout how long a TCP connection to the endpoint may take
 * @param requestTimeout the most one S3 call may take, retries included: then the caller gets EIO
 * @param maxAttempts how many times one S3 call is tried (5xx and throttling answers are retried with backoff)
 * @param uid the owner shown for every file
 * @param gid the group shown for every file
 */
public record S3FsOptions(String bucket, String prefix, Optional<URI> endpoint, String region, boolean readOnly,
        Duration ttl, int partSize, int partsInFlight, long prefetchBytes, int maxReadAhead, Duration connectTimeout,
        Duration requestTimeout, int maxAttempts, int uid, int gid) {

    /** The smallest part S3 accepts (all but the last part of a multipart upload). */
    public static final int MIN_PART_SIZE = 5 << 20;

    /** Checks every value; a bad one throws {@link IllegalArgumentException} naming it and what it must be. */
    public S3FsOptions {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("bucket name '" + bucket + "' is not a valid S3 bucket name (3 to 63 "
                    + "lower-case letters, digits, '.' and '-')");
        }
        if (!prefix.isEmpty() && (!prefix.endsWith("/") || prefix.startsWith("/") || prefix.contains("//"))) {
            throw new IllegalArgumentException("prefix '" + prefix + "' must be empty or like 'a/b/' (no leading "
                    + "'/', ending in '/')");
        }
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative, got " + ttl);
        }
        if (partSize < MIN_PART_SIZE) {
            throw new IllegalArgumentException("part size must be at least 5 MiB (S3's smallest part), got "
                    + partSize);
        }
        if (partsInFlight < 1) {
            throw new IllegalArgumentException("parts in flight must be at least 1, got " + partsInFlight);
        }
        if (prefetchBytes < 0) {
            throw new IllegalArgumentException("prefetch budget must not be negative, got " + prefetchBytes);
        }
        if (maxReadAhead < 128 << 10) {
            throw new IllegalArgumentException("max read-ahead must be at least 128 KiB, got " + maxReadAhead);
        }
        if (!requestTimeout.isPositive() || !connectTimeout.isPositive()) {
            throw new IllegalArgumentException("timeouts must be positive, got connect " + connectTimeout
                    + ", request " + requestTimeout);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("max attempts must be at least 1, got " + maxAttempts);
        }
    }

    /**
     * Defaults for {@code bucket} under {@code prefix}: AWS's endpoint for us-east-1, read-write, a 1 s TTL, 8 MiB
     * parts with 2 in flight per file, 256 MiB of read-ahead in all (8 MiB at most per reader), 5 s to connect and
     * 30 s per call with 3 attempts, files owned by uid/gid 0.
     *
     * @param bucket the bucket
     * @param prefix the key prefix to mount ("" for the whole bucket; a missing trailing '/' is added)
     * @return the options
     */
    public static S3FsOptions of(String bucket, String prefix) {
        String p = prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/";
        return new S3FsOptions(bucket, p, Optional.empty(), "us-east-1", false, Duration.ofSeconds(1), 8 << 20, 2,
                256L << 20, 8 << 20, Duration.ofSeconds(5), Duration.ofSeconds(30), 3, 0, 0);
    }

    /**
     * Parses {@code BUCKET[/PREFIX]} as the command line takes it.
     *
     * @param spec the bucket, optionally followed by '/' and a key prefix
     * @return default options for that bucket and prefix
     */
    public static S3FsOptions parse(String spec) {
        int slash = spec.indexOf('/');
        return slash < 0 ? of(spec, "") : of(spec.substring(0, slash), spec.substring(slash + 1));
    }

    /**
     * Sends requests to another endpoint.
     *
     * @param uri the endpoint to send requests to (path-style addressing is used with it)
     * @return these options with that endpoint
     */
    public S3FsOptions withEndpoint(URI uri) {
        return new S3FsOptions(bucket, prefix, Optional.of(uri), region, readOnly, ttl, partSize, partsInFlight,
                prefetchBytes, maxReadAhead, connectTimeout, requestTimeout, maxAttempts, uid, gid);
    }

    /**
     * Signs for another region.
     *
     * @param r the signing region
     * @return these options with that region
     */
    public S3FsOptions withRegion(String r) {
        return new S3FsOptions(bucket, prefix, endpoint, r, readOnly, ttl, partSize, partsInFlight, prefetchBytes,
                maxReadAhead, connectTimeout, requestTimeout, maxAttempts, uid, gid);
    }

    /**
     * Makes the mount read-only or read-write.
     *
     * @param ro whether every change is refused with EROFS
     * @return these options, read-only or not
     */
    public S3FsOptions withReadOnly(boolean ro) {
        return new S3FsOptions(bucket, prefix, endpoint, region, ro, ttl, partSize, partsInFlight, prefetchBytes,
                maxReadAhead, connectTimeout, requestTimeout, maxAttempts, uid, gid);
    }

    /**
     * Trusts metadata for another time.
     *
     * @param t how long metadata is trusted
     * @return these options with that TTL
     */
    public S3FsOptions withTtl(Duration t) {
        return new S3FsOptions(bucket, prefix, endpoint, region, readOnly, t, partSize, partsInFlight, prefetchBytes,
                maxReadAhead, connectTimeout, requestTimeout, maxAttempts, uid, gid);
    }

    /**
     * Buffers and uploads writes in other parts.
     *
     * @param size the multipart part size
     * @param inFlight how many parts of one file may upload at once
     * @return these options with that write buffering
     */
    public S3FsOptions withParts(int size, int inFlight) {
        return new S3FsOptions(bucket, prefix, endpoint, region, readOnly, ttl, size, inFlight, prefetchBytes,
                maxReadAhead, connectTimeout, requestTimeout, maxAttempts, uid, gid);
    }

    /**
     * Reads ahead within another budget.
     *
     * @param budget the read-ahead memory budget across all open files
     * @param window the largest read-ahead window of one reader
     * @return these options with that read-ahead
     */
    public S3FsOptions withPrefetch(long budget, int window) {
        return new S3FsOptions(bucket, prefix, endpoint, region, readOnly, ttl, partSize, partsInFlight, budget,
                window, connectTimeout, requestTimeout, maxAttempts, uid, gid);
    }

    /**
     * Changes the timeouts and attempts.
     *
     * @param connect the TCP connect timeout
     * @param request the timeout of one S3 call, retries included
     * @param attempts how many times a call is tried
     * @return these options with those timeouts
     */
    public S3FsOptions withTimeouts(Duration connect, Duration request, int attempts) {
        return new S3FsOptions(bucket, prefix, endpoint, region, readOnly, ttl, partSize, partsInFlight,
                prefetchBytes, maxReadAhead, connect, request, attempts, uid, gid);
    }

    /**
     * Shows another owner.
     *
     * @param u the owner shown for every file
     * @param g the group shown for every file
     * @return these options with that owner
     */
    public S3FsOptions withOwner(int u, int g) {
        return new S3FsOptions(bucket, prefix, endpoint, region, readOnly, ttl, partSize, partsInFlight,
                prefetchBytes, maxReadAhead, connectTimeout, requestTimeout, maxAttempts, u, g);
    }

    /** {@code s3://bucket/prefix}, for messages and the mount's source. */
    @Override
    public String toString() {
        return "s3://" + bucket + "/" + prefix + endpoint.map(e -> " at " + e).orElse("");
    }
}
