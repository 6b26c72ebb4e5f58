package org.lkmd.it.guest;

import static org.lkmd.it.guest.GuestHost.hasKernelImage;
import static org.lkmd.it.guest.GuestHost.onPath;
import static org.lkmd.it.guest.GuestHost.tail;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * lkmd as the only hotplug agent of a real kernel, against udev in the same QEMU machine: boots
 * the guest with {@code lkmd daemon} in each coldplug mode ({@code scan}, the default, and
 * {@code trigger}) and once with {@code systemd-udevd} (with only udev's
 * 80-drivers.rules) through {@code tests/guest/agent-run}, each coldplugging and then getting
 * usb-kbd, virtio-net-pci and e1000 hot-added over QMP. Asserts behaviour, never durations
 * (those are printed; tests/bench/coldplug-hotplug.sh measures them):
 * <ul>
 * <li>every boot-time device got its driver under lkmd (the machine's known stacks, and every
 *     device bound to a driver under udev is bound to the same one under lkmd);</li>
 * <li>each hot-added device got its drivers (usbhid + hid_generic, virtio_net + net_failover +
 *     failover, e1000), under both agents;</li>
 * <li>the modules loaded at coldplug (Live before the first hot-add), and in the end, are the same
 *     set under both agents, and under lkmd in both coldplug modes.</li>
 * </ul>
 * Skipped like {@link GuestScenariosTest} when QEMU, the kernel or the jar is missing, or with
 * {@code -Dlkmd.guest.skip=true}; needs udev on the host (tests/install-deps).
 */
class GuestAgentsTest {
    private static final Path REPO = Path.of(System.getProperty("lkmd.repo", "..")).toAbsolutePath().normalize();

    /** The drivers of the machine's boot-time devices (tests/guest/agent-run MACHINE). */
    private static final Set<String> BOOT_DRIVERS = Set.of("snd_hda_intel", "snd_hda_codec_generic", "xhci_pci",
            "e1000e", "virtio_pci", "virtio_rng", "i2c_i801");

    @Test
    void lkmdLoadsWhatUdevLoadsAtColdplugAndHotplug() throws Exception {
        assumeTrue(!Boolean.getBoolean("lkmd.guest.skip"), "lkmd.guest.skip=true");
        assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86_64 not installed (tests/install-deps installs it)");
        assumeTrue(onPath("udevadm"), "udev not installed (tests/install-deps installs it)");
        assumeTrue(hasKernelImage(), "no /boot/vmlinuz-<rel> with /lib/modules/<rel>");
        Path jar = REPO.resolve("daemon/target/lkmd.jar");
        assumeTrue(Files.isRegularFile(jar), jar + " not built");

        AgentRunOutput lkmd = boot("lkmd", jar, "lkmd.coldplug=scan");
        AgentRunOutput trigger = boot("lkmd", jar, "lkmd.coldplug=trigger");
        AgentRunOutput udev = boot("udev", jar, "");

        for (AgentRunOutput r : List.of(lkmd, trigger, udev)) {
            assertTrue(r.sawColdplug && r.sawHostColdplug && r.sawFinal && r.exitStatus == 0,
                    () -> "the guest did not finish (crash, time limit or agent failure); console tail:\n" + tail(r.console, 80));
        }
        assertAll(
                // (a) boot-time devices
                () -> assertTrue(lkmd.hostColdplugModules.containsAll(BOOT_DRIVERS),
                        () -> "lkmd coldplug misses boot-time drivers " + missing(BOOT_DRIVERS, lkmd.hostColdplugModules)),
                () -> assertEquals(bound(udev.drivers), sameDevices(lkmd.drivers, bound(udev.drivers)),
                        "devices bound under udev must be bound to the same driver under lkmd"),
                // (b) hotplug, both agents
                () -> assertHotplugged(lkmd, "lkmd"),
                () -> assertHotplugged(udev, "udev"),
                // (c) the same modules
                () -> assertEquals(udev.preModules, lkmd.preModules, "modules live before the agent started"),
                // what went Live before the first hot-add; the guest's list at the agent's own "done"
                // (lkmd Ready, udevadm settle) may lack the asynchronously probed HDA codec's driver
                // under either agent, so it is printed, not compared
                () -> assertEquals(udev.hostColdplugModules, lkmd.hostColdplugModules,
                        "modules loaded at coldplug: lkmd (actual) vs udev (expected)"),
                () -> assertEquals(udev.finalModules, lkmd.finalModules,
                        "modules loaded after coldplug and hotplug: lkmd (actual) vs udev (expected)"),
                // coldplug by trigger: the same as by scan, and as udev's
                () -> assertTrue(trigger.hostColdplugModules.containsAll(BOOT_DRIVERS),
                        () -> "lkmd trigger coldplug misses boot-time drivers " + missing(BOOT_DRIVERS, trigger.hostColdplugModules)),
                () -> assertEquals(bound(udev.drivers), sameDevices(trigger.drivers, bound(udev.drivers)),
                        "devices bound under udev must be bound to the same driver under lkmd (trigger)"),
                () -> assertHotplugged(trigger, "lkmd (trigger)"),
                () -> assertEquals(udev.hostColdplugModules, trigger.hostColdplugModules,
                        "modules loaded at coldplug: lkmd trigger (actual) vs udev (expected)"),
                () -> assertEquals(lkmd.hostColdplugModules, trigger.hostColdplugModules,
                        "modules loaded at coldplug: lkmd trigger (actual) vs lkmd scan (expected)"));
    }

