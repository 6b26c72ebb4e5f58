package org.lkmd.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.base.Root;
import org.lkmd.config.DaemonConfig;
import org.lkmd.daemon.Daemon;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.Errno;
import org.lkmd.kernel.ModuleState;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.uevent.ScriptedUeventSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lkmd.testing.Await.waitFor;

/**
 * The kernel's side of concurrency, through the C helper ({@code lkmd-modprobe -q --}, as the kernel
 * runs it) and the real control socket, to a daemon loading into a {@link SimulatedKernel}: a
 * module whose init asks for another module while its own load is in flight is served (the nested
 * request on another thread); 50 helpers at once for a mix of modules each load once; a storm for
 * a module that fails for good is one attempt, the rest answered from the failure cache; a name no
 * module has is kmod's status, silent under {@code -q}, recorded once per request as not found.
 */
class ConcurrentHelperLoadsTest {
    static final String REL = "6.1.0-test";
    static final int MODS = 8;

    @TempDir
    static Path tmp;
    static Path root;
    static Path helper;
    static Daemon daemon;
    static Thread thread;
    static SimulatedKernel kernel;
    static final Map<String, AtomicInteger> finits = new ConcurrentHashMap<>();
    static final AtomicReference<Tool> nested = new AtomicReference<>();

    @BeforeAll
    static void start() throws Exception {
        helper = Path.of(System.getProperty("lkmd.repo", ".."), "daemon/target/bin/lkmd-modprobe").toAbsolutePath();
        assumeTrue(Files.isExecutable(helper), "lkmd-modprobe was not built (no C compiler)");
        root = tmp.resolve("root");
        Path mods = root.resolve("lib/modules/" + REL);
        Files.createDirectories(mods.resolve("kernel/drivers"));
        StringBuilder dep = new StringBuilder("kernel/drivers/outer.ko:\nkernel/drivers/inner.ko:\nkernel/drivers/nodev.ko:\n");
        Files.writeString(mods.resolve("kernel/drivers/outer.ko"), "\0name=outer\0");
        Files.writeString(mods.resolve("kernel/drivers/inner.ko"), "\0name=inner\0");
        Files.writeString(mods.resolve("kernel/drivers/nodev.ko"), "\0name=nodev\0");
        Files.writeString(mods.resolve("kernel/drivers/base.ko"), "\0name=base\0");
        dep.append("kernel/drivers/base.ko:\n");
        for (int i = 0; i < MODS; i++) {
            Files.writeString(mods.resolve("kernel/drivers/m" + i + ".ko"), "\0name=m" + i + "\0depends=base\0");
            dep.append("kernel/drivers/m").append(i).append(".ko: kernel/drivers/base.ko\n");
        }
        Files.writeString(mods.resolve("modules.dep"), dep.toString());
        Files.writeString(mods.resolve("modules.alias"), "alias fs-outer outer\n");
        Files.createDirectories(root.resolve("etc/lkmd"));
        Files.writeString(root.resolve("etc/lkmd/lkmd.toml"), "[reload]\nwatch = false\n");
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cmdline"), "quiet\n");
        Path state = root.resolve("run/lkmd/simulate");
        Files.createDirectories(state);
        Root r = Root.of(root);
        kernel = SimulatedKernel.on(r).release(REL).stateDir(state).failing("nodev", Errno.ENODEV)
                .beforeFinit(ConcurrentHelperLoadsTest::init).build();
        daemon = new Daemon(r, kernel, new SnapshotLoader(r, REL, Clock.systemUTC()), Clock.systemUTC(), Map.of(),
                false, Optional.of(DaemonConfig.ColdplugMode.OFF), ScriptedUeventSource.of(List.of()));
        thread = new Thread(daemon::run, "daemon-under-test");
        thread.start();
        assertTrue(daemon.awaitReady(Duration.ofSeconds(60)), "daemon did not become ready");
        Path socket = root.resolve("run/lkmd/control");
        for (int i = 0; i < 200 && !Files.exists(socket); i++) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(socket), "no control socket at " + socket);
    }

    /** The simulated module init: counts each finit_module; outer's init asks the kernel for inner and waits. */
    private static void init(Path ko) {
        String name = ko.getFileName().toString().replace(".ko", "");
        finits.computeIfAbsent(name, x -> new AtomicInteger()).incrementAndGet();
        if (name.equals("outer")) {
            // request_module("inner") from outer's init: the kernel runs the helper and waits for it
            nested.set(helper("-q", "--", "inner"));
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (daemon != null) {
            daemon.stop();
            thread.join(30_000);
        }
    }

    private static Tool helper(String... args) {
        List<String> cmd = Tool.list("env", "LKMD_CONTROL_SOCKET=" + root.resolve("run/lkmd/control"), helper.toString());
        cmd.addAll(List.of(args));
        return Tool.exec(cmd);
    }

    /**
     * The event records of requests for NAME, once there are at least COUNT (waiting at most 10 s):
     * the daemon records a request just after it has answered it.
     */
    private static List<EventRecord> requests(String name, int count) throws InterruptedException {
        waitFor(() -> requests(name).size() >= count, Duration.ofSeconds(10));
        return requests(name);
    }

    private static List<EventRecord> requests(String name) {
        return daemon.events().records().stream().filter(x -> name.equals(x.request())).toList();
    }

    @Test
    void aModuleWhoseInitRequestsAnotherIsServedWhileItsOwnLoadIsInFlight() throws Exception {
        Tool t = helper("-q", "--", "fs-outer");
        assertEquals(0, t.rc(), t.err());
        Tool inner = nested.get();
        assertNotNull(inner, "outer's init never ran");
        assertEquals(0, inner.rc(), inner.err());
        // served by the daemon (the helper's fallback would not touch this simulated kernel)
        assertEquals(ModuleState.LIVE, kernel.state("inner"));
        assertEquals(ModuleState.LIVE, kernel.state("outer"));
        assertEquals(1, finits.get("outer").get());
        assertEquals(1, finits.get("inner").get());
        List<EventRecord> in = requests("inner", 1);
        assertEquals(1, in.size(), in.toString());
        assertEquals(EventRecord.Source.KERNEL_REQUEST, in.get(0).source());
        assertEquals(EventRecord.Result.LOADED, in.get(0).outcomes().get(0).result());
        // inner's load ended before outer's
        assertTrue(kernel.loadOrder().indexOf("inner") < kernel.loadOrder().indexOf("outer"), kernel.loadOrder().toString());
    }

    @Test
    void fiftyHelpersAtOnceForAMixOfModulesLoadEachOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Tool>> all = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                String name = "m" + (i % MODS);
                all.add(pool.submit(() -> {
                    go.await();
                    return helper("-q", "--", name);
                }));
            }
            go.countDown();
            for (Future<Tool> f : all) {
                Tool t = f.get();
                assertEquals(0, t.rc(), t.err());
                assertEquals("", t.err());
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < MODS; i++) {
            assertEquals(ModuleState.LIVE, kernel.state("m" + i));
            assertEquals(1, finits.get("m" + i).get(), "finit_module calls for m" + i);
        }
        assertEquals(1, finits.get("base").get(), "finit_module calls for the shared dependency");
        int recorded = 0;
        for (int i = 0; i < MODS; i++) {
            recorded += requests("m" + i, (50 - i + MODS - 1) / MODS).size();
        }
        assertEquals(50, recorded);
    }

    @Test
    void aStormForOneFailingModuleIsOneAttemptTheRestFromTheCache() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Tool>> all = new ArrayList<>();
        try {
            for (int i = 0; i < 50; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    return helper("-q", "--", "nodev");
                }));
            }
            go.countDown();
            for (Future<Tool> f : all) {
                Tool t = f.get();
                assertEquals(1, t.rc(), t.err());
                // -q: silent, as kmod's modprobe is
                assertEquals("", t.err());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, finits.get("nodev").get(), "finit_module calls for nodev");
        List<EventRecord> rs = requests("nodev", 50);
        assertEquals(50, rs.size());
        long fromCache = 0;
        for (EventRecord r : rs) {
            EventRecord.Outcome o = r.outcomes().get(0);
            assertEquals(EventRecord.Result.FAILED, o.result());
            assertEquals(Errno.ENODEV, o.errno());
            assertTrue(o.detail().startsWith("could not insert 'nodev': No such device"), o.detail());
            fromCache += o.detail().endsWith("[from the failure cache]") ? 1 : 0;
        }
        assertTrue(fromCache > 0, "no request was answered from the cache");

        Tool s = Tool.lkmd("status", "--root", root.toString());
        assertEquals(0, s.rc(), s.err());
        assertTrue(s.out().matches("(?s).*\nfailure cache: 1\n  nodev ENODEV \\(could not insert 'nodev': No such device\\), "
                + "\\S+/nodev\\.ko; failed \\S+, last asked \\S+, \\d+ answered from cache\n.*"), s.out());
        Tool j = Tool.lkmd("status", "--json", "--root", root.toString());
        assertTrue(j.out().contains("\"failure_cache\":[{\"module\":\"nodev\""), j.out());

        // lkmd reload empties it: the next request tries again
        Tool rl = Tool.lkmd("reload", "--root", root.toString());
        assertEquals(0, rl.rc(), rl.err());
        assertEquals(1, helper("-q", "--", "nodev").rc());
        assertEquals(2, finits.get("nodev").get());
        // a person running the helper without -q always tries, and is told why
        Tool person = helper("nodev");
        assertEquals(1, person.rc());
        assertEquals("modprobe: ERROR: could not insert 'nodev': No such device\n", person.err());
        assertEquals(3, finits.get("nodev").get());
    }

    @Test
    void aNameNoModuleHasIsKmodsStatusSilentUnderQuietAndRecordedOnce() throws Exception {
        Tool t = helper("-q", "--", "char-major-99-99");
        assertEquals(1, t.rc());
        assertEquals("", t.err());
        assertEquals("", t.out());
        List<EventRecord> rs = requests("char-major-99-99", 1);
        assertEquals(1, rs.size(), rs.toString());
        assertEquals(EventRecord.Source.KERNEL_REQUEST, rs.get(0).source());
        assertEquals(List.of(new EventRecord.Outcome("char-major-99-99", "char-major-99-99", EventRecord.Result.NOT_FOUND,
                null, null, "kernel request char-major-99-99")), rs.get(0).outcomes());
    }
}
