package org.lkmd.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lkmd.daemon.Daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    static SimulatingDaemon sim;
    static Daemon daemon;

    @BeforeAll
    static void start() throws Exception {
        helper = Path.of(System.getProperty("lkmd.repo", ".."), "daemon/target/bin/lkmd-modprobe").toAbsolutePath();
        assumeTrue(Files.isExecutable(helper), "lkmd-modprobe was not built (no C compiler)");
        rel = RealTree.release();
        root = FakeRoots.hostLike(tmp.resolve("root"));
        Files.createDirectories(root.resolve("sys"));
        sim = SimulatingDaemon.over(root).release(rel).start();
        daemon = sim.daemon;
        sim.controlSocket();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (sim != null) {
            sim.close();
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
