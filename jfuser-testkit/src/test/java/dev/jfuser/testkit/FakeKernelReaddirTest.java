package dev.jfuser.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AttrReply;
import dev.jfuser.DirectoryListing;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.Request;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The fake kernel stops a listing that would loop or repeat, naming the entry and the offset. */
class FakeKernelReaddirTest {
    /** A root directory listed by {@code lister}. */
    interface Lister {
        void list(long offset, DirectoryListing listing);
    }

    static Filesystem rootListedBy(Lister lister) {
        return new Filesystem() {
            @Override
            public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
                return AttrReply.of(FileAttr.builder(nodeId, FileType.DIRECTORY).perm(0755).build());
            }

            @Override
            public void readdir(Request req, long nodeId, long fh, long offset, DirectoryListing listing) {
                lister.list(offset, listing);
            }
        };
    }

    private static String failureOf(Filesystem fs, int chunk) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (FakeKernel k = FakeKernel.start(fs)) {
                return assertThrows(AssertionError.class, () -> k.readdir("/", false, chunk)).getMessage();
            }
        }, "the fake kernel looped instead of failing");
    }

    @Test
    void offsetsThatNeverAdvanceFailNamingTheEntryAndTheOffset() {
        // Every entry carries the request's own offset: the kernel would ask for the same page forever.
        String m = failureOf(rootListedBy((offset, l) -> {
            for (String name : List.of("a", "b", "c")) {
                if (!l.add(name, 2, FileType.REGULAR_FILE, offset)) {
                    return;
                }
            }
        }), 4096);
        assertTrue(m.contains("'c'") && m.contains("next offset 0") && m.contains("never ends"), m);
    }

    @Test
    void aListingThatIgnoresTheOffsetFailsAtTheFirstRepeatedName() {
        // Correct offsets, but each page starts from the beginning again: "a" comes back in the second page.
        String m = failureOf(rootListedBy((offset, l) -> {
            List<String> names = List.of("alpha", "beta", "gamma", "delta");
            for (int i = 0; i < names.size(); i++) {
                if (!l.add(names.get(i), 2 + i, FileType.REGULAR_FILE, i + 1)) {
                    return;
                }
            }
        }), 64);
        assertTrue(m.contains("listed 'alpha' twice") && m.contains("page at offset 0")
                && m.contains("page at offset 2"), m);
    }

    @Test
    void aNameListedTwiceInOnePageFails() {
        String m = failureOf(rootListedBy((offset, l) -> {
            if (offset == 0) {
                l.add("x", 2, FileType.REGULAR_FILE, 1);
                l.add("y", 3, FileType.REGULAR_FILE, 2);
                l.add("x", 2, FileType.REGULAR_FILE, 3);
            }
        }), 4096);
        assertTrue(m.contains("listed 'x' twice"), m);
    }

    @Test
    void aCorrectListingPassesWithAnyChunkSize() throws Exception {
        Filesystem fs = rootListedBy((offset, l) -> l.fill(offset, List.of(
                new DirectoryListing.Item(".", 1, FileType.DIRECTORY),
                new DirectoryListing.Item("..", 1, FileType.DIRECTORY),
                new DirectoryListing.Item("one", 2, FileType.REGULAR_FILE),
                new DirectoryListing.Item("two", 3, FileType.SYMLINK))));
        try (FakeKernel k = FakeKernel.start(fs)) {
            for (int chunk : new int[] {32, 40, 80, 4096}) {
                assertEquals(4, k.readdir("/", false, chunk).size(), "chunk " + chunk);
            }
            assertEquals(List.of("one", "two"), k.list("/"));
        }
    }
}
