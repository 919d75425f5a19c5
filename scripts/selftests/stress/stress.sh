#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Shrink-vs-umount stress: CYCLES times (argument, default 200) mount
# rdcachefs with WORKERS (fourth argument, default 2) workers that put references into private shrink lists under
# a spinlock and hold those lists, unpinned, while userspace walks the tree,
# waits a random while and unmounts (every fourth cycle lazily, umount -l),
# with drop_caches pressure in between.  Every BIG-th cycle (third argument,
# default 5; 0: never) mounts the big shape, depth=4,fanout=5,files=2 (2,343
# entries), instead of depth=2,fanout=3,files=2 (39).  After every cycle the
# superblock must end dead with allocated == evicted inodes and no late
# callback.  Every fourth cycle (1, 5, 9, ...) mounts with slow_kill=SLOW_KILL (microseconds,
# default 5000): each of the workers' ->d_release() sleeps that long first,
# so workers spend most of their time inside kills, widening the window in
# which umount finds one under way.
#
# Each cycle is attributed (rdcachefs counts each case as it happens; see
# rust/rdcachefs/registry.rs and docs/race-and-interleavings.md):
#   steal         umount killed an entry on a worker's list (umount_steals)
#   resurrection  a worker's census found entries in use again (shrink_in_use)
#   foreign-list  a worker's put left a dentry to another list (put_other_list)
#   last-pin      a worker ran ->kill_sb() (kill_sb_by_worker)
#   wait          umount waited for a worker's kill of a file (teardown_waits)
#   ancestor      ... of a directory (ancestor_waits)
# and the run fails unless steal, resurrection, foreign-list and last-pin
# happened in at least MIN_<CASE> percent of the cycles, and wait and
# ancestor at least MIN_<CASE> times per 1000 cycles (defaults below, set from
# measured rates: docs/race-and-interleavings.md).

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh
. ./thresholds.sh

cycles=${1:-200}
# stress.sh 0 SECONDS: as many cycles as fit in SECONDS (make stress DURATION=...).
duration=${2:-0}
big=${3:-5}
workers=${4:-2}
start=$(date +%s)
slow=${SLOW_KILL:-5000}
ktap_print_header
ktap_set_plan 10
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
put=$(rdc_put_path)
ktap_print_msg "ShrinkList::put() uses $put"
# Thresholds: percent of cycles, and events per 1000 cycles.  With the
# kernel's dput_to_list() a kept entry goes to the LRU at once, not onto the
# worker's list, so fewer entries are there to be found again: resurrection
# happened in 6 of 30 cycles of the first run on the patched kernel (make
# upstream, 2026-12-07), against 30% or more with the fallback.  Provisional
# until measured over 1000 cycles (make stress KPATCH=1).
if [ "$put" = dput_to_list ]; then
	: "${MIN_RESURRECTION:=5}"
fi
# steal at 25%, not 30%: over 1000 cycles of make test's 2-vCPU shape
# (make stress CYCLES=1000 BIG=15 WORKERS=2, 2026-12-07) it happened in
# 583 (99% lower bound 54.6%); at 30% a 30-cycle run would fail by chance
# 0.18% of the time (stress_rates.py), over make test's 0.1%; at 25%, 0.05%.
: "${MIN_STEAL:=25}" "${MIN_RESURRECTION:=30}" "${MIN_FOREIGN:=30}" "${MIN_LASTPIN:=20}"
: "${MIN_WAIT:=5}" "${MIN_ANCESTOR:=5}" "${RATE_CYCLES:=200}"
rdc_num cycles duration big workers slow RATE_CYCLES MIN_STEAL MIN_RESURRECTION MIN_FOREIGN MIN_LASTPIN MIN_WAIT MIN_ANCESTOR ||
	ktap_exit_fail_msg "usage: stress.sh [CYCLES [SECONDS [BIG [WORKERS]]]] (MIN_<CASE>=N)"
if [ "$cycles" -eq 0 ]; then cycles=1000000; fi
mkdir -p /mnt/stress

