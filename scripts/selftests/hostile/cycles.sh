#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load, mount (with workers), walk, umount, unload, N times (default 100):
# every cycle must work, and none may leave a trace: no module, filesystem
# type, debugfs directory or mount behind, and (in a boot with kmemleak=on)
# no unreferenced object.
#
#   cycles.sh [N]

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

cycles=${1:-100}
M=/mnt/cycles
mkdir -p $M

ktap_print_header
ktap_set_plan 3
rdc_num cycles || ktap_exit_fail_msg "usage: cycles.sh [N]"
# Every cycle's insmod needs the module out first.
rdc_unload || ktap_exit_fail_msg "rdcache was loaded and rmmod failed before the cycles"
rdc_kmemleak_clear
bad=0 i=1
while [ $i -le "$cycles" ]; do
	if ! insmod /rdcache/rdcache.ko; then
		bad=$((bad + 1))
		ktap_print_msg "cycle $i: insmod failed"
		break
	fi
	if mount -t rdcachefs -o "depth=2,fanout=3,files=2,workers=2,seed=$i" none $M; then
		out=$(rdc-sys walk $M 2 3 2 2>&1) || { bad=$((bad + 1)) && ktap_print_msg "cycle $i: walk failed: $out"; }
		sb=$(rdc_last_sb)
		if umount $M; then
			rdc_wait_dead "$sb" >/dev/null || { bad=$((bad + 1)) && ktap_print_msg "cycle $i: superblock #$sb not dead 5 s after umount"; }
			a=$(rdc_field "$sb" inodes_allocated) e=$(rdc_field "$sb" inodes_evicted)
			if ! rdc_num a e || [ "$a" -ne "$e" ]; then
				bad=$((bad + 1))
				ktap_print_msg "cycle $i: allocated=$a evicted=$e"
			fi
		else
			bad=$((bad + 1))
			ktap_print_msg "cycle $i: umount failed"
		fi
	else
		# Nothing to walk: $M is the bare directory.
		bad=$((bad + 1))
		ktap_print_msg "cycle $i: mount failed"
	fi
	if ! rmmod rdcache || grep -qw rdcache /proc/modules; then
		bad=$((bad + 1))
		ktap_print_msg "cycle $i: rmmod failed"
		break
	fi
	[ $((i % 25)) = 0 ] && ktap_print_msg "$i cycles, $bad failures"
	i=$((i + 1))
done
ran=$((i - 1))
if [ $bad = 0 ] && [ $ran = "$cycles" ]; then
	ktap_test_pass "$cycles load/mount/walk/umount/unload cycles"
else
	ktap_test_fail "$cycles load/mount/walk/umount/unload cycles: $ran ran, $bad failures"
fi

trace=
grep -qw rdcache /proc/modules && trace="$trace module"
grep -qw rdcachefs /proc/filesystems && trace="$trace filesystem-type"
[ -e $RDC_DEBUGFS ] && trace="$trace debugfs"
grep -q rdcachefs /proc/mounts && trace="$trace mount"
if [ -z "$trace" ]; then
	ktap_test_pass "no trace left: module, filesystem type, debugfs, mounts"
else
	ktap_test_fail "trace left:$trace"
fi

rdc_kmemleak_scan
case $? in
0) ktap_test_pass "kmemleak: no unreferenced object after $ran cycles" ;;
2) ktap_test_skip "kmemleak is off in this boot" ;;
3) ktap_test_fail "kmemleak: booted with kmemleak=on but it is off (disabled itself?): no scan after $ran cycles" ;;
*) ktap_test_fail "kmemleak: unreferenced objects after $ran cycles (report in the kernel log)" ;;
esac
ktap_finished
