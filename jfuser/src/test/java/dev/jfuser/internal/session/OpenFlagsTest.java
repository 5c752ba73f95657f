package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.CreateReply;
import dev.jfuser.Entry;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.OpenReply;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The kernel's open_flags of OPEN, CREATE and TMPFILE reach the filesystem on its Request, through both APIs. */
class OpenFlagsTest extends SessionFixture {
    private static final FileAttr FILE = FileAttr.builder(3, FileType.REGULAR_FILE).perm(0644).build();

    /** Golden request bodies as the kernel sends them: fuse_open_in, fuse_create_in (+ name). */
    private static final byte[] OPEN_TRUNC_KILL = {
        0x02, 0x02, 0, 0,           // flags: O_RDWR | O_TRUNC
        0x01, 0, 0, 0,              // open_flags: FUSE_OPEN_KILL_SUIDGID
    };
    private static final byte[] OPEN_PLAIN = {
        0x02, 0, 0, 0,              // flags: O_RDWR
        0, 0, 0, 0,                 // open_flags
    };
    private static final byte[] CREATE_KILL = {
        0x41, 0x02, 0, 0,           // flags: O_WRONLY | O_CREAT | O_TRUNC
        (byte) 0xa4, (byte) 0x81, 0, 0, // mode 0100644
        0x12, 0, 0, 0,              // umask 022
        0x01, 0, 0, 0,              // open_flags: FUSE_OPEN_KILL_SUIDGID
        'n', 0,
    };
    private static final byte[] TMPFILE_KILL = {
        0x02, 0x00, 0x41, 0,        // flags: O_TMPFILE | O_RDWR
        (byte) 0x80, (byte) 0x81, 0, 0, // mode 0100600
        0x12, 0, 0, 0,              // umask 022
        0x01, 0, 0, 0,              // open_flags: FUSE_OPEN_KILL_SUIDGID
        '/', 0,
    };

    private final Map<Opcode, Request> seen = new ConcurrentHashMap<>();

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void openCreateAndTmpfileCarryTheKernelsOpenFlags(boolean blocking) throws Exception {
        AsyncFilesystem fs = blocking ? new BlockingAdapter(new Filesystem() {
            @Override
            public OpenReply open(Request req, long nodeId, int flags) {
                seen.put(Opcode.OPEN, req);
                return OpenReply.of(7);
            }

            @Override
            public CreateReply create(Request req, long parent, String name, int mode, int umask, int flags) {
                seen.put(Opcode.CREATE, req);
                return new CreateReply(Entry.of(FILE), OpenReply.of(8));
            }

            @Override
            public CreateReply tmpfile(Request req, long parent, int mode, int umask, int flags) {
                seen.put(Opcode.TMPFILE, req);
                return new CreateReply(Entry.of(FILE), OpenReply.of(9));
            }
        }) : new AsyncFilesystem() {
            @Override
            public CompletionStage<OpenReply> open(Request req, long nodeId, int flags) {
                seen.put(Opcode.OPEN, req);
                return CompletableFuture.completedFuture(OpenReply.of(7));
            }

            @Override
            public CompletionStage<CreateReply> create(Request req, long parent, String name, int mode, int umask,
                    int flags) {
                seen.put(Opcode.CREATE, req);
                return CompletableFuture.completedFuture(new CreateReply(Entry.of(FILE), OpenReply.of(8)));
            }

            @Override
            public CompletionStage<CreateReply> tmpfile(Request req, long parent, int mode, int umask, int flags) {
                seen.put(Opcode.TMPFILE, req);
                return CompletableFuture.completedFuture(new CreateReply(Entry.of(FILE), OpenReply.of(9)));
            }
        };
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45,
                Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT | Abi.HANDLE_KILLPRIV_V2)));
        session = new Session(kernel, fs, SessionOptions.DEFAULT, -1);
        session.start();
        assertEquals(0, kernel.await(1).error());

        assertEquals(0, kernel.call(Opcode.OPEN.code(), 3, OPEN_TRUNC_KILL).error());
        assertEquals(Request.OPEN_KILL_SUIDGID, seen.get(Opcode.OPEN).openFlags());
        assertTrue(seen.get(Opcode.OPEN).killSuidgid());
        assertEquals(0, kernel.call(Opcode.OPEN.code(), 3, OPEN_PLAIN).error());
        assertFalse(seen.get(Opcode.OPEN).killSuidgid());
        assertEquals(0, kernel.call(Opcode.CREATE.code(), 1, CREATE_KILL).error());
        assertTrue(seen.get(Opcode.CREATE).killSuidgid());
        assertEquals(0, kernel.call(Opcode.TMPFILE.code(), 1, TMPFILE_KILL).error());
        assertTrue(seen.get(Opcode.TMPFILE).killSuidgid());
    }
}
