package org.lkmd.loader;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.ScenarioRoot;
import org.lkmd.base.Root;
import org.lkmd.index.ModuleIndexLoader;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.ModuleState;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.modprobe.ModprobeConfigLoader;
import org.lkmd.modprobe.ProbeOrigin;
import org.lkmd.modprobe.ProbeRequest;
import org.lkmd.modprobe.ResolveContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one probe path (lookup, in-kernel check, blacklist, plan, load) on a simulated kernel over the {@code probe} root. */
class ProberTest {
    static final String PCI = "pci:v00001234d00005678sv00000000sd00000000bc02sc00i00";

    @TempDir
    Path tmp;
    Path root;

    @BeforeEach
    void copyRoot() {
        root = ScenarioRoot.copy("probe", tmp);
    }

    private ResolveContext ctx() {
        Path dir = ScenarioRoot.modulesDir(root);
        return new ResolveContext(ModprobeConfigLoader.load(Root.of(root), dir, List.of()).value().orElseThrow(),
                new ModuleIndexLoader().load(dir).value().orElseThrow(), dir);
    }

    private ProbeOutcome probe(Kernel k, ProbeRequest r) {
        return new Prober(k, new ModuleLoader(k)).probe(ctx(), r, Prober.Listener.NONE);
    }

    private static Prober.Result only(ProbeOutcome o) {
        assertEquals(1, o.modules().size(), o.toString());
        return o.modules().get(0);
    }

