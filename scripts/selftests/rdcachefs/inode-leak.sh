#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The inode balance check's self-test.  The control file counts one inode
# allocation that no inode backs on a mounted superblock; its umount must
# then report "rdcache: INODE LEAK" and count the superblock as unbalanced.
# That log line makes the host classifier fail this test, which the runner
# reports as the check's self-test passing (rdcachefs/detects-inode-leak).

. /rdcache/ktap_helpers.sh
. ./lib.sh

ktap_print_header
ktap_set_plan 2
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/rdc

mount -t rdcachefs -o depth=1,fanout=2,files=1 none /mnt/rdc || ktap_exit_fail_msg "mount failed"
find /mnt/rdc >/dev/null
sb=$(rdc_last_sb)
u0=$(rdc_field total unbalanced)
echo selftest-leak >$RDC_DEBUGFS/control
umount /mnt/rdc
u1=$(rdc_field total unbalanced)
al=$(rdc_field "$sb" inodes_allocated)
ev=$(rdc_field "$sb" inodes_evicted)
ktap_print_msg "superblock #$sb: allocated=$al evicted=$ev, unbalanced superblocks $u0 -> $u1"
[ "$u1" -eq $((u0 + 1)) ] && [ "$al" -eq $((ev + 1)) ] &&
	ktap_test_pass "the phantom allocation is reported at umount" ||
	ktap_test_fail "the phantom allocation is reported at umount"

if echo selftest-leak >$RDC_DEBUGFS/control 2>/dev/null; then
	ktap_test_fail "with nothing mounted there is nothing to unbalance (ENOENT)"
else
	ktap_test_pass "with nothing mounted there is nothing to unbalance (ENOENT)"
fi
rdc_unload
ktap_finished
