package org.lkmd.daemon;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.ScenarioRoot;
import org.lkmd.base.Root;
import org.lkmd.eventlog.EventLog;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.rules.ProcessProgramRunner;
import org.lkmd.rules.RulesEngine;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code explain}'s answer over the {@code probe} root: no host module tree, modprobe.d or sysfs. */
class ExplainerTest {
    static final String PCI = "pci:v00001234d00005678sv00000000sd00000000bc02sc00i00";

    @TempDir
    Path tmp;
    Root root;
    Path modulesDir;
    Snapshot snapshot;

    @BeforeEach
    void load() {
        Path r = ScenarioRoot.copy("probe", tmp);
        root = Root.of(r);
        modulesDir = ScenarioRoot.modulesDir(r);
        snapshot = new SnapshotLoader(root, ScenarioRoot.RELEASE, Clock.systemUTC()).load(1, false).value().orElseThrow();
    }

    private List<String> explain(String target, EventLog events) {
        return new Explainer(root, snapshot, SimulatedKernel.on(root).build(),
                new RulesEngine(root, ProcessProgramRunner.defaults()), events).explain(target);
    }

    @Test
    void aModaliasIsExplainedFromAliasPatternToPlanAndVerdict() {
        String ko = modulesDir + "/kernel/drivers/stack/";
        assertEquals(List.of(
                "kmod load " + PCI,
                "  alias pattern pci:v00001234d00005678sv*sd*bc*sc*i* -> mod_c (" + modulesDir.resolve("modules.alias") + ":2)",
                "  module mod_c (via " + PCI + ")",
                "    plan:",
                "      insmod " + ko + "mod_a.ko",
                "      insmod " + ko + "mod_b.ko",
                "      insmod " + ko + "mod_c.ko",
                "    state: absent",
                "    verdict: would load",
                "history: no daemon answered, no event history"), explain(PCI, null));
    }

    @Test
    void aBlacklistedAliasSaysWhereItIsBlacklisted() {
        List<String> out = explain("platform:blk", null);
        String conf = root.resolve("/etc/modprobe.d/scenario.conf").toString();
        assertTrue(out.contains("    blacklist blacklisted_drv (" + conf + ":1)"), out.toString());
        assertTrue(out.contains("    why not: blacklisted at " + conf + ":1"), out.toString());
    }

    @Test
    void optionsAndLiveStateAreShown() {
        List<String> opts = explain("my-alias", null);
        String conf = root.resolve("/etc/modprobe.d/scenario.conf").toString();
        assertTrue(opts.contains("  alias pattern my_alias -> opts_drv (" + conf + ":3)"), opts.toString());
        assertTrue(opts.contains("    options opts_drv level=3 (" + conf + ":2)"), opts.toString());
        assertTrue(opts.contains("    options opts_drv debug=1 (/proc/cmdline:0)"), opts.toString());
        List<String> live = explain("platform:live", null);
        assertTrue(live.contains("    state: live"), live.toString());
        assertTrue(live.contains("    why not: already live in the kernel"), live.toString());
        List<String> none = explain("char-major-99-99", null);
        assertTrue(none.contains("  why not: no module answers to char-major-99-99 (no alias, module or builtin matches)"),
                none.toString());
    }

    @Test
    void aDevpathRunsTheRulesOnTheDevicesUeventFile() {
        List<String> out = explain("/devices/pci0000:00/0000:00:01.0", null);
        assertTrue(out.contains("rule matched: /etc/lkmd/rules.d/80-drivers.rules:2"), out.toString());
        assertTrue(out.contains("kmod load " + PCI), out.toString());
        assertTrue(out.contains("    verdict: would load"), out.toString());
    }

    @Test
    void aKernelRequestIsInTheHistoryWithItsOrigin() {
        EventLog log = new EventLog(8);
        log.add(EventRecord.ofRequest(EventRecord.Source.KERNEL_REQUEST, "fs-vfat", Instant.parse("2026-12-05T12:00:00Z"),
                Duration.ofMillis(3), List.of(new EventRecord.Outcome("vfat", "fs-vfat", EventRecord.Result.LOADED, null,
                        "fat", "kernel request fs-vfat"))));
        List<String> out = explain("fs-vfat", log);
        assertTrue(out.contains("  module vfat (via fs_vfat)"), out.toString());
        assertEquals("  kernel request fs-vfat at 2026-12-05T12:00:00Z (3 ms): vfat loaded (fat)", out.get(out.size() - 1));
    }

    @Test
    void aDenyIsNamedWithFileAndLineForTheModuleAndForWhatNeedsIt() throws Exception {
        Path dir = Path.of(root.resolve("/etc/lkmd/modprobe.d").toString());
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("deny.conf"), "deny mod_b\n");
        snapshot = new SnapshotLoader(root, ScenarioRoot.RELEASE, Clock.systemUTC()).load(2, false).value().orElseThrow();
        String conf = dir.resolve("deny.conf").toString();
        String ko = modulesDir + "/kernel/drivers/stack/";
        List<String> out = explain(PCI, null);
        assertTrue(out.contains("      insmod " + ko + "mod_b.ko [denied: at " + conf + ":1]"), out.toString());
        assertTrue(out.contains("      insmod " + ko + "mod_c.ko [denied: dependency mod_b at " + conf + ":1]"),
                out.toString());
        assertTrue(out.contains("    why not: its dependency mod_b is denied at " + conf + ":1"), out.toString());
        List<String> self = explain("mod-b", null);
        assertTrue(self.contains("    deny mod_b (" + conf + ":1)"), self.toString());
        assertTrue(self.contains("    why not: mod_b is denied at " + conf + ":1"), self.toString());
        assertTrue(self.stream().noneMatch(l -> l.contains("verdict: would load")), self.toString());
    }
}
