#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The late-callback detector's self-test.  After a clean umount, the control
# file replays a ->d_iput() for the dead superblock through the entry point
# the VFS uses; the detector must count it and log "rdcache: LATE CALLBACK".
# That log line makes the host classifier fail this test, which the runner
# reports as the detector's self-test passing (harness/detects-late-callback).

. /rdcache/ktap_helpers.sh
. ./lib.sh

ktap_print_header
ktap_set_plan 3
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/rdc

mount -t rdcachefs -o depth=1,fanout=1,files=1 none /mnt/rdc || ktap_exit_fail_msg "mount failed"
find /mnt/rdc >/dev/null || ktap_exit_fail_msg "find /mnt/rdc failed"
sb=$(rdc_last_sb)
umount /mnt/rdc || ktap_exit_fail_msg "umount failed"
state=$(sed -n "s/^sb $sb state=\([a-z]*\).*/\1/p" $RDC_DEBUGFS/counters)
before=$(rdc_field "$sb" late_callbacks)
replayed=1
echo selftest-late >$RDC_DEBUGFS/control || { replayed=0; ktap_print_msg "writing selftest-late failed"; }
after=$(rdc_field "$sb" late_callbacks)
total=$(rdc_field total late_callbacks)
ktap_print_msg "superblock #$sb ($state) late callbacks: $before -> $after (module: $total)"
if [ $replayed = 1 ] && [ "$state" = dead ] && rdc_num sb before after &&
	[ "$before" -eq 0 ] && [ "$after" -eq 1 ]; then
	ktap_test_pass "the replayed callback is counted late"
else
	ktap_test_fail "the replayed callback is counted late"
fi

out=$(rdc-sys write $RDC_DEBUGFS/control bogus 2>&1)
rc=$?
ktap_print_msg "writing 'bogus': rc=$rc: $out"
if [ $rc -ne 0 ] && echo "$out" | grep -q "errno EINVAL"; then
	ktap_test_pass "an unknown control command is refused (EINVAL)"
else
	ktap_test_fail "an unknown control command is refused (EINVAL)"
fi
if rdc_unload; then
	ktap_test_pass "rmmod rdcache"
else
	ktap_test_fail "rmmod rdcache"
fi
ktap_finished
