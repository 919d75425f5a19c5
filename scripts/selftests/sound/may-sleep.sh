#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sound/may-sleep.sh: the dcache layer's own might_sleep() checks, made to
# fire.  rdcache's control command sound-may-sleep (rust/rdcachefs/sound.rs,
# may_sleep_in_atomic()) makes each call the layer documents as "may sleep"
# under a spinlock that no dentry guard knows of, on a path where nothing it
# calls sleeps, one call a second (the kernel prints one such report a
# second), each after a 'sound: may-sleep: CALL' line.  Each call must be
# followed by a "BUG: sleeping function called from invalid context"
# naming a line of the layer (rust/dcache/), not one of C's: a check
# deleted from the layer leaves the C callee's report, or none.  A callee's
# own check after the layer's, in the same second, is not printed (one
# report a second), and is not counted if it is.  Nothing may really sleep
# under the lock ("scheduling while atomic" and its kin, which the host
# counts as the same kind: this script checks), nothing else may appear
# (the host expects only these reports), and nothing leaks.

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh
. ./lib.sh

CALLS="DentryRef::parent()
DentryRef::lookup()
DentryRef::d_invalidate()
DentryRef::create_child()
ActiveSuper drop
InodeRef drop
DputBatch::new()
DputBatch::run()
ShrinkList::shrink()"
N=$(echo "$CALLS" | wc -l)

ktap_print_header
ktap_set_plan 4
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
sound_run sound-may-sleep "every call under a spinlock did what it must (the module's own checks)"
# Each call and the file:line of the first report after it, before the next call.
pairs=$(echo "$log" | awk '
	/sound: may-sleep: / { sub(/.*sound: may-sleep: /, ""); call = $0; next }
	/BUG: sleeping function called from invalid context at / && call != "" {
		sub(/.* invalid context at /, ""); print call " => " $0; call = "" }')
echo "$pairs" | while IFS= read -r _l; do ktap_print_msg "$_l"; done
missing=$(echo "$CALLS" | while IFS= read -r c; do
	echo "$pairs" | grep -F "$c => " | grep -q ' => \([^ ]*/\)\{0,1\}rust/dcache/[a-z_]*\.rs:[0-9]*$' ||
		printf '%s; ' "$c"
done)
ktap_print_msg "calls without a report at a line of the layer: ${missing:-none}"
sound_check "each of the $N calls reported by the layer's own line" eval '[ -z "$missing" ]'
ours=$(echo "$log" | grep -c 'BUG: sleeping function called from invalid context at .*rust/dcache/')
slept=$(echo "$log" | grep -c 'BUG: scheduling while atomic\|BUG: scheduling in a non-blocking section\|BUG: assuming \(atomic\|non migratable\) context\|do not call blocking ops')
ktap_print_msg "$ours report(s) at the layer's lines; $slept of a task that slept under the lock"
sound_check "one report of the layer's per call, and nothing slept" eval '[ "$ours" = "$N" ] && [ "$slept" = 0 ]'
sound_check "umount reported nothing busy" eval '! echo "$log" | grep -q "BUG: Dentry\|Busy inodes\|INODE LEAK"'
ktap_finished
