# Failure paths, exit codes and messages compared with kmod's insmod/rmmod in the same guest.
vfat=$(modfile vfat); brd=$(modfile brd)
compare_tool missing-file insmod /lib/modules/nonexistent.ko
compare_tool unknown-symbol insmod "$vfat"
compare_tool bad-param insmod "$brd" rd_nr=notanumber
loaded brd && fail bad-param-not-loaded "brd loaded after a bad parameter" || pass bad-param-not-loaded
/kmod/bin/insmod "$brd" rd_nr=1
compare_tool already-loaded insmod "$brd"
# a module built into this kernel (modules.builtin) that has a /sys/module directory
builtin=$(sed 's|.*/||; s|\.ko$||' "$MODDIR/modules.builtin" | tr - _ | while read -r m; do
    [ -d "/sys/module/$m" ] && { echo "$m"; break; }; done)
if [ -n "$builtin" ]; then compare_tool rmmod-builtin rmmod "$builtin"; else fail rmmod-builtin "no builtin module with a sysfs dir"; fi
/kmod/bin/rmmod brd
compare_tool missing-filename insmod
compare_tool rmmod-missing-name rmmod
