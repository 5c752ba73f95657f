package dev.jfuser;

/**
 * A POSIX error number, the currency of failure in FUSE: every reply carries either a result or an errno.
 *
 * <p>Values are the positive Linux codes ({@code Errno.ENOENT.code() == 2}); the protocol negates them on the wire.
 * Throw {@code new FuseException(Errno.ENOENT)} from a {@link Filesystem} method, or complete an
 * {@link AsyncFilesystem} stage with it, to answer that error. Codes without a named constant are available
 * through {@link #of(int)}.
 */
public final class Errno {
    private static final Errno[] KNOWN = new Errno[134];

    /** Operation not permitted. */
    public static final Errno EPERM = define(1, "EPERM", "Operation not permitted");
    /** No such file or directory. */
    public static final Errno ENOENT = define(2, "ENOENT", "No such file or directory");
    /** No such process. */
    public static final Errno ESRCH = define(3, "ESRCH", "No such process");
    /** Interrupted system call. */
    public static final Errno EINTR = define(4, "EINTR", "Interrupted system call");
    /** Input/output error. */
    public static final Errno EIO = define(5, "EIO", "Input/output error");
    /** No such device or address. */
    public static final Errno ENXIO = define(6, "ENXIO", "No such device or address");
    /** Argument list too long. */
    public static final Errno E2BIG = define(7, "E2BIG", "Argument list too long");
    /** Exec format error. */
    public static final Errno ENOEXEC = define(8, "ENOEXEC", "Exec format error");
    /** Bad file descriptor. */
    public static final Errno EBADF = define(9, "EBADF", "Bad file descriptor");
    /** No child processes. */
    public static final Errno ECHILD = define(10, "ECHILD", "No child processes");
    /** Resource temporarily unavailable. */
    public static final Errno EAGAIN = define(11, "EAGAIN", "Resource temporarily unavailable");
    /** Cannot allocate memory. */
    public static final Errno ENOMEM = define(12, "ENOMEM", "Cannot allocate memory");
    /** Permission denied. */
    public static final Errno EACCES = define(13, "EACCES", "Permission denied");
    /** Bad address. */
    public static final Errno EFAULT = define(14, "EFAULT", "Bad address");
    /** Block device required. */
    public static final Errno ENOTBLK = define(15, "ENOTBLK", "Block device required");
    /** Device or resource busy. */
    public static final Errno EBUSY = define(16, "EBUSY", "Device or resource busy");
    /** File exists. */
    public static final Errno EEXIST = define(17, "EEXIST", "File exists");
    /** Invalid cross-device link. */
    public static final Errno EXDEV = define(18, "EXDEV", "Invalid cross-device link");
    /** No such device. */
    public static final Errno ENODEV = define(19, "ENODEV", "No such device");
    /** Not a directory. */
    public static final Errno ENOTDIR = define(20, "ENOTDIR", "Not a directory");
    /** Is a directory. */
    public static final Errno EISDIR = define(21, "EISDIR", "Is a directory");
    /** Invalid argument. */
    public static final Errno EINVAL = define(22, "EINVAL", "Invalid argument");
    /** Too many open files in system. */
    public static final Errno ENFILE = define(23, "ENFILE", "Too many open files in system");
    /** Too many open files. */
    public static final Errno EMFILE = define(24, "EMFILE", "Too many open files");
    /** Inappropriate ioctl for device. */
    public static final Errno ENOTTY = define(25, "ENOTTY", "Inappropriate ioctl for device");
    /** Text file busy. */
    public static final Errno ETXTBSY = define(26, "ETXTBSY", "Text file busy");
    /** File too large. */
    public static final Errno EFBIG = define(27, "EFBIG", "File too large");
    /** No space left on device. */
    public static final Errno ENOSPC = define(28, "ENOSPC", "No space left on device");
    /** Illegal seek. */
    public static final Errno ESPIPE = define(29, "ESPIPE", "Illegal seek");
    /** Read-only file system. */
    public static final Errno EROFS = define(30, "EROFS", "Read-only file system");
    /** Too many links. */
    public static final Errno EMLINK = define(31, "EMLINK", "Too many links");
    /** Broken pipe. */
    public static final Errno EPIPE = define(32, "EPIPE", "Broken pipe");
    /** Numerical argument out of domain. */
    public static final Errno EDOM = define(33, "EDOM", "Numerical argument out of domain");
    /** Numerical result out of range. */
    public static final Errno ERANGE = define(34, "ERANGE", "Numerical result out of range");
    /** Resource deadlock avoided. */
    public static final Errno EDEADLK = define(35, "EDEADLK", "Resource deadlock avoided");
    /** File name too long. */
    public static final Errno ENAMETOOLONG = define(36, "ENAMETOOLONG", "File name too long");
    /** No locks available. */
    public static final Errno ENOLCK = define(37, "ENOLCK", "No locks available");
    /** Function not implemented. */
    public static final Errno ENOSYS = define(38, "ENOSYS", "Function not implemented");
    /** Directory not empty. */
    public static final Errno ENOTEMPTY = define(39, "ENOTEMPTY", "Directory not empty");
    /** Too many levels of symbolic links. */
    public static final Errno ELOOP = define(40, "ELOOP", "Too many levels of symbolic links");
    /** No message of desired type. */
    public static final Errno ENOMSG = define(42, "ENOMSG", "No message of desired type");
    /** Identifier removed. */
    public static final Errno EIDRM = define(43, "EIDRM", "Identifier removed");
    /** Device not a stream. */
    public static final Errno ENOSTR = define(60, "ENOSTR", "Device not a stream");
    /** No data available. */
    public static final Errno ENODATA = define(61, "ENODATA", "No data available");
    /** Timer expired. */
    public static final Errno ETIME = define(62, "ETIME", "Timer expired");
    /** Link has been severed. */
    public static final Errno ENOLINK = define(67, "ENOLINK", "Link has been severed");
    /** Protocol error. */
    public static final Errno EPROTO = define(71, "EPROTO", "Protocol error");
    /** Bad message. */
    public static final Errno EBADMSG = define(74, "EBADMSG", "Bad message");
    /** Value too large for defined data type. */
    public static final Errno EOVERFLOW = define(75, "EOVERFLOW", "Value too large for defined data type");
    /** Invalid or incomplete multibyte or wide character. */
    public static final Errno EILSEQ = define(84, "EILSEQ", "Invalid or incomplete multibyte or wide character");
    /** Too many users. */
    public static final Errno EUSERS = define(87, "EUSERS", "Too many users");
    /** Socket operation on non-socket. */
    public static final Errno ENOTSOCK = define(88, "ENOTSOCK", "Socket operation on non-socket");
    /** Message too long. */
    public static final Errno EMSGSIZE = define(90, "EMSGSIZE", "Message too long");
    /** Protocol not supported. */
    public static final Errno EPROTONOSUPPORT = define(93, "EPROTONOSUPPORT", "Protocol not supported");
    /** Operation not supported. */
    public static final Errno EOPNOTSUPP = define(95, "EOPNOTSUPP", "Operation not supported");
    /** Address family not supported by protocol. */
    public static final Errno EAFNOSUPPORT = define(97, "EAFNOSUPPORT", "Address family not supported by protocol");
    /** Address already in use. */
    public static final Errno EADDRINUSE = define(98, "EADDRINUSE", "Address already in use");
    /** Network is down. */
    public static final Errno ENETDOWN = define(100, "ENETDOWN", "Network is down");
    /** Network is unreachable. */
    public static final Errno ENETUNREACH = define(101, "ENETUNREACH", "Network is unreachable");
    /** Software caused connection abort. */
    public static final Errno ECONNABORTED = define(103, "ECONNABORTED", "Software caused connection abort");
    /** Connection reset by peer. */
    public static final Errno ECONNRESET = define(104, "ECONNRESET", "Connection reset by peer");
    /** No buffer space available. */
    public static final Errno ENOBUFS = define(105, "ENOBUFS", "No buffer space available");
    /** Transport endpoint is already connected. */
    public static final Errno EISCONN = define(106, "EISCONN", "Transport endpoint is already connected");
    /** Transport endpoint is not connected. */
    public static final Errno ENOTCONN = define(107, "ENOTCONN", "Transport endpoint is not connected");
    /** Connection timed out. */
    public static final Errno ETIMEDOUT = define(110, "ETIMEDOUT", "Connection timed out");
    /** Connection refused. */
    public static final Errno ECONNREFUSED = define(111, "ECONNREFUSED", "Connection refused");
    /** Host is down. */
    public static final Errno EHOSTDOWN = define(112, "EHOSTDOWN", "Host is down");
    /** No route to host. */
    public static final Errno EHOSTUNREACH = define(113, "EHOSTUNREACH", "No route to host");
    /** Operation already in progress. */
    public static final Errno EALREADY = define(114, "EALREADY", "Operation already in progress");
    /** Operation now in progress. */
    public static final Errno EINPROGRESS = define(115, "EINPROGRESS", "Operation now in progress");
    /** Stale file handle. */
    public static final Errno ESTALE = define(116, "ESTALE", "Stale file handle");
    /** Remote I/O error. */
    public static final Errno EREMOTEIO = define(121, "EREMOTEIO", "Remote I/O error");
    /** Disk quota exceeded. */
    public static final Errno EDQUOT = define(122, "EDQUOT", "Disk quota exceeded");
    /** Operation canceled. */
    public static final Errno ECANCELED = define(125, "ECANCELED", "Operation canceled");
    /** Owner died. */
    public static final Errno EOWNERDEAD = define(130, "EOWNERDEAD", "Owner died");
    /** Same code as {@link #ENODATA}: "attribute not found" for xattr calls. */
    public static final Errno ENOATTR = ENODATA;
    /** Same code as {@link #EOPNOTSUPP} on Linux. */
    public static final Errno ENOTSUP = EOPNOTSUPP;
    /** Same code as {@link #EAGAIN} on Linux. */
    public static final Errno EWOULDBLOCK = EAGAIN;

