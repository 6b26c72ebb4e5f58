package org.lkmd.daemon;

import ch.qos.logback.classic.Level;
import org.lkmd.config.DaemonConfig;
import org.lkmd.config.Diagnostic;
import org.lkmd.config.ParseResult;
import org.lkmd.config.Root;
import org.lkmd.config.Severity;
import org.lkmd.control.ControlCodec;
import org.lkmd.control.ControlServer;
import org.lkmd.control.DaemonControl;
import org.lkmd.kernel.Kernel;
import org.lkmd.loader.ModuleLoader;
import org.lkmd.loader.Prober;
import org.lkmd.rules.ProcessProgramRunner;
import org.lkmd.rules.RulesEngine;
import org.lkmd.uevent.Coldplug;
import org.lkmd.uevent.EventQueue;
import org.lkmd.uevent.Uevent;
import org.lkmd.uevent.UeventSink;
import org.lkmd.uevent.UeventSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The daemon's composition root and lifecycle: builds the first {@link Snapshot} while
 * {@link SourceStart} opens the netlink source (socket-activated or its own) and begins coldplug on a
 * second thread, wires the source to the {@link EventQueue} and the {@link EventHandler}, settles
 * coldplug, tells systemd {@code READY=1}, then serves until {@link #stop()}.
 *
 * <p>Threads: one reads the netlink socket and only parses and enqueues; the queue's workers run
 * rules and loads; one rebuilds snapshots on reload (SIGHUP, {@link #reload()}), swapping them
 * whole; one resynchronises after the kernel reports lost events (ENOBUFS) by scanning sysfs.
 * {@code /run/lkmd/queue} exists while events are queued or running ({@code lkmd settle} waits for
 * it to go, as udev's settle does with {@code /run/udev/queue}).
 */
public final class Daemon {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final Root root;
    private final Kernel kernel;
    private final SnapshotLoader loader;
    private final Clock clock;
    private final Map<String, String> env;
    private final boolean simulate;
    private final Optional<DaemonConfig.ColdplugMode> coldplugOverride;
    private final AtomicReference<Snapshot> snapshot = new AtomicReference<>();
    private final AtomicLong generation = new AtomicLong();
    /** The highest SEQNUM the reader has queued (coldplug settles against the kernel's counter). */
    private final AtomicLong lastSeqnum = new AtomicLong(-1);
    private final EventLog events = new EventLog(4096);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final CountDownLatch ready = new CountDownLatch(1);
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lkmd-reload");
        t.setDaemon(true);
        return t;
    });
    private volatile EventQueue queue;
    private volatile Prober prober;
    private volatile UeventSource source;
    private volatile SdNotify notify;
    private volatile Instant started;
    private volatile List<Diagnostic> lastReloadProblems = List.of();
    private volatile Map<String, Instant> sources = Map.of();
    private final AtomicLong reloadsFailed = new AtomicLong();
    private final AutoClean autoclean;
    private volatile ControlServer control;
    private volatile Reloader reloader;
    private volatile java.util.concurrent.ScheduledExecutorService cleaner;
    private final UeventSource givenSource;
    private final java.util.concurrent.atomic.AtomicBoolean resyncPending = new java.util.concurrent.atomic.AtomicBoolean();
    private final AtomicLong resyncs = new AtomicLong();
    private final AtomicLong resyncedDevices = new AtomicLong();

    /**
     * @param simulate         plan loads without making them, run no RUN programs
     * @param coldplugOverride a coldplug mode from the command line, over the config's
     */
    public Daemon(Root root, Kernel kernel, SnapshotLoader loader, Clock clock, Map<String, String> env,
                  boolean simulate, Optional<DaemonConfig.ColdplugMode> coldplugOverride) {
        this(root, kernel, loader, clock, env, simulate, coldplugOverride, null);
    }

    /**
     * As above, reading events from {@code source} instead of the kernel's netlink socket (tests over
     * a fake sysfs feed a {@link org.lkmd.uevent.ScriptedUeventSource}); null opens the netlink socket.
     * The daemon runs the source on its reader thread and closes it at stop.
     */
    public Daemon(Root root, Kernel kernel, SnapshotLoader loader, Clock clock, Map<String, String> env,
                  boolean simulate, Optional<DaemonConfig.ColdplugMode> coldplugOverride, UeventSource source) {
        this.givenSource = source;
        this.root = root;
        this.kernel = kernel;
        this.loader = loader;
        this.clock = clock;
        this.env = env;
        this.simulate = simulate;
        this.coldplugOverride = coldplugOverride;
        this.autoclean = new AutoClean(kernel, clock, () -> snapshot.get().config().autoclean(),
                AutoClean.loadedNow(kernel));
    }

    /** Runs until {@link #stop()}; returns the exit code (2 for an unusable configuration at start). */
    public int run() {
        started = clock.instant();
        long jvmUpAtRun = jvmUptimeMs();
        // the socket and the coldplug writes need no snapshot: they go ahead on a second thread meanwhile
        ParseResult<DaemonConfig> config = loader.config();
        Coldplug coldplug = new Coldplug(root);
        DaemonConfig.ColdplugMode mode = coldplugOverride.orElse(
                config.value().map(DaemonConfig::coldplug).orElse(DaemonConfig.ColdplugMode.OFF));
        SourceStart early = config.value().isEmpty() ? null
                : SourceStart.begin(givenSource, env, config.value().get(), coldplug, mode);
        ParseResult<Snapshot> first = loader.load(generation.incrementAndGet(), true, config);
        report(first.diagnostics());
        if (first.value().isEmpty()) {
            if (early != null) {
                early.abandon();
            }
            log.error("Failed to start: configuration unusable (see above)");
            return 2;
        }
        Snapshot s = first.value().get();
        snapshot.set(s);
        sources = SourceStamps.scan(root, loader.modulesDir(), loader.configFile());
        events.subscribe(autoclean::record);
        applyLogLevel(s.config());
        log.info("Starting: JVM up {} ms when the daemon began, configuration, rules and index read in {} ms",
                jvmUpAtRun, Duration.between(started, clock.instant()).toMillis());
        if (!Files.isDirectory(loader.modulesDir())) {
            log.error("Failed to find the module directory {} for kernel {}: no module will load "
                    + "(install the kernel's modules, or start with --kernel-release)", loader.modulesDir(), s.release());
        }
        notify = SdNotify.fromEnvironment(env);
        DaemonConfig c = s.config();
        ModuleLoader moduleLoader = new ModuleLoader(kernel, c.hookTimeout(), "/bin/sh");
        prober = new Prober(kernel, moduleLoader);
        RulesEngine engine = new RulesEngine(root, new ProcessProgramRunner(c.hookTimeout(),
                ProcessProgramRunner.DEFAULT_MAX_OUTPUT, List.of(Path.of("/usr/lib/lkmd"), Path.of("/usr/lib/udev"))));
        EventHandler handler = new EventHandler(root, snapshot::get, prober, engine, events,
                clock, simulate);
        SourceStart.Result opened;
        try {
            opened = early.awaitSource();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            early.abandon();
            return 1;
        }
        if (opened.failure() != null) {
            if (opened.failure() instanceof LinkageError e) {
                // JNA unpacks its native library first: a full or read-only temporary directory ends here
                log.error("Failed to open the kernel uevent socket: native library unavailable ({}); "
                        + "check free space in jna.tmpdir ({})", e.getMessage(),
                        System.getProperty("jna.tmpdir", System.getProperty("java.io.tmpdir")));
            } else {
                log.error("Failed to open the kernel uevent socket: {}", opened.failure().getMessage());
            }
            return 1;
        }
        source = opened.source();
        queue = new EventQueue(c.effectiveWorkers(), c.queueCapacity(), c.eventTimeout(), handler);
        QueueMarker marker = new QueueMarker(root.resolve("/run/lkmd/queue"), queue);
        Thread reader = new Thread(() -> readLoop(marker, coldplug), "lkmd-netlink");
        reader.start();
        installSignals();
        notify.send("STATUS=Coldplugging (" + mode.name().toLowerCase() + ")");
        try {
            // the events of the trigger writes are handled as they come; the writes end meanwhile
            coldplug(early.await(), marker, mode);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        notify.send("READY=1\nSTATUS=" + status());
        ready.countDown();
        startServices(c);
        if (c.reload().rebuildIndex()) {
            SelfHeal heal = new SelfHeal(new IndexRepair(root, loader.modulesDir(), loader.release()), this::reload,
                    coldplug::scanAdd, u -> enqueue(marker, u));
            background.submit(() -> { heal.run(); return null; });
        }
        log.info("Ready: {} (generation {}, {} rules, coldplug {}; JVM up {} ms, {} ms since start)",
                simulate ? "simulating" : "loading modules", s.generation(), s.rules().size(),
                mode.name().toLowerCase(), jvmUptimeMs(), Duration.between(started, clock.instant()).toMillis());
        Thread watchdog = startWatchdog();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        notify.send("STOPPING=1\nSTATUS=Stopping");
        log.info("Stopping");
        if (watchdog != null) {
            watchdog.interrupt(); // before the source closes: the watchdog polls its socket
        }
        stopServices();
        source.stop();
        try {
            reader.join(5000);
            List<Uevent> left = queue.shutdown(Duration.ofSeconds(10));
            if (!left.isEmpty()) {
                log.warn("Stopped with {} events not handled", left.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        source.close();
        marker.close();
        background.shutdownNow();
        notify.close();
        return 0;
    }

    private void readLoop(QueueMarker marker, Coldplug coldplug) {
        try {
            source.run(new UeventSink() {
                @Override
                public void accept(Uevent event) throws InterruptedException {
                    enqueue(marker, event);
                }

                @Override
                public void overflow() {
                    // a storm overflows many times in a row: one rescan pending at a time covers them all
                    if (resyncPending.compareAndSet(false, true)) {
                        log.warn("Kernel dropped uevents (receive buffer overrun): rescanning sysfs so no device misses its driver");
                        background.submit(() -> resync(marker, coldplug));
                    }
                }
            });
        } catch (IOException e) {
            log.error("Failed to read kernel uevents: {}", e.getMessage());
            stop();
        }
    }

    private void enqueue(QueueMarker marker, Uevent e) throws InterruptedException {
        marker.beforeEvent();
        try {
            queue.put(e);
        } finally {
            marker.admitted();
        }
        if (e.seqnum() >= 0) {
            lastSeqnum.accumulateAndGet(e.seqnum(), Math::max);
        }
    }

    private void resync(QueueMarker marker, Coldplug coldplug) {
        // cleared before the scan: an overflow from now on may have lost events this scan does not see
        resyncPending.set(false);
        try {
            List<Uevent> found = coldplug.scan();
            for (Uevent u : found) {
                enqueue(marker, u);
            }
            resyncs.incrementAndGet();
            resyncedDevices.addAndGet(found.size());
            log.info("Resynchronised: {} devices with a modalias rescanned", found.size());
        } catch (IOException e) {
            log.error("Failed to rescan sysfs after lost events: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Settles the coldplug that {@link SourceStart} began: its events handled, in either mode. */
    private void coldplug(SourceStart.Result opened, QueueMarker marker, DaemonConfig.ColdplugMode mode) {
        if (opened.failure() != null) {
            // only a bug gets here (the source was open): say so, and go on serving hotplug
            log.error("Failed to coldplug: {}", opened.failure().toString());
            return;
        }
        try {
            switch (mode) {
                case TRIGGER -> {
                    Coldplug.TriggerReport r = opened.triggered().orElseThrow();
                    r.failed().forEach((p, why) -> log.warn("Failed to trigger {}: {}, ignoring", p, why));
                    // the kernel answers each write with an event: settle once every event the kernel
                    // has numbered so far was read and handled (see ColdplugSettle)
                    ColdplugSettle.Result settled = settle().await(Duration.ofSeconds(120));
                    log.info("Coldplug: triggered {} devices ({})", r.written().size(), switch (settled) {
                        case SETTLED -> "all their events handled";
                        case STALLED -> "events handled; some kernel event numbers never reached us";
                        case TIMED_OUT -> "gave up waiting for their events after 120 s";
                    });
                }
                case SCAN -> {
                    if (opened.scanError() != null) {
                        throw opened.scanError();
                    }
                    List<Uevent> found = opened.scanned();
                    for (Uevent u : found) {
                        enqueue(marker, u);
                    }
                    queue.awaitIdle(Duration.ofSeconds(120));
                    // loads made meanwhile announce new devices (and modules) as kernel events: settle those too
                    settle().await(Duration.ofSeconds(120));
                    log.info("Coldplug: scanned {} subsystems and devices ({} with a modalias), no uevent written",
                            found.size(), found.stream().filter(u -> u.modalias() != null).count());
                }
                case OFF -> log.info("Coldplug: off");
            }
        } catch (IOException e) {
            log.error("Failed to coldplug: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ColdplugSettle settle() {
        java.util.function.LongSupplier counter = ColdplugSettle.seqnumFile(root.resolve("/sys/kernel/uevent_seqnum"));
        // without the kernel's counter (a fake root) only quiet can tell; with it, quiet is the rare fallback
        Duration stall = counter.getAsLong() >= 0 ? Duration.ofSeconds(5) : Duration.ofMillis(300);
        return new ColdplugSettle(counter, lastSeqnum::get, new ColdplugSettle.Queue() {
            @Override
            public boolean awaitIdle(Duration timeout) throws InterruptedException {
                return queue.awaitIdle(timeout);
            }

            @Override
            public boolean idle() {
                EventQueue.Stats st = queue.stats();
                return st.queued() + st.running() == 0;
            }
        }, stall, Duration.ofMillis(10));
    }

    /** Rebuilds the snapshot aside and swaps it in whole, or keeps the running one. Returns true when swapped. */
    public synchronized boolean reload() {
        notify.send("RELOADING=1\nSTATUS=Reloading");
        try {
            ParseResult<Snapshot> next = loader.load(generation.get() + 1, false);
            report(next.diagnostics());
            if (next.value().isEmpty()) {
                lastReloadProblems = next.diagnostics();
                reloadsFailed.incrementAndGet();
                log.error("Failed to reload configuration, keeping generation {}", snapshot.get().generation());
                return false;
            }
            generation.incrementAndGet();
            snapshot.set(next.value().get());
            sources = SourceStamps.scan(root, loader.modulesDir(), loader.configFile());
            applyLogLevel(next.value().get().config());
            lastReloadProblems = List.of();
            log.info("Reloaded configuration: generation {}", next.value().get().generation());
            return true;
        } finally {
            notify.send("READY=1\nSTATUS=" + status());
        }
    }

    /**
     * After READY: the control socket, the file watcher and autoclean. A failure of any of them is
     * logged and the daemon keeps handling events without it.
     */
    private void startServices(DaemonConfig c) {
        try {
            control = ControlServer.start(root.resolve(ControlCodec.SOCKET), new DaemonControl(this),
                    ControlServer.Limits.defaults());
        } catch (IOException | RuntimeException | LinkageError e) {
            // the daemon's job (loading modules) goes on without its control socket
            log.error("Failed to open the control socket {}: {}; status, reload and monitor will not answer",
                    root.resolve(ControlCodec.SOCKET), e.getMessage());
        }
        if (c.reload().watch()) {
            try {
                reloader = new Reloader(root, loader.modulesDir(), loader.configFile(), loader.release(), c.reload(), this::reload).start();
            } catch (IOException e) {
                log.warn("Failed to watch configuration files: {}, ignoring (SIGHUP and lkmd reload still work)",
                        e.getMessage());
            }
        }
        java.util.concurrent.ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lkmd-autoclean");
            t.setDaemon(true);
            return t;
        });
        // always scheduled: [autoclean] may be enabled by a reload; a disabled sweep does nothing
        ex.scheduleWithFixedDelay(() -> {
            try {
                autoclean.sweep();
            } catch (RuntimeException e) {
                log.warn("Failed to sweep idle modules: {}, ignoring", e.toString());
            }
        }, 1, 1, java.util.concurrent.TimeUnit.MINUTES);
        cleaner = ex;
    }

    private void stopServices() {
        if (control != null) {
            control.close();
        }
        if (reloader != null) {
            reloader.close();
        }
        if (cleaner != null) {
            cleaner.shutdownNow();
        }
    }

    /** Waits until coldplug is done and the daemon told systemd READY=1. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return ready.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** The uevent source (for its drop counters and port id); null before {@link #run()} opened it. */
    public UeventSource source() {
        return source;
    }

    /**
     * Probes modules with the daemon's own loader, so loads asked for over the control socket (the
     * kernel's module helper) and by events share one single-flight loader. Null before {@link #run()}.
     */
    public Prober prober() {
        return prober;
    }

    /** Sysfs rescans done after overflows (several overflows in a row share one rescan). */
    public long resyncs() {
        return resyncs.get();
    }

    /** Devices with a modalias re-queued by those rescans, in all. */
    public long resyncedDevices() {
        return resyncedDevices.get();
    }

    /** Asks {@link #run()} to stop and return. */
    public void stop() {
        stopped.countDown();
    }

    public Snapshot snapshot() {
        return snapshot.get();
    }

    public EventLog events() {
        return events;
    }

    public EventQueue queue() {
        return queue;
    }

    public Instant started() {
        return started;
    }

    public Root root() {
        return root;
    }

    public Kernel kernel() {
        return kernel;
    }

    public String release() {
        return loader.release();
    }

    /** True when loads are planned, not made. */
    public boolean simulating() {
        return simulate;
    }

    /** The current snapshot's input files and their modification times. */
    public Map<String, Instant> sources() {
        return sources;
    }

    /** Reloads that kept the old snapshot, since start. */
    public long reloadsFailed() {
        return reloadsFailed.get();
    }

    public AutoClean autoclean() {
        return autoclean;
    }

    /** Diagnostics of the last reload that failed (empty when the last one worked). */
    public List<Diagnostic> lastReloadProblems() {
        return lastReloadProblems;
    }

    private String status() {
        EventQueue.Stats st = queue.stats();
        return "Processing events: " + events.events() + " handled, " + (st.queued() + st.running()) + " in queue";
    }

    private void installSignals() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> background.submit(this::reload));
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), sig -> stop());
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> stop());
        } catch (IllegalArgumentException e) {
            log.warn("Failed to install signal handlers: {}, ignoring", e.getMessage());
        }
    }

    /**
     * {@code WATCHDOG=1} only while the reader and the queue make progress or are idle ({@link Watchdog});
     * a stall longer than the ping interval (half of WatchdogSec) stops the pings.
     */
    private Thread startWatchdog() {
        Optional<Duration> every = notify.watchdog();
        if (every.isEmpty()) {
            return null;
        }
        UeventSource src = source;
        Watchdog.Probe reader = new Watchdog.Probe() {
            public String name() {
                return "netlink reader";
            }

            public long progress() {
                return src.taken();
            }

            public boolean idle() {
                // nothing waiting on the socket (or a source that cannot tell): nothing to read
                return !src.waiting().orElse(false);
            }
        };
        Watchdog.Probe workers = new Watchdog.Probe() {
            public String name() {
                return "event queue";
            }

            public long progress() {
                return queue.stats().done();
            }

            public boolean idle() {
                EventQueue.Stats st = queue.stats();
                return st.queued() + st.running() == 0;
            }
        };
        return new Watchdog(System::nanoTime, every.get(), List.of(reader, workers), notify::send).start(every.get());
    }

    /** Milliseconds since the JVM process started (its start-up cost is in here, not in {@link #started}). */
    private static long jvmUptimeMs() {
        return ProcessHandle.current().info().startInstant()
                .map(t -> Duration.between(t, Instant.now()).toMillis()).orElse(-1L);
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

    private static void applyLogLevel(DaemonConfig c) {
        org.slf4j.Logger rootLogger = LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        if (rootLogger instanceof ch.qos.logback.classic.Logger l && System.getenv("LKMD_LOG_LEVEL") == null) {
            l.setLevel(Level.toLevel(c.logLevel(), Level.INFO));
        }
    }
}
