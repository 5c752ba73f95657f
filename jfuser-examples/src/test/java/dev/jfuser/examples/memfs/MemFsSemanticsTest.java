package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jfuser.DirectoryListing;
import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import dev.jfuser.Request;
import dev.jfuser.protocol.Opcode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * MemFs called directly on the rules a conformance suite checks: exec permission, listings under concurrent
 * renames, the atime policy and O_NOATIME, RENAME_WHITEOUT, inode flags.
 */
class MemFsSemanticsTest {
    private static final int FMODE_EXEC = 040;
    private final MemFs fs;

    MemFsSemanticsTest() throws Exception {
        fs = new MemFs(MemFs.Options.defaults().withSizeLimit(1 << 20).withRoot(0, 0, 0777));
    }

    private static Request as(int uid, int gid, int... groups) {
        return new Request(1, Opcode.LOOKUP, 1, uid, gid, 0, groups);
    }

    private static final Request ROOT = as(0, 0);
    private static final Request NOBODY = as(65534, 65534);

    private static Errno errno(Executable call) {
        return assertThrows(FuseException.class, call).errno();
    }

    private long file(long parent, String name, int perm) throws Exception {
        return fs.create(ROOT, parent, name, 0100000 | perm, 0, 2).entry().nodeId();
    }

    /** Names a READDIR listing holds, decoded from the dirent wire format; their offsets go to {@code offsets}. */
    static List<String> names(DirectoryListing l, List<Long> offsets) {
        ByteBuffer b = l.encoded().order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (b.remaining() >= 24) {
            int start = b.position();
            long off = b.getLong(start + 8);
            int len = b.getInt(start + 16);
            byte[] name = new byte[len];
            b.get(start + 24, name);
            out.add(new String(name, StandardCharsets.UTF_8));
            offsets.add(off);
            b.position(start + ((24 + len + 7) & ~7));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ exec

    @Test
    void theOpenOfAProgramBeingExecutedNeedsExecuteNotRead() throws Exception {
        long prog = file(1, "prog", 0711);
        long data = file(1, "data", 0644);
        fs.open(NOBODY, prog, FMODE_EXEC); // execve's open: O_RDONLY | __FMODE_EXEC
        assertEquals(Errno.EACCES, errno(() -> fs.open(NOBODY, prog, 0)), "a plain read is still refused");
        assertEquals(Errno.EACCES, errno(() -> fs.open(NOBODY, data, FMODE_EXEC)), "readable, not executable");
        fs.open(ROOT, data, 0);
        assertEquals(Errno.EACCES, errno(() -> fs.open(ROOT, data, FMODE_EXEC)), "root needs some execute bit");
    }
}
