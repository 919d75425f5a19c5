#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Work items are bounded module-wide (rdcachefs MAX_LIVE_WORK, 32, the
# module queue's max_active): 4 mounts of 8 workers fill it, a 5th mount
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
while [ $i -le 4 ]; do
	mkdir -p /mnt/wl$i
	mount -t rdcachefs -o "$opts,seed=$i" none /mnt/wl$i || { ok=0 && ktap_print_msg "mount $i of 4 failed"; }
	i=$((i + 1))
done
if [ $ok = 1 ]; then
	ktap_test_pass "work-limit: 4 mounts of 8 workers fit"
else
	ktap_test_fail "work-limit: 4 mounts of 8 workers fit"
fi
mkdir -p /mnt/wl5
said="work items live module-wide already"
n0=$(dmesg | grep -c "$said")
out=$(rdc-sys mount rdcachefs /mnt/wl5 "$opts,seed=5" 2>&1)
n1=$(dmesg | grep -c "$said")
ktap_print_msg "5th mount: $out"
if echo "$out" | grep -q "errno EBUSY" && rdc_num n0 n1 && [ "$n1" -gt "$n0" ]; then
	ktap_test_pass "work-limit: a 5th mount with workers fails with EBUSY and says why"
else
	grep -qw /mnt/wl5 /proc/mounts && umount /mnt/wl5
	ktap_test_fail "work-limit: a 5th mount with workers fails with EBUSY and says why"
fi
i=1 ok=1
while [ $i -le 4 ]; do
	umount /mnt/wl$i || { ok=0 && ktap_print_msg "umount $i failed"; }
	i=$((i + 1))
done
if [ $ok = 1 ] && mount -t rdcachefs -o "$opts,seed=6" none /mnt/wl5 && umount /mnt/wl5; then
	ktap_test_pass "work-limit: after the umounts a mount with workers works again"
else
	ktap_test_fail "work-limit: after the umounts a mount with workers works again"
fi
ktap_finished
