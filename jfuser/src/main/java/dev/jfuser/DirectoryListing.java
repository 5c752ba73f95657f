package dev.jfuser;

import dev.jfuser.protocol.DirentWriter;
import dev.jfuser.protocol.ReplyEncoder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Objects;

/**
 * A directory listing being filled for one READDIR or READDIRPLUS request, sized to the kernel's buffer.
 *
 * <p>The kernel reads a directory in chunks: each request carries the offset where the previous chunk stopped,
 * and the filesystem adds entries from there until {@link #add} returns {@code false} (the buffer is full) or the
 * directory ends. Every entry carries the offset of the <em>next</em> entry; that value comes back as the offset
 * of the following request, so it must stay meaningful even while entries are added and removed (an index into
 * a stable list, a cookie, a hash). Offset 0 always means "from the start".
 *
 * <p>For READDIRPLUS ({@link #isPlus()}) each entry also carries a full {@link Entry}; the kernel then takes a
 * lookup count on that node exactly as if it had been looked up (except for "." and ".."), saving a LOOKUP per
 * file in {@code ls -l}.
 *
 * <p>A listing the session hands to a filesystem is written into the memory its reply is sent from: add entries
 * only until the method returns (or its stage completes), never later.
 */
public final class DirectoryListing {
    private final ByteBuffer buffer;
    private final boolean plus;
    private int entries;

