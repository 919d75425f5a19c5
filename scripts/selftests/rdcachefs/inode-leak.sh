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
ktap_set_plan 3
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/rdc

mount -t rdcachefs -o depth=1,fanout=2,files=1 none /mnt/rdc || ktap_exit_fail_msg "mount failed"
find /mnt/rdc >/dev/null || ktap_exit_fail_msg "find /mnt/rdc failed"
sb=$(rdc_last_sb)
u0=$(rdc_field total unbalanced)
injected=1
echo selftest-leak >$RDC_DEBUGFS/control || { injected=0; ktap_print_msg "writing selftest-leak failed"; }
umount /mnt/rdc || ktap_exit_fail_msg "umount failed"
u1=$(rdc_field total unbalanced)
al=$(rdc_field "$sb" inodes_allocated)
ev=$(rdc_field "$sb" inodes_evicted)
ktap_print_msg "superblock #$sb: allocated=$al evicted=$ev, unbalanced superblocks $u0 -> $u1"
if [ $injected = 1 ] && rdc_num sb u0 u1 al ev && [ "$u1" -eq $((u0 + 1)) ] && [ "$al" -eq $((ev + 1)) ]; then
	ktap_test_pass "the phantom allocation is reported at umount"
else
	ktap_test_fail "the phantom allocation is reported at umount"
fi

out=$(rdc-sys write $RDC_DEBUGFS/control selftest-leak 2>&1)
rc=$?
ktap_print_msg "selftest-leak with nothing mounted: rc=$rc: $out"
if [ $rc -ne 0 ] && echo "$out" | grep -q "errno ENOENT"; then
	ktap_test_pass "with nothing mounted there is nothing to unbalance (ENOENT)"
else
	ktap_test_fail "with nothing mounted there is nothing to unbalance (ENOENT)"
fi
if rdc_unload; then
	ktap_test_pass "rmmod rdcache"
else
	ktap_test_fail "rmmod rdcache"
fi
ktap_finished
