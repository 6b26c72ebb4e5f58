# The same load/remove checks on the zst-recompressed tree /lib/modules/<rel>-zst (see build-image).
# /sys/module/compression lists what the kernel decompresses itself; without it, lkmd decompresses.
if [ -r /sys/module/compression ]; then pass decompression "in-kernel: $(cat /sys/module/compression)"
else pass decompression "user-space (no /sys/module/compression)"; fi
MP="-S $REL-zst" MP_ONLY_STACKS=1
. /scenarios/modprobe-remove.inc
