#!/usr/bin/env bash
# `lkmd static-nodes --format=tmpfiles --output=FILE` vs `kmod static-nodes` with the same
# arguments, both reading the Debian tree's modules.devname. kmod reads only
# /lib/modules/$(uname -r): both run in one private mount namespace where a tmpfs covers
# /lib/modules and a copy of the tree's modules.devname sits at the running release. Each run is
# timed from the shell (date +%s%N) around the whole process, alternating. lkmd runs through its
# launcher twice: without an AppCDS archive (LKMD_CDS_ARCHIVE=none) and with one made by lkmd-cds
# into a copy of the build (as the package does at install). Prints the median and minimum of
# each, the ratios of the medians, and checks that the outputs are identical.
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
mkdir -p "$work/cds"
cp daemon/target/lkmd daemon/target/lkmd.jar daemon/target/lkmd-cds "$work/cds/"
"$work/cds/lkmd-cds" >/dev/null 2>&1
lkmd=$work/cds/lkmd
echo "modules.devname of $rel: $(grep -vc '^#' "$work/tree/modules.devname") nodes; $runs runs each"
unshare -m sh -c '
    set -e
    mount -t tmpfs none /lib/modules
    mkdir "/lib/modules/$(uname -r)"
    mount --bind "$1" "/lib/modules/$(uname -r)"
    # one untimed run each: page cache warm for both
    kmod static-nodes --format=tmpfiles --output="$2/kmod.conf"
    LKMD_CDS_ARCHIVE=none "$3" static-nodes --format=tmpfiles --output="$2/lkmd.conf"
    "$3" static-nodes --format=tmpfiles --output="$2/lkmd-cds.conf"
    i=0
    while [ "$i" -lt "$4" ]; do
        t0=$(date +%s%N); kmod static-nodes --format=tmpfiles --output="$2/kmod.conf"; t1=$(date +%s%N)
        LKMD_CDS_ARCHIVE=none "$3" static-nodes --format=tmpfiles --output="$2/lkmd.conf"; t2=$(date +%s%N)
        "$3" static-nodes --format=tmpfiles --output="$2/lkmd-cds.conf"; t3=$(date +%s%N)
        echo "kmod $(( (t1 - t0) / 1000 ))" >>"$2/times"
        echo "lkmd $(( (t2 - t1) / 1000 ))" >>"$2/times"
        echo "lkmd-cds $(( (t3 - t2) / 1000 ))" >>"$2/times"
        i=$((i + 1))
    done
' sh "$work/tree" "$work" "$lkmd" "$runs"
cmp -s "$work/kmod.conf" "$work/lkmd.conf" && cmp -s "$work/kmod.conf" "$work/lkmd-cds.conf" && echo "outputs identical ($(wc -l <"$work/lkmd.conf") lines)" \
    || { echo "OUTPUTS DIFFER" >&2; diff "$work/kmod.conf" "$work/lkmd.conf" >&2 || true; exit 1; }
stat() { # TOOL -> "median min" in microseconds
    grep "^$1 " "$work/times" | cut -d' ' -f2 | sort -n | awk '{ v[NR] = $1 } END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%d %d\n", m, v[1] }'
}
read -r km kmin < <(stat kmod)
read -r lm lmin < <(stat lkmd)
read -r cm cmin < <(stat lkmd-cds)
ms() { echo "$1 / 1000" | bc -l; }
printf 'kmod static-nodes:            median %8.1f ms  min %8.1f ms\n' "$(ms "$km")" "$(ms "$kmin")"
printf 'lkmd static-nodes, no AppCDS: median %8.1f ms  min %8.1f ms  (%.1fx kmod)\n' "$(ms "$lm")" "$(ms "$lmin")" "$(echo "$lm / $km" | bc -l)"
printf 'lkmd static-nodes, AppCDS:    median %8.1f ms  min %8.1f ms  (%.1fx kmod)\n' "$(ms "$cm")" "$(ms "$cmin")" "$(echo "$cm / $km" | bc -l)"
echo "load: $(uptime)"
