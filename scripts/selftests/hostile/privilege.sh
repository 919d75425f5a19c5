#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What an unprivileged user cannot do, and rmmod under load.

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

M=/mnt/priv
mkdir -p $M

ktap_print_header
ktap_set_plan 9
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"

# as_nobody CMD: run CMD as nobody; prints its output, returns its status.
as_nobody() {
	su -s /bin/sh nobody -c "$1" 2>&1
}

expect_denied() {
	what=$1 cmd=$2 pattern=$3
	out=$(as_nobody "$cmd")
	rc=$?
	ktap_print_msg "$what: rc=$rc: $(echo "$out" | head -1)"
	[ $rc -ne 0 ] && echo "$out" | grep -q "$pattern" && ktap_test_pass "nobody: $what" ||
		ktap_test_fail "nobody: $what"
}

expect_denied "mount(2) with workers=4 is EPERM" "rdc-sys mount rdcachefs $M workers=4" "errno EPERM"
expect_denied "fsopen(rdcachefs) is EPERM" "rdc-sys fsopen rdcachefs" "errno EPERM"
expect_denied "reading counters is EACCES" "cat $RDC_DEBUGFS/counters" "Permission denied"
expect_denied "writing control is EACCES" "rdc-sys write $RDC_DEBUGFS/control selftest-late" "errno EACCES"
expect_denied "writing bench is EACCES" "rdc-sys write $RDC_DEBUGFS/bench 'put 10'" "errno EACCES"
expect_denied "rmmod is EPERM" "rmmod rdcache" "not permitted"

# rmmod under load: a mount whose workers run, and a walk going on.
mount -t rdcachefs -o depth=3,fanout=4,files=3,workers=4,seed=3 none $M || ktap_exit_fail_msg "mount failed"
(find $M >/dev/null 2>&1) &
walker=$!
out=$(rmmod rdcache 2>&1)
rc=$?
ktap_print_msg "rmmod with a mount and 4 workers running: rc=$rc: $out"
wait $walker
[ $rc -ne 0 ] && grep -qw rdcache /proc/modules && ktap_test_pass "rmmod under load is refused" ||
	ktap_test_fail "rmmod under load is refused"
sb=$(rdc_last_sb)
umount $M
rdc_wait_dead "$sb" >/dev/null
a=$(rdc_field "$sb" inodes_allocated) e=$(rdc_field "$sb" inodes_evicted)
[ "$a" = "$e" ] && ktap_test_pass "the mount under load still balances ($a inodes)" ||
	ktap_test_fail "the mount under load still balances: allocated=$a evicted=$e"
rdc_unload && ! grep -qw rdcache /proc/modules && ktap_test_pass "rmmod once unmounted" ||
	ktap_test_fail "rmmod once unmounted"
ktap_finished
