package dev.jfuser.examples.httpfs;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * What httpfs mounts and how patiently.
 *
 * @param base the directory URL to mount (http or https; a '/' is added if missing)
 * @param connectTimeout how long to wait for a TCP (and TLS) connection
 * @param requestTimeout how long to wait for a response; a server that does not answer in time gives EIO
 * @param ttl how long names, attributes and listings are trusted before the server is asked again
 * @param blockSize the unit of reads and of the cache, in bytes
 * @param cacheBytes the block cache's budget in bytes
 * @param uid owner shown for every file
 * @param gid group shown for every file
 */
public record HttpFsOptions(URI base, Duration connectTimeout, Duration requestTimeout, Duration ttl, int blockSize,
                            long cacheBytes, int uid, int gid) {
    /** 128 KiB: the kernel's default readahead, so one sequential read request is usually one block. */
    public static final int DEFAULT_BLOCK_SIZE = 128 * 1024;

    public HttpFsOptions {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(ttl, "ttl");
        String scheme = base.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || base.getHost() == null) {
            throw new IllegalArgumentException("not an http(s) URL: '" + base + "' (e.g. http://127.0.0.1:8000/)");
        }
        if (base.getRawQuery() != null || base.getRawFragment() != null) {
            throw new IllegalArgumentException("the URL must name a directory, without ?query or #fragment: " + base);
        }
        if (!base.getRawPath().endsWith("/")) {
            base = URI.create(base + "/");
        }
        if (blockSize < 4096 || blockSize > 16 << 20) {
            throw new IllegalArgumentException("blockSize must be 4 KiB..16 MiB, got " + blockSize);
        }
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("cacheBytes must not be negative: " + cacheBytes);
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero() || requestTimeout.isNegative()
                || requestTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive: " + connectTimeout + ", " + requestTimeout);
        }
        if (ttl.isNegative()) {
            throw new IllegalArgumentException("ttl must not be negative: " + ttl);
        }
    }

    /**
     * Defaults for {@code base}: 5 s to connect, 30 s per request, 5 s TTL, 128 KiB blocks, 64 MiB of cache, files
     * owned by root.
     */
    public static HttpFsOptions of(URI base) {
        return new HttpFsOptions(base, Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(5),
                DEFAULT_BLOCK_SIZE, 64L << 20, 0, 0);
    }

    /** These options with other timeouts. */
    public HttpFsOptions withTimeouts(Duration connect, Duration request) {
        return new HttpFsOptions(base, connect, request, ttl, blockSize, cacheBytes, uid, gid);
    }

    /** These options with another TTL for names, attributes and listings. */
    public HttpFsOptions withTtl(Duration ttl) {
        return new HttpFsOptions(base, connectTimeout, requestTimeout, ttl, blockSize, cacheBytes, uid, gid);
    }

    /** These options with another block cache budget. */
    public HttpFsOptions withCacheBytes(long cacheBytes) {
        return new HttpFsOptions(base, connectTimeout, requestTimeout, ttl, blockSize, cacheBytes, uid, gid);
    }

    /** These options with another block size. */
    public HttpFsOptions withBlockSize(int blockSize) {
        return new HttpFsOptions(base, connectTimeout, requestTimeout, ttl, blockSize, cacheBytes, uid, gid);
    }

    /** These options showing files as owned by {@code uid}/{@code gid}. */
    public HttpFsOptions withOwner(int uid, int gid) {
        return new HttpFsOptions(base, connectTimeout, requestTimeout, ttl, blockSize, cacheBytes, uid, gid);
    }
}
