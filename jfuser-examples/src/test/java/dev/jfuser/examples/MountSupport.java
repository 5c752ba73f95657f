package dev.jfuser.examples;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Helpers for tests that mount through the real kernel: preconditions, processes, and leak checks. */
public final class MountSupport {
    private MountSupport() {}

    /** Skips the test (with the reason) unless /dev/fuse exists and we are root. */
    public static void assumeRootAndFuse() {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse on this machine: modprobe fuse");
        assumeTrue("root".equals(System.getProperty("user.name")), "mount tests run as root");
    }

    /**
     * The fusermount3 mounts would use: the system property {@value #FUSERMOUNT_PROPERTY} if set (as the library
     * reads it), else the first in PATH or the usual system directories; empty if there is none.
     */
    public static Optional<Path> fusermount3() {
        String forced = System.getProperty(FUSERMOUNT_PROPERTY);
        if (forced != null) {
            Path p = Path.of(forced);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin", "/sbin"));
        return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, "fusermount3"))
                .filter(Files::isExecutable).findFirst();
    }

    /** The library's system property naming the fusermount3 to use. */
    public static final String FUSERMOUNT_PROPERTY = "jfuser.fusermount";

    /** Skips the test, saying why, unless fusermount3 is available (package fuse3). */
    public static void assumeFusermount3() {
        assumeTrue(fusermount3().isPresent(), System.getProperty(FUSERMOUNT_PROPERTY) != null
                ? "fusermount3 not found at " + System.getProperty(FUSERMOUNT_PROPERTY) + " (-D" + FUSERMOUNT_PROPERTY
                + ")" : "fusermount3 not found: apt-get install fuse3");
    }

    /** Skips the test, saying why, unless {@code tool} is in PATH (or /usr/sbin, /sbin). */
    public static void assumeTool(String tool, String pkg) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin"));
        boolean found = dirs.stream().filter(d -> !d.isEmpty()).anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
        assumeTrue(found, tool + " not found: apt-get install " + pkg);
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

    /**
     * The processes that keep {@code dir} (a mount point) busy, one per line: pid, command, and what points inside
     * (working directory, root, an open fd, a mapped file); empty if none. For the message of a failed unmount.
     */
    public static String holders(Path dir) {
        String prefix = dir.toAbsolutePath().toString();
        StringBuilder out = new StringBuilder();
        File[] procs = new File("/proc").listFiles((d, name) -> name.chars().allMatch(Character::isDigit));
        if (procs == null) {
            return "";
        }
        for (File proc : procs) {
            List<String> what = new ArrayList<>();
            for (String link : List.of("cwd", "root", "exe")) {
                if (inside(readLink(proc.toPath().resolve(link)), prefix)) {
                    what.add(link);
                }
            }
            File[] fds = proc.toPath().resolve("fd").toFile().listFiles();
            for (File fd : fds == null ? new File[0] : fds) {
                String target = readLink(fd.toPath());
                if (inside(target, prefix)) {
                    what.add("fd " + fd.getName() + " " + target);
                }
            }
            try {
                for (String line : Files.readAllLines(proc.toPath().resolve("maps"))) {
                    int slash = line.indexOf('/');
                    if (slash >= 0 && inside(line.substring(slash), prefix)) {
                        what.add("maps " + line.substring(slash));
                        break;
                    }
                }
            } catch (IOException | RuntimeException gone) {
                // the process ended, or its maps are not readable
            }
            if (!what.isEmpty()) {
                String comm;
                try {
                    comm = Files.readString(proc.toPath().resolve("cmdline")).replace('\0', ' ').strip();
                } catch (IOException gone) {
                    comm = "?";
                }
                out.append("  pid ").append(proc.getName()).append(" (").append(comm).append("): ")
                        .append(String.join(", ", what)).append('\n');
            }
        }
        return out.toString();
    }

    private static boolean inside(String path, String prefix) {
        return path != null && (path.equals(prefix) || path.startsWith(prefix + "/"));
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
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
        cmd.addAll(forwardedProperties());
        cmd.addAll(List.of("-m", "dev.jfuser.examples/dev.jfuser.examples.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * The java command line, up to the main class, that runs a class of this module's tests or main code on the
     * class path, as an application that uses jfuser would.
     */
    public static List<String> javaCommand() {
        Path examples = Path.of("target/classes").toAbsolutePath();
        Path tests = Path.of("target/test-classes").toAbsolutePath();
        Path core = examples.getParent().getParent().getParent().resolve("jfuser/target/classes");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:-UsePerfData", "--enable-native-access=ALL-UNNAMED", "-cp", core + ":" + examples + ":" + tests));
        cmd.addAll(forwardedProperties());
        return cmd;
    }

    /**
     * The transport under test (bin/test runs the mount tests over /dev/fuse and over io_uring) and the fusermount3
     * to use, for a child JVM.
     */
    private static List<String> forwardedProperties() {
        List<String> props = new ArrayList<>();
        for (String name : List.of("jfuser.transport", FUSERMOUNT_PROPERTY, "java.io.tmpdir")) {
            String value = System.getProperty(name);
            if (value != null) {
                props.add("-D" + name + "=" + value);
            }
        }
        return props;
    }
}
