/**
 * Testing jfuser filesystems. {@link dev.jfuser.testkit.FakeKernel} drives a filesystem through the real session
 * and protocol codec in memory, without root and without {@code /dev/fuse}, path by path as the kernel's VFS
 * would, and fails the test on protocol violations (a request answered twice or never, a file left open).
 * {@link dev.jfuser.testkit.FuseMountExtension} mounts a filesystem for real for a JUnit 5 test class, and skips the
 * class with the reason where the machine cannot mount. {@link dev.jfuser.testkit.FilesystemContract} runs the
 * same POSIX checks against a fake-kernel client and a real mount.
 *
 * <p>The kit compiles against JUnit Jupiter's API but does not bring it: the project's own JUnit 5 is used.
 */
package dev.jfuser.testkit;
