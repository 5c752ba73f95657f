package dev.jfuser;

import java.util.Locale;

/**
 * How requests travel between the kernel and the session.
 *
 * <p>{@link #DEV_FUSE} reads and writes /dev/fuse: one system call to fetch a request, one to answer it, on every
 * kernel with FUSE. {@link #IO_URING} uses FUSE-over-io_uring (Linux 6.14+, with the module parameter
 * {@code /sys/module/fuse/parameters/enable_uring} set to 1): one queue per possible CPU, each a ring of entries
 * whose buffers the kernel fills directly; answering a request and fetching the next one is a single submission,
 * and requests are served on the CPU that made them. The kernel still uses /dev/fuse for FORGET and INTERRUPT, so a
 * reader stays on it.
 *
 * <p>When io_uring was asked for but cannot be used (the kernel does not offer it, io_uring is disabled by sysctl or
 * seccomp, ring setup fails) the session falls back to /dev/fuse and logs one line saying why.
 */
public enum Transport {
    /** io_uring when the kernel offers it, else /dev/fuse; the fallback is logged at debug level only. */
    AUTO,
    /** /dev/fuse only (the default). */
    DEV_FUSE,
    /** io_uring, falling back to /dev/fuse with a warning that says why when it cannot be used. */
    IO_URING;

    /** System property naming the default transport: {@code dev_fuse}, {@code io_uring} or {@code auto}. */
    public static final String PROPERTY = "jfuser.transport";

    /**
     * Parses {@code dev_fuse}, {@code io_uring} or {@code auto} (case-insensitive; {@code -} for {@code _} and
     * {@code uring}, {@code devfuse} accepted).
     *
     * @param value the name, as in {@code -Djfuser.transport}
     * @return the transport named
     * @throws IllegalArgumentException naming the bad value and the accepted ones
     */
    public static Transport parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        return switch (v) {
            case "auto" -> AUTO;
            case "dev_fuse", "devfuse", "dev" -> DEV_FUSE;
            case "io_uring", "iouring", "uring" -> IO_URING;
            default -> throw new IllegalArgumentException("unknown transport \"" + value
                    + "\": use dev_fuse, io_uring or auto");
        };
    }

    /**
     * The transport named by the system property {@value #PROPERTY}, or {@link #DEV_FUSE} when it is unset.
     *
     * @return the transport named by the system property {@value #PROPERTY}, or {@link #DEV_FUSE} when it is unset
     */
    public static Transport fromSystemProperty() {
        String v = System.getProperty(PROPERTY);
        return v == null || v.isBlank() ? DEV_FUSE : parse(v);
    }
}
