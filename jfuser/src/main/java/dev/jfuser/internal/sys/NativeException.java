package dev.jfuser.internal.sys;

import java.io.IOException;
import java.io.Serial;

/**
 * A failed C library call: which call, on what, and the {@code errno} it left.
 *
 * <p>The message reads like {@code mount("/mnt/x"): Operation not permitted (EPERM, errno 1)} so a log line alone
 * tells what was attempted on what. Callers that know the fix wrap this in an exception whose message gives it.
 */
public final class NativeException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String call;
    private final String argument;
    private final int errno;

    /**
     * @param call     the C function, e.g. {@code "open"}
     * @param argument the argument that identifies the target, already rendered (a quoted path, an fd); may be empty
     * @param errno    the positive error number
     */
    public NativeException(String call, String argument, int errno) {
        super(call + "(" + argument + "): " + LibC.strerror(errno) + " (" + LibC.errnoName(errno) + ", errno " + errno + ")");
        this.call = call;
        this.argument = argument;
        this.errno = errno;
    }

    /**
     * For failures that are not a plain errno (a protocol mismatch on a socket, a child that exited badly).
     * {@link #errno()} is still set so callers can branch on it.
     */
    public NativeException(String call, String argument, int errno, String message) {
        super(call + "(" + argument + "): " + message);
        this.call = call;
        this.argument = argument;
        this.errno = errno;
    }

    /** The positive {@code errno} value, e.g. {@link LibC#ENOENT}. */
    public int errno() {
        return errno;
    }

    /** The C function that failed, e.g. {@code "mount"}. */
    public String call() {
        return call;
    }

    /** The rendered key argument of the call ({@code "\"/mnt/x\""}, {@code "7"}), possibly empty. */
    public String argument() {
        return argument;
    }

    /** Renders a path argument the way messages show it: in double quotes. */
    static String quote(String path) {
        return "\"" + path + "\"";
    }
}
