package dev.jfuser.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark filesystem's content, shared by every Java implementation (and mirrored byte for byte by
 * {@code src/main/c/benchfs.c}), so all of them serve the same tree:
 *
 * <pre>
 * /dir10k/f00000 … f09999   10,000 files of 100 bytes   (readdir)
 * /small/s000 … s255        256 files of 4 KiB          (stat, open)
 * /big                      one large read-only file    (sequential and random reads)
 * /scratch/                 writable: create, write, truncate, unlink (writes are counted, data dropped)
 * </pre>
 *
 * Node ids are computed, not stored: 1 root, 2 dir10k, 3 small, 4 scratch, 5 big, 100+i small/s%03d,
 * 1000+i dir10k/f%05d, 1,000,000+ for scratch files. File content at offset {@code o} is
 * {@link #patternByte(long) patternByte(o)}: periodic with a prime period, so any read is one slice of a
 * precomputed native buffer — no per-read computation in any implementation.
 */
public final class Tree {
    public static final long ROOT = 1;
    public static final long DIR10K = 2;
    public static final long SMALL = 3;
    public static final long SCRATCH = 4;
    public static final long BIG = 5;
    public static final long SMALL_BASE = 100;
    public static final long DIR_BASE = 1000;
    public static final long SCRATCH_BASE = 1_000_000;

    public static final int DIR_FILES = 10_000;
    public static final int SMALL_FILES = 256;
    public static final int SMALL_SIZE = 4096;
    public static final int DIR_FILE_SIZE = 100;
    /** Seconds since the epoch of every timestamp: fixed so all implementations stat alike. */
    public static final long TIME = 1_700_000_000L;

    /** The content's period (a prime, so 4 KiB-aligned reads do not repeat in step with it). */
    public static final int PERIOD = 1_048_573;
    /** Largest single read any kernel sends (max_pages 256). */
    public static final int MAX_IO = 1 << 20;

    /** PERIOD + MAX_IO bytes of content: a read of n bytes at o is {@code slice(o % PERIOD, n)}. */
    public static final MemorySegment PATTERN;

    static {
        PATTERN = Arena.global().allocate(PERIOD + MAX_IO, 4096);
        for (int i = 0; i < PERIOD + MAX_IO; i++) {
            PATTERN.set(ValueLayout.JAVA_BYTE, i, patternByte(i));
        }
    }

    public final long bigSize;
    /** Scratch files: name → node id, node id → size. */
    private final ConcurrentHashMap<String, Long> scratchNames = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, AtomicLong> scratchSizes = new ConcurrentHashMap<>();
    private final AtomicLong nextScratch = new AtomicLong(SCRATCH_BASE);

    public Tree(long bigSize) {
        this.bigSize = bigSize;
    }

    /** The byte at offset {@code o} of every regular file. */
    public static byte patternByte(long o) {
        long i = o % PERIOD;
        return (byte) ((i * 131 + (i >>> 11)) & 0xff);
    }

    public static boolean isDir(long node) {
        return node >= ROOT && node <= SCRATCH;
    }

    /** Whether {@code node} exists (scratch files only while not unlinked). */
    public boolean exists(long node) {
        return isDir(node) || node == BIG || (node >= SMALL_BASE && node < SMALL_BASE + SMALL_FILES)
                || (node >= DIR_BASE && node < DIR_BASE + DIR_FILES) || scratchSizes.containsKey(node);
    }

    public long size(long node) {
        if (node == BIG) {
            return bigSize;
        }
        if (node >= SMALL_BASE && node < SMALL_BASE + SMALL_FILES) {
            return SMALL_SIZE;
        }
        if (node >= DIR_BASE && node < DIR_BASE + DIR_FILES) {
            return DIR_FILE_SIZE;
        }
        if (isDir(node)) {
            return 4096;
        }
        AtomicLong s = scratchSizes.get(node);
        return s == null ? 0 : s.get();
    }

    /** Full st_mode. */
    public static int mode(long node) {
        if (node == SCRATCH) {
            return 0040777;
        }
        return isDir(node) ? 0040755 : node >= SCRATCH_BASE ? 0100666 : 0100644;
    }

    public static int nlink(long node) {
        return isDir(node) ? 2 : 1;
    }

    /** The node of {@code name} in directory {@code parent}, or -1. */
    public long lookup(long parent, String name) {
        if (parent == ROOT) {
            return switch (name) {
                case "dir10k" -> DIR10K;
                case "small" -> SMALL;
                case "scratch" -> SCRATCH;
                case "big" -> BIG;
                default -> -1;
            };
        }
        if (parent == SMALL) {
            int i = number(name, 's', 3);
            return i >= 0 && i < SMALL_FILES ? SMALL_BASE + i : -1;
        }
        if (parent == DIR10K) {
            int i = number(name, 'f', 5);
            return i >= 0 && i < DIR_FILES ? DIR_BASE + i : -1;
        }
        if (parent == SCRATCH) {
            Long n = scratchNames.get(name);
            return n == null ? -1 : n;
        }
        return -1;
    }

    /** The node of an absolute path ("/small/s001"), or -1: for the path-based APIs. */
    public long resolve(String path) {
        if (path.equals("/")) {
            return ROOT;
        }
        int slash = path.indexOf('/', 1);
        if (slash < 0) {
            return lookup(ROOT, path.substring(1));
        }
        long dir = lookup(ROOT, path.substring(1, slash));
        return dir < 0 || !isDir(dir) ? -1 : lookup(dir, path.substring(slash + 1));
    }

    /** "f00042" → 42 when the name is {@code prefix} + exactly {@code digits} digits, else -1. */
    private static int number(String name, char prefix, int digits) {
        if (name.length() != digits + 1 || name.charAt(0) != prefix) {
            return -1;
        }
        int v = 0;
        for (int i = 1; i <= digits; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** Creates (or opens, truncating nothing) a scratch file; returns its node. */
    public long create(String name) {
        return scratchNames.computeIfAbsent(name, n -> {
            long node = nextScratch.getAndIncrement();
            scratchSizes.put(node, new AtomicLong());
            return node;
        });
    }

    /** Removes a scratch file; false if there is none of that name. */
    public boolean unlink(String name) {
        Long node = scratchNames.remove(name);
        if (node == null) {
            return false;
        }
        scratchSizes.remove(node);
        return true;
    }

    /** Records a write to a scratch file (the data is dropped); false if {@code node} is not one. */
    public boolean wrote(long node, long offset, long length) {
        AtomicLong s = scratchSizes.get(node);
        if (s == null) {
            return false;
        }
        s.accumulateAndGet(offset + length, Math::max);
        return true;
    }

    public boolean truncate(long node, long size) {
        AtomicLong s = scratchSizes.get(node);
        if (s == null) {
            return false;
        }
        s.set(size);
        return true;
    }

    /** Number of bytes a read of {@code size} at {@code offset} returns. */
    public int readLength(long node, long offset, int size) {
        long len = size(node);
        return offset >= len ? 0 : (int) Math.min(size, len - offset);
    }

    /** The bytes at {@code offset} of any file, {@code length} ≤ {@link #MAX_IO}: a slice of {@link #PATTERN}. */
    public static MemorySegment slice(long offset, int length) {
        return PATTERN.asSlice(offset % PERIOD, length);
    }

    /** Names of dir10k in order: entry {@code i} has offset cookie {@code i + 1}. */
    public static String dirName(int i) {
        return "f" + String.format("%05d", i);
    }

    public static String smallName(int i) {
        return "s" + String.format("%03d", i);
    }

    /** Directory entries of a directory node (names; the scratch dir lists its current files). */
    public String[] list(long dir) {
        if (dir == ROOT) {
            return new String[] {"big", "dir10k", "scratch", "small"};
        }
        if (dir == DIR10K) {
            return DIR_NAMES;
        }
        if (dir == SMALL) {
            return SMALL_NAMES;
        }
        return scratchNames.keySet().toArray(new String[0]);
    }

    private static final String[] DIR_NAMES = new String[DIR_FILES];
    private static final String[] SMALL_NAMES = new String[SMALL_FILES];

    static {
        for (int i = 0; i < DIR_FILES; i++) {
            DIR_NAMES[i] = dirName(i);
        }
        for (int i = 0; i < SMALL_FILES; i++) {
            SMALL_NAMES[i] = smallName(i);
        }
    }

    /** The node of entry {@code name} of {@code dir} as listed by {@link #list}. */
    public long child(long dir, String name) {
        return lookup(dir, name);
    }
}
