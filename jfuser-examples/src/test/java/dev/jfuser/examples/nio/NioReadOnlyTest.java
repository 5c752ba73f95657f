package dev.jfuser.examples.nio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.nio.NioFilesystem;
import dev.jfuser.path.PathAdapter;
import dev.jfuser.testkit.FakeKernel;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** A read-only provider (a zip opened read-only) serves reads and refuses every change with EROFS. */
class NioReadOnlyTest {
    private static void assertErofs(Executable call) {
        assertEquals(Errno.EROFS, assertThrows(FuseException.class, call).errno());
    }

    @Test
    void aReadOnlyZipIsReadOnly() throws Exception {
        Path zip = Files.createTempFile("jfuser-ro", ".zip");
        Files.delete(zip);
        URI uri = URI.create("jar:" + zip.toUri());
        try (FileSystem rw = FileSystems.newFileSystem(uri, Map.of("create", "true"))) {
            Files.createDirectory(rw.getPath("/docs"));
            Files.writeString(rw.getPath("/docs/a.txt"), "kept");
        }
        try (FileSystem ro = FileSystems.newFileSystem(uri, Map.of("accessMode", "readOnly"))) {
            NioFilesystem nio = new NioFilesystem(ro.getPath("/"));
            assertTrue(nio.isReadOnly());
            try (FakeKernel k = FakeKernel.start(new PathAdapter(nio))) {
                assertArrayEquals("kept".getBytes(StandardCharsets.UTF_8), k.readFile("/docs/a.txt"));
                assertEquals(List.of("a.txt"), k.list("/docs"));
                assertErofs(() -> k.writeFile("/docs/b.txt", new byte[1]));
                assertErofs(() -> k.open("/docs/a.txt", 2).close());
                assertErofs(() -> k.mkdir("/new", 0755));
                assertErofs(() -> k.unlink("/docs/a.txt"));
                assertErofs(() -> k.rename("/docs/a.txt", "/docs/c.txt"));
                assertErofs(() -> k.truncate("/docs/a.txt", 0));
            }
        } finally {
            Files.deleteIfExists(zip);
        }
    }
}
