# insmod of a real module stack by hand (fat, then vfat), lsmod against kmod's and busybox's,
# rmmod in the right order. No /tmp exists: JNA's native library must go elsewhere.
[ ! -e /tmp ] && pass no-tmp "running without /tmp"
fat=$(modfile fat); vfat=$(modfile vfat)
check insmod-fat "$LK/insmod" "$fat"
check insmod-vfat "$LK/insmod" "$vfat"
check fat-live loaded fat
check vfat-live loaded vfat
expect_eq fat-holders "vfat" "$(ls /sys/module/fat/holders)"
expect_eq fat-initstate live "$(cat /sys/module/vfat/initstate)"
expect_eq lsmod-vs-kmod "$($KMOD/lsmod)" "$($LK/lsmod)"
expect_eq lsmod-vs-busybox "$(busybox lsmod | awk 'NR>1{print $1, $3}')" "$($LK/lsmod | awk 'NR>1{print $1, $3}')"
compare_tool rmmod-in-use rmmod fat
check rmmod-vfat "$LK/rmmod" vfat
check rmmod-fat "$LK/rmmod" fat
if loaded fat || loaded vfat; then fail unloaded "$(cat /proc/modules)"; else pass unloaded; fi
compare_tool rmmod-not-loaded rmmod vfat
