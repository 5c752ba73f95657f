/**
 * memfs: a complete in-memory POSIX filesystem, the jfuser counterpart of the kernel's tmpfs.
 *
 * <p>Mount it with {@code bin/jfuser memfs MOUNTPOINT [--size 1G] [--image FILE] [-o allow_other,...]}, or in code
 * with {@code Fuse.mount(new MemFs(MemFs.Options.defaults()), path, options)}. {@link
 * dev.jfuser.examples.memfs.MemFs} describes its concurrency, permission, caching and lock design; the tests prove
 * it through the kernel: a contract suite ({@code FilesystemContract}), differential runs against a real tmpfs,
 * real tools (git, tar, rsync, sqlite3, fio, stress-ng) and image round trips.
 *
 * <h2>Design choices</h2>
 * <ul>
 *   <li>Data lives in the Java heap in 4 KiB chunks keyed by page index: sparse files are cheap and SEEK_DATA /
 *       SEEK_HOLE answer page for page like tmpfs. The default size limit is half the maximum heap.</li>
 *   <li>One lock for the whole tree: simple and obviously consistent (renames across directories, link counts);
 *       each request holds it for microseconds, far below a FUSE round trip.</li>
 *   <li>Names, negative lookups and attributes are cached by the kernel for 1 s: memfs is the only writer, and
 *       every change passes through this mount's kernel, which invalidates its own caches.</li>
 *   <li>POSIX and flock locks are implemented by memfs by default (so the lock API is exercised); the kernel can
 *       take them over with {@code Options.withKernelLocks()}.</li>
 *   <li>File handles ({@code open_by_handle_at}, NFS export) work after the kernel dropped its caches: memfs
 *       negotiates export support and answers lookups by node id. Node ids are never reused within a run; one
 *       generation per run (0 for the root) makes handles of an earlier mount stale, as on tmpfs.</li>
 * </ul>
 *
 * <h2>What memfs does not do, and why</h2>
 * <ul>
 *   <li>POSIX ACLs ({@code system.posix_acl_*}): EOPNOTSUPP. They need the kernel's POSIX_ACL mode and ACL
 *       evaluation, out of scope for an example; plain mode bits are fully enforced.</li>
 *   <li>fallocate ZERO_RANGE, COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE: EOPNOTSUPP, as in tmpfs.</li>
 *   <li>A flock lock is released when the kernel sends RELEASE after the last close of the open file; FUSE sends
 *       it asynchronously, so another process may still see the lock for a moment after {@code close()} returned
 *       (on a local filesystem the release is synchronous). POSIX locks are released synchronously (FLUSH).</li>
 *   <li>Lock deadlocks are not detected (no EDEADLK); a deadlocked F_SETLKW waits until a signal interrupts it.</li>
 *   <li>copy_file_range keeps the destination sparse: a fully zero page becomes a hole (tmpfs writes zeros).</li>
 *   <li>No birth time (statx btime), no inode flags ({@code chattr}, FS_IOC_* ioctls answer ENOTTY), no quotas,
 *       no EMLINK limit on hard links.</li>
 *   <li>atime follows relatime; memfs cannot see {@code noatime}/{@code strictatime}, which the kernel keeps to
 *       itself for FUSE mounts.</li>
 *   <li>File names are Java strings: a name that is not valid UTF-8 does not survive the round trip (a limit of
 *       the jfuser API, which decodes names as UTF-8).</li>
 *   <li>chown clears set-uid/set-gid on non-directories also when root does it, as Linux does (since 2.2.13), not
 *       only for unprivileged callers.</li>
 *   <li>Without {@code default_permissions}, search permission on a directory is checked when the kernel looks a
 *       name up; a path walk through names cached within the entry timeout is not re-checked. Use
 *       {@code default_permissions} (the kernel checks every walk) or a zero entry timeout.</li>
 *   <li>The image is written at unmount only: a crash of the JVM loses changes since the last mount (the image
 *       on disk stays the previous, intact one).</li>
 * </ul>
 */
package dev.jfuser.examples.memfs;
