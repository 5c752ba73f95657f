package dev.jfuser.examples;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Helpers for tests that mount through the real kernel: preconditions, processes, and leak checks. */
public final class MountSupport {
    private MountSupport() {}

    /** Skips the test (with the reason) unless /dev/fuse exists and we are root. */
    public static void assumeRootAndFuse() {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse on this machine: modprobe fuse");
        assumeTrue("root".equals(System.getProperty("user.name")), "mount tests run as root");
    }

    /** The FUSE mount points listed in /proc/self/mountinfo. */
    public static List<String> fuseMounts() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] halves = line.split(" - ", 2);
            if (halves.length == 2 && halves[1].startsWith("fuse")) {
                out.add(halves[0].split(" ")[4]);
            }
        }
        return out;
    }

    /** Whether {@code dir} is a mount point now. */
    public static boolean isMounted(Path dir) throws IOException {
        return fuseMounts().contains(dir.toAbsolutePath().toString());
    }

    /** Detaches {@code dir} if a failed test left it mounted; returns whether it had to. */
    public static boolean forceUnmount(Path dir) throws IOException, InterruptedException {
        if (!isMounted(dir)) {
            return false;
        }
        run("umount", "-l", dir.toString());
        return true;
    }

    /** Runs a command, returns its exit code, stdout+stderr in {@code Result}. */
    public static Result run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 60 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** A finished command. */
    public record Result(int exitCode, String output) {
    }

    /** The java command line that runs the jfuser CLI from this build's classes (no jar needed). */
    public static List<String> cliCommand(String... args) {
        Path examples = Path.of("target/classes").toAbsolutePath();
        Path core = examples.getParent().getParent().getParent().resolve("jfuser/target/classes");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "--enable-native-access=dev.jfuser", "-p", core + ":" + examples));
        // The transport under test (bin/test runs the mount tests over /dev/fuse and over io_uring).
        String transport = System.getProperty("jfuser.transport");
        if (transport != null) {
            cmd.add("-Djfuser.transport=" + transport);
        }
        cmd.addAll(List.of("-m", "dev.jfuser.examples/dev.jfuser.examples.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
