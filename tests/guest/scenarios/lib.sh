# Helpers for guest scenarios (sourced by /init before each scenario; $SCENARIO is its name).
REL=$(uname -r)
MODDIR=/lib/modules/$REL
KMOD=/kmod/bin
# lkmd by full path always: busybox sh runs its own applets (insmod, lsmod...) before PATH
LK=/opt/lkmd/bin
uptime_ms() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}0"; }
result() { echo "LKMD-RESULT $SCENARIO/$1 $2 $3"; LKMD_NCHECKS=$((LKMD_NCHECKS + 1)); }
# how many results the scenario printed, for the driver to see that none was lost on the console
LKMD_NCHECKS=0
trap 'echo "LKMD-CHECKS $SCENARIO n=$LKMD_NCHECKS"' EXIT
pass() { result "$1" PASS "${2:-ok}"; }
fail() { result "$1" FAIL "${2:-failed}"; }
# check NAME CMD...: PASS when CMD succeeds
check() {
    n=$1; shift
    c0=$(uptime_ms)
    if o=$("$@" 2>&1); then pass "$n" "ok $(($(uptime_ms) - c0)) ms"; else fail "$n" "rc=$? $* => $(echo "$o" | tail -3 | tr '\n' '|' | head -c 300)"; fi
}
# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1" "$(echo "$3" | head -c 120 | tr '\n' '|')"
    else fail "$1" "expected [$(echo "$2" | tr '\n' '|')] got [$(echo "$3" | tr '\n' '|')]"; fi
}
# modfile NAME: the module's file, from kmod's index
modfile() { "$KMOD/modinfo" -F filename "$1"; }
loaded() { grep -q "^$1 " /proc/modules; }
# no_libkmod_location: drops the "../libkmod/FILE.c:LINE FUNC() " that this kmod build puts in some
# libkmod messages (a build's debug detail, which lkmd does not imitate)
no_libkmod_location() { sed 's|\.\./libkmod/[^ ]*:[0-9]* [a-z_]*() ||'; }
# run_both NAME ARGS...: runs `lkmd NAME ARGS` and kmod's NAME ARGS; compares exit code and stderr
# ($1 the check name prefix; messages compared after the program prefix, which both spell NAME:)
compare_tool() {
    check_name=$1; tool=$2; shift 2
    lk_err=$("$LK/$tool" "$@" 2>&1 >/dev/null); lk_rc=$?
    km_err=$("$KMOD/$tool" "$@" 2>&1 >/dev/null); km_rc=$?
    km_err=$(echo "$km_err" | no_libkmod_location)
    expect_eq "$check_name-rc" "$km_rc" "$lk_rc"
    expect_eq "$check_name-msg" "$km_err" "$lk_err"
}
# --- modprobe load/remove helpers (60-62, 70) ----------------------------------------------------
# modset: the loaded modules, one name a line, sorted
modset() { awk '{print $1}' /proc/modules | sort; }
# settle_modules: waits (up to 20 s) until /proc/modules has not changed for 0.5 s: drivers probe
# asynchronously and may make the kernel request more modules after modprobe returned
settle_modules() {
    s_prev=$(modset); s_i=0
    while [ $s_i -lt 40 ]; do
        sleep 0.5; s_now=$(modset)
        [ "$s_now" = "$s_prev" ] && return 0
        s_prev=$s_now; s_i=$((s_i + 1))
    done
}
# compare_effect NAME SETUP TOOL ARGS...: runs SETUP (a command), then lkmd's TOOL ARGS; runs SETUP
# again, then kmod's; compares exit code, stderr and the loaded set afterwards (settled).
# Leaves lkmd's result in $lk_rc $lk_err $lk_set and kmod's in $km_rc $km_err $km_set; a NAME
# ending in -only-modules runs both and checks nothing (the caller compares what applies).
compare_effect() {
    ce_name=$1; ce_setup=$2; ce_tool=$3; shift 3
    $ce_setup
    lk_err=$("$LK/$ce_tool" "$@" 2>&1 >/dev/null); lk_rc=$?
    settle_modules; lk_set=$(modset)
    $ce_setup
    km_err=$("$KMOD/$ce_tool" "$@" 2>&1 >/dev/null); km_rc=$?
    km_err=$(echo "$km_err" | no_libkmod_location)
    settle_modules; km_set=$(modset)
    [ "$ce_name" = "${ce_name%-only-modules}" ] || return 0
    expect_eq "$ce_name-rc" "$km_rc" "$lk_rc"
    expect_eq "$ce_name-msg" "$km_err" "$lk_err"
    expect_eq "$ce_name-modules" "$km_set" "$lk_set"
}
# restore_modules TOOLDIR START_SET: unloads, with TOOLDIR's rmmod (several names a call), every
# module loaded now but not in START_SET, users first, until none is left (at most 12 passes: the sound stack is 8 deep)
restore_modules() {
    rm_pass=0
    while [ $rm_pass -lt 12 ]; do
        rm_extra=; for m in $(modset); do echo "$2" | grep -qx "$m" || rm_extra="$rm_extra $m"; done
        [ -z "$rm_extra" ] && return 0
        # only those nothing uses now: the rest go in a later pass
        rm_free=; for m in $rm_extra; do [ -z "$(ls /sys/module/$m/holders 2>/dev/null)" ] && rm_free="$rm_free $m"; done
        "$1/rmmod" ${rm_free:-$rm_extra} >/dev/null 2>&1
        rm_pass=$((rm_pass + 1))
    done
}
