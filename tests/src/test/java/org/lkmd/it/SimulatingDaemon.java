package org.lkmd.it;

import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Root;
import org.lkmd.daemon.Daemon;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.uevent.UeventSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lkmd.testing.Await.waitFor;

/**
 * The one way integration tests start a daemon in this JVM: {@code lkmd daemon --simulate
 * --coldplug off} by default, over a root the test prepared ({@link #over}) or over a host-like
 * root whose {@code sys} is this machine's /sys, so real kernel uevents reach it ({@link #start}).
 * Every record it makes is kept (the daemon's own log is a ring of 4096).
 */
final class SimulatingDaemon implements AutoCloseable {
    final Path root;
    final Daemon daemon;
    final List<EventRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final FutureTask<Integer> run;
    private Optional<Integer> exit = Optional.empty();

    private SimulatingDaemon(Path root, Daemon daemon, List<Consumer<EventRecord>> subscribers) {
        this.root = root;
        this.daemon = daemon;
        daemon.events().subscribe(records::add);
        subscribers.forEach(daemon.events()::subscribe);
        this.run = new FutureTask<>(daemon::run);
    }

    /** Over a host-like root with this machine's /sys, the shipped rules and {@code config} as lkmd.toml text. */
    static SimulatingDaemon start(Path dir, String config) throws Exception {
        return start(dir, config, DaemonConfig.ColdplugMode.OFF);
    }

    /** As above, coldplugging in {@code coldplug} (trigger writes this machine's uevent files). */
    static SimulatingDaemon start(Path dir, String config, DaemonConfig.ColdplugMode coldplug) throws Exception {
        Path root = FakeRoots.hostLike(dir);
        FakeRoots.withSysAndShippedRules(root);
        Files.writeString(root.resolve("etc/lkmd/lkmd.toml"), "[reload]\nwatch = false\n" + config);
        return over(root).coldplug(coldplug).start();
    }

    /** A daemon over {@code root}, prepared by the test; {@link Starter#start} starts it. */
    static Starter over(Path root) {
        return new Starter(root);
    }

    /** What differs from {@code lkmd daemon --simulate --coldplug off} on the real netlink socket. */
    static final class Starter {
        private final Path root;
        private String release;
        private SimulatedKernel kernel;
        private boolean simulate = true;
        private DaemonConfig.ColdplugMode coldplug = DaemonConfig.ColdplugMode.OFF;
        private UeventSource source;
        private final List<Consumer<EventRecord>> subscribers = new ArrayList<>();

        private Starter(Path root) {
            this.root = root;
        }

        /** The kernel release (default: {@link RealTree#release()}). */
        Starter release(String rel) {
            this.release = rel;
            return this;
        }

        /** Without {@code --simulate}: loads go to {@code k} (default: a simulated kernel in dry-run mode). */
        Starter loadingInto(SimulatedKernel k) {
            this.kernel = k;
            this.simulate = false;
            return this;
        }

        /** Coldplugs in {@code mode} instead of off (trigger writes this machine's uevent files). */
        Starter coldplug(DaemonConfig.ColdplugMode mode) {
            this.coldplug = mode;
            return this;
        }

        /** Events from {@code s} instead of the kernel's netlink socket. */
        Starter source(UeventSource s) {
            this.source = s;
            return this;
        }

        /** Also gives each record to {@code c}, from the first event on. */
        Starter onRecord(Consumer<EventRecord> c) {
            subscribers.add(c);
            return this;
        }

        /** Starts it and waits until it is ready; the test fails if it is not. */
        SimulatingDaemon start() throws Exception {
            SimulatingDaemon s = startOrExit();
            assertTrue(s.exit.isEmpty(), "daemon exited with " + s.exit.orElse(null) + " before it was ready");
            return s;
        }

