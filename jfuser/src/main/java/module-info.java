/**
 * jfuser: FUSE filesystems in pure Java.
 */
module dev.jfuser {
    exports dev.jfuser;
    exports dev.jfuser.protocol;
}
