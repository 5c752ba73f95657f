package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link DirectoryListing#fill}: pages of a list with index offsets, resumed where the kernel says. */
class DirectoryListingFillTest {
    /** A plain entry as encoded: name and the offset it carries. */
    record Dirent(String name, long ino, int type, long nextOffset) {
    }

    static List<Dirent> decode(DirectoryListing l) {
        ByteBuffer b = l.encoded();
        List<Dirent> out = new ArrayList<>();
        while (b.remaining() > 0) {
            int p = b.position();
            int len = b.getInt(p + 16);
            byte[] name = new byte[len];
            b.get(p + 24, name);
            out.add(new Dirent(new String(name, StandardCharsets.UTF_8), b.getLong(p), b.getInt(p + 20),
                    b.getLong(p + 8)));
            b.position((p + 24 + len + 7) & ~7);
        }
        return out;
    }

    static List<DirectoryListing.Item> items(int n) {
        List<DirectoryListing.Item> items = new ArrayList<>();
        items.add(new DirectoryListing.Item(".", 1, FileType.DIRECTORY));
        items.add(new DirectoryListing.Item("..", 1, FileType.DIRECTORY));
        for (int i = 0; i < n; i++) {
            items.add(new DirectoryListing.Item("file-" + i, 100 + i, FileType.REGULAR_FILE));
        }
        return items;
    }

    /** Lists like the kernel: pages of {@code pageBytes}, each request at the last offset received. */
    static List<Dirent> listAll(List<DirectoryListing.Item> items, int pageBytes) {
        List<Dirent> all = new ArrayList<>();
        long offset = 0;
        for (int pages = 0; ; pages++) {
            assertTrue(pages <= items.size() + 1, "the listing does not end");
            DirectoryListing l = new DirectoryListing(pageBytes, false);
            int added = l.fill(offset, items);
            List<Dirent> page = decode(l);
            assertEquals(added, page.size());
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            offset = page.get(page.size() - 1).nextOffset();
        }
    }

    @Test
    void everyEntryOnceInOrderWhateverThePageSize() {
        List<DirectoryListing.Item> items = items(50);
        for (int page : new int[] {32, 40, 100, 4096}) {
            List<Dirent> listed = listAll(items, page);
            assertEquals(items.size(), listed.size(), "page of " + page + " bytes");
            for (int i = 0; i < items.size(); i++) {
                assertEquals(items.get(i).name(), listed.get(i).name());
                assertEquals(items.get(i).ino(), listed.get(i).ino());
                assertEquals(items.get(i).type().direntType(), listed.get(i).type());
                assertEquals(i + 1, listed.get(i).nextOffset(), "the entry at index i resumes at i + 1");
            }
        }
    }

    @Test
    void anOffsetPastTheEndEndsTheListing() {
        DirectoryListing l = new DirectoryListing(4096, false);
        assertEquals(0, l.fill(3, items(1)));
        assertEquals(0, l.fill(4, items(1)));
        assertEquals(0, l.fill(-1, items(1)), "offsets are unsigned: 2^64-1 is past any end");
        assertEquals(1, l.fill(2, items(1)));
        assertEquals("file-0", decode(l).get(0).name());
    }

    @Test
    void theAdderDecidesWhatGoesInAndItsFailureFailsTheRequest() throws IOException {
        DirectoryListing l = new DirectoryListing(4096, false);
        List<String> names = List.of("a", "b", "c", "d");
        int added = l.fill(1, names, (listing, name, next) ->
                !name.equals("d") && listing.add(name, 7, FileType.SYMLINK, next));
        assertEquals(2, added, "b and c; d refused ends the page");
        assertEquals(List.of(new Dirent("b", 7, FileType.SYMLINK.direntType(), 2),
                new Dirent("c", 7, FileType.SYMLINK.direntType(), 3)), decode(l));
        IOException e = assertThrows(IOException.class, () -> new DirectoryListing(4096, false).fill(0, names,
                (listing, name, next) -> {
                    throw new FuseException(Errno.EIO, "attributes of " + name + " unreadable");
                }));
        assertTrue(e.getMessage().contains("attributes of a unreadable"), e.getMessage());
    }

    @Test
    void plainItemsGoWithoutAttributesIntoAReaddirplusListing() {
        DirectoryListing l = new DirectoryListing(4096, true);
        assertEquals(3, l.fill(0, items(1)));
        assertEquals(3, l.size());
    }
}
