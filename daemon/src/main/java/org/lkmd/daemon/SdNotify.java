package org.lkmd.daemon;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * systemd's notification protocol: datagrams such as {@code READY=1}, {@code STATUS=...},
 * {@code RELOADING=1}, {@code STOPPING=1}, {@code WATCHDOG=1} sent to {@code $NOTIFY_SOCKET}
 * (a Unix datagram socket; a leading '@' names the abstract namespace). Without the variable
 * every call does nothing, so the daemon runs the same outside systemd. Thread-safe.
 */
public final class SdNotify implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SdNotify.class);

    private final EpollEventLoopGroup group;
    private final Channel channel;
    private final Duration watchdog;

    private SdNotify(EpollEventLoopGroup group, Channel channel, Duration watchdog) {
        this.group = group;
        this.channel = channel;
        this.watchdog = watchdog;
    }

    /** A notifier for {@code $NOTIFY_SOCKET} and {@code $WATCHDOG_USEC} from the environment. */
    public static SdNotify fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        Duration watchdog = watchdogInterval(env);
        if (socket == null || socket.isEmpty()) {
            return new SdNotify(null, null, watchdog);
        }
        if (!Epoll.isAvailable()) {
            log.warn("Failed to notify systemd: epoll transport unavailable ({}), ignoring",
                    Epoll.unavailabilityCause().toString());
            return new SdNotify(null, null, watchdog);
        }
        String path = socket.startsWith("@") ? "\0" + socket.substring(1) : socket;
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        try {
            Channel ch = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(new DomainSocketAddress(path)).syncUninterruptibly().channel();
            return new SdNotify(group, ch, watchdog);
        } catch (RuntimeException e) {
            group.shutdownGracefully();
            log.warn("Failed to open notify socket {}: {}, ignoring", socket, e.toString());
            return new SdNotify(null, null, watchdog);
        }
    }

    /** How often to send {@code WATCHDOG=1}: half of {@code $WATCHDOG_USEC}, when it is meant for us. */
    static Duration watchdogInterval(Map<String, String> env) {
        String usec = env.get("WATCHDOG_USEC");
        String pid = env.get("WATCHDOG_PID");
        if (usec == null || (pid != null && !pid.equals(Long.toString(ProcessHandle.current().pid())))) {
            return null;
        }
        try {
            long u = Long.parseLong(usec.trim());
            return u > 0 ? Duration.ofNanos(u * 1000 / 2) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The watchdog keep-alive interval, if systemd asked for one. */
    public Optional<Duration> watchdog() {
        return Optional.ofNullable(watchdog);
    }

    public boolean enabled() {
        return channel != null;
    }

    /** Sends one state datagram ("READY=1\nSTATUS=..."); failures are logged, never thrown. */
    public void send(String state) {
        if (channel == null) {
            return;
        }
        try {
            channel.writeAndFlush(Unpooled.wrappedBuffer(state.getBytes(StandardCharsets.UTF_8))).sync();
        } catch (Exception e) {
            log.warn("Failed to notify systemd ({}): {}, ignoring", state.replace('\n', ' '), e.toString());
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
