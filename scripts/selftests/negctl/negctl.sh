#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The negative control (guest side).  rdcache_negctl.ko holds a reference to
# a parent dentry across umount's ->kill_sb() and drops it afterwards: the
# seed's late ->d_iput() into a torn-down filesystem.  This test passes its
# own checks when the late callback is counted; the host then requires the
# kernel log to show the busy dentry, the busy inodes and the late callback,
# and reports harness/negative-control as passing only if all of them fired.

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

ktap_print_header
ktap_set_plan 2
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/neg
mount -t rdcachefs -o depth=2,fanout=2,files=1 none /mnt/neg || ktap_exit_fail_msg "mount failed"
ls /mnt/neg/d0/d1 >/dev/null || ktap_exit_fail_msg "ls /mnt/neg/d0/d1 failed"
sb=$(rdc_last_sb)
insmod /rdcache/rdcache_negctl.ko path=/mnt/neg/d0/d1 || ktap_exit_fail_msg "insmod rdcache_negctl.ko failed"
umounted=1
umount /mnt/neg || { umounted=0; ktap_print_msg "umount /mnt/neg failed"; }
state=$(sed -n "s/^sb $sb state=\([a-z]*\).*/\1/p" $RDC_DEBUGFS/counters)
ktap_print_msg "after umount: superblock #$sb is $state; releasing the held reference"
if [ $umounted = 1 ] && [ "$state" = dead ]; then
	ktap_test_pass "umount finished ->kill_sb() with the reference still held"
else
	ktap_test_fail "umount finished ->kill_sb() with the reference still held"
fi
dropped=0
if echo 1 >/sys/module/rdcache_negctl/parameters/release; then
	n=0
	while [ $n -lt 100 ]; do
		if [ "$(cat /sys/module/rdcache_negctl/parameters/dropped)" = 1 ]; then
			dropped=1
			break
		fi
		usleep 50000
		n=$((n + 1))
	done
	# The late iput() usually oopses on the freed superblock and kills the
	# dropping thread before it can say so: not reading 1 is expected.
	[ $dropped = 1 ] || ktap_print_msg "the dropping thread never reported back (it died in the late iput?)"
else
	ktap_exit_fail_msg "writing /sys/module/rdcache_negctl/parameters/release failed"
fi
late=$(rdc_field "$sb" late_callbacks)
ktap_print_msg "superblock #$sb: late callbacks $late"
if rdc_num late && [ "$late" -gt 0 ]; then
	ktap_test_pass "the late callback was counted"
else
	ktap_test_fail "the late callback was counted"
fi
ktap_finished
