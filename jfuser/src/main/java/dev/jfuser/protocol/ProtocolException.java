package dev.jfuser.protocol;

/**
 * A request the decoder cannot accept: shorter than its header says, or an argument struct or name cut off.
 * The session answers such a request (when its unique id could be read) with EIO and keeps serving.
 */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Kind {
        /** Fewer bytes than a header or struct needs. */
        SHORT_READ,
        /** The header's length disagrees with the bytes read. */
        BAD_LENGTH,
        /** A name without its terminating NUL, or not valid UTF-8. */
        BAD_NAME,
        /** An extension header that runs past the request. */
        BAD_EXTENSION
    }

    /** What was wrong. */
    private final Kind kind;
    /** The broken request's unique id, or 0. */
    private final long unique;

    /**
     * A request the codec could not decode.
     *
     * @param kind what was wrong
     * @param unique the request's unique id, or 0 when even the header was unreadable
     * @param message the details
     */
    public ProtocolException(Kind kind, long unique, String message) {
        super(message);
        this.kind = kind;
        this.unique = unique;
    }

    /**
     * What was wrong.
     *
     * @return what was wrong with the request
     */
    public Kind kind() {
        return kind;
    }

    /**
     * The unique id of the broken request, or 0 when even the header was unreadable.
     *
     * @return the unique id of the broken request, or 0 when even the header was unreadable
     */
    public long unique() {
        return unique;
    }
}
