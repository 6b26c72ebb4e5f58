package org.lkmd.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.config.DaemonConfig;
import org.lkmd.daemon.Daemon;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.uevent.DropReason;
import org.lkmd.uevent.NetlinkUeventSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lkmd.testing.Await.waitFor;

/**
 * The daemon in --simulate mode on this machine's real kernel: uevents made by writing {@code add}
 * to {@code /sys/devices/.../uevent} must plan exactly the modules kmod's modprobe would load for
 * each device's MODALIAS; forged datagrams carrying a MODALIAS must plan nothing and be counted.
 */
class DaemonSimulateTest {
    @TempDir
    static Path tmp;
    static SimulatingDaemon sim;
    static Path root;
    static String rel;
    static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: writes to /sys uevent files");
        assumeTrue(Files.exists(Path.of("/sys/devices")), "no sysfs");
        rel = RealTree.release();
        RealTree.kmodTool("modprobe");
        sim = SimulatingDaemon.start(tmp.resolve("root"), "");
        root = sim.root;
        daemon = sim.daemon;
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (sim != null) {
            sim.close();
        }
    }

    private static Map<String, String> devicesWithModalias() throws IOException {
        return SimulatingDaemon.devicesWithModalias();
    }

    @Test
    void realUeventsPlanWhatKmodWouldLoad() throws Exception {
        Map<String, String> devices = devicesWithModalias();
        assumeTrue(!devices.isEmpty(), "no device with a modalias on this machine");
        for (String devpath : devices.keySet()) {
            Files.writeString(Path.of("/sys" + devpath + "/uevent"), "add");
        }
        waitFor(() -> devices.keySet().stream().allMatch(d -> !daemon.events().forDevpath(d).isEmpty()),
                Duration.ofSeconds(120));
        List<String> diffs = new ArrayList<>();
        for (Map.Entry<String, String> d : devices.entrySet()) {
            List<EventRecord> recs = daemon.events().forDevpath(d.getKey());
            assertTrue(!recs.isEmpty(), "no event handled for " + d.getKey());
            EventRecord last = recs.get(recs.size() - 1);
            Set<String> ours = new TreeSet<>(SimulatingDaemon.planned(last));
            Set<String> kmods = kmodPlan(d.getValue());
            if (!ours.equals(kmods)) {
                diffs.add(d.getKey() + " (" + d.getValue() + "): kmod " + kmods + ", lkmd " + ours);
            }
        }
        assertEquals(List.of(), diffs);
        long planned = devices.keySet().stream().map(daemon.events()::forDevpath)
                .filter(rs -> rs.get(rs.size() - 1).outcomes().stream()
                        .anyMatch(o -> o.result() == EventRecord.Result.DRY_RUN)).count();
        assertTrue(planned > 0, "no real uevent planned a load: the comparison with kmod compared no load");
        System.out.println("lkmd daemon --simulate: " + devices.size() + " real uevents with MODALIAS, "
                + planned + " planned loads, all equal to kmod's --show-depends");
    }

    /**
     * Coldplug by scan plans the same modules as coldplug by trigger on this machine, for the same
     * devices, and makes the kernel send nothing: each of the scan's events (no SEQNUM) stands for one
     * the trigger made the kernel send (SYNTH_UUID).
     */
    @Test
    void scanColdplugPlansWhatTriggerColdplugPlans() throws Exception {
        Map<String, Set<String>> byMode = new java.util.TreeMap<>();
        Map<String, Set<String>> devpaths = new java.util.TreeMap<>();
        for (DaemonConfig.ColdplugMode mode : List.of(DaemonConfig.ColdplugMode.SCAN, DaemonConfig.ColdplugMode.TRIGGER)) {
            List<EventRecord> recs;
            try (SimulatingDaemon d = SimulatingDaemon.start(tmp.resolve("coldplug-" + mode), "", mode)) {
                recs = d.records();
            }
            List<EventRecord> coldplug = recs.stream().filter(r -> mode == DaemonConfig.ColdplugMode.SCAN
                    ? r.seqnum() < 0 : r.synthUuid() != null).toList();
            assertTrue(!coldplug.isEmpty(), mode + ": no coldplug event handled");
            byMode.put(mode.name(), coldplug.stream().flatMap(r -> SimulatingDaemon.planned(r).stream())
                    .collect(Collectors.toCollection(TreeSet::new)));
            devpaths.put(mode.name(), coldplug.stream().map(EventRecord::devpath).collect(Collectors.toCollection(TreeSet::new)));
            if (mode == DaemonConfig.ColdplugMode.SCAN) {
                assertTrue(recs.stream().noneMatch(r -> r.synthUuid() != null), "scan mode triggered events");
            }
        }
        assertEquals(devpaths.get("TRIGGER"), devpaths.get("SCAN"), "devices and subsystems coldplugged");
        assertEquals(byMode.get("TRIGGER"), byMode.get("SCAN"), "modules planned at coldplug");
        System.out.println("coldplug scan vs trigger: " + devpaths.get("SCAN").size() + " events each, planned "
                + byMode.get("SCAN"));
    }

    /** The module names kmod's modprobe would insert for a MODALIAS (its --show-depends, insmod lines). */
    private static Set<String> kmodPlan(String modalias) {
        Tool t = Tool.exec(List.of(RealTree.kmodTool("modprobe"), "-d", root.toString(), "-S", rel, "-q",
                "--show-depends", "--", modalias));
        return t.out().lines().filter(l -> l.startsWith("insmod "))
                .map(l -> l.split(" ")[1]).map(p -> p.substring(p.lastIndexOf('/') + 1))
                .map(f -> f.substring(0, f.indexOf('.')).replace('-', '_'))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void forgedDatagramsLoadNothingAndAreCounted() throws Exception {
        NetlinkUeventSource src = (NetlinkUeventSource) daemon.source();
        long before = src.drops().get(DropReason.FORGED_SENDER);
        String forgedPath = "/devices/platform/lkmd-forged";
        String payload = "add@" + forgedPath + "\0ACTION=add\0DEVPATH=" + forgedPath
                + "\0SUBSYSTEM=platform\0MODALIAS=platform:pcspkr\0SEQNUM=999999\0";
        // a root process may send to group 1 and to the daemon's port id: both must be dropped
        Tool t = Tool.exec(List.of("python3", "-c",
                "import socket,sys\n"
                        + "s=socket.socket(socket.AF_NETLINK,socket.SOCK_RAW,15)\n"
                        + "s.bind((0,0))\n"
                        + "m=sys.argv[1].encode().replace(b'\\\\0',b'\\0')\n"
                        + "s.sendto(m,(0,1))\n"
                        + "s.sendto(m,(int(sys.argv[2]),0))\n",
                payload.replace("\0", "\\0"), Integer.toString(src.portId())));
        assertEquals(0, t.rc(), t.err());
        waitFor(() -> src.drops().get(DropReason.FORGED_SENDER) >= before + 2, Duration.ofSeconds(20));
        // both (unicast and group 1) counted; group-1 forgeries of other tests on this machine would count too
        assertTrue(src.drops().get(DropReason.FORGED_SENDER) >= before + 2, "forged datagrams not counted as dropped");
        assumeTrue(Files.exists(Path.of("/sys/devices/platform/pcspkr/uevent")), "no pcspkr device to send a real event");
        // a real event afterwards proves the forgeries were read (and not merely still queued)
        Files.writeString(Path.of("/sys/devices/platform/pcspkr/uevent"), "change");
        waitFor(() -> daemon.events().records().stream().anyMatch(r -> r.devpath().equals("/devices/platform/pcspkr")
                && r.action().equals("change")), Duration.ofSeconds(20));
        assertTrue(daemon.events().forDevpath(forgedPath).isEmpty(), "a forged event was handled");
    }
}
