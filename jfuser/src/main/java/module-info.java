/**
 * jfuser: FUSE filesystems in pure Java. Start at {@link dev.jfuser.Filesystem} and {@link dev.jfuser.Fuse}.
 */
@SuppressWarnings("module") // the test kit is a separate artifact; it need not be present to build the core
module dev.jfuser {
    // Each request is a JFR event (dev.jfuser.Request) while a recording asks for it.
    requires jdk.jfr;
    exports dev.jfuser;
    exports dev.jfuser.protocol;
    exports dev.jfuser.posix;
    exports dev.jfuser.path;
    exports dev.jfuser.nio;
    // The test kit drives the real session over an in-memory channel.
    exports dev.jfuser.internal.session to dev.jfuser.testkit;
    exports dev.jfuser.internal.transport to dev.jfuser.testkit;
}
