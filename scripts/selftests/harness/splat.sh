#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, guest side: make the kernel splat on purpose.
#
#   splat.sh <warn|lockdep|kasan|sleep|hung|panic|leak|race>
#
# The test itself "passes"; it is the host's dmesg classifier that must turn
# it into a failure naming the splat, and the host reports that as the
# self-test passing.  Never run outside scripts/host/run-tests.py.

. /rdcache/ktap_helpers.sh

kind=$1
ktap_print_header
ktap_set_plan 1

if [ "$kind" = hung ]; then
	# The detector checks every hung_task_timeout_secs; sleep 4 s uninterruptibly
	# with a 1 s timeout and wait for the report.
	echo 1 >/proc/sys/kernel/hung_task_timeout_secs
	insmod /rdcache/rdcache_splat.ko trigger=hung hung_ms=4000 || ktap_exit_fail_msg "insmod failed"
	sleep 6
	rmmod rdcache_splat
	echo 30 >/proc/sys/kernel/hung_task_timeout_secs
elif [ "$kind" = leak ]; then
	# Needs a boot with kmemleak=on; the scan's report goes to the kernel log.
	. ../rdcachefs/lib.sh
	rdc_kmemleak_clear
	insmod /rdcache/rdcache_splat.ko trigger=leak || ktap_exit_fail_msg "insmod failed"
	rmmod rdcache_splat
	rdc_kmemleak_scan
	[ $? = 2 ] && ktap_exit_fail_msg "kmemleak is off: boot with kmemleak=on"
elif [ "$kind" = race ]; then
	# Needs the KCSAN kernel: two threads race for a few seconds.
	insmod /rdcache/rdcache_splat.ko trigger=race || ktap_exit_fail_msg "insmod failed"
	sleep 5
	rmmod rdcache_splat
else
	insmod /rdcache/rdcache_splat.ko trigger="$kind" || ktap_exit_fail_msg "insmod failed"
	rmmod rdcache_splat
fi
ktap_test_pass "splat $kind triggered"
ktap_finished
