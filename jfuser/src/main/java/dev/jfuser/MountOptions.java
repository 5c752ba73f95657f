package dev.jfuser;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How a FUSE filesystem is mounted: the name it shows, who may use it, and the generic mount flags.
 *
 * <p>These are mount-time options, the ones {@code mount -o} and {@code fusermount3 -o} take. They are split three
 * ways when mounting: generic VFS flags ({@code ro}, {@code nosuid}, {@code noexec}...) become {@code mount(2)} flag
 * bits; FUSE's own options ({@code allow_other}, {@code default_permissions}, {@code max_read}) go into the FUSE
 * option string next to the {@code fd=} of the /dev/fuse connection; {@code fsname} and {@code subtype} become the
 * mount's source and type as shown in {@code /proc/self/mountinfo}, {@code df} and {@code mount}. Per-connection
 * tuning such as {@code max_write}, readahead or writeback caching is not a mount option: it is negotiated with the
 * kernel in the FUSE_INIT handshake after mounting.
 *
 * <p>Instances are immutable. Build one with {@link #builder()}, or parse the usual comma-separated syntax with
 * {@link #parse(String)}; {@link #toString()} renders that syntax back, so {@code parse(o.toString()).equals(o)}.
 * In that syntax a backslash escapes the next character, so {@code fsname=a\,b} names the filesystem {@code a,b}
 * (libfuse and fusermount3 read it the same way).
 *
 * <p>Defaults: {@code fsname=jfuser}, no subtype, read-write, {@code nosuid,nodev}. fusermount3 forces
 * {@code nosuid} and {@code nodev} on every mount by an unprivileged user (so a user cannot plant a setuid binary or
 * a device node); jfuser applies the same default to privileged mounts so that a filesystem behaves the same whoever
 * mounts it. Call {@link Builder#suid(boolean)} / {@link Builder#dev(boolean)} to lift it when mounting as root.
 *
 * <p>Options jfuser does not know are kept as <em>custom</em> options and handed to the kernel unchanged (for
 * example an SELinux {@code context=...}). The kernel rejects options it does not understand, which makes
 * {@code mount(2)} fail with EINVAL.
 */
public final class MountOptions {
    private static final String DEFAULT_FSNAME = "jfuser";

    /** Set by jfuser itself when it mounts: a user-supplied value would break the mount. */
    private static final Set<String> RESERVED = Set.of("fd", "rootmode", "user_id", "group_id");

    /** libfuse command-line options that configure the library, not the mount: the kernel rejects them. */
    private static final Set<String> LIBFUSE_LIBRARY_OPTIONS = Set.of(
            "debug", "hard_remove", "use_ino", "readdir_ino", "direct_io", "kernel_cache", "auto_cache",
            "noauto_cache", "entry_timeout", "negative_timeout", "attr_timeout", "ac_attr_timeout", "umask", "uid",
            "gid", "intr", "intr_signal", "modules", "large_read", "big_writes", "max_write", "max_readahead",
            "max_background", "congestion_threshold", "async_read", "sync_read", "atomic_o_trunc",
            "writeback_cache", "no_writeback_cache", "splice_read", "splice_write", "splice_move", "clone_fd",
            "max_idle_threads", "max_threads", "time_gran");

    private final String fsname;
    private final String subtype;
    private final boolean allowOther;
    private final boolean allowRoot;
    private final boolean defaultPermissions;
    private final boolean readOnly;
    private final boolean suid;
    private final boolean dev;
    private final boolean exec;
    private final Atime atime;
    private final boolean noDirAtime;
    private final boolean lazyTime;
    private final boolean sync;
    private final boolean dirSync;
    private final boolean autoUnmount;
    private final int maxRead;
    private final int blksize;
    private final List<String> customOptions;

    private MountOptions(Builder b) {
        this.fsname = b.fsname;
        this.subtype = b.subtype;
        this.allowOther = b.allowOther;
        this.allowRoot = b.allowRoot;
        this.defaultPermissions = b.defaultPermissions;
        this.readOnly = b.readOnly;
        this.suid = b.suid;
        this.dev = b.dev;
        this.exec = b.exec;
        this.atime = b.atime;
        this.noDirAtime = b.noDirAtime;
        this.lazyTime = b.lazyTime;
        this.sync = b.sync;
        this.dirSync = b.dirSync;
        this.autoUnmount = b.autoUnmount;
        this.maxRead = b.maxRead;
        this.blksize = b.blksize;
        this.customOptions = List.copyOf(b.customOptions);
    }

    /**
     * A builder starting from the defaults.
     *
     * @return a new builder holding {@code fsname=jfuser,nosuid,nodev}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The defaults: {@code fsname=jfuser,nosuid,nodev}.
     *
     * @return the options a plain {@code builder().build()} gives
     */
    public static MountOptions defaults() {
        return new Builder().build();
    }

    /**
     * Parses a comma-separated option string as given to {@code -o}, e.g. {@code "fsname=demo,allow_other,ro"}.
     * Later options override earlier ones ({@code ro,rw} is read-write). An empty string gives the defaults.
     *
     * @throws IllegalArgumentException naming the offending option and how to fix it
     * @param options the {@code -o} string; commas inside a value are escaped with a backslash
     * @return the options it describes, on top of the defaults
     */
    public static MountOptions parse(String options) {
        return builder().options(options).build();
    }

    /**
     * A builder preloaded with these options.
     *
     * @return a new builder holding every option of this one, to change a few
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.fsname = fsname;
        b.subtype = subtype;
        b.allowOther = allowOther;
        b.allowRoot = allowRoot;
        b.defaultPermissions = defaultPermissions;
        b.readOnly = readOnly;
        b.suid = suid;
        b.dev = dev;
        b.exec = exec;
        b.atime = atime;
        b.noDirAtime = noDirAtime;
        b.lazyTime = lazyTime;
        b.sync = sync;
        b.dirSync = dirSync;
        b.autoUnmount = autoUnmount;
        b.maxRead = maxRead;
        b.blksize = blksize;
        b.customOptions.addAll(customOptions);
        return b;
    }

    /**
     * {@code fsname=NAME}: the mount's source, the first column of {@code mount} and {@code df} (like
     * {@code /dev/sda1} for a disk). Purely descriptive. Default {@code jfuser}.
     *
     * @return the source name shown for the mount
     */
    public String fsname() {
        return fsname;
    }

    /**
     * {@code subtype=TYPE}: the mount's type becomes {@code fuse.TYPE} (e.g. {@code fuse.sshfs}) instead of plain
     * {@code fuse}, so tools such as {@code df -t} and {@code findmnt} can tell FUSE filesystems apart. An empty
     * TYPE ({@code subtype=} with nothing after it) asks for the plain type {@code fuse} explicitly, overriding a
     * subtype a program would choose when none is given (the {@code jfuser} command names its example otherwise).
     * Empty when not set.
     *
     * @return the subtype, empty for none; a present empty string asks for the plain type {@code fuse}
     */
    public Optional<String> subtype() {
        return Optional.ofNullable(subtype);
    }

    /**
     * {@code allow_other}: let every user access the mount. Without it the kernel allows only the user who mounted
     * it (not even root), which protects other users from a filesystem that might misbehave on purpose, e.g. by
     * never answering. Unprivileged users need {@code user_allow_other} in {@code /etc/fuse.conf} to set it.
     *
     * @return whether every user may access the mount
     */
    public boolean allowOther() {
        return allowOther;
    }

    /**
     * {@code allow_root}: let the mounting user and root access the mount, nobody else. The kernel has no such mode:
     * like libfuse, jfuser mounts with {@code allow_other} and the session answers EACCES to requests from any other
     * uid. Needs {@code user_allow_other} in {@code /etc/fuse.conf} for unprivileged users, like {@code allow_other}.
     *
     * @return whether root may access the mount besides the mounting user
     */
    public boolean allowRoot() {
        return allowRoot;
    }

    /**
     * {@code default_permissions}: the kernel checks file mode bits, owner and group itself (as for a local disk)
     * before sending a request. Without it the kernel checks nothing and the filesystem decides alone, typically
     * in its ACCESS and OPEN handlers.
     *
     * @return whether the kernel checks permissions itself
     */
    public boolean defaultPermissions() {
        return defaultPermissions;
    }

    /**
     * {@code ro}: a read-only mount; the kernel refuses writes with EROFS before they reach the filesystem.
     *
     * @return whether the mount is read-only
     */
    public boolean readOnly() {
        return readOnly;
    }

    /**
     * {@code suid}: honour setuid/setgid bits of files on the mount. Default off ({@code nosuid}).
     *
     * @return whether setuid and setgid bits take effect
     */
    public boolean suid() {
        return suid;
    }

    /**
     * {@code dev}: allow opening device nodes on the mount. Default off ({@code nodev}).
     *
     * @return whether device nodes may be opened
     */
    public boolean dev() {
        return dev;
    }

    /**
     * {@code exec}: allow executing files from the mount. Default on; {@code noexec} turns it off.
     *
     * @return whether files may be executed
     */
    public boolean exec() {
        return exec;
    }

    /**
     * When access times move, as the mount asks: {@code relatime} (the default of Linux mounts), {@code strictatime}
     * or {@code noatime}. These are mount flags ({@code MS_RELATIME}, {@code MS_STRICTATIME}, {@code MS_NOATIME}),
     * not FUSE options.
     *
     * <p>For a FUSE mount the kernel never moves atime itself, and it does not tell the filesystem the mount's flag:
     * a filesystem that keeps access times learns the policy from here (the program that mounts passes it on, as
     * the {@code jfuser} command does for memfs). Reads through a descriptor opened with {@code O_NOATIME} arrive
     * with that flag in their open flags.
     *
     * @return the access-time policy the mount is made with
     */
    public Atime atime() {
        return atime;
    }

    /**
     * Whether {@link #atime()} is {@link Atime#NOATIME}: {@code noatime}.
     *
     * @return whether accesses never move access times
     */
    public boolean noAtime() {
        return atime == Atime.NOATIME;
    }

    /**
     * {@code nodiratime}: access times of directories do not move ({@code MS_NODIRATIME}).
     *
     * @return whether directory access times stay put
     */
    public boolean noDirAtime() {
        return noDirAtime;
    }

    /**
     * {@code lazytime}: timestamps are kept in memory and written out lazily ({@code MS_LAZYTIME}).
     *
     * @return whether the mount is made with {@code lazytime}
     */
    public boolean lazyTime() {
        return lazyTime;
    }

    /**
     * {@code sync}: all writes are synchronous ({@code MS_SYNCHRONOUS}).
     *
     * @return whether the mount is made with {@code sync}
     */
    public boolean sync() {
        return sync;
    }

    /**
     * {@code dirsync}: directory changes are synchronous ({@code MS_DIRSYNC}).
     *
     * @return whether the mount is made with {@code dirsync}
     */
    public boolean dirSync() {
        return dirSync;
    }

    /**
     * {@code auto_unmount}: fusermount3 stays alive as a watcher and unmounts when the filesystem process dies, even
     * on {@code kill -9}, so no dead "Transport endpoint is not connected" mount is left behind. Always mounts
     * through fusermount3, even as root.
     *
     * @return whether a watcher unmounts the mount when the process dies
     */
    public boolean autoUnmount() {
        return autoUnmount;
    }

    /**
     * {@code max_read=N}: the largest READ request the kernel will send, in bytes; 0 means the kernel's default
     * (limited by {@code max_pages} from FUSE_INIT). Rarely needed.
     *
     * @return the READ size limit in bytes, 0 for the kernel's default
     */
    public int maxRead() {
        return maxRead;
    }

    /**
     * {@code blksize=N}: the block size of a block-device-backed ({@code fuseblk}) mount; 0 means unset. The kernel
     * refuses it for ordinary FUSE mounts such as jfuser's; it exists so option strings meant for fuseblk parse.
     *
     * @return the block size of a fuseblk mount, 0 when unset
     */
    public int blksize() {
        return blksize;
    }

    /**
     * Options jfuser does not interpret, passed to the kernel as written, in order.
     *
     * @return the uninterpreted options, unmodifiable
     */
    public List<String> customOptions() {
        return customOptions;
    }

    /**
     * The option string, canonical and escaped: {@code fsname=jfuser,nosuid,nodev} for the defaults. Options at
     * their default are left out, except {@code suid}/{@code dev}, which are always shown because their default
     * here differs from {@code mount(8)}'s.
     */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add("fsname=" + escape(fsname));
        if (subtype != null) { // an empty one renders as "subtype=", which parses back to it
            parts.add("subtype=" + escape(subtype));
        }
        if (allowOther) {
            parts.add("allow_other");
        }
        if (allowRoot) {
            parts.add("allow_root");
        }
        if (defaultPermissions) {
            parts.add("default_permissions");
        }
        if (readOnly) {
            parts.add("ro");
        }
        parts.add(suid ? "suid" : "nosuid");
        parts.add(dev ? "dev" : "nodev");
        if (!exec) {
            parts.add("noexec");
        }
        if (atime != Atime.RELATIME) {
            parts.add(atime.option());
        }
        if (noDirAtime) {
            parts.add("nodiratime");
        }
        if (lazyTime) {
            parts.add("lazytime");
        }
        if (sync) {
            parts.add("sync");
        }
        if (dirSync) {
            parts.add("dirsync");
        }
        if (autoUnmount) {
            parts.add("auto_unmount");
        }
        if (maxRead != 0) {
            parts.add("max_read=" + maxRead);
        }
        if (blksize != 0) {
            parts.add("blksize=" + blksize);
        }
        parts.addAll(customOptions);
        return String.join(",", parts);
    }

    /** Escapes a value for the comma-separated syntax: {@code \} and {@code ,} get a backslash. */
    static String escape(String value) {
        StringBuilder sb = new StringBuilder(value.length() + 4);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || c == ',') {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MountOptions m
                && fsname.equals(m.fsname)
                && Objects.equals(subtype, m.subtype)
                && allowOther == m.allowOther
                && allowRoot == m.allowRoot
                && defaultPermissions == m.defaultPermissions
                && readOnly == m.readOnly
                && suid == m.suid
                && dev == m.dev
                && exec == m.exec
                && atime == m.atime
                && noDirAtime == m.noDirAtime
                && lazyTime == m.lazyTime
                && sync == m.sync
                && dirSync == m.dirSync
                && autoUnmount == m.autoUnmount
                && maxRead == m.maxRead
                && blksize == m.blksize
                && customOptions.equals(m.customOptions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(fsname, subtype, allowOther, allowRoot, defaultPermissions, readOnly, suid, dev, exec,
                atime, noDirAtime, lazyTime, sync, dirSync, autoUnmount, maxRead, blksize, customOptions);
    }

    /**
     * Builds {@link MountOptions}. Setters validate their argument at once; {@link #build()} checks combinations.
     * All methods throw {@link IllegalArgumentException} with a message naming the option and the fix.
     */
    public static final class Builder {
        private String fsname = DEFAULT_FSNAME;
        private String subtype;
        private boolean allowOther;
        private boolean allowRoot;
        private boolean defaultPermissions;
        private boolean readOnly;
        private boolean suid;
        private boolean dev;
        private boolean exec = true;
        private Atime atime = Atime.RELATIME;
        private boolean noDirAtime;
        private boolean lazyTime;
        private boolean sync;
        private boolean dirSync;
        private boolean autoUnmount;
        private int maxRead;
        private int blksize;
        private final List<String> customOptions = new ArrayList<>();

        private Builder() {}

        /**
         * See {@link MountOptions#fsname()}.
         *
         * @param fsname the source name; any text, escaped when the option string is written
         * @return this builder
         * @throws IllegalArgumentException if it is empty or contains a NUL character
         */
        public Builder fsname(String fsname) {
            this.fsname = checkValue("fsname", fsname);
            return this;
        }

        /**
         * See {@link MountOptions#subtype()}; null removes it, empty asks for the plain type {@code fuse}.
         *
         * @param subtype the type after {@code fuse.}, empty for the plain type, or null for none
         * @return this builder
         */
        public Builder subtype(String subtype) {
            this.subtype = subtype == null || subtype.isEmpty() ? subtype : checkValue("subtype", subtype);
            return this;
        }

        /**
         * Sets {@code allow_other}; see {@link MountOptions#allowOther()}.
         *
         * @return this builder
         */
        public Builder allowOther() {
            return allowOther(true);
        }

        /**
         * Sets or clears {@code allow_other}; see {@link MountOptions#allowOther()}.
         * 
         * @param allowOther whether users other than the mounting one may access the mount
         * @return this builder
         */
        public Builder allowOther(boolean allowOther) {
            this.allowOther = allowOther;
            return this;
        }

        /**
         * Sets {@code allow_root}; see {@link MountOptions#allowRoot()}.
         *
         * @return this builder
         */
        public Builder allowRoot() {
            return allowRoot(true);
        }

        /**
         * Sets or clears {@code allow_root}; see {@link MountOptions#allowRoot()}.
         * 
         * @param allowRoot whether root, besides the mounting user, may access the mount
         * @return this builder
         */
        public Builder allowRoot(boolean allowRoot) {
            this.allowRoot = allowRoot;
            return this;
        }

        /**
         * Sets {@code default_permissions}; see {@link MountOptions#defaultPermissions()}.
         *
         * @return this builder
         */
        public Builder defaultPermissions() {
            return defaultPermissions(true);
        }

        /**
         * Sets or clears {@code default_permissions}; see {@link MountOptions#defaultPermissions()}.
         * 
         * @param defaultPermissions whether the kernel checks mode bits itself before sending requests
         * @return this builder
         */
        public Builder defaultPermissions(boolean defaultPermissions) {
            this.defaultPermissions = defaultPermissions;
            return this;
        }

        /**
         * Sets {@code ro}; see {@link MountOptions#readOnly()}.
         *
         * @return this builder
         */
        public Builder readOnly() {
            return readOnly(true);
        }

        /**
         * Sets {@code ro} or {@code rw}; see {@link MountOptions#readOnly()}.
         * 
         * @param readOnly whether the mount is read-only
         * @return this builder
         */
        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        /**
         * See {@link MountOptions#suid()}.
         *
         * @param suid {@code true} for {@code suid}, {@code false} for {@code nosuid}
         * @return this builder
         */
        public Builder suid(boolean suid) {
            this.suid = suid;
            return this;
        }

        /**
         * See {@link MountOptions#dev()}.
         *
         * @param dev {@code true} for {@code dev}, {@code false} for {@code nodev}
         * @return this builder
         */
        public Builder dev(boolean dev) {
            this.dev = dev;
            return this;
        }

        /**
         * See {@link MountOptions#exec()}.
         *
         * @param exec {@code true} for {@code exec}, {@code false} for {@code noexec}
         * @return this builder
         */
        public Builder exec(boolean exec) {
            this.exec = exec;
            return this;
        }

        /**
         * See {@link MountOptions#atime()}.
         *
         * @param atime the access-time policy
         * @return this builder
         */
        public Builder atime(Atime atime) {
            this.atime = Objects.requireNonNull(atime, "atime");
            return this;
        }

        /**
         * See {@link MountOptions#noAtime()}: true sets {@link Atime#NOATIME}; false undoes it (back to
         * {@link Atime#RELATIME}) and leaves {@link Atime#STRICTATIME} alone.
         *
         * @param noAtime whether to mount with {@code noatime}
         * @return this builder
         */
        public Builder noAtime(boolean noAtime) {
            if (noAtime) {
                atime = Atime.NOATIME;
            } else if (atime == Atime.NOATIME) {
                atime = Atime.RELATIME;
            }
            return this;
        }

        /**
         * See {@link MountOptions#noDirAtime()}.
         *
         * @param noDirAtime whether to mount with {@code nodiratime}
         * @return this builder
         */
        public Builder noDirAtime(boolean noDirAtime) {
            this.noDirAtime = noDirAtime;
            return this;
        }

        /**
         * See {@link MountOptions#lazyTime()}.
         *
         * @param lazyTime whether to mount with {@code lazytime}
         * @return this builder
         */
        public Builder lazyTime(boolean lazyTime) {
            this.lazyTime = lazyTime;
            return this;
        }

        /**
         * See {@link MountOptions#sync()}.
         *
         * @param sync whether to mount with {@code sync}
         * @return this builder
         */
        public Builder sync(boolean sync) {
            this.sync = sync;
            return this;
        }

        /**
         * See {@link MountOptions#dirSync()}.
         *
         * @param dirSync whether to mount with {@code dirsync}
         * @return this builder
         */
        public Builder dirSync(boolean dirSync) {
            this.dirSync = dirSync;
            return this;
        }

        /**
         * Sets {@code auto_unmount}; see {@link MountOptions#autoUnmount()}.
         *
         * @return this builder
         */
        public Builder autoUnmount() {
            return autoUnmount(true);
        }

        /**
         * Sets or clears {@code auto_unmount}; see {@link MountOptions#autoUnmount()}.
         * 
         * @param autoUnmount whether a fusermount3 watcher unmounts the mount when the process dies, even by SIGKILL
         * @return this builder
         */
        public Builder autoUnmount(boolean autoUnmount) {
            this.autoUnmount = autoUnmount;
            return this;
        }

        /**
         * See {@link MountOptions#maxRead()}; 0 resets to the kernel default.
         *
         * @param maxRead the largest READ in bytes, 0 for the kernel's default
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxRead(int maxRead) {
            if (maxRead < 0) {
                throw new IllegalArgumentException("max_read must be a positive number of bytes, got " + maxRead
                        + ": leave it unset for the kernel default");
            }
            this.maxRead = maxRead;
            return this;
        }

        /**
         * See {@link MountOptions#blksize()}: a power of two of at least 512, or 0 to unset.
         *
         * @param blksize the block size in bytes, 0 to unset
         * @return this builder
         * @throws IllegalArgumentException if neither 0 nor a power of two of at least 512
         */
        public Builder blksize(int blksize) {
            if (blksize != 0 && (blksize < 512 || Integer.bitCount(blksize) != 1)) {
                throw new IllegalArgumentException("blksize must be a power of two of at least 512, got " + blksize
                        + ": e.g. blksize=4096");
            }
            this.blksize = blksize;
            return this;
        }

        /**
         * Applies one option in {@code -o} syntax, unescaped: {@code "ro"}, {@code "fsname=a,b"},
         * {@code "context=system_u:object_r:fusefs_t:s0"}. Known options set their field; anything else is kept as
         * a custom option for the kernel.
         *
         * @param option one option, without escapes
         * @return this builder
         * @throws IllegalArgumentException if a known option has a bad value, or a custom one contains ',' or '\'
         */
        public Builder option(String option) {
            Objects.requireNonNull(option, "option");
            return apply(option, option);
        }

        /**
         * Applies a comma-separated, backslash-escaped option string (see {@link MountOptions#parse(String)}).
         *
         * @param options the {@code -o} string; an empty one changes nothing
         * @return this builder
         * @throws IllegalArgumentException naming the offending option and how to fix it
         */
        public Builder options(String options) {
            Objects.requireNonNull(options, "options");
            if (options.isEmpty()) {
                return this;
            }
            StringBuilder value = new StringBuilder();
            int tokenStart = 0;
            for (int i = 0; i <= options.length(); i++) {
                if (i == options.length() || options.charAt(i) == ',') {
                    String raw = options.substring(tokenStart, i);
                    if (raw.isEmpty()) {
                        throw new IllegalArgumentException("empty mount option in '" + options
                                + "': remove the extra comma");
                    }
                    apply(value.toString(), raw);
                    value.setLength(0);
                    tokenStart = i + 1;
                } else if (options.charAt(i) == '\\') {
                    if (i + 1 == options.length()) {
                        throw new IllegalArgumentException("mount option '" + options.substring(tokenStart)
                                + "' ends with a lone backslash: write \\\\ for a backslash, \\, for a comma");
                    }
                    value.append(options.charAt(++i));
                } else {
                    value.append(options.charAt(i));
                }
            }
            return this;
        }

        /** @param raw the option as the user wrote it, for messages */
        private Builder apply(String option, String raw) {
            int eq = option.indexOf('=');
            String name = eq < 0 ? option : option.substring(0, eq);
            String value = eq < 0 ? null : option.substring(eq + 1);
            switch (name) {
                case "fsname" -> fsname(requireValue(raw, name, value, "fsname=NAME"));
                case "subtype" -> subtype(value != null ? value
                        : requireValue(raw, name, null, "subtype=TYPE, or subtype= for the plain type fuse"));
                case "max_read" -> maxRead(parsePositive(raw, name, value));
                case "blksize" -> blksize(parsePositive(raw, name, value));
                case "allow_other" -> allowOther = flag(raw, name, value);
                case "allow_root" -> allowRoot = flag(raw, name, value);
                case "default_permissions" -> defaultPermissions = flag(raw, name, value);
                case "ro" -> readOnly = flag(raw, name, value);
                case "rw" -> readOnly = !flag(raw, name, value);
                case "suid" -> suid = flag(raw, name, value);
                case "nosuid" -> suid = !flag(raw, name, value);
                case "dev" -> dev = flag(raw, name, value);
                case "nodev" -> dev = !flag(raw, name, value);
                case "exec" -> exec = flag(raw, name, value);
                case "noexec" -> exec = !flag(raw, name, value);
                // mount(8)'s atime flags. "atime" and "nostrictatime" undo noatime and strictatime (back to the
                // kernel's default, relatime); "norelatime" asks for what is not relatime: strictatime.
                case "atime" -> noAtime(!flag(raw, name, value));
                case "noatime" -> noAtime(flag(raw, name, value));
                case "relatime" -> atime = flag(raw, name, value) ? Atime.RELATIME : atime;
                case "norelatime", "strictatime" -> atime = flag(raw, name, value) ? Atime.STRICTATIME : atime;
                case "nostrictatime" -> atime = flag(raw, name, value) && atime == Atime.STRICTATIME ? Atime.RELATIME
                        : atime;
                case "diratime" -> noDirAtime = !flag(raw, name, value);
                case "nodiratime" -> noDirAtime = flag(raw, name, value);
                case "lazytime" -> lazyTime = flag(raw, name, value);
                case "nolazytime" -> lazyTime = !flag(raw, name, value);
                case "sync" -> sync = flag(raw, name, value);
                case "async" -> sync = !flag(raw, name, value);
                case "dirsync" -> dirSync = flag(raw, name, value);
                case "auto_unmount" -> autoUnmount = flag(raw, name, value);
                default -> customOptions.add(checkCustom(option, raw, name, value));
            }
            return this;
        }

        private static boolean flag(String raw, String name, String value) {
            if (value != null) {
                throw new IllegalArgumentException("mount option '" + raw + "' takes no value: write " + name);
            }
            return true;
        }

        private static String requireValue(String raw, String name, String value, String example) {
            if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException("mount option '" + raw + "' needs a value: write " + example);
            }
            return value;
        }

        private static int parsePositive(String raw, String name, String value) {
            String v = requireValue(raw, name, value, name + "=N");
            try {
                int n = Integer.parseInt(v);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException ignored) {
                // fall through to the message below
            }
            throw new IllegalArgumentException("mount option '" + raw + "' needs a positive whole number of bytes: "
                    + "write " + name + "=N, e.g. " + name + "=4096");
        }

        private static String checkValue(String name, String value) {
            Objects.requireNonNull(value, name);
            if (value.isEmpty()) {
                throw new IllegalArgumentException(name + " must not be empty: write " + name + "=NAME or leave it unset");
            }
            if (value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(name + " '" + value.replace("\0", "\\0")
                        + "' contains a NUL character, which C strings cannot carry: remove it");
            }
            return value;
        }

        private static String checkCustom(String option, String raw, String name, String value) {
            if (RESERVED.contains(name)) {
                throw new IllegalArgumentException("mount option '" + raw
                        + "' is set by jfuser itself when it mounts: remove it");
            }
            if (name.equals("nonempty")) {
                throw new IllegalArgumentException("mount option 'nonempty' was removed in FUSE 3: remove it "
                        + "(mounting over a non-empty directory is always allowed)");
            }
            if (name.equals("blkdev")) {
                throw new IllegalArgumentException("mount option 'blkdev' asks for a block-device (fuseblk) mount, "
                        + "which jfuser does not support: remove it");
            }
            if (LIBFUSE_LIBRARY_OPTIONS.contains(name)) {
                throw new IllegalArgumentException("mount option '" + raw + "' configures the libfuse library, not "
                        + "the mount, and the kernel rejects it: remove it and set the equivalent in jfuser's session "
                        + "configuration or per-file open replies");
            }
            if (name.isEmpty()) {
                throw new IllegalArgumentException("unknown mount option '" + raw + "': it has no name before '='");
            }
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (!(Character.isLetterOrDigit(c) && c < 128) && c != '_' && c != '-' && c != '.') {
                    throw new IllegalArgumentException("unknown mount option '" + raw + "': option names use only "
                            + "letters, digits, '_', '-' and '.' (no spaces around commas)");
                }
            }
            if (value != null && value.isEmpty()) {
                throw new IllegalArgumentException("unknown mount option '" + raw + "': a custom option with '=' needs "
                        + "a value; write " + name + "=VALUE, or " + name + " alone");
            }
            if (option.indexOf(',') >= 0 || option.indexOf('\\') >= 0) {
                throw new IllegalArgumentException("unknown mount option '" + raw + "': custom options go to the kernel "
                        + "as-is and the kernel has no escape syntax, so they cannot contain ',' or '\\'");
            }
            if (option.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("unknown mount option '" + raw.replace("\0", "\\0")
                        + "': it contains a NUL character: remove it");
            }
            return option;
        }

        /**
         * The options set so far.
         *
         * @return new, immutable options; the builder can go on to make others
         * @throws IllegalArgumentException if {@code allow_other} and {@code allow_root} are both set
         */
        public MountOptions build() {
            if (allowOther && allowRoot) {
                throw new IllegalArgumentException("allow_other and allow_root cannot both be set: choose one "
                        + "(allow_root admits only root and the mounting user, allow_other everybody)");
            }
            return new MountOptions(this);
        }
    }

    /** When access times move ({@link #atime()}): the three policies of Linux mounts. */
    public enum Atime {
        /**
         * {@code relatime}, the default: an access moves atime only if atime is not after mtime or ctime, or is a
         * day old or more.
         */
        RELATIME("relatime"),
        /** {@code strictatime}: every access moves atime. */
        STRICTATIME("strictatime"),
        /** {@code noatime}: accesses never move atime. */
        NOATIME("noatime");

        private final String option;

        Atime(String option) {
            this.option = option;
        }

        /**
         * The option as {@code -o} writes it.
         *
         * @return the option's name, e.g. {@code relatime}
         */
        public String option() {
            return option;
        }
    }
}
