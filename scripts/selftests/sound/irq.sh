#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sound/irq.sh: the dcache layer's context rule, made to fire in a hard
# interrupt.  rdcache's control command sound-irq-refusals
# (rust/rdcachefs/sound.rs) runs, in an hrtimer callback, lock_children()
# (must be None), try_lookup() (EDEADLK) and ShrinkList::put() (Refused,
# its reference leaked): d_lock is not IRQ-safe.  The two refusals WARN,
# naming themselves and the rule; the leaked d0 is what umount reports, and
# nothing else may appear (the host expects exactly these).  WeakSuper's
# try_activate() and is_gone() are refused too (its anchor's lock is not
# IRQ-safe either), each with a warning line, not a WARN.

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh
. ./lib.sh

ktap_print_header
ktap_set_plan 4
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
sound_run sound-irq-refusals \
	"in a hard interrupt: no guard, try_lookup() and put() refused (the module's own checks)"
n=0
for op in "DentryRef::try_lookup()" "ShrinkList::put()"; do
	echo "$log" | grep -F "dcache: $op" | grep -q 'outside task context refused: d_lock is not IRQ-safe' && n=$((n + 1))
done
warns=$(echo "$log" | grep -c 'outside task context refused: d_lock is not IRQ-safe')
ktap_print_msg "$warns refusal WARN(s), $n of the 2 named"
sound_check "both refusals WARNed once, naming themselves and the rule" eval '[ "$n" = 2 ] && [ "$warns" = 2 ]'
w=0
for op in "WeakSuper::try_activate()" "WeakSuper::is_gone()"; do
	echo "$log" | grep -qF "dcache: $op outside task context refused: its lock is not IRQ-safe" && w=$((w + 1))
done
sound_check "WeakSuper's two refusals logged, naming themselves and the rule" eval '[ "$w" = 2 ]'
ktap_print_msg "umount reported busy: $(sound_busy)"
sound_check "umount reported exactly the leaked d0" eval '[ "$(sound_busy)" = "d0 " ]'
ktap_finished
