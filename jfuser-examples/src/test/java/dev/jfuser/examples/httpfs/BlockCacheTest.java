package dev.jfuser.examples.httpfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BlockCacheTest {
    private static CompletableFuture<byte[]> bytes(int n) {
        return CompletableFuture.completedFuture(new byte[n]);
    }

    @Test
    void evictsLeastRecentlyUsedBlocksToStayWithinTheBudget() {
        BlockCache<Integer> cache = new BlockCache<>(300);
        cache.get(1, () -> bytes(100));
        cache.get(2, () -> bytes(100));
        cache.get(3, () -> bytes(100));
        cache.get(1, () -> bytes(100)); // 1 is now the most recently used
        cache.get(4, () -> bytes(100));
        assertEquals(300, cache.bytes());
        assertTrue(cache.contains(1) && cache.contains(3) && cache.contains(4));
        assertFalse(cache.contains(2), "2 was the least recently used");
        cache.get(5, () -> bytes(250));
        assertEquals(250, cache.bytes());
        assertEquals(1, cache.blocks());
        cache.get(6, () -> bytes(301)); // larger than the whole budget: served, not kept
        assertFalse(cache.contains(6));
        assertTrue(cache.contains(5));
    }

    @Test
    void concurrentReadersOfABlockShareOneFetch() {
        BlockCache<String> cache = new BlockCache<>(1 << 20);
        AtomicInteger loads = new AtomicInteger();
        CompletableFuture<byte[]> network = new CompletableFuture<>();
        CompletableFuture<byte[]> a = cache.get("k", () -> {
            loads.incrementAndGet();
            return network;
        });
        CompletableFuture<byte[]> b = cache.get("k", () -> {
            loads.incrementAndGet();
            return bytes(1);
        });
        assertSame(a, b);
        assertEquals(1, loads.get());
        network.complete(new byte[] {9});
        assertArrayEquals(new byte[] {9}, b.join());
        assertArrayEquals(new byte[] {9}, cache.get("k", () -> bytes(0)).join());
        assertEquals(1, loads.get());
    }

    @Test
    void aFailedFetchIsNotRemembered() {
        BlockCache<String> cache = new BlockCache<>(1 << 20);
        CompletableFuture<byte[]> failed = cache.get("k",
                () -> CompletableFuture.failedFuture(new IllegalStateException("down")));
        assertThrows(CompletionException.class, failed::join);
        assertEquals(0, cache.blocks());
        assertEquals(3, cache.get("k", () -> bytes(3)).join().length);
    }

    @Test
    void offeredBlocksFillButDoNotReplace() {
        BlockCache<String> cache = new BlockCache<>(1 << 20);
        cache.get("a", () -> bytes(1));
        cache.offer("a", new byte[2]);
        cache.offer("b", new byte[4]);
        assertEquals(1, cache.get("a", () -> bytes(9)).join().length);
        assertEquals(4, cache.get("b", () -> bytes(9)).join().length);
    }
}
