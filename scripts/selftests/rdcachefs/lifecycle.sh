#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rmmod is refused while a mount exists; two mounts keep independent
# counters; an unprivileged user cannot mount, nor read the counters.

. /rdcache/ktap_helpers.sh
. ./lib.sh

ktap_print_header
ktap_set_plan 5
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/a /mnt/b

mount -t rdcachefs -o depth=1,fanout=2,files=1 none /mnt/a || ktap_exit_fail_msg "mount a failed"
out=$(rmmod rdcache 2>&1)
rc=$?
ktap_print_msg "rmmod while mounted: rc=$rc: $out"
# delete_module(2) answers EWOULDBLOCK (EAGAIN) for a module in use.
if [ $rc -ne 0 ] && echo "$out" | grep -q "Resource temporarily unavailable" && grep -qw rdcachefs /proc/filesystems; then
	ktap_test_pass "rmmod while mounted fails (EAGAIN), module stays"
else
	ktap_test_fail "rmmod while mounted fails (EAGAIN), module stays"
fi

sa=$(rdc_last_sb)
mount -t rdcachefs -o depth=2,fanout=2,files=1 none /mnt/b || ktap_exit_fail_msg "mount b failed"
sb=$(rdc_last_sb)
la0=$(rdc_field "$sa" lookups)
lb0=$(rdc_field "$sb" lookups)
find /mnt/b >/dev/null
la1=$(rdc_field "$sa" lookups)
lb1=$(rdc_field "$sb" lookups)
ktap_print_msg "walking b: a's lookups $la0 -> $la1, b's $lb0 -> $lb1"
if rdc_num sa sb la0 la1 lb0 lb1 && [ "$sa" -ne "$sb" ] && [ "$la1" -eq "$la0" ] && [ "$lb1" -gt "$lb0" ]; then
	ktap_test_pass "two mounts keep independent counters"
else
	ktap_test_fail "two mounts keep independent counters"
fi

# busybox mount refuses non-root users itself; ask the kernel directly.
out=$(su -s /bin/sh nobody -c "rdc-sys mount rdcachefs /mnt/b" 2>&1)
rc=$?
ktap_print_msg "mount(2) as nobody: rc=$rc: $out"
if [ $rc -ne 0 ] && echo "$out" | grep -q "errno EPERM"; then
	ktap_test_pass "an unprivileged user cannot mount (EPERM)"
else
	ktap_test_fail "an unprivileged user cannot mount (EPERM)"
fi

out=$(su -s /bin/sh nobody -c "cat $RDC_DEBUGFS/counters" 2>&1)
rc=$?
ktap_print_msg "reading the counters as nobody: rc=$rc: $(echo "$out" | head -1)"
if [ $rc -ne 0 ]; then
	ktap_test_pass "an unprivileged user cannot read the counters"
else
	ktap_test_fail "an unprivileged user cannot read the counters"
fi

if ! umount /mnt/a /mnt/b; then
	ktap_print_msg "umount /mnt/a /mnt/b failed"
	ktap_test_fail "rmmod after umount"
elif rmmod rdcache && ! grep -qw rdcache /proc/modules; then
	ktap_test_pass "rmmod after umount"
else
	ktap_test_fail "rmmod after umount"
fi
ktap_finished
