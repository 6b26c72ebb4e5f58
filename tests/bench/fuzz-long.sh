#!/bin/sh
# Long fuzzing run of lkmd's five @FuzzTest targets through Jazzer's command line (the same
# test methods the suite fuzzes for 5 s each), N inputs per target, one target after another.
# Prints per target: inputs run, wall time, findings. Findings are written to
# tests/work/fuzz/<target>/ (crash-*); the corpus grows in tests/work/fuzz/<target>/corpus and is
# reused by the next run. The seeds are the suite's (daemon/src/test/resources/**/*Inputs, plus
# this machine's udev rules, modprobe.d and three modules copied at build time).
# Usage: tests/bench/fuzz-long.sh [N]   (default 10000000, the release figure; 200000 for a quick look)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${1:-10000000}
out="$repo/tests/work/fuzz"
mkdir -p "$out"

cd "$repo"
# reactor build only: nothing is installed into the shared ~/.m2
mvn -q -o -pl daemon -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$out/cp"
cp="$repo/daemon/target/test-classes:$repo/daemon/target/classes:$(cat "$out/cp")"
seeds="$repo/daemon/target/test-classes/org/lkmd"

printf '%-45s %12s %10s %9s\n' target inputs seconds findings
status=0
for t in uevent.UeventParserFuzzTest:parseEveryDatagram \
         rules.RulesParserFuzzTest:parseEveryRulesText \
         modprobe.ModprobeConfigFuzzTest:parseEveryConfigText \
         index.BinIndexReaderFuzzTest:readEveryIndex \
         elf.KoFileFuzzTest:readEveryModule; do
    cls=${t%%:*}; method=${t##*:}
    pkg=${cls%%.*}; name=${cls#*.}
    dir="$out/$name"
    mkdir -p "$dir/corpus"
    before=$(ls "$dir" | grep -c '^crash-' || true)
    start=$(date +%s)
    # -max_total_time overrides the 5 s of @FuzzTest(maxDuration); --keep_going records up to
    # 100 distinct findings instead of stopping at the first
    rc=0
    java -Xmx1g -cp "$cp" com.code_intelligence.jazzer.Jazzer \
        --target_class="org.lkmd.$cls" --target_method="$method" \
        --instrumentation_includes='org.lkmd.**' --keep_going=100 \
        -runs="$runs" -max_total_time=864000 -artifact_prefix="$dir/" \
        "$dir/corpus" "$seeds/$pkg/${name}Inputs/$method" > "$dir/log.txt" 2>&1 || rc=$?
    secs=$(( $(date +%s) - start ))
    done_runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$dir/log.txt" | tail -n 1)
    after=$(ls "$dir" | grep -c '^crash-' || true)
    found=$((after - before))
    printf '%-45s %12s %10s %9s\n' "$name" "${done_runs:-?}" "$secs" "$found"
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        status=1
        echo "  exit $rc; see $dir/log.txt" >&2
    fi
done
exit $status
