package org.lkmd.daemon;

import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Root;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Live reload: watches the directories a snapshot is built from ({@link SourceStamps#dirs}),
 * waits until they have been quiet for the debounce time, then, if asked to and the module directory
 * changed, rebuilds a module index that is missing or stale ({@link IndexRepair}), and calls
 * the daemon's reload (which builds the new snapshot aside and swaps it whole, or keeps the old
 * one and reports file:line). Directories that do not exist yet are looked for again every few
 * seconds. One thread, {@code lkmd-watch}; the watch is not recursive, so a module copied into
 * a subdirectory of {@code /lib/modules/<release>} is noticed when the index files change
 * (package managers run depmod) or at the next reload.
 */
public final class Reloader implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Reloader.class);
    private static final long RESCAN_DIRS_MS = 5000;

    private final Root root;
    private final Path modulesDir;
    private final Path configFile;
    /** The directories watched: fixed by the root, the module directory and the config file. */
    private final List<Path> dirs;
    private final String release;
    private final DaemonConfig.Reload config;
    private final Runnable reload;
    private final IndexRepair index;
    private final WatchService watch;
    private final Map<WatchKey, Path> keys = new HashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    /** @param reload the daemon's reload; called on the watcher thread */
    public Reloader(Root root, Path modulesDir, Path configFile, String release, DaemonConfig.Reload config,
            Runnable reload) throws IOException {
        this.root = root;
        this.modulesDir = modulesDir;
        this.configFile = configFile;
        this.dirs = SourceStamps.dirs(root, modulesDir, configFile);
        this.release = release;
        this.config = config;
        this.reload = reload;
        this.index = new IndexRepair(root, modulesDir, release);
        this.watch = FileSystems.getDefault().newWatchService();
        this.thread = new Thread(this::loop, "lkmd-watch");
        this.thread.setDaemon(true);
    }

    public Reloader start() {
        registerDirs();
        thread.start();
        return this;
    }

    /** Every input directory exists and is watched (a deleted one cancels its key: we hear of it). */
    private boolean allWatched() {
        return keys.size() == dirs.size();
    }

    private void registerDirs() {
        for (Path d : dirs) {
            if (keys.containsValue(d) || !Files.isDirectory(d)) {
                continue;
            }
            try {
                WatchKey k = d.register(watch, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
                keys.put(k, d);
                log.debug("Watching {}", d);
            } catch (IOException e) {
                log.warn("Failed to watch {}: {}, ignoring", d, e.getMessage());
            }
        }
    }

    private void loop() {
        // a missing or stale index at start is SelfHeal's (it also plans the present devices again)
        long pendingSince = -1;
        long lastRescan = System.nanoTime();
        boolean indexTouched = false;
        try {
            while (!closed) {
                // sleep until a change, the end of a debounce, or the next look for a missing directory;
                // with every directory watched and nothing pending, until a change (no idle timer)
                long wait;
                long at = System.nanoTime();
                if (pendingSince >= 0) {
                    wait = config.debounce().toNanos() - (at - pendingSince);
                } else if (allWatched()) {
                    wait = Long.MAX_VALUE;
                } else {
                    wait = TimeUnit.MILLISECONDS.toNanos(RESCAN_DIRS_MS) - (at - lastRescan);
                }
                WatchKey k = wait == Long.MAX_VALUE ? watch.take()
                        : watch.poll(Math.max(TimeUnit.MILLISECONDS.toNanos(10), wait), TimeUnit.NANOSECONDS);
                long now = System.nanoTime();
                if (k != null) {
                    Path dir = keys.get(k);
                    for (WatchEvent<?> ev : k.pollEvents()) {
                        log.debug("Changed: {}/{}", dir, ev.context());
                        if (dir != null && dir.equals(modulesDir)) {
                            indexTouched = true;
                        }
                    }
                    if (!k.reset()) {
                        keys.remove(k); // the directory went away; looked for again below
                    }
                    pendingSince = now; // debounce: every change restarts the wait
                }
                if (now - lastRescan > TimeUnit.MILLISECONDS.toNanos(RESCAN_DIRS_MS)) {
                    lastRescan = now;
                    int before = keys.size();
                    registerDirs();
                    if (keys.size() > before) {
                        pendingSince = now; // a directory appeared: its files may be new input
                    }
                }
                if (pendingSince >= 0 && now - pendingSince >= config.debounce().toNanos()) {
                    pendingSince = -1;
                    if (config.rebuildIndex() && indexTouched) {
                        index.rebuildIfStale();
                    }
                    indexTouched = false;
                    log.info("Configuration files changed: reloading");
                    reload.run();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("Failed to watch configuration files: {}; live reload stopped (SIGHUP and lkmd reload still work)",
                    e.toString());
        }
    }

    /** Why the index needs rebuilding, or empty when it is current ({@link IndexRepair#staleness}). */
    Optional<String> staleness() throws IOException {
        return index.staleness();
    }

    @Override
    public void close() {
        closed = true;
        try {
            watch.close();
        } catch (IOException e) {
            // nothing left to release
        }
        thread.interrupt();
    }
}
