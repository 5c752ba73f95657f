/**
 * Filesystems written in paths: implement {@link dev.jfuser.path.PathFilesystem}, mount it through
 * {@link dev.jfuser.path.PathAdapter}, which keeps the kernel's node ids, lookup counts, hard links, renames and
 * directory offsets.
 */
package dev.jfuser.path;
