#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# force.sh CASE: one shrink-list-versus-umount interleaving of 7.3, forced.
# A mount with scenario=K runs that case's workers (rust/rdcachefs/scenario.rs),
# which park at the case's point (the control file shows where) until this
# script has done its part and writes "release".  Each case shows that the
# dcache took the real path, from what the kernel itself shows (a task's
# /proc/PID/stack, mount state) and from rdcachefs's attribution counters
# (rust/rdcachefs/registry.rs), and ends with the superblock dead, inodes
# balanced and no late callback.
#
#   steal         umount kills a zero-count entry on a worker's list
#                 (select_collect2() + shrink_kill()); the husk is the
#                 worker's to free
#   wait          umount finds an entry the worker is killing and sleeps in
#                 shrink_dcache_tree() (d_add_waiter(), wait_for_completion())
#                 until that kill ends
#   resurrection  entries on the list are looked up again before the worker's
#                 shrink(), which takes them off the list alive
#   foreign-list  a worker puts the last reference of a dentry on another
#                 worker's list: the put leaves it to that list's owner
#
# With the fallback (stock 7.3) d0 is kept through the deferred step in
# resurrection and foreign-list; with a kernel that exports dput_to_list()
# (the module says "put: dput_to_list" in the control file), a kept d0 goes
# to the LRU at once, so the workers mark it DCACHE_DONTCACHE and it is
# listed like f0.  deferred-kill needs the deferred step: skipped there.
#   ancestor      the worker's shrink() kills a leaf and prunes its parent;
#                 umount finds the parent dying and waits (wait, one level up)
#   last-pin      the worker holds the last active reference when umount(2)
#                 returns, and runs ->kill_sb() itself
#   deferred-kill the worker's shrink() hands its deferred d0 to dput() under
#                 s_umount held shared (no active reference), and dput()
#                 kills it; umount(2) waits for s_umount and runs ->kill_sb()
#                 itself, never the shrink

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

case=${1:-}
M=/mnt/rdc-force
CTL=$RDC_DEBUGFS/control
mkdir -p $M

case $case in
steal) k=1 plan=5 ;;
wait) k=2 plan=4 ;;
resurrection) k=3 plan=4 ;;
foreign-list) k=4 plan=3 ;;
ancestor) k=5 plan=4 ;;
last-pin) k=6 plan=4 ;;
deferred-kill) k=7 plan=4 ;;
*) ktap_exit_fail_msg "usage: force.sh steal|wait|resurrection|foreign-list|ancestor|last-pin|deferred-kill" ;;
esac

ktap_print_header
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
put=$(rdc_put_path)
if [ "$case" = deferred-kill ] && [ "$put" = dput_to_list ]; then
	ktap_skip_all "deferred-kill: this module's put() uses the kernel's dput_to_list(), which keeps entries at once: there is no deferred step to force"
	rdc_unload
	exit 4
fi
ktap_set_plan $plan

upid= hold1= hold2=

# check NAME COND...: a KTAP result named NAME, passing if the command succeeds.
check() {
	_name=$1
	shift
	if "$@"; then
		ktap_test_pass "$case: $_name"
	else
		ktap_test_fail "$case: $_name"
	fi
}

parked() {
	sed -n 's/^parked: //p' $CTL
}

# poll SECONDS COMMAND...: run COMMAND until it succeeds, for up to SECONDS
# of wall-clock time (a loop count would not do: each round forks, and
# forks are slow under emulation with KASAN).
poll() {
	_end=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge $_end ] && return 1
		usleep 20000
	done
}

# wait_parked POINT: up to 20 s until a scenario worker is parked at POINT.
wait_parked() {
	_want=$1
	poll 20 eval '[ "$(parked)" = "$_want" ]' || { ktap_print_msg "no worker parked at '$1' after 20 s (parked: $(parked))"; return 1; }
}

release() {
	echo release >$CTL
}

# field KEY: superblock $sb's counter KEY.
field() {
	rdc_field "$sb" "$1"
}

# wait_field KEY VALUE: up to 20 s until counter KEY reaches VALUE.
wait_field() {
	_key=$1 _want=$2
	poll 20 eval '_v=$(field "$_key") && rdc_num _v >/dev/null && [ "$_v" -ge "$_want" ]' ||
		{ ktap_print_msg "$1=$(field "$1"), not $2, after 20 s"; return 1; }
}

# is KEY VALUE: counter KEY is VALUE now (else says what it is).
is() {
	_v=$(field "$1")
	[ "$_v" = "$2" ] || { ktap_print_msg "$1=$_v, want $2"; return 1; }
}

# exited PID SECONDS: whether PID has exited within SECONDS.
exited() {
	_pid=$1
	poll "$2" eval '! kill -0 "$_pid" 2>/dev/null' || return 1
	wait "$1" 2>/dev/null
	return 0
}

