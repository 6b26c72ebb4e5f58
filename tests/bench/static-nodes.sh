#!/usr/bin/env bash
# `lkmd static-nodes --format=tmpfiles --output=FILE` vs `kmod static-nodes` with the same
# arguments, both reading the Debian tree's modules.devname. kmod reads only
# /lib/modules/$(uname -r): both run in one private mount namespace where a tmpfs covers
# /lib/modules and a copy of the tree's modules.devname sits at the running release. Each run is
# timed from the shell (date +%s%N) around the whole process; lkmd runs through its launcher
# (daemon/target/lkmd, with whatever AppCDS archive the launcher finds). Prints the median and
# minimum of each and the ratio of the medians, and checks that the two outputs are identical.
# Usage: tests/bench/static-nodes.sh [RUNS]   (default 20; root, kmod and unshare needed)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20}
rel=$(ls /lib/modules | while read -r r; do [ -e "/lib/modules/$r/modules.devname" ] && echo "$r"; done | sort -V | tail -1)
[ -n "$rel" ] || { echo "no /lib/modules/<release>/modules.devname: install linux-image-amd64" >&2; exit 1; }
command -v kmod >/dev/null && command -v unshare >/dev/null || { echo "needs kmod and unshare" >&2; exit 1; }
[ -x daemon/target/lkmd ] || mvn -q -B -ntp -DskipTests -pl daemon package
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tree"
cp "/lib/modules/$rel/modules.devname" "$work/tree/"
lkmd=$PWD/daemon/target/lkmd
echo "modules.devname of $rel: $(grep -vc '^#' "$work/tree/modules.devname") nodes; $runs runs each"
unshare -m sh -c '
    set -e
    mount -t tmpfs none /lib/modules
    mkdir "/lib/modules/$(uname -r)"
    mount --bind "$1" "/lib/modules/$(uname -r)"
    # one untimed run each: page cache warm for both
    kmod static-nodes --format=tmpfiles --output="$2/kmod.conf"
    "$3" static-nodes --format=tmpfiles --output="$2/lkmd.conf"
    i=0
    while [ "$i" -lt "$4" ]; do
        t0=$(date +%s%N); kmod static-nodes --format=tmpfiles --output="$2/kmod.conf"; t1=$(date +%s%N)
        "$3" static-nodes --format=tmpfiles --output="$2/lkmd.conf"; t2=$(date +%s%N)
        echo "kmod $(( (t1 - t0) / 1000 ))" >>"$2/times"
        echo "lkmd $(( (t2 - t1) / 1000 ))" >>"$2/times"
        i=$((i + 1))
    done
' sh "$work/tree" "$work" "$lkmd" "$runs"
cmp -s "$work/kmod.conf" "$work/lkmd.conf" && echo "outputs identical ($(wc -l <"$work/lkmd.conf") lines)" \
    || { echo "OUTPUTS DIFFER" >&2; diff "$work/kmod.conf" "$work/lkmd.conf" >&2 || true; exit 1; }
stat() { # TOOL -> "median min" in microseconds
    grep "^$1 " "$work/times" | cut -d' ' -f2 | sort -n | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d %d\n", m, v[1] }'
}
read -r km kmin < <(stat kmod)
read -r lm lmin < <(stat lkmd)
printf 'kmod static-nodes: median %8.1f ms  min %8.1f ms\n' "$(echo "$km / 1000" | bc -l)" "$(echo "$kmin / 1000" | bc -l)"
printf 'lkmd static-nodes: median %8.1f ms  min %8.1f ms\n' "$(echo "$lm / 1000" | bc -l)" "$(echo "$lmin / 1000" | bc -l)"
printf 'ratio lkmd/kmod (medians): %.1fx\n' "$(echo "$lm / $km" | bc -l)"
echo "load: $(uptime)"
