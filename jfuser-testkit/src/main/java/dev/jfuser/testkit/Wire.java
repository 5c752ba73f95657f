package dev.jfuser.testkit;

import dev.jfuser.Names;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds request bodies the way the kernel lays them out: structs little-endian, names NUL-terminated. */
final class Wire {
    private ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);

    private void room(int n) {
        if (b.remaining() < n) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n))
                    .order(ByteOrder.LITTLE_ENDIAN);
            b.flip();
            bigger.put(b);
            b = bigger;
        }
    }

    Wire u32(int v) {
        room(4);
        b.putInt(v);
        return this;
    }

    Wire u64(long v) {
        room(8);
        b.putLong(v);
        return this;
    }

    Wire name(String s) {
        byte[] n = Names.bytes(s);
        room(n.length + 1);
        b.put(n).put((byte) 0);
        return this;
    }

    Wire bytes(byte[] data) {
        room(data.length);
        b.put(data);
        return this;
    }

    Wire zeros(int n) {
        room(n);
        for (int i = 0; i < n; i++) {
            b.put((byte) 0);
        }
        return this;
    }

    byte[] build() {
        byte[] out = new byte[b.position()];
        b.duplicate().flip().get(out);
        return out;
    }

    /** Header + body. */
    static byte[] request(int opcode, long unique, long nodeId, int uid, int gid, int pid, byte[] body) {
        ByteBuffer r = ByteBuffer.allocate(40 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        r.putInt(40 + body.length).putInt(opcode).putLong(unique).putLong(nodeId).putInt(uid).putInt(gid).putInt(pid)
                .putShort((short) 0).putShort((short) 0).put(body);
        return r.array();
    }
}
