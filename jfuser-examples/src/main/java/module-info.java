/**
 * Example filesystems built on jfuser, and the {@code jfuser} command that mounts them.
 */
module dev.jfuser.examples {
    requires transitive dev.jfuser;
    requires transitive java.net.http;
    // sun.misc.Signal: the jfuser command prints its statistics on SIGUSR1.
    requires jdk.unsupported;

    exports dev.jfuser.examples.hello;
    exports dev.jfuser.examples.httpfs;
    exports dev.jfuser.examples.memfs;
    exports dev.jfuser.examples.notifyentry;
    exports dev.jfuser.examples.poll;
    exports dev.jfuser.examples.zip;
    exports dev.jfuser.examples.passthrough;
    exports dev.jfuser.examples.cli;
}
