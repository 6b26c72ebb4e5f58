#!/bin/sh
# Event pipeline speed: a kernel uevent datagram parsed, run through rules/80-lkmd-drivers.rules
# and its MODALIAS resolved to a load plan over the real module index and modprobe.d (no load),
# with JMH (EventPipelineBench). Corpus: this machine's devices with a MODALIAS plus every
# STEP-th modules.alias pattern made concrete. Prints events per second against the 50,000/s goal.
# Usage: tests/bench/pipeline.sh [MODULES_DIR [STEP]]   (default: the first tree under /lib/modules, 10)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${1:-/lib/modules/$(ls /lib/modules | head -n 1)}
step=${2:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$repo"
# reactor build only: nothing is installed into the shared ~/.m2
mvn -q -o -pl daemon,tests -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp"
cp="$repo/tests/target/test-classes:$repo/daemon/target/classes:$(cat "$work/cp")"

java -cp "$cp" org.openjdk.jmh.Main EventPipelineBench -p modulesDir="$dir" -p step="$step" \
    -p rulesFile="$repo/rules/80-lkmd-drivers.rules" -rf csv -rff "$work/jmh.csv" \
    | grep -E '^(corpus:|Benchmark|EventPipelineBench)'

awk -F, 'NR==2 { gsub(/"/,"",$5); gsub(/"/,"",$6);
    printf "pipeline (JMH, wall clock): %.0f events/s (+- %.0f), goal 50000/s: %s\n", $5, $6, ($5 >= 50000 ? "met" : "MISSED") }' "$work/jmh.csv"

# The same work timed by thread CPU time (a shared machine's other load does not count).
java -cp "$cp" org.lkmd.bench.EventPipelineBench --cpu "$dir" "$repo/rules/80-lkmd-drivers.rules" "$step" \
    | grep '^cpu round' | tee "$work/cpu.txt"
med=$(sed -n 's/.* \([0-9]*\) events\/CPU-s.*/\1/p' "$work/cpu.txt" | sort -n | sed -n 3p)
echo "pipeline (CPU time): median of 5 rounds $med events/CPU-s, goal 50000/s: $([ "$med" -ge 50000 ] && echo met || echo MISSED); load average $(cut -d' ' -f1-3 /proc/loadavg)"
