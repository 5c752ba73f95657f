package dev.jfuser.internal.session;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.DelegatingAsyncFilesystem;
import dev.jfuser.Filesystem;
import dev.jfuser.protocol.Opcode;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which operations a filesystem left to the API's default methods. The session uses it twice:
 * <ul>
 *   <li>A default method only answers ENOSYS or a fixed success, so the blocking adapter runs it on the reader
 *       thread: starting a virtual thread for it would cost more than the method.</li>
 *   <li>For FLUSH, FSYNC and FSYNCDIR ({@link Opcode#enosysMeansSuccess}) the kernel takes ENOSYS as success and stops sending the operation for the
 *       rest of the mount ({@code fc->no_flush}, {@code no_fsync}, {@code no_fsyncdir}), as libfuse does for a
 *       missing callback. Answering ENOSYS where the default would succeed saves a round trip on every
 *       {@code close(2)} and {@code fsync(2)} with the same result for the caller.</li>
 * </ul>
 */
final class DefaultMethods {
    private DefaultMethods() {}

    /** The opcodes whose {@link Filesystem} method {@code fs} does not override. */
    static Set<Opcode> of(Filesystem fs) {
        return notOverridden(fs.getClass(), Filesystem.class);
    }

    /**
     * The opcodes whose {@link AsyncFilesystem} method {@code fs} does not override; for the blocking adapter,
     * those its wrapped {@link Filesystem} does not override.
     */
    static Set<Opcode> of(AsyncFilesystem fs) {
        if (fs instanceof BlockingAdapter b) {
            return of(b.filesystem());
        }
        if (fs instanceof DelegatingAsyncFilesystem d) {
            // Left to its default only if the subclass did not override it and the blocking filesystem did not either.
            Set<Opcode> result = of(d.delegate());
            result.retainAll(notOverridden(fs.getClass(), DelegatingAsyncFilesystem.class));
            return result;
        }
        return notOverridden(fs.getClass(), AsyncFilesystem.class);
    }

    private static Set<Opcode> notOverridden(Class<?> impl, Class<?> api) {
        Set<Opcode> result = EnumSet.noneOf(Opcode.class);
        for (Opcode op : Opcode.values()) {
            String name = methodName(op);
            if (name == null) {
                continue;
            }
            boolean allDefault = true;
            for (String n : op == Opcode.LOOKUP ? LOOKUP_METHODS : List.of(name)) {
                allDefault &= isDefault(impl, api, n);
            }
            if (allDefault) {
                result.add(op);
            }
        }
        return result;
    }

    /**
     * LOOKUP reaches one of three methods (lookup, and with export support lookupNode for "." and lookupParent for
     * ".."): it is left to its default only if all three are.
     */
    private static final List<String> LOOKUP_METHODS = List.of("lookup", "lookupNode", "lookupParent");

    /**
     * Whether {@code impl}'s method {@code name} is still {@code api}'s: a default method of an interface, or for
     * {@link DelegatingAsyncFilesystem} its own forwarding method.
     */
    private static boolean isDefault(Class<?> impl, Class<?> api, String name) {
        for (Method m : api.getMethods()) {
            if ((api.isInterface() && !m.isDefault()) || Modifier.isStatic(m.getModifiers())
                    || !m.getName().equalsIgnoreCase(name) || m.getDeclaringClass() == Object.class) {
                continue;
            }
            try {
                return impl.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass() == api;
            } catch (NoSuchMethodException impossible) {
                // an implementation has every method of its interface
            }
        }
        return false;
    }

    /** The API method an opcode calls, or null for those the session handles itself. */
    static String methodName(Opcode op) {
        return switch (op) {
            case FORGET, BATCH_FORGET, INIT, DESTROY, INTERRUPT, NOTIFY_REPLY -> null;
            case SETLKW -> "setlk";
            case RENAME2 -> "rename";
            case COPY_FILE_RANGE_64 -> "copyFileRange";
            default -> op.name().replace("_", "").toLowerCase(Locale.ROOT);
        };
    }
}
