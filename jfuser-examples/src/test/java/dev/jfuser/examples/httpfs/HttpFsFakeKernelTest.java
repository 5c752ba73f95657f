package dev.jfuser.examples.httpfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jfuser.Errno;
import dev.jfuser.FileType;
import dev.jfuser.FuseException;
import dev.jfuser.testkit.FakeKernel;
import dev.jfuser.testkit.Notification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** httpfs through the fake kernel: the whole served tree compared byte for byte, no mount and no root. */
class HttpFsFakeKernelTest {
    @TempDir
    Path dir;

    @Test
    void everyServedFileReadsBackIdentically() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        HttpServers.writeTree(root);
        try (HttpServers.Server server = HttpServers.simpleFileServer(root);
             FakeKernel k = FakeKernel.start(HttpFs.create(HttpFsOptions.of(server.base())
                     .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5))))) {
            List<Path> files = new ArrayList<>();
            try (Stream<Path> walk = Files.walk(root)) {
                walk.filter(Files::isRegularFile).forEach(files::add);
            }
            for (Path f : files) {
                String path = "/" + root.relativize(f).toString();
                assertEquals(Files.size(f), k.stat(path).size(), path);
                assertArrayEquals(Files.readAllBytes(f), k.readFile(path), path);
            }
            try (Stream<Path> top = Files.list(root)) {
                assertEquals(top.map(p -> p.getFileName().toString()).sorted().toList(),
                        k.list("/").stream().sorted().toList());
            }
            assertEquals(FileType.DIRECTORY, k.stat("/").type());
            assertEquals(Errno.ENOENT, assertThrows(FuseException.class, () -> k.stat("/no-such-file")).errno());
            // httpfs leaves writes unimplemented; on a real mount the 'ro' option makes the kernel answer EROFS first
            assertEquals(Errno.ENOSYS, assertThrows(FuseException.class, () -> k.mkdir("/d", 0755)).errno());
        }
    }

    @Test
    void aFileFoundChangedByRevalidationIsInvalidatedInTheKernelOnce() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        Path f = Files.writeString(root.resolve("f"), "one");
        try (HttpServers.Server server = HttpServers.simpleFileServer(root);
             FakeKernel k = FakeKernel.start(HttpFs.create(HttpFsOptions.of(server.base())
                     .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)).withTtl(Duration.ZERO)))) {
            assertArrayEquals("one".getBytes(), k.readFile("/f"));
            long node = k.stat("/f").ino();
            assertEquals(List.of(), k.takeNotifications(), "unchanged: nothing to tell");
            Files.writeString(f, "three");
            assertArrayEquals("three".getBytes(), k.readFile("/f"));
            assertEquals(List.of(new Notification.InvalInode(node, 0, 0)), k.takeNotifications());
            k.stat("/f");
            assertEquals(List.of(), k.takeNotifications(), "told once per change");
        }
    }
}