# fields: the counters of the sb line in $line, into shell variables (no
# fork: each costs tens of milliseconds under emulation).
fields() {
	al= ev= late= st= rs= fo= pn= wt= an= tk= ks= da=
	for _kv in $line; do
		case $_kv in
		inodes_allocated=*) al=${_kv#*=} ;;
		inodes_evicted=*) ev=${_kv#*=} ;;
		late_callbacks=*) late=${_kv#*=} ;;
		umount_steals=*) st=${_kv#*=} ;;
		shrink_in_use=*) rs=${_kv#*=} ;;
		put_other_list=*) fo=${_kv#*=} ;;
		kill_sb_by_worker=*) pn=${_kv#*=} ;;
		teardown_waits=*) wt=${_kv#*=} ;;
		ancestor_waits=*) an=${_kv#*=} ;;
		teardown_kills=*) tk=${_kv#*=} ;;
		kill_sb_in_shrink=*) ks=${_kv#*=} ;;
		deferred_after_umount=*) da=${_kv#*=} ;;
		esac
	done
}

bad=0 husk_cycles=0 i=1 bigs=0
c_steal=0 c_res=0 c_for=0 c_pin=0 c_wait=0 c_anc=0
e_steal=0 e_res=0 e_for=0 e_wait=0 e_anc=0 e_tk=0 e_da=0
while [ $i -le "$cycles" ]; do
	# Lets the host put any splat in its cycle.
	echo "rdcache-stress: cycle $i" >/dev/kmsg
	shape="depth=2,fanout=3,files=2"
	[ "$big" -gt 0 ] && [ $((i % big)) -eq 0 ] && shape="depth=4,fanout=5,files=2" && bigs=$((bigs + 1))
	if ! mount -t rdcachefs -o "$shape,workers=$workers,seed=$i,slow_kill=$(( (i % 4 == 1) * slow ))" none /mnt/stress; then
		ktap_print_msg "cycle $i: mount failed"
		bad=$((bad + 1))
		break
	fi
	sb=$(rdc_last_sb)
	if ! err=$(find /mnt/stress 2>&1 >/dev/null); then
		ktap_print_msg "cycle $i: find /mnt/stress failed: $(echo "$err" | head -3)"
		bad=$((bad + 1))
	fi
	usleep $(( (i * 7919) % 20000 ))
	if [ $((i % 4)) -eq 0 ]; then
		umount -l /mnt/stress
	else
		umount /mnt/stress
	fi || {
		ktap_print_msg "cycle $i: umount failed"
		bad=$((bad + 1))
		break
	}
	# A worker that held the last pin runs ->kill_sb() after umount returns.
	if ! line=$(rdc_wait_dead "$sb"); then
		ktap_print_msg "cycle $i: superblock #$sb not dead 5 s after umount: $line"
		bad=$((bad + 1))
	else
		fields
		# kill_sb_in_shrink: ->kill_sb() ran inside a worker's shrink(),
		# which no put, shrink or list drop may ever cause (no s_active).
		if ! rdc_num al ev late st rs fo pn wt an tk ks da || [ "$al" -ne "$ev" ] || [ "$late" -ne 0 ] ||
			[ "$ks" -ne 0 ]; then
			ktap_print_msg "cycle $i: $line"
			bad=$((bad + 1))
		else
			[ "$st" -gt 0 ] && c_steal=$((c_steal + 1)) && husk_cycles=$((husk_cycles + 1))
			[ "$rs" -gt 0 ] && c_res=$((c_res + 1))
			[ "$fo" -gt 0 ] && c_for=$((c_for + 1))
			[ "$pn" -gt 0 ] && c_pin=$((c_pin + 1))
			[ "$wt" -gt 0 ] && c_wait=$((c_wait + 1))
			[ "$an" -gt 0 ] && c_anc=$((c_anc + 1))
			e_steal=$((e_steal + st)) e_res=$((e_res + rs)) e_for=$((e_for + fo))
			e_wait=$((e_wait + wt)) e_anc=$((e_anc + an)) e_tk=$((e_tk + tk)) e_da=$((e_da + da))
		fi
	fi
	if [ $((i % 4)) -eq 2 ] && ! rdc_drop_caches; then
		ktap_print_msg "cycle $i: writing /proc/sys/vm/drop_caches failed"
		bad=$((bad + 1))
	fi
	[ $((i % 50)) -eq 0 ] && ktap_print_msg "progress: $i cycles: steal $c_steal, resurrection $c_res, foreign-list $c_for, last-pin $c_pin, wait $c_wait, ancestor $c_anc; $bad bad"
	i=$((i + 1))
	if time_up "$start" "$duration"; then
		cycles=$((i - 1))
		break
	fi
