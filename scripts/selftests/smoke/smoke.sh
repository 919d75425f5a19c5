#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test: rdcache.ko loads, registers rdcachefs, mounts, unloads cleanly;
# the guest sees every vCPU QEMU was given and a real clocksource.

. /rdcache/ktap_helpers.sh

expected_cpus=$(sed -n 's/.*rdcache_cpus=\([0-9]*\).*/\1/p' /proc/cmdline)
cs=/sys/devices/system/clocksource/clocksource0/current_clocksource

ktap_print_header
ktap_set_plan 7

online_cpus() {
	n=$(grep -c '^processor' /proc/cpuinfo)
	ktap_print_msg "online CPUs: $n, expected: ${expected_cpus:-?}"
	[ -n "$expected_cpus" ] && [ "$n" -eq "$expected_cpus" ]
}
ktap_test_result "guest sees all $expected_cpus vCPUs" online_cpus

# Not jiffies.  A fast boot (KVM, or a kernel without debug options) reaches
# /init before the TSC is refined: tsc-early is the TSC too; under KVM the
# TSC-based kvm-clock is the usual one.
real_clocksource() {
	c=$(cat $cs)
	ktap_print_msg "clocksource: $c"
	case $c in tsc | tsc-early | hpet | kvm-clock) return 0 ;; esac
	return 1
}
ktap_test_result "clocksource is TSC-based or HPET, not jiffies" real_clocksource

ktap_test_result "insmod rdcache.ko" insmod /rdcache/rdcache.ko

ktap_test_result "rdcachefs listed in /proc/filesystems" grep -qw rdcachefs /proc/filesystems

mount_umount() {
	mkdir -p /mnt/smoke &&
		mount -t rdcachefs none /mnt/smoke &&
		grep -q ' /mnt/smoke rdcachefs ' /proc/mounts &&
		umount /mnt/smoke
}
ktap_test_result "mount and umount rdcachefs" mount_umount

ktap_test_result "rmmod rdcache" rmmod rdcache

gone() { ! grep -qw rdcachefs /proc/filesystems; }
ktap_test_result "rdcachefs gone from /proc/filesystems" gone

ktap_finished
