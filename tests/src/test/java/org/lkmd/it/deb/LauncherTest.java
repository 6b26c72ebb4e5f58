package org.lkmd.it.deb;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The built launcher {@code daemon/target/lkmd} as the unit runs it: the start failures the unit
 * must turn into a failed state (exit 2 for an unusable {@code --config} file, 5 without a Java
 * runtime), each with one clear line, and the journal's priority prefixes when stderr is the
 * stream {@code $JOURNAL_STREAM} names (here a file standing in for journald's stream) and the
 * journal's native socket does not take the records (here there is none; the Debian boot test
 * covers the native records and their fields); the
 * class-data archive {@code lkmd-cds} makes, used by the runtime it was made for and passed over,
 * with one line, by another runtime or after the jar changed.
 */
class LauncherTest {
    private static final Path REPO = Path.of(System.getProperty("lkmd.repo", "..")).toAbsolutePath().normalize();
    private static final Path LAUNCHER = REPO.resolve("daemon/target/lkmd");

    @TempDir
    static Path tmp;
    static Path root;

    @BeforeAll
    static void emptyRoot() throws IOException {
        assumeTrue(Files.isExecutable(LAUNCHER), LAUNCHER + " not built");
        root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("lib/modules/6.1.0-test"));
        Files.createDirectories(root.resolve("etc/lkmd"));
    }

    @Test
    void missingExplicitConfigFailsTheStartNamingTheFile() throws Exception {
        Run r = run(Map.of(), "daemon", "--simulate", "--root", root.toString(), "--kernel-release", "6.1.0-test",
                "--coldplug", "off", "--config", "/etc/lkmd/lkmd.toml");
        assertEquals(2, r.rc, r.err);
        assertTrue(r.err.contains("ERROR Daemon: " + root.resolve("etc/lkmd/lkmd.toml") + ": cannot read: no such file"),
                r.err);
    }

    @Test
    void directoryAndDanglingLinkAsConfigFailTheStart() throws Exception {
        Path dir = Files.createDirectories(root.resolve("etc/lkmd/dir.toml"));
        Path dangling = Files.createSymbolicLink(root.resolve("etc/lkmd/gone.toml"), root.resolve("etc/lkmd/nowhere"));
        for (Path p : List.of(dir, dangling)) {
            Run r = run(Map.of(), "daemon", "--simulate", "--root", root.toString(), "--kernel-release", "6.1.0-test",
                    "--coldplug", "off", "--config", "/etc/lkmd/" + p.getFileName());
            assertEquals(2, r.rc, r.err);
            assertTrue(r.err.contains(p + ": cannot read: "
                    + (p.equals(dir) ? "is a directory" : "dangling symbolic link")), r.err);
        }
    }

    @Test
    void noJavaRuntimeIsExitFiveWithOneLine() throws Exception {
        // PATH without java, no JAVA_HOME, no LKMD_JAVA: as on a system where the runtime was removed.
        Path bin = Files.createDirectories(tmp.resolve("bin-without-java"));
        for (String tool : List.of("sh", "dirname", "readlink")) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of("/bin", tool).toRealPath());
        }
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", LAUNCHER.toString(), "status");
        pb.environment().clear();
        pb.environment().put("PATH", bin.toString());
        Run r = run(pb);
        assertEquals(5, r.rc, r.err);
        assertEquals("lkmd: no Java runtime found (lkmd needs Java 17 or newer: install openjdk-17-jre-headless, "
                + "or set LKMD_JAVA)\n", r.err);
    }

    @Test
    void underTheJournalWithoutItsSocketLinesCarryThePriorityInsteadOfTheLevelWord() throws Exception {
        assumeFalse(Files.exists(Path.of("/run/systemd/journal/socket")), "journald runs here: records go to it");
        Path err = tmp.resolve("journal-stream");
        Files.writeString(err, "");
        Map<String, Object> a = Files.readAttributes(err, "unix:dev,ino");
        String stream = Long.toUnsignedString((Long) a.get("dev")) + ":" + Long.toUnsignedString((Long) a.get("ino"));
        List<String> args = List.of("daemon", "--simulate", "--root", root.toString(), "--kernel-release", "6.1.0-test",
                "--coldplug", "off", "--config", "/etc/lkmd/absent.toml");

        Run journal = run(Map.of("JOURNAL_STREAM", stream), err, args);
        assertEquals(2, journal.rc, journal.err);
        assertTrue(journal.err.contains("<3>Daemon: " + root.resolve("etc/lkmd/absent.toml") + ": cannot read"), journal.err);
        assertTrue(journal.err.lines().allMatch(l -> l.matches("<[3467]>\\S.*")), "every line prefixed:\n" + journal.err);

        // The variable inherited by a process whose stderr is elsewhere: plain lines.
        Run elsewhere = run(Map.of("JOURNAL_STREAM", "1:1"), "daemon", "--simulate", "--root", root.toString(),
                "--kernel-release", "6.1.0-test", "--coldplug", "off", "--config", "/etc/lkmd/absent.toml");
        assertFalse(elsewhere.err.contains("<3>"), elsewhere.err);
        assertTrue(elsewhere.err.contains("ERROR Daemon: "), elsewhere.err);
    }

    @Test
    void theArchiveServesItsRuntimeAndAnyOtherStartsWithoutItSayingSoOnce() throws Exception {
        Path build = Files.createDirectories(tmp.resolve("build"));
        for (String f : List.of("lkmd", "lkmd.jar", "lkmd-cds")) {
            Files.copy(LAUNCHER.resolveSibling(f), build.resolve(f), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path launcher = build.resolve("lkmd");
        Run made = runIn(Map.of(), build.resolve("lkmd-cds"));
        assertEquals(0, made.rc, made.err);
        String java17 = Files.readString(build.resolve("lkmd.jsa.java")).strip();
        assertTrue(Files.isExecutable(Path.of(java17)), java17);
        // -Xshare:on makes the JVM fail unless it maps the archive: it is used, and nothing is said
        Run used = runIn(Map.of("LKMD_JAVA_OPTS", "-Xshare:on"), launcher, "--version");
        assertEquals(0, used.rc, used.err);
        assertEquals("", used.err);

        Path java25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
        String passedOver = "lkmd: ignoring the class-data archive " + build.resolve("lkmd.jsa")
                + ": made for another Java runtime or lkmd build (run lkmd-cds to make a new one)\n";
        if (Files.isExecutable(java25)) {
            Run other = runIn(Map.of("LKMD_JAVA", java25.toString()), launcher, "--version");
            assertEquals(0, other.rc, other.err);
            assertEquals(passedOver, other.err);
            // made again for Java 25: an AOT cache, which -XX:AOTMode=on requires to be usable
            Run aot = runIn(Map.of("LKMD_JAVA", java25.toString()), build.resolve("lkmd-cds"));
            assertEquals(0, aot.rc, aot.err);
            Run usedAot = runIn(Map.of("LKMD_JAVA", java25.toString(), "LKMD_JAVA_OPTS", "-XX:AOTMode=on"),
                    launcher, "--version");
            assertEquals(0, usedAot.rc, usedAot.err);
            assertEquals("", usedAot.err);
            Run back = runIn(Map.of(), launcher, "--version");
            assertEquals(passedOver, back.err);
            assertEquals(0, runIn(Map.of(), build.resolve("lkmd-cds")).rc);
        }
        // a jar newer than the archive (lkmd rebuilt or upgraded, the archive not yet made again)
        Files.setLastModifiedTime(build.resolve("lkmd.jar"), java.nio.file.attribute.FileTime.from(
                Files.getLastModifiedTime(build.resolve("lkmd.jsa")).toInstant().plusSeconds(60)));
        Run stale = runIn(Map.of(), launcher, "--version");
        assertEquals(0, stale.rc, stale.err);
        assertEquals(passedOver, stale.err);
    }

    private static Run runIn(Map<String, String> env, Path program, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(program.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("LKMD_JAVA");
        pb.environment().remove("LKMD_JAVA_OPTS");
        pb.environment().remove("LKMD_CDS_ARCHIVE");
        pb.environment().putAll(env);
        return run(pb);
    }

    private record Run(int rc, String err) {
    }

    private static Run run(Map<String, String> env, String... args) throws Exception {
        return run(env, tmp.resolve("stderr-" + System.nanoTime()), List.of(args));
    }

    private static Run run(Map<String, String> env, Path errFile, List<String> args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("JOURNAL_STREAM");
        pb.environment().remove("LKMD_LOG_LEVEL");
        pb.environment().putAll(env);
        pb.redirectError(errFile.toFile());
        return run(pb, errFile);
    }

    private static Run run(ProcessBuilder pb) throws Exception {
        Path errFile = tmp.resolve("stderr-" + System.nanoTime());
        pb.redirectError(errFile.toFile());
        return run(pb, errFile);
    }

    private static Run run(ProcessBuilder pb, Path errFile) throws Exception {
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("launcher did not exit: " + pb.command());
        }
        return new Run(p.exitValue(), Files.readString(errFile, StandardCharsets.UTF_8));
    }
}
