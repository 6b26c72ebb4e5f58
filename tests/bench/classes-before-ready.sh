#!/usr/bin/env bash
# Classes the JVM loads from its start to READY=1, by origin, for the daemon's start the way the unit
# starts it (the unit's LKMD_JAVA_OPTS, the launcher, an AppCDS/AOT archive made here by lkmd-cds
# into a copy of the build). The JVM logs every class load to stderr (-Xlog:class+load) and the
# daemon logs "Told systemd READY=1" at debug level on the same stream, so the count is exact.
# notify-timer.py is the NOTIFY_SOCKET receiver, as systemd is for the unit.
# Usage: tests/bench/classes-before-ready.sh [JAVA_BIN [COLDPLUG]]   (default: java on PATH, off)
set -euo pipefail
cd "$(dirname "$0")/../.."
java=$(command -v "${1:-java}")
mode=${2:-off}
rel=$(ls /lib/modules | while read -r r; do [ -e "/lib/modules/$r/modules.dep" ] && echo "$r"; done | tail -1)
[ -x daemon/target/lkmd ] || mvn -q -B -ntp -DskipTests package
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
r=$work/root
mkdir -p "$r/lib/modules" "$r/proc" "$r/etc/lkmd/rules.d" "$work/cds"
ln -s "/lib/modules/$rel" "$r/lib/modules/$rel"; ln -s /sys "$r/sys"; cp /proc/cmdline "$r/proc/cmdline"
cp rules/80-lkmd-drivers.rules "$r/etc/lkmd/rules.d/"
printf '[reload]\nwatch = false\n' >"$r/etc/lkmd/lkmd.toml"
cp daemon/target/lkmd daemon/target/lkmd.jar daemon/target/lkmd-cds "$work/cds/"
unit=$(sed -n 's/^Environment=LKMD_JAVA_OPTS="\(.*\)"$/\1/p' systemd/lkmd.service | sed 's#/run/lkmd#'"$work"'#g')
LKMD_JAVA=$java LKMD_JAVA_OPTS="$unit" "$work/cds/lkmd-cds" >/dev/null
NOTIFY_TIMER_LOG=$work/log LKMD_JAVA=$java LKMD_LOG_LEVEL=debug \
    LKMD_JAVA_OPTS="$unit -Xlog:class+load=info:stderr:tags" \
    python3 tests/bench/notify-timer.py 1 300 -- "$work/cds/lkmd" daemon --root "$r" --simulate \
    --coldplug "$mode" --kernel-release "$rel" >"$work/timer.json"
grep -q 'Told systemd READY=1' "$work/log" || { echo "no READY=1:" >&2; cat "$work/timer.json" >&2; exit 1; }
echo "classes loaded before READY=1: $("$java" -version 2>&1 | head -1), coldplug $mode"
awk '/Told systemd READY=1/ {exit} /\[class,load\]/ {print}' "$work/log" | python3 -c '
import collections, re, sys
groups = collections.Counter()
shared = 0
for line in sys.stdin:
    m = re.search(r"\] (\S+) source: (.*)$", line)
    if not m:
        continue
    name, src = m.group(1), m.group(2)
    if "shared" in src:
        shared += 1
    for prefix, g in (("io.netty.", "netty"), ("ch.qos.logback.", "logback"), ("org.slf4j.", "slf4j"),
                      ("com.google.gson.", "gson"), ("com.moandjiezana.toml.", "toml4j"), ("com.sun.jna.", "JNA"),
                      ("picocli.", "picocli"), ("net.fornwall.jelf.", "jelf"), ("org.lkmd.", "lkmd"),
                      ("org.tukaani.", "xz"), ("io.airlift.", "aircompressor")):
        if name.startswith(prefix):
            groups[g] += 1
            break
    else:
        # JDK classes come from its image or the archive; the rest are made at run time
        groups["JDK" if src.startswith(("jrt:", "shared objects file")) else "generated (lambda forms, proxies)"] += 1
total = sum(groups.values())
print("total %d (%d from the archive)" % (total, shared))
for g, n in groups.most_common():
    print("  %-34s %5d" % (g, n))'
