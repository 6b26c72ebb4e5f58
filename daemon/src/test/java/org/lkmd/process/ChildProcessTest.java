package org.lkmd.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChildProcessTest {

    private static ChildProcess sh(String script) {
        return ChildProcess.of(List.of("/bin/sh", "-c", script));
    }

    @Test
    void grandchildIgnoringSigtermIsKilledWithItsParentOnTimeout(@TempDir Path tmp) throws Exception {
        Path pidFile = tmp.resolve("pid");
        // the grandchild ignores SIGTERM (inherited across exec) and outlives its shell unless killed too
        ChildProcess.Result r = sh("sh -c 'trap \"\" TERM; exec sleep 1000' & echo $! > " + pidFile + "; wait")
                .withTimeout(Duration.ofSeconds(2)).run();

        assertEquals(ChildProcess.Ended.KILLED, r.ended());
        assertEquals(0, r.survivors());
        assertEquals("killed", r.killed());
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        Optional<ProcessHandle> grandchild = ProcessHandle.of(pid);
        assertTrue(grandchild.isEmpty() || !ChildProcess.running(grandchild.get()),
                "grandchild " + pid + " still runs after the kill was reported");
    }

    @Test
    void childOfAKilledGrandchildIsKilledToo(@TempDir Path tmp) throws Exception {
        Path pids = tmp.resolve("pids");
        ChildProcess.Result r = sh("sh -c 'sleep 1000 & echo $! >> " + pids + "; wait' & echo $! >> " + pids + "; wait")
                .withTimeout(Duration.ofSeconds(2)).run();

        assertEquals(ChildProcess.Ended.KILLED, r.ended());
        for (String line : Files.readAllLines(pids)) {
            Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(line.strip()));
            assertTrue(h.isEmpty() || !ChildProcess.running(h.get()), "process " + line + " still runs");
        }
    }

    @Test
    void exitStatusIsReported() {
        ChildProcess.Result r = sh("exit 3").run();
        assertEquals(ChildProcess.Ended.EXITED, r.ended());
        assertEquals(3, r.exitStatus());
        assertFalse(r.succeeded());
        assertTrue(sh("true").run().succeeded());
    }

    @Test
    void deathBySignalIsExitStatus128PlusSignal() {
        ChildProcess.Result r = sh("kill -9 $$").run();
        assertEquals(ChildProcess.Ended.EXITED, r.ended());
        assertEquals(128 + 9, r.exitStatus());
    }

    @Test
    void capturedOutputIsCutAtTheBoundWithoutBlockingTheChild() {
        // 1 MB through a 64 KiB pipe: the child only exits if the rest is read and dropped
        ChildProcess.Result r = sh("head -c 1000000 /dev/zero | tr '\\0' a; exit 0")
                .withStdout(ChildProcess.Output.capture(1000)).run();
        assertTrue(r.succeeded());
        byte[] expected = new byte[1000];
        java.util.Arrays.fill(expected, (byte) 'a');
        assertArrayEquals(expected, r.output());
    }

    @Test
    void environmentIsExactlyWhatIsGivenOrTheDaemonsPlusExtra() {
        ChildProcess.Result exact = ChildProcess.of(List.of("/usr/bin/env")).withEnvironment(Map.of("A", "b"))
                .withStdout(ChildProcess.Output.capture(4096)).run();
        assertEquals("A=b\n", new String(exact.output(), StandardCharsets.ISO_8859_1));

        ChildProcess.Result added = sh("echo \"$MODPROBE_MODULE:${PATH:+path}\"")
                .withAddedEnvironment(Map.of("MODPROBE_MODULE", "dummy"))
                .withStdout(ChildProcess.Output.capture(4096)).run();
        assertEquals(System.getenv("PATH") == null ? "dummy:\n" : "dummy:path\n",
                new String(added.output(), StandardCharsets.ISO_8859_1));
    }

    @Test
    void copiedOutputHasLandedWhenRunReturns() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ChildProcess.Result r = sh("echo to-out; echo to-err >&2")
                .withStdout(ChildProcess.Output.copyTo(new PrintStream(out, true)))
                .withStderr(ChildProcess.Output.copyTo(new PrintStream(err, true))).run();
        assertTrue(r.succeeded());
        assertEquals("to-out\n", out.toString(StandardCharsets.ISO_8859_1));
        assertEquals("to-err\n", err.toString(StandardCharsets.ISO_8859_1));
    }

    @Test
    void stdinIsEmpty() {
        ChildProcess.Result r = sh("cat; echo end").withStdout(ChildProcess.Output.capture(100)).run();
        assertEquals("end\n", new String(r.output(), StandardCharsets.ISO_8859_1));
    }

    @Test
    void missingProgramIsNotStarted(@TempDir Path tmp) {
        ChildProcess.Result r = ChildProcess.of(List.of(tmp.resolve("none").toString())).run();
        assertEquals(ChildProcess.Ended.NOT_STARTED, r.ended());
        assertNotNull(r.error());
    }

    @Test
    void bareNameIsLookedUpInTheHelperDirectoriesInOrderAndNowhereElse(@TempDir Path tmp) throws Exception {
        Path first = Files.createDirectories(tmp.resolve("first"));
        Path second = Files.createDirectories(tmp.resolve("second"));
        Path tool = Files.createFile(second.resolve("tool"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.createFile(first.resolve("tool")); // not executable: passed over

        assertEquals(Optional.of(tool), HelperDirs.resolve("tool", List.of(first, second)));
        assertEquals(Optional.empty(), HelperDirs.resolve("sh", List.of(first, second)), "no $PATH lookup");
        assertEquals(Optional.of(Path.of("/bin/sh")), HelperDirs.resolve("/bin/sh", List.of(first)));
        assertEquals(Optional.empty(), HelperDirs.resolve("", List.of(first)));
    }
}
