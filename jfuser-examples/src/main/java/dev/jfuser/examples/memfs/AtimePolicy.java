package dev.jfuser.examples.memfs;

/**
 * When memfs moves a file's access time on a read, a directory listing or a readlink. The kernel keeps a FUSE
 * mount's {@code noatime}/{@code relatime}/{@code strictatime} flag to itself and never updates atime of a FUSE
 * file, so memfs must be told the policy the mount wants ({@link MemFs.Options#withAtimePolicy}). A read through a
 * descriptor with {@code O_NOATIME} never moves atime, whatever the policy; explicit times ({@code utimensat},
 * {@code touch}) are always applied.
 */
public enum AtimePolicy {
    /** Every access moves atime to now ({@code strictatime}). */
    STRICT,
    /**
     * An access moves atime only when it is not after mtime or ctime, or is a day old or more: Linux's
     * {@code relatime}, the default of its mounts.
     */
    RELATIME,
    /** Accesses never move atime ({@code noatime}). */
    NOATIME
}
