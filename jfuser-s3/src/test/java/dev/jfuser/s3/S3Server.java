package dev.jfuser.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * A real S3 API for the tests: S3Proxy in this JVM on a loopback port, over jclouds' in-memory ("transient")
 * store, checking AWS signatures (v2 or v4) against one key pair.
 */
final class S3Server {
    static final String ACCESS_KEY = "jfuser-test-access";
    static final String SECRET_KEY = "jfuser-test-secret";
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private final BlobStoreContext context;
    private final S3Proxy proxy;
    final URI endpoint;

    /** A server over jclouds' in-memory store (objects up to 2 GiB: it keeps each in one array). */
    S3Server() throws Exception {
        this(null);
    }

    /**
     * A server over jclouds' filesystem store in {@code dir} (objects of any size), or in memory if null.
     *
     * @param dir where the store keeps its buckets, or null for memory
     */
    S3Server(java.nio.file.Path dir) throws Exception {
        Properties p = new Properties();
        if (dir != null) {
            p.setProperty("jclouds.filesystem.basedir", dir.toString());
        }
        context = ContextBuilder.newBuilder(dir == null ? "transient" : "filesystem").credentials("unused", "unused")
                .overrides(p).build(BlobStoreContext.class);
        proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY).build();
        proxy.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(10);
        }
        endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    static AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    /** A new empty bucket, named uniquely for this server. */
    String newBucket() {
        String name = "bucket-" + BUCKETS.incrementAndGet();
        context.getBlobStore().createContainerInLocation(null, name);
        return name;
    }

    /** The keys in {@code bucket}, as the store holds them. */
    java.util.Set<String> keys(String bucket) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (var m : context.getBlobStore().list(bucket, org.jclouds.blobstore.options.ListContainerOptions.Builder
                .recursive())) {
            out.add(m.getName());
        }
        return out;
    }

    /** Options for {@code bucket} on this server with short timeouts, so a failing test fails fast. */
    S3FsOptions options(String bucket) {
        return S3FsOptions.of(bucket, "").withEndpoint(endpoint)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(20), 3);
    }

    /** A client of the test's own, to look at the bucket behind the filesystem's back. */
    S3AsyncClient client() {
        return S3Clients.create(options("bucket-0"), credentials());
    }

    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
