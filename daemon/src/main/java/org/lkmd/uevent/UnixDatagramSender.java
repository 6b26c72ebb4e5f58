package org.lkmd.uevent;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A datagram socket that sends to one {@code AF_UNIX} address: systemd's {@code $NOTIFY_SOCKET}
 * (a path, or a name in the abstract namespace written with a leading {@code @}). Beside the netlink
 * socket because it is the same libc plumbing; the daemon's lifecycle uses it, so that no event loop
 * has to start before {@code READY=1}. Each send names the address, as systemd's own
 * {@code sd_notify()} does, so nothing is connected. Thread-safe.
 */
public final class UnixDatagramSender implements AutoCloseable {
    /** The longest path a {@code sockaddr_un} holds (108 bytes with its NUL). */
    static final int MAX_PATH = LibC.SOCKADDR_UN_SIZE - 2 - 1;

    private final int fd;
    private final Memory address;
    private final int addressLength;
    private boolean closed;

    private UnixDatagramSender(int fd, Memory address, int addressLength) {
        this.fd = fd;
        this.address = address;
        this.addressLength = addressLength;
    }

    /** A socket for {@code address} (a path, or {@code @name} for the abstract namespace). */
    public static UnixDatagramSender open(String address) throws IOException {
        byte[] name = address.getBytes(StandardCharsets.UTF_8);
        boolean abstractName = address.startsWith("@");
        if (name.length == 0 || (!abstractName && address.indexOf('\0') >= 0)) {
            throw new IOException("not a Unix socket address");
        }
        if (name.length > MAX_PATH) {
            throw new IOException("longer than a Unix socket address holds (" + MAX_PATH + " bytes)");
        }
        NetlinkSockets.checkPlatform();
        Memory addr = new Memory(LibC.SOCKADDR_UN_SIZE);
        addr.clear();
        addr.setShort(0, (short) LibC.AF_UNIX);
        addr.write(2, name, 0, name.length);
        int length = 2 + name.length;
        if (abstractName) {
            addr.setByte(2, (byte) 0); // the abstract namespace: no terminating NUL counted
        } else {
            length++; // the path's NUL, as systemd's own clients count it
        }
        int fd;
        try {
            fd = LibC.INSTANCE.socket(LibC.AF_UNIX, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw NetlinkSockets.io("socket(AF_UNIX)", e);
        }
        return new UnixDatagramSender(fd, addr, length);
    }

    /** Sends {@code data} as one datagram. Never after {@link #close()}: the fd number may be reused. */
    public synchronized void send(byte[] data) throws IOException {
        if (closed) {
            throw new IOException("socket closed");
        }
        Memory buf = new Memory(Math.max(1, data.length));
        buf.write(0, data, 0, data.length);
        try {
            LibC.INSTANCE.sendto(fd, buf, data.length, LibC.MSG_NOSIGNAL, address, addressLength);
        } catch (LastErrorException e) {
            throw NetlinkSockets.io("sendto", e);
        }
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            NetlinkSockets.closeQuietly(fd);
        }
    }
}
