# Parameters given to insmod arrive in /sys/module/<m>/parameters and take effect.
brd=$(modfile brd)
check insmod-brd-params "$LK/insmod" "$brd" rd_nr=2 rd_size=1024
expect_eq rd_nr 2 "$(cat /sys/module/brd/parameters/rd_nr 2>&1)"
expect_eq rd_size 1024 "$(cat /sys/module/brd/parameters/rd_size 2>&1)"
check ram1-exists test -b /dev/ram1
check rmmod-brd "$LK/rmmod" brd
dummy=$(modfile dummy)
check insmod-dummy-numdummies "$LK/insmod" "$dummy" numdummies=3
check dummy2-exists test -e /sys/class/net/dummy2
check rmmod-dummy "$LK/rmmod" dummy
