#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, guest side: make the kernel splat on purpose.
#
#   splat.sh <trigger>     (a trigger of rust/selftest/rdcache_splat.c: warn,
#                           lockdep, lockdep-irq, kasan, hung, hung-io,
#                           rcu-stall, flood, ...; its header says which
#                           need a boot of their own)
#
# The test itself "passes"; it is the host's dmesg classifier that must turn
# it into a failure naming the splat, and the host reports that as the
# self-test passing.  Never run outside scripts/host/run.py.
#
# The host judges only the kernel-log lines between this test's start and
# end markers, so every report must be in the log before this script
# returns.  Most triggers report synchronously, inside insmod (rdcache_splat
# waits for its own threads where they are the ones to report: rcu-exp-stall,
# lockdep-held-exit, bug, null-deref, gpf).  The asynchronous ones, hung and
# hung-io (khungtaskd), are waited for by polling dmesg, bounded; so are the
# stalls, the soft lockup and the held-locks warning, as a check that they
# came.  A report that does not come within its bound fails the script with
# a message saying which (the self-test then fails for that reason, not for
# a missing kind).  flood's marker is on the console only: a fixed sleep.

. /rdcache/ktap_helpers.sh

kind=$1
ktap_print_header
ktap_set_plan 1

# kmsg_count ERE: how many kernel log lines match ERE now.
kmsg_count() {
	dmesg | grep -cE "$1"
}

# wait_kmsg ERE BEFORE SECONDS: poll dmesg once a second, at most SECONDS
# times, until more than BEFORE lines match ERE.  1 if that never happened.
wait_kmsg() {
	_wk_i=0
	while [ "$(kmsg_count "$1")" -le "$2" ]; do
		[ "$_wk_i" -ge "$3" ] && return 1
		sleep 1
		_wk_i=$((_wk_i + 1))
	done
	return 0
}

# hung_test TRIGGER ERE: a thread of TRIGGER sleeps uninterruptibly for 4 s
# with hung_task_timeout_secs at 1; wait (at most 8 s) for khungtaskd's
# report, then put the detector back as it was.
hung_test() {
	p=/proc/sys/kernel
	old_timeout=$(cat $p/hung_task_timeout_secs)
	old_warnings=$(cat $p/hung_task_warnings)
	# A boot has 10 reports by default; an earlier hung test may have used them.
	echo -1 >$p/hung_task_warnings
	echo 1 >$p/hung_task_timeout_secs
	n0=$(kmsg_count "$2")
	found=1
	if insmod /rdcache/rdcache_splat.ko trigger="$1" hung_ms=4000; then
		wait_kmsg "$2" "$n0" 8
		found=$?
		rmmod rdcache_splat
	else
		found=insmod
	fi
	# Put the detector back before anything can fail: later tests share the boot.
	echo "$old_timeout" >$p/hung_task_timeout_secs
	echo "$old_warnings" >$p/hung_task_warnings
	[ "$found" != insmod ] || ktap_exit_fail_msg "insmod failed"
	[ $found = 0 ] || ktap_exit_fail_msg "no hung-task report for $1 within 8 s"
}

case $kind in
hung)
	hung_test hung "INFO: task rdcache_hung:[0-9]+ blocked for more than"
	;;
hung-io)
	hung_test hung-io "INFO: task rdcache_hung_io:[0-9]+ blocked in I/O wait for more than"
	;;
rcu-stall | rcu-stall-irqsoff)
	# rcu-stall-irqsoff spins with interrupts off instead, so that another
	# CPU reports it.  A self-detected stall comes rcu_cpu_stall_timeout (clamped to >= 3 s)
	# + 5 s (PROVE_RCU) after a grace period starts: 3 + 5 s here, and the
	# module spins 12 s.  Needs 2 CPUs (the module says so otherwise).
	p=/sys/module/rcupdate/parameters
	old=$(cat $p/rcu_cpu_stall_timeout)
	echo 3 >$p/rcu_cpu_stall_timeout
	ere="rcu: INFO: rcu_preempt (self-detected stall on CPU|detected stalls on CPUs/tasks)"
	n0=$(kmsg_count "$ere")
	insmod /rdcache/rdcache_splat.ko trigger="$kind" stall_ms=12000
	rc=$?
	echo "$old" >$p/rcu_cpu_stall_timeout
	[ $rc = 0 ] || ktap_exit_fail_msg "insmod failed"
	rmmod rdcache_splat
	wait_kmsg "$ere" "$n0" 2 || ktap_exit_fail_msg "no RCU stall report during the 12 s spin"
	;;
