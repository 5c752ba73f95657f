package dev.jfuser.bench;

import dev.jfuser.AttrReply;
import dev.jfuser.Entry;
import dev.jfuser.Errno;
import dev.jfuser.FileAttr;
import dev.jfuser.FileType;
import dev.jfuser.Filesystem;
import dev.jfuser.Fuse;
import dev.jfuser.FuseException;
import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.Notifier;
import dev.jfuser.Request;
import dev.jfuser.SessionOptions;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalLong;

/**
 * Notification round trip: the time one {@code invalInode} call takes (a write(2) on /dev/fuse that returns once
 * the kernel applied it), for an inode the kernel holds. Mounts a one-file filesystem on a temporary directory,
 * opens the file so the kernel has its inode (and keeps it), then times {@code count} calls after a warm-up.
 *
 * <p>Usage: {@code java -cp ... dev.jfuser.bench.NotifyLatency [count]} (as root); the transport follows
 * {@code -Djfuser.transport} (notifications go over /dev/fuse on both).
 */
public final class NotifyLatency {
    private NotifyLatency() {}

    /** One file, node 2, cached for an hour. */
    static final class OneFile implements Filesystem {
        private static FileAttr attr(long node) {
            return node == 1 ? FileAttr.builder(1, FileType.DIRECTORY).perm(0755).build()
                    : FileAttr.builder(2, FileType.REGULAR_FILE).perm(0644).size(4096).build();
        }

        @Override
        public Entry lookup(Request req, long parent, String name) throws FuseException {
            if (parent == 1 && name.equals("f")) {
                return Entry.of(2, attr(2), Duration.ofHours(1));
            }
            throw new FuseException(Errno.ENOENT);
        }

        @Override
        public AttrReply getattr(Request req, long nodeId, OptionalLong fh) {
            return new AttrReply(attr(nodeId), Duration.ofHours(1));
        }
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        Path dir = Files.createTempDirectory("jfuser-notify-latency");
        Path mp = Files.createDirectory(dir.resolve("mnt"));
        try (Mount mount = Fuse.mount(new OneFile(), mp, MountOptions.defaults(), SessionOptions.DEFAULT);
             // Held open, so the kernel keeps the inode even when memory pressure evicts unused ones (ENOENT).
             FileChannel pin = FileChannel.open(mp.resolve("f"), StandardOpenOption.READ)) {
            Notifier n = mount.notifier();
            for (int i = 0; i < count / 2; i++) {
                n.invalInode(2, 0, 0);
            }
            long[] ns = new long[count];
            for (int i = 0; i < count; i++) {
                long t = System.nanoTime();
                n.invalInode(2, 0, 0);
                ns[i] = System.nanoTime() - t;
            }
            Arrays.sort(ns);
            System.out.printf("invalInode round trip over /dev/fuse (%s transport for requests), %d calls:"
                    + " median %.1f us, p90 %.1f us, p99 %.1f us%n", mount.transport(), count,
                    ns[count / 2] / 1000.0, ns[count * 9 / 10] / 1000.0, ns[count * 99 / 100] / 1000.0);
        } finally {
            Files.deleteIfExists(mp);
            Files.deleteIfExists(dir);
        }
    }
}
