package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.examples.MountSupport;
import dev.jfuser.examples.contract.Shell;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * File handles ({@code name_to_handle_at}/{@code open_by_handle_at}, what NFS export, backup tools and container
 * runtimes use) keep working after the kernel forgot the inodes (caches dropped): memfs negotiates export support
 * and answers lookups by node id and of a directory's parent. The same script runs on tmpfs, the oracle.
 */
@Tag("mount")
class MemFsHandlesMountTest {
    private static Path script() throws Exception {
        Path p = Files.createTempFile("jfuser-test-handles-", ".py");
        try (InputStream in = MemFsHandlesMountTest.class.getResourceAsStream("handles.py")) {
            Files.writeString(p, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        return p;
    }

    private static String observe(Path script, Path root) throws Exception {
        return Shell.run(null, Shell.PYTHON, script.toString(), root.toString()).ok().out();
    }

    private static String onTmpfs(Path script) throws Exception {
        Path base = Files.createTempDirectory("jfuser-test-handles-oracle-");
        Path tmpfs = Files.createDirectory(base.resolve("tmpfs"));
        Shell.run(null, "mount", "-t", "tmpfs", "-o", "size=16m,mode=755", "handles-oracle", tmpfs.toString()).ok();
        try {
            return observe(script, tmpfs);
        } finally {
            if (Shell.run(null, "umount", tmpfs.toString()).exitCode() != 0) {
                Shell.run(null, "umount", "-l", tmpfs.toString());
            }
            Files.deleteIfExists(tmpfs);
            Files.deleteIfExists(base);
        }
    }

    @Test
    void handlesDecodeAfterTheKernelForgotTheInodesLikeOnTmpfs() throws Exception {
        MountSupport.assumeRootAndFuse();
        Path script = script();
        try {
            String tmpfs = onTmpfs(script);
            // The oracle: every handle decodes, reconnects its directory, and the deleted ones are stale.
            assertTrue(tmpfs.contains("\"file_content\": \"hello handles\\n\"")
                    && tmpfs.contains("\"dir_path\": \"d/sub\"") && tmpfs.contains("\"deleted_file\": \"ESTALE\""),
                    tmpfs);
            MemFsMount m = MemFsMount.mount(new MemFs(), "");
            String memfs;
            try {
                memfs = observe(script, m.mountpoint);
            } finally {
                m.close();
            }
            assertEquals(tmpfs, memfs);
        } finally {
            Files.deleteIfExists(script);
        }
    }

    @Test
    void aHandleDoesNotSurviveAMountCycleEvenWithAnImageAsOnTmpfs() throws Exception {
        MountSupport.assumeRootAndFuse();
        Path script = script();
        Path dir = Files.createTempDirectory("jfuser-test-handles-image-");
        Path image = dir.resolve("memfs.img");
        try {
            MemFsMount first = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withImage(image)), "");
            String handle;
            try {
                Files.writeString(first.mountpoint.resolve("kept"), "kept\n");
                handle = Shell.run(null, Shell.PYTHON, script.toString(), "encode",
                        first.mountpoint.resolve("kept").toString()).ok().out();
                assertEquals("content:kept", Shell.run(null, Shell.PYTHON, script.toString(), "decode",
                        first.mountpoint.toString(), handle).ok().out(), "the handle decodes in its own mount");
            } finally {
                first.close();
            }
            MemFsMount second = MemFsMount.mount(new MemFs(MemFs.Options.defaults().withImage(image)), "");
            try {
                assertEquals("kept\n", Files.readString(second.mountpoint.resolve("kept")), "the image was loaded");
                assertEquals("ESTALE", Shell.run(null, Shell.PYTHON, script.toString(), "decode",
                        second.mountpoint.toString(), handle).ok().out());
            } finally {
                second.close();
            }
        } finally {
            Files.deleteIfExists(image);
            Files.deleteIfExists(dir);
            Files.deleteIfExists(script);
        }
    }
}
