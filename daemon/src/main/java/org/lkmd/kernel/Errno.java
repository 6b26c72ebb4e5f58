package org.lkmd.kernel;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An errno from a system call, with glibc's {@code strerror} text. The values lkmd meets at the
 * kernel edge (module calls, netlink sockets) have names ({@link #EEXIST}); {@link #of} returns
 * those very instances, so they compare with {@code ==}. Any other number is kept, not folded
 * into another errno: it reads {@code errno 523 (Unknown error 523)}, as {@code strerror} says.
 * Immutable.
 */
public final class Errno {
    public static final Errno EPERM = new Errno(1, "EPERM", "Operation not permitted");
    public static final Errno ENOENT = new Errno(2, "ENOENT", "No such file or directory");
    public static final Errno ESRCH = new Errno(3, "ESRCH", "No such process");
    public static final Errno EINTR = new Errno(4, "EINTR", "Interrupted system call");
    public static final Errno EIO = new Errno(5, "EIO", "Input/output error");
    public static final Errno ENXIO = new Errno(6, "ENXIO", "No such device or address");
    public static final Errno E2BIG = new Errno(7, "E2BIG", "Argument list too long");
    public static final Errno ENOEXEC = new Errno(8, "ENOEXEC", "Exec format error");
    public static final Errno EBADF = new Errno(9, "EBADF", "Bad file descriptor");
    public static final Errno EAGAIN = new Errno(11, "EAGAIN", "Resource temporarily unavailable");
    public static final Errno ENOMEM = new Errno(12, "ENOMEM", "Cannot allocate memory");
    public static final Errno EACCES = new Errno(13, "EACCES", "Permission denied");
    public static final Errno EFAULT = new Errno(14, "EFAULT", "Bad address");
    public static final Errno EBUSY = new Errno(16, "EBUSY", "Device or resource busy");
    public static final Errno EEXIST = new Errno(17, "EEXIST", "File exists");
    public static final Errno ENODEV = new Errno(19, "ENODEV", "No such device");
    public static final Errno ENOTDIR = new Errno(20, "ENOTDIR", "Not a directory");
    public static final Errno EISDIR = new Errno(21, "EISDIR", "Is a directory");
    public static final Errno EINVAL = new Errno(22, "EINVAL", "Invalid argument");
    public static final Errno ENFILE = new Errno(23, "ENFILE", "Too many open files in system");
    public static final Errno EMFILE = new Errno(24, "EMFILE", "Too many open files");
    public static final Errno ETXTBSY = new Errno(26, "ETXTBSY", "Text file busy");
    public static final Errno EFBIG = new Errno(27, "EFBIG", "File too large");
    public static final Errno ENOSPC = new Errno(28, "ENOSPC", "No space left on device");
    public static final Errno EROFS = new Errno(30, "EROFS", "Read-only file system");
    public static final Errno ERANGE = new Errno(34, "ERANGE", "Numerical result out of range");
    public static final Errno ENAMETOOLONG = new Errno(36, "ENAMETOOLONG", "File name too long");
    public static final Errno ENOSYS = new Errno(38, "ENOSYS", "Function not implemented");
    public static final Errno ELOOP = new Errno(40, "ELOOP", "Too many levels of symbolic links");
    public static final Errno ENODATA = new Errno(61, "ENODATA", "No data available");
    public static final Errno EBADMSG = new Errno(74, "EBADMSG", "Bad message");
    public static final Errno ENOTSOCK = new Errno(88, "ENOTSOCK", "Socket operation on non-socket");
    public static final Errno EPROTONOSUPPORT = new Errno(93, "EPROTONOSUPPORT", "Protocol not supported");
    public static final Errno EOPNOTSUPP = new Errno(95, "EOPNOTSUPP", "Operation not supported");
    public static final Errno EAFNOSUPPORT = new Errno(97, "EAFNOSUPPORT", "Address family not supported by protocol");
    public static final Errno ENOBUFS = new Errno(105, "ENOBUFS", "No buffer space available");
    public static final Errno ETIMEDOUT = new Errno(110, "ETIMEDOUT", "Connection timed out");
    public static final Errno ECONNREFUSED = new Errno(111, "ECONNREFUSED", "Connection refused");
    public static final Errno ENOKEY = new Errno(126, "ENOKEY", "Required key not available");
    public static final Errno EKEYREJECTED = new Errno(129, "EKEYREJECTED", "Key was rejected by service");

    private static final Map<Integer, Errno> KNOWN = List.of(
            EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, ENOEXEC, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT,
            EBUSY, EEXIST, ENODEV, ENOTDIR, EISDIR, EINVAL, ENFILE, EMFILE, ETXTBSY, EFBIG, ENOSPC, EROFS,
            ERANGE, ENAMETOOLONG, ENOSYS, ELOOP, ENODATA, EBADMSG, ENOTSOCK, EPROTONOSUPPORT, EOPNOTSUPP,
            EAFNOSUPPORT, ENOBUFS, ETIMEDOUT, ECONNREFUSED, ENOKEY, EKEYREJECTED).stream().collect(Collectors.toUnmodifiableMap(Errno::code, Function.identity()));

    private final int code;
    private final String name;
    private final String text;

    private Errno(int code, String name, String text) {
        this.code = code;
        this.name = name;
        this.text = text;
    }

    /** The number, as the kernel returns it (positive). */
    public int code() {
        return code;
    }

    /** The symbolic name ({@code ENOENT}), or {@code errno N} for a number lkmd has no name for. */
    public String name() {
        return name;
    }

    /** The C library's description, as {@code strerror(3)} gives it. */
    public String text() {
        return text;
    }

    /** The errno for a numeric code: the named instance, or one that keeps an unknown number. */
    public static Errno of(int code) {
        Errno e = KNOWN.get(code);
        return e != null ? e : new Errno(code, "errno " + code, "Unknown error " + code);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Errno e && e.code == code;
    }

    @Override
    public int hashCode() {
        return code;
    }

    @Override
    public String toString() {
        return name;
    }
}
