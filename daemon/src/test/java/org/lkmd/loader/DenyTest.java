package org.lkmd.loader;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.ScenarioRoot;
import org.lkmd.base.Diagnostic;
import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;
import org.lkmd.index.ModuleIndexLoader;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.ModuleState;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.modprobe.ModprobeConfig;
import org.lkmd.modprobe.ModprobeConfigLoader;
import org.lkmd.modprobe.ProbeOrigin;
import org.lkmd.modprobe.ProbeRequest;
import org.lkmd.modprobe.ResolveContext;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * lkmd's {@code deny NAME} on the one probe path, over the {@code probe} scenario root and a
 * simulated kernel: every way a load starts (a person's modprobe, the kernel's request, a uevent's
 * {@code kmod load}), a dependency, a softdep, an install command, a module already live.
 */
class DenyTest {
    static final String PCI = "pci:v00001234d00005678sv00000000sd00000000bc02sc00i00";

    @TempDir
    Path tmp;
    Path root;

    @BeforeEach
    void copyRoot() {
        root = ScenarioRoot.copy("probe", tmp);
    }

    private Path deny(String dir, String file, String text) throws Exception {
        Path d = root.resolve(dir.substring(1));
        Files.createDirectories(d);
        Path f = d.resolve(file);
        Files.writeString(f, text);
        return f;
    }

    private ParseResult<ModprobeConfig> config() {
        return ModprobeConfigLoader.load(Root.of(root), ScenarioRoot.modulesDir(root), List.of());
    }

    private ResolveContext ctx() {
        Path dir = ScenarioRoot.modulesDir(root);
        return new ResolveContext(config().value().orElseThrow(), new ModuleIndexLoader().load(dir).value().orElseThrow(),
                dir);
    }

    private static Prober.Result only(ProbeOutcome o) {
        assertEquals(1, o.modules().size(), o.toString());
        return o.modules().get(0);
    }

    private ProbeOutcome probe(SimulatedKernel k, ProbeRequest r) {
        return new Prober(k, new ModuleLoader(k)).probe(ctx(), r, Prober.Listener.NONE);
    }

    @Test
    void aDeniedDependencyRefusesTheWholeStackBeforeAnyStep() throws Exception {
        Path f = deny("/etc/lkmd/modprobe.d", "deny.conf", "# not this one\ndeny mod-b\n");
        SimulatedKernel k = SimulatedKernel.on(root).build();
        ProbeOutcome o = probe(k, ProbeRequest.fromCli(PCI, null));
        Prober.Result r = only(o);
        assertEquals(Prober.Kind.DENIED, r.kind());
        assertEquals(Errno.EPERM, r.errno());
        assertEquals(List.of("could not insert 'mod_c': its dependency 'mod_b' is denied by " + f + ":2"), r.errors());
        assertEquals(1, o.exitCode());
        // nothing half-applied: mod_a, which mod_b needs and is not denied, was not loaded either
        assertEquals(List.of(), k.loadOrder());
    }

    @Test
    void theTargetIsRefusedForAPersonTheKernelAndAUevent() throws Exception {
        Path f = deny("/etc/lkmd/modprobe.d", "deny.conf", "deny vfat\n");
        SimulatedKernel k = SimulatedKernel.on(root).build();
        String why = "could not insert 'vfat': denied by " + f + ":1";
        for (ProbeRequest req : List.of(ProbeRequest.fromCli("vfat", null), ProbeRequest.forKernelRequest("fs-vfat"),
                ProbeRequest.forUevent("fs-vfat", new ProbeOrigin.Uevent("x.rules:1", "/devices/platform/blk", 7)),
                ProbeRequest.fromCli("vfat", null).dryRun(), ProbeRequest.fromCli("vfat", null).showDepends())) {
            Prober.Result r = only(probe(k, req));
            assertEquals(Prober.Kind.DENIED, r.kind(), req.toString());
            assertEquals(why, r.message(), req.toString());
        }
        assertEquals(List.of(), k.loadOrder());
        assertEquals(ModuleState.ABSENT, k.state("fat"));
    }

