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
import org.lkmd.kernel.ModuleState;
import org.lkmd.kernel.SimulatedKernel;
import org.lkmd.uevent.ScriptedUeventSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code deny} and the initramfs drift over the real daemon, its control socket and the C helper,
 * on a small fake root with a simulated kernel: {@code nbd} is in the kernel with {@code
 * nbds_max=2} before the daemon starts while modprobe.d says 4; {@code fat} is denied in
 * {@code /etc/lkmd/modprobe.d}. The kernel's request for {@code fs-vfat} (vfat needs fat) and a
 * person's call through the helper are refused and recorded with their origins; {@code explain}
 * names the line; {@code status} lists the drift and watches the new directory's file.
 */
class DenyAndDriftDaemonTest {
    static final String REL = "6.1.0-test";

    @TempDir
    static Path tmp;
    static Path root;
    static Path helper;
    static Path deny;
    static SimulatedKernel kernel;
    static Daemon daemon;
    static Thread thread;

    @BeforeAll
    static void start() throws Exception {
        helper = Path.of(System.getProperty("lkmd.repo", ".."), "daemon/target/bin/lkmd-modprobe").toAbsolutePath();
        assumeTrue(Files.isExecutable(helper), "lkmd-modprobe was not built (no C compiler)");
        root = tmp.resolve("root");
        Path mods = root.resolve("lib/modules/" + REL);
        Files.createDirectories(mods.resolve("kernel/fs"));
        Files.createDirectories(mods.resolve("kernel/drivers/block"));
        Files.writeString(mods.resolve("kernel/fs/fat.ko"), "\0name=fat\0");
        Files.writeString(mods.resolve("kernel/fs/vfat.ko"), "\0name=vfat\0depends=fat\0");
        Files.writeString(mods.resolve("kernel/drivers/block/nbd.ko"), "\0name=nbd\0");
        // the index after the files, as depmod writes it: not stale, so the daemon does not rebuild it
        Files.writeString(mods.resolve("modules.dep"), "kernel/fs/fat.ko:\nkernel/fs/vfat.ko: kernel/fs/fat.ko\n"
                + "kernel/drivers/block/nbd.ko:\n");
        Files.writeString(mods.resolve("modules.alias"), "alias fs-vfat vfat\nalias block-major-43-* nbd\n");
        Files.createDirectories(root.resolve("etc/lkmd/modprobe.d"));
        Files.createDirectories(root.resolve("etc/modprobe.d"));
        Files.writeString(root.resolve("etc/lkmd/lkmd.toml"), "[reload]\nwatch = false\n");
        deny = root.resolve("etc/lkmd/modprobe.d/local.conf");
        Files.writeString(deny, "# lkmd only\ndeny fat\n");
        Files.createDirectories(root.resolve("proc"));
        Files.writeString(root.resolve("proc/cmdline"), "quiet\n");
        Root r = Root.of(root);
        kernel = SimulatedKernel.on(r).release(REL).build();
        // the initramfs's load, with the options of its day; modprobe.d says otherwise now
        kernel.finitModule(mods.resolve("kernel/drivers/block/nbd.ko"), "nbds_max=2", 0);
        Files.writeString(root.resolve("etc/modprobe.d/nbd.conf"), "options nbd nbds_max=4\n");
        daemon = new Daemon(r, kernel, new SnapshotLoader(r, REL, Clock.systemUTC()), Clock.systemUTC(), Map.of(), false,
                Optional.of(DaemonConfig.ColdplugMode.OFF), ScriptedUeventSource.of(List.of()));
        thread = new Thread(daemon::run, "daemon-under-test");
        thread.start();
        assertTrue(daemon.awaitReady(Duration.ofSeconds(60)), "daemon did not become ready");
        for (int i = 0; i < 50 && Tool.lkmd("status", "--root", root.toString()).rc() != 0; i++) {
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

    @Test
    void theKernelsRequestAndAPersonsCallAreRefusedAndRecordedWithTheirOrigin() throws Exception {
        String why = "could not insert 'vfat': its dependency 'fat' is denied by " + deny + ":2";
        Tool k = helper("-q", "--", "fs-vfat");
        assertEquals(1, k.rc(), k.err());
        Tool p = helper("vfat");
        assertEquals(1, p.rc());
        assertEquals("modprobe: ERROR: " + why + "\n", p.err());
        assertEquals(ModuleState.ABSENT, kernel.state("fat"));
        assertEquals(ModuleState.ABSENT, kernel.state("vfat"));

        EventRecord byKernel = daemon.events().records().stream().filter(x -> "fs-vfat".equals(x.request()))
                .findFirst().orElseThrow();
        assertEquals(List.of(new EventRecord.Outcome("vfat", "fs-vfat", EventRecord.Result.DENIED,
                org.lkmd.kernel.Errno.EPERM, why, "kernel request fs-vfat")), byKernel.outcomes());
        EventRecord byPerson = daemon.events().records().stream().filter(x -> "vfat".equals(x.request()))
                .findFirst().orElseThrow();
        assertEquals(EventRecord.Source.COMMAND_LINE, byPerson.source());
        assertEquals(EventRecord.Result.DENIED, byPerson.outcomes().get(0).result());

        Tool e = Tool.lkmd("explain", "--root", root.toString(), "fs-vfat");
        assertEquals(0, e.rc(), e.err());
        assertTrue(e.out().contains("    why not: its dependency fat is denied at " + deny + ":2\n"), e.out());
        assertTrue(e.out().contains("kernel request fs-vfat at "), e.out());
        assertTrue(e.out().contains("why not: the last load of vfat was refused (" + why + ")"), e.out());
        Tool s = Tool.lkmd("status", "--root", root.toString());
        assertTrue(s.out().contains("command line vfat: vfat denied EPERM (" + why + ")"), s.out());
    }

    @Test
    void aModuleLoadedBeforeTheDaemonWithOtherOptionsIsInStatus() {
        Tool s = Tool.lkmd("status", "--root", root.toString());
        assertEquals(0, s.rc(), s.err());
        assertTrue(s.out().contains("initramfs drift:\n  module nbd was loaded before lkmd started with other parameters"
                + " than modprobe.d gives: nbds_max=4 (" + root.resolve("etc/modprobe.d/nbd.conf") + ":1) but live"
                + " nbds_max=2; rebuild the initramfs with update-initramfs -u"), s.out());
        // lkmd's own modprobe.d directory feeds the snapshot like the others
        assertTrue(s.out().contains(deny.toString()), s.out());
        Tool j = Tool.lkmd("status", "--json", "--root", root.toString());
        assertTrue(j.out().contains("\"initramfs_drift\":[{\"module\":\"nbd\",\"kind\":\"options\",\"where\":\""
                + root.resolve("etc/modprobe.d/nbd.conf") + ":1\""), j.out());
    }

    @Test
    void aDenyOfALiveModuleUnloadsNothing() throws Exception {
        Files.writeString(root.resolve("etc/lkmd/modprobe.d/nbd.conf"), "deny nbd\n");
        try {
            Tool r = Tool.lkmd("reload", "--root", root.toString());
            assertEquals(0, r.rc(), r.err());
            Tool p = helper("nbd");
            assertEquals(0, p.rc(), p.err());
            assertEquals(ModuleState.LIVE, kernel.state("nbd"));
            assertFalse(daemon.events().records().stream().anyMatch(x -> "nbd".equals(x.request())
                    && x.outcomes().get(0).result() != EventRecord.Result.ALREADY_LOADED));
        } finally {
            Files.delete(root.resolve("etc/lkmd/modprobe.d/nbd.conf"));
            Tool.lkmd("reload", "--root", root.toString());
        }
    }

    @Test
    void withoutTheDaemonModprobeRefusesAndVerifyNamesBadAndMisplacedLines() throws Exception {
        Path r = tmp.resolve("tools");
        Path mods = r.resolve("lib/modules/" + REL);
        Files.createDirectories(mods.resolve("kernel/fs"));
        Files.writeString(mods.resolve("kernel/fs/fat.ko"), "\0name=fat\0");
        Files.writeString(mods.resolve("kernel/fs/vfat.ko"), "\0name=vfat\0depends=fat\0");
        Files.writeString(mods.resolve("modules.dep"), "kernel/fs/fat.ko:\nkernel/fs/vfat.ko: kernel/fs/fat.ko\n");
        Files.createDirectories(r.resolve("etc/lkmd/rules.d"));
        Files.writeString(r.resolve("etc/lkmd/rules.d/80.rules"), "ACTION==\"add\", RUN{builtin}+=\"kmod load\"\n");
        Files.createDirectories(r.resolve("etc/modprobe.d"));
        Path kmodDir = r.resolve("etc/modprobe.d/local.conf");
        Files.writeString(kmodDir, "deny fat\n");
        String root = r.toString();

        // a deny in kmod's directory counts for lkmd, and verify says where it belongs
        Tool m = Tool.lkmd("modprobe", "--root", root, "-S", REL, "vfat");
        assertEquals(1, m.rc());
        assertEquals("modprobe: ERROR: could not insert 'vfat': its dependency 'fat' is denied by " + kmodDir + ":1\n",
                m.err());
        Tool c = Tool.lkmd("modprobe", "--root", root, "-S", REL, "-c");
        assertTrue(c.out().startsWith("deny fat\n"), c.out());
        Tool v = Tool.lkmd("verify", "--root", root, "--kernel-release", REL);
        assertEquals(0, v.rc(), v.err());
        assertTrue(v.err().startsWith(kmodDir + ":1: 'deny' is lkmd's own: kmod's tools (modprobe, udev's kmod builtin)"
                + " print an error for this line at every run; move it to /etc/lkmd/modprobe.d/ (warning)\n"), v.err());

        // in lkmd's directory: no warning; a line without a name or with two is an error, the rest applies
        Files.delete(kmodDir);
        Path own = r.resolve("etc/lkmd/modprobe.d/local.conf");
        Files.createDirectories(own.getParent());
        Files.writeString(own, "deny\ndeny fat vfat\ndeny fat\n");
        v = Tool.lkmd("verify", "--root", root, "--kernel-release", REL);
        assertEquals(1, v.rc(), v.err());
        assertEquals(own + ":1: ignoring bad line starting with 'deny': one module name expected\n"
                + own + ":2: ignoring bad line starting with 'deny': one module name expected\n", v.err());
        m = Tool.lkmd("modprobe", "--root", root, "-S", REL, "fat");
        assertEquals(1, m.rc());
        assertTrue(m.err().endsWith("modprobe: ERROR: could not insert 'fat': denied by " + own + ":3\n"), m.err());
        // insmod reads no modprobe.d, as kmod's
        Tool i = Tool.lkmd("insmod", "--root", root, "--kernel-release", REL, mods.resolve("kernel/fs/fat.ko").toString());
        assertEquals(0, i.rc(), i.err());
    }
}