rcu-exp-stall)
	# Expedited stalls: rcu_exp_cpu_stall_timeout in ms (+25% with PROVE_RCU),
	# 0 meaning "rcu_cpu_stall_timeout"; 1000 ms here, the module spins 4 s.
	p=/sys/module/rcupdate/parameters
	old=$(cat $p/rcu_exp_cpu_stall_timeout)
	echo 1000 >$p/rcu_exp_cpu_stall_timeout
	ere="rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks"
	n0=$(kmsg_count "$ere")
	insmod /rdcache/rdcache_splat.ko trigger=rcu-exp-stall stall_ms=4000
	rc=$?
	echo "$old" >$p/rcu_exp_cpu_stall_timeout
	[ $rc = 0 ] || ktap_exit_fail_msg "insmod failed"
	rmmod rdcache_splat
	wait_kmsg "$ere" "$n0" 2 || ktap_exit_fail_msg "no expedited RCU stall report during the 4 s spin"
	;;
softlockup)
	# The soft-lockup threshold is 2 * watchdog_thresh: 2 s here, the module
	# spins 5 s without touching the watchdog.
	p=/proc/sys/kernel/watchdog_thresh
	old=$(cat $p)
	echo 1 >$p
	ere="watchdog: BUG: soft lockup - CPU#[0-9]+ stuck for"
	n0=$(kmsg_count "$ere")
	insmod /rdcache/rdcache_splat.ko trigger=softlockup stall_ms=5000
	rc=$?
	echo "$old" >$p
	[ $rc = 0 ] || ktap_exit_fail_msg "insmod failed"
	rmmod rdcache_splat
	wait_kmsg "$ere" "$n0" 2 || ktap_exit_fail_msg "no soft-lockup report during the 5 s spin"
	;;
lockdep-held-exit)
	# The module waits until its thread is dead, after do_exit()'s check.
	ere="WARNING: rdcache_held/[0-9]+ still has locks held!"
	n0=$(kmsg_count "$ere")
	insmod /rdcache/rdcache_splat.ko trigger=lockdep-held-exit || ktap_exit_fail_msg "insmod failed"
	rmmod rdcache_splat
	wait_kmsg "$ere" "$n0" 2 || ktap_exit_fail_msg "no 'still has locks held' report"
	;;
flood)
	# Let the console print this test's start marker before the flood can
	# overwrite it in the log buffer.  The "** N printk messages dropped **"
	# marker is on the console only (not in dmesg), ahead of the end marker
	# in the console's order; the sleep after the flood lets the console work
	# off most of its backlog before the end marker is written.
	sleep 1
	insmod /rdcache/rdcache_splat.ko trigger=flood flood_lines=200000 || ktap_exit_fail_msg "insmod failed"
	rmmod rdcache_splat
	sleep 3
	;;
leak)
	# Needs a boot with kmemleak=on; the scan's report goes to the kernel log.
	. ../rdcachefs/lib.sh
	rdc_kmemleak_clear
	insmod /rdcache/rdcache_splat.ko trigger=leak || ktap_exit_fail_msg "insmod failed"
	rmmod rdcache_splat
	rdc_kmemleak_scan
	[ $? = 2 ] && ktap_exit_fail_msg "kmemleak is off: boot with kmemleak=on"
	;;
rust-panic)
	# A panic!() in rdcache.ko (its control file's selftest-panic): the
	# kernel's Rust panic handler BUG()s, which kills the writer (this
	# subshell), not the test.
	insmod /rdcache/rdcache.ko || ktap_exit_fail_msg "insmod rdcache.ko failed"
	(echo selftest-panic >/sys/kernel/debug/rdcache/control) 2>/dev/null
	;;
delayed-warn)
	# The WARN comes 1.5 s after this test has ended, from a work item: the
	# module stays loaded, and the boot lingers after its last test
	# (rdcache_linger=) so that the report lands outside every slice.
	insmod /rdcache/rdcache_splat.ko trigger=delayed-warn delay_ms=1500 || ktap_exit_fail_msg "insmod failed"
	;;
race)
	# Needs the KCSAN kernel: two threads race for a few seconds.
	insmod /rdcache/rdcache_splat.ko trigger=race || ktap_exit_fail_msg "insmod failed"
	sleep 5
	rmmod rdcache_splat
	;;
*)
	# Synchronous: the report is printed inside insmod.
	insmod /rdcache/rdcache_splat.ko trigger="$kind" || ktap_exit_fail_msg "insmod failed"
	rmmod rdcache_splat
	;;
esac
ktap_test_pass "splat $kind triggered"
ktap_finished
