package dev.jfuser.internal.session;

import dev.jfuser.Errno;
import dev.jfuser.FuseException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Maps what a filesystem threw to the errno the kernel gets. */
final class ErrnoMapper {
    private ErrnoMapper() {}

    /** Unwraps the wrappers completion stages add around the real failure. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /**
     * The errno for a failure, or null when it is unexpected (a bug to log, answered EIO). Expected failures are
     * {@link FuseException} and the {@code java.nio.file} exceptions with an obvious errno.
     */
    static Errno expected(Throwable t) {
        return switch (t) {
            case FuseException f -> f.errno();
            case NoSuchFileException e -> Errno.ENOENT;
            case AccessDeniedException e -> Errno.EACCES;
            case FileAlreadyExistsException e -> Errno.EEXIST;
            case DirectoryNotEmptyException e -> Errno.ENOTEMPTY;
            case NotDirectoryException e -> Errno.ENOTDIR;
            case NotLinkException e -> Errno.EINVAL;
            case FileSystemLoopException e -> Errno.ELOOP;
            case ReadOnlyFileSystemException e -> Errno.EROFS;
            case CancellationException e -> Errno.EINTR;
            case InterruptedException e -> Errno.EINTR;
            case ClosedByInterruptException e -> Errno.EINTR;
            case InterruptedIOException e -> Errno.EINTR;
            default -> null;
        };
    }
}
