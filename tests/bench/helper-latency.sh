#!/usr/bin/env bash
# Whole-call latency of the kernel's module helper: kmod's modprobe vs lkmd-modprobe (the C fast
# path, answered by a running lkmd daemon) vs the Java tool alone, on this machine's real module
# tree. The daemon runs --simulate on a temporary root, so "load" means "resolve and plan" here:
# for a fair comparison kmod runs with -n for that case. Also a person's `lkmd modprobe -q NAME`
# (the launcher), with a daemon running (handed to the C client, the daemon answers: a second
# daemon, not --simulate, loading into the simulated kernel of its own root, since a --simulate
# daemon leaves a person's call to the Java tool) and without one (the Java tool, from the
# class-data archive when daemon/target/lkmd-cds made one), against kmod's `modprobe -q NAME`; a
# person's `lkmd modprobe -r NAME` of a module not loaded, with the daemon, against kmod's; and a
# person's `lkmd lsmod` (the client run as lkmd-lsmod, with the daemon; the Java tool without)
# against kmod's lsmod.
# Usage: tests/bench/helper-latency.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-30}
rel=$(ls /lib/modules | while read -r r; do [ -e "/lib/modules/$r/modules.dep" ] && echo "$r"; done | tail -1)
[ -x daemon/target/bin/lkmd-modprobe ] || mvn -q -B -ntp -DskipTests package
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
root=$(mktemp -d)
pids=
trap 'kill $pids 2>/dev/null; wait $pids 2>/dev/null; rm -rf "$root"' EXIT
# two roots over the real tree: "sim" for the --simulate daemon, "load" for the loading one
for r in sim load; do
    mkdir -p "$root/$r/lib/modules" "$root/$r/sys" "$root/$r/proc"
    ln -s "/lib/modules/$rel" "$root/$r/lib/modules/$rel"
    cp /proc/cmdline "$root/$r/proc/cmdline"
done
ln -s "$PWD/daemon/target/lkmd" "$root/lkmd"
daemon/target/lkmd daemon --root "$root/sim" --simulate --coldplug off --kernel-release "$rel" 2>"$root/sim.log" &
pids="$pids $!"
daemon/target/lkmd daemon --root "$root/load" --coldplug off --kernel-release "$rel" 2>"$root/load.log" &
pids="$pids $!"
for r in sim load; do
    for _ in $(seq 200); do [ -S "$root/$r/run/lkmd/control" ] && break; sleep 0.1; done
done
# the kernel's helper against the --simulate daemon
LKMD_CONTROL_SOCKET=$root/sim/run/lkmd/control hyperfine -N -w 3 -r "$runs" --export-markdown "$root/helper.md" \
  -n "kmod: modprobe -q -- 8250 (builtin, in kernel)" "modprobe -S $rel -q -- 8250" \
  -n "lkmd-modprobe -q -- 8250 (daemon)" "daemon/target/bin/lkmd-modprobe -q -- 8250" \
  -n "kmod: modprobe -n -q -- crc16 (resolve a load)" "modprobe -S $rel -n -q -- crc16" \
  -n "lkmd-modprobe -q -- crc16 (daemon, simulate: resolve a load)" "daemon/target/bin/lkmd-modprobe -q -- crc16" \
  -n "lkmd modprobe (Java alone) -q -- 8250" "daemon/target/lkmd modprobe -S $rel -q -- 8250"
# a person's lkmd modprobe against the loading daemon, and with none
LKMD_CONTROL_SOCKET=$root/load/run/lkmd/control hyperfine -N -w 3 -r "$runs" --export-markdown "$root/person.md" \
  -n "kmod: modprobe -q 8250 (a person's call)" "modprobe -S $rel -q 8250" \
  -n "lkmd modprobe -q 8250 (launcher, daemon answers)" "daemon/target/lkmd modprobe -q 8250" \
  -n "lkmd modprobe -q 8250 (launcher through a symlink of its own: readlink runs; daemon answers)" \
     "$root/lkmd modprobe -q 8250" \
  -n "kmod: modprobe -r msdos (not loaded: nothing to do)" "modprobe -S $rel -r msdos" \
  -n "lkmd modprobe -r msdos (launcher, daemon answers)" "daemon/target/lkmd modprobe -r msdos"
# a person's lkmd lsmod: the loading daemon's table (its kernel is the simulated one of its root, so
# the text is not this host's: the whole call's time is what is compared; -i: on a kernel without
# module support kmod's lsmod fails, having no /proc/modules to read)
LKMD_CONTROL_SOCKET=$root/load/run/lkmd/control hyperfine -N -i -w 3 -r "$runs" --export-markdown "$root/lsmod.md" \
  -n "kmod: lsmod" "lsmod" \
  -n "lkmd lsmod (launcher, daemon answers)" "daemon/target/lkmd lsmod"
LKMD_CONTROL_SOCKET=$root/none hyperfine -N -i -w 2 -r "$runs" --export-markdown "$root/nodaemon.md" \
  -n "kmod: modprobe -q 8250 (a person's call)" "modprobe -S $rel -q 8250" \
  -n "lkmd modprobe -q 8250 (launcher, no daemon: Java tool)" "daemon/target/lkmd modprobe -S $rel -q 8250" \
  -n "kmod: lsmod" "lsmod" \
  -n "lkmd lsmod (launcher, no daemon: Java tool)" "daemon/target/lkmd lsmod"
cat "$root/helper.md" "$root/person.md" "$root/lsmod.md" "$root/nodaemon.md"
