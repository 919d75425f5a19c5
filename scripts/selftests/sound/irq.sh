#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sound/irq.sh: the dcache layer's context rule, made to fire in a hard
# interrupt.  rdcache's control command sound-irq-refusals
# (rust/rdcachefs/sound.rs) runs, in an hrtimer callback, lock_children()
# (must be None), try_lookup() (EDEADLK) and ShrinkList::put() (Refused,
# its reference leaked): d_lock is not IRQ-safe.  The two refusals WARN,
# naming themselves and the rule; the leaked d0 is what umount reports, and
# nothing else may appear (the host expects exactly these).

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

ktap_print_header
ktap_set_plan 3
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
dmesg -c >/dev/null
if echo sound-irq-refusals >$RDC_DEBUGFS/control; then
	ktap_test_pass "in a hard interrupt: no guard, try_lookup() and put() refused (the module's own checks)"
else
	ktap_test_fail "in a hard interrupt: no guard, try_lookup() and put() refused (the module's own checks)"
fi
log=$(dmesg)
echo "$log" | grep 'sound: ' | while IFS= read -r l; do ktap_print_msg "$l"; done
n=0
for op in "DentryRef::try_lookup()" "ShrinkList::put()"; do
	echo "$log" | grep -F "dcache: $op" | grep -q 'outside task context refused: d_lock is not IRQ-safe' && n=$((n + 1))
done
warns=$(echo "$log" | grep -c 'outside task context refused')
ktap_print_msg "$warns refusal WARN(s), $n of the 2 named"
if [ "$n" = 2 ] && [ "$warns" = 2 ]; then
	ktap_test_pass "both refusals WARNed once, naming themselves and the rule"
else
	ktap_test_fail "both refusals WARNed once, naming themselves and the rule"
fi
busy=$(echo "$log" | grep 'BUG: Dentry ' | sed -n 's/.*,n=\([^}]*\)}.*/\1/p' | tr '\n' ' ')
ktap_print_msg "umount reported busy: ${busy:-nothing}"
if [ "$busy" = "d0 " ]; then
	ktap_test_pass "umount reported exactly the leaked d0"
else
	ktap_test_fail "umount reported exactly the leaked d0"
fi
ktap_finished
