package dev.jfuser.internal.session;

import dev.jfuser.AsyncFilesystem;
import dev.jfuser.BackingFiles;
import dev.jfuser.Capability;
import dev.jfuser.Errno;
import dev.jfuser.KernelConfig;
import dev.jfuser.Notifier;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import dev.jfuser.Transport;
import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.transport.DevFuseChannel;
import dev.jfuser.internal.transport.FuseChannel;
import dev.jfuser.internal.transport.ReplyChannel;
import dev.jfuser.internal.transport.RingEntry;
import dev.jfuser.internal.transport.UringQueue;
import dev.jfuser.internal.transport.UringTransport;
import dev.jfuser.protocol.Abi;
import dev.jfuser.protocol.InHeader;
import dev.jfuser.protocol.InitOut;
import dev.jfuser.protocol.Opcode;
import dev.jfuser.protocol.Operation;
import dev.jfuser.protocol.ProtocolException;
import dev.jfuser.protocol.ReplyEncoder;
import dev.jfuser.protocol.RequestDecoder;
import dev.jfuser.protocol.WireFormat;
import dev.jfuser.protocol.WireRequest;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A FUSE session: the INIT handshake, reader threads, dispatch, and the orderly end.
 *
 * <p>Life cycle: {@link #start()} reads and answers INIT on the calling thread (so a refused negotiation fails the
 * caller), then starts the reader threads. The session ends when the kernel says so (ENODEV after an unmount or
 * abort), on DESTROY, or on {@link #stop()}; then requests still unanswered after a grace period get EIO, the
 * filesystem's {@code destroy} runs once, descriptors are closed and {@link #terminated()} completes.
 *
 * <p>Transports: requests arrive on /dev/fuse reader threads, or (when {@link Transport} asks for it and the kernel
 * offers it) on io_uring queues, one platform thread per queue, with one /dev/fuse reader kept for FORGET and
 * INTERRUPT, which the kernel never puts on the rings. Both feed the same decode and dispatch path; a reply goes
 * back through whatever the request came in on ({@link ReplyChannel}).
 */
public final class Session {
    private static final System.Logger LOG = System.getLogger("dev.jfuser");
    /** Request header + the largest argument struct comfortably fit in one page before the payload. */
    private static final int HEADER_ROOM = 4096;
    private static final long DRAIN_MILLIS = 5_000;
    /**
     * Whether each extra /dev/fuse reader gets its own cloned descriptor (FUSE_DEV_IOC_CLONE), as by default, or
     * all readers share the mount's descriptor ({@code -Djfuser.cloneFd=false}). A clone has its own kernel list
     * of requests awaiting replies, so replies on different readers do not contend for one lock; bin/bench
     * measured both (docs/decisions.md).
     */
    private static final boolean CLONE_FD = Boolean.parseBoolean(System.getProperty("jfuser.cloneFd", "true"));

    private final FuseChannel mainChannel;
    private final AsyncFilesystem fs;
    private final SessionOptions options;
    /** Uid allowed besides root when emulating allow_root; -1 when anyone the kernel lets in may ask. */
    private final int allowRootOwner;
    final DebugLog debug;
    final ReplyBuffer.Pool replyBuffers = new ReplyBuffer.Pool();
    private final Dispatcher dispatcher;
    private final InFlightTable inFlight = new InFlightTable();
    private final Semaphore permits;
    private final Semaphore writeBufferPermits;
    private final ConcurrentLinkedQueue<MemorySegment> freeBuffers = new ConcurrentLinkedQueue<>();
    private final List<FuseChannel> channels = new ArrayList<>();
    private final AtomicInteger liveReaders = new AtomicInteger();
    private final AtomicBoolean destroyed = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private volatile WireFormat format = WireFormat.INITIAL;
    private volatile int minor = Abi.KERNEL_MINOR_VERSION;
    private volatile int bufferSize = KernelConfig.MAX_MAX_WRITE + HEADER_ROOM;
    private volatile KernelConfig config;
    /** The io_uring queues when that transport was negotiated, else null. */
    private volatile UringTransport rings;
    /** Set when the kernel refused ring registration after INIT and went back to /dev/fuse. */
    private final AtomicBoolean ringsRefused = new AtomicBoolean();
    /** Notifications go out on the mount's /dev/fuse descriptor, whatever transport requests travel on. */
    private final SessionNotifier notifier;
    /** Kernel passthrough's backing files, registered by ioctl on the same descriptor. */
    private final SessionBackingFiles backingFiles;

    public Session(FuseChannel channel, AsyncFilesystem fs, SessionOptions options, int allowRootOwner) {
        this.mainChannel = channel;
        this.fs = fs;
        this.options = options;
        this.allowRootOwner = allowRootOwner;
        this.debug = new DebugLog(options.debug());
        this.dispatcher = new Dispatcher(fs);
        this.permits = new Semaphore(options.maxInFlight());
        this.writeBufferPermits = new Semaphore(options.maxWriteBuffers());
        this.notifier = new SessionNotifier(this, channel);
        this.backingFiles = new SessionBackingFiles(channel);
    }

    /** The backing files of this session, for kernel passthrough (usable once INIT was answered). */
    public BackingFiles backingFiles() {
        return backingFiles;
    }

    /** The notifier of this session (usable once INIT was answered). */
    public Notifier notifier() {
        return notifier;
    }

    /** The negotiated protocol minor version. */
    int minor() {
        return minor;
    }

    /** The configuration agreed at INIT (null before). */
    public KernelConfig config() {
        return config;
    }

    /** Completes when the session has ended and the filesystem's destroy has run. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    /** The transport requests travel on: io_uring once negotiated (and not refused), else /dev/fuse. */
    public Transport transport() {
        return rings != null && !ringsRefused.get() ? Transport.IO_URING : Transport.DEV_FUSE;
    }

    /** Requests currently being handled. */
    public int inFlightCount() {
        return inFlight.size();
    }

    /**
     * Performs the INIT handshake, then starts the reader threads.
     *
     * @throws IOException if the kernel's version is unsupported, the filesystem's init refused, or the device
     *     failed; the session is then closed
     */
    public void start() throws IOException {
        MemorySegment buffer = newBuffer();
        try {
            handshake(buffer);
        } catch (IOException | RuntimeException e) {
            UringTransport r = rings;
            if (r != null) {
                r.close();
            }
            mainChannel.close();
            terminated.complete(null);
            throw e;
        }
        UringTransport uring = rings;
        List<FuseChannel> readerChannels = new ArrayList<>();
        readerChannels.add(mainChannel);
        // With io_uring one /dev/fuse reader suffices: only FORGET and INTERRUPT still come that way.
        int devReaders = uring != null ? 1 : options.readerThreads();
        for (int i = 1; i < devReaders; i++) {
            try {
                readerChannels.add(CLONE_FD ? mainChannel.cloneChannel() : mainChannel.shareChannel());
            } catch (IOException e) {
                // Cloning needs Linux 4.5+; one reader still serves everything.
                log(System.Logger.Level.WARNING, "could not clone the /dev/fuse descriptor for reader " + i
                        + " (" + e.getMessage() + "); continuing with " + readerChannels.size(), null);
                break;
            }
        }
        synchronized (channels) {
            channels.addAll(readerChannels);
        }
        liveReaders.set(readerChannels.size() + (uring != null ? uring.queues().size() : 0));
        for (int i = 0; i < readerChannels.size(); i++) {
            FuseChannel ch = readerChannels.get(i);
            MemorySegment b = i == 0 ? buffer : newBuffer();
            // Platform threads: a read(2) through FFM would pin a virtual thread's carrier anyway.
            Thread.ofPlatform().name("jfuser-reader-" + i).daemon(true).start(() -> readLoop(ch, b));
        }
        if (uring != null) {
            RingHandler handler = new RingHandler();
            for (UringQueue q : uring.queues()) {
                // Platform threads: they block in io_uring_enter.
                Thread.ofPlatform().name("jfuser-ring-" + q.qid()).daemon(true).start(() -> ringLoop(q, handler));
            }
        }
    }

    /** Adds /dev/fuse readers up to the configured count: the kernel went back to /dev/fuse after INIT. */
    private void startMoreReaders() {
        for (int i = 1; i < options.readerThreads(); i++) {
            FuseChannel ch;
            try {
                ch = CLONE_FD ? mainChannel.cloneChannel() : mainChannel.shareChannel();
            } catch (IOException e) {
                log(System.Logger.Level.WARNING, "could not clone the /dev/fuse descriptor for reader " + i + " ("
                        + e.getMessage() + ")", null);
                return;
            }
            synchronized (channels) {
                channels.add(ch);
            }
            liveReaders.incrementAndGet();
            MemorySegment b = newBuffer();
            Thread.ofPlatform().name("jfuser-reader-" + i).daemon(true).start(() -> readLoop(ch, b));
        }
    }

    private void ringLoop(UringQueue q, RingHandler handler) {
        try {
            q.run(handler);
        } catch (RuntimeException | Error e) {
            log(System.Logger.Level.ERROR, "io_uring queue " + q.qid() + " failed: " + e, e);
            stop();
        } finally {
            readerEnded();
        }
    }

    /** What the io_uring queues report. */
    private final class RingHandler implements UringQueue.Handler {
        @Override
        public void request(RingEntry entry, MemorySegment request) {
            // The entry keeps its buffers until the reply is committed: nothing to hand off, even for WRITE.
            handle(entry, request, (int) request.byteSize(), false);
        }

        @Override
        public void registrationFailed(int qid, int errno) {
            if (ringsRefused.compareAndSet(false, true)) {
                logFallback("the kernel refused to register io_uring entries (" + LibC.errnoName(errno)
                        + (errno == 95 ? ": enable_uring was switched off after INIT" : "") + ")");
                if (!stopping.get()) {
                    startMoreReaders();
                }
            }
        }

        @Override
        public void warn(String message) {
            log(System.Logger.Level.WARNING, message, null);
        }

        @Override
        public void note(String message) {
            debug.note(message);
        }
    }

    private void logFallback(String why) {
        System.Logger.Level level = options.transport() == Transport.IO_URING
                ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
        String message = "io_uring transport not used: " + why + "; serving through /dev/fuse";
        LOG.log(level, message);
        debug.note("jfuser: " + message);
    }

    /** Ends the session without an unmount (for a session on a descriptor mounted elsewhere). */
    public void stop() {
        stopping.set(true);
        mainChannel.wakeup();
        UringTransport r = rings;
        if (r != null) {
            r.stop();
        }
    }

    private void handshake(MemorySegment buffer) throws IOException {
        while (true) {
            int n = mainChannel.receive(buffer);
            if (n < 0) {
                throw new EndedBeforeInitException();
            }
            WireRequest w;
            try {
                w = RequestDecoder.decode(buffer.asSlice(0, n).asByteBuffer(), WireFormat.INITIAL);
            } catch (ProtocolException e) {
                throw new IOException("malformed first request from the kernel: " + e.getMessage(), e);
            }
            InHeader h = w.header();
            debug.request(h, w.operation());
            if (!(w.operation() instanceof Operation.Init init)) {
                rawError(mainChannel, h.unique(), Opcode.of(h.opcode()), Errno.EIO);
                throw new IOException("the kernel's first request was " + Opcode.of(h.opcode()) + ", not INIT");
            }
            InFlight r = raw(mainChannel, h);
            if (init.major() > Abi.KERNEL_VERSION) {
                // A newer major: answer with ours only; the kernel then sends INIT again at our major.
                r.replyStruct(8, (b, p) -> {
                    b.putInt(p, Abi.KERNEL_VERSION);
                    b.putInt(p + 4, Abi.KERNEL_MINOR_VERSION);
                    return 8;
                });
                continue;
            }
            if (init.major() < Abi.KERNEL_VERSION || init.minor() < Abi.MIN_MINOR_VERSION) {
                r.error(Errno.EPROTO);
                throw new IOException("the kernel speaks FUSE " + init.major() + "." + init.minor()
                        + "; jfuser needs 7." + Abi.MIN_MINOR_VERSION + " or newer (Linux 3.15+)");
            }
            negotiate(init, r);
            return;
        }
    }

    private void negotiate(Operation.Init init, InFlight r) throws IOException {
        int negotiated = Math.min(init.minor(), Abi.KERNEL_MINOR_VERSION);
        KernelConfig cfg = new KernelConfig(init.minor(), init.flags(), init.maxReadahead(), notifier,
                backingFiles);
        try {
            fs.init(cfg);
        } catch (IOException | RuntimeException e) {
            r.error(Errno.EPROTO);
            throw new IOException("the filesystem's init failed: " + e.getMessage(), e);
        }
        long offered = init.flags();
        long flags = cfg.requestedFlags() & offered;
        if ((flags & Abi.PASSTHROUGH) != 0 && (flags & Abi.WRITEBACK_CACHE) != 0) {
            r.error(Errno.EPROTO);
            throw new IOException("the filesystem's init enabled both PASSTHROUGH and WRITEBACK_CACHE: the kernel"
                    + " turns passthrough off when the writeback cache is on; enable one of them");
        }
        int stackDepth = (flags & Abi.PASSTHROUGH) != 0 ? cfg.maxStackDepth() : 0;
        // Always wanted when offered: large writes, the max_pages field, and flags2 for capabilities above bit 31.
        flags |= offered & (Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT);
        int maxWrite = cfg.maxWrite();
        int maxPages = (maxWrite + 4095) / 4096;
        if ((offered & Abi.MAX_PAGES) == 0) {
            // Without max_pages the kernel caps requests at 32 pages.
            maxWrite = Math.min(maxWrite, 32 * 4096);
        }
        this.config = cfg;
        this.minor = negotiated;
        this.format = new WireFormat(negotiated, (flags & Abi.SETXATTR_EXT) != 0);
        this.bufferSize = maxWrite + HEADER_ROOM;
        if (options.transport() != Transport.DEV_FUSE) {
            // The kernel's max_payload_sz: what a ring entry's payload buffer must hold at least.
            int pages = (offered & Abi.MAX_PAGES) != 0 ? maxPages : 32;
            int payload = Math.max(8192, Math.max(maxWrite, pages * 4096));
            rings = openRings(init, offered, payload);
            if (rings != null) {
                flags |= Abi.OVER_IO_URING;
            }
        }
        dispatcher.negotiated(flags);
        InitOut out = new InitOut(Abi.KERNEL_VERSION, negotiated, cfg.maxReadahead(), flags, cfg.maxBackground(),
                cfg.congestionThreshold(), maxWrite, cfg.timeGranularityNanos(), maxPages, 0, stackDepth, 0);
        int size = negotiated < 5 ? Abi.COMPAT_INIT_OUT_SIZE
                : negotiated < 23 ? Abi.COMPAT_22_INIT_OUT_SIZE : Abi.INIT_OUT_SIZE;
        debug.note("INIT: kernel 7." + init.minor() + ", negotiated 7." + negotiated + ", flags 0x"
                + Long.toHexString(flags) + ", max_write " + maxWrite + ", " + cfg + ", transport "
                + (rings != null ? rings.toString() : "/dev/fuse"));
        r.replyStruct(size, (b, p) -> ReplyEncoder.initOut(b, p, out));
        notifier.negotiated(negotiated, offered);
        backingFiles.negotiated(whyNoPassthrough(init.minor(), offered, cfg, stackDepth), stackDepth);
    }

    /** Empty when kernel passthrough was negotiated, else what is missing, for {@link BackingFiles}. */
    private String whyNoPassthrough(int kernelMinor, long offered, KernelConfig cfg, int stackDepth) {
        if ((offered & Abi.PASSTHROUGH) == 0) {
            return "the kernel (FUSE protocol 7." + kernelMinor + ") does not offer FUSE_PASSTHROUGH (needs Linux"
                    + " 6.9+ built with CONFIG_FUSE_PASSTHROUGH)";
        }
        if (!cfg.isEnabled(Capability.PASSTHROUGH)) {
            return "the filesystem did not enable Capability.PASSTHROUGH in init";
        }
        if (stackDepth < 1) {
            return "max_stack_depth is 0";
        }
        if (!(mainChannel instanceof DevFuseChannel)) {
            return "the session runs on " + mainChannel.getClass().getSimpleName() + ", not a /dev/fuse descriptor";
        }
        return "";
    }

    /** The rings for the io_uring transport, or null (with a log line saying why) to stay on /dev/fuse. */
    private UringTransport openRings(Operation.Init init, long offered, int payloadSize) {
        String why;
        if (!(mainChannel instanceof DevFuseChannel dev)) {
            why = "io_uring needs a /dev/fuse descriptor, not " + mainChannel.getClass().getSimpleName();
        } else if ((offered & Abi.OVER_IO_URING) == 0) {
            why = UringTransport.whyNotOffered(init.minor());
        } else {
            try {
                return UringTransport.open(dev.fd(), options.ringDepth(), payloadSize, options.pinRingThreads());
            } catch (IOException e) {
                why = e.getMessage();
            }
        }
        logFallback(why);
        return null;
    }

    private void readLoop(FuseChannel ch, MemorySegment firstBuffer) {
        MemorySegment buffer = firstBuffer;
        // One ByteBuffer view per request buffer, reused for every request read into it (not one per request).
        ByteBuffer view = buffer.asByteBuffer();
        try {
            while (true) {
                int n = ch.receive(buffer);
                if (n < 0) {
                    // Unmounted, aborted or stopped: the rings' threads must end too (an entry the filesystem
                    // still holds would otherwise keep its queue waiting).
                    if (rings != null) {
                        stop();
                    }
                    break;
                }
                view.clear().limit(n);
                MemorySegment taken = handle(ch, buffer, view, true);
                if (taken != null) {
                    // The request keeps the buffer (a WRITE payload); read on into another one.
                    buffer = takeBuffer();
                    if (buffer == null) {
                        break;
                    }
                    view = buffer.asByteBuffer();
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            log(System.Logger.Level.ERROR, "reader " + Thread.currentThread().getName() + " failed: " + e, e);
            stop();
        } finally {
            readerEnded();
        }
    }

    private void readerEnded() {
        if (liveReaders.decrementAndGet() == 0) {
            Thread.ofPlatform().name("jfuser-shutdown").daemon(true).start(this::shutdown);
        }
    }

    /** Handles one request in {@code buffer[0, n)} (a ring entry's; its buffer is never handed off). */
    private MemorySegment handle(ReplyChannel ch, MemorySegment buffer, int n, boolean handOff) {
        return handle(ch, buffer, buffer.asSlice(0, n).asByteBuffer(), handOff);
    }

    /**
     * Handles one request ({@code bytes} is a view of {@code buffer}); returns the buffer if the request kept it (a
     * WRITE payload) and {@code handOff} says the buffer may be kept (a /dev/fuse reader's, which then reads on
     * into another).
     */
    private MemorySegment handle(ReplyChannel ch, MemorySegment buffer, ByteBuffer bytes, boolean handOff) {
        WireRequest w;
        try {
            w = RequestDecoder.decode(bytes, format);
        } catch (ProtocolException e) {
            log(System.Logger.Level.ERROR, "malformed request (" + e.kind() + "): " + e.getMessage(), null);
            if (e.unique() != 0) {
                rawError(ch, e.unique(), null, Errno.EIO);
            }
            return null;
        }
        InHeader h = w.header();
        Operation op = w.operation();
        debug.request(h, op, ch);
        switch (op) {
            case Operation.Forget f -> {
                forget(h.nodeId(), f.nlookup());
                return null;
            }
            case Operation.BatchForget b -> {
                for (int i = 0; i < b.nodeIds().length; i++) {
                    forget(b.nodeIds()[i], b.nlookups()[i]);
                }
                return null;
            }
            case Operation.Interrupt i -> {
                // The kernel sets bit 0 of an INTERRUPT's own unique; the target's unique is in the body.
                InFlight target = inFlight.get(i.unique());
                if (target != null) {
                    target.interrupt();
                } else {
                    // Not seen yet (read by another reader) or already answered: the kernel retries or drops it.
                    rawError(ch, h.unique(), Opcode.INTERRUPT, Errno.EAGAIN);
                }
                return null;
            }
            case Operation.Destroy d -> {
                runDestroy();
                raw(ch, h).replyEmpty();
                stop();
                return null;
            }
            case Operation.Init i -> {
                rawError(ch, h.unique(), Opcode.INIT, Errno.EIO);
                return null;
            }
            case Operation.NotifyReply nr -> {
                // The kernel's answer to a retrieve; it expects no reply, but a ring entry must be given back.
                notifier.replied(h.unique(), h.nodeId(), nr.offset(), nr.data());
                if (ch instanceof RingEntry) {
                    raw(ch, h).replyEmpty();
                }
                return null;
            }
            default -> {
                // handled below
            }
        }
        if (allowRootOwner >= 0 && h.uid() != 0 && h.uid() != allowRootOwner) {
            rawError(ch, h.unique(), Opcode.of(h.opcode()), Errno.EACCES);
            return null;
        }
        if (!acquirePermit()) {
            rawError(ch, h.unique(), Opcode.of(h.opcode()), Errno.EIO);
            return null;
        }
        Request req = new Request(h.unique(), Opcode.of(h.opcode()), h.nodeId(), h.uid(), h.gid(), h.pid(),
                w.supplementaryGroups());
        InFlight r = new InFlight(this, ch, h.unique(), req.opcode(), req, true);
        MemorySegment kept = null;
        if (handOff && op instanceof Operation.Write) {
            r.heldBuffer = buffer;
            kept = buffer;
        }
        inFlight.put(r);
        dispatcher.dispatch(op, r);
        return kept;
    }

    /**
     * Takes one of the {@code maxInFlight} permits, waiting while that many requests are being handled. This is the
     * backpressure: the reader holding this request stops reading, so further requests wait in the kernel's queue
     * instead of in our memory. A permit comes back when a request is answered (also by EINTR after an INTERRUPT,
     * which another reader can still read while this one waits). Gives up, returning false, when the session
     * stops, so a wedged filesystem cannot keep a reader from ending.
     */
    private boolean acquirePermit() {
        try {
            while (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (stopping.get()) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void forget(long nodeId, long nlookup) {
        try {
            fs.forget(nodeId, nlookup);
        } catch (RuntimeException e) {
            log(System.Logger.Level.ERROR, "forget(" + nodeId + ", " + nlookup + ") threw", e);
        }
    }

    private InFlight raw(ReplyChannel ch, InHeader h) {
        Opcode op = Opcode.of(h.opcode());
        return new InFlight(this, ch, h.unique(), op,
                new Request(h.unique(), op, h.nodeId(), h.uid(), h.gid(), h.pid(), null), false);
    }

    private void rawError(ReplyChannel ch, long unique, Opcode op, Errno errno) {
        new InFlight(this, ch, unique, op, new Request(unique, op, 0, 0, 0, 0, null), false).error(errno);
    }

    /** Called exactly once per answered request, after its reply was written (or dropped). */
    void finished(InFlight r) {
        if (!r.tracked) {
            return;
        }
        inFlight.remove(r);
        permits.release();
        MemorySegment held = r.heldBuffer;
        if (held != null) {
            r.heldBuffer = null;
            freeBuffers.offer(held);
            writeBufferPermits.release();
        }
    }

    private MemorySegment newBuffer() {
        return Arena.ofAuto().allocate(bufferSize, 4096);
    }

    /** A request buffer for a reader, waiting while too many are held by writes in flight. */
    private MemorySegment takeBuffer() {
        try {
            while (!writeBufferPermits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (stopping.get()) {
                    return null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        MemorySegment b = freeBuffers.poll();
        return b != null && b.byteSize() >= bufferSize ? b : newBuffer();
    }

    private void runDestroy() {
        if (destroyed.compareAndSet(false, true)) {
            try {
                fs.destroy();
            } catch (RuntimeException e) {
                log(System.Logger.Level.ERROR, "the filesystem's destroy threw", e);
            }
        }
    }

    private void shutdown() {
        stopping.set(true);
        long deadline = System.currentTimeMillis() + DRAIN_MILLIS;
        while (!inFlight.isEmpty() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                break;
            }
        }
        for (InFlight r : inFlight.snapshot()) {
            if (!r.isAnswered()) {
                log(System.Logger.Level.WARNING, r.opcode + " request " + r.unique
                        + " was still unanswered at the end of the session; answering EIO", null);
                r.interrupt();
                try {
                    r.error(Errno.EIO);
                } catch (IllegalStateException raced) {
                    // answered meanwhile
                }
            }
        }
        runDestroy();
        // No notification may be in the middle of a write when the descriptors close; pending retrieves fail.
        notifier.close();
        backingFiles.close();
        // Rings first: closing them makes the kernel cancel the entries parked there, which hold references to
        // the /dev/fuse file; the connection ends when the last reference goes.
        UringTransport r = rings;
        if (r != null) {
            r.close();
        }
        synchronized (channels) {
            for (int i = channels.size() - 1; i >= 0; i--) {
                channels.get(i).close();
            }
        }
        terminated.complete(null);
    }

    void log(System.Logger.Level level, String message, Throwable t) {
        if (t == null) {
            LOG.log(level, message);
        } else {
            LOG.log(level, message, t);
        }
        if (debug.enabled() && level.getSeverity() >= System.Logger.Level.WARNING.getSeverity()) {
            debug.note("jfuser: " + message + (t == null ? "" : ": " + t));
        }
    }
}
