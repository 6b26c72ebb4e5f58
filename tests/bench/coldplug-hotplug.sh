#!/bin/sh
# Guest benchmark: lkmd daemon vs systemd-udevd as the only hotplug agent of the same QEMU (TCG)
# machine, booted alternately, REPS boots each (default 3), through tests/guest/agent-run. AGENTS
# (default "udev lkmd") picks the boots of each round: udev, lkmd (its configured coldplug mode),
# lkmd-scan or lkmd-trigger (lkmd with --coldplug scan|trigger, kernel command line lkmd.coldplug=).
# Per boot, from the guest's clock:
#   coldplug  agent start (before its first process) to the last module going Live before the
#             first hot-add ("all coldplug drivers live"), and to the agent's own done signal
#             (lkmd: its Ready line; udev: udevadm settle returned)
# and from the host's clock, per hot-added device: device_add sent to the console line showing its
# last expected driver Live (the guest polls /proc/modules every 10 ms).
# For lkmd also: the JVM's share: `lkmd --version` wall time in the guest after the run, without and
# with the image's AppCDS archive, and from the daemon's Ready line the JVM's uptime and the time
# since Daemon.run() began (the difference is JVM, picocli and logback start-up), and a bare
# `java -version` (the floor no Java agent can go below). Prints each boot, then medians and lkmd/udev ratios.
# LKMD_AGENT_CMDLINE adds kernel command line words to every boot, e.g. lkmd.jopts=-Xint (JVM flags
# for lkmd, comma-separated, after the launcher's own).
# Usage: [AGENTS="udev lkmd-scan lkmd-trigger"] [LKMD_AGENT_CMDLINE=...] tests/bench/coldplug-hotplug.sh [REPS]
#        (build first: mvn -q -o -DskipTests package)
set -eu
reps=${1:-3}
# a loaded host can take longer than agent-run's 300 s default for one boot; a boot that still
# does not finish gives a row of "-" (no summary line) instead of ending the run silently
export LKMD_GUEST_TIMEOUT=${LKMD_GUEST_TIMEOUT:-900}
agents=${AGENTS:-udev lkmd}
here=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$here/daemon/target/lkmd.jar" ] || { echo "build first: mvn -q -o -DskipTests package" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/tests/guest/build-image" >/dev/null   # build or reuse the image before timing anything
echo "$(nproc) host cores, load $(cut -d' ' -f1-3 /proc/loadavg), QEMU TCG, 2 vCPUs"

# one boot -> one line: agent coldplug_last coldplug_done usb-kbd virtio-net-pci e1000 jvm_version jvm_version_cds
#                       jvm_up_at_ready daemon_run_to_ready java_version ("-" where it does not apply)
boot() {
    agent=$1
    log=$work/$agent.$2.log
    mode=${agent#lkmd-}
    [ "$mode" = "$agent" ] && mode=
    LKMD_AGENT_CMDLINE="${LKMD_AGENT_CMDLINE:-}${mode:+ lkmd.coldplug=$mode}" java --source 17 "$here/tests/guest/agent-run" "${agent%%-*}" >"$log" 2>&1 \
        || { echo "agent-run $agent failed, see below" >&2; tail -40 "$log" >&2; exit 1; }
    sum=$(grep -a 'LKMD-HOST summary' "$log" || true)
    last=$(echo "$sum" | sed -n 's/.*last_coldplug_driver_ms=\([0-9-]*\).*/\1/p')
    done_=$(echo "$sum" | sed -n 's/.*coldplug_done_ms=\([0-9-]*\).*/\1/p')
    hp() { grep -a "LKMD-HOST hotplug device=$1 " "$log" | sed -n 's/.* ok=true ms=\([0-9]*\).*/\1/p'; }
    kbd=$(hp usb-kbd); vnet=$(hp virtio-net-pci); e1k=$(hp e1000)
    # the run with the archive only counts when the JVM took it (cds=ok)
    jvm=$(grep -a 'LKMD-JVM' "$log" | sed -n -e 's/.*version_ms=\([0-9]*\) version_cds_ms=\([0-9]*\) cds=ok.*/\1 \2/p' \
        -e 's/.*version_ms=\([0-9]*\) version_cds_ms=[0-9]* cds=unusable.*/\1 -/p')
    floor=$(grep -a 'LKMD-JVM' "$log" | sed -n 's/.*java_version_ms=\([0-9]*\).*/\1/p')
    ready=$(grep -a 'LKMD-AGENT-LOG.*Ready:' "$log" | sed -n 's/.*JVM up \([0-9]*\) ms, \([0-9]*\) ms since start.*/\1 \2/p')
    echo "$agent ${last:--} ${done_:--} ${kbd:--} ${vnet:--} ${e1k:--} ${jvm:-- -} ${ready:-- -} ${floor:--}"
}

i=1
while [ "$i" -le "$reps" ]; do
    for agent in $agents; do
        boot "$agent" "$i" | tee -a "$work/rows"
    done
    i=$((i + 1))
done

# medians per column and agent, then lkmd/udev
awk '
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{ n[$1]++; for (c = 2; c <= 11; c++) v[$1, c, n[$1]] = $c }
END {
    split("coldplug_all_drivers_live coldplug_agent_done hotplug_usb-kbd hotplug_virtio-net-pci hotplug_e1000 jvm:lkmd_--version_no_archive jvm:same_with_AppCDS jvm:up_at_Ready daemon:run()_to_Ready jvm:java_-version", name, " ")
    # columns: each agent of the round in its order, then the ratio of each lkmd agent to udev
    na = split(agents, ag, " ")
    printf "\n%-28s", "median of " n[ag[1]] " boots (ms)"
    for (a = 1; a <= na; a++) printf " %12s", ag[a]
    for (a = 1; a <= na; a++) if (ag[a] != "udev") printf " %12s", ag[a] "/udev"
    printf "\n"
    for (c = 2; c <= 11; c++) {
        for (a = 1; a <= na; a++) { g = ag[a]; k = 0; for (r = 1; r <= n[g]; r++) if (v[g, c, r] != "-") { k++; x[k] = v[g, c, r] } m[g] = k ? median(x, k) : "-" }
        printf "%-28s", name[c-1]
        for (a = 1; a <= na; a++) printf " %12s", m[ag[a]]
        for (a = 1; a <= na; a++) if (ag[a] != "udev") printf " %12s", (m["udev"] != "-" && m[ag[a]] != "-" && m["udev"] > 0) ? sprintf("%.2f", m[ag[a]] / m["udev"]) : ""
        printf "\n"
    }
}' agents="$agents" "$work/rows"
echo "goals: coldplug (all drivers live) <= 0.5 x udev, hotplug <= 1.0 x udev"
