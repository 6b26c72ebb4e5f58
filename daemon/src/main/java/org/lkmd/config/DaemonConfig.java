package org.lkmd.config;

import java.time.Duration;
import java.util.List;

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
 * @param reload        live reload: file watching and index rebuilds
 * @param autoclean     unloading of idle modules lkmd loaded (off by default)
 */
public record DaemonConfig(ColdplugMode coldplug, int workers, int queueCapacity, Duration eventTimeout,
                           int receiveBuffer, Duration hookTimeout, String logLevel, Reload reload,
                           Autoclean autoclean) {

    /** The settings before {@code [reload]} and {@code [autoclean]} existed; those take their defaults. */
    public DaemonConfig(ColdplugMode coldplug, int workers, int queueCapacity, Duration eventTimeout,
                        int receiveBuffer, Duration hookTimeout, String logLevel) {
        this(coldplug, workers, queueCapacity, eventTimeout, receiveBuffer, hookTimeout, logLevel,
                Reload.defaults(), Autoclean.defaults());
    }

    /**
     * {@code [reload]}.
     *
     * @param watch        watch the rules, modprobe.d, {@code /etc/lkmd} and module directories and reload on change
     * @param rebuildIndex rebuild a missing or stale module index with lkmd's depmod before reloading
     * @param debounce     how long the files must stay quiet before a reload starts
     */
    public record Reload(boolean watch, boolean rebuildIndex, Duration debounce) {
        public static Reload defaults() {
            return new Reload(true, true, Duration.ofMillis(500));
        }
    }

    /**
     * {@code [autoclean]}.
     *
     * @param enabled unload idle modules at all
     * @param idle    how long a module must have had no users before it is unloaded
     * @param keep    module names never unloaded
     */
    public record Autoclean(boolean enabled, Duration idle, List<String> keep) {
        public Autoclean {
            keep = List.copyOf(keep);
        }

        public static Autoclean defaults() {
            return new Autoclean(false, Duration.ofMinutes(30), List.of());
        }
    }

    /** Coldplug modes: write {@code add} to every uevent file, read modalias files directly, or none. */
    public enum ColdplugMode {
        TRIGGER, SCAN, OFF
    }

    public static DaemonConfig defaults() {
        return new DaemonConfig(ColdplugMode.SCAN, 0, 8192, Duration.ofSeconds(180), 128 << 20,
                Duration.ofSeconds(30), "info", Reload.defaults(), Autoclean.defaults());
    }

    /** Workers actually started: the setting, or min(2 x CPUs + 2, 16). */
    public int effectiveWorkers() {
        return workers > 0 ? workers : Math.min(2 * Runtime.getRuntime().availableProcessors() + 2, 16);
    }
}
