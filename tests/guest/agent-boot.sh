# Guest side of an agent boot (/agent/boot.sh, sourced by /init when the kernel command line has
# lkmd.agent=lkmd or lkmd.agent=udev). The guest runs with that one hotplug agent, coldplugs, then
# waits for the host (tests/guest/agent-run), which hot-adds devices over QMP and finally writes
# "finish" on the serial console. Console lines (uptime_ms = guest uptime, 10 ms resolution):
#   LKMD-MOD name uptime_ms=N [pre]         a module became Live in /proc/modules ("pre": before the agent)
#   LKMD-AGENT start agent=A uptime_ms=N    just before the agent's first process starts
#   LKMD-AGENT coldplug-done agent=A uptime_ms=N   lkmd: its "Ready:" log line; udev: udevadm settle returned
#   LKMD-AGENT udev-trigger subsystems_ms=N devices_ms=N   udev only: how long each udevadm trigger took
#   LKMD-MODULES phase name...              sorted /proc/modules names (phase coldplug or final)
#   LKMD-JVM version_ms=N version_cds_ms=N cds=ok|unusable java_version_ms=N   lkmd only, after the
#                                           run: `lkmd --version` wall time (JVM start cost) without and
#                                           with the AppCDS archive, and `java -version`'s (the floor)
#   LKMD-DEV bus device driver=D|-          after finish: each device with a modalias and its bound driver
#   LKMD-AGENT-LOG [uptime_ms] line                     the agent's own log (lkmd's stderr), at the end
#   LKMD-AGENT-END agent=A                  the guest is about to power off
# lkmd.jopts=FLAG,FLAG... on the kernel command line (LKMD_AGENT_CMDLINE of agent-run) adds JVM flags
# to lkmd's, e.g. lkmd.jopts=-Xlog:class+load:file=/run/cl.log for a measurement; lkmd.loglevel=debug
# sets its log level (LKMD_LOG_LEVEL) to see where the time of an event goes.
# Both agents get the same kernel module helper (kmod's modprobe) for request_module, and no
# uevent helper: the agent under test is the only thing reacting to uevents.
agent_ms() { read -r up _ </proc/uptime; ms="${up%.*}${up#*.}0"; }
modules_now() { cut -d" " -f1 /proc/modules | sort | tr '\n' ' '; }

# One pass over /proc/modules: prints the modules that became Live since the last pass ($seen).
scan_modules() {
    while read -r m _ _ _ st _; do
        [ "$st" = Live ] || continue
        case "$seen" in *" $m "*) continue ;; esac
        seen="$seen$m "
        agent_ms
        echo "LKMD-MOD $m uptime_ms=$ms $1"
    done </proc/modules
}

[ -w /proc/sys/kernel/hotplug ] && echo "" >/proc/sys/kernel/hotplug
echo /kmod/bin/modprobe >/proc/sys/kernel/modprobe
seen=" "
scan_modules pre
( while :; do scan_modules; usleep 10000; done ) &
watcher=$!

agent_ms
echo "LKMD-AGENT start agent=$agent uptime_ms=$ms"
case "$agent" in
lkmd)
    mkdir -p /run/lkmd
    # the image's AppCDS archive for lkmd.jar (build-image); the JVM ignores it if it does not fit
    [ -f /opt/lkmd/lkmd.jsa ] && export LKMD_JAVA_OPTS="-XX:SharedArchiveFile=/opt/lkmd/lkmd.jsa"
    export LKMD_JAVA_OPTS="$LKMD_JAVA_OPTS $(sed -n 's/.*lkmd\.jopts=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' ')"
    level=$(sed -n 's/.*lkmd\.loglevel=\([a-z]*\).*/\1/p' /proc/cmdline)
    [ -n "$level" ] && export LKMD_LOG_LEVEL="$level"
    # the reader stamps the Ready line the moment lkmd writes it, and keeps the log for the end
    # lkmd.coldplug=trigger|scan on the kernel command line picks lkmd's coldplug mode (default: its config's)
    mode=$(sed -n 's/.*lkmd\.coldplug=\([a-z]*\).*/\1/p' /proc/cmdline)
    ( /opt/lkmd/lkmd daemon ${mode:+--coldplug "$mode"} 2>&1 | while IFS= read -r line; do
        agent_ms
        case "$line" in *"Ready:"*) agent_ms; echo "LKMD-AGENT coldplug-done agent=lkmd uptime_ms=$ms"; : >/run/agent-ready ;; esac
        echo "$ms $line" >>/run/agent.log
      done ) &
    n=0
    while [ ! -e /run/agent-ready ] && [ $n -lt 12000 ]; do usleep 10000; n=$((n + 1)); done
    ;;
udev)
    /lib/systemd/systemd-udevd --daemon --resolve-names=never >>/run/agent.log 2>&1
    agent_ms; t0=$ms
    udevadm trigger --type=subsystems --action=add >>/run/agent.log 2>&1
    agent_ms; t1=$ms
    udevadm trigger --type=devices --action=add >>/run/agent.log 2>&1
    agent_ms
    echo "LKMD-AGENT udev-trigger subsystems_ms=$((t1 - t0)) devices_ms=$((ms - t1))"
    udevadm settle --timeout=120 >>/run/agent.log 2>&1
    agent_ms
    echo "LKMD-AGENT coldplug-done agent=udev uptime_ms=$ms"
    ;;
*)
    echo "LKMD-AGENT unknown agent=$agent"
    ;;
esac
echo "LKMD-MODULES coldplug $(modules_now)"

# the host hot-adds devices now; it says "finish" when done (or we give up after 5 minutes)
while read -r -t 300 cmd; do
    [ "$cmd" = finish ] && break
done
echo "LKMD-MODULES final $(modules_now)"
kill "$watcher" 2>/dev/null
if [ "$agent" = lkmd ]; then
    # the JVM's start-up cost apart: `lkmd --version` without (LKMD_CDS_ARCHIVE=none: the launcher
    # would find /opt/lkmd/lkmd.jsa beside it), then with the AppCDS archive (-Xshare:on fails loudly
    # if the archive does not fit: cds=unusable)
    agent_ms; t0=$ms
    LKMD_JAVA_OPTS= LKMD_CDS_ARCHIVE=none /opt/lkmd/lkmd --version >/dev/null 2>&1
    agent_ms; t1=$ms
    cds=unusable
    LKMD_JAVA_OPTS="-XX:SharedArchiveFile=/opt/lkmd/lkmd.jsa -Xshare:on" /opt/lkmd/lkmd --version >/dev/null 2>&1 && cds=ok
    agent_ms; t2=$ms
    # the floor: a JVM that runs none of our code, with the JDK's own class-data archive
    /opt/jre/bin/java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -version >/dev/null 2>&1
    agent_ms
    echo "LKMD-JVM version_ms=$((t1 - t0)) version_cds_ms=$((t2 - t1)) cds=$cds java_version_ms=$((ms - t2))"
fi
# which driver each device with a modalias got (boot-time and hot-added devices alike)
for d in /sys/bus/*/devices/*; do
    [ -f "$d/modalias" ] || continue
    drv=-
    [ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
    bus=${d#/sys/bus/}
    echo "LKMD-DEV ${bus%%/*} ${d##*/} driver=$drv"
done
[ -f /run/agent.log ] && while IFS= read -r line; do echo "LKMD-AGENT-LOG $line"; done </run/agent.log
echo "LKMD-AGENT-END agent=$agent"
