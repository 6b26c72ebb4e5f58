# Failure paths of lkmd modprobe against kmod's modprobe in the same guest, on the same state:
# exit codes and messages. Plus lkmd's own time limit on a hanging install command (kmod has none).
start_set=$(modset)
compare_tool no-name modprobe
compare_tool missing-module modprobe lkmd-no-such-module
compare_tool missing-module-quiet modprobe -q lkmd-no-such-module

# a dependency unloaded by hand: vfat without fat is missing symbols. insmod by path first...
vfat=$(modfile vfat)
check vfat-stack-load "$LK/modprobe" vfat
check rmmod-vfat "$LK/rmmod" vfat
check rmmod-fat-by-hand "$LK/rmmod" fat
compare_tool insmod-dep-gone insmod "$vfat"
# ...then modprobe on a copy of the tree whose modules.dep does not know vfat needs fat: the copy
# holds vfat.ko without fat.ko, and kmod's depmod wrote its indexes (vfat: no dependencies)
nodep=/run/lkmd-nodep
mkdir -p "$nodep$MODDIR/kernel/fs/fat"
cp "$vfat" "$nodep$MODDIR/kernel/fs/fat/"
cp "$MODDIR/modules.builtin" "$MODDIR/modules.builtin.modinfo" "$MODDIR/modules.order" "$nodep$MODDIR/"
"$KMOD/depmod" -b "$nodep" "$REL"
expect_eq nodep-modules.dep "kernel/fs/fat/vfat.ko:" "$(cat "$nodep$MODDIR/modules.dep")"
compare_tool unknown-symbol modprobe -d "$nodep" vfat
expect_eq unknown-symbol-wording "modprobe: ERROR: could not insert 'vfat': Unknown symbol in module, or unknown parameter (see dmesg)" "$lk_err"
loaded vfat && fail unknown-symbol-not-loaded || pass unknown-symbol-not-loaded
rm -rf "$nodep"

# a bad parameter value (brd.rd_size=2048 on the kernel command line is a good one)
compare_tool bad-param modprobe brd rd_nr=notanumber
loaded brd && fail bad-param-not-loaded || pass bad-param-not-loaded
# an unknown parameter: the kernel warns in dmesg and loads the module anyway
unload_brd() { "$KMOD/rmmod" brd 2>/dev/null; }
compare_effect unknown-param unload_brd modprobe brd lkmd_no_such_param=1
check unknown-param-loaded loaded brd
unload_brd

# an install command exiting non-zero
mkdir -p /etc/modprobe.d
echo 'install dummy exit 3' >/etc/modprobe.d/lkmd-fail.conf
compare_tool install-exit-3 modprobe dummy
loaded dummy && fail install-exit-3-not-loaded || pass install-exit-3-not-loaded
echo 'remove dummy exit 4' >/etc/modprobe.d/lkmd-fail.conf
check dummy-load-for-remove "$LK/modprobe" -i dummy
compare_tool remove-exit-4 modprobe -r dummy
compare_tool remove-exit-4-verbose modprobe -v -r dummy
check remove-failed-still-live loaded dummy
check dummy-remove-ignoring-hook "$LK/modprobe" -r -i dummy

# an install command that hangs: lkmd kills it, and whatever it started, at the time limit (measured
# from the moment the command started, so the JVM's start-up time does not count)
printf '#!/bin/sh\nread -r up _ </proc/uptime; echo "$up" >/run/lkmd-hang.start\nsleep 120\necho never\n' >/run/lkmd-hang.sh
chmod 755 /run/lkmd-hang.sh
echo 'install dummy /run/lkmd-hang.sh' >/etc/modprobe.d/lkmd-fail.conf
lk_err=$(LKMD_HOOK_TIMEOUT=3 "$LK/modprobe" dummy 2>&1 >/dev/null); lk_rc=$?
t1=$(uptime_ms)
read -r up0 </run/lkmd-hang.start; t0="${up0%.*}${up0#*.}0"
expect_eq hang-rc 1 "$lk_rc"
expect_eq hang-msg "modprobe: ERROR: Error running install command '/run/lkmd-hang.sh' for module dummy: timed out after 3000 ms, killed|modprobe: ERROR: could not insert 'dummy': Connection timed out" "$(echo "$lk_err" | tr '\n' '|' | sed 's/|$//')"
[ $((t1 - t0)) -ge 3000 ] && [ $((t1 - t0)) -lt 15000 ] && pass hang-killed-at-limit "$((t1 - t0)) ms from the command's start to modprobe's exit" || fail hang-killed-at-limit "$((t1 - t0)) ms"
ps -o pid,args | grep -q '[s]leep 120' && fail hang-no-leftover "$(ps -o pid,args | grep '[s]leep 120')" || pass hang-no-leftover
# kmod has no limit: under an 8 s timeout it is still waiting for the command
timeout 8 "$KMOD/modprobe" dummy >/dev/null 2>&1; km_rc=$?
[ "$km_rc" -ne 0 ] && [ "$km_rc" -ne 1 ] && pass kmod-hang-waits "kmod still waiting after 8 s (rc=$km_rc)" || fail kmod-hang-waits "rc=$km_rc"
for p in $(ps -o pid,args | awk '/[s]leep 120/{print $1}'); do kill "$p"; done
rm -f /etc/modprobe.d/lkmd-fail.conf /run/lkmd-hang.sh /run/lkmd-hang.start
loaded dummy && fail hang-not-loaded || pass hang-not-loaded
restore_modules "$LK" "$start_set"
expect_eq end-state-restored "$start_set" "$(modset)"
