package org.lkmd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.lkmd.base.ParseResult;
import org.lkmd.base.Root;
import org.lkmd.base.Severity;
import org.lkmd.daemon.Snapshot;
import org.lkmd.daemon.SnapshotLoader;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ./run} on a fresh machine: no module tree at all (LKMD_MODULES_DIR pointed at an empty or
 * missing directory, as {@code /lib/modules} of a machine without a kernel package; the daemon's
 * own {@code /lib/modules/$(uname -r)} is missing too when this kernel has no modules). The script
 * must not die silently (it used to exit 2 under pipefail): it says in one line what is missing and
 * how to get it, and starts the daemon, which gets to Ready. And the other first surprise, a rule
 * set without rules: a warning in {@code lkmd verify} and in the snapshot the daemon reports.
 */
class FirstContactTest {
    private static final Path REPO = Path.of(System.getProperty("lkmd.repo", "..")).toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    @Test
    void runWithoutAnyModuleTreeSaysWhatIsMissingAndStartsTheDaemon() throws Exception {
        startsWithOneLine(tmp.resolve("no-such-dir"));
    }

    @Test
    void runWithAnEmptyModulesDirectorySaysWhatIsMissingAndStartsTheDaemon() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("modules"));
        Files.createDirectories(empty.resolve("6.1.0-1-amd64")); // a tree without its index counts as none
        startsWithOneLine(empty);
    }

    @Test
    void anEmptyRuleSetIsAWarningInVerifyAndInTheSnapshotThatStartAndStatusReport() throws Exception {
        String rel = RealTree.release();
        Path root = FakeRoots.hostLike(tmp.resolve("root"));
        Files.createDirectories(root.resolve("etc/lkmd/rules.d"));
        Files.createSymbolicLink(root.resolve("etc/lkmd/rules.d/80-lkmd-drivers.rules"), Path.of("/dev/null"));
        String warning = "/etc/lkmd/rules.d, /run/lkmd/rules.d, /usr/lib/lkmd/rules.d: no rules: lkmd loads no module for any device";
        Tool v = Tool.lkmd("verify", "--root", root.toString(), "--kernel-release", rel);
        assertEquals(0, v.rc(), "a warning only: " + v.err() + v.out());
        assertTrue(v.err().lines().anyMatch(l -> l.startsWith(warning) && l.endsWith("(warning)")), v.err());
        assertTrue(v.out().contains("0 errors, 1 warnings"), v.out());
        // the daemon logs its snapshot's diagnostics at start (warn) and `lkmd status` lists them
        ParseResult<Snapshot> snap = new SnapshotLoader(Root.of(root), rel, Clock.systemUTC()).load(1, false);
        assertTrue(snap.value().isPresent(), "an empty rule set still loads: " + snap.diagnostics());
        assertTrue(snap.value().get().diagnostics().stream()
                .anyMatch(d -> d.severity() == Severity.WARNING && d.toString().startsWith(warning)), snap.diagnostics().toString());
        // with the shipped rules: no such warning
        Files.delete(root.resolve("etc/lkmd/rules.d/80-lkmd-drivers.rules"));
        Files.copy(REPO.resolve("rules/80-lkmd-drivers.rules"), root.resolve("etc/lkmd/rules.d/80-lkmd-drivers.rules"));
        Tool ok = Tool.lkmd("verify", "--root", root.toString(), "--kernel-release", rel);
        assertTrue(!ok.err().contains("no rules"), ok.err());
    }

    private void startsWithOneLine(Path modules) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "./run starts the daemon only as root");
        assumeTrue(Files.exists(REPO.resolve("daemon/target/lkmd.jar")), "daemon/target/lkmd.jar not built");
        String release = new String(new ProcessBuilder("uname", "-r").start().getInputStream().readAllBytes(),
                StandardCharsets.UTF_8).strip();
        assumeTrue(!Files.exists(Path.of("/lib/modules", release, "modules.dep")),
                "this kernel has a module tree: the daemon would find one anyway");
        ProcessBuilder pb = new ProcessBuilder(REPO.resolve("run").toString()).redirectErrorStream(true);
        pb.environment().put("LKMD_MODULES_DIR", modules.toString());
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline && (l = r.readLine()) != null) {
                lines.add(l);
                if (l.contains("Ready:")) {
                    break;
                }
            }
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        List<String> missing = lines.stream().filter(l -> l.startsWith("run: no module tree")).toList();
        assertEquals(1, missing.size(), "one line on what is missing: " + lines);
        String line = missing.get(0);
        assertTrue(line.contains(modules.toString()) && line.contains(release), "names where it looked: " + line);
        assertTrue(line.contains("apt-get install linux-image-amd64") && line.contains("depmod"), "says how to get one: " + line);
        assertTrue(lines.stream().anyMatch(l -> l.contains("Ready:")), "the daemon did not start: " + lines);
    }
}
