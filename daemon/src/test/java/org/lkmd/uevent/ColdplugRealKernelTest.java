package org.lkmd.uevent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.lkmd.base.Root;

/** Coldplug against this machine's /sys and kernel (root only). */
class ColdplugRealKernelTest {

    @Test
    void scanFindsTheDevicesFindAndGrepFind() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/sys/devices")) && Files.isExecutable(Path.of("/bin/sh")));
        // Oracle: find(1) and grep(1), not our walker. Devices = dirs with uevent + subsystem link.
        String script = "cd /sys && { find devices -name uevent -type f -exec grep -l '^MODALIAS=' {} + "
                + "| sed 's|/uevent$||'; find devices -name modalias -type f -size +0 | sed 's|/modalias$||'; } "
                + "| sort -u | while read d; do [ -L \"$d/subsystem\" ] && [ -f \"$d/uevent\" ] && echo \"/$d\"; done";
        Process p = new ProcessBuilder("/bin/sh", "-c", script).start();
        Set<String> expected = new TreeSet<>(List.of(
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")));
        expected.remove("");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        List<Uevent> scanned = new Coldplug(Root.system()).scan();
        Set<String> got = scanned.stream().map(Uevent::devpath).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(expected, got);
        for (Uevent e : scanned) {
            assertTrue(e.subsystem() != null && !e.modalias().isBlank(), e.toString());
        }
        System.out.println("scan: " + scanned.size() + " devices with a modalias: "
                + scanned.stream().map(e -> e.modalias().length() > 40 ? e.modalias().substring(0, 40) + "..."
                : e.modalias()).toList());
    }

    @Test
    void triggerOnRealSysMakesTheKernelSendOneEventPerWrite() throws Exception {
        assumeTrue(RealKernel.usable(), "needs root and NETLINK_KOBJECT_UEVENT");
        UUID uuid = UUID.randomUUID();
        String tag = uuid.toString();
        Map<String, Uevent> ours = new ConcurrentHashMap<>();
        try (RealKernel.Running r = new RealKernel.Running(NetlinkUeventSource.open(NetlinkUeventSource.Options.DEFAULTS))) {
            Coldplug.TriggerReport report = new Coldplug(Root.system()).trigger("add", Optional.of(uuid));
            int written = report.written().size();
            long quietSince = System.nanoTime();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ours.size() < written && System.nanoTime() < deadline
                    && System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(3)) {
                Uevent e = r.events.poll(100, TimeUnit.MILLISECONDS);
                if (e != null && tag.equals(e.get("SYNTH_UUID"))) {
                    ours.put(e.devpath(), e);
                    quietSince = System.nanoTime();
                }
            }
            long withModalias = ours.values().stream().filter(e -> e.modalias() != null).count();
            System.out.println("trigger: wrote " + written + " uevent files (" + report.failed().size()
                    + " failed), received " + ours.size() + " tagged events, " + withModalias + " with MODALIAS, "
                    + "overflows " + r.overflows.get() + ", drops " + r.source.drops());
            assertTrue(written > 0);
            assertEquals(written, ours.size(), "one kernel event per uevent file written");
            assertEquals(0, r.overflows.get());
            // The kernel is the oracle for scan: every triggered device it reports with a MODALIAS,
            // scan must find with the same one, and scan must find nothing the kernel did not announce.
            // (Observed: the kernel's cpuN events carry MODALIAS with a trailing '\n', which the
            // line-based uevent file cannot show; scan strips it.)
            Map<String, String> kernelModaliases = ours.values().stream().filter(e -> e.modalias() != null)
                    .collect(Collectors.toMap(Uevent::devpath, e -> e.modalias().strip()));
            Map<String, String> scanned = new Coldplug(Root.system()).scan().stream()
                    .collect(Collectors.toMap(Uevent::devpath, Uevent::modalias));
            assertEquals(new java.util.TreeMap<>(kernelModaliases), new java.util.TreeMap<>(scanned));
            // scan mode's events are the kernel's answers to the trigger, property for property
            // (SEQNUM and SYNTH_UUID aside; the cpuN MODALIAS newline as above)
            Map<String, Map<String, String>> kernel = new java.util.TreeMap<>();
            ours.values().forEach(e -> kernel.put(e.devpath(), comparable(e)));
            Map<String, Map<String, String>> read = new java.util.TreeMap<>();
            new Coldplug(Root.system()).scanAdd().forEach(e -> read.put(e.devpath(), comparable(e)));
            assertEquals(kernel, read);
            System.out.println("scanAdd: " + read.size() + " events equal to the kernel's answers to the trigger");
        }
    }

    private static Map<String, String> comparable(Uevent e) {
        Map<String, String> p = new java.util.TreeMap<>(e.properties());
        p.remove("SEQNUM");
        p.remove("SYNTH_UUID");
        p.replaceAll((k, v) -> v.strip());
        return p;
    }
}