        /** Starts it and waits until it is ready or has returned its exit code ({@link #exit}). */
        SimulatingDaemon startOrExit() throws Exception {
            Root r = Root.of(root);
            String rel = release != null ? release : RealTree.release();
            Kernel k = kernel;
            if (k == null) {
                Path state = root.resolve("run/lkmd/simulate");
                Files.createDirectories(state);
                k = SimulatedKernel.on(r).release(rel).stateDir(state).build();
            }
            SnapshotLoader loader = new SnapshotLoader(r, rel, Clock.systemUTC());
            Optional<DaemonConfig.ColdplugMode> mode = Optional.of(coldplug);
            Daemon d = source == null
                    ? new Daemon(r, k, loader, Clock.systemUTC(), Map.of(), simulate, mode)
                    : new Daemon(r, k, loader, Clock.systemUTC(), Map.of(), simulate, mode, source);
            SimulatingDaemon s = new SimulatingDaemon(root, d, subscribers);
            new Thread(s.run, "daemon-under-test").start();
            long end = System.nanoTime() + READY_WITHIN.toNanos();
            while (!d.awaitReady(Duration.ofMillis(50))) {
                if (s.run.isDone()) {
                    s.exit = Optional.of(s.run.get());
                    return s;
                }
                assertTrue(System.nanoTime() < end, "daemon did not become ready");
            }
            return s;
        }
    }

    private static final Duration READY_WITHIN = Duration.ofSeconds(120);

    /** The exit code, when the daemon returned before it was ready. */
    Optional<Integer> exit() {
        return exit;
    }

    /** Waits for the control socket the daemon creates once ready; the test fails without it. */
    Path controlSocket() throws InterruptedException {
        Path socket = root.resolve("run/lkmd/control");
        assertTrue(waitFor(() -> Files.exists(socket), Duration.ofSeconds(10)), "no control socket at " + socket);
        return socket;
    }

    List<EventRecord> records() {
        synchronized (records) {
            return new ArrayList<>(records);
        }
    }

    /** Waits for the daemon to return (after something else stopped it) and gives its exit code. */
    int awaitExit(Duration within) throws Exception {
        return run.get(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops the daemon and returns its exit code. */
    int stop() throws Exception {
        daemon.stop();
        return run.get(60, TimeUnit.SECONDS);
    }

    /** Stops the daemon and gives it a minute to end. */
    @Override
    public void close() throws InterruptedException {
        daemon.stop();
        try {
            run.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // what it did wrong is the business of the test's assertions, not of the clean-up
        }
    }

    /** This machine's devices with a MODALIAS in their uevent file (and a subsystem), by devpath. */
    static Map<String, String> devicesWithModalias() throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(Path.of("/sys/devices"), 12)) {
            for (Path u : s.filter(p -> p.getFileName().toString().equals("uevent")).toList()) {
                if (!Files.exists(u.getParent().resolve("subsystem"))) {
                    continue;
                }
                try {
                    for (String l : Files.readAllLines(u)) {
                        if (l.startsWith("MODALIAS=")) {
                            out.put(u.getParent().toString().substring("/sys".length()), l.substring(9).strip());
                        }
                    }
                } catch (IOException e) {
                    // unreadable uevent file: not a device to use
                }
            }
        }
        return out;
    }

    /** The kernel's last SEQNUM. */
    static long kernelSeqnum() throws IOException {
        return Long.parseLong(Files.readString(Path.of("/sys/kernel/uevent_seqnum")).strip());
    }

    /** The modules a record planned (DRY_RUN), with what they bring in. */
    static List<String> planned(EventRecord r) {
        List<String> out = new ArrayList<>();
        for (EventRecord.Outcome o : r.outcomes()) {
            if (o.result() == EventRecord.Result.DRY_RUN) {
                out.add(o.what());
                if (o.detail() != null && !o.detail().isEmpty()) {
                    out.addAll(List.of(o.detail().split(" ")));
                }
            }
        }
        Collections.sort(out);
        return out;
    }
}