    @Test
    void aliasLoadsItsDependencyStackInOrder() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        Prober.Result r = only(probe(k, ProbeRequest.fromCli(PCI, null)));
        assertEquals(Prober.Kind.LOADED, r.kind());
        assertEquals(List.of("mod_a", "mod_b"), r.loadedWith());
        // the simulated kernel refuses a module whose dependencies are not live: the order is proven
        assertEquals(List.of("mod_a", "mod_b", "mod_c"), k.loadOrder());
        assertEquals(ModuleState.LIVE, k.state("mod_c"));
    }

    @Test
    void eachModulesKernelStateIsReadOncePerProbe() {
        CountingKernel k = new CountingKernel(SimulatedKernel.on(root).build());
        assertEquals(Prober.Kind.LOADED, only(probe(k, ProbeRequest.fromCli(PCI, null))).kind());
        assertEquals(Map.of("mod_a", 1, "mod_b", 1, "mod_c", 1), k.reads);
        k.reads.clear();
        // a second probe reads again (once each), finds the target live and stops there
        assertEquals(Prober.Kind.ALREADY_LOADED, only(probe(k, ProbeRequest.forKernelRequest("mod_c"))).kind());
        assertEquals(Map.of("mod_c", 1), k.reads);
        k.reads.clear();
        assertEquals(Prober.Kind.LOADED, only(probe(k, ProbeRequest.forUevent("platform:soft",
                new ProbeOrigin.Uevent("x.rules:1", "/devices/x", 1)))).kind());
        assertEquals(Map.of("soft_pre", 1, "soft_main", 1), k.reads);
    }

    @Test
    void aLiveModuleIsLeftAloneAndIsAnErrorOnlyWithFirstTime() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        assertEquals(Prober.Kind.ALREADY_LOADED, only(probe(k, ProbeRequest.fromCli("platform:live", null))).kind());
        Prober.Result r = only(probe(k, ProbeRequest.fromCli("live_drv", null).firstTime()));
        assertEquals(Errno.EEXIST, r.errno());
        assertEquals(List.of("could not insert 'live_drv': Module already in kernel"), r.errors());
        assertEquals(List.of(), k.loadOrder());
    }

    @Test
    void aBuiltinModuleNeedsNothing() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        ProbeOutcome o = probe(k, ProbeRequest.forKernelRequest("8250"));
        assertEquals(Prober.Kind.BUILTIN, only(o).kind());
        assertEquals(0, o.exitCode());
        assertEquals(List.of(), k.loadOrder());
    }

    @Test
    void modprobeBlacklistsAliasesOnlyAndUdevEveryModule() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        assertEquals(Prober.Kind.BLACKLISTED, only(probe(k, ProbeRequest.fromCli("platform:blk", null))).kind());
        assertEquals(Prober.Kind.BLACKLISTED, only(probe(k, ProbeRequest.forUevent("blacklisted_drv",
                new ProbeOrigin.Uevent("x.rules:1", "/devices/x", 1)))).kind());
        assertEquals(Prober.Kind.BLACKLISTED, only(probe(k, ProbeRequest.fromCli("blacklisted_drv", null)
                .useBlacklist())).kind());
        assertEquals(List.of(), k.loadOrder());
        assertEquals(Prober.Kind.LOADED, only(probe(k, ProbeRequest.fromCli("blacklisted_drv", null))).kind());
        assertEquals(List.of("blacklisted_drv"), k.loadOrder());
    }

    @Test
    void aFailingModuleCarriesItsErrnoAndKmodsMessage() {
        SimulatedKernel k = SimulatedKernel.on(root).failing("fails_drv", Errno.ENODEV).failing("mod_b", Errno.ENOENT)
                .build();
        ProbeOutcome o = probe(k, ProbeRequest.forKernelRequest("usb:v0001p0002d0100dc00dsc00dp00ic03isc01ip01in00"));
        Prober.Result r = only(o);
        assertEquals(Prober.Kind.FAILED, r.kind());
        assertEquals(Errno.ENODEV, r.errno());
        assertEquals(List.of("could not insert 'fails_drv': No such device"), r.errors());
        assertEquals(1, o.exitCode());
        // a failing dependency stops the stack: its message names the dependency, the target is reported
        Prober.Result stack = only(probe(k, ProbeRequest.fromCli(PCI, null)));
        assertEquals(Errno.ENOENT, stack.errno());
        assertEquals("could not insert 'mod_b': Unknown symbol in module, or unknown parameter (see dmesg)",
                stack.message());
        assertEquals(List.of("could not insert 'mod_c': Unknown symbol in module, or unknown parameter (see dmesg)"),
                stack.errors());
        assertEquals(List.of("mod_a"), k.loadOrder());
    }

    @Test
    void aNameNothingAnswersToIsNotFoundWithKmodsWordsAndStatus() {
        ProbeOutcome o = probe(SimulatedKernel.on(root).build(), ProbeRequest.forKernelRequest("char-major-99-99"));
        assertTrue(o.notFound());
        assertEquals(1, o.exitCode());
        assertEquals("Module char-major-99-99 not found in directory " + ScenarioRoot.modulesDir(root), o.notFoundMessage());
        assertTrue(probe(SimulatedKernel.on(root).build(), ProbeRequest.fromCli("pci:v[0", null)).notFound());
    }

    @Test
    void optionsFromConfigCommandLineAndCallerArriveAsParameters() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        assertEquals(Prober.Kind.LOADED, only(probe(k, ProbeRequest.fromCli("my-alias", "extra=7"))).kind());
        Path params = root.resolve("sys/module/opts_drv/parameters");
        assertEquals("3\n", Files.readString(params.resolve("level")));
        assertEquals("1\n", Files.readString(params.resolve("debug")));
        assertEquals("7\n", Files.readString(params.resolve("extra")));
    }

    @Test
    void anInstallCommandRunsInsteadOfTheInsert() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        assertEquals(Prober.Kind.LOADED, only(probe(k, ProbeRequest.forKernelRequest("hooked"))).kind());
        assertEquals(List.of(), k.loadOrder());
        // -i: the command is ignored and the module inserted
        assertEquals(Prober.Kind.LOADED, only(probe(k, ProbeRequest.fromCli("hooked", null).ignoreCommands())).kind());
        assertEquals(List.of("hooked"), k.loadOrder());
    }

    @Test
    void aDryRunTellsEveryStepAndLoadsNothing() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        List<String> told = new java.util.ArrayList<>();
        ProbeOutcome o = new Prober(k, new ModuleLoader(k)).probe(ctx(), ProbeRequest.fromCli("fs-vfat", null).dryRun(),
                new Prober.Listener() {
                    @Override
                    public void beforeStep(org.lkmd.modprobe.LoadStep step) {
                        told.add(step.module());
                    }
                });
        assertEquals(Prober.Kind.DRY_RUN, only(o).kind());
        assertEquals(List.of("fat", "vfat"), told);
        assertEquals(List.of(), k.loadOrder());
    }

    /** Counts reads of each module's state, the rest delegated. */
    static final class CountingKernel extends ModuleLoaderTest.Gate {
        final Map<String, Integer> reads = new TreeMap<>();

        CountingKernel(Kernel k) {
            super(k);
        }

        @Override
        public synchronized ModuleState state(String name) {
            reads.merge(name, 1, Integer::sum);
            return super.state(name);
        }
    }
}
