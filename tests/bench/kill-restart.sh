#!/usr/bin/env bash
# kill -9 of `lkmd daemon --simulate --coldplug trigger` in the middle of its coldplug, then a
# restart on the same root (stale control socket and queue marker left behind): the second run must
# plan every driver kmod would load for this machine's devices (kmod's `modprobe --show-depends` of
# each MODALIAS is the oracle). Root only (coldplug trigger writes /sys uevent files).
# Usage: tests/bench/kill-restart.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
rel=$(ls /lib/modules | while read -r r; do [ -e "/lib/modules/$r/modules.dep" ] && echo "$r"; done | tail -1)
[ -x daemon/target/lkmd ] || mvn -q -B -ntp -DskipTests package
lkmd=daemon/target/lkmd
r=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$r"' EXIT
mkdir -p "$r/lib/modules" "$r/proc" "$r/etc/lkmd/rules.d"
ln -s "/lib/modules/$rel" "$r/lib/modules/$rel"; ln -s /sys "$r/sys"; cp /proc/cmdline "$r/proc/cmdline"
for d in etc/modprobe.d lib/modprobe.d usr/lib/modprobe.d run/modprobe.d; do
    [ -d "/$d" ] && { mkdir -p "$r/$(dirname $d)"; ln -s "/$d" "$r/$d"; }
done
cp rules/80-lkmd-drivers.rules "$r/etc/lkmd/rules.d/"
printf '[reload]\nwatch = false\n' >"$r/etc/lkmd/lkmd.toml"

# the oracle: what kmod would insert for every device's MODALIAS
for u in $(grep -l '^MODALIAS=' $(find /sys/devices -name uevent) 2>/dev/null); do
    [ -e "$(dirname "$u")/subsystem" ] || continue
    a=$(sed -n 's/^MODALIAS=//p' "$u")
    modprobe -d "$r" -S "$rel" -q --show-depends -- "$a" 2>/dev/null | sed -n 's/^insmod //p' || true
done | sed 's/ .*//; s#.*/##; s/\.ko.*//; s/-/_/g' | sort -u >"$r/expected"

planned() { # LOG: module names the daemon planned ("Would load X for DEV (with A B)")
    sed -n 's/.*Would load module \([^ ]*\) for [^ ]*\( (with \(.*\))\)\{0,1\}$/\1 \3/p' "$1" | tr ' ' '\n' | sed '/^$/d' | sort -u
}

t0=$(date +%s.%N)
$lkmd daemon --root "$r" --simulate --coldplug trigger --kernel-release "$rel" >"$r/first.log" 2>&1 &
pid=$!
for _ in $(seq 3000); do grep -q 'Would load' "$r/first.log" && break; sleep 0.02; done
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
echo "first run: killed -9 after $(echo "$(date +%s.%N) - $t0" | bc) s, mid-coldplug: $(planned "$r/first.log" | wc -l) of $(wc -l <"$r/expected") modules planned, ready: $(grep -c 'Ready:' "$r/first.log")"
echo "left behind: $(cd "$r/run/lkmd" && ls -A | tr '\n' ' ')"
t0=$(date +%s.%N)
$lkmd daemon --root "$r" --simulate --coldplug trigger --kernel-release "$rel" >"$r/second.log" 2>&1 &
pid=$!
for _ in $(seq 6000); do grep -q 'Ready:' "$r/second.log" && break; sleep 0.05; done
echo "second run: ready after $(echo "$(date +%s.%N) - $t0" | bc) s: $(grep -o 'Coldplug: triggered [0-9]* devices' "$r/second.log")"
$lkmd settle --root "$r" -t 120 >/dev/null || true
echo "after settle: run/lkmd holds: $(cd "$r/run/lkmd" && ls -A | tr '\n' ' ')"
planned "$r/second.log" >"$r/got"
grep -E 'ERROR|Exception' "$r/second.log" | head -5 || true
if diff "$r/expected" "$r/got" >"$r/diff"; then
    echo "after restart: all $(wc -l <"$r/expected") modules kmod would load are planned: $(tr '\n' ' ' <"$r/got")"
else
    echo "after restart: DIFFERENT from kmod (< kmod only, > lkmd only):"; cat "$r/diff"; exit 1
fi
