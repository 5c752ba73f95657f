package dev.jfuser.examples.memfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jfuser.Request;
import dev.jfuser.protocol.Opcode;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** An open the kernel flags FUSE_OPEN_KILL_SUIDGID clears set-uid/set-gid as Linux's truncate does. */
class MemFsOpenKillSuidgidTest {
    private static final int O_WRONLY = 01;
    private static final int O_TRUNC = 01000;
    private static final Request ROOT = new Request(1, Opcode.CREATE, 1, 0, 0, 0, null);

    private final MemFs fs;

    MemFsOpenKillSuidgidTest() throws Exception {
        fs = new MemFs(MemFs.Options.defaults().withSizeLimit(1 << 20).withRoot(0, 0, 0777));
    }

    private static Request user(int openFlags) {
        return new Request(2, Opcode.OPEN, 1, 1000, 1000, 0, null, openFlags);
    }

    private int perm(long node) throws Exception {
        return fs.getattr(ROOT, node, OptionalLong.empty()).attr().perm();
    }

    @Test
    void aTruncatingOpenFlaggedKillSuidgidDropsSetUidAndSetGidWithGroupExecute() throws Exception {
        long f = fs.create(ROOT, 1, "f", 0106777, 0, O_WRONLY).entry().nodeId();
        assertEquals(06777, perm(f));
        fs.open(user(0), f, O_WRONLY | O_TRUNC);
        assertEquals(06777, perm(f), "not flagged: unchanged");
        fs.open(user(Request.OPEN_KILL_SUIDGID), f, O_WRONLY);
        assertEquals(06777, perm(f), "flagged without O_TRUNC: unchanged");
        fs.open(user(Request.OPEN_KILL_SUIDGID), f, O_WRONLY | O_TRUNC);
        assertEquals(0777, perm(f));
    }

    @Test
    void setGidWithoutGroupExecuteIsKept() throws Exception {
        long f = fs.create(ROOT, 1, "g", 0106666, 0, O_WRONLY).entry().nodeId();
        fs.open(user(Request.OPEN_KILL_SUIDGID), f, O_WRONLY | O_TRUNC);
        assertEquals(02666, perm(f));
    }
}
