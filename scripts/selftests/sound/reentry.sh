#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sound/reentry.sh: the dcache layer's directory-lock rule, made to fire.
# On a reentry=1 mount, rdcachefs's lookup() of 'reenter' and its first
# child() of a listing (rust/rdcachefs/sound.rs, reenter()) call back into
# the layer while the VFS holds the directory's i_rwsem: lookup() and
# create_child() on the same superblock could wait for the task itself
# (d_wait_lookup() on the pending name, inode_lock() behind its own read
# hold) and must be refused, each with a WARN naming itself and the rule;
# try_lookup() takes no such lock and must work.  Nothing leaks: umount
# reports nothing (the host expects exactly the four WARNs).

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh
. ./lib.sh

M=/mnt/rdc-reentry
RULE="refused: taking a directory's i_rwsem of the same superblock again can deadlock"

ktap_print_header
ktap_set_plan 4
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p $M
dmesg -c >/dev/null
mount -t rdcachefs -o reentry=1,depth=1,fanout=2,files=1 none $M ||
	ktap_exit_fail_msg "mount -o reentry=1 failed"
# A negative lookup (->lookup() of 'reenter'), then a listing (->iterate_shared()).
stat $M/reenter >/dev/null 2>&1 && ktap_print_msg "stat $M/reenter found it"
ls $M >/dev/null || ktap_print_msg "ls $M failed"
umount $M || ktap_print_msg "umount $M failed"
log=$(dmesg)
echo "$log" | grep 'sound: ' | while IFS= read -r _l; do ktap_print_msg "$_l"; done
for cb in "lookup()" "child()"; do
	n=$(echo "$log" | grep -cF "sound: ok: reentry in $cb: ")
	sound_check "from $cb: lookup() and create_child() refused, try_lookup() allowed" \
		eval '[ "$n" = 3 ] && ! echo "$log" | grep -qF "sound: FAILED: reentry in $cb"'
done
l=$(echo "$log" | grep -F "dcache: DentryRef::lookup()" | grep -cF "$RULE")
c=$(echo "$log" | grep -F "dcache: DentryRef::create_child()" | grep -cF "$RULE")
warns=$(echo "$log" | grep -cF "$RULE")
ktap_print_msg "$warns refusal WARN(s): lookup() $l, create_child() $c"
sound_check "four refusal WARNs, two per callback, each naming its call and the rule" \
	eval '[ "$warns" = 4 ] && [ "$l" = 2 ] && [ "$c" = 2 ]'
sound_check "umount reported nothing busy" eval '! echo "$log" | grep -q "BUG: Dentry\|Busy inodes"'
ktap_finished
