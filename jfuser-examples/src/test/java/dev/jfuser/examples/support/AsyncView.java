package dev.jfuser.examples.support;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.Filesystem;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Any blocking {@link Filesystem} seen through the {@link AsyncFilesystem} API: every operation runs on
 * {@code executor} and completes its stage from there. Not the library's {@code BlockingAdapter} (virtual threads,
 * interrupt semantics): this is a plain user-style async filesystem, so a contract suite run through it exercises
 * the async dispatch path with stages completed by foreign threads.
 */
public final class AsyncView {
    private static final Set<String> DIRECT = Set.of("init", "destroy", "forget");

    private AsyncView() {}

    /** The async view of {@code fs}. */
    public static AsyncFilesystem of(Filesystem fs, Executor executor) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.invoke(fs, args); // toString, equals, hashCode
            }
            Method target = Filesystem.class.getMethod(method.getName(), method.getParameterTypes());
            if (DIRECT.contains(method.getName())) {
                return call(target, fs, args);
            }
            CompletableFuture<Object> stage = new CompletableFuture<>();
            executor.execute(() -> {
                try {
                    stage.complete(call(target, fs, args));
                } catch (Throwable t) {
                    stage.completeExceptionally(t);
                }
            });
            return stage;
        };
        return (AsyncFilesystem) Proxy.newProxyInstance(AsyncView.class.getClassLoader(),
                new Class<?>[] {AsyncFilesystem.class}, handler);
    }

    private static Object call(Method target, Filesystem fs, Object[] args) throws Throwable {
        try {
            return target.invoke(fs, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
