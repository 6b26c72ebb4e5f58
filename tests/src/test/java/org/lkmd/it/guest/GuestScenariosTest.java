package org.lkmd.it.guest;

import static org.lkmd.it.guest.GuestHost.hasKernelImage;
import static org.lkmd.it.guest.GuestHost.onPath;
import static org.lkmd.it.guest.GuestHost.tail;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real loading in a real kernel: builds (or reuses) the guest initramfs, boots it once under QEMU
 * (TCG) with {@code tests/guest/run-guest}, and asserts that every scenario check passed. Needs
 * qemu-system-x86_64 and a Debian kernel image, which {@code tests/install-deps} installs; skipped
 * (with the reason) when they are absent or {@code -Dlkmd.guest.skip=true}. Scenarios:
 * {@code -Dlkmd.guest.scenarios=10-insmod-stack,20-params} (default all); time limits in seconds:
 * {@code -Dlkmd.guest.timeout} (the whole boot, 1800) and {@code -Dlkmd.guest.scenarioTimeout} (each, 600).
 */
class GuestScenariosTest {
    private static final Path REPO = Path.of(System.getProperty("lkmd.repo", "..")).toAbsolutePath().normalize();

    @Test
    void scenariosPassInAQemuGuest() throws Exception {
        assumeTrue(!Boolean.getBoolean("lkmd.guest.skip"), "lkmd.guest.skip=true");
        assumeTrue(onPath("qemu-system-x86_64"), "qemu-system-x86_64 not installed (tests/install-deps installs it)");
        assumeTrue(hasKernelImage(), "no /boot/vmlinuz-<rel> with /lib/modules/<rel>");
        Path jar = REPO.resolve("daemon/target/lkmd.jar");
        assumeTrue(Files.isRegularFile(jar), jar + " not built");

        long timeoutS = Long.getLong("lkmd.guest.timeout", 1800);
        ProcessBuilder pb = new ProcessBuilder(REPO.resolve("tests/guest/run-guest").toString(),
                System.getProperty("lkmd.guest.scenarios", "all"));
        pb.environment().put("LKMD_JAR", jar.toString());
        pb.environment().put("LKMD_GUEST_TIMEOUT", Long.toString(timeoutS));
        // per scenario; generous because TCG on a shared host can run several times slower than alone
        pb.environment().put("LKMD_SCENARIO_TIMEOUT", Long.toString(Long.getLong("lkmd.guest.scenarioTimeout", 600)));
        pb.redirectErrorStream(true);
        long t0 = System.nanoTime();
        Process p = pb.start();
        GuestRun run = new GuestRun();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                run.accept(line);
                if (line.contains("LKMD-")) {
                    System.out.println("guest: " + line.substring(line.indexOf("LKMD-")).strip());
                }
            }
        } finally {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        long wallMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("guest: kernel boot to /init %d ms, scenarios %d ms, guest uptime at end %d ms, "
                + "wall (image build/reuse + QEMU) %d ms%n", run.bootMs, run.scenariosMs, run.doneUptimeMs, wallMs);

        assertTrue(run.done(), () -> "the guest did not finish its scenarios (crash or time limit); console tail:\n"
                + tail(run.console.toString(), 60));
        assertFalse(run.results.isEmpty(), "no scenario reported a result");
        // every scenario asked for ran to its end, and every check it printed reached the console
        List<String> expected = scenarioNames(System.getProperty("lkmd.guest.scenarios", "all"));
        assertEquals(expected, run.scenarios.stream().map(GuestRun.Scenario::name).toList(), "scenarios that ran");
        for (GuestRun.Scenario sc : run.scenarios) {
            assertEquals(0, sc.rc(), sc.name() + " exit code");
            Integer announced = run.announcedChecks.get(sc.name());
            assertTrue(announced != null && announced > 0, sc.name() + " did not report its check count");
            assertEquals(announced.longValue(), run.resultsOf(sc.name()), sc.name() + ": results seen vs printed");
        }
        List<String> names = run.results.stream().map(GuestRun.Result::check).toList();
        assertEquals(names.size(), new java.util.HashSet<>(names).size(), () -> "check names repeat: " + names);
        List<GuestRun.Result> failed = run.results.stream().filter(x -> !x.pass()).toList();
        assertEquals(List.of(), failed, () -> failed.stream()
                .map(f -> f.check() + ": " + f.detail()).collect(Collectors.joining("\n")));
    }

    /** The scenario files (tests/guest/scenarios/*.sh but lib.sh) that /init runs for this selection, in its order. */
    private static List<String> scenarioNames(String wanted) throws IOException {
        List<String> sel = List.of(wanted.split(","));
        try (var s = Files.list(REPO.resolve("tests/guest/scenarios"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sh"))
                    .map(n -> n.substring(0, n.length() - 3)).filter(n -> !n.equals("lib"))
                    .filter(n -> sel.contains("all") || sel.contains(n)).sorted().toList();
        }
    }
}
