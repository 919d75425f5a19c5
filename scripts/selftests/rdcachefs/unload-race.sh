#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Module exit against the last work items: N cycles (default 200) of insmod,
# mount with 8 workers, umount, and rmmod at once.  A worker that runs the
# last ->kill_sb() itself may still be running when umount returns; rmmod
# must then either be refused (the superblock still pins the module: it is
# retried every 10 ms) or wait for the worker in destroy_workqueue(), never
# free module text under it.  On the KASAN kernel any such use after free is
# a splat, which the harness fails the test on.  linger=20 keeps every worker
# in module code for 20 ms after it stopped, so that window is wide.  The cycles run in rdc-sys,
# without a fork per step.
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
out=$(rdc-sys unload-race /rdcache/rdcache.ko $M "depth=2,fanout=3,files=2,workers=8,linger=20" "$cycles" 2>&1)
rc=$?
ktap_print_msg "$out"
if [ $rc -eq 0 ] && [ "$out" = "$(echo "$out" | grep "^cycles=$cycles retried=[0-9]*$")" ] && ! grep -qw rdcache /proc/modules; then
	ktap_test_pass "unload-race"
else
	ktap_test_fail "unload-race"
fi
ktap_finished
