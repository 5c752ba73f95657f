/**
 * The jfuser API: implement {@link dev.jfuser.Filesystem} (blocking, every request on its own virtual thread) or
 * {@link dev.jfuser.AsyncFilesystem} (every method returns a {@code CompletionStage}), and mount it with
 * {@link dev.jfuser.Fuse#mount(Filesystem, java.nio.file.Path, MountOptions)}; the returned
 * {@link dev.jfuser.Mount} unmounts when closed.
 *
 * <p>Methods receive a {@link dev.jfuser.Request} (the caller's uid, gid and pid) and node ids (1 is the root;
 * the others are the ones your {@code lookup}, {@code mkdir}, {@code create} and so on returned in an
 * {@link dev.jfuser.Entry}). They answer with the reply records of this package ({@link dev.jfuser.AttrReply},
 * {@link dev.jfuser.OpenReply}, {@link dev.jfuser.ReadData}, ...) or fail with
 * {@link dev.jfuser.FuseException} carrying an {@link dev.jfuser.Errno}. A method left to its default answers
 * {@code ENOSYS}, which the kernel remembers for most operations.
 *
 * <p>Native access: jfuser makes system calls through the FFM API, so the JVM needs
 * {@code --enable-native-access=dev.jfuser} on the module path or {@code --enable-native-access=ALL-UNNAMED} on
 * the class path.
 */
package dev.jfuser;