# umount_waits: whether the background umount ($upid) sleeps in
# shrink_dcache_tree() under shrink_dcache_for_umount(), up to 20 s.  The
# stack of a sleeping task starts at its first frame outside the scheduler
# (stack_trace_save_tsk() skips those, and wait_for_completion() with them),
# and its wchan is that function: shrink_dcache_tree() sleeps only in
# wait_for_completion() (fs/dcache.c:1775 in 7.3.4; its cond_resched() does
# not leave the task asleep in state D).
umount_waits() {
	_s=$(cat /proc/$upid/stack 2>&1)
	_w=$(cat /proc/$upid/wchan 2>&1)
	_st=$(sed -n 's/^State:[[:space:]]*//p' /proc/$upid/status 2>&1)
	case $_s in "[<0>] shrink_dcache_tree+"*shrink_dcache_for_umount*) ;; *) return 1 ;; esac
	[ "$_w" = shrink_dcache_tree ] && case $_st in D*) return 0 ;; esac
	return 1
}
umount_blocked() {
	if poll 20 umount_waits; then
		ktap_print_msg "umount (pid $upid): state $_st, wchan $_w"
		echo "$_s" | while IFS= read -r _l; do ktap_print_msg "umount (pid $upid): $_l"; done
		return 0
	fi
	ktap_print_msg "umount (pid $upid) after 20 s: state $_st, wchan $_w, stack $(echo "$_s" | tr '\n' ' ')"
	return 1
}

# umount_on_s_umount: whether the background umount ($upid) sleeps for
# s_umount in deactivate_super() (umount(2) drops the mount's superblock
# reference in cleanup_mnt(), before it returns), up to 20 s.
umount_in_deactivate() {
	_s=$(cat /proc/$upid/stack 2>&1)
	_st=$(sed -n 's/^State:[[:space:]]*//p' /proc/$upid/status 2>&1)
	case $_s in *deactivate_super*) ;; *) return 1 ;; esac
	case $_st in D*) return 0 ;; esac
	return 1
}
umount_on_s_umount() {
	poll 20 umount_in_deactivate && return 0
	ktap_print_msg "umount (pid $upid) after 20 s: state $_st, stack $(echo "$_s" | tr '\n' ' ')"
	return 1
}

# The end of every case: nothing parked, no helper left, the superblock dead
# with its inodes balanced and no late callback.
finish() {
	_i=0
	while [ "$(parked)" != none ] && [ $_i -lt 10 ]; do
		release 2>/dev/null
		usleep 100000
		_i=$((_i + 1))
	done
	for _p in $hold1 $hold2; do kill "$_p" 2>/dev/null; wait "$_p" 2>/dev/null; done
	[ -n "$upid" ] && ! exited "$upid" 20 && ktap_print_msg "umount (pid $upid) still running 20 s after the last release"
	grep -q " $M " /proc/mounts && umount $M
	_line=$(rdc_wait_dead "$sb") || { ktap_print_msg "superblock #$sb not dead: $_line"; return 1; }
	ktap_print_msg "$_line"
	_a=$(field inodes_allocated) _e=$(field inodes_evicted) _l=$(field late_callbacks) _f=$(field kill_sb_finished)
	rdc_num _a _e _l _f && [ "$_a" -eq "$_e" ] && [ "$_l" -eq 0 ] && [ "$_f" -eq 1 ]
}

mount -t rdcachefs -o scenario=$k none $M || ktap_exit_fail_msg "mount -o scenario=$k failed"
sb=$(rdc_last_sb)

case $case in
steal)
	check "the worker holds its list with the last reference of drop-0 put on it" \
		eval 'wait_parked listed && is put_listed 1'
	mkdir -p $M-2
	check "a second scenario mount while one runs fails (EBUSY, logged)" \
		eval '! mount -t rdcachefs -o scenario=1 none $M-2 2>/dev/null && dmesg | tail -5 | grep -q "another scenario is still running" && ! grep -q " $M-2 " /proc/mounts'
	umount $M &
	upid=$!
	# umount cannot finish while the worker is parked (->kill_sb() waits
	# for it), but generic_shutdown_super() is done with the dcache first.
	check "umount's shrink_dcache_tree() killed the entry on the worker's list (umount_steals=1)" \
		eval 'wait_field umount_steals 1 && is other_steals 0 && [ "$(parked)" = listed ] && kill -0 $upid'
	release
	check "the worker's census found umount's husk and shrink() freed it (husks=1, one kill)" \
		eval 'exited $upid 20 && is husks 1 && is husk_lists 1'
	;;
wait | ancestor)
	check "the worker is parked inside its shrink()'s kill of $([ $case = wait ] && echo drop-0 || echo d0, after its leaf)" \
		eval 'wait_parked killing && is d_release $([ $case = wait ] && echo 0 || echo 1)'
	umount $M &
	upid=$!
	check "umount sleeps in shrink_dcache_tree()'s wait_for_completion() for that kill, and stays there" \
		eval 'umount_blocked && sleep 1 && umount_waits'
	release
	if [ $case = wait ]; then
		check "released, the kill ends, umount goes on (teardown_waits=1)" \
			eval 'exited $upid 20 && is teardown_waits 1 && is ancestor_waits 0'
	else
		check "released, the parent's kill ends, umount goes on (ancestor_waits=1)" \
			eval 'exited $upid 20 && is ancestor_waits 1 && is teardown_waits 0'
	fi
	;;
