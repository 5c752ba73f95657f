package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.SetAttr;
import dev.jfuser.protocol.Opcode;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Offsets up to the largest file size, 2^63-1 as on tmpfs: read, write, truncate, fallocate, SEEK_DATA and
 * SEEK_HOLE near 0, page boundaries, 2^31, 2^32, 2^62 and 2^63-1, checked against a model of bytes and pages.
 */
class MemFsOffsetsPropertiesTest {
    private static final Request ROOT = new Request(1, Opcode.LOOKUP, 1, 0, 0, 0, new int[0]);
    private static final long MAX = Long.MAX_VALUE;
    private static final int PAGE = 4096;
    private static final long[] ANCHORS = {0, PAGE, 1L << 31, 1L << 32, 1L << 62, MAX - PAGE, MAX, (MAX / PAGE) * PAGE};

    enum Kind { WRITE, READ, TRUNCATE, FALLOCATE, FALLOCATE_KEEP_SIZE, SEEK_DATA, SEEK_HOLE }

    record Op(Kind kind, long offset, int length) {
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Long> offset = Combinators.combine(Arbitraries.of(0, 1, 2, 3, 4, 5, 6, 7),
                Arbitraries.longs().between(-2 * PAGE, 2 * PAGE))
                .as((a, d) -> {
                    long base = ANCHORS[a];
                    long o = d > 0 && base > MAX - d ? MAX : base + d;
                    return Math.max(0, o);
                });
        Arbitrary<Op> op = Combinators.combine(Arbitraries.of(Kind.class), offset,
                Arbitraries.integers().between(1, 3 * PAGE)).as(Op::new);
        return op.list().ofMinSize(1).ofMaxSize(25);
    }

    @Property(tries = 300)
    void offsetsUpToTheLargestFileSizeWork(@ForAll("ops") List<Op> ops) throws Exception {
        MemFs fs = new MemFs(MemFs.Options.defaults().withSizeLimit(64L << 20));
        var created = fs.create(ROOT, 1, "f", 0100644, 0, 2);
        long node = created.entry().nodeId();
        long fh = created.open().fh();
        Model m = new Model();
        int step = 0;
        for (Op op : ops) {
            String at = "step " + step++ + " " + op + " of " + ops;
            switch (op.kind()) {
                case WRITE -> {
                    byte[] data = new byte[op.length()];
                    for (int i = 0; i < data.length; i++) {
                        data[i] = (byte) (1 + (op.offset() + i) % 251);
                    }
                    if (op.offset() >= MAX) {
                        assertEquals(Errno.EFBIG, errno(() -> fs.write(ROOT, node, fh, op.offset(),
                                ByteBuffer.wrap(data), 0, 2, 0)), at);
                        break;
                    }
                    int expected = (int) Math.min(data.length, MAX - op.offset());
                    assertEquals(expected, fs.write(ROOT, node, fh, op.offset(), ByteBuffer.wrap(data), 0, 2, 0), at);
                    m.write(op.offset(), data, expected);
                }
                case READ -> {
                    byte[] got = fs.read(ROOT, node, fh, op.offset(), op.length(), 0, 0).toByteArray();
                    assertArrayEquals(m.read(op.offset(), op.length()), got, at);
                }
                case TRUNCATE -> {
                    fs.setattr(ROOT, node, new SetAttr(null, null, null, op.offset(), null, false, null, false, null,
                            null, null, false));
                    m.truncate(op.offset());
                }
                case FALLOCATE, FALLOCATE_KEEP_SIZE -> {
                    int mode = op.kind() == Kind.FALLOCATE ? 0 : 1;
                    if (op.offset() + op.length() < 0) {
                        assertEquals(Errno.EFBIG, errno(() -> fs.fallocate(ROOT, node, fh, op.offset(), op.length(),
                                mode)), at);
                        break;
                    }
                    fs.fallocate(ROOT, node, fh, op.offset(), op.length(), mode);
                    m.fallocate(op.offset(), op.length(), mode == 0);
                }
                case SEEK_DATA, SEEK_HOLE -> {
                    int whence = op.kind() == Kind.SEEK_DATA ? 3 : 4;
                    long want = whence == 3 ? m.seekData(op.offset()) : m.seekHole(op.offset());
                    if (want < 0) {
                        assertEquals(Errno.ENXIO, errno(() -> fs.lseek(ROOT, node, fh, op.offset(), whence)), at);
                    } else {
                        assertEquals(want, fs.lseek(ROOT, node, fh, op.offset(), whence), at);
                    }
                }
                default -> throw new AssertionError(op);
            }
            assertEquals(m.size, fs.attr(fs.nodes.get(node)).size(), at);
            assertEquals(m.pages.size() * (PAGE / 512L), fs.attr(fs.nodes.get(node)).blocks(), at);
        }
    }

    private static Errno errno(org.junit.jupiter.api.function.Executable call) {
        try {
            call.execute();
        } catch (FuseException e) {
            return e.errno();
        } catch (Throwable t) {
            throw new AssertionError("expected a FuseException, got " + t, t);
        }
        throw new AssertionError("expected a FuseException, nothing was thrown");
    }

    /** Bytes written (the rest reads as zeros) and pages allocated: true for data, false for reserved-only. */
    private static final class Model {
        final TreeMap<Long, Byte> bytes = new TreeMap<>();
        final TreeMap<Long, Boolean> pages = new TreeMap<>();
        long size;

        void write(long offset, byte[] data, int count) {
            for (int i = 0; i < count; i++) {
                bytes.put(offset + i, data[i]);
                pages.put((offset + i) / PAGE, true);
            }
            size = Math.max(size, offset + count);
        }

        byte[] read(long offset, int length) {
            if (offset >= size) {
                return new byte[0];
            }
            byte[] out = new byte[(int) Math.min(length, size - offset)];
            for (Map.Entry<Long, Byte> e : bytes.subMap(offset, true, offset + out.length - 1, true).entrySet()) {
                out[(int) (e.getKey() - offset)] = e.getValue();
            }
            return out;
        }

        void truncate(long newSize) {
            if (newSize < size) {
                bytes.tailMap(newSize, true).clear();
                pages.tailMap(newSize / PAGE + (newSize % PAGE == 0 ? 0 : 1), true).clear();
            }
            size = newSize;
        }

        void fallocate(long offset, int length, boolean extend) {
            long end = offset + length;
            for (long p = offset / PAGE; p <= (end - 1) / PAGE; p++) {
                Boolean was = pages.get(p);
                // a page a second fallocate meets becomes data, as on tmpfs
                pages.put(p, was != null);
            }
            if (extend) {
                size = Math.max(size, end);
            }
        }

        long seekData(long offset) {
            if (offset >= size) {
                return -1;
            }
            for (Map.Entry<Long, Boolean> p : pages.tailMap(offset / PAGE, true).entrySet()) {
                long start = p.getKey() * PAGE;
                if (start >= size) {
                    break;
                }
                if (p.getValue()) {
                    return Math.max(offset, start);
                }
            }
            return -1;
        }

        long seekHole(long offset) {
            if (offset >= size) {
                return -1;
            }
            long p = offset / PAGE;
            while (Boolean.TRUE.equals(pages.get(p)) && p <= (size - 1) / PAGE) {
                p++;
            }
            if (p > (size - 1) / PAGE) {
                return size;
            }
            return Math.max(offset, p * PAGE);
        }
    }
}
