#!/usr/bin/env bash
# A storm of real kernel uevents against `lkmd daemon --simulate` on this machine (root only):
# uevent-storm.py writes "add UUID" to the uevent files of every device with a MODALIAS, N times in
# all, from several processes, as fast as the kernel takes them. Run once with the default receive
# buffer (128 MiB) and once with the smallest the config accepts (64 KiB) to force ENOBUFS
# (RUNS="default" or RUNS="small-buffer" for one of them).
# Prints, per run: events written, SEQNUM range, datagrams received, events handled, overflows,
# resyncs (log line + devices re-planned), time and events/s, and every SEQNUM of the range that the
# daemon did not handle. Usage: tests/bench/storm.sh [N] [PROCS]   (default 20000 4)
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-20000}
procs=${2:-4}
[ "$(id -u)" = 0 ] || { echo "needs root: writes to /sys/devices/*/uevent" >&2; exit 1; }
rel=$(ls /lib/modules | while read -r r; do [ -e "/lib/modules/$r/modules.dep" ] && echo "$r"; done | tail -1)
[ -x daemon/target/lkmd ] || mvn -q -B -ntp -DskipTests package
lkmd=daemon/target/lkmd
work=$(mktemp -d)
pid=; mon=
cleanup() { [ -n "$mon" ] && kill "$mon" 2>/dev/null; [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

make_root() { # DIR [RCVBUF]
    local r=$1
    mkdir -p "$r/lib/modules" "$r/proc" "$r/etc/lkmd/rules.d" "$r/run/lkmd/simulate"
    ln -s "/lib/modules/$rel" "$r/lib/modules/$rel"
    ln -s /sys "$r/sys"
    cp /proc/cmdline "$r/proc/cmdline"
    cp rules/80-lkmd-drivers.rules "$r/etc/lkmd/rules.d/"
    for d in etc/modprobe.d run/modprobe.d lib/modprobe.d usr/lib/modprobe.d; do
        [ -d "/$d" ] && { mkdir -p "$r/$(dirname $d)"; rm -rf "${r:?}/$d"; ln -s "/$d" "$r/$d"; }
    done
    printf '[coldplug]\nmode = "off"\n[reload]\nwatch = false\n' > "$r/etc/lkmd/lkmd.toml"
    [ -n "${2:-}" ] && printf '[netlink]\nreceive_buffer = %s\n' "$2" >> "$r/etc/lkmd/lkmd.toml"
    return 0
}

run() { # LABEL [RCVBUF]
    local label=$1 r="$work/$1"
    make_root "$r" "${2:-}"
    $lkmd daemon --root "$r" --simulate --coldplug off --kernel-release "$rel" >"$r/daemon.log" 2>&1 &
    pid=$!
    for _ in $(seq 600); do [ -S "$r/run/lkmd/control" ] && break; sleep 0.1; done
    $lkmd monitor --root "$r" >"$r/monitor.log" 2>&1 &
    mon=$!
    sleep 1
    local t0 t1
    t0=$(date +%s.%N)
    python3 tests/bench/uevent-storm.py "$n" "$procs" add >"$r/storm.json"
    # the events are in flight or queued: wait for the queue, then for a rescan the overflow started
    $lkmd settle --root "$r" -t 600 >/dev/null 2>&1 || true
    t1=$(date +%s.%N)
    for _ in 1 2 3; do sleep 1; $lkmd settle --root "$r" -t 600 >/dev/null 2>&1 || true; done
    $lkmd status --root "$r" --json >"$r/status.json" || { echo "no status; daemon log:" >&2; tail -20 "$r/daemon.log" >&2; exit 1; }
    sleep 1
    kill "$mon" 2>/dev/null; wait "$mon" 2>/dev/null || true; mon=
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
    python3 - "$label" "$r" "$t0" "$t1" "${2:-134217728}" "$work" <<'PY'
import json, re, sys
label, r, t0, t1, buf = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
storm = json.load(open(r + "/storm.json"))
st = json.loads(open(r + "/status.json").read())
seen, rescanned, planned, modules = set(), set(), {}, set()
line_re = re.compile(r"^LKMD\[[^]]*\] (\S+) (\S+) \(([^)]*)\) seq (-?\d+), [\d.]+ ms(.*)$")
for l in open(r + "/monitor.log"):
    m = line_re.match(l.strip())
    if not m:
        continue
    seq = int(m.group(4))
    for top, deps in re.findall(r": (\S+) dry_run(?: \(([^)]*)\))?", m.group(5)):
        modules.add(top)
        modules.update(deps.split())
    if seq < 0:
        rescanned.add(m.group(2))
        if "dry_run" in m.group(5):
            planned[m.group(2)] = m.group(5)
    else:
        seen.add(seq)
lo, hi = storm["seqnum_before"] + 1, storm["seqnum_after"]
missing = [s for s in range(lo, hi + 1) if s not in seen]
log = open(r + "/daemon.log").read()
secs = t1 - t0
handled = st["events"]
g = re.search(r"receive buffer (\d+) bytes", log)
print(f"== {label}: receive_buffer = {buf} (socket reports {g.group(1) if g else '?'})")
print(f"  written     {storm['written']} uevent writes ({storm['failed']} failed) to {storm['files']} modalias devices, "
      f"{storm['procs']} processes, {storm['write_seconds']} s = {storm['written'] / storm['write_seconds']:.0f} writes/s")
print(f"  kernel      SEQNUM {lo}..{hi}: {hi - lo + 1} uevents in the range")
print(f"  received    {st.get('received', '?')} datagrams, {st['delivered']} delivered, drops {st['drops'] or 'none'}")
print(f"  handled     {handled} events ({len(seen)} distinct SEQNUMs of the range seen by monitor)")
print(f"  overflows   {st['overflows']} ENOBUFS; resyncs {st['resyncs']} ({st['resynced_devices']} devices re-queued), "
      f"{len(rescanned)} devices re-handled by a rescan, {len(planned)} of them with a planned load")
print(f"  accounting  {len(missing)} SEQNUMs of the range not handled"
      + (" - explained by the overflow (events dropped by the kernel)" if missing and st['overflows'] else "")
      + (" - NOT explained: no overflow" if missing and not st['overflows'] else ""))
print(f"  time        {secs:.2f} s from first write to settled: {handled / secs:.0f} events/s handled")
print(f"  outcomes    {st['outcomes']}")
print(f"  planned     {len(modules)} distinct modules (with dependencies): {' '.join(sorted(modules))}")
open(sys.argv[6] + "/planned." + label, "w").write("\n".join(sorted(modules)) + "\n")
for l in log.splitlines():
    if "dropped uevents" in l or "Resynchronised" in l:
        print("  log:", l[:200])
        break
res = [l for l in log.splitlines() if "Resynchronised" in l]
if res:
    print("  log:", res[-1][:200], f"({len(res)} such lines)")
PY
}

echo "lkmd uevent storm: $n writes, $procs writer processes, kernel $(uname -r), modules $rel, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
runs=${RUNS:-default small-buffer}
case " $runs " in *" default "*) run default;; esac
case " $runs " in *" small-buffer "*) run small-buffer 65536;; esac
[ -e "$work/planned.default" ] && [ -e "$work/planned.small-buffer" ] || exit 0
if cmp -s "$work/planned.default" "$work/planned.small-buffer"; then
    echo "== the same modules were planned in both runs (the small-buffer run's rescan made up for the lost events)"
else
    echo "== planned modules differ between the runs:"; diff "$work/planned.default" "$work/planned.small-buffer" || true
fi
