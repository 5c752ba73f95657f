package dev.jfuser.examples.zip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.examples.MountSupport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A real zip file mounted through zipfs: a tree copied in with {@code cp -r} is in the zip after unmount. */
@Tag("mount")
class ZipMountTest {
    private Path work;
    private Path mountpoint;

    @BeforeEach
    void setUp() throws IOException {
        MountSupport.assumeRootAndFuse();
        work = Files.createTempDirectory("jfuser-zip-");
        mountpoint = Files.createDirectory(work.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (work != null) {
            try (Stream<Path> s = Files.walk(work)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static Map<String, byte[]> tree(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String rel = dir.relativize(p).toString();
                files.put(rel, Files.isDirectory(p) ? null : Files.readAllBytes(p));
            }
        }
        return files;
    }

    private static void assertSameTree(Map<String, byte[]> expected, Map<String, byte[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        expected.forEach((k, v) -> {
            if (v == null) {
                assertEquals(null, actual.get(k), k + " is a directory");
            } else {
                assertArrayEquals(v, actual.get(k), k);
            }
        });
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }

    private interface Body {
        void run() throws Exception;
    }

    /** Opens the zip, mounts it, runs {@code body}, unmounts and writes the zip. */
    private void mounted(Path zip, Body body) throws Exception {
        try (ZipMount z = ZipMount.open(zip)) {
            Mount m = z.mount(mountpoint, MountOptions.defaults(), SessionOptions.DEFAULT);
            try {
                body.run();
            } finally {
                m.close();
            }
        }
    }

    @Test
    void aTreeCopiedInSurvivesUnmountAndRemount() throws Exception {
        Path src = Files.createDirectory(work.resolve("src"));
        Random random = new Random(7);
        Files.createDirectories(src.resolve("a/b/c"));
        Files.writeString(src.resolve("top.txt"), "top\n");
        Files.write(src.resolve("a/empty"), new byte[0]);
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        random.nextBytes(big);
        Files.write(src.resolve("a/b/big.bin"), big);
        for (int i = 0; i < 40; i++) {
            byte[] small = new byte[random.nextInt(10_000)];
            random.nextBytes(small);
            Files.write(src.resolve("a/b/c/f" + i), small);
        }
        Map<String, byte[]> expected = tree(src);
        Path zip = work.resolve("tree.zip");

        mounted(zip, () -> {
            run("cp", "-r", src.toString(), mountpoint.toString());
            assertSameTree(expected, tree(mountpoint.resolve("src")));
        });
        assertTrue(Files.size(zip) > big.length / 2, "the zip file was written");
        try (ZipFile zf = new ZipFile(zip.toFile())) {
            assertArrayEquals(big, zf.getInputStream(zf.getEntry("src/a/b/big.bin")).readAllBytes(),
                    "java.util.zip reads what was copied in");
        }

        mounted(zip, () -> {
            assertSameTree(expected, tree(mountpoint.resolve("src")));
            run("mv", mountpoint.resolve("src/a/b/c").toString(), mountpoint.resolve("moved").toString());
            run("rm", mountpoint.resolve("src/top.txt").toString());
        });
        mounted(zip, () -> {
            assertTrue(Files.exists(mountpoint.resolve("moved/f3")));
            assertTrue(Files.notExists(mountpoint.resolve("src/top.txt")));
            assertTrue(Files.notExists(mountpoint.resolve("src/a/b/c")));
        });
    }
}
