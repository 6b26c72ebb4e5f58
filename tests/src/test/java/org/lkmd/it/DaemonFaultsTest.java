package org.lkmd.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;
import org.lkmd.daemon.Daemon;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.uevent.ScriptedUeventSource;
import org.lkmd.uevent.Uevent;
import org.lkmd.uevent.UeventParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lkmd.testing.Await.waitFor;

/**
 * Faults around the daemon, loading for real (not --simulate) into a {@link SimulatedKernel} over a
 * fake root of its own: the real module tree linked in, a fake sysfs tree for the devices, events fed
 * by a {@link ScriptedUeventSource}. A hung install hook is killed at its time limit while other
 * events go on; a failing module does not stop its sibling; an unusable /run reads as one clear line.
 */
class DaemonFaultsTest {
    @TempDir
    Path tmp;

    /** A root with the real module tree, the drivers rules, a fake sysfs device per MODALIAS, and this config. */
    private static Path root(Path dir, Map<String, String> devices, String modprobeConf, String toml) throws IOException {
        String rel = RealTree.release();
        Files.createDirectories(dir.resolve("lib/modules"));
        Files.createSymbolicLink(dir.resolve("lib/modules/" + rel), RealTree.modulesDir());
        Files.createDirectories(dir.resolve("proc"));
        Files.writeString(dir.resolve("proc/cmdline"), "quiet\n");
        Files.createDirectories(dir.resolve("etc/modprobe.d"));
        Files.writeString(dir.resolve("etc/modprobe.d/faults.conf"), modprobeConf);
        Files.createDirectories(dir.resolve("etc/lkmd/rules.d"));
        Files.copy(Path.of(System.getProperty("lkmd.repo", ".."), "rules/80-lkmd-drivers.rules"),
                dir.resolve("etc/lkmd/rules.d/80-lkmd-drivers.rules"));
        Files.writeString(dir.resolve("etc/lkmd/lkmd.toml"), "[reload]\nwatch = false\n" + toml);
        Files.createDirectories(dir.resolve("sys/bus/platform"));
        Files.createDirectories(dir.resolve("sys/module"));
        for (Map.Entry<String, String> d : devices.entrySet()) {
            Path dev = dir.resolve("sys" + d.getKey());
            Files.createDirectories(dev);
            Files.writeString(dev.resolve("uevent"), "MODALIAS=" + d.getValue() + "\n");
            Files.writeString(dev.resolve("modalias"), d.getValue() + "\n");
            Files.createSymbolicLink(dev.resolve("subsystem"), dir.resolve("sys/bus/platform"));
        }
        return dir;
    }

