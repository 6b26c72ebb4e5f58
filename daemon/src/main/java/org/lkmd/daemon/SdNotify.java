package org.lkmd.daemon;

import org.lkmd.uevent.UnixDatagramSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * systemd's notification protocol: datagrams such as {@code READY=1}, {@code STATUS=...},
 * {@code RELOADING=1}, {@code STOPPING=1}, {@code WATCHDOG=1} sent to {@code $NOTIFY_SOCKET}
 * (a Unix datagram socket; a leading '@' names the abstract namespace). Without the variable
 * every call does nothing, so the daemon runs the same outside systemd. Thread-safe. The datagrams
 * go through a plain libc socket ({@link UnixDatagramSender}), not netty: the first one is sent
 * before coldplug, and an event loop there would load some 450 classes on the boot's critical path.
 */
public final class SdNotify implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SdNotify.class);

    private final UnixDatagramSender socket;
    private final Duration watchdog;

    private SdNotify(UnixDatagramSender socket, Duration watchdog) {
        this.socket = socket;
        this.watchdog = watchdog;
    }

    /** A notifier for {@code $NOTIFY_SOCKET} and {@code $WATCHDOG_USEC} from the environment. */
    public static SdNotify fromEnvironment(Map<String, String> env) {
        String socket = env.get("NOTIFY_SOCKET");
        Duration watchdog = watchdogInterval(env);
        if (socket == null || socket.isEmpty()) {
            return new SdNotify(null, watchdog);
        }
        try {
            return new SdNotify(UnixDatagramSender.open(socket), watchdog);
        } catch (IOException | LinkageError e) {
            log.warn("Failed to open notify socket {}: {}, ignoring", socket, e.getMessage());
            return new SdNotify(null, watchdog);
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
        return socket != null;
    }

    /** Sends one state datagram ("READY=1\nSTATUS=..."); failures are logged, never thrown. */
    public void send(String state) {
        if (socket == null) {
            return;
        }
        try {
            socket.send(state.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.warn("Failed to notify systemd ({}): {}, ignoring", state.replace('\n', ' '), e.toString());
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            socket.close();
        }
    }
}
