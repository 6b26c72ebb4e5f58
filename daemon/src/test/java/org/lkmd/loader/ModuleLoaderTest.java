package org.lkmd.loader;

import org.lkmd.modprobe.LoadPlan;
import org.lkmd.modprobe.LoadStep;
import org.lkmd.modprobe.ProbeRequest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.Kernel;
import org.lkmd.kernel.KernelException;
import org.lkmd.kernel.LoadedModule;
import org.lkmd.kernel.ModuleState;
import org.lkmd.kernel.SimulatedKernel;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModuleLoaderTest {
    @TempDir
    Path root;

    private Path mods() {
        return root.resolve("lib/modules/6.1.0-test/kernel");
    }

    /** A plan whose last step is the target, as the resolver orders them. */
    private static LoadPlan plan(String module, String query, List<LoadStep> steps) {
        return new LoadPlan(module, query, steps, steps.size() - 1);
    }

    private static LoadStep.Insert insert(Path ko, String name) {
        return new LoadStep.Insert(name, ko, "", true);
    }

    @Test
    void stackLoadsDeepestFirstAndTargetIsLoaded() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        Path a = Modules.write(mods(), "mod_a");
        Path b = Modules.write(mods(), "mod_b", "mod_a");
        Path c = Modules.write(mods(), "mod_c", "mod_a", "mod_b");
        LoadOutcome o = new ModuleLoader(k).load(plan("mod_c", "mod-c",
                List.of(insert(a, "mod_a"), insert(b, "mod_b"), insert(c, "mod_c"))));
        assertEquals(LoadOutcome.Status.LOADED, o.status());
        assertEquals(List.of("mod_a", "mod_b", "mod_c"), k.loadOrder());
        assertEquals(ModuleState.LIVE, k.state("mod_c"));
    }

    @Test
    void eexistFromTheKernelIsSuccess() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).failing("mod_a", Errno.EEXIST).build();
        Path a = Modules.write(mods(), "mod_a");
        LoadOutcome o = new ModuleLoader(k).load(plan("mod_a", "mod_a", List.of(insert(a, "mod_a"))));
        assertEquals(LoadOutcome.Status.ALREADY_LOADED, o.status());
        assertFalse(o.failed());
    }

    @Test
    void firstTimeTurnsAlreadyLoadedTargetIntoAnError() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        Path a = Modules.write(mods(), "mod_a");
        ModuleLoader loader = new ModuleLoader(k);
        LoadPlan plan = plan("mod_a", "mod_a", List.of(insert(a, "mod_a")));
        loader.load(plan);
        LoadOutcome o = loader.load(plan, ProbeRequest.fromCli("mod_a", null).firstTime(), new ModuleStates(k), s -> { });
        assertEquals(LoadOutcome.Status.FAILED, o.status());
        assertEquals(Errno.EEXIST, o.errno());
        assertEquals("could not insert 'mod_a': Module already in kernel", o.message());
    }

    @Test
    void failedRequiredStepStopsThePlanWithKmodsMessage() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).failing("mod_b", Errno.ENOENT).build();
        Path a = Modules.write(mods(), "mod_a");
        Path b = Modules.write(mods(), "mod_b", "mod_a");
        Path c = Modules.write(mods(), "mod_c", "mod_b");
        LoadOutcome o = new ModuleLoader(k).load(plan("mod_c", "mod_c",
                List.of(insert(a, "mod_a"), insert(b, "mod_b"), insert(c, "mod_c"))));
        assertEquals(LoadOutcome.Status.FAILED, o.status());
        assertEquals(Errno.ENOENT, o.errno());
        assertEquals("could not insert 'mod_b': Unknown symbol in module, or unknown parameter (see dmesg)",
                o.message());
        assertEquals(List.of("mod_a"), k.loadOrder());
        assertEquals(2, o.steps().size());
    }

    @Test
    void failedSoftdepIsIgnored() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).failing("soft_pre", Errno.ENODEV).build();
        Path pre = Modules.write(mods(), "soft_pre");
        Path a = Modules.write(mods(), "mod_a");
        LoadOutcome o = new ModuleLoader(k).load(plan("mod_a", "mod_a",
                List.of(new LoadStep.Insert("soft_pre", pre, "", false), insert(a, "mod_a"))));
        assertEquals(LoadOutcome.Status.LOADED, o.status());
        assertTrue(o.steps().get(0).failed());
        assertEquals(Errno.ENODEV, o.steps().get(0).errno());
        assertEquals(List.of("mod_a"), k.loadOrder());
    }

    @Test
    void optionsArriveAsParameters() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        Path a = Modules.write(mods(), "mod_a");
        new ModuleLoader(k).load(plan("mod_a", "mod_a",
                List.of(new LoadStep.Insert("mod_a", a, "level=3 name=\"x y\"", true))));
        assertEquals("3\n", Files.readString(root.resolve("sys/module/mod_a/parameters/level")));
        assertEquals("x y\n", Files.readString(root.resolve("sys/module/mod_a/parameters/name")));
    }

    @Test
    void compressedFileIsDecompressedInUserSpaceWhenTheKernelCannot() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).compression().build();
        Path a = Modules.writeXz(mods(), "mod_a");
        assertEquals(FileInserter.Method.INIT_DECOMPRESSED, new FileInserter(k).insert(a, "", 0));
        assertEquals(ModuleState.LIVE, k.state("mod_a"));
    }

    @Test
    void compressedFileGoesToTheKernelWhenItNamesTheAlgorithm() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).compression("xz").build();
        Path a = Modules.writeXz(mods(), "mod_a");
        assertEquals(FileInserter.Method.FINIT_COMPRESSED, new FileInserter(k).insert(a, "", 0));
        assertEquals(ModuleState.LIVE, k.state("mod_a"));
    }

    @Test
    void missingFileIsEnoent() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        KernelException e = org.junit.jupiter.api.Assertions.assertThrows(KernelException.class,
                () -> new FileInserter(k).insert(root.resolve("nope.ko"), "", 0));
        assertEquals(Errno.ENOENT, e.errno());
    }

    @Test
    void installCommandRunsWithModprobeModuleInsteadOfInsert() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        Path out = root.resolve("hook.out");
        LoadOutcome o = new ModuleLoader(k).load(plan("mod_a", "mod_a",
                List.of(new LoadStep.Install("mod_a", "echo \"$MODPROBE_MODULE\" > '" + out + "'", "", true))));
        assertEquals(LoadOutcome.Status.INSTALL_RAN, o.status());
        assertEquals("mod_a\n", Files.readString(out));
        assertEquals(List.of(), k.loadOrder());
    }

    @Test
    void installCommandFailureReportsItsExitStatus() {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        LoadOutcome o = new ModuleLoader(k).load(plan("mod_a", "mod_a",
                List.of(new LoadStep.Install("mod_a", "exit 3", "", true))));
        assertEquals(LoadOutcome.Status.FAILED, o.status());
        assertEquals(3, o.steps().get(0).exitStatus());
        assertEquals("Error running install command 'exit 3' for module mod_a: retcode 3", o.message());
    }

    @Test
    void installCommandPastItsTimeLimitIsKilledWithItsChildren() throws Exception {
        SimulatedKernel k = SimulatedKernel.on(root).build();
        Path pid = root.resolve("child.pid");
        ModuleLoader loader = new ModuleLoader(k, Duration.ofMillis(500), "/bin/sh");
        long t0 = System.nanoTime();
        LoadOutcome o = loader.load(plan("mod_a", "mod_a", List.of(new LoadStep.Install("mod_a",
                "sleep 60 & echo $! > '" + pid + "'; wait", "", true))));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(LoadOutcome.Status.FAILED, o.status());
        assertEquals(Errno.ETIMEDOUT, o.errno());
        // killed at its limit, not left to run its 60 s
        assertTrue(ms < 50_000, "took " + ms + " ms: the hook was not killed");
        long child = Long.parseLong(Files.readString(pid).strip());
        // the background sleep must not outlive the hook
        for (int i = 0; i < 50 && ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false); i++) {
            Thread.sleep(100);
        }
        assertFalse(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    void concurrentCallersForTheSameModuleShareOneLoad() throws Exception {
        SimulatedKernel sim = SimulatedKernel.on(root).build();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger finits = new AtomicInteger();
        Kernel k = new Gate(sim) {
            @Override
            public void finitModule(Path ko, String params, int flags) throws KernelException {
                finits.incrementAndGet();
                entered.countDown();
                await(release);
                super.finitModule(ko, params, flags);
            }
        };
        Path a = Modules.write(mods(), "mod_a");
        ModuleLoader loader = new ModuleLoader(k);
        LoadPlan plan = plan("mod_a", "mod_a", List.of(insert(a, "mod_a")));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<LoadOutcome>> fs = new ArrayList<>();
            fs.add(pool.submit(() -> loader.load(plan)));
            assertTrue(entered.await(5, TimeUnit.SECONDS));
            for (int i = 0; i < 3; i++) {
                fs.add(pool.submit(() -> loader.load(plan)));
            }
            Thread.sleep(200); // let the followers reach the in-flight load
            release.countDown();
            for (Future<LoadOutcome> f : fs) {
                assertFalse(f.get(5, TimeUnit.SECONDS).failed());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, finits.get());
        assertEquals(List.of("mod_a"), sim.loadOrder());
    }

    @Test
    void independentStacksLoadInParallel() throws Exception {
        SimulatedKernel sim = SimulatedKernel.on(root).build();
        CountDownLatch both = new CountDownLatch(2);
        Kernel k = new Gate(sim) {
            @Override
            public void finitModule(Path ko, String params, int flags) throws KernelException {
                both.countDown();
                // each load waits until the other one is in flight too: only parallel loading passes
                if (!awaitQuietly(both)) {
                    throw new KernelException(Errno.ETIMEDOUT, "finit_module(" + ko + ")");
                }
                super.finitModule(ko, params, flags);
            }
        };
        Path a = Modules.write(mods(), "mod_a");
        Path b = Modules.write(mods(), "mod_b");
        ModuleLoader loader = new ModuleLoader(k);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<LoadOutcome> fa = pool.submit(() -> loader.load(plan("mod_a", "mod_a", List.of(insert(a, "mod_a")))));
            Future<LoadOutcome> fb = pool.submit(() -> loader.load(plan("mod_b", "mod_b", List.of(insert(b, "mod_b")))));
            assertEquals(LoadOutcome.Status.LOADED, fa.get(10, TimeUnit.SECONDS).status());
            assertEquals(LoadOutcome.Status.LOADED, fb.get(10, TimeUnit.SECONDS).status());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void emptyPlanMeansAlreadyLoaded() {
        LoadOutcome o = new ModuleLoader(SimulatedKernel.on(root).build()).load(new LoadPlan("x", "x", List.of(), -1));
        assertEquals(LoadOutcome.Status.ALREADY_LOADED, o.status());
        assertNull(o.message());
    }

    private static void await(CountDownLatch l) {
        awaitQuietly(l);
    }

    private static boolean awaitQuietly(CountDownLatch l) {
        try {
            return l.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A kernel that delegates everything, for tests to intercept one call. */
    static class Gate implements Kernel {
        private final Kernel k;

        Gate(Kernel k) {
            this.k = k;
        }

        @Override public String release() { return k.release(); }
        @Override public void finitModule(Path ko, String params, int flags) throws KernelException { k.finitModule(ko, params, flags); }
        @Override public void initModule(ByteBuffer image, String params) throws KernelException { k.initModule(image, params); }
        @Override public void deleteModule(String name, int flags) throws KernelException { k.deleteModule(name, flags); }
        @Override public ModuleState state(String name) { return k.state(name); }
        @Override public int refcount(String name) { return k.refcount(name); }
        @Override public List<String> holders(String name) { return k.holders(name); }
        @Override public List<String> boundDevices(String name) { return k.boundDevices(name); }
        @Override public List<LoadedModule> loadedModules() { return k.loadedModules(); }
        @Override public java.util.Map<String, String> parameters(String name) { return k.parameters(name); }
        @Override public Set<String> compressionAlgorithms() { return k.compressionAlgorithms(); }
    }
}
