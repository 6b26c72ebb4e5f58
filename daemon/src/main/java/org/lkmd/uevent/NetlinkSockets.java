package org.lkmd.uevent;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.ptr.IntByReference;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.KernelException;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Socket plumbing for {@link NetlinkUeventSource}: netlink addresses, integer socket options, the
 * receive-buffer fallback, fd checks. errno becomes an {@link IOException} here, once.
 */
final class NetlinkSockets {
    private static final Logger log = LoggerFactory.getLogger(NetlinkSockets.class);
    private static final LibC C = LibC.INSTANCE;

    private NetlinkSockets() {
    }

    /** True when {@code fd} is an {@code AF_NETLINK}/{@code NETLINK_KOBJECT_UEVENT} socket. */
    static boolean isKobjectUeventSocket(int fd) {
        try {
            return getInt(fd, LibC.SOL_SOCKET, LibC.SO_DOMAIN) == LibC.AF_NETLINK
                    && getInt(fd, LibC.SOL_SOCKET, LibC.SO_PROTOCOL) == LibC.NETLINK_KOBJECT_UEVENT;
        } catch (IOException e) {
            return false; // ENOTSOCK, EBADF: not ours
        }
    }


    static Memory sockaddrNl(int pid, int groups) {
        Memory addr = new Memory(LibC.SOCKADDR_NL_SIZE);
        addr.clear();
        addr.setShort(0, (short) LibC.AF_NETLINK);
        addr.setInt(4, pid);
        addr.setInt(8, groups);
        return addr;
    }

    static void setReceiveBuffer(int fd, int bytes) throws IOException {
        try {
            setInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, bytes, "SO_RCVBUFFORCE");
        } catch (IOException e) {
            // Without CAP_NET_ADMIN: the plain option, capped by net.core.rmem_max.
            log.debug("Failed to force the receive buffer to {}: {}, trying SO_RCVBUF", bytes, e.getMessage());
            setInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, bytes, "SO_RCVBUF");
        }
    }

    static int boundGroups(int fd) throws IOException {
        Memory addr = new Memory(LibC.SOCKADDR_NL_SIZE);
        addr.clear();
        IntByReference len = new IntByReference(LibC.SOCKADDR_NL_SIZE);
        try {
            C.getsockname(fd, addr, len);
        } catch (LastErrorException e) {
            throw io("getsockname", e);
        }
        return addr.getInt(8);
    }

    static void setInt(int fd, int level, int name, int value, String what) throws IOException {
        Memory v = new Memory(4);
        v.setInt(0, value);
        try {
            C.setsockopt(fd, level, name, v, 4);
        } catch (LastErrorException e) {
            throw io("setsockopt(" + what + ")", e);
        }
    }

    static int getInt(int fd, int level, int name) throws IOException {
        Memory v = new Memory(4);
        v.setInt(0, 0);
        IntByReference len = new IntByReference(4);
        try {
            C.getsockopt(fd, level, name, v, len);
        } catch (LastErrorException e) {
            throw io("getsockopt(" + name + ")", e);
        }
        return v.getInt(0);
    }

    static void closeQuietly(int fd) {
        try {
            C.close(fd);
        } catch (LastErrorException e) {
            log.debug("Failed to close fd {}: {}, ignoring", fd, errno(e).text());
        }
    }

    /**
     * A failed libc call as an {@link IOException} worded by the kernel package's errno table
     * ({@code recvmsg: ENOBUFS (No buffer space available)}); the {@link KernelException} is its
     * cause, so callers can still read the errno.
     */
    static IOException io(String what, LastErrorException e) {
        KernelException k = new KernelException(errno(e), what);
        return new IOException(k.getMessage(), k);
    }

    /** The errno a libc call failed with. */
    static Errno errno(LastErrorException e) {
        return Errno.of(e.getErrorCode());
    }

    static void checkPlatform() throws IOException {
        if (Native.POINTER_SIZE != 8 || Native.LONG_SIZE != 8) {
            throw new IOException("netlink uevent source needs a 64-bit Linux (LP64) runtime");
        }
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            throw new IOException("netlink uevent source needs Linux");
        }
    }
}
