package org.lkmd.loader;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.ModuleState;
import org.lkmd.kernel.SimulatedKernel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleRemoverTest {
    @TempDir
    Path root;
    SimulatedKernel kernel;
    final Map<String, ModuleRemover.Info> infos = new HashMap<>();

    /** mod_c → mod_b → mod_a, and mod_d → mod_a: mod_a is shared. */
    @BeforeEach
    void loadStacks() throws Exception {
        kernel = SimulatedKernel.on(root).build();
        Path dir = root.resolve("lib/modules/6.1.0-test/kernel");
        kernel.finitModule(Modules.write(dir, "mod_a"), "", 0);
        kernel.finitModule(Modules.write(dir, "mod_b", "mod_a"), "", 0);
        kernel.finitModule(Modules.write(dir, "mod_c", "mod_b"), "", 0);
        kernel.finitModule(Modules.write(dir, "mod_d", "mod_a"), "", 0);
        info("mod_b", List.of("mod_a"));
        info("mod_c", List.of("mod_b", "mod_a"));
        info("mod_d", List.of("mod_a"));
    }

    private void info(String m, List<String> deps) {
        infos.put(m, new ModuleRemover.Info(deps, List.of(), List.of(), null));
    }

    private ModuleRemover remover() {
        return new ModuleRemover(kernel, m -> infos.getOrDefault(m, ModuleRemover.Info.NONE));
    }

    private static ModuleRemover.Options opts(boolean holders, boolean firstTime, Duration wait) {
        return new ModuleRemover.Options(true, holders, false, firstTime, false, wait, m -> { });
    }

    @Test
    void removesTheModuleAndItsNowUnusedDependenciesButNotSharedOnes() {
        ModuleRemover.Outcome o = remover().remove("mod-c", ModuleRemover.Options.DEFAULT);
        assertTrue(o.ok(), o.message());
        assertEquals(List.of("mod_c", "mod_b"), o.removed());
        assertEquals(ModuleState.LIVE, kernel.state("mod_a"));
        assertEquals(List.of(), o.warnings(), "a dependency still in use is skipped quietly");
    }

    @Test
    void dependenciesAreSweptOnceFromTheEndOfTheirLineAsKmodDoes() throws Exception {
        // like snd_hda_intel: modules.dep lists mod_f (a user of mod_g) before mod_g
        Path dir = root.resolve("lib/modules/6.1.0-test/kernel");
        kernel.finitModule(Modules.write(dir, "mod_g"), "", 0);
        kernel.finitModule(Modules.write(dir, "mod_f", "mod_g"), "", 0);
        kernel.finitModule(Modules.write(dir, "mod_e", "mod_f", "mod_g"), "", 0);
        info("mod_e", List.of("mod_f", "mod_g"));
        ModuleRemover.Outcome o = remover().remove("mod_e", ModuleRemover.Options.DEFAULT);
        assertTrue(o.ok(), o.message());
        assertEquals(List.of("mod_e", "mod_f"), o.removed(), "mod_g was still used by mod_f when its turn came");
        assertEquals(ModuleState.LIVE, kernel.state("mod_g"));
    }

    @Test
    void moduleInUseIsRefusedWithKmodsMessage() {
        ModuleRemover.Outcome o = remover().remove("mod_a", ModuleRemover.Options.DEFAULT);
        assertEquals(Errno.EBUSY, o.errno());
        assertEquals("Module mod_a is in use.", o.message());
        assertEquals(List.of(), kernel.unloadOrder());
    }

    @Test
    void forceDoesNotSkipTheInUseCheck() {
        // kmod 30's modprobe checks the refcount before delete_module whatever -f says; -f only adds O_TRUNC
        ModuleRemover.Outcome o = remover().remove("mod_a",
                new ModuleRemover.Options(true, false, true, false, false, null, m -> { }));
        assertEquals(Errno.EBUSY, o.errno());
        assertEquals("Module mod_a is in use.", o.message());
        assertEquals(List.of(), kernel.unloadOrder());
    }

    @Test
    void removeHoldersTakesDownEverythingAboveFirst() {
        ModuleRemover.Outcome o = remover().remove("mod_a", opts(true, false, null));
        assertTrue(o.ok(), o.message());
        assertEquals(List.of("mod_c", "mod_b", "mod_d", "mod_a"), kernel.unloadOrder());
    }

    @Test
    void notLoadedIsSuccessUnlessFirstTime() {
        assertTrue(remover().remove("mod_x", ModuleRemover.Options.DEFAULT).ok());
        ModuleRemover.Outcome o = remover().remove("mod_x", opts(false, true, null));
        assertEquals(Errno.ENOENT, o.errno());
        assertEquals("Module mod_x is not in kernel.", o.message());
    }

    @Test
    void builtinIsAnErrorForTheNamedModuleOnly() throws Exception {
        Files.createDirectories(root.resolve("sys/module/builtin_x"));
        ModuleRemover.Outcome o = remover().remove("builtin_x", ModuleRemover.Options.DEFAULT);
        assertEquals("Module builtin_x is builtin.", o.message());
        infos.put("mod_d", new ModuleRemover.Info(List.of("builtin_x", "mod_a"), List.of(), List.of(), null));
        assertTrue(remover().remove("mod_d", ModuleRemover.Options.DEFAULT).ok());
    }

    @Test
    void postSoftdepsGoFirstAndPreSoftdepsLast() throws Exception {
        Path dir = root.resolve("lib/modules/6.1.0-test/kernel");
        kernel.finitModule(Modules.write(dir, "pre_1"), "", 0);
        kernel.finitModule(Modules.write(dir, "post_1"), "", 0);
        kernel.finitModule(Modules.write(dir, "post_2"), "", 0);
        infos.put("mod_d", new ModuleRemover.Info(List.of("mod_a"), List.of("pre_1"), List.of("post_1", "post_2"), null));
        ModuleRemover.Outcome o = remover().remove("mod_d", ModuleRemover.Options.DEFAULT);
        assertTrue(o.ok(), o.message());
        assertEquals(List.of("post_2", "post_1", "mod_d", "pre_1"), kernel.unloadOrder());
    }

    @Test
    void waitRetriesUntilTheHolderIsGone() throws Exception {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(300);
                kernel.deleteModule("mod_c", 0);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        ModuleRemover.Outcome o = remover().remove("mod_b", opts(false, false, Duration.ofSeconds(10)));
        t.join();
        assertTrue(o.ok(), o.message());
        assertEquals(List.of("mod_b"), o.removed());
    }

    @Test
    void waitGivesUpAtItsLimit() {
        long t0 = System.nanoTime();
        ModuleRemover.Outcome o = remover().remove("mod_b", opts(false, false, Duration.ofMillis(300)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(Errno.EBUSY, o.errno());
        // waited for its limit, then gave up (the module never becomes free: without the limit it would hang)
        assertTrue(ms >= 250, "gave up after " + ms + " ms, before its 300 ms limit");
    }

    @Test
    void removeCommandRunsInsteadOfDeleteModule() throws Exception {
        Path out = root.resolve("remove.out");
        infos.put("mod_d", new ModuleRemover.Info(List.of(), List.of(), List.of(),
                "echo \"$MODPROBE_MODULE\" >> '" + out + "'"));
        List<String> told = new ArrayList<>();
        ModuleRemover.Outcome o = remover().remove("mod_d",
                new ModuleRemover.Options(true, false, false, false, false, null, told::add));
        assertTrue(o.ok(), o.message());
        assertEquals("mod_d\n", Files.readString(out));
        assertFalse(kernel.unloadOrder().contains("mod_d"));
        assertEquals(List.of("remove echo \"$MODPROBE_MODULE\" >> '" + out + "'"), told);
    }
}