    private final int code;
    private final String name;
    private final String description;

    private Errno(int code, String name, String description) {
        this.code = code;
        this.name = name;
        this.description = description;
    }

    private static Errno define(int code, String name, String description) {
        Errno e = new Errno(code, name, description);
        KNOWN[code] = e;
        return e;
    }

    /**
     * The errno with this positive code; a named constant where one exists.
     *
     * @param code the positive errno number
     * @return the errno
     * @throws IllegalArgumentException if {@code code} is not in 1..4095 (the range Linux reserves for errors)
     */
    public static Errno of(int code) {
        if (code <= 0 || code >= 4096) {
            throw new IllegalArgumentException("errno must be a positive code below 4096, got " + code);
        }
        Errno known = code < KNOWN.length ? KNOWN[code] : null;
        return known != null ? known : new Errno(code, "E" + code, "Unknown error " + code);
    }

    /**
     * The positive error code.
     *
     * @return the positive error code
     */
    public int code() {
        return code;
    }

    /**
     * The symbolic name, e.g. {@code "ENOENT"}.
     *
     * @return the name of the constant in {@code <errno.h>}
     */
    public String name() {
        return name;
    }

    /**
     * The C library's description, e.g. {@code "No such file or directory"}.
     *
     * @return the description {@code strerror(3)} gives
     */
    public String description() {
        return description;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Errno e && e.code == code;
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(code);
    }

    /** {@code "ENOENT (No such file or directory)"}. */
    @Override
    public String toString() {
        return name + " (" + description + ")";
    }
}
