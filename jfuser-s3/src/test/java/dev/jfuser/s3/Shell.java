package dev.jfuser.s3;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Commands and mount checks for the s3fs mount tests. */
final class Shell {
    private Shell() {
    }

    /** A finished command: exit code and stdout+stderr. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    /** Skips the test unless /dev/fuse exists and we are root (mount tests mount for real). */
    static void assumeRootAndFuse() {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse on this machine: modprobe fuse");
        assumeTrue("root".equals(System.getProperty("user.name")), "mount tests run as root");
    }

    /** Skips the test unless {@code tool} is installed. */
    static void assumeTool(String tool, String pkg) {
        boolean found = List.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")).stream()
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, tool)));
        assumeTrue(found, tool + " not found: apt-get install " + pkg);
    }

    /** Runs {@code sh -c script} with {@code $1…} bound to {@code args}; at most {@code seconds}. */
    static Result sh(int seconds, String script, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", script, "sh"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[][] out = new byte[1][];
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("did not finish in " + seconds + " s: " + script);
        }
        reader.join(5000);
        return new Result(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
    }

    static Result sh(String script, String... args) throws IOException, InterruptedException {
        return sh(120, script, args);
    }

    /** The FUSE mount points listed in /proc/self/mountinfo. */
    static List<String> fuseMounts() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ", 2);
            if (halves.length == 2 && halves[1].startsWith("fuse")) {
                out.add(halves[0].split(" ")[4]);
            }
        }
        return out;
    }

    /** Detaches {@code dir} if a failed test left it mounted; returns whether it had to. */
    static boolean forceUnmount(Path dir) throws IOException, InterruptedException {
        if (!fuseMounts().contains(dir.toAbsolutePath().toString())) {
            return false;
        }
        sh(30, "umount -l \"$1\"", dir.toString());
        return true;
    }
}
