package org.lkmd.it.debian;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/** {@link RequestTrace} on lines in tracefs's format (the mono clock, 6.1's flags column). */
class RequestTraceTest {
    private static final List<String> TRACE = List.of(
            "# tracer: nop",
            "            bash-1042    [001] .....   800.000000: tracing_mark_write: B 0 kmod fs-vfat",
            "           mount-1100    [000] .....   800.010000: module_request: fs-vfat wait=1 call_site=get_fs_type+0x4d/0xd0",
            "        modprobe-1101    [001] .....   800.020000: sched_process_exec: filename=/sbin/modprobe pid=1101 old_pid=1101",
            "        modprobe-1101    [001] .....   800.090000: sys_finit_module(fd: 3, uargs: 55d0, flags: 0)",
            "        modprobe-1101    [001] .....   800.095000: sys_finit_module -> 0x0",
            "        modprobe-1101    [001] .....   800.100000: sched_process_exit: comm=modprobe pid=1101 prio=120",
            "            bash-1042    [001] .....   800.200000: tracing_mark_write: E 0 kmod fs-vfat",
            "            bash-1042    [001] .....   801.000000: tracing_mark_write: B 1 lkmd fs-vfat",
            "           mount-1200    [000] .....   801.010000: module_request: fs-vfat wait=1 call_site=get_fs_type+0x4d/0xd0",
            "   lkmd-modprobe-1201    [001] .....   801.030000: sched_process_exec: filename=/usr/lib/lkmd/bin/lkmd-modprobe pid=1201 old_pid=1201",
            "  lkmd-request-0-530     [000] .....   801.040000: sys_finit_module(fd: 2a, uargs: 7f00, flags: 0)",
            "  lkmd-request-0-530     [000] d..2.   801.045000: sched_switch: prev_comm=lkmd-request-0 prev_pid=530"
                    + " prev_prio=120 prev_state=R+ ==> next_comm=C1 CompilerThre next_pid=520 next_prio=120",
            " C1 CompilerThre-520     [000] d..2.   801.048000: sched_switch: prev_comm=C1 CompilerThre prev_pid=520"
                    + " prev_prio=120 prev_state=S ==> next_comm=lkmd-request-0 next_pid=530 next_prio=120",
            "  lkmd-request-0-530     [000] d..2.   801.050000: sched_switch: prev_comm=lkmd-request-0 prev_pid=530"
                    + " prev_prio=120 prev_state=D ==> next_comm=kworker/0:1H next_pid=40 next_prio=100",
            "   kworker/0:1H-40      [000] d..2.   801.051000: sched_switch: prev_comm=kworker/0:1H prev_pid=40"
                    + " prev_prio=100 prev_state=I ==> next_comm=lkmd-request-0 next_pid=530 next_prio=120",
            "  lkmd-request-0-530     [000] .....   801.060000: sys_finit_module -> 0x0",
            "  lkmd-request-0-530     [000] .....   801.062000: sys_finit_module(fd: 2b, uargs: 7f00, flags: 0)",
            "  lkmd-request-0-530     [000] .....   801.070000: sys_finit_module -> 0x0",
            "   lkmd-modprobe-1201    [001] .....   801.075000: sched_process_exit: comm=lkmd-modprobe pid=1201 prio=120",
            "            bash-1042    [001] .....   801.300000: tracing_mark_write: E 1 lkmd fs-vfat",
            "            bash-1042    [001] .....   802.000000: tracing_mark_write: B 1 kmod fs-vfat",
            "           mount-1300    [000] .....   802.010000: module_request: fs-vfat wait=1 call_site=get_fs_type+0x4d/0xd0",
            "            bash-1042    [001] .....   802.300000: tracing_mark_write: E 1 kmod fs-vfat");

    @Test
    void eachSampleIsSplitIntoItsPhasesLeavingOutTheWarmUpAndIncompleteSamples() {
        Map<String, List<double[]>> p = new RequestTrace(TRACE).phases();
        assertEquals(List.of("lkmd fs-vfat"), List.copyOf(p.keySet()), "round 0 and the sample without a helper are left out");
        // request→exec 20, exec→first finit 10, in finit 20+8, between 2, last finit→exit 5, request→exit 65,
        // exit→end 225, the finit thread off its CPU 3+1 of which preempted 3
        assertArrayEquals(new double[] {20, 10, 28, 2, 5, 65, 225, 4, 3}, p.get("lkmd fs-vfat").get(0), 1e-6);
        assertEquals(" request_to_exec_ms=20.0 exec_to_first_finit_ms=10.0 finit_ms=28.0 between_finits_ms=2.0"
                + " last_finit_to_exit_ms=5.0 request_to_exit_ms=65.0 exit_to_end_ms=225.0 finit_off_cpu_ms=4.0"
                + " finit_preempted_ms=3.0", RequestTrace.medians(p.get("lkmd fs-vfat")));
    }

    @Test
    void eachSamplesCpuTimeIsCountedByTaskWithoutTrailingNumbers() {
        Map<String, List<RequestTrace.CpuUse>> cpu = new RequestTrace(TRACE).cpu();
        RequestTrace.CpuUse u = cpu.get("lkmd fs-vfat").get(0);
        // CPU 0 only: lkmd-request from B (801.000) to 801.045 and 801.048-801.050, 801.051 to E (801.300)
        assertEquals(Map.of("lkmd-request", 296.0, "C1 CompilerThre", 3.0, "kworker", 1.0), round(u.all()));
        assertEquals(" lkmd-request=296.0 C1_CompilerThre=3.0", RequestTrace.topTasks(List.of(u.all()), 2));
        // preempted (R+) at 801.045 while C1 ran, blocked (D) at 801.050: only the first counts
        assertEquals(Map.of("C1 CompilerThre", 3.0), round(u.overFinit()));
        assertEquals(List.of(new RequestTrace.CpuUse(Map.of(), Map.of())), cpu.get("kmod fs-vfat"), "no switch, no CPU counted");
    }

    @Test
    void tasksAreNamedWithoutTheirNumbers() {
        assertEquals("kworker", RequestTrace.task("kworker/1:2"));
        assertEquals("kworker", RequestTrace.task("kworker/0:1H"));
        assertEquals("swapper", RequestTrace.task("swapper/1"));
        assertEquals("lkmd-request", RequestTrace.task("lkmd-request-12"));
        assertEquals("C1 CompilerThre", RequestTrace.task("C1 CompilerThre"));
        assertEquals("bash", RequestTrace.task("bash"));
    }

    private static Map<String, Double> round(Map<String, Double> ms) {
        Map<String, Double> r = new java.util.HashMap<>();
        ms.forEach((k, v) -> r.put(k, Math.round(v * 1000) / 1000.0));
        return r;
    }
}
