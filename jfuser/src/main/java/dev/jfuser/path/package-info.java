/**
 * Filesystems written in paths: implement {@link dev.jfuser.path.PathFilesystem}, mount it through
 * {@link dev.jfuser.path.PathAdapter}, which keeps the kernel's node ids, lookup counts, hard links, renames and
 * directory offsets; or {@link dev.jfuser.path.AsyncPathFilesystem} through
 * {@link dev.jfuser.path.AsyncPathAdapter}, the same with completion stages.
 */
package dev.jfuser.path;
