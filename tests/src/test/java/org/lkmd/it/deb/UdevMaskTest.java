package org.lkmd.it.deb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code systemd/lkmd-udev-mask} (the package's {@code /usr/lib/lkmd/lkmd-udev-mask}, run by
 * lkmd-udev-mask.service) over a directory standing for {@code /} (LKMD_ROOT), with a stand-in
 * udevadm that records its arguments: the runtime mask of udev's 80-drivers.rules is made under
 * /run only, removed only if it is the one start made, never over an administrator's file, and
 * udevd is told to reload only when it runs. The same script on a booted Debian system is
 * {@code DebianBootTest}'s.
 */
class UdevMaskTest {
    private static final Path REPO = Path.of(System.getProperty("lkmd.repo", "..")).toAbsolutePath().normalize();
    private static final Path SCRIPT = REPO.resolve("systemd/lkmd-udev-mask");

    @TempDir
    Path tmp;
    Path root;
    Path mask;
    Path etc;
    Path record;
    Path udevadmLog;

    record Result(int rc, String out, String err) {
    }

    @BeforeEach
    void root() throws IOException {
        root = tmp.resolve("root");
        Files.createDirectories(root.resolve("run"));
        Files.createDirectories(root.resolve("etc/udev/rules.d"));
        mask = root.resolve("run/udev/rules.d/80-drivers.rules");
        etc = root.resolve("etc/udev/rules.d/80-drivers.rules");
        record = root.resolve("run/lkmd/udev-mask");
        udevadmLog = tmp.resolve("udevadm.log");
    }

    private Result run(String verb) throws Exception {
        Path udevadm = tmp.resolve("udevadm");
        Files.writeString(udevadm, "#!/bin/sh\necho \"$*\" >>'" + udevadmLog + "'\n");
        udevadm.toFile().setExecutable(true);
        ProcessBuilder pb = new ProcessBuilder("sh", SCRIPT.toString(), verb);
        pb.environment().put("LKMD_ROOT", root.toString());
        pb.environment().put("LKMD_UDEVADM", udevadm.toString());
        Path out = tmp.resolve("out");
        Path err = tmp.resolve("err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "lkmd-udev-mask " + verb + " hung");
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private List<String> reloads() throws IOException {
        return Files.exists(udevadmLog) ? Files.readAllLines(udevadmLog) : List.of();
    }

    private void udevdRuns() throws IOException {
        Files.createDirectories(root.resolve("run/udev"));
        Files.writeString(root.resolve("run/udev/control"), "");
    }

    @Test
    void startMasksUnderRunOnlyAndStopUnmasks() throws Exception {
        Result start = run("start");
        assertEquals(new Result(0, "", ""), start);
        assertTrue(Files.isSymbolicLink(mask), "no mask made");
        assertEquals("/dev/null", Files.readSymbolicLink(mask).toString());
        assertTrue(Files.exists(record), "the mask is not recorded as lkmd's");
        assertFalse(Files.exists(etc, LinkOption.NOFOLLOW_LINKS), "nothing under /etc");
        assertEquals(List.of(), reloads(), "udevd does not run (no control socket): nothing to tell it");

        assertEquals(new Result(0, "", ""), run("start"), "a second start (lkmd restarted) changes nothing");
        assertTrue(Files.isSymbolicLink(mask));

        udevdRuns();
        assertEquals(new Result(0, "", ""), run("stop"));
        assertFalse(Files.exists(mask, LinkOption.NOFOLLOW_LINKS), "mask left after stop");
        assertFalse(Files.exists(record), "record left after stop");
        assertEquals(List.of("control --reload"), reloads(), "a running udevd must reload its rules at stop");
        assertEquals(new Result(0, "", ""), run("stop"), "a second stop does nothing");
        assertEquals(1, reloads().size());
    }

    @Test
    void aRunningUdevdReloadsWhenTheMaskIsMade() throws Exception {
        udevdRuns();
        assertEquals(0, run("start").rc());
        assertEquals(List.of("control --reload"), reloads());
    }

    @Test
    void anAdministratorsFileInEtcIsLeftAloneWithOneLine() throws Exception {
        Files.writeString(etc, "# the administrator's own driver rules\n");
        Result start = run("start");
        assertEquals(0, start.rc());
        assertEquals(1, start.out().lines().count(), start.toString());
        assertTrue(start.out().contains(etc + " is the administrator's: left alone"), start.toString());
        assertFalse(Files.exists(mask, LinkOption.NOFOLLOW_LINKS), "a mask under /run was made anyway");
        assertEquals(new Result(0, "", ""), run("stop"));
        assertEquals("# the administrator's own driver rules\n", Files.readString(etc));
        assertEquals(List.of(), reloads());
    }

    @Test
    void anAdministratorsMaskInRunIsLeftAloneWithOneLineAndNotRemovedAtStop() throws Exception {
        Files.createDirectories(mask.getParent());
        Files.createSymbolicLink(mask, Path.of("/dev/null"));
        Result start = run("start");
        assertEquals(0, start.rc());
        assertEquals(1, start.out().lines().count(), start.toString());
        assertTrue(start.out().contains(mask + " is the administrator's: left alone"), start.toString());
        assertEquals(new Result(0, "", ""), run("stop"));
        assertTrue(Files.isSymbolicLink(mask), "the administrator's link went at stop");
    }

    @Test
    void anAdministratorsFileInRunIsLeftAlone() throws Exception {
        Files.createDirectories(mask.getParent());
        Files.writeString(mask, "ACTION==\"add\", ENV{MODALIAS}==\"?*\", RUN{builtin}+=\"kmod load\"\n");
        assertTrue(run("start").out().contains("left alone"));
        run("stop");
        assertTrue(Files.readString(mask).contains("kmod load"));
    }

    @Test
    void aMissingRunIsAClearErrorAndNothingIsMade() throws Exception {
        Files.delete(root.resolve("run"));
        Result start = run("start");
        assertEquals(1, start.rc(), start.toString());
        assertEquals(1, start.err().lines().count(), start.toString());
        assertTrue(start.err().contains(root.resolve("run") + " is missing"), start.toString());
        assertTrue(start.err().contains("udev loads modules too"), start.toString());
        assertFalse(Files.exists(root.resolve("run")), "created /run itself");
        assertEquals(new Result(0, "", ""), run("stop"), "nothing to undo");
    }

    @Test
    void anUnwritableRunIsAClearErrorAndNoRecordIsLeft() throws Exception {
        // a file where /run/udev should be: mkdir fails as on a read-only /run
        Files.writeString(root.resolve("run/udev"), "");
        Result start = run("start");
        assertEquals(1, start.rc(), start.toString());
        assertEquals(1, start.err().lines().count(), start.toString());
        assertTrue(start.err().startsWith("lkmd-udev-mask: cannot write under " + root.resolve("run")), start.toString());
        assertFalse(Files.exists(record), "record left behind");
    }

    @Test
    void aBadVerbIsAUsageError() throws Exception {
        Result r = run("mask");
        assertEquals(2, r.rc());
        assertTrue(r.err().contains("usage: lkmd-udev-mask start|stop"), r.toString());
    }
}
