package org.lkmd.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.config.DaemonConfig;
import org.lkmd.base.Root;
import org.lkmd.daemon.Daemon;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.eventlog.EventRecord;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.uevent.ScriptedUeventSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.lkmd.testing.Await.waitFor;

/**
 * A kernel-helper load is history: {@code lkmd-modprobe -q -- fs-vfat} (the C client, as the kernel
 * runs it) answered by a {@code --simulate} daemon over the real control socket, on a small fake
 * root of its own (no host module tree), then seen in {@code lkmd monitor} and {@code lkmd explain
 * fs-vfat} with its origin; a name no module has is recorded as not found. A person's call is not
 * this daemon's: it only simulates, so the Java tool does it (ModprobeFrontTest and
 * DenyAndDriftDaemonTest show a loading daemon recording a person's call as from the command line).
 */
class KernelRequestHistoryTest {
    static final String REL = "6.1.0-test";

    @TempDir
    static Path tmp;
    static Path root;
    static Path helper;
    static Daemon daemon;
    static Thread thread;

    @BeforeAll
    static void start() throws Exception {
        helper = Path.of(System.getProperty("lkmd.repo", ".."), "daemon/target/bin/lkmd-modprobe").toAbsolutePath();
        assumeTrue(Files.isExecutable(helper), "lkmd-modprobe was not built (no C compiler)");
        root = tmp.resolve("root");
        Path mods = root.resolve("lib/modules/" + REL);
        Files.createDirectories(mods.resolve("kernel/fs"));
        // the modules before the index: a .ko newer than modules.dep makes the daemon rebuild the index
        // from these fake files at start, which drops the alias
        Files.writeString(mods.resolve("kernel/fs/fat.ko"), "\0name=fat\0");
        Files.writeString(mods.resolve("kernel/fs/vfat.ko"), "\0name=vfat\0depends=fat\0");
        Files.writeString(mods.resolve("modules.dep"), "kernel/fs/fat.ko:\nkernel/fs/vfat.ko: kernel/fs/fat.ko\n");
        Files.writeString(mods.resolve("modules.alias"), "alias fs-vfat vfat\n");
        Files.createDirectories(root.resolve("etc/lkmd"));
        Files.writeString(root.resolve("etc/lkmd/lkmd.toml"), "[reload]\nwatch = false\n");
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cmdline"), "quiet\n");
        Path state = root.resolve("run/lkmd/simulate");
        Files.createDirectories(state);
        Root r = Root.of(root);
        daemon = new Daemon(r, SimulatedKernel.on(r).release(REL).stateDir(state).build(),
                new SnapshotLoader(r, REL, Clock.systemUTC()), Clock.systemUTC(), Map.of(), true,
                Optional.of(DaemonConfig.ColdplugMode.OFF), ScriptedUeventSource.of(List.of()));
        thread = new Thread(daemon::run, "daemon-under-test");
        thread.start();
        assertTrue(daemon.awaitReady(Duration.ofSeconds(60)), "daemon did not become ready");
        Path socket = root.resolve("run/lkmd/control");
        for (int i = 0; i < 200 && !Files.exists(socket); i++) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(socket), "no control socket at " + socket);
        // the socket file exists once bound; wait until the daemon answers on it, as a kernel request
        // arriving earlier goes to the helper's fallback by design
        for (int i = 0; i < 30 && Tool.lkmd("status", "--root", root.toString()).rc() != 0; i++) {
            Thread.sleep(200);
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

    /** The first event record of a request for NAME (waiting at most 10 s: it is written just after the answer). */
    private static EventRecord recorded(String name) throws InterruptedException {
        waitFor(() -> daemon.events().records().stream().anyMatch(x -> name.equals(x.request())), Duration.ofSeconds(10));
        return daemon.events().records().stream().filter(x -> name.equals(x.request())).findFirst()
                .orElseThrow(() -> new AssertionError("no event record of a request for " + name));
    }

    @Test
    void aKernelHelperLoadIsInMonitorAndExplainWithItsOrigin() throws Exception {
        CompletableFuture<Tool> mon = CompletableFuture.supplyAsync(() ->
                Tool.lkmd("monitor", "--root", root.toString(), "--count", "1"));
        // the monitor subscribes asynchronously: keep asking as the kernel would until it has printed one
        for (int i = 0; i < 60 && !mon.isDone(); i++) {
            Tool t = helper("-q", "--", "fs-vfat");
            assertEquals(0, t.rc(), t.err());
            Thread.sleep(300);
        }
        Tool m = mon.get(10, TimeUnit.SECONDS);
        assertEquals(0, m.rc(), m.err());
        assertTrue(m.out().matches("(?s).*LKMD\\[.*\\] kernel request fs-vfat, [0-9.]+ ms: vfat dry_run \\(fat\\)\n"),
                m.out());

        Tool e = Tool.lkmd("explain", "--root", root.toString(), "fs-vfat");
        assertEquals(0, e.rc(), e.err());
        assertTrue(e.out().contains("  module vfat (via fs_vfat)\n"), e.out());
        assertTrue(e.out().matches("(?s).*\nhistory:\n  kernel request fs-vfat at \\S+ \\(\\d+ ms\\): vfat dry_run \\(fat\\)\n.*"),
                e.out());

        EventRecord r = recorded("fs-vfat");
        assertEquals(EventRecord.Source.KERNEL_REQUEST, r.source());
        assertEquals("kernel request fs-vfat", r.outcomes().get(0).origin());
    }

    @Test
    void aNameNoModuleHasIsRecordedAndAPersonsCallIsLeftToTheJavaTool() throws Exception {
        Tool t = helper("-q", "--", "char-major-99-99");
        assertEquals(1, t.rc());
        assertEquals("", t.out() + t.err(), "kmod is silent under -q");
        EventRecord r = recorded("char-major-99-99");
        assertEquals(EventRecord.Source.KERNEL_REQUEST, r.source());
        assertEquals(List.of(EventRecord.Result.NOT_FOUND), r.outcomes().stream().map(EventRecord.Outcome::result).toList());
        Tool s = Tool.lkmd("status", "--json", "--root", root.toString());
        assertEquals(0, s.rc(), s.err());
        assertTrue(s.out().contains("\"NOT_FOUND\":"), s.out());

        int before = daemon.events().records().size();
        List<String> cmd = Tool.list("env", "LKMD_CONTROL_SOCKET=" + root.resolve("run/lkmd/control"), "LKMD_LAUNCHER=/bin/echo",
                helper.toString(), "fs-vfat");
        Tool p = Tool.exec(cmd);
        assertEquals("modprobe fs-vfat\n", p.out(), "the Java tool was not run for a person's call");
        assertEquals(before, daemon.events().records().size(), "the simulating daemon recorded a person's call");
    }
}
