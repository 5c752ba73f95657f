package dev.jfuser.examples.httpfs;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A least-recently-used cache of file blocks with a byte budget, which also merges concurrent fetches of the same
 * block: while one is on its way, every reader of that block waits for the same future instead of sending its
 * own request.
 *
 * <p>The lock guards only map operations; fetches start and finish outside it, so one slow block never holds up
 * another. A block that failed to load is not remembered: the next reader tries again.
 *
 * @param <K> the block key (file identity and version, block index)
 */
public final class BlockCache<K> {
    private final long budgetBytes;
    private final Object lock = new Object();
    /** Loaded blocks, least recently used first. */
    private final LinkedHashMap<K, byte[]> loaded = new LinkedHashMap<>(64, 0.75f, true);
    /** Blocks being fetched. */
    private final Map<K, CompletableFuture<byte[]>> loading = new HashMap<>();
    private long bytes;
    private long hits;
    private long misses;

    /** A cache holding at most {@code budgetBytes} bytes of loaded blocks (0 keeps nothing once read). */
    public BlockCache(long budgetBytes) {
        if (budgetBytes < 0) {
            throw new IllegalArgumentException("budgetBytes must not be negative: " + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
    }

    /**
     * The block for {@code key}: from the cache, from a fetch already under way, or from {@code loader}, which is
     * called (outside the lock, on the calling thread) only when neither exists.
     */
    public CompletableFuture<byte[]> get(K key, Supplier<CompletableFuture<byte[]>> loader) {
        CompletableFuture<byte[]> mine;
        synchronized (lock) {
            byte[] block = loaded.get(key);
            if (block != null) {
                hits++;
                return CompletableFuture.completedFuture(block);
            }
            CompletableFuture<byte[]> pending = loading.get(key);
            if (pending != null) {
                hits++;
                return pending;
            }
            misses++;
            mine = new CompletableFuture<>();
            loading.put(key, mine);
        }
        CompletableFuture<byte[]> fetch;
        try {
            fetch = loader.get();
        } catch (RuntimeException e) {
            fetch = CompletableFuture.failedFuture(e);
        }
        fetch.whenComplete((block, failure) -> {
            synchronized (lock) {
                loading.remove(key, mine);
                if (failure == null) {
                    store(key, block);
                }
            }
            if (failure != null) {
                mine.completeExceptionally(failure);
            } else {
                mine.complete(block);
            }
        });
        return mine;
    }

    /**
     * Offers a block that arrived without being asked for (a server that ignored a range and sent the whole file);
     * kept if the budget allows, after the blocks in use.
     */
    public void offer(K key, byte[] block) {
        synchronized (lock) {
            if (!loaded.containsKey(key) && !loading.containsKey(key)) {
                store(key, block);
            }
        }
    }

    private void store(K key, byte[] block) {
        if (block.length > budgetBytes) {
            return;
        }
        byte[] previous = loaded.put(key, block);
        bytes += block.length - (previous == null ? 0 : previous.length);
        Iterator<byte[]> eldest = loaded.values().iterator();
        while (bytes > budgetBytes && eldest.hasNext()) {
            bytes -= eldest.next().length;
            eldest.remove();
        }
    }

    /** Bytes held by loaded blocks. */
    public long bytes() {
        synchronized (lock) {
            return bytes;
        }
    }

    /** Number of loaded blocks. */
    public int blocks() {
        synchronized (lock) {
            return loaded.size();
        }
    }

    /** Whether {@code key} is loaded (without touching its recency). */
    public boolean contains(K key) {
        synchronized (lock) {
            return loaded.containsKey(key);
        }
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "BlockCache[" + loaded.size() + " blocks, " + bytes + "/" + budgetBytes + " bytes, " + hits
                    + " hits, " + misses + " misses, " + loading.size() + " loading]";
        }
    }
}
