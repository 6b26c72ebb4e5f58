#!/usr/bin/env bash
# Daemon start to READY=1 and idle RSS, on this machine. notify-timer.py is the NOTIFY_SOCKET
# receiver (as systemd for Type=notify): it starts `lkmd daemon --simulate` on a scratch root (this
# machine's /sys and module tree linked in), timestamps READY=1, waits IDLE seconds, reads VmRSS.
# Coldplug off and trigger (445 uevent files here); JVM settings: plain `java -jar`, the launcher's
# defaults, the unit's LKMD_JAVA_OPTS, and the same with an AppCDS archive (made here by lkmd-cds
# into a copy of the build). Prints min/median start-to-READY and median RSS per case.
# Usage: tests/bench/startup.sh [RUNS] [IDLE_SECONDS]   (default 5 3; root for coldplug trigger)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
idle=${2:-3}
rel=$(ls /lib/modules | while read -r r; do [ -e "/lib/modules/$r/modules.dep" ] && echo "$r"; done | tail -1)
[ -x daemon/target/lkmd ] || mvn -q -B -ntp -DskipTests package
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/root
mkdir -p "$r/lib/modules" "$r/proc" "$r/etc/lkmd/rules.d"
ln -s "/lib/modules/$rel" "$r/lib/modules/$rel"; ln -s /sys "$r/sys"; cp /proc/cmdline "$r/proc/cmdline"
cp rules/80-lkmd-drivers.rules "$r/etc/lkmd/rules.d/"
printf '[reload]\nwatch = false\n' >"$r/etc/lkmd/lkmd.toml"
# a copy of the build, so the archive made here never touches daemon/target
mkdir -p "$work/plain" "$work/cds"
cp daemon/target/lkmd daemon/target/lkmd.jar daemon/target/lkmd-cds "$work/plain/"
cp daemon/target/lkmd daemon/target/lkmd.jar daemon/target/lkmd-cds "$work/cds/"
"$work/cds/lkmd-cds" >/dev/null
# the flags that were tried on top of the first unit's (-Xmx64m -Xss512k -XX:+UseSerialGC
# -XX:TieredStopAtLevel=1) and are now in it: young generation and code cache capped, heap
# returned after GC, one JIT thread
base="-Xmx64m -Xss512k -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
unit=$(sed -n 's/^Environment=LKMD_JAVA_OPTS="\(.*\)"$/\1/p' systemd/lkmd.service | sed 's#/run/lkmd#'"$work"'#g')

measure() { # LABEL MODE OPTS LAUNCHER...
    local label=$1 mode=$2 opts=$3; shift 3
    for _ in $(seq "$runs"); do
        LKMD_JAVA_OPTS="$opts" python3 tests/bench/notify-timer.py "$idle" 300 -- "$@" daemon --root "$r" --simulate \
            --coldplug "$mode" --kernel-release "$rel"
    done | python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin]
ok = [r for r in rows if r.get("ready_ms") is not None]
if not ok:
    print("%-60s %-8s no READY=1: %s" % (sys.argv[1], sys.argv[2], rows[0])); sys.exit()
t = sorted(r["ready_ms"] for r in ok); rss = sorted(r["rss_kb"] for r in ok)
print("%-60s %-8s READY min %5d ms, median %5d ms; idle RSS median %6.1f MiB (%d runs)" % (sys.argv[1], sys.argv[2],
      t[0], statistics.median(t), statistics.median(rss) / 1024, len(ok)))' "$label" "$mode"
}

echo "lkmd start-up: $(java -version 2>&1 | head -1), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), modules $rel"
echo "unit LKMD_JAVA_OPTS: $unit"
for mode in off trigger; do
    measure "java -jar lkmd.jar (JDK defaults: G1, C2)" "$mode" "" java -jar "$work/plain/lkmd.jar"
    measure "launcher (SerialGC, C1 only)" "$mode" "" "$work/plain/lkmd"
    measure "launcher + $base" "$mode" "$base" "$work/plain/lkmd"
    measure "launcher + $base + AppCDS" "$mode" "$base" "$work/cds/lkmd"
    measure "launcher + unit LKMD_JAVA_OPTS" "$mode" "$unit" "$work/plain/lkmd"
    measure "launcher + unit LKMD_JAVA_OPTS + AppCDS" "$mode" "$unit" "$work/cds/lkmd"
done
