package org.lkmd.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.config.DaemonConfig;
import org.lkmd.config.Root;
import org.lkmd.daemon.Daemon;
import org.lkmd.daemon.SnapshotLoader;
import org.lkmd.kernel.SimulatedKernel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernel's module helper: {@code lkmd-modprobe -q -- NAME} (the C fast path) answered by a
 * running daemon over its control socket, and the same call working alone when no daemon answers.
 */
class HelperFastPathTest {
    @TempDir
    static Path tmp;
    static Path root;
    static Path helper;
    static String rel;
    static Daemon daemon;
    static Thread thread;

    @BeforeAll
    static void start() throws Exception {
        helper = Path.of(System.getProperty("lkmd.repo", ".."), "daemon/target/bin/lkmd-modprobe").toAbsolutePath();
        assumeTrue(Files.isExecutable(helper), "lkmd-modprobe was not built (no C compiler)");
        rel = RealTree.release();
        root = FakeRoots.hostLike(tmp.resolve("root"));
        Files.createDirectories(root.resolve("sys"));
        Path state = root.resolve("run/lkmd/simulate");
        Files.createDirectories(state);
        Root r = Root.of(root);
        daemon = new Daemon(r, SimulatedKernel.on(r).release(rel).stateDir(state).build(),
                new SnapshotLoader(r, rel, Clock.systemUTC()), Clock.systemUTC(), Map.of(), true,
                Optional.of(DaemonConfig.ColdplugMode.OFF));
        thread = new Thread(daemon::run, "daemon-under-test");
        thread.start();
        assertTrue(daemon.awaitReady(Duration.ofSeconds(60)), "daemon did not become ready");
        Path socket = root.resolve("run/lkmd/control");
        for (int i = 0; i < 200 && !Files.exists(socket); i++) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(socket), "no control socket at " + socket);
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (daemon != null) {
            daemon.stop();
            thread.join(30_000);
        }
    }

    private static Tool helper(String socket, String... args) {
        List<String> cmd = new ArrayList<>(List.of("env", "LKMD_CONTROL_SOCKET=" + socket, helper.toString()));
        cmd.addAll(List.of(args));
        return Tool.exec(cmd);
    }

    @Test
    void kernelRequestIsAnsweredByTheDaemon() {
        String socket = root.resolve("run/lkmd/control").toString();
        Tool ok = helper(socket, "-q", "--", "crc16");
        assertEquals(0, ok.rc(), ok.err());
        assertEquals("", ok.out());
        // only the daemon knows this fake root: its answer names the root's module directory
        Tool missing = helper(socket, "--", "no-such-module");
        assertEquals(1, missing.rc());
        assertEquals("modprobe: FATAL: Module no-such-module not found in directory " + root + "/lib/modules/" + rel
                + "\n", missing.err());
        Tool quiet = helper(socket, "-q", "--", "no-such-module");
        assertEquals(1, quiet.rc());
        assertEquals("", quiet.err());
        Tool builtin = helper(socket, "-q", "--", "8250");
        assertEquals(0, builtin.rc(), builtin.err());
    }

    @Test
    void withoutADaemonTheJavaToolDoesTheWork() {
        // no socket: the helper runs "lkmd modprobe" itself, here as a dry run under the fake root
        Tool t = helper(root.resolve("run/lkmd/none").toString(), "--root", root.toString(), "-S", rel,
                "--show-depends", "crc16");
        assertEquals(0, t.rc(), t.err());
        assertEquals("insmod " + root + "/lib/modules/" + rel + "/kernel/lib/crc16.ko \n", t.out());
    }
}
