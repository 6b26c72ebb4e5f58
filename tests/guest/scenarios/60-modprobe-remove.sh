# lkmd modprobe -r on the running kernel's own tree (see modprobe-remove.inc).
MP=
. /scenarios/modprobe-remove.inc
