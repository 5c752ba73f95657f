package dev.jfuser;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The bytes that answer a read: a view of memory the filesystem already holds, never copied into an
 * intermediate Java array.
 *
 * <p>Data in native memory (a direct {@link ByteBuffer}, a native {@link MemorySegment}, e.g. a mapped file) goes
 * to the kernel straight from where it lies, in the same {@code writev} as the reply header. Heap data is copied
 * once, into the reply buffer. The memory must stay unchanged until the read's method returns (blocking API) or
 * its stage completes (async API). Returning fewer bytes than asked means end of file, except on files opened
 * with {@link OpenReply#DIRECT_IO}, where the count is passed to the caller as is.
 */
public final class ReadData {
    private static final ReadData EMPTY = new ReadData(MemorySegment.NULL);

    private final MemorySegment segment;

    private ReadData(MemorySegment segment) {
        this.segment = segment;
    }

    /**
     * No bytes: end of file.
     *
     * @return the empty reply
     */
    public static ReadData empty() {
        return EMPTY;
    }

    /**
     * All of {@code bytes}.
     *
     * @param bytes the data
     * @return the reply
     */
    public static ReadData of(byte[] bytes) {
        return new ReadData(MemorySegment.ofArray(bytes));
    }

    /**
     * {@code length} bytes of {@code bytes} from {@code offset}.
     *
     * @param bytes the data
     * @param offset where the data starts in {@code bytes}
     * @param length how many bytes
     * @return the reply
     */
    public static ReadData of(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        return new ReadData(MemorySegment.ofArray(bytes).asSlice(offset, length));
    }

    /**
     * The remaining bytes of {@code buffer} (position to limit); the buffer's position is not changed.
     *
     * @param buffer the data between its position and limit
     * @return the remaining bytes of {@code buffer} (position to limit)
     */
    public static ReadData of(ByteBuffer buffer) {
        return new ReadData(MemorySegment.ofBuffer(buffer));
    }

    /**
     * All bytes of {@code segment}.
     *
     * @param segment the data
     * @return the reply
     */
    public static ReadData of(MemorySegment segment) {
        return new ReadData(Objects.requireNonNull(segment, "segment"));
    }

    /**
     * The data as a memory segment (heap or native).
     *
     * @return the data as a memory segment (heap or native)
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * Number of bytes.
     *
     * @return the byte count
     */
    public long size() {
        return segment.byteSize();
    }

    /**
     * A copy of the bytes (for tests and debugging).
     *
     * @return a copy of the bytes (for tests and debugging)
     */
    public byte[] toByteArray() {
        return segment.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    @Override
    public String toString() {
        return "ReadData[" + size() + " bytes" + (segment.isNative() ? ", native]" : "]");
    }
}
