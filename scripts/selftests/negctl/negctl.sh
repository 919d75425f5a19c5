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
ls /mnt/neg/d0/d1 >/dev/null
sb=$(rdc_last_sb)
insmod /rdcache/rdcache_negctl.ko path=/mnt/neg/d0/d1 || ktap_exit_fail_msg "insmod rdcache_negctl.ko failed"
umount /mnt/neg
state=$(sed -n "s/^sb $sb state=\([a-z]*\).*/\1/p" $RDC_DEBUGFS/counters)
ktap_print_msg "after umount: superblock #$sb is $state; releasing the held reference"
[ "$state" = dead ] && ktap_test_pass "umount finished ->kill_sb() with the reference still held" ||
	ktap_test_fail "umount finished ->kill_sb() with the reference still held"
echo 1 >/sys/module/rdcache_negctl/parameters/release
n=0
while [ "$(cat /sys/module/rdcache_negctl/parameters/dropped)" != 1 ] && [ $n -lt 100 ]; do
	usleep 50000
	n=$((n + 1))
done
late=$(rdc_field "$sb" late_callbacks)
ktap_print_msg "superblock #$sb: late callbacks $late"
[ "${late:-0}" -gt 0 ] && ktap_test_pass "the late callback was counted" ||
	ktap_test_fail "the late callback was counted"
ktap_finished
