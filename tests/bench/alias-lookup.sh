#!/bin/sh
# Alias lookup speed: lkmd's ModuleIndex.aliases() (JMH) vs libkmod's kmod_module_new_from_lookup()
# over the same corpus (every modules.alias pattern made concrete), in the same run.
# Usage: tests/bench/alias-lookup.sh [MODULES_DIR]   (default: the first tree under /lib/modules)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dir=${1:-/lib/modules/$(ls /lib/modules | head -n 1)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$repo"
# reactor build only: nothing is installed into the shared ~/.m2
mvn -q -o -pl daemon,tests -DskipTests test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp"
cp="$repo/tests/target/test-classes:$repo/daemon/target/classes:$(cat "$work/cp")"

java -cp "$cp" org.lkmd.bench.AliasLookupBench --corpus "$dir" "$work/corpus"
gcc -O2 -o "$work/libkmod-lookup" "$here/libkmod-lookup.c" -lkmod

"$work/libkmod-lookup" "$dir" "$work/corpus" 5 | tee "$work/c.txt"
java -cp "$cp" org.openjdk.jmh.Main AliasLookupBench -p modulesDir="$dir" -rf csv -rff "$work/jmh.csv" \
    | grep -E '^(Benchmark|AliasLookupBench)'

c_ns=$(sed -n 's/.*rounds: \([0-9.]*\) ns.*/\1/p' "$work/c.txt")
j_ns=$(awk -F, 'NR==2 {gsub(/"/,"",$5); print $5}' "$work/jmh.csv")
echo "corpus: $(wc -l < "$work/corpus") concrete aliases from $dir/modules.alias"
awk -v c="$c_ns" -v j="$j_ns" 'BEGIN {
    printf "libkmod: %.3f us/lookup\nlkmd:    %.3f us/lookup\nratio:   %.1fx faster\n", c/1000, j/1000, c/j }'
