#!/bin/sh
# Whole-process benchmark: lkmd depmod vs kmod's depmod on a hard-linked copy of the installed
# module tree, same run, alternating, N repetitions each (default 5). Prints wall time and peak
# RSS per run (/usr/bin/time -v), then medians and the lkmd/kmod ratio.
# Usage: tests/bench/depmod.sh [REPS]   (build first: mvn -q -o -DskipTests package)
set -eu
reps=${1:-5}
here=$(cd "$(dirname "$0")/../.." && pwd)
lkmd="$here/daemon/target/lkmd"
[ -x "$lkmd" ] || { echo "build first: mvn -q -o -DskipTests package" >&2; exit 1; }
rel=$(ls /lib/modules | head -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for side in kmod lkmd; do
    mkdir -p "$work/$side/lib/modules"
    cp -al "/lib/modules/$rel" "$work/$side/lib/modules/"
done
echo "release $rel, $(find "$work/kmod" -name '*.ko*' | wc -l) modules, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

run() { # side command... -> prints "wall_seconds max_rss_kb"
    side=$1; shift
    /usr/bin/time -v "$@" -b "$work/$side" "$rel" 2>"$work/time.$side" >/dev/null
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.$side" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.$side")
    echo "$wall $rss"
}

# warm the page cache once for both
depmod -b "$work/kmod" "$rel" >/dev/null 2>&1
"$lkmd" depmod -b "$work/lkmd" "$rel" >/dev/null 2>&1

: >"$work/kmod.txt"; : >"$work/lkmd.txt"
i=1
while [ "$i" -le "$reps" ]; do
    k=$(run kmod depmod); echo "$k" >>"$work/kmod.txt"
    l=$(run lkmd "$lkmd" depmod); echo "$l" >>"$work/lkmd.txt"
    echo "run $i: kmod ${k% *} s ${k#* } KB | lkmd ${l% *} s ${l#* } KB"
    i=$((i + 1))
done
for f in kmod lkmd; do
    sort -n "$work/$f.txt" | awk -v n="$reps" -v name="$f" 'NR == int((n + 1) / 2) { print name, "median wall", $1, "s" }'
    sort -n -k2 "$work/$f.txt" | awk -v n="$reps" -v name="$f" 'NR == int((n + 1) / 2) { print name, "median peak RSS", $2, "KB" }'
done
km=$(sort -n "$work/kmod.txt" | awk -v n="$reps" 'NR == int((n + 1) / 2) { print $1 }')
lm=$(sort -n "$work/lkmd.txt" | awk -v n="$reps" 'NR == int((n + 1) / 2) { print $1 }')
awk -v k="$km" -v l="$lm" 'BEGIN { printf "ratio lkmd/kmod (median wall): %.2fx\n", l / k }'
if cmp -s "$work/kmod/lib/modules/$rel/modules.dep" "$work/lkmd/lib/modules/$rel/modules.dep"; then
    echo "outputs: modules.dep identical"
else
    echo "outputs: modules.dep DIFFERS"
fi
