#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The fuzzer (scripts/guest/rdc-fuzz.c): generated mount option strings
# through mount(2) and fsconfig(), and writes to the debugfs control file,
# each checked against a model of what the kernel must answer.  Seeds are
# printed; "rdc-fuzz MODE SEED 1 TARGET CASE" replays one case.
#
#   fuzz.sh [COUNT [SEED]]   COUNT cases of each (default 10000); SEED
#                            defaults to the boot's time

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

count=${1:-10000}
seed=${2:-$(date +%s)}
M=/mnt/fuzz
mkdir -p $M

ktap_print_header
ktap_set_plan 4
rdc_num count seed && [ "$count" -gt 0 ] || ktap_exit_fail_msg "usage: fuzz.sh [COUNT [SEED]], COUNT > 0"
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
ktap_print_msg "fuzz seed=$seed count=$count"

for mode in options control; do
	target=$M
	[ $mode = control ] && target=$RDC_DEBUGFS/control
	out=$(rdc-fuzz $mode "$seed" "$count" $target 2>&1)
	rc=$?
	echo "$out" | grep -v '^progress' | head -40 | while IFS= read -r line; do ktap_print_msg "$line"; done
	summary=$(echo "$out" | tail -1)
	# The summary is the last line only if the fuzzer ran to the end.
	if [ $rc = 0 ] && echo "$summary" | grep -q "^cases=[1-9][0-9]* ok=[0-9]* einval=[0-9]* mismatches=0$"; then
		ktap_test_pass "fuzz $mode: $summary"
	else
		ktap_test_fail "fuzz $mode: $summary"
	fi
done

# The fuzzer mounted and unmounted many superblocks: all must balance.
rdc_balanced
ok=$?
ktap_print_msg "totals: $RDC_TOTALS"
if [ $ok = 0 ]; then
	ktap_test_pass "fuzz: counters balance, nothing left mounted"
else
	ktap_test_fail "fuzz: counters balance, nothing left mounted"
fi
if rdc_unload; then
	ktap_test_pass "fuzz: rmmod rdcache"
else
	ktap_test_fail "fuzz: rmmod rdcache"
fi
ktap_finished
