package dev.jfuser.examples.contract;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the commands the contract suite needs beyond NIO: coreutils, and small Python programs calling the
 * {@code os} functions Java has no API for (renameat2 flags, fallocate modes, SEEK_DATA, O_TMPFILE...).
 */
public final class Shell {
    /** The system Python (not a user's pyenv shim, which other users cannot run). */
    public static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    /**
     * Definitions every Python snippet can use: {@code renameat2}, {@code fallocate}, {@code linkat_empty},
     * {@code getxattr_sized}, {@code err(fn)} (returns "OK" or the errno name of the OSError fn raised).
     */
    static final String PRELUDE = """
            import os, sys, errno, ctypes, fcntl, stat, struct, socket, time
            libc = ctypes.CDLL(None, use_errno=True)
            def _check(r):
                if r < 0:
                    e = ctypes.get_errno()
                    raise OSError(e, os.strerror(e))
                return r
            def renameat2(a, b, flags):
                _check(libc.renameat2(-100, a.encode(), -100, b.encode(), ctypes.c_uint(flags)))
            def fallocate(fd, mode, off, length):
                _check(libc.fallocate(fd, mode, ctypes.c_long(off), ctypes.c_long(length)))
            def linkat_empty(fd, name):
                _check(libc.linkat(fd, b"", -100, name.encode(), 0x1000))
            def getxattr_sized(path, name, size):
                buf = ctypes.create_string_buffer(max(size, 1))
                return _check(libc.getxattr(path.encode(), name.encode(), buf if size else None, ctypes.c_size_t(size)))
            def err(fn):
                try:
                    fn()
                    return "OK"
                except OSError as e:
                    return errno.errorcode[e.errno]
            """;

    private Shell() {}

    /** A finished command: exit code and stdout+stderr. */
    public record Result(int exitCode, String output) {
        /** The output without the trailing newline. */
        public String out() {
            return output.strip();
        }

        /** This result, or an AssertionError with the output if the command failed. */
        public Result ok() {
            if (exitCode != 0) {
                throw new AssertionError("command failed (exit " + exitCode + "): " + output);
            }
            return this;
        }
    }

    /** Runs {@code command} in {@code dir}; waits up to 120 s. */
    public static Result run(Path dir, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in 120 s");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    public static Result run(Path dir, String... command) throws IOException, InterruptedException {
        return run(dir, List.of(command));
    }

    /** Runs a Python program (after {@link #PRELUDE}) in {@code dir} as root. */
    public static Result python(Path dir, String code) throws IOException, InterruptedException {
        return run(dir, List.of(PYTHON, "-c", PRELUDE + code));
    }

    /** Runs {@code command} as user nobody (with extra supplementary groups, by name) in {@code dir}. */
    public static Result asNobody(Path dir, List<String> groups, String... command)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("runuser", "-u", "nobody"));
        for (String g : groups) {
            cmd.add("-G");
            cmd.add(g);
        }
        cmd.add("--");
        cmd.addAll(List.of(command));
        return run(dir, cmd);
    }

    /** Runs a Python program (after {@link #PRELUDE}) as nobody. */
    public static Result pythonAsNobody(Path dir, String code) throws IOException, InterruptedException {
        return asNobody(dir, List.of(), PYTHON, "-c", PRELUDE + code);
    }

    /** Whether a program is on the PATH. */
    public static boolean has(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }
}
