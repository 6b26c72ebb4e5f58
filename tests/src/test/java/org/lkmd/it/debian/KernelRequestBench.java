package org.lkmd.it.debian;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Benchmark, not a test (no {@code Test} in its name: the suite does not run it; {@code
 * tests/bench/kernel-request.sh} does): how long the kernel's own module requests take from the
 * request to the module live, in the Debian guest of {@link DebianBootTest} (lkmd's package
 * installed, {@code lkmd.service} running), with {@code kernel.modprobe} pointed at lkmd's helper
 * (the C client, answered by the daemon) and at kmod's {@code /sbin/modprobe}, alternately. The
 * image's test-only watchers are stopped first: a real system does not run them.
 * <p>
 * Each sample is one system call that blocks in the kernel until its {@code request_module()}
 * returns, timed in the guest with bash's {@code EPOCHREALTIME} (no fork around it): opening
 * {@code /dev/net/tun} ({@code char-major-10-200}: tun), {@code mount -t vfat} ({@code fs-vfat}:
 * fat and vfat; the mount then fails, there is no device) and {@code ip link add ... type dummy}
 * ({@code rtnl-link-dummy}: dummy). The modules are unloaded before each sample; the two helpers take
 * turns, the first of each pair alternating; the first round is a warm-up and is not counted.
 * Prints one {@code KERNEL-REQUEST-FIGURES} line per request: the median and min/max in ms of each
 * helper and the ratio lkmd/kmod of the medians. Rounds: {@code -Dlkmd.bench.rounds} (default 15);
 * {@code -Dlkmd.bench.guest.setup=CMD} runs CMD in the guest once before the samples (a setting to
 * compare, e.g. {@code lkmd control --log-level warn}).
 * <p>
 * In the same boot, a person's {@code lkmd modprobe -q NAME} of a module already live and of a
 * builtin one, the whole command timed the same way: with the daemon answering (the launcher hands
 * it to the C client), against kmod's {@code /sbin/modprobe -q NAME}, alternately; and the Java tool
 * alone (no daemon socket named) in fewer rounds. One {@code PERSON-MODPROBE-FIGURES} line each.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KernelRequestBench {
    private static final Path REPO = Path.of(System.getProperty("lkmd.repo", "..")).toAbsolutePath().normalize();
    private static final int ROUNDS = Integer.getInteger("lkmd.bench.rounds", 15);
    /** A guest shell command run once after the boot, before any sample (e.g. a daemon setting to try). */
    private static final String SETUP = System.getProperty("lkmd.bench.guest.setup", "");
    private static final Map<String, String> HELPERS = new LinkedHashMap<>();
    /** Request, then the guest shell that makes the kernel ask, the modules it loads, and the undo. */
    private static final List<String[]> REQUESTS = List.of(
            new String[] {"char-major-10-200", ": <>/dev/net/tun", "tun", "rmmod tun"},
            new String[] {"fs-vfat", "mount -t vfat none /mnt 2>/dev/null", "fat vfat", "rmmod vfat fat"},
            new String[] {"rtnl-link-dummy", "ip link add lkmdb0 type dummy", "dummy", "ip link del lkmdb0; rmmod dummy"});

    static {
        HELPERS.put("lkmd", "/usr/lib/lkmd/bin/lkmd-modprobe");
        HELPERS.put("kmod", "/sbin/modprobe");
    }

    private static DebianGuest g;

    @BeforeAll
    static void boot() throws Exception {
        Path image = DebianGuest.image(REPO);
        g = DebianGuest.boot(REPO, image, "bench", 400, "rw");
        assertEquals("active", g.waitActive(), "lkmd.service");
        g.ok("udevadm settle --timeout=300; systemctl is-system-running --wait >/dev/null; true");
        // the image's test-only watchers (DebianBootTest's): not on a real system; the module
        // watcher polls /proc/modules 20 times a second, a quarter to half of a guest CPU
        g.ok("systemctl stop lkmd-test-modwatch.service lkmd-test-udevmon.service");
        if (!SETUP.isBlank()) {
            g.ok(SETUP);
        }
    }

    @AfterAll
    static void powerOff() throws Exception {
        if (g != null) {
            g.close();
        }
    }

    /**
     * Before each test: until the guest's one-minute load average is below 1 (at most 3 minutes),
     * so that neither the boot's nor the other test's work (the Java tool's runs) lies under the samples.
     */
    @BeforeEach
    void quietGuest() throws Exception {
        g.run("for i in $(seq 90); do awk '$1 < 1.0 { exit 0 } { exit 1 }' /proc/loadavg && break; sleep 2; done; true", 300);
    }

    @Test
    @Order(2)
    void personsModprobeOfALiveAndABuiltinModule() throws Exception {
        String live = g.ok("awk '$5 == \"Live\" && $3 == 0 { print $1; exit }' /proc/modules").strip();
        assertTrue(!live.isEmpty(), "no live module without users");
        String load = g.ok("cat /proc/loadavg").strip();
        String kernel = g.ok("uname -r").strip();
        for (String name : List.of(live, "8250")) {
            Map<String, String> commands = new LinkedHashMap<>();
            commands.put("lkmd", "lkmd modprobe -q " + name);
            commands.put("kmod", "/sbin/modprobe -q " + name);
            commands.put("java", "LKMD_CONTROL_SOCKET=/nonexistent lkmd modprobe -q " + name);
            StringBuilder script = new StringBuilder("set -u\n");
            int javaRounds = Math.max(3, ROUNDS / 3);
            for (int round = 0; round <= ROUNDS; round++) {
                List<String> order = new ArrayList<>(List.of("lkmd", "kmod"));
                if (round <= javaRounds) {
                    order.add("java");
                }
                if (round % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (String who : order) {
                    script.append("a=$EPOCHREALTIME; ").append(commands.get(who)).append("; rc=$?; b=$EPOCHREALTIME; echo \"S ")
                            .append(round).append(' ').append(who).append(" $a $b $rc\"\n");
                }
            }
            Map<String, double[]> ms = samples(script.toString(), "0", "the command failed");
            String served = g.ok("lkmd history --module " + name + " | grep -c 'command line " + name + "' || true").strip();
            double[] lkmd = ms.get("lkmd");
            double[] kmod = ms.get("kmod");
            double[] java = ms.get("java");
            System.out.printf("PERSON-MODPROBE-FIGURES kernel=%s module=%s rounds=%d lkmd_median_ms=%.1f lkmd_min_ms=%.1f"
                            + " lkmd_max_ms=%.1f kmod_median_ms=%.1f kmod_min_ms=%.1f kmod_max_ms=%.1f ratio_lkmd_to_kmod=%.2f"
                            + " java_tool_rounds=%d java_tool_median_ms=%.1f ratio_java_to_kmod=%.2f daemon_served=%s guest_load=%s%n",
                    kernel, name, ROUNDS, median(lkmd), lkmd[0], lkmd[lkmd.length - 1], median(kmod), kmod[0],
                    kmod[kmod.length - 1], median(lkmd) / median(kmod), java.length, median(java),
                    median(java) / median(kmod), served, load.split(" ")[0]);
        }
    }

    @Test
    @Order(1)
    void kernelRequestToModuleLive() throws Exception {
        String load = g.ok("cat /proc/loadavg").strip();
        StringBuilder script = new StringBuilder("set -u; orig=$(cat /proc/sys/kernel/modprobe)\n");
        eachSample(ROUNDS, (round, q, helper) -> {
            // unload, point the kernel at the helper, then one timed request
            script.append(q[3]).append(" >/dev/null 2>&1; echo ").append(HELPERS.get(helper))
                    .append(" >/proc/sys/kernel/modprobe; a=$EPOCHREALTIME; ").append(q[1])
                    .append("; b=$EPOCHREALTIME; live=1; for m in ").append(q[2])
                    .append("; do grep -q \"^$m .* Live \" /proc/modules || live=0; done; echo \"S ").append(round)
                    .append(' ').append(helper).append('/').append(q[0]).append(" $a $b $live\"\n");
        });
        for (String[] q : REQUESTS) {
            script.append(q[3]).append(" >/dev/null 2>&1\n");
        }
        script.append("echo \"$orig\" >/proc/sys/kernel/modprobe\n");
        Map<String, double[]> ms = samples(script.toString(), "1", "not live after the request");
        String kernel = g.ok("uname -r").strip();
        for (String[] q : REQUESTS) {
            double[] lkmd = ms.getOrDefault("lkmd/" + q[0], new double[0]);
            double[] kmod = ms.getOrDefault("kmod/" + q[0], new double[0]);
            assertTrue(lkmd.length == ROUNDS && kmod.length == ROUNDS, "samples: " + ms.keySet());
            System.out.printf("KERNEL-REQUEST-FIGURES kernel=%s request=%s modules=%s rounds=%d"
                            + " lkmd_median_ms=%.1f lkmd_min_ms=%.1f lkmd_max_ms=%.1f"
                            + " kmod_median_ms=%.1f kmod_min_ms=%.1f kmod_max_ms=%.1f ratio_lkmd_to_kmod=%.2f guest_load=%s"
                            + " setup='%s'%n",
                    kernel, q[0], q[2].replace(' ', ','), ROUNDS, median(lkmd), lkmd[0], lkmd[lkmd.length - 1],
                    median(kmod), kmod[0], kmod[kmod.length - 1], median(lkmd) / median(kmod), load.split(" ")[0], SETUP);
        }
    }

    /**
     * Where the time of a kernel request goes, from the guest kernel's own trace (tracefs, the
     * {@code mono} clock, so CPUs agree): for each request and helper, a few rounds with the
     * tracepoints {@code module:module_request}, {@code sched:sched_process_exec} and
     * {@code sched_process_exit} of the helper, and {@code syscalls:sys_enter/exit_finit_module} (the
     * helper's own for kmod, the daemon's thread for lkmd). One {@code KERNEL-REQUEST-PHASES} line per
     * request and helper, medians in ms: the kernel's request to the helper's exec, the exec to the
     * first {@code finit_module}, the {@code finit_module} calls themselves, the time between them,
     * the last one's return to the helper's exit, the request to the helper's exit (what the
     * kernel waits for), the helper's exit to the end of the system call, and the time a task in
     * {@code finit_module} was off its CPU (all, and preempted: runnable). One {@code
     * KERNEL-REQUEST-CPU} line each (from {@code sched_switch}): the mean CPU time per sample of the
     * tasks that ran most, and of those that ran on the CPU of a preempted {@code finit_module}. The
     * whole trace is kept in {@code tests/target/kernel-request-trace.txt}.
     */
    @Test
    @Order(3)
    void whereTheTimeOfAKernelRequestGoes() throws Exception {
        int rounds = Math.max(5, ROUNDS / 2);
        String events = "module/module_request sched/sched_process_exec sched/sched_process_exit sched/sched_switch"
                + " syscalls/sys_enter_finit_module syscalls/sys_exit_finit_module";
        StringBuilder script = new StringBuilder("set -u; orig=$(cat /proc/sys/kernel/modprobe); t=/sys/kernel/tracing\n"
                + "[ -e $t/trace_marker ] || mount -t tracefs nodev $t\n"
                + "echo 0 >$t/tracing_on; echo >$t/trace; echo mono >$t/trace_clock; echo 32768 >$t/buffer_size_kb\n"
                + "for e in " + events + "; do echo 1 >$t/events/$e/enable; done; echo 1 >$t/tracing_on\n");
        eachSample(rounds, (round, q, helper) -> {
            String key = round + " " + helper + " " + q[0];
            script.append(q[3]).append(" >/dev/null 2>&1; echo ").append(HELPERS.get(helper))
                    .append(" >/proc/sys/kernel/modprobe; echo 'B ").append(key).append("' >$t/trace_marker; ")
                    .append(q[1]).append("; echo 'E ").append(key).append("' >$t/trace_marker\n");
        });
        for (String[] q : REQUESTS) {
            script.append(q[3]).append(" >/dev/null 2>&1\n");
        }
        script.append("echo 0 >$t/tracing_on; for e in ").append(events).append("; do echo 0 >$t/events/$e/enable; done\n")
                .append("echo \"$orig\" >/proc/sys/kernel/modprobe\n")
                .append("grep -E 'tracing_mark_write: [BE] |module_request: |finit_module|sched_switch: |sched_process_exec: filename=(")
                .append(String.join("|", HELPERS.values())).append(") |sched_process_exit: comm=(lkmd-modprobe|modprobe) ' $t/trace\n")
                .append("echo >$t/trace\n");
        DebianGuest.Cmd c = g.run(script.toString(), 3600);
        assertEquals(0, c.rc(), c.toString());
        List<String> trace = c.out().lines().toList();
        RequestTrace parsed = new RequestTrace(trace);
        Map<String, List<double[]>> phases = parsed.phases();
        Map<String, List<RequestTrace.CpuUse>> cpu = parsed.cpu();
        java.nio.file.Files.write(REPO.resolve("tests/target/kernel-request-trace.txt"), trace);
        for (String[] q : REQUESTS) {
            for (String helper : HELPERS.keySet()) {
                List<double[]> p = phases.getOrDefault(helper + " " + q[0], List.of());
                assertTrue(p.size() == rounds, helper + " " + q[0] + ": " + p.size() + " traced samples of " + rounds);
                System.out.printf("KERNEL-REQUEST-PHASES request=%s helper=%s samples=%d%s%n", q[0], helper, p.size(),
                        RequestTrace.medians(p));
                List<RequestTrace.CpuUse> u = cpu.get(helper + " " + q[0]);
                System.out.printf("KERNEL-REQUEST-CPU request=%s helper=%s samples=%d mean_cpu_ms:%s; while finit_module"
                                + " was preempted, on its CPU:%s%n", q[0], helper, u.size(),
                        RequestTrace.topTasks(u.stream().map(RequestTrace.CpuUse::all).toList(), 10),
                        RequestTrace.topTasks(u.stream().map(RequestTrace.CpuUse::overFinit).toList(), 5));
            }
        }
    }

    /** One sample of a request by a helper in a round. */
    private interface Sample {
        void add(int round, String[] request, String helper) throws Exception;
    }

    /**
     * Each round (0, the warm-up, and then 1..ROUNDS), request and helper: the helpers take turns,
     * the first of each pair alternating.
     */
    private static void eachSample(int rounds, Sample sample) throws Exception {
        for (int round = 0; round <= rounds; round++) {
            for (int r = 0; r < REQUESTS.size(); r++) {
                List<String> order = new ArrayList<>(HELPERS.keySet());
                if ((round + r) % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (String helper : order) {
                    sample.add(round, REQUESTS.get(r), helper);
                }
            }
        }
    }

    /**
     * Runs a guest script whose samples are lines {@code S ROUND KEY START END STATUS} (bash's
     * {@code EPOCHREALTIME} around the timed step) and returns each key's times in ms, sorted,
     * without round 0 (the warm-up). Every STATUS must be {@code ok}; otherwise the run fails with
     * {@code why}.
     */
    private static Map<String, double[]> samples(String script, String ok, String why) throws Exception {
        DebianGuest.Cmd c = g.run(script, 3600);
        assertEquals(0, c.rc(), c.toString());
        Map<String, List<Double>> ms = new LinkedHashMap<>();
        for (String l : c.out().lines().filter(l -> l.startsWith("S ")).toList()) {
            String[] f = l.split(" ");
            assertEquals(ok, f[5], why + ": " + l);
            if (!f[1].equals("0")) {
                ms.computeIfAbsent(f[2], k -> new ArrayList<>()).add((Double.parseDouble(f[4]) - Double.parseDouble(f[3])) * 1000);
            }
        }
        Map<String, double[]> sorted = new LinkedHashMap<>();
        ms.forEach((k, v) -> {
            double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
            Arrays.sort(a);
            sorted.put(k, a);
        });
        return sorted;
    }

    /** The median of sorted values. */
    static double median(double[] a) {
        int n = a.length;
        return n % 2 == 1 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
    }
}
