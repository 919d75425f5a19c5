#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every invalid mount option fails with EINVAL and a kernel log line that
# names it; every limit's largest value mounts (both sides of each limit).

. /rdcache/ktap_helpers.sh
. ./lib.sh

# option string|text the log line must contain
cases="foo=1|Unknown parameter 'foo'
depth=abc|Bad value for 'depth'
fanout=-1|Bad value for 'fanout'
files=0x10|Bad value for 'files'
depth=|Bad value for 'depth'
depth=4194305|option 'depth=4194305' out of range
fanout=65|option 'fanout=65' out of range
files=4097|option 'files=4097' out of range
depth=99999999999|Bad value for 'depth'
depth=1,depth=2|option 'depth' given twice
depth=8,fanout=64|more than 4194304
depth=4194304,fanout=1|more than 4194304
depth=4194304,fanout=1,files=0|describes 4194305 entries, more than 4194304
workers=9|option 'workers=9' out of range 0..=8
seed=4294967296|Bad value for 'seed'
namelen=65537|option 'namelen=65537' out of range 0..=65536
linger=1001|option 'linger=1001' out of range 0..=1000
scenario=8|option 'scenario=8' out of range 0..=7
slow_kill=100001|option 'slow_kill=100001' out of range 0..=100000
reentry=2|option 'reentry=2' out of range 0..=1
scenario=1,workers=1|scenario=1 runs its own workers
scenario=1,depth=0|scenario=1 needs d0 and f0
scenario=1,fanout=0|scenario=1 needs d0 and f0
scenario=1,files=0|scenario=1 needs d0 and f0"

# The other side of each limit: its largest value mounts (nothing is built
# until a lookup, so even the biggest shapes cost nothing here).
accepted="depth=4194304,fanout=0,files=0
depth=4194303,fanout=1,files=0
depth=1,fanout=64,files=0
depth=0,fanout=0,files=4096
workers=8,depth=1,fanout=1,files=1
seed=4294967295
namelen=65536
linger=1000
slow_kill=100000
reentry=1"

ktap_print_header
# One result per case, per accepted maximum, the defaults, and the rmmod.
ktap_set_plan $(($(echo "$cases" | wc -l) + $(echo "$accepted" | wc -l) + 2))
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/rdc

while IFS='|' read -r opt want; do
	dmesg -c >/dev/null
	out=$(mount -t rdcachefs -o "$opt" none /mnt/rdc 2>&1)
	rc=$?
	log=$(dmesg)
	if [ $rc -eq 0 ]; then
		ktap_test_fail "-o $opt is refused"
		# Later cases would mount on top of it.
		umount /mnt/rdc || ktap_exit_fail_msg "-o $opt mounted and umount failed"
		continue
	fi
	ktap_print_msg "-o $opt: $out"
	ktap_print_msg "   log: $(echo "$log" | grep -F "$want" | head -1)"
	if echo "$out" | grep -q "Invalid argument" && echo "$log" | grep -qF "$want"; then
		ktap_test_pass "-o $opt: EINVAL, log names it"
	else
		ktap_test_fail "-o $opt: EINVAL, log names it"
	fi
done <<EOF2
$cases
EOF2

while read -r opt; do
	if out=$(mount -t rdcachefs -o "$opt" none /mnt/rdc 2>&1); then
		if umount /mnt/rdc; then
			ktap_test_pass "-o $opt (a limit's largest value) mounts"
		else
			ktap_exit_fail_msg "-o $opt mounted and umount failed"
		fi
	else
		ktap_print_msg "-o $opt: $out; log: $(dmesg | tail -1)"
		ktap_test_fail "-o $opt (a limit's largest value) mounts"
	fi
done <<EOF3
$accepted
EOF3

# The defaults mount.
mounted=0
if mount -t rdcachefs none /mnt/rdc; then
	mounted=1
	if [ -d /mnt/rdc/d2 ] && [ ! -e /mnt/rdc/d3 ]; then
		ktap_test_pass "no options: default shape depth=2,fanout=3,files=2"
	else
		ktap_test_fail "no options: default shape depth=2,fanout=3,files=2"
	fi
else
	ktap_test_fail "no options: default shape depth=2,fanout=3,files=2"
fi
if [ $mounted = 1 ] && ! umount /mnt/rdc; then
	ktap_print_msg "umount of the defaults mount failed"
	ktap_test_fail "rmmod rdcache"
elif rdc_unload; then
	ktap_test_pass "rmmod rdcache"
else
	ktap_test_fail "rmmod rdcache"
fi
ktap_finished
