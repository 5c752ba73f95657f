package dev.jfuser;

import dev.jfuser.internal.mount.MountedDevice;
import dev.jfuser.internal.mount.Mounter;
import dev.jfuser.internal.session.BlockingAdapter;
import dev.jfuser.internal.session.EndedBeforeInitException;
import dev.jfuser.internal.session.Session;
import dev.jfuser.internal.transport.DevFuseChannel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Mounts filesystems: the entry point of jfuser.
 *
 * <pre>{@code
 * try (Mount mount = Fuse.mount(new HelloFs(), Path.of("/mnt/hello"), MountOptions.builder().build())) {
 *     mount.awaitUnmount();   // serve until someone runs umount /mnt/hello, or Ctrl-C (which unmounts)
 * }
 * }</pre>
 *
 * <p>When the process runs as root, the mount is made directly with {@code mount(2)}; otherwise through the
 * setuid helper {@code fusermount3} (package fuse3), which passes the opened /dev/fuse descriptor back. Each
 * {@code mount} returns once the kernel's INIT handshake is done, so a filesystem whose {@code init} refuses the
 * kernel's offer fails here, with its message.
 *
 * <p>A mount unmounted before the kernel sent INIT (a script that runs {@code umount} as soon as the mount shows up)
 * is not a failure: {@code mount} then returns a {@link Mount} that has already ended ({@link Mount#isServing()} is
 * false, {@link Mount#awaitUnmount()} returns at once), and the filesystem's {@code init} and {@code destroy} are
 * never called.
 */
public final class Fuse {
    private Fuse() {}

    /**
     * Mounts a blocking filesystem at {@code mountpoint} with {@link SessionOptions#DEFAULT}; each request runs on
     * its own virtual thread.
     *
     * <p>Ctrl-C and SIGTERM are handled for you: unless {@link SessionOptions#withUnmountOnExit} turned it off,
     * the mount registers a JVM shutdown hook that unmounts it lazily and lets the filesystem's {@code destroy} run
     * before the JVM exits, so a stopped program leaves no dead mount behind. SIGKILL runs no hook; mount with
     * {@link MountOptions#autoUnmount()} to be covered there too.
     *
     * @param fs the filesystem that answers the kernel's requests
     * @param mountpoint an existing directory (or, for a file-backed mount, a file) the filesystem is mounted on;
     *     made absolute and normalised first
     * @param options how the kernel mounts it: {@code mount(8)} options such as {@code allow_other},
     *     {@code default_permissions}, {@code auto_unmount}
     * @return the running mount: {@link Mount#awaitUnmount()} to serve until unmounted, {@link Mount#close()} to
     *     unmount
     * @throws IOException if the mount fails (no permission, {@code fusermount3} missing or refusing, the
     *     mountpoint not a directory) or the filesystem's {@code init} throws; nothing stays mounted then
     */
    public static Mount mount(Filesystem fs, Path mountpoint, MountOptions options) throws IOException {
        return mount(fs, mountpoint, options, SessionOptions.DEFAULT);
    }

    /**
     * Mounts a blocking filesystem; each request runs on its own virtual thread.
     *
     * <p>Ctrl-C and SIGTERM are handled for you: unless {@link SessionOptions#withUnmountOnExit} turned it off,
     * the mount registers a JVM shutdown hook that unmounts it lazily and lets the filesystem's {@code destroy} run
     * before the JVM exits, so a stopped program leaves no dead mount behind. SIGKILL runs no hook; mount with
     * {@link MountOptions#autoUnmount()} to be covered there too.
     *
     * @param fs the filesystem that answers the kernel's requests
     * @param mountpoint an existing directory (or, for a file-backed mount, a file) the filesystem is mounted on;
     *     made absolute and normalised first
     * @param options how the kernel mounts it: {@code mount(8)} options such as {@code allow_other},
     *     {@code default_permissions}, {@code auto_unmount}
     * @param session how requests are served: reader threads, transport, limits, tracing, and whether the mount
     *     is unmounted when the JVM exits
     * @return the running mount: {@link Mount#awaitUnmount()} to serve until unmounted, {@link Mount#close()} to
     *     unmount
     * @throws IOException if the mount fails (no permission, {@code fusermount3} missing or refusing, the
     *     mountpoint not a directory) or the filesystem's {@code init} throws; nothing stays mounted then
     */
    public static Mount mount(Filesystem fs, Path mountpoint, MountOptions options, SessionOptions session)
            throws IOException {
        Objects.requireNonNull(fs, "fs");
        Mount m = mount(new BlockingAdapter(fs, session.inline()), mountpoint, options, session);
        m.handoverSource(fs, m.allowRootOwnerOf());
        return m;
    }

    /**
     * Mounts an asynchronous filesystem at {@code mountpoint} with {@link SessionOptions#DEFAULT}; the JVM exit
     * is handled as for {@link #mount(Filesystem, Path, MountOptions, SessionOptions)}.
     *
     * @param fs the filesystem that answers the kernel's requests with completion stages
     * @param mountpoint an existing directory (or, for a file-backed mount, a file) the filesystem is mounted on;
     *     made absolute and normalised first
     * @param options how the kernel mounts it: {@code mount(8)} options such as {@code allow_other},
     *     {@code default_permissions}, {@code auto_unmount}
     * @return the running mount: {@link Mount#awaitUnmount()} to serve until unmounted, {@link Mount#close()} to
     *     unmount
     * @throws IOException if the mount fails (no permission, {@code fusermount3} missing or refusing, the
     *     mountpoint not a directory) or the filesystem's {@code init} throws; nothing stays mounted then
     */
    public static Mount mount(AsyncFilesystem fs, Path mountpoint, MountOptions options) throws IOException {
        return mount(fs, mountpoint, options, SessionOptions.DEFAULT);
    }

    /**
     * Mounts an asynchronous filesystem; its methods start on the reader threads, so they should hand slow work to
     * their stages. The JVM exit is handled as for {@link #mount(Filesystem, Path, MountOptions, SessionOptions)}.
     *
     * @param fs the filesystem that answers the kernel's requests with completion stages
     * @param mountpoint an existing directory (or, for a file-backed mount, a file) the filesystem is mounted on;
     *     made absolute and normalised first
     * @param options how the kernel mounts it: {@code mount(8)} options such as {@code allow_other},
     *     {@code default_permissions}, {@code auto_unmount}
     * @param session how requests are served: reader threads, transport, limits, tracing, and whether the mount
     *     is unmounted when the JVM exits
     * @return the running mount: {@link Mount#awaitUnmount()} to serve until unmounted, {@link Mount#close()} to
     *     unmount
     * @throws IOException if the mount fails (no permission, {@code fusermount3} missing or refusing, the
     *     mountpoint not a directory) or the filesystem's {@code init} throws; nothing stays mounted then
     */
    public static Mount mount(AsyncFilesystem fs, Path mountpoint, MountOptions options, SessionOptions session)
            throws IOException {
        Objects.requireNonNull(fs, "fs");
        Objects.requireNonNull(mountpoint, "mountpoint");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(session, "session");
        Path target = mountpoint.toAbsolutePath().normalize();
        MountedDevice device = Mounter.mount(target, options);
        DevFuseChannel channel;
        try {
            channel = DevFuseChannel.of(device.fd());
        } catch (IOException | RuntimeException e) {
            device.close();
            throw e;
        }
        // From here the channel owns the /dev/fuse fd: the session closes it when it ends.
        int owner = device.allowRoot() ? device.ownerUid() : -1;
        Session s = new Session(channel, fs, session, owner);
        // A session ended by an error the JVM may not survive (out of memory) aborts the connection; the mount
        // is then detached, so what is left is no mount rather than a dead one.
        s.onAbort(() -> {
            try {
                device.unmount(true);
            } catch (IOException ignored) {
                // already gone, or nothing more to try: the auto_unmount watcher, if any, still tries
            }
        });
        try {
            s.start();
        } catch (EndedBeforeInitException e) {
            if (!device.isMounted()) {
                // Unmounted before INIT (a script that unmounts as soon as the mount shows up): a clean end.
                device.closeWatcher();
                return new Mount(target, device, s);
            }
            try {
                device.unmount(true);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            device.closeWatcher();
            throw new IOException("the FUSE connection of " + target + " was aborted before INIT", e);
        } catch (IOException | RuntimeException e) {
            try {
                device.unmount(true);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            device.closeWatcher();
            throw e;
        }
        // An auto_unmount watcher (fusermount3) is released once the session is over, however it ended.
        s.terminated().whenComplete((v, t) -> device.closeWatcher());
        Mount mount = new Mount(target, device, s);
        mount.handoverSource(fs, owner);
        if (session.unmountOnExit()) {
            mount.unmountOnExit();
        }
        return mount;
    }

    /**
     * Serves a blocking filesystem on a /dev/fuse descriptor someone else mounted (e.g. a parent process that
     * called {@code fusermount3}, or a container runtime). The session ends when that mount is unmounted or
     * {@link Mount#close()} is called; closing does not unmount. At JVM exit the session is ended the same way
     * (unless {@link SessionOptions#withUnmountOnExit} turned that off), so the filesystem's {@code destroy} runs.
     *
     * @param fs the filesystem that answers the kernel's requests
     * @param fd an open /dev/fuse descriptor of a mount not yet initialised; the session owns and closes it
     * @param session how requests are served; the mount options are those its mounter chose
     * @return the running session as a {@link Mount} (with no mountpoint): {@link Mount#close()} ends it
     * @throws IOException if the descriptor cannot be served or the handshake fails (the filesystem's
     *     {@code init} throws, the kernel ends the connection)
     */
    public static Mount serve(Filesystem fs, int fd, SessionOptions session) throws IOException {
        return serve(new BlockingAdapter(Objects.requireNonNull(fs, "fs"), session.inline()), fd, session);
    }

    /**
     * Serves an asynchronous filesystem on a /dev/fuse descriptor someone else mounted, as
     * {@link #serve(Filesystem, int, SessionOptions)} does.
     *
     * @param fs the filesystem that answers the kernel's requests with completion stages
     * @param fd an open /dev/fuse descriptor of a mount not yet initialised; the session owns and closes it
     * @param session how requests are served
     * @return the running session as a {@link Mount} (with no mountpoint): {@link Mount#close()} ends it
     * @throws IOException if the descriptor cannot be served or the handshake fails
     */
    public static Mount serve(AsyncFilesystem fs, int fd, SessionOptions session) throws IOException {
        Objects.requireNonNull(fs, "fs");
        if (fd < 0) {
            throw new IllegalArgumentException("fd must be an open /dev/fuse descriptor, got " + fd);
        }
        Session s = new Session(DevFuseChannel.of(fd), fs, session, -1);
        s.start();
        Mount mount = new Mount(null, null, s);
        if (session.unmountOnExit()) {
            mount.unmountOnExit();
        }
        return mount;
    }

    /**
     * Connects to a process handing its mount over ({@link Mount#handOver}) at {@code socket} and receives the
     * mount: its /dev/fuse descriptor, what INIT agreed, and the filesystem's state. Build the filesystem from
     * {@link HandoverState#filesystemState()}, then serve it with {@link #resume}. The old process stopped reading
     * when this connected: callers wait until {@code resume} starts the readers, so do only what the restore needs
     * in between.
     *
     * @param socket where the old process listens
     * @return the mount, owned by the caller until resumed (close it to give up)
     * @throws IOException if nobody listens there (the message names the path), or the hand-over failed on the old
     *     side or arrived broken
     */
    public static HandoverState receiveHandover(Path socket) throws IOException {
        Objects.requireNonNull(socket, "socket");
        int s;
        try {
            // The old process stops serving as soon as this connects: pay first-use costs before that.
            dev.jfuser.internal.sys.UnixSockets.warmUp();
            s = dev.jfuser.internal.sys.UnixSockets.connect(socket);
        } catch (IOException e) {
            throw new IOException("cannot take a mount over from " + socket + ": " + e.getMessage()
                    + " (is a process handing its mount over listening there?)", e);
        }
        try {
            return HandoverState.receive(s, socket);
        } catch (IOException | RuntimeException e) {
            dev.jfuser.internal.sys.LibC.closeQuietly(s);
            throw e;
        }
    }

    /**
     * Serves a mount received with {@link #receiveHandover}, without a new INIT (the kernel answered one already, to
     * the old process): runs {@code fs}'s {@code init} with the kernel's offer as it was, starts the readers, and
     * confirms to the old process, which then exits. The kernel's node ids and file handles stay those the old
     * process gave out: {@code fs} must have restored them (see {@link HandoverSource}).
     *
     * @param fs      the filesystem, restored from {@link HandoverState#filesystemState()}
     * @param state   the received mount; taken over by the returned {@link Mount}
     * @param session the session options ({@link SessionOptions#transport()} is ignored: a resumed session serves
     *                on /dev/fuse, as the old one did)
     * @return the mount, serving
     * @throws IOException if the filesystem's init fails; the connection is then closed (the kernel aborts it)
     */
    public static Mount resume(Filesystem fs, HandoverState state, SessionOptions session) throws IOException {
        Objects.requireNonNull(fs, "fs");
        Mount m = resume(new BlockingAdapter(fs, session.inline()), state, session);
        m.handoverSource(fs, state.allowRootOwner());
        return m;
    }

    /**
     * Like {@link #resume(Filesystem, HandoverState, SessionOptions)}, for an {@link AsyncFilesystem}.
     *
     * @param fs      the filesystem, restored from {@link HandoverState#filesystemState()}
     * @param state   the received mount; taken over by the returned {@link Mount}
     * @param session the session options
     * @return the mount, serving
     * @throws IOException if the filesystem's init fails; the connection is then closed (the kernel aborts it)
     */
    public static Mount resume(AsyncFilesystem fs, HandoverState state, SessionOptions session) throws IOException {
        Objects.requireNonNull(fs, "fs");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(session, "session");
        int fd = state.takeFd();
        DevFuseChannel channel;
        try {
            channel = DevFuseChannel.of(fd);
        } catch (IOException | RuntimeException e) {
            dev.jfuser.internal.sys.LibC.closeQuietly(fd);
            state.close();
            throw e;
        }
        Path mp = state.mountpoint().orElse(null);
        MountedDevice device = mp == null ? null
                : MountedDevice.adopted(fd, mp, state.fusermount(), state.ownerUid(), state.mountId());
        Session s = new Session(channel, fs, session.withTransport(Transport.DEV_FUSE), state.allowRootOwner());
        if (device != null) {
            // As for a fresh mount: a session ended by a fatal error leaves no dead mount behind.
            s.onAbort(() -> {
                try {
                    device.unmount(true);
                } catch (IOException ignored) {
                    // already gone, or nothing more to try
                }
            });
        }
        try {
            s.resume(state.init());
        } catch (IOException | RuntimeException e) {
            state.close();
            throw e;
        }
        Mount mount = new Mount(mp, device, s);
        mount.handoverSource(fs, state.allowRootOwner());
        state.confirm();
        if (session.unmountOnExit()) {
            mount.unmountOnExit();
        }
        return mount;
    }
}
