package org.lkmd.daemon;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.ScenarioRoot;
import org.lkmd.base.Root;
import org.lkmd.kernel.LoadedModule;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.modprobe.ModprobeConfig;
import org.lkmd.modprobe.ModprobeConfigLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The drift check at start over the {@code probe} root: modules put into a simulated kernel "by
 * the initramfs" (before the daemon), then modprobe.d changed under them.
 */
class InitramfsDriftTest {
    @TempDir
    Path tmp;
    Path root;
    SimulatedKernel kernel;

    @BeforeEach
    void copyRoot() {
        root = ScenarioRoot.copy("probe", tmp);
        kernel = SimulatedKernel.on(root).build();
    }

    private void write(String file, String text) throws Exception {
        Path p = root.resolve(file.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    /** What the initramfs's modprobe did: the module's file inserted with these parameters. */
    private void loadedEarly(String module, String params) throws Exception {
        String dir = module.startsWith("mod_") ? "stack" : "misc";
        kernel.finitModule(ScenarioRoot.modulesDir(root).resolve("kernel/drivers/" + dir + "/" + module + ".ko"),
                params, 0);
    }

    private List<InitramfsDrift.Finding> check() {
        ModprobeConfig c = ModprobeConfigLoader.load(Root.of(root), ScenarioRoot.modulesDir(root), List.of())
                .value().orElseThrow();
        List<LoadedModule> preloaded = kernel.loadedModules();
        return InitramfsDrift.check(Root.of(root), c, kernel, preloaded);
    }

    @Test
    void aModuleLoadedAsConfiguredGivesNoWarning() throws Exception {
        // scenario.conf gives opts_drv level=3 and the command line debug=1; written another way
        loadedEarly("opts_drv", "level=0x3 debug=y");
        loadedEarly("mod_a", "");
        assertEquals(List.of(), check());
    }

    @Test
    void otherParametersNameTheLineAndBothValues() throws Exception {
        loadedEarly("opts_drv", "level=1 debug=1");
        List<InitramfsDrift.Finding> f = check();
        assertEquals(1, f.size(), f.toString());
        String conf = root.resolve("etc/modprobe.d/scenario.conf").toString();
        assertEquals(InitramfsDrift.Kind.OPTIONS, f.get(0).kind());
        assertEquals(conf + ":2", f.get(0).where());
        assertTrue(f.get(0).message().contains("level=3 (" + conf + ":2) but live level=1"), f.get(0).message());
        assertTrue(f.get(0).message().contains("update-initramfs -u"), f.get(0).message());
    }

    @Test
    void parametersTheKernelDoesNotShowAreNotCompared() throws Exception {
        // loaded without parameters: no parameters directory, nothing to compare
        loadedEarly("opts_drv", "");
        assertEquals(List.of(), check());
    }

    @Test
    void aBlacklistAddedAfterTheModuleLoadedIsReported() throws Exception {
        loadedEarly("blacklisted_drv", "");
        List<InitramfsDrift.Finding> f = check();
        assertEquals(1, f.size(), f.toString());
        assertEquals(InitramfsDrift.Kind.BLACKLISTED, f.get(0).kind());
        assertTrue(f.get(0).message().contains("rebuild the initramfs with update-initramfs -u"), f.get(0).message());
    }

    @Test
    void aBlacklistedModuleLoadedOnPurposeOrAsADependencyIsNot() throws Exception {
        loadedEarly("mod_a", "");
        loadedEarly("mod_b", "");
        write("/etc/modprobe.d/bl.conf", "blacklist mod_a\nblacklist mod_b\nblacklist opts_drv\n");
        write("/etc/modules-load.d/mine.conf", "# by name\nmod-b\n");
        loadedEarly("opts_drv", "level=3 debug=1");
        write("/proc/cmdline", "modprobe.blacklist=opts_drv\n");
        // mod_a is used by mod_b; mod_b is in modules-load.d; opts_drv's blacklist is in a file: reported
        List<InitramfsDrift.Finding> f = check();
        assertEquals(List.of("opts_drv"), f.stream().map(InitramfsDrift.Finding::module).toList(), f.toString());
        // the command line's blacklist reached the initramfs too: nothing to rebuild for it
        write("/etc/modprobe.d/bl.conf", "blacklist mod_a\nblacklist mod_b\n");
        assertEquals(List.of(), check());
    }

    @Test
    void aDeniedLiveModuleIsToldOnceAndStays() throws Exception {
        loadedEarly("fails_drv", "");
        write("/etc/lkmd/modprobe.d/deny.conf", "deny fails-drv\n");
        List<InitramfsDrift.Finding> f = check();
        assertEquals(1, f.size(), f.toString());
        assertEquals(InitramfsDrift.Kind.DENIED, f.get(0).kind());
        assertTrue(f.get(0).message().contains("nothing is unloaded"), f.get(0).message());
        assertEquals(org.lkmd.kernel.ModuleState.LIVE, kernel.state("fails_drv"));
    }
}