done

total=$(sed -n 1p $RDC_DEBUGFS/counters)
puts=$(rdc_field total worker_puts)
n=$((i - 1))
ktap_print_msg "$total"
ktap_print_msg "cycles=$n with_husks=$husk_cycles bad=$bad puts=$puts batches=$(rdc_field total worker_batches) husks=$e_steal"
# One line per case: cycles in which it happened, and how often it happened.
ktap_print_msg "case steal cycles=$c_steal events=$e_steal"
ktap_print_msg "case wait cycles=$c_wait events=$e_wait"
ktap_print_msg "case resurrection cycles=$c_res events=$e_res"
ktap_print_msg "case foreign-list cycles=$c_for events=$e_for"
ktap_print_msg "case ancestor cycles=$c_anc events=$e_anc"
ktap_print_msg "case last-pin cycles=$c_pin events=$c_pin"
ktap_print_msg "shrink()s of deferred entries while or after umount ran: $e_da, none of them running ->kill_sb()"
ktap_print_msg "teardown kills by workers: $e_tk; vCPUs: $(nproc), workers: $workers, big shape every ${big} cycles, slow_kill=$slow us every fourth cycle"
# The big shape every BIG-th cycle, as asked: no more, no fewer.
want_bigs=0
[ "$big" -gt 0 ] && want_bigs=$((n / big))
ktap_print_msg "cycles of the big shape: $bigs (every ${big}th of $n: $want_bigs)"
if [ $n -eq "$cycles" ] && [ $bad -eq 0 ] && [ $bigs -eq $want_bigs ]; then
	ktap_test_pass "$cycles cycles: every superblock dead, inodes balanced, no late callback, no ->kill_sb() in a shrink()"
else
	ktap_test_fail "$cycles cycles: every superblock dead, inodes balanced, no late callback, no ->kill_sb() in a shrink()"
fi
if rdc_num puts && [ "$puts" -gt 0 ]; then
	ktap_test_pass "workers put references into their lists"
else
	ktap_test_fail "workers put references into their lists"
fi
# Every case's counts agree with each other (a count lost or doubled
# shows here even when no threshold looks at it).
bad_counts=
for c in "steal $c_steal $e_steal" "wait $c_wait $e_wait" "resurrection $c_res $e_res" \
	"foreign-list $c_for $e_for" "ancestor $c_anc $e_anc" "last-pin $c_pin $c_pin"; do
	# shellcheck disable=SC2086
	set -- $c
	consistent "$2" "$3" || bad_counts="$bad_counts $1 ($2 cycles, $3 times)"
done
if [ -z "$bad_counts" ]; then
	ktap_test_pass "each case's cycles are at most n and at most its times, and some if it happened"
else
	ktap_test_fail "each case's cycles are at most n and at most its times, and some if it happened:$bad_counts"
fi
share "steal: umount killed entries on a worker's list" $c_steal "$MIN_STEAL"
share "resurrection: a worker's shrink() found entries in use again" $c_res "$MIN_RESURRECTION"
share "foreign-list: a worker's put left its dentry to another worker's list" $c_for "$MIN_FOREIGN"
share "last-pin: a worker ran ->kill_sb()" $c_pin "$MIN_LASTPIN"
rate "wait: umount waited for a worker's kill" $e_wait "$MIN_WAIT"
rate "ancestor: umount waited for a worker's kill of a directory" $e_anc "$MIN_ANCESTOR"
if rdc_unload; then
	ktap_test_pass "rmmod after the stress"
else
	ktap_test_fail "rmmod after the stress"
fi
ktap_finished
