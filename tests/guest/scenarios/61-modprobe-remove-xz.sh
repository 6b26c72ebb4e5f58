# The same load/remove checks on the xz-recompressed tree /lib/modules/<rel>-xz (see build-image).
# /sys/module/compression lists what the kernel decompresses itself; without it, lkmd decompresses.
if [ -r /sys/module/compression ]; then pass decompression "in-kernel: $(cat /sys/module/compression)"
else pass decompression "user-space (no /sys/module/compression)"; fi
MP="-S $REL-xz" MP_ONLY_STACKS=1
. /scenarios/modprobe-remove.inc
