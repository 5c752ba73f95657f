package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.internal.session.BlockingAdapter;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * {@link Filesystem} and {@link AsyncFilesystem} are two spellings of one operation set: same names, same
 * parameters, the async return type the blocking one wrapped in a {@link CompletionStage}. And the adapter that runs
 * one as the other forwards every operation (a forgotten override would silently answer ENOSYS).
 */
class ApiParityTest {
    /** Lifecycle callbacks are not requests: same signature in both, nothing wrapped. */
    private static final Set<String> LIFECYCLE = Set.of("init", "destroy", "forget");

    private static Map<String, Method> operations(Class<?> api) {
        Map<String, Method> out = new TreeMap<>();
        for (Method m : api.getDeclaredMethods()) {
            if (Modifier.isPublic(m.getModifiers()) && !Modifier.isStatic(m.getModifiers())) {
                Method previous = out.put(signature(m), m);
                assertEquals(null, previous, "overloaded operation " + signature(m) + " in " + api.getSimpleName());
            }
        }
        return out;
    }

    private static String signature(Method m) {
        return m.getName() + Arrays.toString(m.getGenericParameterTypes());
    }

    @Test
    void bothInterfacesDeclareTheSameOperations() {
        Map<String, Method> blocking = operations(Filesystem.class);
        Map<String, Method> async = operations(AsyncFilesystem.class);
        assertEquals(blocking.keySet(), async.keySet(),
                "operations only in one of them: " + symmetricDifference(blocking.keySet(), async.keySet()));
        assertTrue(blocking.size() >= 45, "expected every FUSE operation, found " + blocking.size());
    }

    @Test
    void asyncReturnTypesAreTheBlockingOnesInACompletionStage() {
        Map<String, Method> async = operations(AsyncFilesystem.class);
        List<String> wrong = new ArrayList<>();
        for (Method b : operations(Filesystem.class).values()) {
            Method a = async.get(signature(b));
            if (LIFECYCLE.contains(b.getName())) {
                if (!a.getGenericReturnType().equals(b.getGenericReturnType())) {
                    wrong.add(b.getName() + ": lifecycle methods return the same type");
                }
                continue;
            }
            Type expected = boxed(b.getGenericReturnType());
            Type actual = a.getGenericReturnType();
            if (!(actual instanceof ParameterizedType p) || p.getRawType() != CompletionStage.class
                    || !p.getActualTypeArguments()[0].equals(expected)) {
                wrong.add(b.getName() + ": expected CompletionStage<" + expected.getTypeName() + ">, got "
                        + actual.getTypeName());
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void onlyBlockingMethodsThrowCheckedExceptions() {
        for (Method a : operations(AsyncFilesystem.class).values()) {
            if (!a.getName().equals("init")) {
                assertEquals(0, a.getExceptionTypes().length, a.getName() + " reports failures through its stage");
            }
        }
    }

    @Test
    void theBlockingAdapterForwardsEveryOperation() {
        List<String> missing = new ArrayList<>();
        for (Method a : operations(AsyncFilesystem.class).values()) {
            try {
                BlockingAdapter.class.getDeclaredMethod(a.getName(), a.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(signature(a));
            }
        }
        assertEquals(List.of(), missing, "BlockingAdapter does not override these; they would answer ENOSYS");
    }

    @Test
    void theDelegatingFilesystemForwardsEveryOperation() {
        List<String> missing = new ArrayList<>();
        for (Method a : operations(AsyncFilesystem.class).values()) {
            try {
                DelegatingAsyncFilesystem.class.getDeclaredMethod(a.getName(), a.getParameterTypes());
            } catch (NoSuchMethodException e) {
                missing.add(signature(a));
            }
        }
        assertEquals(List.of(), missing, "DelegatingAsyncFilesystem does not forward these to the blocking one");
    }

    private static Type boxed(Type t) {
        if (t == void.class) {
            return Void.class;
        } else if (t == int.class) {
            return Integer.class;
        } else if (t == long.class) {
            return Long.class;
        } else if (t == boolean.class) {
            return Boolean.class;
        }
        return t;
    }

    private static Set<String> symmetricDifference(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.addAll(b);
        Set<String> both = new TreeSet<>(a);
        both.retainAll(b);
        out.removeAll(both);
        return out;
    }
}
