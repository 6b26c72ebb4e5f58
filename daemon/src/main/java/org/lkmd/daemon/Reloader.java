package org.lkmd.daemon;

import org.lkmd.config.DaemonConfig;
import org.lkmd.config.Root;
import org.lkmd.depmod.Depmod;
import org.lkmd.depmod.DepmodConfig;
import org.lkmd.depmod.DepmodLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Live reload: watches the directories a snapshot is built from ({@link SourceStamps#dirs}),
 * waits until they have been quiet for the debounce time, then, if asked to, rebuilds a module
 * index that is missing or older than the newest module file with lkmd's own depmod, and calls
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
        if (config.rebuildIndex() && rebuildIfStale()) {
            reload.run();
        }
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
                        rebuildIfStale();
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

    /** Why the index needs rebuilding, or empty when it is current. */
    Optional<String> staleness() throws IOException {
        Path dep = Files.exists(modulesDir.resolve("modules.dep.bin")) ? modulesDir.resolve("modules.dep.bin")
                : modulesDir.resolve("modules.dep");
        if (!Files.isDirectory(modulesDir)) {
            return Optional.empty();
        }
        Path real = modulesDir.toRealPath();
        FileTime newest = null;
        Path newestFile = null;
        try (Stream<Path> s = Files.walk(real, 16, FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.endsWith(".ko") || n.contains(".ko.")) {
                    FileTime t = Files.getLastModifiedTime(p);
                    if (newest == null || t.compareTo(newest) > 0) {
                        newest = t;
                        newestFile = p;
                    }
                }
            }
        }
        if (newest == null) {
            return Optional.empty(); // no module: nothing to index
        }
        if (!Files.exists(dep)) {
            return Optional.of(dep.getFileName() + " missing");
        }
        if (Files.getLastModifiedTime(dep).compareTo(newest) < 0) {
            return Optional.of(dep.getFileName() + " older than " + real.relativize(newestFile));
        }
        return Optional.empty();
    }

    /** Runs lkmd's depmod when the index is stale; true when it rebuilt one. */
    boolean rebuildIfStale() {
        Optional<String> why;
        try {
            why = staleness();
        } catch (IOException | java.io.UncheckedIOException e) {
            log.warn("Failed to check the module index in {}: {}, ignoring", modulesDir, e.getMessage());
            return false;
        }
        if (why.isEmpty()) {
            return false;
        }
        log.info("Rebuilding the module index in {}: {}", modulesDir, why.get());
        ByteArrayOutputStream msgs = new ByteArrayOutputStream();
        List<Path> conf = new ArrayList<>();
        DepmodConfig.DEFAULT_DIRS.forEach(d -> conf.add(root.resolve(d)));
        Depmod.Options opt = new Depmod.Options(modulesDir, modulesDir.toString(), release, conf, null, null,
                false, false, false, false, (char) 0, root::resolve, List.of());
        try (PrintStream err = new PrintStream(msgs, true, StandardCharsets.UTF_8)) {
            int rc = new Depmod(opt, new DepmodLog(err, 0), new PrintStream(java.io.OutputStream.nullOutputStream())).run();
            String text = msgs.toString(StandardCharsets.UTF_8).strip();
            if (rc != 0) {
                log.error("Failed to rebuild the module index in {}: depmod exit status {}{}", modulesDir, rc,
                        text.isEmpty() ? "" : ": " + text);
                return false;
            }
            if (!text.isEmpty()) {
                log.warn("depmod: {}", text);
            }
            log.info("Rebuilt the module index in {}", modulesDir);
            return true;
        } catch (IOException e) {
            log.error("Failed to rebuild the module index in {}: {}", modulesDir, e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
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
