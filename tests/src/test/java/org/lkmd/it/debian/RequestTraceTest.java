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
        Map<String, List<double[]>> p = RequestTrace.phases(TRACE);
        assertEquals(List.of("lkmd fs-vfat"), List.copyOf(p.keySet()), "round 0 and the sample without a helper are left out");
        // request→exec 20, exec→first finit 10, in finit 20+8, between 2, last finit→exit 5, request→exit 65
        assertArrayEquals(new double[] {20, 10, 28, 2, 5, 65}, p.get("lkmd fs-vfat").get(0), 1e-6);
        assertEquals(" request_to_exec_ms=20.0 exec_to_first_finit_ms=10.0 finit_ms=28.0 between_finits_ms=2.0"
                + " last_finit_to_exit_ms=5.0 request_to_exit_ms=65.0", RequestTrace.medians(p.get("lkmd fs-vfat")));
    }
}
