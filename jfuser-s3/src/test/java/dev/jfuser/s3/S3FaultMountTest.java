package dev.jfuser.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.model.MultipartUpload;

/**
 * s3fs when the endpoint fails: a dead or silent endpoint, an interrupted caller, refused credentials and an
 * upload that breaks half way, through real mounts.
 */
@Tag("mount")
class S3FaultMountTest extends S3MountSupport {
    private TcpProxy proxy;

    private S3FsOptions at(URI endpoint, Duration requestTimeout) {
        return S3FsOptions.of(bucket, "").withEndpoint(endpoint).withParts(S3FsOptions.MIN_PART_SIZE, 2)
                .withTimeouts(Duration.ofSeconds(1), requestTimeout, 2);
    }

    @Test
    void aSilentEndpointIsAnErrorWithinTheTimeoutNotAHang() throws Exception {
        proxy = closeAfter(new TcpProxy(null)); // accepts connections, never answers
        Path mp = mounts.mount(S3Fs.create(at(proxy.endpoint(), Duration.ofSeconds(2)), S3Server.credentials()));
        long t0 = System.nanoTime();
        Shell.Result stat = Shell.sh(60, "stat \"$1\"/anything", mp.toString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertFalse(stat.ok(), stat.output());
        assertTrue(stat.output().contains("Connection timed out") || stat.output().contains("Input/output error"),
                stat.output());
        assertTrue(ms < 10_000, "took " + ms + " ms with a 2 s request timeout");
    }

    @Test
    void aRefusedConnectionIsEio() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        URI closed = URI.create("http://127.0.0.1:" + port);
        Path mp = mounts.mount(S3Fs.create(at(closed, Duration.ofSeconds(5)), S3Server.credentials()));
        long t0 = System.nanoTime();
        Shell.Result ls = Shell.sh(60, "ls \"$1\"", mp.toString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertFalse(ls.ok(), ls.output());
        assertTrue(ls.output().contains("Input/output error"), ls.output());
        assertTrue(ms < 10_000, "took " + ms + " ms");
    }

    @Test
    void anInterruptCancelsTheRequestInFlight() throws Exception {
        proxy = closeAfter(new TcpProxy(server.endpoint));
        Path mp = mounts.mount(S3Fs.create(at(proxy.endpoint(), Duration.ofSeconds(60)), S3Server.credentials()));
        Shell.Result warm = Shell.sh("ls \"$1\"", mp.toString());
        assertTrue(warm.ok(), warm.output());
        proxy.stall(true);
        int before = proxy.stalledOpened();
        Process stat = new ProcessBuilder("stat", mp.resolve("slow").toString()).redirectErrorStream(true).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (proxy.stalledOpened() == before && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(proxy.stalledOpened() > before, "the lookup never reached the endpoint");
        Thread.sleep(300);
        int closedBefore = proxy.stalledClosed();
        new ProcessBuilder("kill", "-INT", Long.toString(stat.pid())).start().waitFor();
        assertTrue(stat.waitFor(5, TimeUnit.SECONDS), "stat did not end after SIGINT");
        // The interrupted lookup's HTTP request is abandoned: its connection is closed, long before the 60 s
        // timeout.
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (proxy.stalledClosed() == closedBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(proxy.stalledClosed() > closedBefore, "the HTTP request was not cancelled");
        proxy.stall(false);
        Shell.Result again = Shell.sh("ls \"$1\"", mp.toString());
        assertTrue(again.ok(), again.output());
    }

    @Test
    void throttlingIsRetriedWithBackoffAndPersistentThrottlingIsEio() throws Exception {
        direct.putObject(b -> b.bucket(bucket).key("f"), software.amazon.awssdk.core.async.AsyncRequestBody
                .fromString("content")).get(20, TimeUnit.SECONDS);
        proxy = closeAfter(new TcpProxy(server.endpoint));
        S3FsOptions o = at(proxy.endpoint(), Duration.ofSeconds(20)).withTimeouts(Duration.ofSeconds(1),
                Duration.ofSeconds(20), 4);
        Path mp = mounts.mount(S3Fs.create(o, S3Server.credentials()));
        // Each of the first three connections is answered 503 SlowDown: the calls are retried and succeed.
        proxy.throttleNext(3);
        Shell.Result cat = Shell.sh("cat \"$1\"/f", mp.toString());
        assertEquals("content", cat.output());
        assertEquals(3, proxy.throttled());
        // Throttled beyond the attempts: an error, not a hang.
        proxy.throttleNext(1000);
        long t0 = System.nanoTime();
        Shell.Result ls = Shell.sh(60, "ls \"$1\"/d", mp.toString());
        assertFalse(ls.ok(), ls.output());
        assertTrue(ls.output().contains("Input/output error"), ls.output());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 20_000, "took too long");
    }

    @Test
    void refusedCredentialsAreOneClearLogLine() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger log = Logger.getLogger("dev.jfuser.s3");
        log.addHandler(h);
        try {
            var wrong = StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Server.ACCESS_KEY, "wrong"));
            S3Fs fs = S3Fs.create(at(server.endpoint, Duration.ofSeconds(5)), wrong);
            IOException probe = assertThrows(IOException.class, () -> S3Fs.await(fs.probe(), Duration.ofSeconds(20)));
            assertTrue(probe.getMessage().contains("refused the credentials"), probe.getMessage());
            Path mp = mounts.mount(fs);
            Shell.Result r = Shell.sh("ls \"$1\"; cat \"$1\"/a; stat \"$1\"/b; ls \"$1\"", mp.toString());
            assertTrue(r.output().contains("Permission denied"), r.output());
        } finally {
            log.removeHandler(h);
        }
        assertEquals(1, lines.stream().filter(l -> l.contains("refused the credentials")).count(), lines.toString());
    }

    @Test
    void anUploadThatFailsHalfWayLeavesNoObject() throws Exception {
        Path mp = mounts.mount(S3Fs.create(at(server.endpoint, Duration.ofSeconds(10)), S3Server.credentials()));
        byte[] mib = new byte[1 << 20];
        IOException failure = null;
        FileChannel ch = FileChannel.open(mp.resolve("broken"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
        try {
            for (int i = 0; i < 6; i++) {
                ch.write(ByteBuffer.wrap(mib)); // the first part (5 MiB) is uploading
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (uploads().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            MultipartUpload u = uploads().getFirst();
            // Someone (a lifecycle rule, an operator) aborts the upload behind the mount's back.
            direct.abortMultipartUpload(b -> b.bucket(bucket).key("broken").uploadId(u.uploadId()))
                    .get(20, TimeUnit.SECONDS);
            for (int i = 0; i < 12; i++) {
                ch.write(ByteBuffer.wrap(mib));
            }
        } catch (IOException e) {
            failure = e; // a later part failed while writing went on
        } finally {
            try {
                ch.close(); // else the close (flush) reports it
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        IOException closing = failure;
        assertTrue(closing != null, "the broken upload was reported as a success");
        assertTrue(closing.getMessage().contains("Input/output error"), closing.toString());
        assertFalse(exists("broken"), "a failed upload left an object");
        assertEquals(List.of(), uploads());
    }

    @Test
    void aFileRemovedWhileWrittenAbortsItsUpload() throws Exception {
        Path mp = mounts.mount(S3Fs.create(at(server.endpoint, Duration.ofSeconds(10)), S3Server.credentials()));
        byte[] mib = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(mp.resolve("gone"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            for (int i = 0; i < 11; i++) {
                ch.write(ByteBuffer.wrap(mib)); // two parts uploading or uploaded
            }
            Files.delete(mp.resolve("gone"));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!uploads().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(List.of(), uploads(), "the multipart upload was not aborted");
        assertFalse(exists("gone"));
    }

    @Test
    void aServerStoppedMidReadIsEioWithinTheTimeoutAndServedAgainWhenBack() throws Exception {
        byte[] big = new byte[48 << 20];
        new java.util.Random(7).nextBytes(big);
        put("big", big);
        proxy = closeAfter(new TcpProxy(server.endpoint));
        Path mp = mounts.mount(S3Fs.create(at(proxy.endpoint(), Duration.ofSeconds(5)), S3Server.credentials()));
        IOException failure = null;
        long ms;
        try (java.io.InputStream in = Files.newInputStream(mp.resolve("big"))) {
            assertEquals(4 << 20, in.readNBytes(4 << 20).length);
            proxy.down(); // the read-ahead's connections close mid-transfer, new ones are refused
            long t0 = System.nanoTime();
            try {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException e) {
                failure = e;
            }
            ms = (System.nanoTime() - t0) / 1_000_000;
        }
        assertTrue(failure != null, "reading on with the server stopped succeeded");
        assertTrue(failure.getMessage().contains("Input/output error"), failure.toString());
        assertTrue(ms < 10_000, "the read failed after " + ms + " ms with a 5 s request timeout");
        proxy.up();
        assertTrue(java.util.Arrays.equals(big, Files.readAllBytes(mp.resolve("big"))),
                "the file read after the server came back differs");
    }

    @Test
    void aServerStoppedMidUploadFailsTheCloseAndLeavesNoObject() throws Exception {
        proxy = closeAfter(new TcpProxy(server.endpoint));
        Path mp = mounts.mount(S3Fs.create(at(proxy.endpoint(), Duration.ofSeconds(5)), S3Server.credentials()));
        byte[] mib = new byte[1 << 20];
        IOException failure = null;
        long ms = 0;
        FileChannel ch = FileChannel.open(mp.resolve("half"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
        try {
            for (int i = 0; i < 6; i++) {
                ch.write(ByteBuffer.wrap(mib)); // the first part (5 MiB) is uploading
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (uploads().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, uploads().size(), "the multipart upload did not start");
            proxy.down();
            long t0 = System.nanoTime();
            try {
                for (int i = 0; i < 12; i++) {
                    ch.write(ByteBuffer.wrap(mib));
                }
                ch.force(false); // fsync completes the upload: it must fail
            } catch (IOException e) {
                failure = e;
            }
            ms = (System.nanoTime() - t0) / 1_000_000;
        } finally {
            try {
                ch.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        assertTrue(failure != null, "an upload to a stopped server was reported as a success");
        assertTrue(failure.getMessage().contains("Input/output error"), failure.toString());
        assertTrue(ms < 20_000, "the failure took " + ms + " ms with a 5 s request timeout");
        // The abort is tried at once, with the call's retries within its timeout (5 s): the server stays down
        // longer, so it fails and the incomplete upload is left to the bucket's lifecycle rule
        // (AbortIncompleteMultipartUpload), as the warning logged says. (Back within the retries, it is aborted.)
        Thread.sleep(7000);
        proxy.up();
        assertFalse(exists("half"), "a failed upload left an object");
        assertEquals(1, uploads().size(), uploads().toString());
        Files.writeString(mp.resolve("after"), "served again");
        assertEquals("served again", new String(get("after"), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aSlowServerSucceedsWithinTheTimeoutAndFailsBeyondIt() throws Exception {
        put("f", "slow but there".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        proxy = closeAfter(new TcpProxy(server.endpoint));
        Path mp = mounts.mount(S3Fs.create(at(proxy.endpoint(), Duration.ofSeconds(3)), S3Server.credentials()));
        proxy.delay(Duration.ofMillis(2300)); // each response: 77% of the request timeout
        Shell.Result cat = Shell.sh(60, "cat \"$1\"/f", mp.toString());
        assertEquals("slow but there", cat.output());
        proxy.delay(Duration.ofSeconds(8));
        long t0 = System.nanoTime();
        Shell.Result stat = Shell.sh(60, "stat \"$1\"/g", mp.toString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertFalse(stat.ok(), stat.output());
        assertTrue(stat.output().contains("Connection timed out"), stat.output());
        assertTrue(ms < 6_000, "took " + ms + " ms with a 3 s request timeout");
        proxy.delay(Duration.ZERO);
        Shell.Result again = Shell.sh(60, "cat \"$1\"/f", mp.toString());
        assertEquals("slow but there", again.output());
    }
}
