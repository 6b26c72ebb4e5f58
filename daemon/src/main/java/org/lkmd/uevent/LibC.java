package org.lkmd.uevent;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import org.lkmd.kernel.NativeC;

/**
 * The few libc calls the netlink listener and the notify socket ({@link UnixDatagramSender}) need,
 * with the Linux constants they take. Layouts (sockaddr_nl, sockaddr_un, msghdr, cmsghdr, ucred,
 * pollfd) are those of 64-bit Linux (x86_64, aarch64).
 * Package-private: JNA does not leave this package.
 */
interface LibC extends Library {
    LibC INSTANCE = NativeC.load(LibC.class);

    int AF_UNIX = 1;
    int AF_NETLINK = 16;
    int SOCK_DGRAM = 2;
    int SOCK_RAW = 3;
    int SOCK_CLOEXEC = 0x80000;
    int NETLINK_KOBJECT_UEVENT = 15;
    int SOL_SOCKET = 1;
    int SOL_NETLINK = 270;
    int NETLINK_ADD_MEMBERSHIP = 1;
    int SO_TYPE = 3;
    int SO_RCVBUF = 8;
    int SO_PASSCRED = 16;
    int SO_RCVBUFFORCE = 33;
    int SO_PROTOCOL = 38;
    int SO_DOMAIN = 39;
    int SCM_CREDENTIALS = 2;
    int MSG_TRUNC = 0x20;
    int MSG_DONTWAIT = 0x40;
    int MSG_NOSIGNAL = 0x4000;
    int EFD_NONBLOCK = 0x800;
    int EFD_CLOEXEC = 0x80000;
    int F_GETFD = 1;
    int F_SETFD = 2;
    int FD_CLOEXEC = 1;
    short POLLIN = 0x1;
    short POLLERR = 0x8;
    short POLLHUP = 0x10;
    short POLLNVAL = 0x20;

    /** sizeof(struct sockaddr_nl): family u16, pad u16, pid u32, groups u32. */
    int SOCKADDR_NL_SIZE = 12;
    /** sizeof(struct msghdr) on LP64. */
    int MSGHDR_SIZE = 56;
    /** sizeof(struct iovec) on LP64. */
    int IOVEC_SIZE = 16;
    /** sizeof(struct cmsghdr) on LP64 (len is size_t). */
    int CMSGHDR_SIZE = 16;
    /** sizeof(struct ucred): pid, uid, gid. */
    int UCRED_SIZE = 12;
    /** sizeof(struct sockaddr_un): family u16, then the path (NUL-terminated, or abstract: a leading NUL). */
    int SOCKADDR_UN_SIZE = 110;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int bind(int fd, Pointer addr, int len) throws LastErrorException;

    int setsockopt(int fd, int level, int name, Pointer value, int len) throws LastErrorException;

    int getsockopt(int fd, int level, int name, Pointer value, IntByReference len) throws LastErrorException;

    int getsockname(int fd, Pointer addr, IntByReference len) throws LastErrorException;

    long recvmsg(int fd, Pointer msghdr, int flags) throws LastErrorException;

    long sendto(int fd, Pointer buf, long len, int flags, Pointer addr, int addrlen) throws LastErrorException;

    int poll(Pointer fds, long nfds, int timeoutMillis) throws LastErrorException;

    int eventfd(int initval, int flags) throws LastErrorException;

    long write(int fd, Pointer buf, long count) throws LastErrorException;

    long read(int fd, Pointer buf, long count) throws LastErrorException;

    int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    int close(int fd) throws LastErrorException;
}
