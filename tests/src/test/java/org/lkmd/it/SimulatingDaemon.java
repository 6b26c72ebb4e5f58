package org.lkmd.it;

import org.lkmd.config.DaemonConfig;
import org.lkmd.config.Root;
import org.lkmd.daemon.Daemon;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.SimulatedKernel;

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
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code lkmd daemon --simulate --coldplug off} (or another mode) in this JVM over a host-like root whose {@code sys}
 * is this machine's /sys, so real kernel uevents reach it; every record it makes is kept (the
 * daemon's own log is a ring of 4096). Optional {@code etc/lkmd/lkmd.toml} text.
 */
final class SimulatingDaemon implements AutoCloseable {
    final Path root;
    final Daemon daemon;
    final List<EventRecord> records = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;

    private SimulatingDaemon(Path root, Daemon daemon) {
        this.root = root;
        this.daemon = daemon;
        daemon.events().subscribe(records::add);
        this.thread = new Thread(daemon::run, "daemon-under-test");
    }

    static SimulatingDaemon start(Path dir, String config) throws Exception {
        return start(dir, config, DaemonConfig.ColdplugMode.OFF);
    }

    /** As above, coldplugging in {@code coldplug} (trigger writes this machine's uevent files). */
    static SimulatingDaemon start(Path dir, String config, DaemonConfig.ColdplugMode coldplug) throws Exception {
        String rel = RealTree.release();
        Path root = FakeRoots.hostLike(dir);
        Files.createSymbolicLink(root.resolve("sys"), Path.of("/sys"));
        Path rules = root.resolve("etc/lkmd/rules.d");
        Files.createDirectories(rules);
        Path repo = Path.of(System.getProperty("lkmd.repo", ".."));
        Files.copy(repo.resolve("rules/80-lkmd-drivers.rules"), rules.resolve("80-lkmd-drivers.rules"));
        Files.writeString(root.resolve("etc/lkmd/lkmd.toml"), "[reload]\nwatch = false\n" + config);
        Path state = root.resolve("run/lkmd/simulate");
        Files.createDirectories(state);
        Root r = Root.of(root);
        Daemon d = new Daemon(r, SimulatedKernel.on(r).release(rel).stateDir(state).build(),
                new SnapshotLoader(r, rel, Clock.systemUTC()), Clock.systemUTC(), Map.of(), true,
                Optional.of(coldplug));
        SimulatingDaemon s = new SimulatingDaemon(root, d);
        s.thread.start();
        assertTrue(d.awaitReady(Duration.ofSeconds(120)), "daemon did not become ready");
        return s;
    }

    List<EventRecord> records() {
        synchronized (records) {
            return new ArrayList<>(records);
        }
    }

    @Override
    public void close() throws InterruptedException {
        daemon.stop();
        thread.join(60_000);
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

    static void waitFor(BooleanSupplier done, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < end) {
            Thread.sleep(50);
        }
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
