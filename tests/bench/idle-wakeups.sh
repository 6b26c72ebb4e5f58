#!/bin/bash
# Wake-ups of an idle daemon: voluntary context switches of each of its threads over SECONDS
# (default 10) once it is Ready, `lkmd daemon --simulate --coldplug off` on a scratch root with this
# machine's newest module tree, with the unit's JVM flags (systemd/lkmd.service). A thread that sleeps
# on a timer shows up here; one that blocks until there is work does not.
# Usage: tests/bench/idle-wakeups.sh [JAR] [SECONDS]   (build first: mvn -q -DskipTests package)
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
jar=${1:-$here/daemon/target/lkmd.jar}
secs=${2:-10}
[ -f "$jar" ] || { echo "build first: mvn -q -o -DskipTests package" >&2; exit 1; }
opts=$(sed -n 's/^Environment=LKMD_JAVA_OPTS="\(.*\)"$/\1/p' "$here/systemd/lkmd.service")
root=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$root"' EXIT
mkdir -p "$root/etc/lkmd" "$root/lib/modules" "$root/run"
rel=$(ls /lib/modules 2>/dev/null | tail -1 || true)
[ -n "$rel" ] && ln -s "/lib/modules/$rel" "$root/lib/modules/$rel"
# the unit's flags point temporary files at /run/lkmd: keep them under the scratch root
# shellcheck disable=SC2086
java ${opts//\/run\/lkmd/$root\/run} -XX:-UsePerfData -jar "$jar" daemon --root "$root" --simulate --coldplug off \
    ${rel:+--kernel-release "$rel"} >"$root/log" 2>&1 &
pid=$!
n=0
while ! grep -q "Ready:" "$root/log" && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
grep -q "Ready:" "$root/log" || { echo "the daemon did not become ready:" >&2; cat "$root/log" >&2; exit 1; }
sleep 3 # let start-up work (compilation, class unloading) settle
snap() { # tid comm voluntary_switches, one line per thread
    for t in /proc/"$pid"/task/*; do
        printf '%s %s %s\n' "${t##*/}" "$(tr ' ' _ <"$t/comm")" "$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status")"
    done | sort
}
snap >"$root/a"
sleep "$secs"
snap >"$root/b"
echo "wake-ups (voluntary context switches) per thread in ${secs} s of an idle daemon:"
join -j1 "$root/a" "$root/b" | awk '{d = $5 - $3; if (d > 0) printf "  %-18s %d\n", $2, d; t += d; if ($2 ~ /^lkmd-/) o += d}
    END {printf "  %-18s %d (lkmd threads: %d)\n", "total", t, o}'
