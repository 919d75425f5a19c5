#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What an unprivileged user cannot do, and rmmod under load.

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

M=/mnt/priv
mkdir -p $M

ktap_print_header
ktap_set_plan 13
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
	if [ $rc -ne 0 ] && echo "$out" | grep -q "$pattern"; then
		ktap_test_pass "nobody: $what"
	else
		ktap_test_fail "nobody: $what"
	fi
}

expect_denied "mount(2) with workers=4 is EPERM" "rdc-sys mount rdcachefs $M workers=4" "errno EPERM"
expect_denied "fsopen(rdcachefs) is EPERM" "rdc-sys fsopen rdcachefs" "errno EPERM"
expect_denied "reading counters is EACCES" "cat $RDC_DEBUGFS/counters" "Permission denied"
expect_denied "writing control is EACCES" "rdc-sys write $RDC_DEBUGFS/control selftest-late" "errno EACCES"
expect_denied "writing bench is EACCES" "rdc-sys write $RDC_DEBUGFS/bench 'put 10'" "errno EACCES"
expect_denied "rmmod is EPERM" "rmmod rdcache" "not permitted"

# The control file's refusals, as root, on a fresh load (this boot runs no
# KUnit, so no rdcachefs superblock has died yet and no scenario worker is
# parked).
rdc_unload && rdc_load || ktap_exit_fail_msg "reloading rdcache.ko failed"
# expect_write WHAT COMMAND PATTERN: writing COMMAND gives PATTERN.
expect_write() {
	dmesg -c >/dev/null
	out=$(rdc-sys write $RDC_DEBUGFS/control "$2" 2>&1)
	ktap_print_msg "control '$(echo "$2" | head -c 20)...' (${#2} bytes): $out; log: $(dmesg | tail -1)"
	if echo "$out" | grep -q "$3"; then
		ktap_test_pass "control: $1"
	else
		ktap_test_fail "control: $1"
	fi
}
expect_write "selftest-late with no dead superblock is ENOENT" selftest-late "errno ENOENT"
expect_write "release with no parked worker is ENOENT" release "errno ENOENT"
# The length limit, both sides: 64 bytes are read (and trimmed to
# 'release', ENOENT as above), 65 are refused before being read.
pad=$(printf '%57s' '')
expect_write "a 64-byte command is read" "${pad}release" "errno ENOENT"
expect_write "a 65-byte command is EINVAL" " ${pad}release" "errno EINVAL"

# rmmod under load: a mount whose workers run, and a walk going on.
mount -t rdcachefs -o depth=3,fanout=4,files=3,workers=4,seed=3 none $M || ktap_exit_fail_msg "mount failed"
sb=$(rdc_last_sb)
(find $M >/dev/null 2>/tmp/privilege-walk.err) &
walker=$!
out=$(rmmod rdcache 2>&1)
rc=$?
ktap_print_msg "rmmod with a mount and 4 workers running: rc=$rc: $out"
wait $walker
walked=$?
[ $walked = 0 ] || ktap_print_msg "the walk beside the rmmod failed: rc=$walked: $(head -3 /tmp/privilege-walk.err)"
# delete_module(2) answers EWOULDBLOCK (EAGAIN) for a module in use.
if [ $rc -ne 0 ] && echo "$out" | grep -q "Resource temporarily unavailable" && [ $walked = 0 ] &&
	grep -qw rdcache /proc/modules; then
	ktap_test_pass "rmmod under load is refused"
else
	ktap_test_fail "rmmod under load is refused"
fi
umounted=1
umount $M || { umounted=0; ktap_print_msg "umount $M failed"; }
dead=1
rdc_wait_dead "$sb" >/dev/null || { dead=0; ktap_print_msg "superblock #$sb not dead 5 s after umount"; }
a=$(rdc_field "$sb" inodes_allocated) e=$(rdc_field "$sb" inodes_evicted)
if [ $umounted = 1 ] && [ $dead = 1 ] && rdc_num a e && [ "$a" -eq "$e" ]; then
	ktap_test_pass "the mount under load still balances ($a inodes)"
else
	ktap_test_fail "the mount under load still balances: allocated=$a evicted=$e"
fi
if rdc_unload; then
	ktap_test_pass "rmmod once unmounted"
else
	ktap_test_fail "rmmod once unmounted"
fi
ktap_finished
