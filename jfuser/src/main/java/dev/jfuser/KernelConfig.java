package dev.jfuser;

import dev.jfuser.protocol.Abi;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * The INIT negotiation, as the filesystem sees it in {@link Filesystem#init}: what the kernel offers, and what
 * the filesystem asks for.
 *
 * <p>{@link #enable(Capability)} asks for a capability the filesystem requires: if the kernel does not offer it,
 * it throws naming the kernel's flag, and the mount fails with that message; {@link #enableIfSupported(Capability)}
 * asks quietly. Some are already on when {@code init} is called: the defaults below, and those the filesystem's
 * implemented methods call for ({@link Capability#READDIRPLUS}, {@link Capability#POSIX_LOCKS},
 * {@link Capability#FLOCK_LOCKS}: see {@link Capability}); {@link #disable} turns any of them off. Enabling
 * {@link Capability#EXPLICIT_INVAL_DATA} turns {@link Capability#AUTO_INVAL_DATA} off and the other way round
 * (the kernel honours only one). {@link #notifier()} is the filesystem's way to invalidate the kernel's caches.
 * Limits ({@link #maxWrite} and friends) are clamped to what the kernel accepts, except a {@code max_write} above
 * the kernel's {@code max_pages} limit and a request timeout on a kernel without one, which throw saying why.
 */
public final class KernelConfig {
    /**
     * Largest write the kernel can send with its default {@code max_pages} limit of 256 pages: 1 MiB, the default
     * {@link #maxWrite()}. More needs a raised {@value #MAX_PAGES_LIMIT_FILE} (see {@link #maxWrite(int)}).
     */
    public static final int MAX_MAX_WRITE = 1 << 20;

    /** The sysctl bounding {@code max_pages} (Linux 6.13+; before, the bound is a fixed 256 pages). */
    public static final String MAX_PAGES_LIMIT_FILE = "/proc/sys/fs/fuse/max_pages_limit";

    /** The largest {@link #requestTimeoutSeconds(int)}: the INIT reply's field is 16 bits. */
    public static final int MAX_REQUEST_TIMEOUT_SECONDS = 65535;

    /** The kernel's {@code max_pages} limit unless root changed {@value #MAX_PAGES_LIMIT_FILE}: 256 pages. */
    public static final int DEFAULT_MAX_PAGES_LIMIT = 256;

    private static final int PAGE = 4096;

    private final int kernelMinor;
    private final long offered;
    private final Set<Capability> enabled = EnumSet.noneOf(Capability.class);
    private final int maxPagesLimit;
    private int maxWrite;
    private int requestTimeoutSeconds;
    private int maxReadahead;
    private final int kernelMaxReadahead;
    private int maxBackground = 64;
    private int congestionThreshold = 48;
    private int timeGranularityNanos = 1;
    private final Notifier notifier;
    private final BackingFiles backingFiles;
    /** -1: the default, 1 when PASSTHROUGH is enabled, else 0. */
    private int maxStackDepth = -1;

    /** The kernel's FILESYSTEM_MAX_STACK_DEPTH: the deepest stack passthrough can be asked for. */
    public static final int MAX_STACK_DEPTH = 2;

    /**
     * A configuration for a kernel speaking 7.{@code kernelMinor} that offered {@code offeredFlags}; the defaults
     * (async read, parallel dirops, auto-invalidated data, async direct I/O, ioctl on directories) are
     * enabled where offered. Public for test doubles.
     *
     * @param kernelMinor the minor FUSE protocol version the kernel announced in INIT (the major is 7)
     * @param offeredFlags the INIT flag bits the kernel offered ({@link Capability#flag()} values), both words
     * @param kernelMaxReadahead the readahead window the kernel proposed, in bytes; the most {@link #maxReadahead(int)}
     *     accepts
     */
    public KernelConfig(int kernelMinor, long offeredFlags, int kernelMaxReadahead) {
        this(kernelMinor, offeredFlags, kernelMaxReadahead, null);
    }

    /**
     * Like {@link #KernelConfig(int, long, int)}, handing the filesystem {@code notifier} (null: none, then
     * {@link #notifier()} throws). Public for test doubles; the session passes its own.
     *
     * @param kernelMinor the minor FUSE protocol version the kernel announced in INIT (the major is 7)
     * @param offeredFlags the INIT flag bits the kernel offered ({@link Capability#flag()} values), both words
     * @param kernelMaxReadahead the readahead window the kernel proposed, in bytes; the most {@link #maxReadahead(int)}
     *     accepts
     * @param notifier the notifier handed to the filesystem, or null for none
     */
    public KernelConfig(int kernelMinor, long offeredFlags, int kernelMaxReadahead, Notifier notifier) {
        this(kernelMinor, offeredFlags, kernelMaxReadahead, notifier, null);
    }

    /**
     * Like {@link #KernelConfig(int, long, int, Notifier)}, handing the filesystem {@code backingFiles} for kernel
     * passthrough (null: none, then {@link #backingFiles()} throws). Public for test doubles; the session passes
     * its own.
     *
     * @param kernelMinor the minor FUSE protocol version the kernel announced in INIT (the major is 7)
     * @param offeredFlags the INIT flag bits the kernel offered ({@link Capability#flag()} values), both words
     * @param kernelMaxReadahead the readahead window the kernel proposed, in bytes; the most {@link #maxReadahead(int)}
     *     accepts
     * @param notifier the notifier handed to the filesystem, or null for none
     * @param backingFiles the passthrough registry handed to the filesystem, or null for none
     */
    public KernelConfig(int kernelMinor, long offeredFlags, int kernelMaxReadahead, Notifier notifier,
                        BackingFiles backingFiles) {
        this(kernelMinor, offeredFlags, kernelMaxReadahead, notifier, backingFiles, DEFAULT_MAX_PAGES_LIMIT);
    }

    /**
     * Like {@link #KernelConfig(int, long, int, Notifier, BackingFiles)}, for a kernel whose {@code max_pages}
     * limit is {@code maxPagesLimit} (the other constructors assume the kernel's default, 256). Public for test
     * doubles; the session passes what {@value #MAX_PAGES_LIMIT_FILE} says.
     *
     * @param kernelMinor the minor FUSE protocol version the kernel announced in INIT (the major is 7)
     * @param offeredFlags the INIT flag bits the kernel offered ({@link Capability#flag()} values), both words
     * @param kernelMaxReadahead the readahead window the kernel proposed, in bytes; the most {@link #maxReadahead(int)}
     *     accepts
     * @param notifier the notifier handed to the filesystem, or null for none
     * @param backingFiles the passthrough registry handed to the filesystem, or null for none
     * @param maxPagesLimit the most pages the kernel lets one request carry, 1 .. 65535
     * @throws IllegalArgumentException if {@code maxPagesLimit} is out of range
     */
    public KernelConfig(int kernelMinor, long offeredFlags, int kernelMaxReadahead, Notifier notifier,
                        BackingFiles backingFiles, int maxPagesLimit) {
        if (maxPagesLimit < 1 || maxPagesLimit > 65535) {
            throw new IllegalArgumentException("max_pages limit must be 1..65535, got " + maxPagesLimit);
        }
        this.maxPagesLimit = maxPagesLimit;
        this.maxWrite = Math.min(MAX_MAX_WRITE, maxPagesLimit * PAGE);
        this.notifier = notifier;
        this.backingFiles = backingFiles;
        this.kernelMinor = kernelMinor;
        this.offered = offeredFlags;
        this.kernelMaxReadahead = kernelMaxReadahead;
        this.maxReadahead = kernelMaxReadahead;
        for (Capability c : new Capability[] {Capability.ASYNC_READ, Capability.PARALLEL_DIROPS,
                Capability.AUTO_INVAL_DATA, Capability.ASYNC_DIO, Capability.IOCTL_DIR}) {
            enableIfSupported(c);
        }
    }

    /**
     * The session's {@link Notifier}, for invalidating the kernel's caches when the filesystem's content changes
     * behind its back. Keep it: it works from the moment {@code init} returns (calls made inside {@code init} throw
     * {@link IllegalStateException}) until the session ends.
     *
     * @return the notifier of this mount's session
     * @throws IllegalStateException if this configuration was made without one (a test double)
     */
    public Notifier notifier() {
        if (notifier == null) {
            throw new IllegalStateException("this KernelConfig was made without a notifier");
        }
        return notifier;
    }

    /**
     * The session's {@link BackingFiles}, for kernel passthrough: register backing files and answer OPEN with their
     * ids. Enable {@link Capability#PASSTHROUGH} here in {@code init} for it to be {@link BackingFiles#available()}
     * once {@code init} returns.
     *
     * @return the backing-file registry of this mount's session
     * @throws IllegalStateException if this configuration was made without one (a test double)
     */
    public BackingFiles backingFiles() {
        if (backingFiles == null) {
            throw new IllegalStateException("this KernelConfig was made without backing files");
        }
        return backingFiles;
    }

    /**
     * The {@code max_stack_depth} sent at INIT: how deep the filesystems of backing files may be stacked, plus
     * one for this one. 1 (the default once {@link Capability#PASSTHROUGH} is enabled) accepts backing files on
     * ordinary filesystems (ext4, xfs, tmpfs); 2 also accepts files on another FUSE filesystem or on overlayfs. The
     * kernel stacks this filesystem that deep in turn: with 1 it can still be a lower layer of overlayfs, with 2
     * nothing can be stacked on it. 0 without PASSTHROUGH.
     *
     * @return the stack depth that will be sent: 0, 1 or 2
     */
    public int maxStackDepth() {
        if (!isEnabled(Capability.PASSTHROUGH)) {
            return 0;
        }
        return maxStackDepth < 0 ? 1 : maxStackDepth;
    }

    /**
     * Sets {@link #maxStackDepth()} (1 .. {@value #MAX_STACK_DEPTH}; it applies only with
     * {@link Capability#PASSTHROUGH}).
     *
     * @param depth 1 for backing files on ordinary filesystems, 2 to also allow them on FUSE or overlayfs
     * @return this configuration, for chaining
     * @throws IllegalArgumentException if {@code depth} is not 1 or 2
     */
    public KernelConfig maxStackDepth(int depth) {
        if (depth < 1 || depth > MAX_STACK_DEPTH) {
            throw new IllegalArgumentException("max stack depth must be 1.." + MAX_STACK_DEPTH + ", got " + depth);
        }
        this.maxStackDepth = depth;
        return this;
    }

    /**
     * The protocol minor version the kernel speaks (the session uses the lower of this and 45).
     *
     * @return the {@code N} of the kernel's protocol version 7.N (45 on Linux 6.18 and later)
     */
    public int kernelMinor() {
        return kernelMinor;
    }

    /**
     * Whether the kernel offers {@code capability}.
     *
     * @param capability the capability asked about
     * @return {@code true} if the kernel set its bit in INIT, so {@link #enable} will accept it
     */
    public boolean supports(Capability capability) {
        return (offered & capability.flag()) != 0;
    }

    /**
     * The capabilities the kernel offers.
     *
     * @return a new set of every capability whose bit the kernel set
     */
    public Set<Capability> supported() {
        Set<Capability> s = EnumSet.noneOf(Capability.class);
        for (Capability c : Capability.values()) {
            if (supports(c)) {
                s.add(c);
            }
        }
        return s;
    }

    /**
     * Turns on {@code capability}, which the filesystem requires: called in {@code init}, a kernel without it
     * fails the mount with this method's message.
     *
     * @throws UnsupportedOperationException naming the kernel's flag, the capability and the kernel's protocol
     *     version if the kernel does not offer it
     * @param capability the capability to request from the kernel
     * @return this configuration, for chaining
     */
    public KernelConfig enable(Capability capability) {
        if (!supports(capability)) {
            throw new UnsupportedOperationException("the kernel (FUSE protocol 7." + kernelMinor
                    + ") does not offer " + capability.kernelName() + " (Capability." + capability.name()
                    + "), which this filesystem requires; use enableIfSupported() to run without it, or a newer"
                    + " kernel");
        }
        add(capability);
        return this;
    }

    /**
     * The kernel honours only one of AUTO_INVAL_DATA and EXPLICIT_INVAL_DATA (auto wins): asking for one drops
     * the other, so that enabling explicit invalidation is not silently undone by the auto default.
     */
    private void add(Capability capability) {
        if (capability == Capability.EXPLICIT_INVAL_DATA) {
            enabled.remove(Capability.AUTO_INVAL_DATA);
        } else if (capability == Capability.AUTO_INVAL_DATA) {
            enabled.remove(Capability.EXPLICIT_INVAL_DATA);
        }
        enabled.add(capability);
    }

    /**
     * Turns {@code capability} on if the kernel offers it; returns whether it is on.
     *
     * @param capability the capability to request if offered
     * @return {@code true} if it is now enabled, {@code false} if the kernel does not offer it
     */
    public boolean enableIfSupported(Capability capability) {
        if (supports(capability)) {
            add(capability);
            return true;
        }
        return false;
    }

    /**
     * Turns {@code capability} off (including the defaults).
     *
     * @param capability the capability not to request (a no-op if it was not enabled)
     * @return this configuration, for chaining
     */
    public KernelConfig disable(Capability capability) {
        enabled.remove(Objects.requireNonNull(capability, "capability"));
        return this;
    }

    /**
     * Whether {@code capability} will be requested.
     *
     * @param capability the capability asked about
     * @return {@code true} if INIT's reply will request it
     */
    public boolean isEnabled(Capability capability) {
        return enabled.contains(capability);
    }

    /**
     * The capabilities that will be requested.
     *
     * @return a new set of the capabilities INIT's reply will request
     */
    public Set<Capability> enabled() {
        return EnumSet.copyOf(enabledOrEmpty());
    }

    private Set<Capability> enabledOrEmpty() {
        return enabled.isEmpty() ? EnumSet.noneOf(Capability.class) : enabled;
    }

    /**
     * Largest WRITE the kernel will send, in bytes (default 1 MiB, or less if {@link #maxPagesLimit()} is lower).
     *
     * @return the {@code max_write} INIT's reply will send, in bytes
     */
    public int maxWrite() {
        return maxWrite;
    }

    /**
     * Sets the largest WRITE, at least 4 KiB. It also sets {@link #maxPages()}, the largest request of any kind
     * (a READ's answer too), so the session's request buffers and io_uring payload buffers grow with it: each
     * reader and each ring entry holds one buffer this large. Above 1 MiB the kernel's {@code max_pages} limit
     * must allow it: {@value #MAX_PAGES_LIMIT_FILE} (256 pages unless root raised it; the file exists from Linux
     * 6.13, before which 256 is fixed).
     *
     * @param bytes the largest WRITE payload the filesystem wants; larger writes are split by the kernel
     * @return this configuration, for chaining
     * @throws IllegalArgumentException if {@code bytes} needs more pages than {@link #maxPagesLimit()}, naming the
     *     sysctl and how to raise it
     */
    public KernelConfig maxWrite(int bytes) {
        int wanted = Math.max(bytes, PAGE);
        int pages = (int) ((wanted + (long) PAGE - 1) / PAGE);
        if (pages > maxPagesLimit) {
            throw new IllegalArgumentException("max_write " + bytes + " needs max_pages " + pages
                    + ", above the kernel's limit of " + maxPagesLimit + " pages (" + MAX_PAGES_LIMIT_FILE
                    + "); as root raise it first (sysctl fs.fuse.max_pages_limit=" + pages + ", Linux 6.13+), or"
                    + " ask for at most " + (long) maxPagesLimit * PAGE + " bytes");
        }
        this.maxWrite = wanted;
        return this;
    }

    /**
     * The {@code max_pages} INIT's reply will send: the pages of {@link #maxWrite()}, rounded up. The kernel sends
     * no request carrying more data than this (writes and reads alike).
     *
     * @return the largest request payload in 4 KiB pages
     */
    public int maxPages() {
        return (maxWrite + PAGE - 1) / PAGE;
    }

    /**
     * The kernel's bound on {@link #maxPages()}: {@value #MAX_PAGES_LIMIT_FILE} as the session read it at INIT,
     * 256 where that file does not exist.
     *
     * @return the most pages one request may carry on this machine
     */
    public int maxPagesLimit() {
        return maxPagesLimit;
    }

    /**
     * The request timeout INIT's reply will send, in seconds; 0 (the default) for none.
     *
     * @return the seconds after which the kernel aborts the connection if a request is still unanswered, or 0
     */
    public int requestTimeoutSeconds() {
        return requestTimeoutSeconds;
    }

    /**
     * Asks the kernel (7.43, Linux 6.14+) to abort the connection when a request waits longer than {@code seconds}
     * for its answer, so a hung filesystem fails its callers instead of leaving them blocked in the kernel: those
     * waiting get ECONNABORTED, later ones ENOTCONN. The session then ends, logging why, and the dead mount stays
     * until unmounted ({@link Mount#close()} removes it). The kernel
     * checks every 15 seconds and treats anything shorter as 15, so an abort comes between the timeout and 15
     * seconds after it; the sysctl {@code /proc/sys/fs/fuse/max_request_timeout} caps it, and
     * {@code default_request_timeout} applies to filesystems that send none. A request counts from when the kernel
     * queued it, so a handler blocking on purpose (a lock wait, a poll) counts too.
     *
     * @param seconds 1 .. {@value #MAX_REQUEST_TIMEOUT_SECONDS}, or 0 for no timeout
     * @return this configuration, for chaining
     * @throws IllegalArgumentException if {@code seconds} is out of range
     * @throws UnsupportedOperationException naming FUSE_REQUEST_TIMEOUT if the kernel does not offer it (and
     *     {@code seconds} is not 0)
     */
    public KernelConfig requestTimeoutSeconds(int seconds) {
        if (seconds < 0 || seconds > MAX_REQUEST_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("request timeout must be 0.." + MAX_REQUEST_TIMEOUT_SECONDS
                    + " seconds, got " + seconds);
        }
        if (seconds != 0 && (offered & Abi.REQUEST_TIMEOUT) == 0) {
            throw new UnsupportedOperationException("the kernel (FUSE protocol 7." + kernelMinor
                    + ") does not offer FUSE_REQUEST_TIMEOUT (7.43, Linux 6.14); mount without a request timeout");
        }
        this.requestTimeoutSeconds = seconds;
        return this;
    }

    /**
     * Readahead window the kernel may use, in bytes (at most what the kernel proposed).
     *
     * @return the {@code max_readahead} INIT's reply will send, in bytes
     */
    public int maxReadahead() {
        return maxReadahead;
    }

    /**
     * Sets the readahead window, clamped to what the kernel proposed.
     *
     * @param bytes the readahead window wanted; 0 turns readahead off
     * @return this configuration, for chaining
     */
    public KernelConfig maxReadahead(int bytes) {
        this.maxReadahead = Math.clamp(bytes, 0, kernelMaxReadahead);
        return this;
    }

    /**
     * Maximum background requests (readahead, async writes) the kernel keeps in flight.
     *
     * @return the {@code max_background} INIT's reply will send
     */
    public int maxBackground() {
        return maxBackground;
    }

    /**
     * Sets the background request limit (1..65535).
     *
     * @param requests how many background requests the kernel may have outstanding; the congestion threshold is lowered
     *     to it if above
     * @return this configuration, for chaining
     */
    public KernelConfig maxBackground(int requests) {
        this.maxBackground = Math.clamp(requests, 1, 65535);
        this.congestionThreshold = Math.min(congestionThreshold, maxBackground);
        return this;
    }

    /**
     * Background requests in flight at which the kernel considers the filesystem congested.
     *
     * @return the {@code congestion_threshold} INIT's reply will send
     */
    public int congestionThreshold() {
        return congestionThreshold;
    }

    /**
     * Sets the congestion threshold (1..maxBackground).
     *
     * @param requests the number of background requests at which writeback and readahead start to back off
     * @return this configuration, for chaining
     */
    public KernelConfig congestionThreshold(int requests) {
        this.congestionThreshold = Math.clamp(requests, 1, maxBackground);
        return this;
    }

    /**
     * Timestamp granularity of the filesystem in nanoseconds (1 = nanosecond precision).
     *
     * @return the {@code time_gran} INIT's reply will send, in nanoseconds
     */
    public int timeGranularityNanos() {
        return timeGranularityNanos;
    }

    /**
     * Sets the timestamp granularity (1 ns .. 1 s, a power of ten).
     *
     * @param nanos the finest timestamp step the filesystem stores: 1 for nanoseconds, 1000000000 for whole seconds
     * @return this configuration, for chaining
     * @throws IllegalArgumentException if {@code nanos} is outside 1 ns .. 1 s
     */
    public KernelConfig timeGranularityNanos(int nanos) {
        if (nanos < 1 || nanos > 1_000_000_000) {
            throw new IllegalArgumentException("time granularity must be 1..1000000000 ns, got " + nanos);
        }
        this.timeGranularityNanos = nanos;
        return this;
    }

    /**
     * The flag bits to request, from the enabled capabilities.
     *
     * @return the INIT flag bits (both words) of the enabled capabilities, as sent in the reply
     */
    public long requestedFlags() {
        long f = 0;
        for (Capability c : enabled) {
            f |= c.flag();
        }
        return f;
    }

    @Override
    public String toString() {
        return "KernelConfig[7." + kernelMinor + ", enabled=" + enabled + ", maxWrite=" + maxWrite
                + (maxPages() > 256 ? ", maxPages=" + maxPages() : "")
                + (requestTimeoutSeconds > 0 ? ", requestTimeout=" + requestTimeoutSeconds + "s" : "")
                + ", maxReadahead=" + maxReadahead + ", maxBackground=" + maxBackground
                + (isEnabled(Capability.PASSTHROUGH) ? ", maxStackDepth=" + maxStackDepth() : "") + "]";
    }
}
