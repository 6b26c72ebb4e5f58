package org.lkmd.it;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.daemon.Daemon;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.uevent.NetlinkUeventSource;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lkmd.testing.Await.waitFor;

/**
 * Storms of real kernel uevents ({@code add UUID} written to the uevent files of this machine's
 * devices with a MODALIAS, from several threads) against the simulating daemon: every SEQNUM the
 * kernel gave out meanwhile is handled, or the kernel's overflow was seen and sysfs rescanned so
 * every device still gets its plan. tests/bench/storm.sh runs the same with 20,000 events and prints
 * the figures.
 */
class UeventStormTest {
    static final int EVENTS = 2000;
    static final int THREADS = 4;

    @TempDir
    Path tmp;

    record Storm(long firstSeq, long lastSeq, int written) {
    }

    private static Storm storm(List<String> devpaths, String tag, int n) throws Exception {
        long before = SimulatingDaemon.kernelSeqnum();
        ExecutorService ex = Executors.newFixedThreadPool(THREADS);
        List<Future<Integer>> parts = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int first = t;
            parts.add(ex.submit(() -> {
                int ok = 0;
                for (int i = first; i < n; i += THREADS) {
                    Files.writeString(Path.of("/sys" + devpaths.get(i % devpaths.size()) + "/uevent"), "add " + tag);
                    ok++;
                }
                return ok;
            }));
        }
        int written = 0;
        for (Future<Integer> f : parts) {
            written += f.get();
        }
        ex.shutdown();
        return new Storm(before + 1, SimulatingDaemon.kernelSeqnum(), written);
    }

    /** Each device's plan from one calm {@code add}: what any later add of it must plan too. */
    private static Map<String, List<String>> baseline(SimulatingDaemon d, Map<String, String> devices) throws Exception {
        String tag = UUID.randomUUID().toString();
        for (String p : devices.keySet()) {
            Files.writeString(Path.of("/sys" + p + "/uevent"), "add " + tag);
        }
        waitFor(() -> d.records().stream().filter(r -> tag.equals(r.synthUuid())).count() >= devices.size(),
                Duration.ofSeconds(120));
        Map<String, List<String>> plans = new TreeMap<>();
        for (EventRecord r : d.records()) {
            if (tag.equals(r.synthUuid())) {
                plans.put(r.devpath(), SimulatingDaemon.planned(r));
            }
        }
        assertEquals(devices.keySet(), plans.keySet(), "calm events not all handled");
        return plans;
    }

    private static void awaitIdle(Daemon d) throws InterruptedException {
        d.queue().awaitIdle(Duration.ofSeconds(300));
    }

    @Test
    void everySeqnumOfAStormIsHandledWithTheDefaultBuffer() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: writes to /sys uevent files");
        Map<String, String> devices = SimulatingDaemon.devicesWithModalias();
        assumeTrue(!devices.isEmpty(), "no device with a modalias on this machine");
        try (SimulatingDaemon d = SimulatingDaemon.start(tmp.resolve("root"), "")) {
            Map<String, List<String>> plans = baseline(d, devices);
            String tag = UUID.randomUUID().toString();
            Storm s = storm(new ArrayList<>(devices.keySet()), tag, EVENTS);
            assertEquals(EVENTS, s.written());
            NetlinkUeventSource src = (NetlinkUeventSource) d.daemon.source();
            waitFor(() -> d.records().stream().filter(r -> tag.equals(r.synthUuid())).count() >= EVENTS
                    || src.overflows() > 0, Duration.ofSeconds(300));
            awaitIdle(d.daemon);

            Set<Long> seen = new HashSet<>();
            List<EventRecord> ours = new ArrayList<>();
            for (EventRecord r : d.records()) {
                seen.add(r.seqnum());
                if (tag.equals(r.synthUuid())) {
                    ours.add(r);
                }
            }
            List<Long> missing = new ArrayList<>();
            for (long q = s.firstSeq(); q <= s.lastSeq(); q++) {
                if (!seen.contains(q)) {
                    missing.add(q);
                }
            }
            System.out.println("storm (default buffer): " + s.written() + " writes, SEQNUM " + s.firstSeq() + ".." + s.lastSeq()
                    + ", " + ours.size() + " of ours handled, " + missing.size() + " SEQNUMs missing, overflows "
                    + src.overflows() + ", resyncs " + d.daemon.resyncs());
            if (src.overflows() == 0) {
                assertEquals(List.of(), missing, "SEQNUMs lost without an overflow");
                assertEquals(EVENTS, ours.size());
            } else {
                assertTrue(d.daemon.resyncs() >= 1, "overflow without a resync");
            }
            for (EventRecord r : ours) {
                assertEquals(plans.get(r.devpath()), SimulatingDaemon.planned(r), "plan of " + r.devpath() + " in the storm");
            }
        }
    }

    @Test
    void anOverflowIsDetectedAndEveryDeviceIsReplannedByTheRescan() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: writes to /sys uevent files");
        Map<String, String> devices = SimulatingDaemon.devicesWithModalias();
        assumeTrue(!devices.isEmpty(), "no device with a modalias on this machine");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        Logger daemonLog = (Logger) LoggerFactory.getLogger(Daemon.class);
        daemonLog.addAppender(logged);
        // the smallest buffer the config takes, and one worker behind a 16-event queue: the reader
        // blocks on the queue, the socket fills, the kernel drops and reports ENOBUFS
        String config = "[netlink]\nreceive_buffer = 65536\n[events]\nworkers = 1\nqueue_capacity = 16\n";
        try (SimulatingDaemon d = SimulatingDaemon.start(tmp.resolve("root"), config)) {
            Map<String, List<String>> plans = baseline(d, devices);
            NetlinkUeventSource src = (NetlinkUeventSource) d.daemon.source();
            Storm s = storm(new ArrayList<>(devices.keySet()), UUID.randomUUID().toString(), EVENTS);
            waitFor(() -> d.daemon.resyncs() > 0, Duration.ofSeconds(300));
            awaitIdle(d.daemon);
            Thread.sleep(500); // a rescan still pending is submitted by now; wait for it too
            awaitIdle(d.daemon);

            assertTrue(src.overflows() >= 1, "no ENOBUFS with a 64 KiB buffer and a blocked reader");
            assertTrue(d.daemon.resyncs() >= 1, "overflow without a resync");
            assertTrue(logged.list.stream().anyMatch(e -> e.getFormattedMessage().startsWith("Resynchronised: ")),
                    "no resync log line");
            Set<Long> seen = new HashSet<>();
            Map<String, List<String>> rescanned = new TreeMap<>();
            for (EventRecord r : d.records()) {
                seen.add(r.seqnum());
                if (r.seqnum() < 0) {
                    rescanned.put(r.devpath(), SimulatingDaemon.planned(r));
                }
            }
            long missing = 0;
            for (long q = s.firstSeq(); q <= s.lastSeq(); q++) {
                missing += seen.contains(q) ? 0 : 1;
            }
            System.out.println("storm (64 KiB buffer): " + s.written() + " writes, SEQNUM " + s.firstSeq() + ".." + s.lastSeq()
                    + ", received " + src.received() + ", " + missing + " SEQNUMs lost, overflows " + src.overflows()
                    + ", resyncs " + d.daemon.resyncs() + " (" + d.daemon.resyncedDevices() + " devices re-queued)");
            assertTrue(missing > 0, "an overflow but no SEQNUM lost");
            // the rescan handled every device with a modalias again and planned what a calm add plans
            assertEquals(plans, rescanned);
        } finally {
            daemonLog.detachAppender(logged);
        }
    }
}
