# xz- and zstd-compressed copies of a module: in-kernel decompression when /sys/module/compression
# names the algorithm (Linux 6.4+), else lkmd decompresses and uses init_module.
if [ -r /sys/module/compression ]; then
    pass kernel-compression "$(cat /sys/module/compression)"
else
    pass kernel-compression "none (no /sys/module/compression): user-space decompression"
fi
for f in /lkmd-test/compressed/dummy.ko.xz /lkmd-test/compressed/dummy.ko.zst; do
    ext=${f##*.}
    check insmod-$ext "$LK/insmod" "$f" numdummies=2
    check dummy1-$ext test -e /sys/class/net/dummy1
    expect_eq initstate-$ext live "$(cat /sys/module/dummy/initstate 2>&1)"
    compare_tool already-loaded-$ext insmod "$f"
    check rmmod-$ext "$LK/rmmod" "$f"
    loaded dummy && fail unloaded-$ext || pass unloaded-$ext
    # kmod's own insmod on the same file, as the reference
    check kmod-insmod-$ext "$KMOD/insmod" "$f"
    "$KMOD/rmmod" dummy
done
