package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension mounts MiniFs for this class (or skips with the reason when the machine cannot mount). */
@Tag("mount")
class FuseMountExtensionTest {
    @RegisterExtension
    static final FuseMountExtension MOUNT = FuseMountExtension.of(() -> new MiniFs(false));

    @Test
    void theFilesystemIsMountedAndUsable() throws Exception {
        Files.createDirectory(MOUNT.root().resolve("dir"));
        Files.writeString(MOUNT.root().resolve("dir/file"), "through the kernel");
        assertEquals("through the kernel", Files.readString(MOUNT.root().resolve("dir/file")));
        try (var entries = Files.list(MOUNT.root())) {
            assertEquals(List.of("dir"), entries.map(p -> p.getFileName().toString()).toList());
        }
        assertTrue(MOUNT.mount().isServing());
    }
}
