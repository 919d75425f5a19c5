#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# sound/forget.sh: a leak in safe Rust causes only the reports C gives for
# the same leak, never undefined behaviour (issue 22, finding 1).
#
# rdcache's control command sound-forget-umount-shrink
# (rust/rdcachefs/sound.rs) puts a new dentry d0 into a shrink list
# (deferred), looks it up again, mem::forget()s that reference, unmounts,
# and only then shrink()s the list.  Umount reports the leak, by name:
#   BUG: Dentry ...{i=..,n=d0}  still in use (1) [unmount of rdcachefs rdcachefs]
#   VFS: Busy inodes after unmount of rdcachefs (rdcachefs)
#   rdcache: INODE LEAK ...            (rdcachefs's own inode balance)
# and nothing else may appear: the host expects exactly these kinds, and a
# KASAN report (a deferred step reading the freed superblock) fails the test.

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh
. ./lib.sh

ktap_print_header
ktap_set_plan 3
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
sound_run sound-forget-umount-shrink \
	"the sequence ran: census found d0 in use, shrink() took it off and kept nothing"
busy=$(echo "$log" | grep -c 'BUG: Dentry .*n=d0}.* still in use (1) \[unmount of rdcachefs ')
inodes=$(echo "$log" | grep -c 'VFS: Busy inodes after unmount of .* (rdcachefs)')
ktap_print_msg "umount reported busy: $(sound_busy)(d0 with count 1: $busy), busy inodes $inodes time(s)"
sound_check "umount reported the leaked d0 of rdcachefs as busy, once, and no other dentry" \
	eval '[ "$busy" = 1 ] && [ "$(sound_busy)" = "d0 " ]'
sound_check "umount reported busy inodes of rdcachefs, once" [ "$inodes" = 1 ]
ktap_finished
