package org.lkmd.daemon;

import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;
import org.lkmd.base.Severity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The {@link Snapshot} in force and its reloads: the first one built at start, each later one built
 * aside and swapped in whole, or refused with the running one kept. Also what a reload leaves to
 * report: the modification times of the files the snapshot was built from, the diagnostics of the
 * last reload that failed, how many failed, and the log level the configuration asks for.
 */
final class CurrentSnapshot {
    /** The daemon's logger: its lines (and the configuration's diagnostics) say "Daemon" in the journal, as before the split. */
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Root root;
    private final SnapshotLoader loader;
    private final LiveKnobs knobs;
    private final AtomicReference<Snapshot> snapshot = new AtomicReference<>();
    private final AtomicLong generation = new AtomicLong();
    private final AtomicLong reloadsFailed = new AtomicLong();
    private volatile List<Diagnostic> lastReloadProblems = List.of();
    private volatile Map<String, Instant> sources = Map.of();

    /** @param knobs applies the log level in force after each swap */
    CurrentSnapshot(Root root, SnapshotLoader loader, LiveKnobs knobs) {
        this.root = root;
        this.loader = loader;
        this.knobs = knobs;
    }

    /** Builds the first snapshot from {@code config} (already read); empty when the configuration is unusable. */
    Optional<Snapshot> loadFirst(ParseResult<DaemonConfig> config) {
        ParseResult<Snapshot> first = loader.load(generation.incrementAndGet(), true, config);
        report(first.diagnostics());
        first.value().ifPresent(this::swapIn);
        return first.value();
    }

    /** Rebuilds the snapshot aside and swaps it in whole, or keeps the running one. Returns true when swapped. */
    synchronized boolean reload() {
        ParseResult<Snapshot> next = loader.load(generation.get() + 1, false);
        report(next.diagnostics());
        if (next.value().isEmpty()) {
            lastReloadProblems = next.diagnostics();
            reloadsFailed.incrementAndGet();
            log.error("Failed to reload configuration, keeping generation {}", snapshot.get().generation());
            return false;
        }
        generation.incrementAndGet();
        swapIn(next.value().get());
        lastReloadProblems = List.of();
        log.info("Reloaded configuration: generation {}", next.value().get().generation());
        return true;
    }

    private void swapIn(Snapshot s) {
        snapshot.set(s);
        sources = SourceStamps.scan(root, loader.modulesDir(), loader.configFile());
        knobs.apply(s.config());
    }

    /** The snapshot in force; null before {@link #loadFirst} built one. */
    Snapshot get() {
        return snapshot.get();
    }

    /** The current snapshot's input files and their modification times. */
    Map<String, Instant> sources() {
        return sources;
    }

    /** Diagnostics of the last reload that failed (empty when the last one worked). */
    List<Diagnostic> lastReloadProblems() {
        return lastReloadProblems;
    }

    /** Reloads that kept the old snapshot, since start. */
    long reloadsFailed() {
        return reloadsFailed.get();
    }

    private static void report(List<Diagnostic> diags) {
        for (Diagnostic d : diags) {
            if (d.severity() == Severity.ERROR) {
                log.error("{}", d);
            } else {
                log.warn("{}", d);
            }
        }
    }
}