    private static Uevent add(String devpath, String modalias, long seq) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("ACTION", "add");
        p.put("DEVPATH", devpath);
        p.put("SUBSYSTEM", "platform");
        p.put("MODALIAS", modalias);
        p.put("SEQNUM", Long.toString(seq));
        return new Uevent("add", devpath, seq, p);
    }

    private static ScriptedUeventSource.Step step(Uevent e) {
        return new ScriptedUeventSource.Datagram(UeventParser.encode(e));
    }

    @Test
    void hungInstallHookIsKilledAtItsTimeoutWhileOtherEventsGoOn() throws Exception {
        Path pids = tmp.resolve("hook.pids");
        Map<String, String> devices = new LinkedHashMap<>();
        devices.put("/devices/platform/pcspkr", "platform:pcspkr");
        devices.put("/devices/fake/rng", "virtio:d00000004v00001AF4");
        devices.put("/devices/fake/balloon", "virtio:d00000005v00001AF4");
        devices.put("/devices/fake/crc", "crc16");
        // the hook and a child it forks both hang; both must be gone once the time limit kills the hook
        Path root = root(tmp.resolve("root"), devices,
                "install pcspkr echo $$ > " + pids + "; sleep 600 & echo $! >> " + pids + "; wait\n",
                "[loader]\nhook_timeout = 10\n");
        Root r = Root.of(root);
        String rel = RealTree.release();
        SimulatedKernel kernel = SimulatedKernel.on(r).release(rel).build();
        // the other events come only once the hook runs, so they are handled while it hangs
        Iterable<ScriptedUeventSource.Step> script = () -> new Iterator<>() {
            final List<Uevent> events = List.of(add("/devices/platform/pcspkr", "platform:pcspkr", 1),
                    add("/devices/fake/rng", "virtio:d00000004v00001AF4", 2),
                    add("/devices/fake/balloon", "virtio:d00000005v00001AF4", 3), add("/devices/fake/crc", "crc16", 4));
            int i;

            @Override
            public boolean hasNext() {
                return i < events.size();
            }

            @Override
            public ScriptedUeventSource.Step next() {
                if (i == 1) {
                    awaitFile(pids, 2);
                }
                return step(events.get(i++));
            }
        };
        Map<Long, Boolean> hookAliveWhenDone = new ConcurrentHashMap<>();
        List<EventRecord> records = java.util.Collections.synchronizedList(new ArrayList<>());
        try (SimulatingDaemon d = SimulatingDaemon.over(root).release(rel).loadingInto(kernel)
                .source(new ScriptedUeventSource(script, new UeventParser()))
                .onRecord(rec -> {
                    records.add(rec);
                    hookAliveWhenDone.put(rec.seqnum(), anyAlive(pids));
                }).start()) {
            waitFor(() -> records.size() >= 4, Duration.ofSeconds(120));
            assertEquals(4, records.size(), "records: " + records);
            for (long seq = 2; seq <= 4; seq++) {
                assertTrue(hookAliveWhenDone.get(seq), "event " + seq + " was handled only after the hook ended");
            }
            assertFalse(hookAliveWhenDone.get(1L), "the hook outlived its event");
            assertEquals(1L, records.get(records.size() - 1).seqnum(), "the hung event did not finish last");
            EventRecord hung = records.get(records.size() - 1);
            assertEquals(EventRecord.Result.FAILED, hung.outcomes().get(0).result());
            assertEquals(Errno.ETIMEDOUT, hung.outcomes().get(0).errno());
            assertTrue(hung.outcomes().get(0).detail().contains("timed out after 10000 ms, killed"), hung.toString());
            for (long pid : readPids(pids)) {
                assertFalse(running(pid), "hook process " + pid + " still running");
            }
            assertTrue(kernel.loadOrder().containsAll(List.of("virtio_rng", "virtio_balloon", "crc16")), kernel.loadOrder().toString());
            assertTrue(Files.exists(root.resolve("sys/module/virtio_rng/initstate")));
            assertFalse(kernel.loadOrder().contains("pcspkr"));
        }
    }

    @Test
    void failingModuleDoesNotStopItsSibling() throws Exception {
        Map<String, String> devices = Map.of("/devices/fake/dual", "lkmd-test:dual");
        Path root = root(tmp.resolve("root"), devices, "alias lkmd-test:dual crc16\nalias lkmd-test:dual crc_itu_t\n", "");
        Root r = Root.of(root);
        String rel = RealTree.release();
        SimulatedKernel kernel = SimulatedKernel.on(r).release(rel).failing("crc16", Errno.ENOEXEC).build();
        try (SimulatingDaemon sim = SimulatingDaemon.over(root).release(rel).loadingInto(kernel)
                .source(new ScriptedUeventSource(List.of(step(add("/devices/fake/dual", "lkmd-test:dual", 7))), new UeventParser()))
                .start()) {
            Daemon d = sim.daemon;
            waitFor(() -> !d.events().forDevpath("/devices/fake/dual").isEmpty(), Duration.ofSeconds(60));
            EventRecord rec = d.events().forDevpath("/devices/fake/dual").get(0);
            Map<String, EventRecord.Result> got = new LinkedHashMap<>();
            rec.outcomes().forEach(o -> got.put(o.what(), o.result()));
            assertEquals(Map.of("crc16", EventRecord.Result.FAILED, "crc_itu_t", EventRecord.Result.LOADED), got);
            assertEquals(List.of("crc_itu_t"), kernel.loadOrder());
            assertEquals(Map.of("ENOEXEC", 1L), d.events().failuresByErrno());
        }
    }

    @Test
    void runThatIsAFileOrReadOnlyGivesOneClearLine() throws Exception {
        String rel = RealTree.release();
        Path root = root(tmp.resolve("root"), Map.of(), "", "");
        Files.writeString(root.resolve("run"), "not a directory\n");
        Tool t = Tool.lkmd("daemon", "--root", root.toString(), "--simulate", "--coldplug", "off", "--kernel-release", rel);
        assertEquals(1, t.rc(), t.err());
        assertEquals("lkmd daemon: cannot create the simulated kernel's state directory " + root + "/run/lkmd/simulate: "
                + root + "/run/lkmd: Not a directory\n", t.err());

        assumeTrue("root".equals(System.getProperty("user.name")), "a read-only bind mount needs root");
        Path ro = root(tmp.resolve("ro"), Map.of(), "", "");
        Files.createDirectories(ro.resolve("run"));
        assumeTrue(Tool.exec(List.of("mount", "--bind", ro.resolve("run").toString(), ro.resolve("run").toString())).rc() == 0,
                "cannot bind mount");
        try {
            assertEquals(0, Tool.exec(List.of("mount", "-o", "remount,bind,ro", ro.resolve("run").toString())).rc());
            Tool t2 = Tool.lkmd("daemon", "--root", ro.toString(), "--simulate", "--coldplug", "off", "--kernel-release", rel);
            assertEquals(1, t2.rc(), t2.err());
            assertEquals("lkmd daemon: cannot create the simulated kernel's state directory " + ro + "/run/lkmd/simulate: "
                    + ro + "/run/lkmd: Read-only file system\n", t2.err());
        } finally {
            Tool.exec(List.of("umount", ro.resolve("run").toString()));
        }
    }

    private static void awaitFile(Path f, int lines) {
        try {
            waitFor(() -> readPids(f).size() >= lines, Duration.ofSeconds(120));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<Long> readPids(Path f) {
        try {
            return Files.readAllLines(f).stream().map(String::strip).filter(s -> !s.isEmpty()).map(Long::parseLong).toList();
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
    }

    private static boolean anyAlive(Path pids) {
        return readPids(pids).stream().anyMatch(DaemonFaultsTest::running);
    }

    /**
     * Whether the process still runs. A SIGKILLed process whose parent has not reaped it yet is a
     * zombie: dead, though {@link ProcessHandle#isAlive} still says true.
     */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }
}
