/**
 * s3fs: an S3 bucket, or a key prefix of one, mounted as a filesystem on jfuser's
 * {@link dev.jfuser.AsyncFilesystem}. {@link dev.jfuser.s3.S3Fs} is the filesystem, {@link dev.jfuser.s3.S3FsOptions}
 * what it mounts and how, {@link dev.jfuser.s3.S3Clients} the SDK client it uses, {@link dev.jfuser.s3.S3Main} the
 * {@code jfuser s3} command.
 */
package dev.jfuser.s3;