    @Test
    void aDeniedSoftdepIsSkippedAndTheModuleLoads() throws Exception {
        deny("/etc/lkmd/modprobe.d", "deny.conf", "deny soft_pre\n");
        SimulatedKernel k = SimulatedKernel.on(root).build();
        Prober.Result r = only(probe(k, ProbeRequest.forUevent("platform:soft",
                new ProbeOrigin.Uevent("x.rules:1", "/devices/x", 1))));
        assertEquals(Prober.Kind.LOADED, r.kind());
        assertEquals(List.of("soft_main"), k.loadOrder());
        LoadOutcome.Step pre = r.outcome().steps().get(0);
        assertEquals("soft_pre", pre.module());
        assertEquals(LoadOutcome.Status.DENIED, pre.status());
    }

    @Test
    void denyBeatsAnInstallCommand() throws Exception {
        deny("/etc/lkmd/modprobe.d", "deny.conf", "deny hooked\n");
        SimulatedKernel k = SimulatedKernel.on(root).build();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ModuleLoader loader = new ModuleLoader(k, Duration.ofSeconds(10), "/bin/sh",
                new HookIo(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err)));
        Prober.Result r = only(new Prober(k, loader).probe(ctx(), ProbeRequest.fromCli("hooked", null),
                Prober.Listener.NONE));
        assertEquals(Prober.Kind.DENIED, r.kind());
        assertEquals("", err.toString(StandardCharsets.UTF_8), "the install command must not run");
    }

    @Test
    void aLiveDeniedModuleStaysAndWhatNeedsItStillLoads() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        assertEquals(Prober.Kind.LOADED, only(probe(k, ProbeRequest.fromCli("mod_b", null))).kind());
        deny("/etc/lkmd/modprobe.d", "deny.conf", "deny mod_b\n");
        // nothing to load for mod_b: it is in the kernel, and a deny never unloads
        assertEquals(Prober.Kind.ALREADY_LOADED, only(probe(k, ProbeRequest.fromCli("mod-b", null))).kind());
        assertEquals(Prober.Kind.LOADED, only(probe(k, ProbeRequest.fromCli(PCI, null))).kind());
        assertEquals(List.of("mod_a", "mod_b", "mod_c"), k.loadOrder());
        assertEquals(ModuleState.LIVE, k.state("mod_b"));
    }

    @Test
    void kmodsDirectoriesAreHonouredButWarnedAbout() throws Exception {
        Path inKmod = deny("/etc/modprobe.d", "local.conf", "deny fat\n");
        deny("/etc/lkmd/modprobe.d", "deny.conf", "deny vfat\n");
        ParseResult<ModprobeConfig> c = config();
        assertEquals(List.of(), c.diagnostics());
        assertTrue(c.value().orElseThrow().denied("fat").isPresent());
        List<Diagnostic> w = ModprobeConfigLoader.denyInKmodDirs(Root.of(root), c.value().orElseThrow());
        assertEquals(1, w.size(), w.toString());
        assertEquals(inKmod.toString(), w.get(0).file());
        assertEquals(1, w.get(0).line());
        assertTrue(w.get(0).message().contains("/etc/lkmd/modprobe.d/"), w.get(0).message());
        SimulatedKernel k = SimulatedKernel.on(root).build();
        assertEquals(Prober.Kind.DENIED, only(probe(k, ProbeRequest.fromCli("fat", null))).kind());
    }

    @Test
    void lkmdsDirectoriesHideEachOtherByNameButNotKmodsFiles() throws Exception {
        deny("/usr/lib/lkmd/modprobe.d", "deny.conf", "deny vfat\ndeny mod_a\n");
        deny("/run/lkmd/modprobe.d", "deny.conf", "deny mod_a\n");
        // the same name in kmod's directory is another namespace: both are read
        deny("/etc/modprobe.d", "deny.conf", "options opts_drv level=4\n");
        ModprobeConfig c = config().value().orElseThrow();
        assertFalse(c.denied("vfat").isPresent(), "/run/lkmd hides /usr/lib/lkmd's file of the same name");
        assertTrue(c.denied("mod_a").isPresent());
        // kmod byte order: deny.conf before scenario.conf, then the kernel command line
        assertEquals("level=4 level=3 debug=1", c.options("opts_drv", null));
        assertTrue(c.denied("mod_a").get().file().endsWith("run/lkmd/modprobe.d/deny.conf"));
        // -C replaces every directory, lkmd's included
        Path only = root.resolve("only.conf");
        Files.writeString(only, "alias x y\n");
        assertFalse(ModprobeConfigLoader.load(Root.of(root), null, List.of(only)).value().orElseThrow().hasDenies());
    }
}
