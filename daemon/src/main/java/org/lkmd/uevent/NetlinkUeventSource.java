package org.lkmd.uevent;

import static org.lkmd.uevent.NetlinkSockets.boundGroups;
import static org.lkmd.uevent.NetlinkSockets.checkPlatform;
import static org.lkmd.uevent.NetlinkSockets.closeQuietly;
import static org.lkmd.uevent.NetlinkSockets.getInt;
import static org.lkmd.uevent.NetlinkSockets.io;
import static org.lkmd.uevent.NetlinkSockets.isKobjectUeventSocket;
import static org.lkmd.uevent.NetlinkSockets.setInt;
import static org.lkmd.uevent.NetlinkSockets.setReceiveBuffer;
import static org.lkmd.uevent.NetlinkSockets.sockaddrNl;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.ptr.IntByReference;
import org.lkmd.kernel.Errno;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's uevents, read from a {@code NETLINK_KOBJECT_UEVENT} socket bound to group 1.
 *
 * <h2>Trust</h2>
 * Any root process can send a datagram to group 1 or to this socket's port id, and the kernel
 * delivers it (CVE-2009-1185 class). Only the kernel is obeyed: a datagram is handed on only when
 * its sender port id ({@code nl_pid}) is 0 and it carries {@code SCM_CREDENTIALS} (requested with
 * {@code SO_PASSCRED}) with uid 0. Everything else is dropped and counted per {@link DropReason};
 * the first drop of each reason is logged at WARN, later ones at DEBUG. A datagram longer than the
 * message buffer ({@value UeventParser#MAX_SIZE} bytes by default) arrives with {@code MSG_TRUNC} and
 * is dropped; the rest of the checks are {@link UeventParser}'s.
 *
 * <h2>Overflow</h2>
 * The socket gets a large receive buffer (default 128 MiB, as udev: {@code SO_RCVBUFFORCE}, or
 * {@code SO_RCVBUF} capped by {@code net.core.rmem_max} without {@code CAP_NET_ADMIN}). When it is
 * full anyway the kernel drops events and the next read fails with {@code ENOBUFS}; that is passed
 * to {@link UeventSink#overflow()} (events are lost: rescan sysfs) and reading goes on.
 *
 * <h2>Threading and stop</h2>
 * One thread owns the socket: it calls {@link #run}, which loops {@code poll(2)} on the socket and
 * an {@code eventfd}, then drains the socket with non-blocking {@code recvmsg(2)}, checks, parses and
 * calls the sink. Nothing else touches the socket. {@link #stop()} (any thread) writes the eventfd,
 * which wakes {@code poll} at once, and interrupts the owner so a sink blocked on back-pressure
 * gives up too. {@link #close()} stops, waits for {@code run} to return and only then closes the
 * fds, so no fd number is ever reused under a thread still polling it. This was preferred to
 * "close the socket to wake the reader", which races with fd reuse and is not guaranteed to wake a
 * thread blocked in {@code recvmsg}.
 *
 * <h2>Socket activation</h2>
 * Under systemd ({@code lkmd-kernel.socket}: {@code ListenNetlink=kobject-uevent 1}) the socket
 * comes open in {@code LISTEN_FDS}: {@link #fromSocketActivation} picks the fd that really is a
 * kobject-uevent netlink socket and adopts it (CLOEXEC, {@code SO_PASSCRED}, group 1 membership,
 * receive buffer raised if smaller than asked).
 */
public final class NetlinkUeventSource implements UeventSource {
    private static final Logger log = LoggerFactory.getLogger(NetlinkUeventSource.class);

    /** udev's receive buffer size. */
    public static final int DEFAULT_RECEIVE_BUFFER = 128 * 1024 * 1024;
    /** The kernel's uevent multicast group. */
    public static final int KERNEL_GROUP = 1;
    private static final int CONTROL_SIZE = 64;

    /**
     * Socket settings.
     *
     * @param receiveBuffer requested kernel receive buffer in bytes ({@code SO_RCVBUF[FORCE]});
     *        0 leaves the kernel's value (socket activation: the unit's {@code ReceiveBuffer=})
     * @param messageBuffer bytes read per datagram; a longer datagram is {@link DropReason#TRUNCATED}
     * @param maxProperties bound passed to {@link UeventParser}
     */
    public record Options(int receiveBuffer, int messageBuffer, int maxProperties) {
        public static final Options DEFAULTS =
                new Options(DEFAULT_RECEIVE_BUFFER, UeventParser.MAX_SIZE, UeventParser.DEFAULT_MAX_PROPERTIES);

        public Options {
            if (receiveBuffer < 0 || messageBuffer < 1 || messageBuffer > UeventParser.MAX_SIZE) {
                throw new IllegalArgumentException("bad options " + receiveBuffer + "/" + messageBuffer);
            }
        }

        public Options withReceiveBuffer(int bytes) {
            return new Options(bytes, messageBuffer, maxProperties);
        }

        public Options withMessageBuffer(int bytes) {
            return new Options(receiveBuffer, bytes, maxProperties);
        }
    }

    private final LibC c = LibC.INSTANCE;
    private final int fd;
    private final int wakeFd;
    private final Options options;
    private final UeventParser parser;
    private final DropCounts drops = new DropCounts();
    private final AtomicLong overflows = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final ReentrantLock runLock = new ReentrantLock();
    private volatile Thread owner;
    private volatile boolean closed;

    private NetlinkUeventSource(int fd, Options options) throws IOException {
        this.fd = fd;
        this.options = options;
        this.parser = new UeventParser(options.maxProperties());
        try {
            this.wakeFd = c.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        } catch (LastErrorException e) {
            throw io("eventfd", e);
        }
    }

    /** A new socket bound to the kernel's group. */
    public static NetlinkUeventSource open(Options options) throws IOException {
        checkPlatform();
        LibC c = LibC.INSTANCE;
        int fd;
        try {
            fd = c.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_KOBJECT_UEVENT);
        } catch (LastErrorException e) {
            throw io("socket(AF_NETLINK, NETLINK_KOBJECT_UEVENT)", e);
        }
        try {
            setInt(fd, LibC.SOL_SOCKET, LibC.SO_PASSCRED, 1, "SO_PASSCRED");
            if (options.receiveBuffer() > 0) {
                setReceiveBuffer(fd, options.receiveBuffer());
            }
            Memory addr = sockaddrNl(0, KERNEL_GROUP);
            try {
                c.bind(fd, addr, LibC.SOCKADDR_NL_SIZE);
            } catch (LastErrorException e) {
                throw io("bind(group " + KERNEL_GROUP + ")", e);
            }
            return new NetlinkUeventSource(fd, options);
        } catch (IOException | RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
    }

    /**
     * Adopts an already open socket (from systemd). Fails, leaving the fd open, when it is not a
     * {@code NETLINK_KOBJECT_UEVENT} socket.
     */
    public static NetlinkUeventSource adopt(int fd, Options options) throws IOException {
        checkPlatform();
        if (!isKobjectUeventSocket(fd)) {
            throw new IOException("fd " + fd + " is not a NETLINK_KOBJECT_UEVENT socket");
        }
        LibC c = LibC.INSTANCE;
        try {
            c.fcntl(fd, LibC.F_SETFD, c.fcntl(fd, LibC.F_GETFD, 0) | LibC.FD_CLOEXEC);
        } catch (LastErrorException e) {
            throw io("fcntl(FD_CLOEXEC)", e);
        }
        setInt(fd, LibC.SOL_SOCKET, LibC.SO_PASSCRED, 1, "SO_PASSCRED");
        int granted = getInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF);
        if (options.receiveBuffer() > 0 && granted < options.receiveBuffer()) {
            setReceiveBuffer(fd, options.receiveBuffer());
        }
        if ((boundGroups(fd) & KERNEL_GROUP) == 0) {
            setInt(fd, LibC.SOL_NETLINK, LibC.NETLINK_ADD_MEMBERSHIP, KERNEL_GROUP,
                    "NETLINK_ADD_MEMBERSHIP");
        }
        return new NetlinkUeventSource(fd, options);
    }

    /**
     * The uevent socket passed by systemd, if {@code env} says fds were passed to this process and
     * one of them is a kobject-uevent netlink socket. Other passed fds are left alone.
     */
    public static Optional<NetlinkUeventSource> fromSocketActivation(Map<String, String> env, Options options)
            throws IOException {
        List<Integer> fds = SocketActivation.listenFds(env, ProcessHandle.current().pid());
        for (int candidate : fds) {
            if (isKobjectUeventSocket(candidate)) {
                log.info("Using uevent socket fd {} from socket activation", candidate);
                return Optional.of(adopt(candidate, options));
            }
        }
        return Optional.empty();
    }

    /** This socket's netlink port id (where a unicast to it must be addressed). */
    public int portId() throws IOException {
        Memory addr = new Memory(LibC.SOCKADDR_NL_SIZE);
        addr.clear();
        IntByReference len = new IntByReference(LibC.SOCKADDR_NL_SIZE);
        try {
            c.getsockname(fd, addr, len);
        } catch (LastErrorException e) {
            throw io("getsockname", e);
        }
        return addr.getInt(4);
    }

    /** The receive buffer the kernel granted (it reports twice the requested size). */
    public int receiveBufferSize() throws IOException {
        return getInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF);
    }

    /** The socket fd (for diagnostics). */
    public int fd() {
        return fd;
    }

    /** Datagrams read from the socket, whatever their fate. */
    public long received() {
        return received.get();
    }

    @Override
    public DropCounts drops() {
        return drops;
    }

    @Override
    public long overflows() {
        return overflows.get();
    }

    @Override
    public long delivered() {
        return delivered.get();
    }

    @Override
    public long taken() {
        return received.get();
    }

    /** A {@code poll(2)} of the socket with no wait, from any thread: it reads nothing. */
    @Override
    public java.util.Optional<Boolean> waiting() {
        if (closed) {
            return java.util.Optional.of(false);
        }
        try (Memory pfd = new Memory(8)) {
            pfd.setInt(0, fd);
            pfd.setShort(4, LibC.POLLIN);
            pfd.setShort(6, (short) 0);
            return java.util.Optional.of(c.poll(pfd, 1, 0) > 0 && (pfd.getShort(6) & LibC.POLLIN) != 0);
        } catch (LastErrorException e) {
            return java.util.Optional.empty();
        }
    }

    @Override
    public void run(UeventSink sink) throws IOException {
        if (!runLock.tryLock()) {
            throw new IllegalStateException("already running");
        }
        try {
            if (closed) {
                throw new IllegalStateException("closed");
            }
            owner = Thread.currentThread();
            loop(sink);
        } finally {
            owner = null;
            runLock.unlock();
        }
    }

    private void loop(UeventSink sink) throws IOException {
        Memory pollfds = new Memory(16);
        Memory buf = new Memory(options.messageBuffer());
        Memory addr = new Memory(LibC.SOCKADDR_NL_SIZE);
        Memory iov = new Memory(LibC.IOVEC_SIZE);
        Memory control = new Memory(CONTROL_SIZE);
        Memory msg = new Memory(LibC.MSGHDR_SIZE);
        iov.setPointer(0, buf);
        iov.setLong(8, buf.size());
        byte[] bytes = new byte[(int) buf.size()];

        while (!stopRequested.get() && !Thread.currentThread().isInterrupted()) {
            pollfds.setInt(0, fd);
            pollfds.setShort(4, LibC.POLLIN);
            pollfds.setShort(6, (short) 0);
            pollfds.setInt(8, wakeFd);
            pollfds.setShort(12, LibC.POLLIN);
            pollfds.setShort(14, (short) 0);
            try {
                c.poll(pollfds, 2, -1);
            } catch (LastErrorException e) {
                if (NetlinkSockets.errno(e) == Errno.EINTR) {
                    continue;
                }
                throw io("poll", e);
            }
            if (pollfds.getShort(14) != 0 || stopRequested.get()) {
                return;
            }
            short revents = pollfds.getShort(6);
            if ((revents & LibC.POLLNVAL) != 0) {
                throw new IOException("uevent socket fd " + fd + " is not open");
            }
            // Drain everything queued, then poll again. POLLERR carries ENOBUFS.
            while (!stopRequested.get()) {
                msg.clear();
                addr.clear();
                msg.setPointer(0, addr);
                msg.setInt(8, LibC.SOCKADDR_NL_SIZE);
                msg.setPointer(16, iov);
                msg.setLong(24, 1);
                msg.setPointer(32, control);
                msg.setLong(40, CONTROL_SIZE);
                long n;
                try {
                    n = c.recvmsg(fd, msg, LibC.MSG_DONTWAIT);
                } catch (LastErrorException e) {
                    Errno errno = NetlinkSockets.errno(e);
                    if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                        break;
                    }
                    if (errno == Errno.ENOBUFS) {
                        long lost = overflows.incrementAndGet();
                        log.warn("Kernel dropped uevents for this socket (ENOBUFS, overflow #{}), signalling a resync",
                                lost);
                        sink.overflow();
                        continue;
                    }
                    throw io("recvmsg", e);
                }
                received.incrementAndGet();
                DropReason reason = check(msg, addr, control);
                if (reason != null) {
                    dropped(reason, addr.getInt(4), addr.getInt(8), "");
                    continue;
                }
                int len = (int) n;
                buf.read(0, bytes, 0, len);
                UeventParser.Result r = parser.parse(bytes, 0, len);
                if (!r.accepted()) {
                    dropped(r.drop(), 0, addr.getInt(8), r.detail());
                    continue;
                }
                try {
                    sink.accept(r.event());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                delivered.incrementAndGet();
            }
        }
    }

    /** Reads the sender's port, credentials and truncation flag out of a received msghdr. */
    private static DropReason check(Memory msg, Memory addr, Memory control) {
        long controlLen = msg.getLong(40);
        OptionalInt uid = OptionalInt.empty();
        long off = 0;
        while (off + LibC.CMSGHDR_SIZE <= controlLen) {
            long cmsgLen = control.getLong(off);
            if (cmsgLen < LibC.CMSGHDR_SIZE || off + cmsgLen > controlLen) {
                break;
            }
            int level = control.getInt(off + 8);
            int type = control.getInt(off + 12);
            if (level == LibC.SOL_SOCKET && type == LibC.SCM_CREDENTIALS
                    && cmsgLen >= LibC.CMSGHDR_SIZE + LibC.UCRED_SIZE) {
                uid = OptionalInt.of(control.getInt(off + LibC.CMSGHDR_SIZE + 4));
            }
            off += (cmsgLen + 7) & ~7L;
        }
        return senderCheck(addr.getInt(4), uid, (msg.getInt(48) & LibC.MSG_TRUNC) != 0);
    }

    /**
     * The trust decision, in order of importance: a userspace sender first (whatever else is wrong
     * with it), then missing or non-root credentials, then truncation. Null when the datagram is the
     * kernel's and whole.
     *
     * @param nlPid the sender's netlink port id ({@code sockaddr_nl.nl_pid})
     * @param uid the {@code SCM_CREDENTIALS} uid, empty when none came
     */
    static DropReason senderCheck(int nlPid, OptionalInt uid, boolean truncated) {
        if (nlPid != 0) {
            return DropReason.FORGED_SENDER;
        }
        if (uid.isEmpty()) {
            return DropReason.NO_CREDENTIALS;
        }
        if (uid.getAsInt() != 0) {
            return DropReason.NON_ROOT_CREDENTIALS;
        }
        return truncated ? DropReason.TRUNCATED : null;
    }

    private void dropped(DropReason reason, int port, int groups, String detail) {
        String why = detail.isEmpty() ? reason.toString() : reason + " (" + detail + ")";
        boolean first = drops.get(reason) == 0;
        drops.increment(reason);
        if (first) {
            log.warn("Dropped uevent datagram from port {} (groups {}): {}, ignoring; further {} drops at DEBUG",
                    Integer.toUnsignedString(port), groups, why, reason);
        } else {
            log.debug("Dropped uevent datagram from port {} (groups {}): {}",
                    Integer.toUnsignedString(port), groups, why);
        }
    }

    @Override
    public void stop() {
        if (stopRequested.getAndSet(true) || closed) {
            return;
        }
        Memory one = new Memory(8);
        one.setLong(0, 1);
        try {
            c.write(wakeFd, one, 8);
        } catch (LastErrorException e) {
            // EAGAIN: the counter is already non-zero, the owner will wake anyway.
            log.debug("Failed to write the wake eventfd: {}, ignoring", NetlinkSockets.errno(e).text());
        }
        Thread t = owner;
        if (t != null) {
            t.interrupt();
        }
    }

    @Override
    public void close() {
        stop();
        runLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            closeQuietly(fd);
            closeQuietly(wakeFd);
        } finally {
            runLock.unlock();
        }
    }
}
