# lkmd modprobe (the lead's resolver) loading real stacks, compared with kmod's modprobe in the
# same guest: the loaded set against `modprobe --show-depends`, options from modprobe.d and the
# kernel command line, install hooks, blacklisted aliases, and the kernel's request_module helper.
mods_of_show_depends() { "$KMOD/modprobe" --show-depends "$1" | awk '$1=="insmod"{n=$2; sub(/.*\//,"",n); sub(/\.ko.*/,"",n); gsub(/-/,"_",n); print n}' | sort; }
all_loaded() { for m in $1; do loaded "$m" || { echo "missing $m"; return 1; }; done; }

start_set=$(modset)

# snd-hda-intel: its whole stack (the intel-hda device makes it probe, too)
want=$(mods_of_show_depends snd-hda-intel)
check modprobe-snd-hda-intel "$LK/modprobe" snd-hda-intel
out=$(all_loaded "$want"); [ $? -eq 0 ] && pass snd-stack-loaded "$(echo $want | wc -w) modules" || fail snd-stack-loaded "$out"
expect_eq snd-stack-show-depends "$("$KMOD/modprobe" --show-depends snd-hda-intel)" "$("$LK/modprobe" --show-depends snd-hda-intel 2>&1)"

# virtio_net brings net_failover and failover
check modprobe-virtio-net "$LK/modprobe" virtio_net
for m in virtio_net net_failover failover; do check "$m-live" loaded $m; done

# options from modprobe.d and from the kernel command line (brd.rd_size=2048 is on it)
mkdir -p /etc/modprobe.d
echo "options brd rd_nr=3" >/etc/modprobe.d/lkmd-test.conf
check modprobe-brd-options "$LK/modprobe" brd
expect_eq modprobe.d-option 3 "$(cat /sys/module/brd/parameters/rd_nr 2>&1)"
expect_eq cmdline-option 2048 "$(cat /sys/module/brd/parameters/rd_size 2>&1)"

# request_module: the kernel runs lkmd's modprobe for fs-vfat when a vfat mount needs it
if ! loaded vfat && ! loaded fat; then
    echo /opt/lkmd/bin/modprobe >/proc/sys/kernel/modprobe
    mkdosfs /dev/ram0 >/dev/null 2>&1
    mkdir -p /mnt
    if mount -t vfat /dev/ram0 /mnt 2>/dev/null; then pass mount-vfat; umount /mnt; else fail mount-vfat "mount failed"; fi
    check request-module-vfat loaded vfat
    check request-module-fat loaded fat
    echo /sbin/modprobe >/proc/sys/kernel/modprobe
else
    fail request-module "fat/vfat already loaded before the test"
fi

# an install hook runs instead of the load, with MODPROBE_MODULE set
echo 'install dummy echo "$MODPROBE_MODULE" >/run/lkmd-hook.out' >/etc/modprobe.d/lkmd-hook.conf
check modprobe-install-hook "$LK/modprobe" dummy
expect_eq hook-ran dummy "$(cat /run/lkmd-hook.out 2>&1)"
loaded dummy && fail hook-instead-of-load "dummy was inserted" || pass hook-instead-of-load
rm -f /etc/modprobe.d/lkmd-hook.conf

# a blacklisted module is not loaded through an alias, but is by its name (as kmod does)
echo "blacklist dummy" >/etc/modprobe.d/lkmd-blacklist.conf
"$LK/modprobe" rtnl-link-dummy; lk_alias=$(loaded dummy && echo loaded || echo not-loaded)
"$LK/modprobe" -r dummy 2>/dev/null
"$KMOD/modprobe" rtnl-link-dummy; km_alias=$(loaded dummy && echo loaded || echo not-loaded)
"$LK/modprobe" -r dummy 2>/dev/null
expect_eq blacklist-alias "$km_alias" "$lk_alias"
expect_eq blacklist-alias-not-loaded not-loaded "$lk_alias"
check modprobe-blacklisted-by-name "$LK/modprobe" dummy
check blacklisted-by-name-live loaded dummy
rm -f /etc/modprobe.d/lkmd-blacklist.conf /etc/modprobe.d/lkmd-test.conf

# cleanup with lkmd modprobe -r (unused dependencies go too): back to the modules loaded at the start
check cleanup "$LK/modprobe" -r -a dummy vfat brd virtio_net snd_hda_intel
settle_modules
for m in dummy vfat fat brd virtio_net net_failover snd_hda_intel; do loaded $m && fail "cleanup-$m" || pass "cleanup-$m"; done
# what kmod's single dependency sweep leaves (failover, virtio_ring, the codec's stack) goes with lkmd's rmmod
restore_modules "$LK" "$start_set"
expect_eq cleanup-restores "$start_set" "$(modset)"
