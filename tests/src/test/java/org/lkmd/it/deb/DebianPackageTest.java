package org.lkmd.it.deb;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The built {@code .deb} read with Debian's own tools: dpkg-deb for its fields and file list,
 * lintian (Debian's policy checker) for everything else. Installing, removing and purging it on a
 * booted Debian system is {@code DebianBootTest}'s.
 */
class DebianPackageTest {
    private static final Path REPO = Path.of(System.getProperty("lkmd.repo", "..")).toAbsolutePath().normalize();
    private static Path deb;

    @BeforeAll
    static void findDeb() throws IOException {
        Path target = REPO.resolve("daemon/target");
        try (Stream<Path> s = Files.exists(target) ? Files.list(target) : Stream.empty()) {
            deb = s.filter(p -> p.getFileName().toString().matches("lkmd_.*_amd64\\.deb")).findFirst().orElse(null);
        }
        assumeTrue(deb != null, "no daemon/target/lkmd_*_amd64.deb (mvn package builds it)");
        assumeTrue(onPath("dpkg-deb"), "dpkg-deb not installed");
    }

    @Test
    void fieldsNameTheJavaRuntimeAndTheConffile() {
        assertEquals("lkmd", run("dpkg-deb", "-f", deb.toString(), "Package").strip());
        assertEquals("amd64", run("dpkg-deb", "-f", deb.toString(), "Architecture").strip());
        String depends = run("dpkg-deb", "-f", deb.toString(), "Depends");
        assertTrue(depends.contains("java17-runtime-headless"), depends);
        assertTrue(depends.contains("init-system-helpers"), depends);
        assertEquals("/etc/lkmd/lkmd.toml", controlFile("conffiles").strip());
        assertEquals("interest-noawait /usr/lib/jvm", controlFile("triggers").strip());
    }

    @Test
    void installsTheLayoutTheReadmeDescribesWithoutTouchingKmodsFiles() {
        Set<String> files = new TreeSet<>();
        for (String line : run("dpkg-deb", "-c", deb.toString()).split("\n")) {
            String[] f = line.split("\\s+", 6);
            if (f.length == 6 && !f[0].startsWith("d")) {
                files.add(f[5].replaceFirst("^\\.", "").replaceFirst(" -> .*", ""));
            }
        }
        List<String> expected = List.of("/usr/bin/lkmd", "/usr/lib/lkmd/lkmd", "/usr/lib/lkmd/lkmd.jar",
                "/usr/lib/lkmd/lkmd-cds", "/usr/lib/lkmd/bin/modprobe", "/usr/lib/lkmd/bin/insmod",
                "/usr/lib/lkmd/bin/rmmod", "/usr/lib/lkmd/bin/lsmod", "/usr/lib/lkmd/bin/modinfo",
                "/usr/lib/lkmd/bin/depmod", "/usr/lib/lkmd/bin/lkmd-modprobe", "/usr/lib/lkmd/bin/lkmd-lsmod",
                "/lib/systemd/system/lkmd.service", "/lib/systemd/system/lkmd-kernel.socket",
                "/lib/systemd/system/lkmd-static-nodes.service", "/etc/lkmd/lkmd.toml", "/usr/lib/lkmd/rules.d/80-lkmd-drivers.rules",
                "/usr/share/man/man8/lkmd.8.gz", "/usr/share/man/man5/lkmd.toml.5.gz",
                "/usr/share/man/man7/lkmd.rules.7.gz", "/usr/share/doc/lkmd/copyright",
                "/usr/lib/sysctl.d/50-lkmd-modprobe.conf", "/usr/lib/dracut/dracut.conf.d/50-lkmd.conf");
        List<String> missing = expected.stream().filter(f -> !files.contains(f)).collect(Collectors.toList());
        assertEquals(List.of(), missing, "all files: " + files);
        List<String> kmods = files.stream().filter(f -> f.matches("/(usr/)?s?bin/(modprobe|insmod|rmmod|lsmod|modinfo|depmod)"))
                .collect(Collectors.toList());
        assertEquals(List.of(), kmods, "must not replace kmod's tools");
    }

    /**
     * lkmd-static-nodes.service is enabled by postinst (and forgotten by postrm) with the other units,
     * wanted by sysinit.target, and runs only when systemd's kmod-static-nodes.service did not write
     * the file (after it, conditioned on the file's absence), with the same ordering before the
     * device nodes are made and the same file.
     */
    @Test
    void staticNodesUnitIsEnabledAndTakesOverOnlyWhenKmodsDidNotWriteTheFile() throws IOException {
        for (String script : List.of("postinst", "postrm")) {
            String text = Files.readString(REPO.resolve("daemon/src/deb/control").resolve(script));
            String units = text.lines().filter(l -> l.startsWith("UNITS=")).findFirst().orElse("");
            assertTrue(units.contains("lkmd-static-nodes.service"), script + ": " + units);
        }
        assertTrue(run("dpkg-deb", "-c", deb.toString()).contains("./lib/systemd/system/lkmd-static-nodes.service"));
        Path tmp = Files.createTempDirectory("lkmd-deb");
        try {
            run("dpkg-deb", "-x", deb.toString(), tmp.toString());
            List<String> ours = Files.readAllLines(tmp.resolve("lib/systemd/system/lkmd-static-nodes.service"));
            assertTrue(ours.contains("WantedBy=sysinit.target"), String.join("\n", ours));
            assertTrue(ours.contains("DefaultDependencies=no"), String.join("\n", ours));
            assertTrue(ours.contains("ExecStart=/usr/bin/lkmd static-nodes --format=tmpfiles "
                    + "--output=/run/tmpfiles.d/static-nodes.conf"), String.join("\n", ours));
            Path kmods = Path.of("/lib/systemd/system/kmod-static-nodes.service");
            if (Files.exists(kmods)) {
                List<String> theirs = Files.readAllLines(kmods);
                String exec = theirs.stream().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
                assertTrue(exec.endsWith("--format=tmpfiles --output=/run/tmpfiles.d/static-nodes.conf"), exec);
                assertTrue(ours.contains("After=kmod-static-nodes.service")
                        && ours.contains("ConditionPathExists=!/run/tmpfiles.d/static-nodes.conf"), "not exclusive with " + exec);
                for (String l : theirs) {
                    if (l.startsWith("Before=") || l.startsWith("ConditionFileNotEmpty=") || l.startsWith("ConditionCapability=")) {
                        assertTrue(ours.contains(l), "systemd's unit has " + l);
                    }
                }
            }
        } finally {
            run("rm", "-rf", tmp.toString());
        }
    }

    @Test
    void maintainerScriptsAreValidShell() {
        for (String script : List.of("postinst", "prerm", "postrm")) {
            Path p = REPO.resolve("daemon/src/deb/control").resolve(script);
            assertEquals("", run("sh", "-n", p.toString()), script);
        }
    }

    @Test
    void lintianFindsNothing() {
        assumeTrue(onPath("lintian"), "lintian not installed (tests/install-deps installs it)");
        // Overrides shipped in the package (usr/share/lintian/overrides/lkmd) say why each exception is one.
        String out = run("lintian", "--tag-display-limit", "0", "--fail-on", "none", deb.toString());
        List<String> findings = out.lines().filter(l -> l.matches("[EWI]: .*")).collect(Collectors.toList());
        assertEquals(List.of(), findings, out);
    }

    private static String controlFile(String name) {
        return run("dpkg-deb", "--info", deb.toString(), name);
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    private static String run(String... cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of(cmd))).redirectErrorStream(true);
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + List.of(cmd));
            }
            if (p.exitValue() != 0) {
                throw new AssertionError(List.of(cmd) + " exited " + p.exitValue() + ":\n" + out);
            }
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot run " + List.of(cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
