package dev.jfuser.s3;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * What the s3fs mount tests share: one S3 server (S3Proxy in memory) per test class, a client of the test's own
 * to look at the bucket behind the mount's back, a new bucket and a mount list per test, each mount unmounted (and
 * whatever the test registered with {@link #closeAfter} closed) at the end, also when the test failed.
 */
abstract class S3MountSupport {
    static S3Server server;
    static S3AsyncClient direct;

    @TempDir
    Path dir;
    S3Mounts mounts;
    String bucket;
    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3Server();
        direct = server.client();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (direct != null) {
            direct.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void newBucketAndMounts() {
        Shell.assumeRootAndFuse();
        mounts = new S3Mounts(dir);
        bucket = server.newBucket();
    }

    @AfterEach
    void unmountAll() throws Exception {
        try {
            if (mounts != null) {
                mounts.close();
            }
        } finally {
            for (AutoCloseable c : closeAfter.reversed()) {
                c.close();
            }
        }
    }

    /** Closes {@code c} after the test's mounts are gone. */
    <T extends AutoCloseable> T closeAfter(T c) {
        closeAfter.add(c);
        return c;
    }

    void put(String key, byte[] data) throws Exception {
        direct.putObject(b -> b.bucket(bucket).key(key), AsyncRequestBody.fromBytes(data)).get(60, TimeUnit.SECONDS);
    }

    byte[] get(String key) throws Exception {
        return direct.getObject(b -> b.bucket(bucket).key(key), AsyncResponseTransformer.toBytes())
                .get(60, TimeUnit.SECONDS).asByteArray();
    }

    boolean exists(String key) throws Exception {
        try {
            direct.headObject(b -> b.bucket(bucket).key(key)).get(20, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            return false;
        }
    }

    List<MultipartUpload> uploads() throws Exception {
        return direct.listMultipartUploads(b -> b.bucket(bucket)).get(20, TimeUnit.SECONDS).uploads();
    }

    static void ok(Shell.Result r) {
        assertTrue(r.ok(), "exit " + r.exitCode() + ":\n" + r.output());
    }
}
