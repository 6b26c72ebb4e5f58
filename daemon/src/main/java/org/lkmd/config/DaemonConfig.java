package org.lkmd.config;

import java.time.Duration;

/**
 * The daemon's settings ({@code /etc/lkmd/lkmd.toml}; a missing file means these defaults).
 *
 * @param coldplug      how devices present at start get their drivers
 * @param workers       event worker threads; 0 picks {@link #effectiveWorkers()}
 * @param queueCapacity events held before the netlink reader waits (back-pressure)
 * @param eventTimeout  after this an event still running is reported slow (it is never killed)
 * @param receiveBuffer netlink receive buffer in bytes
 * @param hookTimeout   how long an install/remove hook or RUN program may run before it is killed
 * @param logLevel      logback level name for the daemon's log
 */
public record DaemonConfig(ColdplugMode coldplug, int workers, int queueCapacity, Duration eventTimeout,
                           int receiveBuffer, Duration hookTimeout, String logLevel) {

    /** Coldplug modes: write {@code add} to every uevent file, read modalias files directly, or none. */
    public enum ColdplugMode {
        TRIGGER, SCAN, OFF
    }

    public static DaemonConfig defaults() {
        return new DaemonConfig(ColdplugMode.TRIGGER, 0, 8192, Duration.ofSeconds(180), 128 << 20,
                Duration.ofSeconds(30), "info");
    }

    /** Workers actually started: the setting, or min(2 x CPUs + 2, 16). */
    public int effectiveWorkers() {
        return workers > 0 ? workers : Math.min(2 * Runtime.getRuntime().availableProcessors() + 2, 16);
    }
}
