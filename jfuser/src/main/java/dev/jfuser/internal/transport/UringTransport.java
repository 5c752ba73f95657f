package dev.jfuser.internal.transport;

import dev.jfuser.internal.sys.LibC;
import dev.jfuser.internal.sys.NativeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * FUSE-over-io_uring for one connection: a {@link UringQueue} per possible CPU.
 *
 * <p>Order of events (fs/fuse/dev_uring.c): the daemon asks for {@code FUSE_OVER_IO_URING} in its INIT reply; the
 * kernel then holds new requests back until every queue (one per <em>possible</em> CPU, not per online one) has
 * an entry registered, and switches to the rings; it still sends FORGET and INTERRUPT through /dev/fuse. The
 * rings are created here <em>before</em> the INIT reply so that a failure (io_uring disabled, no memory) can
 * still fall back to /dev/fuse: once the kernel was told io_uring, only a failed REGISTER makes it go back.
 */
public final class UringTransport {
    private final List<UringQueue> queues;
    private final int depth;
    private final int payloadSize;

    private UringTransport(List<UringQueue> queues, int depth, int payloadSize) {
        this.queues = queues;
        this.depth = depth;
        this.payloadSize = payloadSize;
    }

    /**
     * Creates the rings and buffers for a connection on {@code devFd}.
     *
     * @param payloadSize the kernel's {@code max_payload_sz}: max(8 KiB, max_write, max_pages × 4 KiB)
     * @param pin whether each queue's thread binds itself to its CPU
     * @throws IOException with the reason io_uring cannot be used, ready for a "falling back" log line
     */
    public static UringTransport open(int devFd, int depth, int payloadSize, boolean pin) throws IOException {
        int cpus = possibleCpus();
        List<UringQueue> queues = new ArrayList<>(cpus);
        try {
            for (int qid = 0; qid < cpus; qid++) {
                queues.add(new UringQueue(qid, devFd, depth, payloadSize, pin));
            }
        } catch (NativeException e) {
            queues.forEach(UringQueue::close);
            throw new IOException(explain(e), e);
        } catch (OutOfMemoryError e) {
            queues.forEach(UringQueue::close);
            throw new IOException("no memory for " + cpus + " queues × " + depth + " entries × " + payloadSize
                    + " bytes; lower SessionOptions.ringDepth or max_write", e);
        }
        return new UringTransport(List.copyOf(queues), depth, payloadSize);
    }

    private static String explain(NativeException e) {
        if (e.call().equals("io_uring_setup")) {
            if (e.errno() == LibC.EPERM) {
                String sysctl = readQuietly(Path.of("/proc/sys/kernel/io_uring_disabled"));
                return "io_uring_setup: EPERM: io_uring is "
                        + (sysctl != null && !sysctl.equals("0")
                        ? "disabled by sysctl kernel.io_uring_disabled=" + sysctl
                        : "forbidden for this process (seccomp filter or container policy)");
            }
            if (e.errno() == LibC.ENOSYS) {
                return "io_uring_setup: ENOSYS: the kernel has no io_uring";
            }
        }
        return e.getMessage();
    }

    /** How many CPUs the kernel considers possible (its {@code num_possible_cpus()}): one queue each. */
    static int possibleCpus() throws IOException {
        String list = readQuietly(Path.of("/sys/devices/system/cpu/possible"));
        if (list == null || list.isEmpty()) {
            throw new IOException("cannot read /sys/devices/system/cpu/possible to size the queues");
        }
        return countCpus(list);
    }

    /** Counts the CPUs in a kernel CPU list such as {@code 0-3,8-11} or {@code 0}. */
    static int countCpus(String list) {
        int n = 0;
        for (String part : list.trim().split(",")) {
            int dash = part.indexOf('-');
            n += dash < 0 ? 1 : Integer.parseInt(part.substring(dash + 1)) - Integer.parseInt(part.substring(0, dash)) + 1;
        }
        return n;
    }

    static String readQuietly(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Why the kernel did not offer FUSE_OVER_IO_URING, as precisely as the system tells. */
    public static String whyNotOffered(int kernelMinor) {
        String param = readQuietly(Path.of("/sys/module/fuse/parameters/enable_uring"));
        if (param == null) {
            return "the kernel (FUSE 7." + kernelMinor + ") has no FUSE-over-io_uring (needs Linux 6.14+ built with"
                    + " CONFIG_FUSE_IO_URING)";
        }
        if (param.equals("N") || param.equals("0")) {
            return "the fuse module has io_uring disabled: echo 1 > /sys/module/fuse/parameters/enable_uring";
        }
        return "the kernel (FUSE 7." + kernelMinor + ") did not offer FUSE_OVER_IO_URING";
    }

    public List<UringQueue> queues() {
        return queues;
    }

    public int depth() {
        return depth;
    }

    public int payloadSize() {
        return payloadSize;
    }

    /** Wakes every queue's thread and makes it end. Allocates nothing (also the way out of an exhausted heap). */
    public void stop() {
        for (int i = 0; i < queues.size(); i++) {
            queues.get(i).stop();
        }
    }

    /** Closes every ring; call after the queue threads have ended. */
    public void close() {
        queues.forEach(UringQueue::close);
    }

    @Override
    public String toString() {
        return "io_uring (" + queues.size() + " queues × " + depth + " entries, " + payloadSize + "-byte payloads"
                + (queues.getFirst().singleIssuer() ? ", single issuer, deferred task work)" : ")");
    }
}
