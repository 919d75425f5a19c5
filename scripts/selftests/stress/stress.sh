#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Shrink-vs-umount stress: CYCLES times (argument, default 200) mount
# rdcachefs with workers that put references into private shrink lists under
# a spinlock and hold those lists, unpinned, while userspace walks the tree,
# waits a random while and unmounts (every fourth cycle lazily, umount -l),
# with drop_caches pressure in between.  After every cycle the superblock
# must end dead with allocated == evicted inodes and no late callback; over
# the run, umount must have left husks on some worker's list (the seed's
# interleaving), or the race was not exercised.

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

cycles=${1:-200}
# stress.sh 0 SECONDS: as many cycles as fit in SECONDS (make stress DURATION=...).
duration=${2:-0}
start=$(date +%s)
workers=${WORKERS:-2}
ktap_print_header
ktap_set_plan 4
rdc_num cycles duration workers || ktap_exit_fail_msg "usage: stress.sh [CYCLES [SECONDS]] (WORKERS=N)"
if [ "$cycles" -eq 0 ]; then cycles=1000000; fi
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/stress

bad=0 husk_cycles=0 i=1
while [ $i -le "$cycles" ]; do
	# Lets the host put any splat in its cycle.
	echo "rdcache-stress: cycle $i" >/dev/kmsg
	if ! mount -t rdcachefs -o "depth=2,fanout=3,files=2,workers=$workers,seed=$i" none /mnt/stress; then
		ktap_print_msg "cycle $i: mount failed"
		bad=$((bad + 1))
		break
	fi
	sb=$(rdc_last_sb)
	if ! err=$(find /mnt/stress 2>&1 >/dev/null); then
		ktap_print_msg "cycle $i: find /mnt/stress failed: $(echo "$err" | head -3)"
		bad=$((bad + 1))
	fi
	usleep $(( (i * 7919) % 20000 ))
	if [ $((i % 4)) -eq 0 ]; then
		umount -l /mnt/stress
	else
		umount /mnt/stress
	fi || {
		ktap_print_msg "cycle $i: umount failed"
		bad=$((bad + 1))
		break
	}
	# A worker that held the last pin runs ->kill_sb() after umount returns.
	if ! line=$(rdc_wait_dead "$sb"); then
		ktap_print_msg "cycle $i: superblock #$sb not dead 5 s after umount: $line"
		bad=$((bad + 1))
	else
		al=${line##* inodes_allocated=}; al=${al%% *}
		ev=${line##* inodes_evicted=}; ev=${ev%% *}
		late=${line##* late_callbacks=}; late=${late%% *}
		hl=${line##* husk_lists=}; hl=${hl%% *}
		if ! rdc_num al ev late hl || [ "$al" -ne "$ev" ] || [ "$late" -ne 0 ]; then
			ktap_print_msg "cycle $i: $line"
			bad=$((bad + 1))
		fi
		rdc_num hl >/dev/null && [ "$hl" -gt 0 ] && husk_cycles=$((husk_cycles + 1))
	fi
	if [ $((i % 4)) -eq 2 ] && ! rdc_drop_caches; then
		ktap_print_msg "cycle $i: writing /proc/sys/vm/drop_caches failed"
		bad=$((bad + 1))
	fi
	[ $((i % 50)) -eq 0 ] && ktap_print_msg "progress: $i cycles, $husk_cycles with husks, $bad bad"
	i=$((i + 1))
	if [ "$duration" -gt 0 ] && [ $(($(date +%s) - start)) -ge "$duration" ]; then
		cycles=$((i - 1))
		break
	fi
done

total=$(sed -n 1p $RDC_DEBUGFS/counters)
puts=$(rdc_field total worker_puts)
ktap_print_msg "$total"
ktap_print_msg "cycles=$((i - 1)) with_husks=$husk_cycles bad=$bad puts=$puts batches=$(rdc_field total worker_batches) husks=$(rdc_field total husks)"
if [ $((i - 1)) -eq "$cycles" ] && [ $bad -eq 0 ]; then
	ktap_test_pass "$cycles cycles: every superblock dead, inodes balanced, no late callback"
else
	ktap_test_fail "$cycles cycles: every superblock dead, inodes balanced, no late callback"
fi
if rdc_num puts && [ "$puts" -gt 0 ]; then
	ktap_test_pass "workers put references into their lists"
else
	ktap_test_fail "workers put references into their lists"
fi
if [ $husk_cycles -gt 0 ]; then
	ktap_test_pass "umount left husks on a worker's list in $husk_cycles of $cycles cycles"
else
	ktap_test_fail "umount left husks on a worker's list in $husk_cycles of $cycles cycles"
fi
if rdc_unload; then
	ktap_test_pass "rmmod after the stress"
else
	ktap_test_fail "rmmod after the stress"
fi
ktap_finished
