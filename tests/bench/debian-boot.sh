#!/bin/sh
# Boot figures of a real Debian 12 system (tests/debian/: debootstrap'd root, Debian's kernel and
# initrd, QEMU TCG, 2 vCPUs) with lkmd as its module loader vs the same image with udev's
# 80-drivers.rules loading the drivers (lkmd's units masked). From the guest's monotonic clock
# (µs since the kernel started: systemd's *TimestampMonotonic, and tests/debian/guest/lkmd-test-modwatch
# polling /proc/modules every 50 ms):
#   kernel_to_lkmd_exec_ms      lkmd's JVM process started
#   kernel_to_lkmd_ready_ms     lkmd.service active (READY=1: coldplug done)
#   kernel_to_udevd_ready_ms    systemd-udevd.service active (READY=1), and
#   kernel_to_udev_trigger_done_ms  systemd-udev-trigger.service done (coldplug events queued)
#   kernel_to_last_driver_ms    the last module that went Live after the initramfs, before any hotplug
#   boot_finished_ms            systemd's FinishTimestampMonotonic (default target reached)
#   udev_events                 events systemd-udevd processed in the booted system, by action
#                               (udevadm monitor --udev from before udevd starts: tests/debian/guest/
#                               lkmd-test-udevmon); lkmd's boot must not add any (no second coldplug)
# Runs DebianBootTest's first and udev boots (-Dlkmd.debian.figuresOnly=true: no kernel upgrade, both
# boots on the image's own kernel and initrd) REPS times (default 1) and prints its DEBIAN-FIGURES lines. Usage: tests/bench/debian-boot.sh [REPS]  (as root)
set -eu
reps=${1:-1}
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
echo "$(nproc) host cores, load $(cut -d' ' -f1-3 /proc/loadavg), QEMU TCG, 2 vCPUs, 2 GiB"
i=0
while [ "$i" -lt "$reps" ]; do
    i=$((i + 1))
    mvn -B -ntp -q verify -pl daemon,tests -Dlkmd.fuzz.skip=true -Dtest=DebianBootTest \
        -Dsurefire.failIfNoSpecifiedTests=false -Dlkmd.debian.figuresOnly=true 2>&1 |
        grep -a 'DEBIAN-FIGURES' | sed "s/^/run $i: /"
done
