package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.contract.Shell;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential tests: seeded random operation sequences applied in lockstep to memfs and to a fresh tmpfs (the
 * kernel's own in-memory filesystem is the oracle). Results, errnos, metadata (type, mode, size, nlink; not inode
 * numbers or times) and bytes must match after every operation, and whole-tree snapshots every 200 operations
 * ({@code -Dmemfs.diff.snapshotEvery}; 5000 in runs of more than 10,000 operations).
 *
 * <p>The operations run in one Python worker process ({@code diffworker.py}) that calls the real system calls on
 * both trees, so errnos compare exactly. On a mismatch the failing prefix is shrunk (delta debugging, replaying
 * each candidate in a fresh directory) and the failure names the seed and the minimal sequence.
 *
 * <p>{@code -Dmemfs.diff.ops=N} sets operations per seed (default 3000), {@code -Dmemfs.diff.seeds=1,2,3} the seeds
 * (default 1, 2, 3). For a long run: {@code -Dmemfs.diff.ops=1000000 -Dmemfs.diff.seeds=42}.
 */
@Tag("mount")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MemFsDifferentialTest {
    private static final String[] NAMES = {"a", "b", "c", "d", "e"};
    private static final String[] MODES = {"644", "755", "600", "4755", "2755", "1777", "000", "777", "640"};

    private MemFsMount mounted;
    private Path tmpfsBase;
    private Path tmpfs;
    private Process worker;
    private Writer toWorker;
    private BufferedReader fromWorker;
    private int runs;
    /** Operations between whole-tree comparisons: every 200 in short runs; long runs compare less often, since a
     * snapshot reads every file on both sides and the files grow over a long run. */
    private int snapshotEvery = 200;
    /** Outcomes of the last replay: "ok" or the errno name, with counts (printed, to show the mix is healthy). */
    private final java.util.TreeMap<String, Integer> outcomes = new java.util.TreeMap<>();

    /** One operation: a name and string arguments, as the worker reads them. */
    record Op(String name, List<String> args) {
        String line() {
            return name + (args.isEmpty() ? "" : "\t" + String.join("\t", args));
        }

        @Override
        public String toString() {
            return name + " " + String.join(" ", args);
        }
    }

    @BeforeAll
    void mountBoth() throws Exception {
        MountSupport.assumeRootAndFuse();
        mounted = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withSizeLimit(512L << 20)), "");
        tmpfsBase = Files.createTempDirectory("jfuser-test-oracle-");
        tmpfs = Files.createDirectory(tmpfsBase.resolve("tmpfs"));
        Shell.run(null, "mount", "-t", "tmpfs", "-o", "size=512m,mode=755", "memfs-oracle", tmpfs.toString()).ok();
        String code;
        try (InputStream in = MemFsDifferentialTest.class.getResourceAsStream("diffworker.py")) {
            code = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        worker = new ProcessBuilder(Shell.PYTHON, "-u", "-c", code, mounted.mountpoint.toString(), tmpfs.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        toWorker = new OutputStreamWriter(worker.getOutputStream(), StandardCharsets.UTF_8);
        fromWorker = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8));
    }

    @AfterAll
    void unmountBoth() throws Exception {
        try {
            if (worker != null) {
                try {
                    toWorker.close();
                } catch (IOException deadWorker) {
                    // it died already (its stderr says why); the mounts still come down below
                }
                if (!worker.waitFor(20, TimeUnit.SECONDS)) {
                    worker.destroyForcibly().waitFor();
                }
            }
        } finally {
            try {
                if (tmpfs != null) {
                    if (Shell.run(null, "umount", tmpfs.toString()).exitCode() != 0) {
                        Shell.run(null, "umount", "-l", tmpfs.toString()); // still busy: detach it anyway
                    }
                    Files.deleteIfExists(tmpfs);
                    Files.deleteIfExists(tmpfsBase);
                }
            } finally {
                if (mounted != null) {
                    mounted.close();
                }
            }
        }
    }

    static List<Long> seeds() {
        List<Long> out = new ArrayList<>();
        for (String s : System.getProperty("memfs.diff.seeds", "1,2,3").split(",")) {
            out.add(Long.parseLong(s.trim()));
        }
        return out;
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void memfsAgreesWithTmpfs(long seed) throws Exception {
        int count = Integer.getInteger("memfs.diff.ops", 3000);
        snapshotEvery = Integer.getInteger("memfs.diff.snapshotEvery", count <= 10_000 ? 200 : 5000);
        List<Op> ops = generate(seed, count);
        long start = System.nanoTime();
        String mismatch = replay(ops);
        if (mismatch == null) {
            System.out.printf("differential seed %d: %d operations agree in %d ms; outcomes %s%n", seed, count,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), outcomes);
            return;
        }
        int failingAt = Integer.parseInt(mismatch.substring(0, mismatch.indexOf(':')));
        List<Op> minimal = shrink(new ArrayList<>(ops.subList(0, failingAt + 1)));
        StringBuilder msg = new StringBuilder("memfs and tmpfs disagree (seed ").append(seed).append(", operation ")
                .append(failingAt).append("): ").append(mismatch.substring(mismatch.indexOf(':') + 1))
                .append("\nminimal reproducing sequence (").append(minimal.size()).append(" operations; rerun with -Dmemfs.diff.seeds=")
                .append(seed).append(" -Dtest=MemFsDifferentialTest):\n");
        for (Op op : minimal) {
            msg.append("  ").append(op).append('\n');
        }
        msg.append("which gives: ").append(replay(minimal));
        fail(msg.toString());
    }

    /** Replays {@code ops} in fresh directories; returns null if both sides agreed, else "index:description". */
    private String replay(List<Op> ops) throws IOException {
        assertEquals("ok\u001fok", ask("reset\trun-" + (runs++)));
        outcomes.clear();
        for (int i = 0; i < ops.size(); i++) {
            String[] r = ask(ops.get(i).line()).split("\u001f", -1);
            outcomes.merge(r[0].startsWith("!") ? r[0].substring(1) : "ok", 1, Integer::sum);
            if (!r[0].equals(r[1])) {
                return i + ":" + ops.get(i) + " -> memfs " + r[0] + ", tmpfs " + r[1];
            }
            if (i % snapshotEvery == snapshotEvery - 1 || i == ops.size() - 1) {
                String diff = snapshotDiff();
                if (diff != null) {
                    return i + ":trees differ after " + ops.get(i) + ":" + diff;
                }
            }
        }
        return null;
    }

    private String snapshotDiff() throws IOException {
        String[] r = ask("snapshot").split("\u001f", -1);
        if (r[0].equals(r[1])) {
            return null;
        }
        List<String> a = List.of(r[0].split("\u001e"));
        List<String> b = List.of(r[1].split("\u001e"));
        StringBuilder d = new StringBuilder();
        for (String l : a) {
            if (!b.contains(l)) {
                d.append("\n  memfs only: ").append(l);
            }
        }
        for (String l : b) {
            if (!a.contains(l)) {
                d.append("\n  tmpfs only: ").append(l);
            }
        }
        return d.toString();
    }

    private String ask(String line) throws IOException {
        toWorker.write(line + "\n");
        toWorker.flush();
        String answer = fromWorker.readLine();
        if (answer == null) {
            throw new IOException("the differential worker died (see stderr) at: " + line);
        }
        return answer;
    }

    /** Delta debugging: the smallest sub-sequence (by removing chunks, then single ops) that still disagrees. */
    private List<Op> shrink(List<Op> failing) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        List<Op> current = failing;
        int n = 2;
        while (current.size() >= 2 && System.nanoTime() < deadline) {
            int chunk = (current.size() + n - 1) / n;
            boolean reduced = false;
            for (int start = 0; start < current.size() && System.nanoTime() < deadline; start += chunk) {
                List<Op> candidate = new ArrayList<>(current.subList(0, start));
                candidate.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
                if (!candidate.isEmpty() && replay(candidate) != null) {
                    current = candidate;
                    n = Math.max(n - 1, 2);
                    reduced = true;
                    break;
                }
            }
            if (!reduced) {
                if (n >= current.size()) {
                    break;
                }
                n = Math.min(n * 2, current.size());
            }
        }
        return current;
    }

    // ------------------------------------------------------------------------------------------ generator

    static List<Op> generate(long seed, int count) {
        Random r = new Random(seed);
        List<Op> ops = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ops.add(next(r));
        }
        return ops;
    }

    private static String path(Random r) {
        int depth = r.nextInt(10) < 6 ? 1 : r.nextInt(10) < 7 ? 2 : 3;
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            if (i > 0) {
                p.append('/');
            }
            boolean last = i == depth - 1;
            // inner components tend to be directories (d, e), the last one a file (a, b, c) most of the time
            p.append(last && r.nextInt(10) < 7 ? NAMES[r.nextInt(3)] : NAMES[3 + r.nextInt(2)]);
        }
        return p.toString();
    }

    private static String offset(Random r) {
        int kind = r.nextInt(10);
        long off = kind < 6 ? r.nextInt(20_000) : kind < 9 ? r.nextInt(200_000) : r.nextInt(4) * 1_048_576L + r.nextInt(8192);
        return Long.toString(off);
    }

    private static Op op(String name, Object... args) {
        List<String> s = new ArrayList<>();
        for (Object a : args) {
            s.add(String.valueOf(a));
        }
        return new Op(name, s);
    }

    private static Op next(Random r) {
        int w = r.nextInt(100);
        String p = path(r);
        if (w < 14) {
            return op("write", p, offset(r), 1 + r.nextInt(r.nextBoolean() ? 300 : 20_000), r.nextInt(1000));
        } else if (w < 20) {
            return op("create", p, MODES[r.nextInt(MODES.length)], r.nextInt(2));
        } else if (w < 28) {
            return op("read", p, offset(r), 1 + r.nextInt(70_000));
        } else if (w < 36) {
            return op("stat", p);
        } else if (w < 40) {
            return op("truncate", p, offset(r));
        } else if (w < 47) {
            // directories get the names d and e only, so most operations meet files (fewer EISDIR)
            String d = p.substring(0, p.length() - 1) + (r.nextBoolean() ? "d" : "e");
            return op("mkdir", d, r.nextBoolean() ? "755" : "2775");
        } else if (w < 50) {
            return op("rmdir", p);
        } else if (w < 55) {
            return op("unlink", p);
        } else if (w < 62) {
            int flags = r.nextInt(10) < 7 ? 0 : 1 + r.nextInt(2);
            return op("rename", p, path(r), flags);
        } else if (w < 65) {
            return op("link", p, path(r));
        } else if (w < 67) {
            return op("symlink", r.nextBoolean() ? path(r) : "/nowhere/" + r.nextInt(9), p);
        } else if (w < 68) {
            return op("readlink", p);
        } else if (w < 71) {
            return op("chmod", p, MODES[r.nextInt(MODES.length)]);
        } else if (w < 74) {
            return op("setxattr", p, "user." + NAMES[r.nextInt(3)], r.nextInt(300), r.nextInt(1000), r.nextInt(3));
        } else if (w < 75) {
            return op("getxattr", p, "user." + NAMES[r.nextInt(3)]);
        } else if (w < 76) {
            return op("listxattr", p);
        } else if (w < 77) {
            return op("removexattr", p, "user." + NAMES[r.nextInt(3)]);
        } else if (w < 81) {
            int[] modes = {0, 1, 3, 3, 0x10};
            return op("fallocate", p, modes[r.nextInt(modes.length)], offset(r), 1 + r.nextInt(50_000));
        } else if (w < 85) {
            return op("seek", p, offset(r), 3 + r.nextInt(2));
        } else if (w < 90) {
            return op("readdir", r.nextInt(4) == 0 ? "." : p);
        } else if (w < 93) {
            return op("cfr", p, path(r), offset(r), 1 + r.nextInt(100_000), offset(r));
        } else if (w < 94) {
            return op("mkfifo", p, "644");
        } else {
            return op("append", p, 1 + r.nextInt(5000), r.nextInt(1000));
        }
    }
}