    private static void assertHotplugged(AgentRunOutput r, String agent) {
        Map<String, String> expected = Map.of("usb-kbd", "usbhid,hid_generic",
                "virtio-net-pci", "virtio_net,net_failover,failover", "e1000", "e1000");
        for (Map.Entry<String, String> e : new TreeMap<>(expected).entrySet()) {
            AgentRunOutput.Hotplug h = r.hotplugs.get(e.getKey());
            assertTrue(h != null && h.ok(), () -> agent + ": hot-added " + e.getKey() + " should get " + e.getValue()
                    + ", got " + h);
            for (String m : e.getValue().split(",")) {
                assertTrue(r.finalModules.contains(m), () -> agent + ": " + m + " not in /proc/modules at the end");
            }
        }
    }

    /** @param cmdline more kernel command line (lkmd.coldplug=MODE) */
    private AgentRunOutput boot(String agent, Path jar, String cmdline) throws Exception {
        long timeoutS = Long.getLong("lkmd.guest.timeout", 400);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--source", "17", REPO.resolve("tests/guest/agent-run").toString(), agent)
                .directory(REPO.toFile()).redirectErrorStream(true);
        pb.environment().put("LKMD_JAR", jar.toString());
        pb.environment().put("LKMD_GUEST_TIMEOUT", Long.toString(timeoutS));
        pb.environment().put("LKMD_AGENT_CMDLINE", cmdline);
        String label = cmdline.isEmpty() ? agent : agent + " " + cmdline;
        long t0 = System.nanoTime();
        Process p = pb.start();
        AgentRunOutput out = new AgentRunOutput();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.accept(line);
                if (line.contains("LKMD-HOST") || line.contains("LKMD-AGENT ") || line.contains("LKMD-JVM")) {
                    System.out.println(label + ": " + line.substring(line.indexOf("LKMD-")).strip());
                }
            }
        } finally {
            if (!p.waitFor(timeoutS + 60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        System.out.printf("%s: coldplug modules %s (at the agent's done: %s)%n%s: wall %d ms%n", label,
                out.hostColdplugModules, out.agentColdplugModules(), label,
                (System.nanoTime() - t0) / 1_000_000);
        return out;
    }

    /** The devices of {@code udevBound} with the driver {@code lkmd} bound them to ("absent" if the device is missing). */
    private static Map<String, String> sameDevices(Map<String, String> lkmd, Map<String, String> udevBound) {
        Map<String, String> out = new TreeMap<>();
        udevBound.keySet().forEach(d -> out.put(d, lkmd.getOrDefault(d, "absent")));
        return out;
    }

    private static Map<String, String> bound(Map<String, String> drivers) {
        Map<String, String> out = new TreeMap<>();
        drivers.forEach((d, drv) -> {
            if (!drv.equals("-")) {
                out.put(d, drv);
            }
        });
        return out;
    }

    private static Set<String> missing(Set<String> want, Set<String> have) {
        Set<String> s = new TreeSet<>(want);
        s.removeAll(have);
        return s;
    }
}