    /**
     * A listing that holds at most {@code maxBytes} bytes of encoded entries.
     *
     * @param plus whether entries carry attributes (READDIRPLUS)
     * @param maxBytes the most bytes the kernel accepts in the reply
     */
    public DirectoryListing(int maxBytes, boolean plus) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
        }
        this.buffer = ByteBuffer.allocate(maxBytes).order(ByteOrder.LITTLE_ENDIAN);
        this.plus = plus;
    }

    /**
     * A listing encoded into {@code buffer}, from its position to its limit (the session lists into the native
     * buffer its reply is sent from, so a listing costs no copy and no array).
     *
     * @param plus whether entries carry attributes (READDIRPLUS)
     * @param buffer where the entries are written
     */
    public DirectoryListing(ByteBuffer buffer, boolean plus) {
        this.buffer = buffer.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.plus = plus;
    }

    /**
     * Whether this listing answers READDIRPLUS, so entries need attributes ({@link #add(String, long, Entry)}).
     *
     * @return whether this listing answers READDIRPLUS, so entries need attributes ({@link #add(String, long, Entry)})
     */
    public boolean isPlus() {
        return plus;
    }

    /**
     * Adds an entry to a plain listing.
     *
     * @param name the entry's name (not containing '/' or NUL); any bytes, as {@link Names} maps them
     * @param ino the inode number shown in {@code d_ino}
     * @param type the file type shown in {@code d_type}
     * @param nextOffset the offset at which a later request resumes after this entry
     * @return {@code false} if the entry did not fit: stop adding, it will be asked for again
     * @throws IllegalStateException if this listing is for READDIRPLUS
     */
    public boolean add(String name, long ino, FileType type, long nextOffset) {
        if (plus) {
            throw new IllegalStateException("this listing answers READDIRPLUS: add entries with add(name, offset, "
                    + "Entry) so the kernel gets their attributes");
        }
        boolean fitted;
        try {
            fitted = isAscii(name)
                    ? DirentWriter.writeAsciiDirent(buffer, ino, nextOffset, type.direntType(), name)
                    : DirentWriter.writeDirent(buffer, ino, nextOffset, type.direntType(), bytes(name));
        } catch (IllegalStateException abandoned) {
            return false; // the request was cancelled and its buffer freed
        }
        if (fitted) {
            entries++;
        }
        return fitted;
    }

    /**
     * Adds an entry with its attributes to a READDIRPLUS listing. If it fits, the kernel takes a lookup count on
     * {@code entry.nodeId()} (unless the name is "." or ".."), so the filesystem must count it as a lookup.
     *
     * @param name the entry's name (not containing '/' or NUL); any bytes, as {@link Names} maps them
     * @param nextOffset the offset at which a later request resumes after this entry
     * @param entry the node's entry: node id, generation, attributes and their cache timeouts
     * @return {@code false} if the entry did not fit (and no lookup count was taken)
     */
    public boolean add(String name, long nextOffset, Entry entry) {
        if (!plus) {
            throw new IllegalStateException("this listing answers READDIR: use add(name, ino, type, offset)");
        }
        FileAttr a = entry.attr();
        long ino = a == null ? 0 : a.ino();
        int type = a == null ? 0 : a.type().direntType();
        DirentWriter.EntryOutWriter entryOut = (b, p) -> ReplyEncoder.entryOut(b, p, entry.nodeId(),
                entry.generation(), entry.entryTimeout(), entry.attrTimeout(), a);
        boolean fitted;
        try {
            fitted = isAscii(name)
                    ? DirentWriter.writeAsciiDirentPlus(buffer, entryOut, ino, nextOffset, type, name)
                    : DirentWriter.writeDirentPlus(buffer, entryOut, ino, nextOffset, type, bytes(name));
        } catch (IllegalStateException abandoned) {
            return false; // the request was cancelled and its buffer freed
        }
        if (fitted) {
            entries++;
        }
        return fitted;
    }

    /**
     * Adds a plain entry to either kind of listing; in a READDIRPLUS listing it is sent without attributes (node
     * id 0, no lookup count), and the kernel looks the name up itself when needed.
     *
     * @param name the entry name
     * @param ino the inode number
     * @param type the file type
     * @param nextOffset the offset at which a listing resumes after this entry
     * @return whether the entry fitted; false means the listing is full
     */
    public boolean addWithoutAttributes(String name, long ino, FileType type, long nextOffset) {
        if (!plus) {
            return add(name, ino, type, nextOffset);
        }
        boolean fitted;
        try {
            fitted = isAscii(name)
                    ? DirentWriter.writeAsciiDirentPlus(buffer, NO_ENTRY, ino, nextOffset, type.direntType(), name)
                    : DirentWriter.writeDirentPlus(buffer, NO_ENTRY, ino, nextOffset, type.direntType(),
                            bytes(name));
        } catch (IllegalStateException abandoned) {
            return false; // the request was cancelled and its buffer freed
        }
        if (fitted) {
            entries++;
        }
        return fitted;
    }

    /**
     * One entry of a plain listing, for {@link #fill(long, List)}.
     *
     * @param name the entry's name (not containing '/' or NUL)
     * @param ino the inode number shown in {@code d_ino}
     * @param type the file type shown in {@code d_type}
     */
    public record Item(String name, long ino, FileType type) {
        /**
         * Checks the parts.
         *
         * @param name the entry's name
         * @param ino the inode number
         * @param type the file type
         */
        public Item {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
        }
    }

    /**
     * Adds one element of a directory to a listing, for {@link #fill(long, List, Adder)}: typically one call of
     * {@link #add(String, long, FileType, long)} or, for READDIRPLUS, {@link #add(String, long, Entry)} followed by
     * counting the lookup the kernel then holds.
     *
     * @param <T> the filesystem's type of directory entries
     */
    @FunctionalInterface
    public interface Adder<T> {
        /**
         * Adds {@code element} with {@code nextOffset}.
         *
         * @param listing the listing being filled
         * @param element the directory entry to add
         * @param nextOffset the offset to pass as the entry's {@code nextOffset}
         * @return what {@code add} returned: {@code false} if the entry did not fit, which ends the page
         * @throws IOException to fail the request (e.g. the entry's attributes could not be read)
         */
        boolean add(DirectoryListing listing, T element, long nextOffset) throws IOException;
    }

    /**
     * Fills this listing from {@code items}, a directory's entries in order, resuming at {@code offset}: the entry
     * at index {@code i} is given the offset {@code i + 1}, so the kernel's next request (which carries the offset
     * of the last entry it got) resumes at the first entry not sent yet, and offset 0 starts from the beginning.
     * Entries are added until the listing is full or the list ends; an offset at or past the end adds nothing,
     * which ends the listing. In a READDIRPLUS listing the entries go without attributes
     * ({@link #addWithoutAttributes}); use {@link #fill(long, List, Adder)} to send attributes.
     *
     * <p>Index offsets are right only if the list is the same, in the same order, for every request of one listing
     * (the kernel reads a large directory in several requests, and a program may pause between them): list an
     * immutable or sorted snapshot, taken in {@code opendir} and kept with the handle, or a structure that only
     * grows at its end. A list that changes under a listing makes it skip or repeat names; keep a stable cookie per
     * entry instead (an ever-increasing number) and call {@link #add} directly.
     *
     * <p>FUSE lists only what the filesystem lists: for {@code ls -a} to show "." and "..", put them first in the
     * list (the directory's own inode number and its parent's, type {@link FileType#DIRECTORY}). The kernel takes
     * no lookup count for "." and ".." in READDIRPLUS, so they need no counting.
     *
     * <pre>{@code
     * public void readdir(Request req, long node, long fh, long offset, DirectoryListing listing) {
     *     List<DirectoryListing.Item> items = handles.get(fh).snapshot(); // taken in opendir
     *     listing.fill(offset, items);
     * }
     * }</pre>
     *
     * @param offset the offset of the request: where the previous page ended, 0 for the first
     * @param items the directory's entries in listing order
     * @return the number of entries added by this call
     * @throws IllegalArgumentException if a name contains '/' or NUL, or is empty
     */
    public int fill(long offset, List<? extends Item> items) {
        int before = entries;
        for (int i = startIndex(offset, items.size()); i < items.size(); i++) {
            Item item = items.get(i);
            if (!addWithoutAttributes(item.name(), item.ino(), item.type(), i + 1L)) {
                break;
            }
        }
        return entries - before;
    }

    /**
     * Fills this listing from {@code elements} as {@link #fill(long, List)} does (the element at index {@code i}
     * gets the offset {@code i + 1}; the same rules about a list that stays the same and about "." and ".."),
     * letting {@code adder} add each element, so it can send attributes in READDIRPLUS and count the lookups:
     *
     * <pre>{@code
     * public void readdirplus(Request req, long node, long fh, long offset, DirectoryListing listing)
     *         throws IOException {
     *     listing.fill(offset, handles.get(fh).children(), (l, child, next) -> {
     *         if (!l.add(child.name(), next, child.entry())) {
     *             return false;               // full: the kernel asks again from this entry
     *         }
     *         child.lookups.incrementAndGet(); // added: the kernel now holds one more lookup of it
     *         return true;
     *     });
     * }
     * }</pre>
     *
     * @param <T> the filesystem's type of directory entries
     * @param offset the offset of the request: where the previous page ended, 0 for the first
     * @param elements the directory's entries in listing order
     * @param adder adds one element with the offset given, returning whether it fitted
     * @return the number of elements added by this call (those for which {@code adder} returned {@code true})
     * @throws IOException what {@code adder} throws, after the entries added before it
     */
    public <T> int fill(long offset, List<? extends T> elements, Adder<? super T> adder) throws IOException {
        int added = 0;
        for (int i = startIndex(offset, elements.size()); i < elements.size(); i++) {
            if (!adder.add(this, elements.get(i), i + 1L)) {
                break;
            }
            added++;
        }
        return added;
    }

    /** The index a listing resumes at: {@code offset}, or the end for an offset past it (or above 2^63). */
    private static int startIndex(long offset, int size) {
        return offset < 0 || offset > size ? size : (int) offset;
    }

    /**
     * Number of entries added so far.
     *
     * @return the entry count
     */
    public int size() {
        return entries;
    }

    /**
     * Bytes still free.
     *
     * @return the free bytes
     */
    public int remaining() {
        return buffer.remaining();
    }

    /**
     * The encoded entries (position 0 to the end of the last entry), for the session to send.
     *
     * @return the encoded entries (position 0 to the end of the last entry), for the session to send
     */
    public ByteBuffer encoded() {
        return buffer.duplicate().flip().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The entry_out of a READDIRPLUS entry sent without attributes. */
    private static final DirentWriter.EntryOutWriter NO_ENTRY = (b, p) -> ReplyEncoder.entryOut(b, p, 0, 0,
            java.time.Duration.ZERO, java.time.Duration.ZERO, null);

    /**
     * The number of encoded bytes ({@link #encoded()}'s remaining), without making a view.
     *
     * @return the number of encoded bytes ({@link #encoded()}'s remaining), without making a view
     */
    public int encodedLength() {
        return buffer.position();
    }

    /**
     * Whether {@code name} is a non-empty ASCII name, to be written without encoding; throws for '/' and NUL, which
     * no name may contain. A name that is not ASCII goes through {@link #bytes}, which checks it again.
     */
    private static boolean isAscii(String name) {
        int n = name.length();
        if (n == 0) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            if (c >= 0x80) {
                return false;
            }
            if (c == '/' || c == 0) {
                throw new IllegalArgumentException("not a valid directory entry name: '" + name + "'");
            }
        }
        return true;
    }

    /** The name's bytes as {@link Names} encodes them; throws for a name that has none, contains '/' or NUL. */
    private static byte[] bytes(String name) {
        byte[] b = Names.bytes(name);
        if (b.length == 0 || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a valid directory entry name: '" + name + "'");
        }
        return b;
    }
}
