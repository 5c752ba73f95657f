package dev.jfuser.internal.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;

/**
 * {@code struct iovec { void *iov_base; size_t iov_len; }} arrays for {@link LibC#writev}.
 *
 * <p>An iovec array stores raw addresses, not segments: whoever fills it must keep every referenced segment alive
 * (its arena open) until the {@code writev} returns. Filling an entry allocates nothing, so a transport can keep one
 * array per thread and refill it for each reply.
 */
public final class Iovec {
    private Iovec() {}

    /** The layout of one entry (16 bytes on x86_64 and aarch64). */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ADDRESS.withName("iov_base"),
            JAVA_LONG.withName("iov_len"));
    /** Size of one entry in bytes. */
    public static final long BYTES = LAYOUT.byteSize();
    /** The kernel's UIO_MAXIOV: writev fails with EINVAL beyond this many entries. */
    public static final int MAX_IOV = 1024;

    private static final long BASE = LAYOUT.byteOffset(groupElement("iov_base"));
    private static final long LEN = LAYOUT.byteOffset(groupElement("iov_len"));

    /** Allocates an array of {@code count} zeroed entries. */
    public static MemorySegment allocate(SegmentAllocator allocator, int count) {
        return allocator.allocate(LAYOUT, count);
    }

    /**
     * Points entry {@code index} at all of {@code data}.
     *
     * @throws IllegalArgumentException if {@code data} is on the Java heap: the kernel needs a stable address
     */
    public static void set(MemorySegment iovecs, int index, MemorySegment data) {
        if (!data.isNative()) {
            throw new IllegalArgumentException("iovec entry " + index + " must point to off-heap memory, got " + data
                    + ": copy it into a native segment first");
        }
        set(iovecs, index, data.address(), data.byteSize());
    }

    /** Sets entry {@code index} from a raw address and length. */
    public static void set(MemorySegment iovecs, int index, long address, long length) {
        long entry = index * BYTES;
        // A plain 64-bit store: iov_base is a pointer on every 64-bit ABI we support.
        iovecs.set(JAVA_LONG, entry + BASE, address);
        iovecs.set(JAVA_LONG, entry + LEN, length);
    }

    /** The base address of entry {@code index}. */
    public static long base(MemorySegment iovecs, int index) {
        return iovecs.get(JAVA_LONG, index * BYTES + BASE);
    }

    /** The length of entry {@code index}. */
    public static long length(MemorySegment iovecs, int index) {
        return iovecs.get(JAVA_LONG, index * BYTES + LEN);
    }

    /** Sum of the lengths of the first {@code count} entries: what a complete {@code writev} returns. */
    public static long totalLength(MemorySegment iovecs, int count) {
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += length(iovecs, i);
        }
        return total;
    }
}
