package dev.jfuser.internal.session;

import java.io.IOException;

/**
 * The kernel ended the connection before it sent INIT: the mount was unmounted (or the connection aborted) between
 * {@code mount(2)} and the handshake. The mounter tells the two apart: an unmount is a clean end, an abort that left
 * the mount in place is a failure.
 */
public final class EndedBeforeInitException extends IOException {
    private static final long serialVersionUID = 1L;

    EndedBeforeInitException() {
        super("the kernel closed the FUSE connection before INIT");
    }
}
