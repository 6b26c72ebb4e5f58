package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The install/remove command time limit of {@code lkmd modprobe} (kmod has none): {@code --hook-timeout
 * SEC} or {@code $LKMD_HOOK_TIMEOUT}, 30 s by default. A command past it is killed and the load or
 * removal fails with ETIMEDOUT; a bad value is refused before anything runs.
 */
class ModprobeHookTimeoutTest {
    @TempDir
    static Path tmp;
    static Path root;
    static String rel;

    @BeforeAll
    static void setUp() throws IOException {
        rel = RealTree.release();
        root = FakeRoots.hostLike(tmp.resolve("root"));
        Files.createDirectories(tmp.resolve("conf"));
        Files.writeString(tmp.resolve("conf/hang.conf"), "install crc16 sleep 20\nremove crc16 sleep 20\n");
    }

    private static Tool modprobe(Map<String, String> env, String... args) {
        String[] base = {"modprobe", "--root", root.toString(), "-d", root.toString(), "-S", rel,
            "-C", tmp.resolve("conf").toString()};
        String[] all = new String[base.length + args.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(args, 0, all, base.length, args.length);
        return Tool.lkmd(env, all);
    }

    @Test
    void hangingInstallHookIsKilledAtTheLimitFromTheEnvironment() {
        long t0 = System.nanoTime();
        Tool t = modprobe(Map.of("LKMD_HOOK_TIMEOUT", "0.5"), "crc16");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, t.rc(), t.err());
        assertEquals("modprobe: ERROR: Error running install command 'sleep 20' for module crc16: "
                + "timed out after 500 ms, killed\n"
                + "modprobe: ERROR: could not insert 'crc16': Connection timed out\n", t.err());
        assertTrue(ms < 10_000, "took " + ms + " ms");
    }

    @Test
    void optionOverridesTheEnvironmentForRemoveHooks() {
        long t0 = System.nanoTime();
        Tool t = modprobe(Map.of("LKMD_HOOK_TIMEOUT", "25"), "--hook-timeout", "0.3", "-r", "crc16");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, t.rc(), t.err());
        assertTrue(t.err().startsWith("modprobe: FATAL: Error running remove command for crc16\n"), t.err());
        assertTrue(ms < 10_000, "took " + ms + " ms");
    }

    @Test
    void badLimitIsRefusedBeforeAnythingRuns() {
        for (String bad : new String[] {"0", "-1", "soon", "1e99"}) {
            Tool t = modprobe(Map.of(), "--hook-timeout", bad, "crc16");
            assertEquals(1, t.rc(), bad);
            assertEquals("modprobe: ERROR: invalid hook time limit '" + bad + "' (seconds, more than 0).\n", t.err(), bad);
        }
    }
}
