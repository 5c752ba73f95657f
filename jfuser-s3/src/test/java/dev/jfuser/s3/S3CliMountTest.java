package dev.jfuser.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jfuser s3} as a user runs it: a separate JVM, credentials from the environment, Ctrl-C (SIGTERM here)
 * to stop; and its one-line answers to a bad command line or refused credentials.
 */
@Tag("mount")
class S3CliMountTest {
    private static S3Server server;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        server = new S3Server();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static ProcessBuilder cli(String secret, String... args) {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "-cp", cp));
        String transport = System.getProperty("jfuser.transport");
        if (transport != null) {
            cmd.add("-Djfuser.transport=" + transport);
        }
        cmd.add("dev.jfuser.s3.S3Main");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("AWS_ACCESS_KEY_ID", S3Server.ACCESS_KEY);
        env.put("AWS_SECRET_ACCESS_KEY", secret);
        env.remove("AWS_PROFILE");
        return pb;
    }

    @Test
    void mountsWithEnvironmentCredentialsAndStopsOnSigterm() throws Exception {
        Shell.assumeRootAndFuse();
        String bucket = server.newBucket();
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        Process p = cli(S3Server.SECRET_KEY, bucket + "/some/prefix", mp.toString(), "--endpoint",
                server.endpoint.toString()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.contains("mounted on"), "first line: " + line);
            Shell.Result w = Shell.sh("echo hi > \"$1\"/f && mkdir \"$1\"/d && cat \"$1\"/f", mp.toString());
            assertEquals("hi\n", w.output());
            // the file is under the prefix in the bucket
            assertTrue(server.keys(bucket).contains("some/prefix/f"), server.keys(bucket).toString());
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "jfuser s3 did not exit on SIGTERM");
            assertFalse(Shell.fuseMounts().contains(mp.toString()), "still mounted after exit");
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
            Shell.forceUnmount(mp);
        }
    }

    @Test
    void refusedCredentialsAreOneLineAndExitStatus1() throws Exception {
        String bucket = server.newBucket();
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        Process p = cli("wrong-secret", bucket, mp.toString(), "--endpoint", server.endpoint.toString()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("refused the credentials") && out.contains("AWS_SECRET_ACCESS_KEY"), out);
    }

    @Test
    void badCommandLinesSayWhatIsWrong() throws Exception {
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        for (String[] args : List.of(new String[] {"Bad_Bucket", mp.toString()},
                new String[] {"bucket", mp.toString(), "--endpoint", "ftp://x"},
                new String[] {"bucket", mp.toString(), "--part-size", "1"},
                new String[] {"bucket"})) {
            Process p = cli(S3Server.SECRET_KEY, args).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), out);
            assertTrue(out.startsWith("jfuser s3: ") && out.contains("usage:"), out);
        }
    }
}
