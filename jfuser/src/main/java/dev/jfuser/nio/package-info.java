/**
 * Any {@code java.nio.file} provider's tree mounted through FUSE: {@link dev.jfuser.nio.NioFilesystem}.
 */
package dev.jfuser.nio;
