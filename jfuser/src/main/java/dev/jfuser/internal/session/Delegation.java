package dev.jfuser.internal.session;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.DelegatingAsyncFilesystem;
import java.util.function.Function;

/**
 * How the session reaches the {@link BlockingAdapter} inside a {@link DelegatingAsyncFilesystem} (which keeps it
 * private, as it is no part of the public API): the class registers an accessor when it is initialized, which
 * happens before any instance exists.
 */
public final class Delegation {
    private static volatile Function<AsyncFilesystem, BlockingAdapter> adapterOf;

    private Delegation() {}

    /** Called once, by {@link DelegatingAsyncFilesystem}'s static initializer. */
    public static void register(Class<? extends AsyncFilesystem> type, Function<AsyncFilesystem, BlockingAdapter> f) {
        if (type != DelegatingAsyncFilesystem.class) {
            throw new IllegalArgumentException("only DelegatingAsyncFilesystem registers: " + type);
        }
        adapterOf = f;
    }

    /** The adapter answering {@code fs}'s delegated operations, or null if {@code fs} delegates nothing. */
    static BlockingAdapter adapterOf(AsyncFilesystem fs) {
        return fs instanceof DelegatingAsyncFilesystem ? adapterOf.apply(fs) : null;
    }
}
