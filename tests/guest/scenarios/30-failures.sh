# Failure paths, exit codes and messages compared with kmod's insmod/rmmod in the same guest.
vfat=$(modfile vfat); brd=$(modfile brd)
compare_tool missing-file insmod /lib/modules/nonexistent.ko
compare_tool unknown-symbol insmod "$vfat"
compare_tool bad-param insmod "$brd" rd_nr=notanumber
loaded brd && fail bad-param-not-loaded "brd loaded after a bad parameter" || pass bad-param-not-loaded
/kmod/bin/insmod "$brd" rd_nr=1
compare_tool already-loaded insmod "$brd"
compare_tool rmmod-builtin rmmod kernel 2>/dev/null
/kmod/bin/rmmod brd
compare_tool missing-filename insmod
compare_tool rmmod-missing-name rmmod
