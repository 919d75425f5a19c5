#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Module exit against the last work items: N cycles (default 200) of insmod,
# mount with 8 workers, umount, and rmmod at once.  A worker that runs the
# last ->kill_sb() itself may still be running when umount returns; rmmod
# must then either be refused (the superblock still pins the module: it is
# retried) or wait for the worker in destroy_workqueue(), never free module
# text under it.  On the KASAN kernel any such use after free is a splat,
# which the harness fails the test on.
#
#   unload-race.sh [N]

. /rdcache/ktap_helpers.sh
. ./lib.sh

cycles=${1:-200}
M=/mnt/rdc-unload
mkdir -p $M

ktap_print_header
ktap_set_plan 1
rdc_num cycles || ktap_exit_fail_msg "usage: unload-race.sh [N]"
rdc_unload || ktap_exit_fail_msg "rdcache was loaded and rmmod failed before the cycles"
bad=0 retried=0 i=1
while [ $i -le "$cycles" ]; do
	if ! insmod /rdcache/rdcache.ko; then
		bad=$((bad + 1)) && ktap_print_msg "cycle $i: insmod failed"
		break
	fi
	if mount -t rdcachefs -o "depth=2,fanout=3,files=2,workers=8,seed=$i" none $M; then
		umount $M || { bad=$((bad + 1)) && ktap_print_msg "cycle $i: umount failed"; }
	else
		bad=$((bad + 1)) && ktap_print_msg "cycle $i: mount failed"
	fi
	# Immediately; if a worker still holds the superblock the module is
	# busy: try again for up to 10 s.
	tries=0
	until rmmod rdcache 2>/dev/null; do
		tries=$((tries + 1))
		if [ $tries -ge 1000 ]; then
			bad=$((bad + 1)) && ktap_print_msg "cycle $i: rmmod refused for 10 s"
			break 2
		fi
		sleep 0.01
	done
	[ $tries -gt 0 ] && retried=$((retried + 1))
	i=$((i + 1))
done
ktap_print_msg "$((i - 1)) cycles, $retried needed rmmod retried, $bad failures"
if [ "$bad" -eq 0 ] && [ "$i" -gt "$cycles" ]; then
	ktap_test_pass "unload-race"
else
	ktap_test_fail "unload-race"
fi
ktap_finished