resurrection)
	if [ "$put" = dput_to_list ]; then
		check "the worker holds d0 and f0 (both DCACHE_DONTCACHE: listed) with no reference" \
			eval 'wait_parked listed && is put_deferred 0 && is put_listed 2'
	else
		check "the worker holds d0 (deferred) and f0 (listed) with no reference" \
			eval 'wait_parked listed && is put_deferred 1 && is put_listed 1'
	fi
	(cd $M/d0 && exec sleep 120) &
	hold1=$!
	sh -c "exec 3<$M/f0 && exec sleep 120" &
	hold2=$!
	# Every guest process inherits fd 3 (/init's /dev/ttyS1), so the holder
	# has taken f0 when its fd 3 names it, not when fd 3 merely exists.
	held() {
		[ "$(readlink /proc/$hold2/fd/3)" = "$M/f0" ] && [ "$(readlink /proc/$hold1/cwd)" = "$M/d0" ]
	}
	poll 20 held || ktap_print_msg "the holders did not take their references in 20 s"
	release
	check "a shell's cwd and an open file took them again: census in_use=2, shrink() left both alive" \
		eval 'held && wait_parked shrunk && is shrink_in_use 2 && is d_release 0 && held'
	release
	kill $hold1 $hold2
	wait $hold1 $hold2 2>/dev/null
	hold1= hold2=
	if [ "$put" = dput_to_list ]; then
		check "d0 and f0 (DCACHE_DONTCACHE) are killed at their last dput(): a lookup of d0 asks ->lookup()" \
			eval 'wait_field d_release 2 && l=$(field lookups) && stat $M/d0 >/dev/null && is lookups $((l + 1)) && is d_release 2'
	else
		check "f0 (DCACHE_DONTCACHE) is killed at its last dput(), d0 stays cached" \
			eval 'wait_field d_release 1 && l=$(field lookups) && stat $M/d0 >/dev/null && is lookups $l && is d_release 1'
	fi
	;;
foreign-list)
	if [ "$put" = dput_to_list ]; then
		check "worker 1's put of d0, on worker 0's list, is left to worker 0 (put_released=1, put_listed=1)" \
			eval 'wait_field worker_batches 2 && is put_listed 1 && is put_released 1'
		check "worker 0's shrink() killed d0 (DCACHE_DONTCACHE): a lookup of d0 asks ->lookup()" \
			eval 'is d_release 1 && l=$(field lookups) && stat $M/d0 >/dev/null && is lookups $((l + 1))'
	else
		check "worker 1's put of d0, on worker 0's list, is left to worker 0 (put_other_list=1)" \
			eval 'wait_field worker_batches 2 && is put_deferred 1 && is put_other_list 1'
		check "worker 0's shrink() kept d0 cached through dput() (shrink_kept=1, found without ->lookup())" \
			eval 'is shrink_kept 1 && is d_release 0 && l=$(field lookups) && stat $M/d0 >/dev/null && is lookups $l'
	fi
	;;
last-pin)
	check "the worker holds an active reference" eval 'wait_parked pinned'
	umount $M &
	upid=$!
	check "umount(2) returns while the worker holds it, without ->kill_sb()" \
		eval 'exited $upid 20 && ! grep -q " $M " /proc/mounts && is kill_sb_begun 0 && is state live'
	upid=
	release
	check "released, the worker dropped the last active reference and ran ->kill_sb() (kill_sb_by_worker=1)" \
		eval 'rdc_wait_dead $sb >/dev/null && is kill_sb_by_worker 1'
	;;
deferred-kill)
	check "the worker's shrink() handed its deferred d0 to dput(), which kills it: parked inside the kill" \
		eval 'wait_parked killing && is put_deferred 1 && is d_release 0 && is kill_sb_begun 0'
	umount $M &
	upid=$!
	check "umount(2) sleeps for s_umount in deactivate_super(), held shared by that shrink(); no ->kill_sb() yet" \
		eval 'umount_on_s_umount && sleep 1 && kill -0 $upid && is kill_sb_begun 0'
	release
	# d_release 2: d0 in the worker's kill, the root in umount's.
	check "released, umount(2) ran ->kill_sb() itself, not the worker's shrink() (kill_sb_in_shrink=0, kill_sb_by_worker=0)" \
		eval 'exited $upid 20 && rdc_wait_dead $sb >/dev/null && is kill_sb_in_shrink 0 && is kill_sb_by_worker 0 && is kill_sb_begun 1 && is d_release 2'
	;;
esac

check "the superblock ends dead, inodes balanced, no late callback" finish
ktap_finished
