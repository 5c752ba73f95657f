package dev.jfuser.s3;

import dev.jfuser.testkit.FilesystemContract;
import dev.jfuser.testkit.FsClient;
import dev.jfuser.testkit.FuseMountExtension;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test kit's portable contract against s3fs on a real mount and a real S3 API, with what objects cannot do
 * declared unsupported (each skipped test names its feature).
 */
@Tag("mount")
class S3PortableContractTest extends FilesystemContract {
    private static final S3Server SERVER = start();

    @RegisterExtension
    static final FuseMountExtension MOUNT = FuseMountExtension.ofAsync(() -> S3Fs.create(
            SERVER.options(SERVER.newBucket()).withParts(S3FsOptions.MIN_PART_SIZE, 2), S3Server.credentials()));

    private static S3Server start() {
        try {
            return new S3Server();
        } catch (Exception e) {
            throw new IllegalStateException("the test S3 server did not start", e);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        SERVER.close();
    }

    @Override
    protected FsClient client() {
        return FsClient.mounted(MOUNT.root());
    }

    @Override
    protected Set<Feature> unsupported() {
        return EnumSet.of(Feature.HARD_LINKS, Feature.SYMLINKS, Feature.XATTRS, Feature.PERMISSIONS,
                Feature.DEVICES, Feature.FIFOS, Feature.RENAME_EXCHANGE, Feature.RANDOM_WRITES,
                Feature.DIRECTORY_RENAME);
    }
}
