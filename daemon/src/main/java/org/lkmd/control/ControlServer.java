package org.lkmd.control;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The control socket: a Unix stream socket on netty's epoll transport, mode 0600, serving
 * {@link ControlCodec}'s protocol. Threads: one event loop owns every connection; the few
 * requests that block (reload, explain) run on a small pool so the loop, and with it monitor
 * streams, never waits. The daemon's event handling does not depend on this server at all.
 *
 * <p>Every connection's peer credentials ({@code SO_PEERCRED}) are checked first: anything but
 * uid 0 gets an error line, is logged and closed.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);

    /**
     * @param maxClients connections served at once; more get an error and are closed
     * @param idle       a connection that sends nothing this long (and is not monitoring or waiting) is closed
     * @param maxRequest longest request line in bytes
     */
    public record Limits(int maxClients, Duration idle, int maxRequest) {
        public static Limits defaults() {
            return new Limits(64, Duration.ofSeconds(60), ControlCodec.MAX_REQUEST);
        }
    }

    private final Path path;
    private final EpollEventLoopGroup group;
    private final Channel server;
    private final ExecutorService blocking;

    private ControlServer(Path path, EpollEventLoopGroup group, Channel server, ExecutorService blocking) {
        this.path = path;
        this.group = group;
        this.server = server;
        this.blocking = blocking;
    }

    /** Binds {@code path} (a stale socket file there is replaced) and starts serving. */
    public static ControlServer start(Path path, ControlService service, Limits limits) throws IOException {
        if (!io.netty.channel.epoll.Epoll.isAvailable()) {
            // e.g. a minimal system without the C library pieces netty's native transport links to
            throw new IOException("netty's epoll transport is unavailable: " + io.netty.channel.epoll.Epoll.unavailabilityCause());
        }
        Files.createDirectories(path.getParent());
        Files.deleteIfExists(path);
        EpollEventLoopGroup group = new EpollEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "lkmd-control");
            t.setDaemon(true);
            return t;
        });
        ThreadPoolExecutor blocking = new ThreadPoolExecutor(1, 2, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(256), r -> {
                    Thread t = new Thread(r, "lkmd-control-work");
                    t.setDaemon(true);
                    return t;
                });
        AtomicInteger clients = new AtomicInteger();
        try {
            Channel ch = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 << 10, 1 << 20))
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel c) {
                            c.pipeline().addLast(
                                    new IdleStateHandler(limits.idle().toMillis(), 0, 0, TimeUnit.MILLISECONDS),
                                    new LineBasedFrameDecoder(limits.maxRequest(), true, true),
                                    new StringDecoder(StandardCharsets.UTF_8),
                                    new StringEncoder(StandardCharsets.UTF_8),
                                    new ControlHandler(service, blocking, clients, limits));
                        }
                    })
                    .bind(new DomainSocketAddress(path.toString())).syncUninterruptibly().channel();
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            log.info("Listening for control requests on {}", path);
            ControlServer s = new ControlServer(path, group, ch, blocking);
            return s;
        } catch (RuntimeException | IOException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            blocking.shutdownNow();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public void close() {
        // bounded: with its event loop gone (a thread killed by an Error) these futures never
        // complete, and the daemon must still stop
        if (!server.close().awaitUninterruptibly(5, TimeUnit.SECONDS)) {
            log.warn("Failed to close the control socket {} within 5 s, ignoring", path);
        }
        if (!group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS)) {
            log.warn("Failed to stop the control socket's event loop within 5 s, ignoring");
        }
        blocking.shutdownNow();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("Failed to remove {}: {}, ignoring", path, e.getMessage());
        }
    }
}
