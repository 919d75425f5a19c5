#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Work items are bounded module-wide (rdcachefs MAX_LIVE_WORK, 64, the
# module queue's max_active): 8 mounts of 8 workers fill it, a 9th mount
# with workers fails with EBUSY and a log line instead of queueing workers
# behind others that run until their umount; after the umounts, a mount with
# workers works again.

. /rdcache/ktap_helpers.sh
. ./lib.sh

ktap_print_header
ktap_set_plan 3
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"

opts="depth=0,fanout=0,files=1,workers=8"
ok=1 i=1
while [ $i -le 8 ]; do
	mkdir -p /mnt/wl$i
	mount -t rdcachefs -o "$opts,seed=$i" none /mnt/wl$i || { ok=0 && ktap_print_msg "mount $i of 8 failed"; }
	i=$((i + 1))
done
if [ $ok = 1 ]; then
	ktap_test_pass "work-limit: 8 mounts of 8 workers fit"
else
	ktap_test_fail "work-limit: 8 mounts of 8 workers fit"
fi
mkdir -p /mnt/wl9
out=$(rdc-sys mount rdcachefs /mnt/wl9 "$opts,seed=9" 2>&1)
ktap_print_msg "9th mount: $out"
if echo "$out" | grep -q "errno EBUSY" && dmesg | grep -q "work items live module-wide already"; then
	ktap_test_pass "work-limit: a 9th mount with workers fails with EBUSY and says why"
else
	grep -qw /mnt/wl9 /proc/mounts && umount /mnt/wl9
	ktap_test_fail "work-limit: a 9th mount with workers fails with EBUSY and says why"
fi
i=1 ok=1
while [ $i -le 8 ]; do
	umount /mnt/wl$i || { ok=0 && ktap_print_msg "umount $i failed"; }
	i=$((i + 1))
done
if [ $ok = 1 ] && mount -t rdcachefs -o "$opts,seed=10" none /mnt/wl9 && umount /mnt/wl9; then
	ktap_test_pass "work-limit: after the umounts a mount with workers works again"
else
	ktap_test_fail "work-limit: after the umounts a mount with workers works again"
fi
ktap_finished
