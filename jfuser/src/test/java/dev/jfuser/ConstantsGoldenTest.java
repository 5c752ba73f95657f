package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The constant classes against the machine's C headers: a C program compiled with gcc prints every constant by name,
 * and each {@code public static final int} of {@link OpenFlags}, {@link RenameFlags}, {@link XattrFlags},
 * {@link FallocateMode}, {@link Mode}, {@link Access} and {@link PollEvents} must equal the C value of the same name. Open flags come from
 * the kernel's {@code <linux/fcntl.h>} (what FUSE carries; the C library's {@code O_LARGEFILE} is 0 on 64-bit),
 * modes, access and poll bits from {@code <sys/stat.h>}, {@code <unistd.h>} and {@code <poll.h>}. Skipped, saying so, without gcc.
 */
class ConstantsGoldenTest {
    private static final List<Class<?>> CLASSES = List.of(OpenFlags.class, RenameFlags.class, XattrFlags.class,
            FallocateMode.class, Mode.class, Access.class, PollEvents.class);
    /** Names that are jfuser's own (kernel-internal bits, masks), not in any C header. */
    private static final Set<String> NOT_IN_C = Set.of("FMODE_EXEC", "PERMISSION_BITS");
    /** Names the kernel headers spell differently: the kernel's {@code FASYNC} is the C library's O_ASYNC. */
    private static final Map<String, String> C_NAME = Map.of("O_ASYNC", "FASYNC", "SCHEDULE_NOTIFY",
            "FUSE_POLL_SCHEDULE_NOTIFY");

    static Map<String, Integer> javaConstants() throws IllegalAccessException {
        Map<String, Integer> out = new TreeMap<>();
        for (Class<?> c : CLASSES) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class) {
                    Integer old = out.put(f.getName(), f.getInt(null));
                    assertEquals(null, old, f.getName() + " is declared twice");
                }
            }
        }
        return out;
    }

    @Test
    void everyConstantEqualsTheCHeadersValue(@TempDir Path tmp) throws Exception {
        Path gcc = findGcc();
        assumeTrue(gcc != null, "gcc not found on PATH: apt-get install gcc to check the constants against the C "
                + "headers");
        Map<String, Integer> java = javaConstants();
        StringBuilder c = new StringBuilder("""
                #define _GNU_SOURCE
                #include <sys/stat.h>
                #include <unistd.h>
                #include <poll.h>
                #include <linux/fuse.h>
                #include <linux/fcntl.h>
                #include <linux/fs.h>
                #include <linux/falloc.h>
                #include <linux/xattr.h>
                #include <linux/limits.h>
                #include <stdio.h>
                int main(void) {
                """);
        for (String name : java.keySet()) {
            if (!NOT_IN_C.contains(name)) {
                String cName = C_NAME.getOrDefault(name, name);
                c.append("#ifdef ").append(cName).append("\n  printf(\"").append(name).append(" %ld\\n\", (long) (")
                        .append(cName).append("));\n#else\n  printf(\"").append(name).append(" missing\\n\");\n#endif\n");
            }
        }
        c.append("  return 0;\n}\n");
        Path src = tmp.resolve("constants.c");
        Files.writeString(src, c);
        Path exe = tmp.resolve("constants");
        run(List.of(gcc.toString(), "-Wall", "-Werror", "-o", exe.toString(), src.toString()));
        Map<String, String> fromC = new LinkedHashMap<>();
        for (String line : run(List.of(exe.toString())).split("\n")) {
            String[] kv = line.split(" ");
            fromC.put(kv[0], kv[1]);
        }
        List<String> wrong = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (var e : java.entrySet()) {
            if (NOT_IN_C.contains(e.getKey())) {
                continue;
            }
            String v = fromC.get(e.getKey());
            if ("missing".equals(v)) {
                missing.add(e.getKey());
            } else if (Long.parseLong(v) != e.getValue()) {
                wrong.add(e.getKey() + ": jfuser 0" + Integer.toOctalString(e.getValue()) + ", C 0"
                        + Long.toOctalString(Long.parseLong(v)));
            }
        }
        assertEquals(List.of(), wrong, "constants differing from the C headers on " + System.getProperty("os.arch"));
        assertEquals(List.of(), missing, "constants the C headers do not define (too old linux-libc-dev?)");
        assertTrue(fromC.size() > 50, "the program printed " + fromC.size() + " constants");
    }

    private static Path findGcc() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "gcc");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), command + " did not finish");
        assertEquals(0, p.exitValue(), command + " failed:\n" + out);
        return out;
    }
}
