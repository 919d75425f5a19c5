#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sound/guard.sh: the dcache layer's lock rule (rust/dcache/dentry.rs), made
# to fire.  rdcache's control command sound-guard-misuse
# (rust/rdcachefs/sound.rs) makes, under a ChildrenGuard, every call that
# could take a d_lock or i_lock and deadlock there.  Each must be refused
# with a WARN that names the call and the rule, or, for the guarded
# dentry itself, count under the held lock with no WARN.  The refused put
# (d1) and the refused drop (f0) leak their references, so umount reports
# those two by name, and nothing else (the host expects exactly these).

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh
. ./lib.sh

# The refused calls, as rdc_lock_rule_warn() names them.
REFUSED="DentryRef::try_lookup() DentryRef::lookup() DentryRef::create_child() DentryRef::mark_dontcache() DentryRef::name() DentryRef::parent() KernMount::new() KernMount::foreign() peer::dget_dput_loop() peer::dget_put_or_lock_loop() DputBatch::new() DentryRef::shrink_dcache_parent() DentryRef::d_invalidate() ShrinkList::shrink() ShrinkList::put() dput()"

ktap_print_header
ktap_set_plan 4
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
sound_run sound-guard-misuse "every call under the guard did what the rule says (the module's own checks)"
missing=
for op in $REFUSED; do
	echo "$log" | grep -F "dcache: $op" | grep -q 'while this CPU holds a dentry guard refused: .*include/linux/dcache.h' ||
		missing="$missing $op"
done
warns=$(echo "$log" | grep -c 'while this CPU holds a dentry guard refused')
ktap_print_msg "$warns refusal WARN(s); refusals not seen:${missing:- none}"
sound_check "each of the 16 refused calls WARNed once, naming itself and the rule" \
	eval '[ -z "$missing" ] && [ "$warns" = 16 ]'
ktap_print_msg "umount reported busy: $(sound_busy)"
sound_check "umount reported exactly the two leaked dentries, d1 and f0" eval '[ "$(sound_busy)" = "d1 f0 " ]'
sound_check "umount reported busy inodes of rdcachefs" \
	eval 'echo "$log" | grep -q "VFS: Busy inodes after unmount of .* (rdcachefs)"'
ktap_finished
