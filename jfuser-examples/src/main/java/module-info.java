/**
 * Example filesystems built on jfuser, and the {@code jfuser} command that mounts them.
 */
module dev.jfuser.examples {
    requires transitive dev.jfuser;
    requires jdk.unsupported; // sun.misc.Signal: Ctrl-C unmounts and exits 0, as a foreground daemon should

    exports dev.jfuser.examples.hello;
    exports dev.jfuser.examples.cli;
}
