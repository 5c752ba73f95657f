package dev.jfuser;

import java.io.IOException;
import java.util.Objects;

/**
 * Answers a request with an error: throw it from a {@link Filesystem} method, or complete an
 * {@link AsyncFilesystem} stage exceptionally with it.
 *
 * <p>It is an {@link IOException}, so filesystem methods can let {@code java.nio.file} exceptions through as
 * well; those are mapped to their natural errno ({@code NoSuchFileException} → ENOENT and so on). Any other
 * exception is answered EIO and logged.
 */
public class FuseException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Errno errno;

    /**
     * An exception answering {@code errno}.
     *
     * @param errno the error to answer
     */
    public FuseException(Errno errno) {
        super(errno.toString());
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /**
     * An exception answering {@code errno}, with a message for logs (the kernel only ever sees the number).
     *
     * @param errno the error to answer
     * @param message the detail for the log
     */
    public FuseException(Errno errno, String message) {
        super(errno.name() + ": " + message);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /**
     * An exception answering {@code errno} caused by {@code cause}.
     *
     * @param errno the error to answer
     * @param message the detail for the log
     * @param cause the underlying failure
     */
    public FuseException(Errno errno, String message, Throwable cause) {
        super(errno.name() + ": " + message, cause);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /**
     * The errno this exception answers.
     *
     * @return the errno this exception answers
     */
    public Errno errno() {
        return errno;
    }

    /** Expected errors like ENOENT are frequent; skip the stack trace for speed. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
