#!/bin/sh
# The kernel's own module requests, request to module live, in the Debian guest of DebianBootTest
# (tests/debian/: lkmd's package installed and running, QEMU TCG, 2 vCPUs): kernel.modprobe pointed
# at lkmd's helper (the C client, answered by the daemon) vs at kmod's /sbin/modprobe, taking turns.
# Requests: char-major-10-200 (open /dev/net/tun: tun), fs-vfat (mount -t vfat: fat, vfat),
# rtnl-link-dummy (ip link add type dummy: dummy); each timed in the guest around the one system
# call that waits for the kernel's request_module(). In the same boot: a person's `lkmd modprobe -q`
# of a live and of a builtin module, daemon-answered and the Java tool alone, vs kmod's modprobe.
# Then the same requests with the guest kernel's trace on: where each one's time goes (the kernel's
# request, the helper's exec, the finit_module calls, the helper's exit, the end of the call), a
# KERNEL-REQUEST-PHASES line per request and helper, and a KERNEL-REQUEST-CPU line: which tasks ran
# on the guest's CPUs meanwhile (the raw trace: tests/target/kernel-request-trace.txt). The image's
# test-only watchers (DebianBootTest's) are stopped before the samples.
# See KernelRequestBench for the method.
# Usage: tests/bench/kernel-request.sh [ROUNDS [GUEST_SETUP]]  (as root; default 15 rounds after a
# warm-up; GUEST_SETUP: a guest command run once before the samples, e.g. "lkmd control -l warn")
set -eu
rounds=${1:-15}
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
echo "$(nproc) host cores, load $(cut -d' ' -f1-3 /proc/loadavg), QEMU TCG, 2 vCPUs, 2 GiB"
mvn -B -ntp -q verify -pl daemon,tests -Dlkmd.fuzz.skip=true -Dtest=KernelRequestBench \
    -Dsurefire.failIfNoSpecifiedTests=false -Dlkmd.bench.rounds="$rounds" -Dlkmd.bench.guest.setup="${2:-}" 2>&1 |
    grep -a 'KERNEL-REQUEST-FIGURES\|KERNEL-REQUEST-PHASES\|KERNEL-REQUEST-CPU\|PERSON-MODPROBE-FIGURES\|FAIL\|ERROR' || true
