package org.lkmd.daemon;

import org.lkmd.base.LogFields;
import org.lkmd.process.HelperDirs;
import org.lkmd.config.DaemonConfig;
import org.lkmd.config.KernelCmdlineKnobs;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;
import org.lkmd.eventlog.EventLog;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.LoadedModule;
import org.lkmd.kernel.ModuleState;
import org.lkmd.loader.FailureCache;
import org.lkmd.loader.HookIo;
import org.lkmd.loader.ModuleLoader;
import org.lkmd.loader.Prober;
import org.lkmd.modprobe.ConfigEntry;
import org.lkmd.modprobe.ModprobeConfig;
import org.lkmd.rules.ProcessProgramRunner;
import org.lkmd.rules.RulesEngine;
import org.lkmd.uevent.Coldplug;
import org.lkmd.uevent.EventQueue;
import org.lkmd.uevent.NetlinkUeventSource;
import org.lkmd.uevent.UeventSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The daemon's composition root: builds the parts and wires them, in start-up order. The first
 * {@link Snapshot} is built ({@link CurrentSnapshot}) while {@link SourceStart} opens the netlink
 * source (socket-activated or its own) and begins coldplug on a second thread; the source is then
 * run into {@link Intake} (queue marker, SEQNUM, overflow rescans), which feeds the
 * {@link EventQueue} and its {@link EventHandler}; {@link StartupColdplug} settles coldplug;
 * {@link Lifecycle} tells systemd {@code READY=1} and handles signals and the watchdog;
 * {@link Services} (control socket, file watcher, autoclean) start; then it serves until
 * {@link #stop()}.
 *
 * <p>Threads: one reads the netlink socket and only parses and enqueues; the queue's workers run
 * rules and loads; one background thread rebuilds snapshots on SIGHUP and rescans sysfs after the
 * kernel reports lost events (ENOBUFS). {@code /run/lkmd/queue} exists while events are queued or
 * running ({@code lkmd settle} waits for it to go, as udev's settle does with {@code /run/udev/queue}).
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
    private final UeventSource givenSource;
    private final EventLog events = new EventLog(4096);
    private final FailureCache failures;
    private final LiveKnobs knobs = new LiveKnobs();
    private final CurrentSnapshot snapshots;
    private final AutoClean autoclean;
    private final Lifecycle lifecycle;
    private final Services services;
    private final ExecutorService background = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "lkmd-reload");
        t.setDaemon(true);
        return t;
    });
    private final List<LoadedModule> preloaded;
    private volatile List<InitramfsDrift.Finding> drift = List.of();
    private volatile Instant started;
    private volatile UeventSource source;
    private volatile EventQueue queue;
    private volatile Intake intake;

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
        this.failures = new FailureCache(clock);
        this.env = env;
        this.simulate = simulate;
        this.coldplugOverride = coldplugOverride;
        this.snapshots = new CurrentSnapshot(root, loader, knobs);
        // what was in the kernel before lkmd: autoclean leaves it alone, the drift check looks at it
        this.preloaded = kernel.loadedModules();
        this.autoclean = new AutoClean(kernel, clock, () -> snapshots.get().config().autoclean(),
                preloaded.stream().map(LoadedModule::name).toList());
        this.lifecycle = new Lifecycle(env, this::statusLine);
        this.services = new Services(root, loader, autoclean);
    }

    /** Runs until {@link #stop()}; returns the exit code (2 for an unusable configuration at start). */
    public int run() {
        started = clock.instant();
        long jvmUpAtRun = jvmUptimeMs();
        // the socket and the coldplug writes need no snapshot: they go ahead on a second thread meanwhile
        ParseResult<DaemonConfig> config = loader.config();
        knobs.cmdline(readCmdline());
        Coldplug coldplug = new Coldplug(root);
        // the kernel command line over the daemon's own option over lkmd.toml, as udevd orders them
        DaemonConfig.ColdplugMode mode = knobs.cmdline().coldplug().or(() -> coldplugOverride).orElse(
                config.value().map(DaemonConfig::coldplug).orElse(DaemonConfig.ColdplugMode.OFF));
        SourceStart early = config.value().isEmpty() ? null
                : SourceStart.begin(givenSource, env, config.value().get(), coldplug, mode);
        Optional<Snapshot> first = snapshots.loadFirst(config);
        if (first.isEmpty()) {
            if (early != null) {
                early.abandon();
            }
            log.error("Failed to start: configuration unusable (see above)");
            return 2;
        }
        Snapshot s = first.get();
        events.subscribe(autoclean::record);
        drift = InitramfsDrift.check(root, s.modprobe(), kernel, preloaded);
        drift.forEach(f -> log.atWarn().addKeyValue(LogFields.MODULE, f.module()).log("{}", f.message()));
        log.info("Starting: JVM up {} ms when the daemon began, configuration, rules and index read in {} ms",
                jvmUpAtRun, Duration.between(started, clock.instant()).toMillis());
        if (!Files.isDirectory(loader.modulesDir())) {
            log.error("Failed to find the module directory {} for kernel {}: no module will load "
                    + "(install the kernel's modules, or start with --kernel-release)", loader.modulesDir(), s.release());
        }
        lifecycle.open();
        DaemonConfig c = s.config();
        Prober prober = new Prober(kernel, new ModuleLoader(kernel, c.hookTimeout(), "/bin/sh", HookIo.INHERIT,
                failures));
        RulesEngine engine = new RulesEngine(root, new ProcessProgramRunner(c.hookTimeout(),
                ProcessProgramRunner.DEFAULT_MAX_OUTPUT, HelperDirs.DEFAULT));
        EventHandler handler = new EventHandler(root, snapshots::get, prober, engine, events, clock, simulate);
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
        queue = new EventQueue(knobs.startWorkers(c), c.queueCapacity(), c.eventTimeout(), handler);
        intake = new Intake(root, queue, coldplug, background);
        intake.start(source, this::stop);
        lifecycle.installSignals(background, this::reload);
        lifecycle.starting("Coldplugging (" + mode.name().toLowerCase() + ")");
        try {
            // the events of the trigger writes are handled as they come; the writes end meanwhile
            new StartupColdplug(root, intake, queue).settle(early.await(), mode);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lifecycle.ready();
        HelperLoad helperLoad = new HelperLoad(snapshots::get, prober, events, simulate);
        services.start(c, new DaemonControl(this::status, this::reload, () -> queue.stats(), root, kernel,
                snapshots::get, events, helperLoad, new DaemonControl.Admin(knobs, () -> queue, this::isReady, this::stop)),
                this::reload);
        if (c.reload().rebuildIndex()) {
            SelfHeal heal = new SelfHeal(new IndexRepair(root, loader.modulesDir(), loader.release()), this::reload,
                    coldplug::scanAdd, intake::enqueue);
            background.submit(() -> { heal.run(); return null; });
        }
        log.info("Ready: {} (generation {}, {} rules, coldplug {}; JVM up {} ms, {} ms since start)",
                simulate ? "simulating" : "loading modules", s.generation(), s.rules().size(),
                mode.name().toLowerCase(), jvmUptimeMs(), Duration.between(started, clock.instant()).toMillis());
        lifecycle.startWatchdog(watchdogProbes(source, queue));
        lifecycle.awaitStop();
        lifecycle.stopWatchdog();
        services.close();
        intake.close();
        background.shutdownNow();
        lifecycle.close();
        return 0;
    }

    /**
     * Rebuilds the snapshot aside and swaps it in whole, or keeps the running one. Returns true when
     * swapped. Either way the failure cache is emptied: a reload is the admin's "try again".
     */
    public boolean reload() {
        ModprobeConfig before = snapshots.get().modprobe();
        try {
            boolean swapped = lifecycle.reload(snapshots::reload);
            if (swapped) {
                denyOfLiveModules(before, snapshots.get().modprobe());
            }
            return swapped;
        } finally {
            failures.clear();
        }
    }

    /** One line for each module a reload newly denies that is in the kernel already: it stays. */
    private void denyOfLiveModules(ModprobeConfig before, ModprobeConfig after) {
        for (ConfigEntry.Deny d : after.denies()) {
            if (before.denied(d.module()).isEmpty() && kernel.state(d.module()) == ModuleState.LIVE) {
                log.atWarn().addKeyValue(LogFields.MODULE, d.module()).log(
                        "Module {} is live: the deny at {} stops later loads only, nothing is unloaded", d.module(),
                        d.where());
            }
        }
    }

    /**
     * The kernel command line's {@code lkmd.*} settings ({@code /proc/cmdline} under the root; none
     * when it cannot be read), each word that is not applied logged once.
     */
    private KernelCmdlineKnobs readCmdline() {
        Path file = root.resolve("/proc/cmdline");
        String text;
        try {
            text = Files.readString(file);
        } catch (java.io.IOException | RuntimeException e) {
            log.debug("No kernel command line at {}: {}", file, e.toString());
            return KernelCmdlineKnobs.none();
        }
        KernelCmdlineKnobs k = KernelCmdlineKnobs.parse(file.toString(), text, EventQueue.MAX_WORKERS);
        k.warnings().forEach(d -> log.warn("{}", d));
        k.logLevel().ifPresent(l -> log.info("Log level {} from the kernel command line", l));
        k.childrenMax().ifPresent(n -> log.info("Children max {} from the kernel command line", n == 0 ? "automatic" : n));
        k.coldplug().ifPresent(m -> log.info("Coldplug {} from the kernel command line", m.name().toLowerCase()));
        return k;
    }

    private boolean isReady() {
        try {
            return lifecycle.awaitReady(Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Asks {@link #run()} to stop and return. */
    public void stop() {
        lifecycle.stop();
    }

    /** Waits until coldplug is done and the daemon told systemd READY=1. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        return lifecycle.awaitReady(timeout);
    }

    /** What the daemon reports now, built whole (what {@code lkmd status} shows). */
    public DaemonStatus status() {
        Snapshot s = snapshots.get();
        UeventSource src = source;
        Intake in = intake;
        return new DaemonStatus(ProcessHandle.current().pid(), started, Instant.now(), simulate, loader.release(),
                s.generation(), s.loadedAt(), s.rules().size(), snapshots.sources(), s.diagnostics(),
                queue.stats(), queue.workers(),
                events.events(), events.totals(), events.failuresByErrno(),
                src == null ? Map.of() : src.drops().snapshot(), src == null ? 0 : src.overflows(),
                src instanceof NetlinkUeventSource nl ? OptionalLong.of(nl.received()) : OptionalLong.empty(),
                src == null ? 0 : src.delivered(),
                in == null ? 0 : in.resyncs(), in == null ? 0 : in.resyncedDevices(),
                DaemonStatus.lastErrors(events.records()),
                snapshots.lastReloadProblems(), snapshots.reloadsFailed(),
                s.config().autoclean().enabled(), autoclean.unloaded(), failures.entries(), drift);
    }

    /** What the watchdog watches: the netlink reader and the event queue, each making progress or idle. */
    private static List<Watchdog.Probe> watchdogProbes(UeventSource src, EventQueue queue) {
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
        return List.of(reader, workers);
    }

    /** The one-line {@code STATUS=} text for systemd. */
    private String statusLine() {
        EventQueue.Stats st = queue.stats();
        return "Processing events: " + events.events() + " handled, " + (st.queued() + st.running()) + " in queue";
    }

    /** The uevent source (for its drop counters and port id); null before {@link #run()} opened it. */
    public UeventSource source() {
        return source;
    }

    /** Sysfs rescans done after overflows (several overflows in a row share one rescan). */
    public long resyncs() {
        Intake in = intake;
        return in == null ? 0 : in.resyncs();
    }

    /** Devices with a modalias re-queued by those rescans, in all. */
    public long resyncedDevices() {
        Intake in = intake;
        return in == null ? 0 : in.resyncedDevices();
    }

    /** Reloads that kept the old snapshot, since start. */
    public long reloadsFailed() {
        return snapshots.reloadsFailed();
    }

    public Snapshot snapshot() {
        return snapshots.get();
    }

    public EventLog events() {
        return events;
    }

    public EventQueue queue() {
        return queue;
    }

    /** Milliseconds since the JVM process started (its start-up cost is in here, not in {@link #started}). */
    private static long jvmUptimeMs() {
        return ProcessHandle.current().info().startInstant()
                .map(t -> Duration.between(t, Instant.now()).toMillis()).orElse(-1L);
    }
}
