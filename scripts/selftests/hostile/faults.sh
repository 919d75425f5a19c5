#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Systematic fault injection (Documentation/fault-injection/): for each
# operation, run it again and again with the 1st, 2nd, 3rd, ... fault
# injection point of the task failing (/proc/thread-self/fail-nth, through
# rdc-sys sweep), until a run reaches no more points.  failslab and
# fail_page_alloc both take part, GFP_KERNEL allocations included.  Every
# injected failure must come back as success or ENOMEM, never a splat (the
# host reads the kernel log); after each sweep nothing is left mounted, the
# inode counters balance and no callback came late; at the end kmemleak
# (in a boot with kmemleak=on) finds nothing.
#
#   faults.sh [quick|full [MAX]]   quick (make test): small trees, so that
#                                  each sweep has fewer points; at most MAX
#                                  points per operation (default 400)

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

size=${1:-quick}
max=${2:-400}
case $size in
quick) shape="depth=1,fanout=2,files=1" walk="1 2 1" entries=7 list=3 ;;
full) shape="depth=2,fanout=3,files=2" walk="2 3 2" entries=39 list=20 ;;
*) ktap_exit_fail_msg "faults.sh: '$size' is neither quick nor full" ;;
esac
M=/mnt/faults
DBG=/sys/kernel/debug
mkdir -p $M

ktap_print_header
# Six sweeps (or their skips), the totals, the rmmod and kmemleak.
ktap_set_plan 9
rdc_num max || ktap_exit_fail_msg "faults.sh: MAX '$max' is not a number"
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
[ -w /proc/self/fail-nth ] || ktap_exit_fail_msg "no /proc/self/fail-nth (CONFIG_FAULT_INJECTION_DEBUG_FS)"
# A setting that does not take leaves allocations out of the sweeps unseen.
for a in failslab fail_page_alloc; do
	echo N >$DBG/$a/ignore-gfp-wait || ktap_exit_fail_msg "cannot write $DBG/$a/ignore-gfp-wait"
	# One line per injected failure ("FAULT_INJECTION: forcing a failure"), no stack.
	echo 1 >$DBG/$a/verbose || ktap_exit_fail_msg "cannot write $DBG/$a/verbose"
done
echo 0 >$DBG/fail_page_alloc/min-order || ktap_exit_fail_msg "cannot write $DBG/fail_page_alloc/min-order"
echo N >$DBG/fail_page_alloc/ignore-gfp-highmem ||
	ktap_exit_fail_msg "cannot write $DBG/fail_page_alloc/ignore-gfp-highmem"
rdc_kmemleak_clear

# sweep NAME SETUP... -- COMMAND...: rdc-sys sweep runs COMMAND with fault
# point 1, 2, ... failing until a run reaches no point (each run in its own
# process); then the module-wide counters must balance.
sweep() {
	name=$1
	shift
	out=$(rdc-sys sweep "$max" "$@")
	rc=$?
	echo "$out" | grep -v "^point [0-9]*: \(ok\|errno ENOMEM\)" | while IFS= read -r line; do
		ktap_print_msg "$name: $line"
	done
	summary=$(echo "$out" | tail -1)
	if rdc_balanced && [ $rc = 0 ] && echo "$summary" | grep -q "enomem=[1-9]"; then
		ktap_test_pass "faults: $name: $summary; $RDC_TOTALS"
	else
		ktap_test_fail "faults: $name: $summary; $RDC_TOTALS"
	fi
}

# shellcheck disable=SC2086 # $walk is three words
# quick: a mount with workers goes through every allocation a plain one does.
if [ "$size" = full ]; then
	sweep "mount" unmount $M -- mount rdcachefs $M $shape
else
	ktap_test_skip "faults: mount without workers: make hostile only"
fi
sweep "mount with 4 workers" unmount $M -- mount rdcachefs $M $shape,workers=4,seed=7
sweep "lookup (walk of $entries entries)" mount rdcachefs $M $shape -- walk $M $walk
sweep "umount" mount rdcachefs $M $shape walk $walk -- umount $M
# The benchmarks (dispose; chain: KernMount with options, lookups, put,
# shrink) only in full: their shrink lists allocate nothing (put and shrink
# never do), but their set-up's error paths (KernMount, VVec, the batch)
# are theirs; in make test they took 153 to 191 points, half the time.
if [ "$size" = full ]; then
	sweep "shrink lists (bench dispose $list)" -- write $RDC_DEBUGFS/bench "dispose $list"
	sweep "shrink lists (bench chain $list)" -- write $RDC_DEBUGFS/bench "chain $list"
else
	ktap_test_skip "faults: shrink lists (bench dispose): make hostile only"
	ktap_test_skip "faults: shrink lists (bench chain): make hostile only"
fi

# After all that: nothing mounted, and the module-wide totals balance.
rdc_balanced
ok=$?
ktap_print_msg "totals after the sweeps: $RDC_TOTALS"
if [ $ok = 0 ]; then
	ktap_test_pass "faults: module-wide counters balance, nothing left mounted"
else
	ktap_test_fail "faults: module-wide counters balance, nothing left mounted"
fi
# The boot's later tests allocate with the defaults again.
for a in failslab fail_page_alloc; do
	echo Y >$DBG/$a/ignore-gfp-wait || ktap_exit_fail_msg "cannot restore $DBG/$a/ignore-gfp-wait"
done
if rdc_unload; then
	ktap_test_pass "faults: rmmod rdcache after the sweeps"
else
	ktap_test_fail "faults: rmmod rdcache after the sweeps"
fi
rdc_kmemleak_scan
case $? in
0) ktap_test_pass "kmemleak: no unreferenced object after the sweeps" ;;
2) ktap_test_skip "kmemleak is off in this boot" ;;
3) ktap_test_fail "kmemleak: booted with kmemleak=on but it is off (disabled itself?): no scan after the sweeps" ;;
*) ktap_test_fail "kmemleak: unreferenced objects after the sweeps (report in the kernel log)" ;;
esac
ktap_finished
