#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# put keeps what dput keeps, under the workers' stress: a mount with workers
# (which put every reference they take into their shrink lists, under a
# spinlock) must see their last puts take the retain path, cached at once
# (put_cached) and deferred to shrink(), which hands them to dput()
# (put_deferred, shrink_kept), and the kill path for drop- names and
# invalidated subtrees (put_listed), while umount races them; and nothing may
# be detected: no late callback, inodes balanced, every kill_sb finished.
# That a deferred dentry then stays cached and is found without ->lookup()
# is the KUnit suite rdcache_retain's to show.  With the kernel's
# dput_to_list() (put: dput_to_list in the control file) nothing is deferred
# and put() does not say what it kept: the retain path is put_released there
# (the KUnit suite shows those entries cached on the LRU at once).

. /rdcache/ktap_helpers.sh
. ./lib.sh

M=/mnt/rdc-retain
rounds=${1:-5}
mkdir -p $M

ktap_print_header
ktap_set_plan 3
rdc_num rounds || ktap_exit_fail_msg "usage: retain.sh [ROUNDS]"
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
put=$(rdc_put_path)

cached=0 deferred=0 kept=0 released=0 listed=0 bad=0 late0=$(rdc_field total late_callbacks)
i=1
while [ $i -le "$rounds" ]; do
	if ! mount -t rdcachefs -o "depth=3,fanout=3,files=2,workers=4,seed=$i" none $M; then
		bad=$((bad + 1)) && ktap_print_msg "round $i: mount failed"
		break
	fi
	sb=$(rdc_last_sb)
	# Let the workers run, with a walk beside them, then umount under them.
	rdc-sys walk $M 3 3 2 >/dev/null 2>&1 || ktap_print_msg "round $i: walk failed"
	sleep 1
	umount $M || { bad=$((bad + 1)) && ktap_print_msg "round $i: umount failed"; }
	rdc_wait_dead "$sb" >/dev/null || { bad=$((bad + 1)) && ktap_print_msg "round $i: #$sb not dead 5 s after umount"; }
	c=$(rdc_field "$sb" put_cached) d=$(rdc_field "$sb" put_deferred)
	k=$(rdc_field "$sb" shrink_kept) l=$(rdc_field "$sb" put_listed) r=$(rdc_field "$sb" put_released)
	a=$(rdc_field "$sb" inodes_allocated) e=$(rdc_field "$sb" inodes_evicted)
	f=$(rdc_field "$sb" kill_sb_finished)
	if ! rdc_num c d k l r a e f; then
		bad=$((bad + 1))
	else
		ktap_print_msg "round $i: #$sb put_cached=$c put_deferred=$d shrink_kept=$k put_released=$r put_listed=$l inodes $a/$e"
		cached=$((cached + c)) deferred=$((deferred + d)) kept=$((kept + k)) listed=$((listed + l))
		released=$((released + r))
		[ "$a" -eq "$e" ] && [ "$f" -eq 1 ] || { bad=$((bad + 1)) && ktap_print_msg "round $i: unbalanced or kill_sb not finished once"; }
	fi
	i=$((i + 1))
done
late1=$(rdc_field total late_callbacks)

if [ "$put" = dput_to_list ]; then
	# Nothing deferred, and what dput_to_list() kept is not told apart.
	if [ "$released" -gt 0 ] && [ "$deferred" -eq 0 ] && [ "$kept" -eq 0 ] && [ "$cached" -eq 0 ]; then
		ktap_test_pass "retain: workers' puts not listed went through the kernel's dput_to_list(), nothing deferred"
	else
		ktap_test_fail "retain: workers' puts not listed went through the kernel's dput_to_list(), nothing deferred"
	fi
elif [ "$cached" -gt 0 ] && [ "$deferred" -gt 0 ] && [ "$kept" -gt 0 ] && [ "$released" -eq 0 ]; then
	ktap_test_pass "retain: workers' last puts take the retain path (cached at once, deferred to shrink's dput())"
else
	ktap_test_fail "retain: workers' last puts take the retain path (cached at once, deferred to shrink's dput())"
fi
if [ "$listed" -gt 0 ]; then
	ktap_test_pass "retain: workers' puts of drop- and invalidated dentries are killed"
else
	ktap_test_fail "retain: workers' puts of drop- and invalidated dentries are killed"
fi
if [ "$bad" -eq 0 ] && rdc_num late0 late1 && [ "$late1" -eq "$late0" ]; then
	ktap_test_pass "retain: umount racing retaining workers: no late callback, inodes balanced"
else
	ktap_test_fail "retain: umount racing retaining workers: no late callback, inodes balanced"
fi
ktap_finished
