# Helpers for guest scenarios (sourced by /init before each scenario; $SCENARIO is its name).
REL=$(uname -r)
MODDIR=/lib/modules/$REL
KMOD=/kmod/bin
# lkmd by full path always: busybox sh runs its own applets (insmod, lsmod...) before PATH
LK=/opt/lkmd/bin
result() { echo "LKMD-RESULT $SCENARIO/$1 $2 $3"; }
pass() { result "$1" PASS "${2:-ok}"; }
fail() { result "$1" FAIL "${2:-failed}"; }
# check NAME CMD...: PASS when CMD succeeds
check() {
    n=$1; shift
    if o=$("$@" 2>&1); then pass "$n"; else fail "$n" "rc=$? $* => $(echo "$o" | tail -3 | tr '\n' '|' | head -c 300)"; fi
}
# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
    if [ "$2" = "$3" ]; then pass "$1" "$(echo "$3" | head -c 120 | tr '\n' '|')"
    else fail "$1" "expected [$(echo "$2" | tr '\n' '|')] got [$(echo "$3" | tr '\n' '|')]"; fi
}
# modfile NAME: the module's file, from kmod's index
modfile() { "$KMOD/modinfo" -F filename "$1"; }
loaded() { grep -q "^$1 " /proc/modules; }
# run_both NAME ARGS...: runs `lkmd NAME ARGS` and kmod's NAME ARGS; compares exit code and stderr
# ($1 the check name prefix; messages compared after the program prefix, which both spell NAME:)
compare_tool() {
    check_name=$1; tool=$2; shift 2
    lk_err=$("$LK/$tool" "$@" 2>&1 >/dev/null); lk_rc=$?
    km_err=$("$KMOD/$tool" "$@" 2>&1 >/dev/null); km_rc=$?
    expect_eq "$check_name-rc" "$km_rc" "$lk_rc"
    expect_eq "$check_name-msg" "$km_err" "$lk_err"
}
