package dev.jfuser;

import java.util.StringJoiner;

/**
 * The {@code poll(2)} event bits ({@code <poll.h>}, the same on every Linux architecture) that
 * {@link Filesystem#poll} and {@link AsyncFilesystem#poll} receive as the events asked for and answer with as the
 * events ready, and the POLL request's own flag {@link #SCHEDULE_NOTIFY}. The bits stay a plain {@code int}.
 *
 * <p>A file that is never ready later (a regular file) answers {@code events & (POLLIN | POLLOUT | POLLRDNORM |
 * POLLWRNORM)} at once. One whose readiness changes keeps the kernel's handle when {@link #SCHEDULE_NOTIFY} is set and
 * calls {@link Notifier#pollWakeup} with it when it becomes ready.
 */
public final class PollEvents {
    private PollEvents() {}

    /** There is data to read. */
    public static final int POLLIN = 0x001;
    /** There is urgent data (out-of-band, a pseudo-terminal's state change) to read. */
    public static final int POLLPRI = 0x002;
    /** Writing now would not block. */
    public static final int POLLOUT = 0x004;
    /** An error condition (answered only, never asked for). */
    public static final int POLLERR = 0x008;
    /** Hang up: the other end closed (answered only, never asked for). */
    public static final int POLLHUP = 0x010;
    /** The descriptor is not open (answered only). */
    public static final int POLLNVAL = 0x020;
    /** Normal data to read (the same as {@link #POLLIN} for most files). */
    public static final int POLLRDNORM = 0x040;
    /** Priority-band data to read. */
    public static final int POLLRDBAND = 0x080;
    /** Normal data may be written (the same as {@link #POLLOUT} for most files). */
    public static final int POLLWRNORM = 0x100;
    /** Priority-band data may be written. */
    public static final int POLLWRBAND = 0x200;
    /** A message (unused by Linux itself). */
    public static final int POLLMSG = 0x400;
    /** The peer closed its writing end. */
    public static final int POLLRDHUP = 0x2000;

    /**
     * {@code FUSE_POLL_SCHEDULE_NOTIFY}, in the POLL request's {@code flags}: a caller is about to sleep on this
     * file, so keep the kernel handle and wake it with {@link Notifier#pollWakeup} when the answer changes. Without
     * it the kernel only asks and will not wait.
     */
    public static final int SCHEDULE_NOTIFY = 1;

    /**
     * The events by their C names, for logs: {@code toString(POLLIN | POLLRDNORM)} is {@code "POLLIN|POLLRDNORM"},
     * 0 is {@code "0"}; unknown bits come last in hexadecimal.
     *
     * @param events {@code poll(2)} event bits
     * @return the names of the bits set, separated by {@code |}
     */
    public static String toString(int events) {
        if (events == 0) {
            return "0";
        }
        int[] bits = {POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM,
            POLLWRBAND, POLLMSG, POLLRDHUP};
        String[] names = {"POLLIN", "POLLPRI", "POLLOUT", "POLLERR", "POLLHUP", "POLLNVAL", "POLLRDNORM",
            "POLLRDBAND", "POLLWRNORM", "POLLWRBAND", "POLLMSG", "POLLRDHUP"};
        StringJoiner out = new StringJoiner("|");
        int rest = events;
        for (int i = 0; i < bits.length; i++) {
            if ((events & bits[i]) != 0) {
                out.add(names[i]);
                rest &= ~bits[i];
            }
        }
        if (rest != 0) {
            out.add("0x" + Integer.toHexString(rest));
        }
        return out.toString();
    }
}
