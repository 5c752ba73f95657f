package dev.jfuser;

import java.io.IOException;
import java.io.Serial;
import java.nio.file.Path;

/**
 * An unmount was refused because the mount is in use (EBUSY): some process has a file open on it, has its working
 * directory inside it, or has another filesystem mounted below it.
 *
 * <p>Close those and retry, or unmount lazily: a lazy unmount detaches the mount from the directory tree at once and
 * lets the kernel finish it when the last user goes away, while the filesystem keeps serving those users until then.
 */
public final class MountBusyException extends IOException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The mountpoint as a string: {@link Path} is not serializable. */
    private final String mountpoint;

    /**
     * A busy mount, with a message saying how to free it.
     *
     * @param mountpoint the mount that could not be unmounted
     */
    public MountBusyException(Path mountpoint) {
        super("cannot unmount " + mountpoint + ": it is busy (a process has a file open or its working directory"
                + " inside); close those and retry, or unmount lazily");
        this.mountpoint = mountpoint.toString();
    }

    /**
     * The mount that could not be unmounted.
     *
     * @return the mount that could not be unmounted
     */
    public Path mountpoint() {
        return Path.of(mountpoint);
    }
}
