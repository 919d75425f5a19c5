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
ktap_set_plan 2
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/rdc

mount -t rdcachefs -o depth=1,fanout=1,files=1 none /mnt/rdc && find /mnt/rdc >/dev/null && umount /mnt/rdc
sb=$(rdc_last_sb)
before=$(rdc_field "$sb" late_callbacks)
echo selftest-late >$RDC_DEBUGFS/control
after=$(rdc_field "$sb" late_callbacks)
total=$(rdc_field total late_callbacks)
ktap_print_msg "superblock #$sb late callbacks: $before -> $after (module: $total)"
[ "$before" -eq 0 ] && [ "$after" -eq 1 ] && ktap_test_pass "the replayed callback is counted late" ||
	ktap_test_fail "the replayed callback is counted late"

if echo bogus >$RDC_DEBUGFS/control 2>/dev/null; then
	ktap_test_fail "an unknown control command is refused (EINVAL)"
else
	ktap_test_pass "an unknown control command is refused (EINVAL)"
fi
rdc_unload
ktap_finished
