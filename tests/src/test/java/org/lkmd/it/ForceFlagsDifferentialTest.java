package org.lkmd.it;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code modprobe -f}, {@code --force-vermagic}, {@code --force-modversion}, {@code -r -f},
 * {@code -r} of several names and {@code insmod -f}: the
 * module system calls kmod 30 and lkmd make, as {@code strace} shows them, and what both print and
 * return when the kernel refuses. Both run as real processes (lkmd from {@code daemon/target/lkmd.jar},
 * so through its JNA kernel) on a kernel without module support, where every call fails with
 * ENOSYS: nothing is loaded or removed. Each run gets a private mount namespace with an empty tmpfs
 * over {@code /sys/module} (plus a fake live {@code dummy} for removal), so the answer to "is it
 * loaded" is the same for both. Needs root, strace and {@code unshare}; skipped on a kernel that
 * has module support ({@code /proc/modules} present), where the calls would really load modules.
 */
class ForceFlagsDifferentialTest {
    private static final Path JAR = Path.of(System.getProperty("lkmd.repo", ".."), "daemon/target/lkmd.jar");
    private static final String MODULE_CALLS = "finit_module,init_module,delete_module";

    @TempDir
    static Path tmp;
    private static Path xzRoot;

    @BeforeAll
    static void needs() throws IOException, InterruptedException {
        assumeTrue(!Files.exists(Path.of("/proc/modules")), "this kernel has module support: the calls would load modules");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/strace")), "strace is not installed: tests/install-deps");
        assumeTrue(Files.exists(JAR), "daemon/target/lkmd.jar not built");
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for a mount namespace");
        // a tree whose one module is xz-compressed: kmod 30 decompresses it itself and uses init_module
        String rel = RealTree.release();
        Path dir = tmp.resolve("xz/lib/modules/" + rel);
        Files.createDirectories(dir.resolve("kernel/drivers/net"));
        Process p = new ProcessBuilder("xz", "-1", "-c", RealTree.modulesDir().resolve("kernel/drivers/net/dummy.ko").toString())
                .redirectOutput(dir.resolve("kernel/drivers/net/dummy.ko.xz").toFile()).start();
        assertEquals(0, p.waitFor());
        // without modules.builtin kmod's depmod writes empty modules.builtin*.bin, which lkmd reports as corrupt
        for (String f : List.of("modules.order", "modules.builtin", "modules.builtin.modinfo")) {
            Files.copy(RealTree.modulesDir().resolve(f), dir.resolve(f));
        }
        Tool d = Tool.exec(List.of(RealTree.kmodTool("depmod"), "-b", tmp.resolve("xz").toString(), rel));
        assertEquals(0, d.rc(), d.err());
        xzRoot = tmp.resolve("xz");
    }

    /** What one traced run did: the module calls (normalised), stdout, stderr and exit status. */
    private record Run(String calls, String out, String err, int rc) {
    }

    /**
     * Runs {@code cmd} under strace in a fresh mount namespace whose {@code /sys/module} is empty,
     * or holds a live {@code dummy} with that refcount when {@code dummyRefcnt} is not null.
     */
    private static Run traced(List<String> cmd, Integer dummyRefcnt) throws IOException {
        Path trace = Files.createTempFile(tmp, "strace", ".txt");
        String script = "set -e; mount -t tmpfs lkmd-test /sys/module; "
                + (dummyRefcnt == null ? "" : "mkdir -p /sys/module/dummy/holders; echo live > /sys/module/dummy/initstate; "
                + "echo " + dummyRefcnt + " > /sys/module/dummy/refcnt; ")
                + "exec strace -f -qq -e signal=none -e trace=" + MODULE_CALLS + " -o " + trace + " \"$@\"";
        List<String> full = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"));
        full.addAll(cmd);
        Tool t = Tool.exec(full);
        String calls = Files.readAllLines(trace).stream()
                .map(l -> l.replaceFirst("^\\d+ +", ""))
                .filter(l -> !l.startsWith("+++") && !l.startsWith("---"))
                // descriptor numbers and buffer addresses differ between any two processes
                .map(l -> l.replaceFirst("^finit_module\\(\\d+,", "finit_module(FD,")
                        .replaceFirst("^init_module\\(0x[0-9a-f]+,", "init_module(ADDR,"))
                .collect(Collectors.joining("\n"));
        return new Run(calls, t.out(), t.err(), t.rc());
    }

