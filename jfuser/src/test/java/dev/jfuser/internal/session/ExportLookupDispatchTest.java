package dev.jfuser.internal.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.Capability;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.FuseException;
import dev.jfuser.KernelConfig;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.Opcode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * With EXPORT_SUPPORT the kernel decodes a file handle whose inode it no longer caches by a LOOKUP of "." in the
 * handle's node, and finds a directory's parent by a LOOKUP of "..". Those reach lookupNode and lookupParent, and only
 * when the capability was negotiated; otherwise a LOOKUP is a lookup of whatever name it carries.
 */
class ExportLookupDispatchTest extends SessionFixture {
    private static final long OFFERED = Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT | Abi.EXPORT_SUPPORT;

    private static Entry entry(long node, long generation) {
        FileAttr a = new FileAttr(node, 0, 0, java.time.Instant.EPOCH, java.time.Instant.EPOCH,
                java.time.Instant.EPOCH, FileType.DIRECTORY, 0755, 2, 0, 0, 0, 4096, 0);
        return new Entry(node, generation, a, Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    /** Answers lookupNode(n) with node n generation 7, lookupParent(n) with node 1 generation 0. */
    static class ExportFs implements Filesystem {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final boolean wantExport;

        ExportFs(boolean wantExport) {
            this.wantExport = wantExport;
        }

        @Override
        public void init(KernelConfig config) {
            if (wantExport) {
                config.enableIfSupported(Capability.EXPORT_SUPPORT);
            }
        }

        @Override
        public Entry lookup(Request req, long parent, String name) throws IOException {
            calls.add("lookup " + parent + " " + name);
            throw new FuseException(Errno.ENOENT);
        }

        @Override
        public Entry lookupNode(Request req, long nodeId) {
            calls.add("lookupNode " + nodeId + " virtual=" + Thread.currentThread().isVirtual());
            return entry(nodeId, 7);
        }

        @Override
        public Entry lookupParent(Request req, long nodeId) {
            calls.add("lookupParent " + nodeId);
            return entry(1, 0);
        }
    }

    private void start(AsyncFilesystem fs, long offered) throws Exception {
        kernel.push(FakeKernel.request(Opcode.INIT.code(), 1, 0, FakeKernel.init(7, 45, offered)));
        session = new Session(kernel, fs, SessionOptions.DEFAULT.withReaderThreads(1), -1);
        session.start();
        FakeKernel.Reply init = kernel.await(1);
        assertEquals(0, init.error());
    }

    private FakeKernel.Reply lookup(long node, String name) throws Exception {
        return kernel.call(Opcode.LOOKUP.code(), node, FakeKernel.name(name));
    }

    @Test
    void dotAndDotDotReachLookupNodeAndLookupParentWhenNegotiated() throws Exception {
        ExportFs fs = new ExportFs(true);
        start(new BlockingAdapter(fs), OFFERED);
        FakeKernel.Reply self = lookup(42, ".");
        assertEquals(0, self.error());
        assertEquals(42, self.body().getLong(0), "node id");
        assertEquals(7, self.body().getLong(8), "generation");
        FakeKernel.Reply parent = lookup(42, "..");
        assertEquals(0, parent.error());
        assertEquals(1, parent.body().getLong(0));
        assertEquals(-Errno.ENOENT.code(), lookup(1, "a").error());
        assertEquals(List.of("lookupNode 42 virtual=true", "lookupParent 42", "lookup 1 a"), fs.calls);
    }

    @Test
    void withoutTheCapabilityDotIsAnOrdinaryName() throws Exception {
        ExportFs fs = new ExportFs(false);
        start(new BlockingAdapter(fs), OFFERED);
        assertEquals(-Errno.ENOENT.code(), lookup(42, ".").error());
        assertEquals(-Errno.ENOENT.code(), lookup(42, "..").error());
        assertEquals(List.of("lookup 42 .", "lookup 42 .."), fs.calls);
    }

    @Test
    void aKernelThatDidNotOfferItGetsOrdinaryLookups() throws Exception {
        ExportFs fs = new ExportFs(true);
        start(new BlockingAdapter(fs), OFFERED & ~Abi.EXPORT_SUPPORT);
        assertEquals(-Errno.ENOENT.code(), lookup(42, ".").error());
        assertEquals(List.of("lookup 42 ."), fs.calls);
    }

    @Test
    void theDefaultsAskLookupForDotAndDotDot() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        Filesystem fs = new Filesystem() {
            @Override
            public void init(KernelConfig config) {
                config.enable(Capability.EXPORT_SUPPORT);
            }

            @Override
            public Entry lookup(Request req, long parent, String name) {
                calls.add(parent + " " + name);
                return entry(parent, 3);
            }
        };
        start(new BlockingAdapter(fs), OFFERED);
        assertEquals(3, lookup(9, ".").body().getLong(8));
        assertEquals(0, lookup(9, "..").error());
        assertEquals(List.of("9 .", "9 .."), calls);
    }

    @Test
    void aBlockingLookupNodeRunsOnItsOwnThreadEvenIfLookupIsLeftToItsDefault() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        start(new BlockingAdapter(new Filesystem() {
            @Override
            public void init(KernelConfig config) {
                config.enable(Capability.EXPORT_SUPPORT);
            }

            @Override
            public Entry lookupNode(Request req, long nodeId) {
                calls.add("virtual=" + Thread.currentThread().isVirtual());
                return entry(nodeId, 0);
            }
        }), OFFERED);
        assertEquals(0, lookup(5, ".").error());
        assertEquals(List.of("virtual=true"), calls);
    }

    @Test
    void anAsyncFilesystemIsRoutedTheSameWay() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        start(new AsyncFilesystem() {
            @Override
            public void init(KernelConfig config) {
                config.enable(Capability.EXPORT_SUPPORT);
            }

            @Override
            public CompletionStage<Entry> lookup(Request req, long parent, String name) {
                calls.add("lookup " + name);
                return CompletableFuture.failedFuture(new FuseException(Errno.ENOENT));
            }

            @Override
            public CompletionStage<Entry> lookupNode(Request req, long nodeId) {
                calls.add("lookupNode " + nodeId);
                return CompletableFuture.failedFuture(new FuseException(Errno.ESTALE));
            }

            @Override
            public CompletionStage<Entry> lookupParent(Request req, long nodeId) {
                calls.add("lookupParent " + nodeId);
                return CompletableFuture.completedFuture(entry(1, 0));
            }
        }, OFFERED);
        assertEquals(-Errno.ESTALE.code(), lookup(8, ".").error());
        assertEquals(0, lookup(8, "..").error());
        assertEquals(-Errno.ENOENT.code(), lookup(8, "...").error());
        assertEquals(List.of("lookupNode 8", "lookupParent 8", "lookup ..."), calls);
    }
}
