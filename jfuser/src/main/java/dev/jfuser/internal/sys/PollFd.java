package dev.jfuser.internal.sys;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;

/**
 * {@code struct pollfd { int fd; short events; short revents; }} arrays for {@link LibC#poll}.
 *
 * <p>A reader polls its /dev/fuse fd together with an eventfd so that shutdown can wake it: closing an fd another
 * thread is blocked on does not wake that thread on Linux.
 */
public final class PollFd {
    private PollFd() {}

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents"));
    public static final long BYTES = LAYOUT.byteSize();

    /** Data to read. /dev/fuse reports it when a request is queued. */
    public static final short POLLIN = 0x1;
    public static final short POLLPRI = 0x2;
    public static final short POLLOUT = 0x4;
    /** Error; always reported, need not be requested. /dev/fuse reports it once the connection is aborted. */
    public static final short POLLERR = 0x8;
    /** Hang-up; always reported. */
    public static final short POLLHUP = 0x10;
    /** The fd is not open; always reported. */
    public static final short POLLNVAL = 0x20;

    private static final long FD = LAYOUT.byteOffset(groupElement("fd"));
    private static final long EVENTS = LAYOUT.byteOffset(groupElement("events"));
    private static final long REVENTS = LAYOUT.byteOffset(groupElement("revents"));

    public static MemorySegment allocate(SegmentAllocator allocator, int count) {
        return allocator.allocate(LAYOUT, count);
    }

    /** Sets entry {@code index} to watch {@code fd} for {@code events} and clears its {@code revents}. */
    public static void set(MemorySegment pollfds, int index, int fd, short events) {
        long entry = index * BYTES;
        pollfds.set(JAVA_INT, entry + FD, fd);
        pollfds.set(JAVA_SHORT, entry + EVENTS, events);
        pollfds.set(JAVA_SHORT, entry + REVENTS, (short) 0);
    }

    public static int fd(MemorySegment pollfds, int index) {
        return pollfds.get(JAVA_INT, index * BYTES + FD);
    }

    public static short events(MemorySegment pollfds, int index) {
        return pollfds.get(JAVA_SHORT, index * BYTES + EVENTS);
    }

    /** The events the kernel reported for entry {@code index} in the last {@code poll}. */
    public static short revents(MemorySegment pollfds, int index) {
        return pollfds.get(JAVA_SHORT, index * BYTES + REVENTS);
    }
}