    /** libkmod's own errors carry its source location in Debian's build; lkmd's do not (see lkmd(8)). */
    private static String messages(String err) {
        return err.replaceAll("(?m)^modprobe: (\\w+): \\.\\./libkmod/\\S+ \\w+\\(\\) ", "modprobe: $1: ");
    }

    private static Run same(List<String> args, Integer dummyRefcnt) throws IOException {
        return same("modprobe", args, dummyRefcnt);
    }

    private static Run same(String tool, List<String> args, Integer dummyRefcnt) throws IOException {
        List<String> k = new ArrayList<>(List.of(RealTree.kmodTool(tool)));
        k.addAll(args);
        List<String> l = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString(), tool));
        l.addAll(args);
        Run kr = traced(k, dummyRefcnt);
        Run lr = traced(l, dummyRefcnt);
        String what = tool + " " + String.join(" ", args);
        assertEquals(kr.calls(), lr.calls(), what + " (system calls)");
        assertEquals(kr.out(), lr.out(), what + " (stdout)");
        assertEquals(messages(kr.err()), messages(lr.err()), what + " (stderr)");
        assertEquals(kr.rc(), lr.rc(), what + " (exit code)");
        return kr;
    }

    private static final List<List<String>> INSERT_FLAGS = List.of(List.of(), List.of("-f"), List.of("--force"),
            List.of("--force-vermagic"), List.of("--force-modversion"), List.of("--force-modversion", "--force-vermagic"));

    @Test
    void forcedInsertPassesKmodsFlagsToFinitModule() throws IOException {
        for (List<String> flags : INSERT_FLAGS) {
            List<String> args = new ArrayList<>(List.of("-S", RealTree.release()));
            args.addAll(flags);
            args.add("dummy");
            Run k = same(args, null);
            assertTrue(k.calls().startsWith("finit_module(FD, "), k.calls());
            assertTrue(k.calls().contains("ENOSYS"), k.calls());
        }
        Run k = same(List.of("-S", RealTree.release(), "-f", "dummy"), null);
        assertTrue(k.calls().contains("MODULE_INIT_IGNORE_MODVERSIONS|MODULE_INIT_IGNORE_VERMAGIC"), k.calls());
        // insmod -f goes through the same libkmod call
        String ko = RealTree.modulesDir().resolve("kernel/drivers/net/dummy.ko").toString();
        same("insmod", List.of(ko, "numdummies=2"), null);
        k = same("insmod", List.of("-f", ko, "numdummies=2"), null);
        assertTrue(k.calls().contains("MODULE_INIT_IGNORE_MODVERSIONS|MODULE_INIT_IGNORE_VERMAGIC"), k.calls());
    }

    @Test
    void forcedInsertOfCompressedModuleGoesThroughInitModule() throws IOException {
        for (List<String> flags : INSERT_FLAGS) {
            List<String> args = new ArrayList<>(List.of("-d", xzRoot.toString(), "-S", RealTree.release()));
            args.addAll(flags);
            args.add("dummy");
            Run k = same(args, null);
            assertTrue(k.calls().startsWith("init_module(ADDR, "), k.calls());
        }
    }

    /**
     * The bytes each tool hands to init_module, caught by gdb at the system call (strace shows only
     * the address and length): in a private namespace with an empty /sys/module, like {@link #traced}.
     */
    private static byte[] initModuleImage(List<String> cmd, String name) throws IOException {
        Path img = tmp.resolve(name + ".img");
        Files.deleteIfExists(img);
        String script = "set -e; mount -t tmpfs lkmd-test /sys/module; exec gdb -q -batch"
                // the JVM's own SIGSEGVs (implicit null checks) are none of gdb's business
                + " -ex 'handle SIGSEGV nostop noprint pass' -ex 'catch syscall init_module' -ex run"
                + " -ex 'dump binary memory " + img + " $rdi $rdi+$rsi' -ex kill --args \"$@\"";
        List<String> full = new ArrayList<>(List.of("unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh"));
        full.addAll(cmd);
        Tool t = Tool.exec(full);
        assertTrue(Files.exists(img), "no init_module call caught: " + t.out() + t.err());
        return Files.readAllBytes(img);
    }

    @Test
    void forcedInitModuleImageIsKmods() throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gdb")), "gdb is not installed: tests/install-deps");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        byte[] plain = Files.readAllBytes(RealTree.modulesDir().resolve("kernel/drivers/net/dummy.ko"));
        for (List<String> flags : INSERT_FLAGS) {
            // uncompressed: init_module after finit_module's ENOSYS; xz: init_module straight away
            for (String dir : new String[] {null, xzRoot.toString()}) {
                List<String> args = new ArrayList<>(dir == null ? List.of() : List.of("-d", dir));
                args.addAll(List.of("-S", RealTree.release()));
                args.addAll(flags);
                args.add("dummy");
                List<String> k = new ArrayList<>(List.of(RealTree.kmodTool("modprobe")));
                k.addAll(args);
                List<String> l = new ArrayList<>(List.of(java, "-jar", JAR.toString(), "modprobe"));
                l.addAll(args);
                byte[] ki = initModuleImage(k, "kmod");
                byte[] li = initModuleImage(l, "lkmd");
                String what = "modprobe " + String.join(" ", args);
                assertTrue(Arrays.equals(ki, li), what + ": lkmd's init_module image differs from kmod's");
                assertEquals(flags.isEmpty(), Arrays.equals(plain, ki), what + ": kmod edits the image only when forced");
            }
        }
    }

    @Test
    void forcedRemovalPassesOTrunc() throws IOException {
        for (List<String> flags : List.of(List.of("-r"), List.of("-r", "-f"), List.of("-rf"), List.of("-r", "--force"),
                List.of("-r", "--force-modversion"), List.of("-r", "--force-vermagic"))) {
            List<String> args = new ArrayList<>(List.of("-S", RealTree.release()));
            args.addAll(flags);
            args.add("dummy");
            same(args, 0);
        }
        Run k = same(List.of("-S", RealTree.release(), "-r", "-f", "dummy"), 0);
        assertTrue(k.calls().startsWith("delete_module(\"dummy\", O_NONBLOCK|O_TRUNC)"), k.calls());
        // in use: kmod 30 refuses before the call, -f or not
        same(List.of("-S", RealTree.release(), "-r", "dummy"), 1);
        k = same(List.of("-S", RealTree.release(), "-r", "-f", "dummy"), 1);
        assertEquals("", k.calls());
    }

    @Test
    void removalTakesEveryNameGivenUntilAPrintedFatalMessage() throws IOException {
        String rel = RealTree.release();
        // kmod's rmmod_all: each name in turn, -a or not; crc16 is not loaded (done), dummy is (ENOSYS here)
        Run k = same(List.of("-S", rel, "-r", "crc16", "dummy"), 0);
        assertTrue(k.calls().startsWith("delete_module(\"dummy\""), k.calls());
        same(List.of("-S", rel, "-r", "dummy", "crc16"), 0);
        // a FATAL message ends the run where it is printed: dummy is not tried
        k = same(List.of("-S", rel, "-r", "--first-time", "crc16", "dummy"), 0);
        assertEquals("", k.calls());
        // under -q nothing is printed, so nothing ends the run: dummy is tried
        k = same(List.of("-S", rel, "-r", "-q", "--first-time", "crc16", "dummy"), 0);
        assertTrue(k.calls().startsWith("delete_module(\"dummy\""), k.calls());
    }
}
