package org.lkmd.modprobe;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.ScenarioRoot;
import org.lkmd.base.Root;
import org.lkmd.index.ModuleIndexLoader;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** kmod's lookup chain and probe lists over the {@code probe} scenario root: no host files. */
class ResolveContextTest {
    static final String PCI = "pci:v00001234d00005678sv00000000sd00000000bc02sc00i00";

    @TempDir
    Path tmp;
    Path modulesDir;
    ResolveContext ctx;

    @BeforeEach
    void open() {
        Path root = ScenarioRoot.copy("probe", tmp);
        modulesDir = ScenarioRoot.modulesDir(root);
        ModprobeConfig config = ModprobeConfigLoader.load(Root.of(root), modulesDir, List.of()).value().orElseThrow();
        ctx = new ResolveContext(config, new ModuleIndexLoader().load(modulesDir).value().orElseThrow(), modulesDir);
    }

    private static List<String> names(List<ModuleRef> refs) {
        return refs.stream().map(ModuleRef::name).toList();
    }

    @Test
    void modaliasResolvesThroughModulesAliasGlobs() throws Exception {
        List<ModuleRef> mods = ctx.lookup(PCI);
        assertEquals(List.of("mod_c"), names(mods));
        assertEquals(PCI, mods.get(0).alias());
    }

    @Test
    void modprobeDotDAliasComesBeforeTheIndex() throws Exception {
        assertEquals(List.of("opts_drv"), names(ctx.lookup("my-alias")));
    }

    @Test
    void aNameIsFoundByNameWithDashesAsUnderscores() throws Exception {
        List<ModuleRef> mods = ctx.lookup("mod-c");
        assertEquals(List.of("mod_c"), names(mods));
        assertNull(mods.get(0).alias());
    }

    @Test
    void builtinModulesAreFoundInModulesBuiltin() throws Exception {
        List<ModuleRef> mods = ctx.lookup("8250");
        assertEquals(List.of("8250"), names(mods));
        assertTrue(mods.get(0).builtin());
    }

    @Test
    void unknownNamesStandForNothingAndUnmatchedBracketsAreRefused() throws Exception {
        assertEquals(List.of(), ctx.lookup("char-major-99-99"));
        assertThrows(ResolveContext.InvalidNameException.class, () -> ctx.lookup("pci:v[0"));
        assertEquals(List.of(), ctx.find("pci:v[0"));
    }

    @Test
    void dependencyStackIsPlannedDeepestFirst() throws Exception {
        ModuleRef c = ctx.lookup(PCI).get(0);
        LoadPlan p = ctx.plan(c, PCI, null, false, n -> false);
        assertEquals(List.of("mod_a", "mod_b", "mod_c"), p.steps().stream().map(LoadStep::module).toList());
        assertEquals(2, p.targetIndex());
        LoadStep.Insert a = assertInstanceOf(LoadStep.Insert.class, p.steps().get(0));
        assertEquals(modulesDir.resolve("kernel/drivers/stack/mod_a.ko"), a.path());
        assertTrue(p.steps().stream().allMatch(LoadStep::required));
    }

    @Test
    void optionsComeFromModprobeDotDThenTheKernelCommandLineThenTheCaller() throws Exception {
        ModuleRef m = ctx.lookup("opts_drv").get(0);
        LoadStep.Insert s = assertInstanceOf(LoadStep.Insert.class,
                ctx.plan(m, "opts_drv", "extra=7", false, n -> false).steps().get(0));
        assertEquals("level=3 debug=1 extra=7", s.options());
    }

    @Test
    void softdepPreModulesComeFirstAndAreNotRequired() throws Exception {
        ModuleRef m = ctx.lookup("platform:soft").get(0);
        LoadPlan p = ctx.plan(m, "platform:soft", null, false, n -> false);
        assertEquals(List.of("soft_pre", "soft_main"), p.steps().stream().map(LoadStep::module).toList());
        assertFalse(p.steps().get(0).required());
        assertTrue(p.steps().get(1).required());
        // -i: the target's softdeps are ignored
        assertEquals(List.of("soft_main"), ctx.plan(m, "platform:soft", null, true, n -> false).steps().stream()
                .map(LoadStep::module).toList());
    }

    @Test
    void installCommandReplacesTheInsert() throws Exception {
        ModuleRef m = ctx.lookup("hooked").get(0);
        LoadStep.Install s = assertInstanceOf(LoadStep.Install.class,
                ctx.plan(m, "hooked", "x=1", false, n -> false).steps().get(0));
        assertEquals("echo \"hook ran for $MODPROBE_MODULE with x=1\" >&2", s.shellCommand());
    }

    @Test
    void blacklistRefusesModulesReachedThroughAnAliasOnlyUnlessAskedForNames() throws Exception {
        ModuleRef viaAlias = ctx.lookup("platform:blk").get(0);
        ModuleRef byName = ctx.lookup("blacklisted_drv").get(0);
        assertTrue(ctx.blacklisted(viaAlias, false));
        assertFalse(ctx.blacklisted(byName, false));
        assertTrue(ctx.blacklisted(byName, true));
    }
}
