#!/usr/bin/env bash
# Forged uevents against `lkmd daemon --simulate` (root only): forge-uevents.py sends N well-formed
# kernel-format datagrams naming this machine's devices with their real MODALIAS, N to the daemon's
# port id and N to group 1, first as root (the kernel delivers them: the daemon must drop all of
# them as FORGED_SENDER and plan nothing), then as uid 65534 (the kernel refuses: EPERM).
# Prints what was sent, the daemon's drop counters and its handled events before and after.
# Usage: tests/bench/forgery.sh [N]   (default 100000)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-100000}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
rel=$(ls /lib/modules | while read -r r; do [ -e "/lib/modules/$r/modules.dep" ] && echo "$r"; done | tail -1)
[ -x daemon/target/lkmd ] || mvn -q -B -ntp -DskipTests package
lkmd=daemon/target/lkmd
r=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$r"' EXIT
mkdir -p "$r/lib/modules" "$r/proc" "$r/etc/lkmd/rules.d"
ln -s "/lib/modules/$rel" "$r/lib/modules/$rel"; ln -s /sys "$r/sys"; cp /proc/cmdline "$r/proc/cmdline"
cp rules/80-lkmd-drivers.rules "$r/etc/lkmd/rules.d/"
printf '[reload]\nwatch = false\n' >"$r/etc/lkmd/lkmd.toml"
$lkmd daemon --root "$r" --simulate --coldplug off --kernel-release "$rel" >"$r/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -S "$r/run/lkmd/control" ] && break; sleep 0.1; done
# the daemon's port id: its netlink socket is the one this pid owns in /proc/net/netlink (protocol 15)
inodes=$(ls -l /proc/$pid/fd 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]/\1/p')
port=$(awk -v inodes=" $(echo $inodes) " '$2 == 15 && index(inodes, " " $NF " ") { print $3 }' /proc/net/netlink | head -1)
[ -n "$port" ] || { echo "cannot find the daemon's netlink port id" >&2; exit 1; }
status() { $lkmd status --root "$r" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print("events handled %s, datagrams received %s, drops %s, outcomes %s" % (s["events"], s["received"], s["drops"] or "none", s["outcomes"]))'; }
echo "lkmd forgery: N=$n per path, daemon pid $pid, netlink port id $port, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "before:        $(status)"
echo "sent as root:  $(python3 tests/bench/forge-uevents.py "$n" "$port")"
# a real event after the forgeries: once it is handled, everything sent before it has been read
tag=$(cat /proc/sys/kernel/random/uuid)
echo "change $tag" > /sys/devices/platform/pcspkr/uevent
$lkmd settle --root "$r" -t 120 >/dev/null; sleep 1; $lkmd settle --root "$r" -t 120 >/dev/null
echo "after root:    $(status)"
echo "sent as 65534: $(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c "$(cat tests/bench/forge-uevents.py)" "$n" "$port")"
echo "after 65534:   $(status)"
echo "\"Would load\" lines in the daemon log (loads planned): $(grep -c 'Would load' "$r/daemon.log" || true)"
echo "daemon log:"; grep -m3 -E "FORGED|Dropped" "$r/daemon.log" || true
