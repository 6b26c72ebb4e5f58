package org.lkmd.loader;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.ScenarioRoot;
import org.lkmd.base.Root;
import org.lkmd.index.ModuleIndexLoader;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.modprobe.ModprobeConfigLoader;
import org.lkmd.modprobe.ProbeOrigin;
import org.lkmd.modprobe.ProbeRequest;
import org.lkmd.modprobe.ResolveContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon's failure cache on the one probe path: a storm of requests for a module whose load
 * fails for good makes one {@code finit_module}; a person's modprobe, a changed module file, a
 * reload and a transient errno each make a new attempt.
 */
class FailureCacheTest {
    @TempDir
    Path tmp;
    Path root;
    final Map<String, AtomicInteger> finits = new ConcurrentHashMap<>();
    FailureCache cache;

    @BeforeEach
    void copyRoot() {
        root = ScenarioRoot.copy("probe", tmp);
        cache = new FailureCache(Clock.systemUTC());
    }

    private ResolveContext ctx() {
        Path dir = ScenarioRoot.modulesDir(root);
        return new ResolveContext(ModprobeConfigLoader.load(Root.of(root), dir, List.of()).value().orElseThrow(),
                new ModuleIndexLoader().load(dir).value().orElseThrow(), dir);
    }

    private Prober prober(Errno fail) {
        SimulatedKernel k = SimulatedKernel.on(root).failing("mod_c", fail)
                .beforeFinit(ko -> finits.computeIfAbsent(ko.getFileName().toString(), x -> new AtomicInteger())
                        .incrementAndGet())
                .build();
        return new Prober(k, new ModuleLoader(k, Duration.ofSeconds(5), "/bin/sh", HookIo.INHERIT, cache));
    }

    private int tries() {
        AtomicInteger n = finits.get("mod_c.ko");
        return n == null ? 0 : n.get();
    }

    private static Prober.Result only(ProbeOutcome o) {
        assertEquals(1, o.modules().size(), o.toString());
        return o.modules().get(0);
    }

    private static ProbeRequest uevent() {
        return ProbeRequest.forUevent("mod_c", new ProbeOrigin.Uevent("80-drivers.rules:5", "/devices/system/cpu/cpu1", 7));
    }

    @Test
    void aStormForOneFailingModuleIsOneAttemptAndTheSameAnswer() throws Exception {
        Prober p = prober(Errno.ENODEV);
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Prober.Result>> all = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                boolean kernel = i % 2 == 0;
                all.add(pool.submit(() -> {
                    go.await();
                    // a context per probe, as the daemon makes one (a ResolveContext is not shared)
                    return only(p.probe(ctx(), kernel ? ProbeRequest.forKernelRequest("mod_c") : uevent(),
                            Prober.Listener.NONE));
                }));
            }
            go.countDown();
            int cached = 0;
            for (Future<Prober.Result> f : all) {
                Prober.Result r = f.get();
                assertTrue(r.failed(), r.toString());
                assertEquals(Errno.ENODEV, r.errno(), r.toString());
                assertEquals("could not insert 'mod_c': No such device", r.message());
                assertEquals(List.of("could not insert 'mod_c': No such device"), r.errors());
                cached += r.fromCache() ? 1 : 0;
            }
            assertEquals(1, tries(), "finit_module calls for mod_c");
            // its dependencies went in once, and stay in
            assertEquals(1, finits.get("mod_a.ko").get());
            assertEquals(1, finits.get("mod_b.ko").get());
            List<FailureCache.Entry> entries = cache.entries();
            assertEquals(1, entries.size(), entries.toString());
            FailureCache.Entry e = entries.get(0);
            assertEquals("mod_c", e.key().module());
            assertEquals(Errno.ENODEV, e.errno());
            // a request that joined a cached answer in flight shares it without asking the cache itself
            assertTrue(e.answered() <= cached, e + " vs " + cached);
        } finally {
            pool.shutdownNow();
        }
        // later requests, one at a time, are all answered from the cache
        for (int i = 0; i < 5; i++) {
            assertTrue(only(p.probe(ctx(), uevent(), Prober.Listener.NONE)).fromCache());
        }
        assertEquals(1, tries());
    }

    @Test
    void aPersonAlwaysTriesAgain() {
        Prober p = prober(Errno.ENODEV);
        only(p.probe(ctx(), ProbeRequest.forKernelRequest("mod_c"), Prober.Listener.NONE));
        assertEquals(1, tries());
        Prober.Result r = only(p.probe(ctx(), ProbeRequest.fromCli("mod_c", null), Prober.Listener.NONE));
        assertFalse(r.fromCache());
        assertEquals(Errno.ENODEV, r.errno());
        assertEquals(2, tries());
        // nor does a person's attempt make the cache answer for it
        assertTrue(only(p.probe(ctx(), ProbeRequest.forKernelRequest("mod_c"), Prober.Listener.NONE)).fromCache());
        assertEquals(2, tries());
    }

    @Test
    void aChangedModuleFileOrAReloadIsANewAttempt() throws Exception {
        Prober p = prober(Errno.ENOEXEC);
        only(p.probe(ctx(), uevent(), Prober.Listener.NONE));
        assertTrue(only(p.probe(ctx(), uevent(), Prober.Listener.NONE)).fromCache());
        assertEquals(1, tries());

        Path ko = ScenarioRoot.modulesDir(root).resolve("kernel/drivers/stack/mod_c.ko");
        Files.setLastModifiedTime(ko, FileTime.fromMillis(Files.getLastModifiedTime(ko).toMillis() + 60_000));
        Prober.Result again = only(p.probe(ctx(), uevent(), Prober.Listener.NONE));
        assertFalse(again.fromCache());
        assertEquals(Errno.ENOEXEC, again.errno());
        assertEquals(2, tries());

        assertTrue(only(p.probe(ctx(), uevent(), Prober.Listener.NONE)).fromCache());
        cache.clear();
        assertFalse(only(p.probe(ctx(), uevent(), Prober.Listener.NONE)).fromCache());
        assertEquals(3, tries());
    }

    @Test
    void aTransientErrorIsTriedEveryTime() {
        for (Errno transient_ : List.of(Errno.EBUSY, Errno.EAGAIN, Errno.ENOMEM, Errno.EINTR, Errno.ETIMEDOUT)) {
            finits.clear();
            Prober p = prober(transient_);
            for (int i = 0; i < 3; i++) {
                Prober.Result r = only(p.probe(ctx(), ProbeRequest.forKernelRequest("mod_c"), Prober.Listener.NONE));
                assertEquals(transient_, r.errno());
                assertFalse(r.fromCache());
            }
            assertEquals(3, tries(), transient_.name());
            assertTrue(cache.entries().isEmpty());
        }
    }

    @Test
    void theKeyIsModuleFileAndOptions() {
        Path ko = ScenarioRoot.modulesDir(root).resolve("kernel/drivers/stack/mod_c.ko");
        FailureCache.Key plain = new FailureCache.Key("mod_c", ko, null);
        assertTrue(cache.remember(plain, FailureCache.identify(ko), Errno.ENODEV, "could not insert 'mod_c': No such device"));
        assertTrue(cache.answer(new FailureCache.Key("mod_c", ko, "")).isPresent());
        assertTrue(cache.answer(new FailureCache.Key("mod_c", ko, "debug=1")).isEmpty());
        assertTrue(cache.answer(new FailureCache.Key("mod_c", ko.resolveSibling("other.ko"), null)).isEmpty());
        assertFalse(cache.remember(plain, FailureCache.identify(ko), Errno.EBUSY, "busy"));
        assertEquals(1, cache.entries().get(0).answered());
    }
}
