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
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

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
 *
 * <p>Backpressure: at most {@code maxInFlight} requests are handled at once. A request read beyond that waits,
 * decoded, in a bounded queue of parked requests (up to {@link #parkLimit} of them) and the reader reads on, so an
 * INTERRUPT (which the kernel always delivers before any other request) or a FORGET is still read while every
 * slot is taken; a thread of its own dispatches parked requests as slots come back. Only when that queue is full
 * too does a reader wait, and the kernel keeps further requests. Likewise a WRITE read while every write-buffer
 * permit is taken keeps its buffer and waits, not dispatched, for a permit while its reader reads on (one such
 * WRITE per reader; see {@link #awaitBuffer}).
 *
 * <p>The way out: a {@link VirtualMachineError} (the heap or a stack exhausted) anywhere in the session — a
 * reader, an io_uring queue, a handler's thread or stage — ends the session through {@link #fatal}, which
 * allocates nothing: it cuts every descriptor's hold on the connection so the kernel aborts it and no caller is
 * left waiting, and wakes a shutdown thread started in advance. An emergency reserve of heap is dropped then, to
 * give that thread room for its log line, the filesystem's destroy and the unmount.
 */
public final class Session {
    private static final System.Logger LOG = System.getLogger("dev.jfuser.session");

    /** Requests that may wait parked beyond maxInFlight at least (a small limit still leaves room for INTERRUPTs). */
    private static final int MIN_PARKED = 64;
    /** How long the shutdown after a fatal error waits for readers to leave before it closes descriptors. */
    private static final long FATAL_READER_WAIT_NANOS = 2_000_000_000L;
    /**
     * Heap kept back for the way out of an exhausted heap, dropped by {@link #fatal}: one per JVM, as the first
     * session to die needs it; taken again by the next session started.
     */
    @SuppressWarnings("unused") // held, never read: its only purpose is to be released
    private static volatile byte[] emergencyReserve;
    /** Request header + the largest argument struct comfortably fit in one page before the payload. */
    private static final int HEADER_ROOM = 4096;
    private static final long DRAIN_MILLIS = 5_000;
    /** How long the end of the session waits for handlers still running before the filesystem's destroy. */
    private static final long HANDLER_GRACE_MILLIS = 5_000;
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
    /** Per-opcode counts, errors and latencies, and the session's own counters; see {@link #stats()}. */
    final SessionStats stats = new SessionStats();
    final ReplyBuffer.Pool replyBuffers = new ReplyBuffer.Pool();
    private final Dispatcher dispatcher;
    private final InFlightTable inFlight = new InFlightTable();
    private final Semaphore permits;
    /** Requests read beyond maxInFlight, in arrival order, waiting for a permit; see the class comment. */
    private final ConcurrentLinkedQueue<InFlight> parked = new ConcurrentLinkedQueue<>();
    private final int parkLimit;
    private final Semaphore parkSlots;
    /** INTERRUPTs for requests not seen yet; locked around every use. */
    private final PendingInterrupts pendingInterrupts = new PendingInterrupts();
    /** Dispatches parked requests as permits come back; started with the readers. */
    private volatile Thread parker;
    /** Started with the readers and parked until the session ends, so ending never needs a new thread. */
    private volatile Thread shutdownThread;
    private volatile boolean shutdownRequested;
    /** The error that ended the session through {@link #fatal}, or null. */
    private final AtomicReference<Throwable> fatalError = new AtomicReference<>();
    /** Run (once) before {@link #terminated()} completes after a fatal error: the owner's unmount. */
    private volatile Runnable afterAbort;
    /** One per WRITE holding a /dev/fuse request buffer while it is being handled; given back at its answer. */
    private final Semaphore writeBufferPermits;
    /**
     * WRITEs read while every write-buffer permit was taken, in arrival order: each keeps the buffer it was read
     * into and waits, registered but not dispatched, for a permit (the parker hands them out). Also counted as
     * parked requests.
     */
    private final ConcurrentLinkedQueue<InFlight> awaitingBuffer = new ConcurrentLinkedQueue<>();
    /** Bounds {@link #awaitingBuffer}: one per reader; a reader waits only when they are all taken. */
    private final Semaphore awaitSlots;
    private final ConcurrentLinkedQueue<MemorySegment> freeBuffers = new ConcurrentLinkedQueue<>();
    private final List<FuseChannel> channels = new ArrayList<>();
    private final AtomicInteger liveReaders = new AtomicInteger();
    /** Dispatched requests whose handler has not returned yet; also the monitor awaitHandlers waits on. */
    private final AtomicInteger handlersRunning = new AtomicInteger();
    /**
     * Malformed requests are logged at most 10 a minute, then counted: any user can send them (a name that is
     * not UTF-8), and one line each would flood the log.
     */
    private final LogLimiter malformed = new LogLimiter("malformed requests", 10, 60, TimeUnit.SECONDS);
    /** How long the end of the session waits for answers before failing the rest EIO; shorter in tests. */
    volatile long drainMillis = DRAIN_MILLIS;
    /** See {@link #HANDLER_GRACE_MILLIS}; shorter in tests. */
    volatile long handlerGraceMillis = HANDLER_GRACE_MILLIS;
    private final AtomicBoolean destroyed = new AtomicBoolean();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private volatile WireFormat format = WireFormat.INITIAL;
    private volatile int minor = Abi.KERNEL_MINOR_VERSION;
    private volatile int bufferSize = KernelConfig.MAX_MAX_WRITE + HEADER_ROOM;
    private volatile KernelConfig config;
    /** Set when a /dev/fuse reader saw the kernel abort the connection (ECONNABORTED: fusectl's abort). */
    private volatile boolean abortedByKernel;
    /** Set when a /dev/fuse reader saw the connection end (ENODEV) before the session was asked to stop. */
    private volatile boolean endedByKernel;
    /** Where the kernel's max_pages limit is read at INIT; another file in tests. */
    volatile Path maxPagesLimitFile = Path.of(KernelConfig.MAX_PAGES_LIMIT_FILE);
    /** The request timeout sent at INIT, in seconds (0: none). */
    private volatile int requestTimeoutSeconds;
    /** The io_uring queues when that transport was negotiated, else null. */
    private volatile UringTransport rings;
    /** Set when the kernel refused ring registration after INIT and went back to /dev/fuse. */
    private final AtomicBoolean ringsRefused = new AtomicBoolean();
    /** Notifications go out on the mount's /dev/fuse descriptor, whatever transport requests travel on. */
    private final SessionNotifier notifier;
    /** Kernel passthrough's backing files, registered by ioctl on the same descriptor. */
    private final SessionBackingFiles backingFiles;
    /** What INIT agreed (answered here or adopted from the process that handed the mount over); null before. */
    private volatile InitState initState;
    /** Set by {@link #quiesceForHandOver}: the end of the readers then hands the connection over. */
    private volatile SessionHandOver handOver;

    public Session(FuseChannel channel, AsyncFilesystem fs, SessionOptions options, int allowRootOwner) {
        this.mainChannel = channel;
        this.fs = fs;
        this.options = options;
        this.allowRootOwner = allowRootOwner;
        this.debug = DebugLog.of(options.debug());
        this.dispatcher = new Dispatcher(fs);
        this.permits = new Semaphore(options.maxInFlight());
        this.parkLimit = Math.max(options.maxInFlight(), MIN_PARKED);
        this.parkSlots = new Semaphore(parkLimit);
        this.writeBufferPermits = new Semaphore(options.maxWriteBuffers());
        this.awaitSlots = new Semaphore(Math.max(1, options.readerThreads()));
        this.notifier = new SessionNotifier(this, channel);
        this.backingFiles = new SessionBackingFiles(channel);
        if (emergencyReserve == null) {
            emergencyReserve = new byte[(int) Math.min(Runtime.getRuntime().maxMemory() / 64, 4 << 20)];
        }
        // Links the compare-and-set fatal() uses: linking allocates, which must not first happen on an exhausted heap.
        fatalError.compareAndSet(null, null);
        BlockingAdapter adapter = fs instanceof BlockingAdapter b ? b : Delegation.adapterOf(fs);
        if (adapter != null) {
            // Its handler threads report a VirtualMachineError here before anything else can allocate.
            adapter.onFatalError(this::fatal);
        }
    }

    /** The backing files of this session, for kernel passthrough (usable once INIT was answered). */
    public BackingFiles backingFiles() {
        return backingFiles;
    }

    /** The notifier of this session (usable once INIT was answered). */
    public Notifier notifier() {
        return notifier;
    }

    /**
     * Runs {@code action} when the session ended by a fatal error, after the connection was aborted and before
     * {@link #terminated()} completes (exceptionally): the mount's owner unmounts there, so no dead mount is left.
     */
    public void onAbort(Runnable action) {
        this.afterAbort = action;
    }

    /** A snapshot of the session's counters (see {@link dev.jfuser.MountStats}). */
    public dev.jfuser.MountStats stats() {
        return stats.snapshot(transport(), inFlightCount(), parkedCount(), notifier.unmatchedReplies());
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

    /** Requests currently being handled (dispatched and not yet answered; parked ones not counted). */
    public int inFlightCount() {
        return Math.max(0, inFlight.size() - parkedCount());
    }

    /** Requests read beyond maxInFlight and waiting for a permit. */
    int parkedCount() {
        return parkLimit - parkSlots.availablePermits();
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
        serve(buffer);
    }

    /**
     * Serves a connection whose INIT another process answered (a hand-over): adopts {@code state} instead of
     * reading INIT, runs the filesystem's init with the kernel's offer as it was, then starts the readers.
     *
     * @throws IOException if the filesystem's init fails or the state asks for io_uring; the session is then closed
     */
    public void resume(InitState state) throws IOException {
        try {
            this.config = SessionHandOver.adopt(state, fs, notifier, backingFiles, this::log);
            this.minor = state.negotiatedMinor();
            this.format = new WireFormat(state.negotiatedMinor(), (state.flags() & Abi.SETXATTR_EXT) != 0);
            this.bufferSize = state.maxWrite() + HEADER_ROOM;
            dispatcher.negotiated(state.flags());
            notifier.negotiated(state.negotiatedMinor(), state.offeredFlags());
            backingFiles.negotiated(whyNoPassthrough(state.kernelMinor(), state.offeredFlags(), config,
                    state.stackDepth()), state.stackDepth());
            this.initState = state;
        } catch (IOException | RuntimeException e) {
            mainChannel.close();
            terminated.complete(null);
            throw e;
        }
        serve(newBuffer());
    }

    private void serve(MemorySegment buffer) {
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
        Thread down = Thread.ofPlatform().name("jfuser-shutdown").daemon(true).unstarted(this::awaitShutdown);
        shutdownThread = down;
        down.start();
        Thread p = Thread.ofPlatform().name("jfuser-parked").daemon(true).unstarted(this::dispatchParked);
        parker = p;
        p.start();
        for (int i = 0; i < readerChannels.size(); i++) {
            FuseChannel ch = readerChannels.get(i);
            // The INIT buffer is too small once max_write was raised above its default.
            MemorySegment b = i == 0 && buffer.byteSize() >= bufferSize ? buffer : newBuffer();
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
        } catch (Throwable e) {
            // End the session first, allocation-free; the log line may well fail on an exhausted heap.
            endAfter(e);
            logQuietly("io_uring queue " + q.qid() + " failed", e);
        } finally {
            if (fatalError.get() != null) {
                // Its parked commands hold the /dev/fuse file, so the connection is aborted only once the ring is
                // gone; this thread no longer uses it, and replies arriving later are dropped.
                q.close();
            }
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
                backingFiles, maxPagesLimit(maxPagesLimitFile));
        enableForImplementedMethods(cfg, DefaultMethods.of(fs));
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
        // ABORT_ERROR: an abort then reads as ECONNABORTED, not ENODEV, so the end can say it was one.
        flags |= offered & (Abi.BIG_WRITES | Abi.MAX_PAGES | Abi.INIT_EXT | Abi.ABORT_ERROR);
        int maxWrite = cfg.maxWrite();
        int maxPages = cfg.maxPages();
        int requestTimeout = (offered & Abi.REQUEST_TIMEOUT) != 0 ? cfg.requestTimeoutSeconds() : 0;
        if (requestTimeout > 0) {
            flags |= Abi.REQUEST_TIMEOUT;
        }
        this.requestTimeoutSeconds = requestTimeout;
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
                cfg.congestionThreshold(), maxWrite, cfg.timeGranularityNanos(), maxPages, 0, stackDepth,
                requestTimeout);
        int size = negotiated < 5 ? Abi.COMPAT_INIT_OUT_SIZE
                : negotiated < 23 ? Abi.COMPAT_22_INIT_OUT_SIZE : Abi.INIT_OUT_SIZE;
        debug.note("INIT: kernel 7." + init.minor() + ", negotiated 7." + negotiated + ", flags 0x"
                + Long.toHexString(flags) + ", max_write " + maxWrite + ", " + cfg + ", transport "
                + (rings != null ? rings.toString() : "/dev/fuse"));
        r.replyStruct(size, (b, p) -> ReplyEncoder.initOut(b, p, out));
        initState = new InitState(init.minor(), negotiated, offered, flags, init.maxReadahead(), maxWrite, stackDepth);
        notifier.negotiated(negotiated, offered);
        backingFiles.negotiated(whyNoPassthrough(init.minor(), offered, cfg, stackDepth), stackDepth);
    }

    /** The max_pages limit in {@code file}; the kernel's fixed 256 where it does not exist (before Linux 6.13). */
    static int maxPagesLimit(Path file) {
        // One read(2) with room for the whole value: a sysctl answers a read at an offset past 0 with end of file,
        // and a reader that starts small (Files.readString on a file of size 0) would see only its first digit.
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = new byte[32];
            int n = in.read(b);
            return Math.clamp(Integer.parseInt(new String(b, 0, Math.max(n, 0),
                    StandardCharsets.US_ASCII).strip()), 1, 65535);
        } catch (IOException | NumberFormatException e) {
            return KernelConfig.DEFAULT_MAX_PAGES_LIMIT;
        }
    }

    /**
     * The capabilities an implemented method calls for, as libfuse turns them on for a filesystem with the
     * operation: READDIRPLUS (and READDIRPLUS_AUTO) for readdirplus, POSIX_LOCKS for getlk with setlk, FLOCK_LOCKS
     * for setlk (which takes flock locks too here). Before the filesystem's init, which may disable them.
     */
    static void enableForImplementedMethods(KernelConfig cfg, Set<Opcode> defaulted) {
        if (!defaulted.contains(Opcode.READDIRPLUS)) {
            cfg.enableIfSupported(Capability.READDIRPLUS);
            cfg.enableIfSupported(Capability.READDIRPLUS_AUTO);
        }
        if (!defaulted.contains(Opcode.SETLK)) {
            if (!defaulted.contains(Opcode.GETLK)) {
                cfg.enableIfSupported(Capability.POSIX_LOCKS);
            }
            cfg.enableIfSupported(Capability.FLOCK_LOCKS);
        }
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
                    if (ch.abortedByKernel()) {
                        abortedByKernel = true;
                    } else if (!stopping.get()) {
                        endedByKernel = true;
                    }
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
                    view = buffer.asByteBuffer();
                }
            }
        } catch (Throwable e) {
            // End the session first, allocation-free; the log line may well fail on an exhausted heap. An Error
            // on a reader (out of memory, a stack overflow, a bug in jfuser) ends the whole session, not the
            // reader alone.
            endAfter(e);
            logQuietly("reader " + Thread.currentThread().getName() + " failed", e);
        } finally {
            readerEnded();
        }
    }

    private void readerEnded() {
        if (liveReaders.decrementAndGet() == 0) {
            requestShutdown();
        }
    }

    private void requestShutdown() {
        shutdownRequested = true;
        Thread t = shutdownThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The shutdown thread: parked from the start until the session ends. */
    private void awaitShutdown() {
        while (!shutdownRequested) {
            LockSupport.park(this);
        }
        try {
            shutdown();
        } catch (Throwable e) {
            // Out of memory on the way out (the abort itself allocates nothing and has happened): the session
            // must still end for whoever waits on terminated().
            fatal(e);
            shutdownAfterFatal(fatalError.get());
        }
    }

    /**
     * Ends the session after an error the JVM may not survive ({@link VirtualMachineError}, or any {@link Error}
     * on a reader): cuts every descriptor's and ring's hold on the connection, so the kernel aborts it and every
     * caller waiting for a reply gets ECONNABORTED at once instead of waiting forever, then wakes the shutdown
     * thread. Any thread, any number of times; allocates nothing.
     */
    void fatal(Throwable cause) {
        if (!fatalError.compareAndSet(null, cause)) {
            return;
        }
        emergencyReserve = null;
        stopping.set(true);
        synchronized (channels) {
            if (channels.isEmpty()) {
                mainChannel.abort();
            }
            for (int i = 0; i < channels.size(); i++) {
                channels.get(i).abort();
            }
        }
        UringTransport r = rings;
        if (r != null) {
            r.stop(); // each queue's thread closes its ring on its way out
        }
        Thread p = parker;
        if (p != null) {
            LockSupport.unpark(p);
        }
        requestShutdown();
    }

    /** A reader's or queue's failure: an Error ends the session through {@link #fatal}, anything else stops it. */
    private void endAfter(Throwable e) {
        try {
            if (e instanceof Error) {
                fatal(e);
            } else {
                stop();
            }
        } catch (Throwable again) {
            // out of memory even here; fatal() has done what it could
        }
    }

    /** Whether a failure is one the session must not survive: see {@link #fatal}. */
    static boolean isFatal(Throwable t) {
        return t instanceof VirtualMachineError;
    }

    private void logQuietly(String what, Throwable e) {
        try {
            log(System.Logger.Level.ERROR, what + ": " + e, e);
        } catch (Throwable ignored) {
            // out of memory again: the session is ending anyway
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
            stats.malformed();
            malformed.log("malformed request (" + e.kind() + "): " + e.getMessage(), this::logMalformed);
            if (e.unique() != 0) {
                // The header was read (the decoder made the view little-endian): answered under its opcode.
                rawError(ch, e.unique(), bytes.limit() >= 8 ? Opcode.of(bytes.getInt(4)) : null, Errno.EIO);
            }
            return null;
        }
        InHeader h = w.header();
        Operation op = w.operation();
        debug.request(h, op, ch);
        switch (op) {
            case Operation.Forget f -> {
                long start = System.nanoTime();
                forget(h.nodeId(), f.nlookup());
                stats.replied(Opcode.FORGET, null, start);
                return null;
            }
            case Operation.BatchForget b -> {
                long start = System.nanoTime();
                for (int i = 0; i < b.nodeIds().length; i++) {
                    forget(b.nodeIds()[i], b.nlookups()[i]);
                }
                stats.replied(Opcode.BATCH_FORGET, null, start);
                return null;
            }
            case Operation.Interrupt i -> {
                interrupt(ch, h.unique(), i.unique());
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
        Request req = new Request(h.unique(), Opcode.of(h.opcode()), h.nodeId(), h.uid(), h.gid(), h.pid(),
                w.supplementaryGroups(), openFlags(op));
        InFlight r = new InFlight(this, ch, h.unique(), req.opcode(), req, true);
        MemorySegment kept = null;
        if (op instanceof Operation.Write) {
            if (handOff) {
                r.heldBuffer = buffer;
                kept = buffer;
                r.writePermit = writeBufferPermits.tryAcquire();
            } else {
                // The payload is a view of the ring entry's buffer, which stays the request's until it is answered.
                r.payloadInRing = true;
            }
        }
        // Registered before anything can wait, so an INTERRUPT read meanwhile always finds it.
        inFlight.put(r);
        boolean interruptedEarly = pendingInterrupts.mayHoldAny() && claimEarlyInterrupt(h.unique());
        if (kept != null && !r.writePermit) {
            r.parkedOperation = op;
            if (interruptedEarly) {
                r.request.markInterrupted();
                r.error(Errno.EINTR);
            } else {
                awaitBuffer(r);
            }
        } else if (parked.isEmpty() && permits.tryAcquire()) {
            if (interruptedEarly) {
                // As if the INTERRUPT came just after: the filesystem sees the mark, its stage is cancelled.
                r.interrupt();
            }
            dispatch(op, r);
        } else if (interruptedEarly) {
            // Interrupted before it could start: nothing was done, so EINTR is the whole truth.
            r.parkedOperation = op;
            r.request.markInterrupted();
            r.error(Errno.EINTR);
        } else {
            park(r, op);
        }
        return kept;
    }

    /**
     * Queues a WRITE read while every write-buffer permit is taken: it keeps the buffer it was read into and waits,
     * not dispatched (the filesystem has no view of it yet), for the parker to give it a permit; the reader then
     * reads on into another buffer, so INTERRUPTs for the writes holding the permits are still read. Waits only
     * while {@link #awaitSlots} such writes wait already (the memory bound); gives up with EIO when the session
     * stops meanwhile.
     */
    private void awaitBuffer(InFlight r) {
        if (!acquireSlot(awaitSlots, r)) {
            return;
        }
        if (!acquireSlot(parkSlots, r)) {
            awaitSlots.release();
            return;
        }
        awaitingBuffer.offer(r);
        LockSupport.unpark(parker);
    }

    /** Takes a slot, waiting while the session runs; answers {@code r} EIO and returns false when it stops. */
    private boolean acquireSlot(Semaphore slots, InFlight r) {
        try {
            while (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (stopping.get()) {
                    errorQuietly(r, Errno.EIO);
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            errorQuietly(r, Errno.EIO);
            return false;
        }
    }

    /**
     * Queues a request that found every permit taken, for the parker thread to dispatch when one comes back; the
     * reader then reads on. Waits only while {@link #parkLimit} requests are parked already (the memory bound);
     * gives up with EIO when the session stops meanwhile.
     */
    private void park(InFlight r, Operation op) {
        r.parkedOperation = op;
        try {
            while (!parkSlots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                if (stopping.get()) {
                    errorQuietly(r, Errno.EIO);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            errorQuietly(r, Errno.EIO);
            return;
        }
        parked.offer(r);
        LockSupport.unpark(parker);
    }

    /** Hands a registered request to the filesystem; its handler now runs until {@link #handlerDone}. */
    private void dispatch(Operation op, InFlight r) {
        handlersRunning.incrementAndGet();
        dispatcher.dispatch(op, r);
    }

    /** The parker thread: dispatches parked requests in arrival order, one per permit that comes back. */
    private void dispatchParked() {
        while (!stopping.get()) {
            boolean gaveBuffer = giveWriteBuffer();
            if (parked.isEmpty() || !permits.tryAcquire()) {
                if (!gaveBuffer) {
                    LockSupport.parkNanos(this, 100_000_000L);
                }
                continue;
            }
            InFlight r = parked.poll();
            if (r == null) {
                // taken by an INTERRUPT meanwhile
                permits.release();
                continue;
            }
            parkSlots.release();
            Operation op = r.parkedOperation;
            r.parkedOperation = null;
            try {
                dispatch(op, r);
            } catch (Throwable e) {
                if (e instanceof Error error) {
                    fatal(error);
                    return;
                }
                logQuietly("dispatching a parked request failed", e);
            }
        }
    }

    /**
     * Parker thread: gives a free write-buffer permit to the first WRITE awaiting one, which then goes on as any
     * request read: dispatched if an in-flight permit is free and nothing is parked before it, else parked (it
     * holds its park slot already). Returns whether a WRITE got a permit.
     */
    private boolean giveWriteBuffer() {
        if (awaitingBuffer.isEmpty() || !writeBufferPermits.tryAcquire()) {
            return false;
        }
        InFlight w = awaitingBuffer.poll();
        if (w == null) {
            // taken by an INTERRUPT meanwhile
            writeBufferPermits.release();
            return false;
        }
        awaitSlots.release();
        w.writePermit = true;
        if (parked.isEmpty() && permits.tryAcquire()) {
            parkSlots.release();
            Operation op = w.parkedOperation;
            w.parkedOperation = null;
            try {
                dispatch(op, w);
            } catch (Throwable e) {
                if (e instanceof Error error) {
                    fatal(error);
                } else {
                    logQuietly("dispatching a write that waited for a buffer failed", e);
                }
            }
        } else {
            parked.offer(w);
        }
        return true;
    }

    /** Takes a permit back from a finished request, and wakes the parker if a request waits for one. */
    private void releasePermit() {
        permits.release();
        if (!parked.isEmpty()) {
            LockSupport.unpark(parker);
        }
    }

    /**
     * An INTERRUPT for {@code target}: interrupts it if in flight, answers it EINTR if still parked (it never
     * started), else remembers the INTERRUPT until the request arrives (see {@link PendingInterrupts}).
     */
    private void interrupt(ReplyChannel ch, long interruptUnique, long target) {
        stats.interrupted();
        InFlight r;
        boolean remembered = true;
        synchronized (pendingInterrupts) {
            pendingInterrupts.announce();
            r = inFlight.get(target);
            if (r == null) {
                remembered = pendingInterrupts.add(target, interruptUnique, System.nanoTime());
            }
            pendingInterrupts.settle();
        }
        if (r != null) {
            if (r.parkedOperation != null && parked.remove(r)) {
                parkSlots.release();
                r.request.markInterrupted();
                errorQuietly(r, Errno.EINTR);
            } else if (r.parkedOperation != null && awaitingBuffer.remove(r)) {
                awaitSlots.release();
                parkSlots.release();
                r.request.markInterrupted();
                errorQuietly(r, Errno.EINTR);
            } else {
                r.interrupt();
            }
        } else if (!remembered) {
            // More unseen INTERRUPTs than remembered at once: leave this one to the kernel's requeueing.
            rawError(ch, interruptUnique, Opcode.INTERRUPT, Errno.EAGAIN);
        }
        expireInterrupts();
    }

    /** Whether an INTERRUPT for {@code unique} came before the request did; forgets it. */
    private boolean claimEarlyInterrupt(long unique) {
        boolean found;
        synchronized (pendingInterrupts) {
            found = pendingInterrupts.remove(unique);
        }
        if (!found) {
            expireInterrupts();
        }
        return found;
    }

    /**
     * Gives up INTERRUPTs that waited too long for their request (almost always: it was answered before the
     * INTERRUPT was read) with EAGAIN on every /dev/fuse descriptor: the kernel looks the request up only on the
     * descriptor that read it and, if it is still unanswered there, queues the INTERRUPT again; elsewhere the
     * reply is refused (ENOENT) and dropped.
     */
    private void expireInterrupts() {
        long[] expired;
        synchronized (pendingInterrupts) {
            expired = pendingInterrupts.removeExpired(System.nanoTime());
        }
        if (expired == null) {
            return;
        }
        List<FuseChannel> all;
        synchronized (channels) {
            all = List.copyOf(channels);
        }
        for (long u : expired) {
            for (int i = 0; i < all.size(); i++) {
                if (all.indexOf(all.get(i)) == i) { // each channel once (shared and fake ones repeat)
                    rawError(all.get(i), u, Opcode.INTERRUPT, Errno.EAGAIN);
                }
            }
        }
    }

    /** The kernel's open_flags of an OPEN, CREATE or TMPFILE, which the filesystem sees on its Request. */
    private static int openFlags(Operation op) {
        return switch (op) {
            case Operation.Open o -> o.openFlags();
            case Operation.Create c -> c.openFlags();
            case Operation.Tmpfile t -> t.openFlags();
            default -> 0;
        };
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
        boolean dispatched = r.parkedOperation == null;
        if (dispatched) {
            releasePermit();
        } // else answered while parked (EINTR, EIO): it never had a permit, nor a handler
        if (r.writePermit) {
            // The permit bounds the buffers held by WRITEs still to answer. A handler that outlives its answer (an
            // EINTR by cancellation, an EIO at the end) keeps its buffer (see release), but no longer its permit:
            // a stuck handler must not starve the readers.
            writeBufferPermits.release();
            if (!awaitingBuffer.isEmpty()) {
                LockSupport.unpark(parker);
            }
        }
        if (!dispatched || r.endOne()) {
            release(r);
        }
    }

    /** Called exactly once per dispatched request, when the filesystem is done with it (see InFlight#accept). */
    void handlerDone(InFlight r) {
        if (!r.tracked) {
            return;
        }
        if (r.endOne()) {
            release(r);
        }
        if (handlersRunning.decrementAndGet() == 0) {
            synchronized (handlersRunning) {
                handlersRunning.notifyAll();
            }
        }
    }

    /**
     * Both ends of a request happened (answered, handler done): the memory it lent the filesystem can be reused,
     * unless the handler was abandoned by a cancellation and may still hold a view. An abandoned WRITE buffer is
     * then left to the GC (its automatic arena keeps the memory valid while the handler holds a view, so it never
     * sees another request's bytes); an abandoned listing buffer is freed at once (a handler still adding to it
     * finds the listing full).
     */
    private void release(InFlight r) {
        MemorySegment held = r.heldBuffer;
        if (held != null) {
            r.heldBuffer = null;
            if (!r.abandoned) {
                freeBuffers.offer(held);
            }
        }
        ReplyBuffer listing = r.listingBuffer;
        if (listing != null) {
            r.listingBuffer = null;
            if (r.abandoned) {
                replyBuffers.free(listing);
            } else {
                replyBuffers.give(listing);
            }
        }
    }

    /** Handlers of dispatched requests that have not yet returned or completed their stage. */
    int handlersRunning() {
        return handlersRunning.get();
    }

    /**
     * Waits until every handler has returned (or completed its stage), at most {@code millis}; returns whether
     * they all did. The filesystem's destroy must not run while its handlers still do.
     */
    private boolean awaitHandlers(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (handlersRunning) {
            while (handlersRunning.get() > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(handlersRunning, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return handlersRunning.get() == 0;
                }
            }
        }
        return true;
    }

    private MemorySegment newBuffer() {
        return Arena.ofAuto().allocate(bufferSize, 4096);
    }

    /**
     * A request buffer for a reader whose last one went with a WRITE. Never waits: the WRITEs themselves are bounded
     * (at most maxWriteBuffers with a permit, {@link #awaitSlots} more waiting for one), so buffers are at most
     * maxWriteBuffers + 2 per reader, plus those kept by handlers that outlived their answer.
     */
    private MemorySegment takeBuffer() {
        MemorySegment b = freeBuffers.poll();
        return b != null && b.byteSize() >= bufferSize ? b : newBuffer();
    }

    /**
     * Runs the filesystem's destroy once, after its handlers have all returned: never concurrently with them.
     * Handlers still running after {@link #handlerGraceMillis} are logged and destroy runs anyway, so a wedged
     * handler cannot keep the session from ending.
     */
    private void runDestroy() {
        if (destroyed.compareAndSet(false, true)) {
            if (!awaitHandlers(handlerGraceMillis)) {
                log(System.Logger.Level.WARNING, handlersRunning.get() + " request handler(s) still running "
                        + handlerGraceMillis + " ms after the end of the session; running the filesystem's "
                        + "destroy anyway", null);
            }
            try {
                fs.destroy();
            } catch (RuntimeException e) {
                log(System.Logger.Level.ERROR, "the filesystem's destroy threw", e);
            }
        }
    }

    /** Answers every parked request (they never started) with {@code errno}. */
    private void failParked(Errno errno) {
        for (InFlight r; (r = awaitingBuffer.poll()) != null; ) {
            awaitSlots.release();
            parkSlots.release();
            errorQuietly(r, errno);
        }
        for (InFlight r; (r = parked.poll()) != null; ) {
            parkSlots.release();
            errorQuietly(r, errno);
        }
    }

    private static void errorQuietly(InFlight r, Errno errno) {
        try {
            r.error(errno);
        } catch (IllegalStateException raced) {
            // answered meanwhile (the session failing it at shutdown)
        }
    }

    /**
     * Stops reading at a request boundary and waits until every request read is answered and every handler has
     * returned, then ends the session without the filesystem's destroy and returns the connection: a duplicate of
     * the /dev/fuse descriptor and the INIT state, for another process to {@link #resume} with. Nothing is lost:
     * requests not read stay queued in the kernel for the next reader.
     *
     * @throws IOException if the session cannot be handed over (io_uring, not a /dev/fuse descriptor, ended), or
     *     requests stayed unanswered for {@code drainMillis}; the session has then ended (as after an unmount)
     */
    public SessionHandOver.Result quiesceForHandOver(long drainMillis) throws IOException, InterruptedException {
        SessionHandOver h;
        synchronized (this) {
            String why = SessionHandOver.whyNot(mainChannel, rings, initState, stopping.get() || handOver != null);
            if (why != null) {
                throw new IOException("cannot hand this session over: " + why);
            }
            h = new SessionHandOver(drainMillis);
            handOver = h;
        }
        mainChannel.wakeup();
        return h.await(terminated);
    }

    /** The end of a hand-over, on the shutdown thread: true when the connection was handed over. */
    private boolean finishHandOver(SessionHandOver h) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(h.drainMillis);
        // The parker still runs (stopping is not set): parked requests are dispatched and answered too.
        while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(200_000L);
        }
        long left = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        if (!inFlight.isEmpty() || !awaitHandlers(left)) {
            h.fail(new IOException("the hand-over was abandoned: " + inFlight.size() + " request(s) still"
                    + " unanswered and " + handlersRunning.get() + " handler(s) running after " + h.drainMillis
                    + " ms; the session ended as after an unmount (raise the drain timeout if handlers legitimately"
                    + " run that long)"));
            return false;
        }
        stopping.set(true);
        LockSupport.unpark(parker);
        notifier.close();
        int fd;
        try {
            fd = LibC.dupCloexec(((DevFuseChannel) mainChannel).fd(), 0);
        } catch (IOException e) {
            h.fail(new IOException("the hand-over was abandoned: duplicating the /dev/fuse descriptor failed: "
                    + e.getMessage(), e));
            return false;
        }
        // Every request read on a clone was answered, so closing the clones loses nothing; the connection lives on
        // in the duplicate.
        closeChannels();
        h.complete(new SessionHandOver.Result(fd, initState));
        terminated.complete(null);
        return true;
    }

    private void shutdown() {
        SessionHandOver h = handOver;
        if (h != null && fatalError.get() == null && finishHandOver(h)) {
            return;
        }
        stopping.set(true);
        Thread p = parker;
        if (p != null) {
            LockSupport.unpark(p);
        }
        Throwable fatal = fatalError.get();
        if (fatal != null) {
            shutdownAfterFatal(fatal);
            return;
        }
        int unanswered = inFlight.size();
        // A timeout's abort reads as ENODEV, like an unmount (the kernel sets the ECONNABORTED of ABORT_ERROR
        // only for fusectl's abort); but an unmount waits for no request, so unanswered ones mean the timeout.
        boolean timedOut = endedByKernel && requestTimeoutSeconds > 0 && unanswered > 0;
        if (abortedByKernel || timedOut) {
            log(System.Logger.Level.WARNING, "the kernel aborted the connection with " + unanswered
                    + " request(s) unanswered" + (timedOut
                    ? ": a request waited longer than the request timeout of " + requestTimeoutSeconds + " s"
                    : ", through /sys/fs/fuse/connections/N/abort")
                    + "; the callers waiting got ECONNABORTED, later ones get ENOTCONN while the dead mount stays",
                    null);
        }
        failParked(Errno.EIO);
        long deadline = System.currentTimeMillis() + drainMillis;
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
        malformed.flush(this::logMalformed);
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
        closeChannels();
        terminated.complete(null);
    }

    private void closeChannels() {
        synchronized (channels) {
            for (int i = channels.size() - 1; i >= 0; i--) {
                channels.get(i).close();
            }
        }
    }

    /**
     * The end after {@link #fatal}: the connection is already aborted, so nobody waits for the replies left. Every
     * step is best effort (the heap may still be exhausted) and the session ends whatever fails.
     */
    private void shutdownAfterFatal(Throwable cause) {
        logQuietly("the session ends: the connection to the kernel was aborted after", cause);
        long deadline = System.nanoTime() + FATAL_READER_WAIT_NANOS;
        while (liveReaders.get() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000L);
        }
        try {
            failParked(Errno.EIO);
            runDestroy();
        } catch (Throwable e) {
            logQuietly("the filesystem's destroy failed", e);
        }
        try {
            if (liveReaders.get() == 0) {
                // Otherwise a reader still runs on them; they no longer hold the connection, so they just stay.
                UringTransport r = rings;
                if (r != null) {
                    r.close();
                }
                closeChannels();
            }
        } catch (Throwable e) {
            logQuietly("closing the descriptors failed", e);
        }
        Runnable after = afterAbort;
        afterAbort = null;
        if (after != null) {
            try {
                after.run();
            } catch (Throwable e) {
                logQuietly("unmounting after the abort failed", e);
            }
        }
        // Completing allocates: retry while the heap is still exhausted (others are failing and letting go).
        for (int attempt = 0; attempt < 600 && !terminated.isDone(); attempt++) {
            try {
                terminated.completeExceptionally(cause);
            } catch (Throwable e) {
                LockSupport.parkNanos(100_000_000L);
            }
        }
    }

    private void logMalformed(String line) {
        log(System.Logger.Level.ERROR, line, null);
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
