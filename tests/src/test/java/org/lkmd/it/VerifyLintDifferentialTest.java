package org.lkmd.it;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code lkmd verify}'s modprobe.d lints against kmod 30 on the Debian tree: for each case, kmod's
 * {@code modprobe --show-depends} gives the same answer with and without the line verify calls dead
 * (so it is), and a different one without the line verify says cancels it (so that one is the
 * cause); verify names both lines, file:line, and still exits 0 (warnings).
 */
class VerifyLintDifferentialTest {
    @TempDir
    Path tmp;

    /** The config, the query, the dead line and the line that makes it dead (1-based). */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("install loop /bin/echo lkmd-lint\nsoftdep loop pre: cdrom\n", "loop", 1, 2),
                Arguments.of("softdep loop pre: cdrom\nsoftdep loop pre: zram\n", "loop", 2, 1),
                // a first line without pre: or post: (as modules.softdep has for cifs) still wins
                Arguments.of("softdep loop gcm\nsoftdep loop pre: cdrom\n", "loop", 2, 1),
                Arguments.of("softdep snd_* post: snd_seq\nsoftdep snd_hda_intel pre: snd_hda_codec_hdmi\n",
                        "snd_hda_intel", 2, 1),
                // (a glob over the stack's other modules would still run for them: one that matches loop only)
                Arguments.of("install loo[p] /bin/echo lkmd-lint\nsoftdep loop pre: cdrom\n", "loop", 1, 2),
                Arguments.of("blacklist lkmdfoo\nalias lkmdfoo loop\n", "lkmdfoo", 1, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theLineVerifyCallsDeadIsDeadForKmod(String conf, String query, int dead, int cause) throws IOException {
        String rel = RealTree.release();
        String modprobe = RealTree.kmodTool("modprobe");
        String all = kmod(modprobe, rel, "all.conf", conf, query);
        assertEquals(all, kmod(modprobe, rel, "without-dead.conf", without(conf, dead), query),
                "kmod's answer changed without line " + dead + ": it is not dead");
        assertNotEquals(all, kmod(modprobe, rel, "without-cause.conf", without(conf, cause), query),
                "kmod's answer is the same without line " + cause + ": it is not what cancels line " + dead);

        Path root = Files.createDirectories(tmp.resolve("root"));
        Path file = root.resolve("etc/modprobe.d/lint.conf");
        Files.createDirectories(file.getParent());
        Files.writeString(file, conf);
        Tool v = Tool.lkmd("verify", "--root", root.toString(), "--kernel-release", rel);
        assertEquals(0, v.rc(), v.err());
        List<String> warnings = v.err().lines().filter(l -> l.startsWith(file + ":")).toList();
        assertEquals(1, warnings.size(), v.err());
        assertTrue(warnings.get(0).startsWith(file + ":" + dead + ": ") && warnings.get(0).contains(" at " + file + ":"
                + cause + " ") && warnings.get(0).endsWith(" (warning)"), warnings.get(0));
        System.out.println("verify lint: " + warnings.get(0));
    }

    private String kmod(String modprobe, String rel, String name, String conf, String query) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, conf);
        Tool t = Tool.exec(List.of(modprobe, "-S", rel, "-C", f.toString(), "--show-depends", query));
        return "rc " + t.rc() + "\n" + t.out() + t.err();
    }

    private static String without(String conf, int line) {
        List<String> lines = new ArrayList<>(conf.lines().toList());
        lines.remove(line - 1);
        return String.join("\n", lines) + "\n";
    }
}
