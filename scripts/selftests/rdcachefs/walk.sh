#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rdcachefs mounts with several shapes; find sees every entry; stat and cat
# work; drop_caches evicts (counters move); a second walk re-creates; umount
# balances allocated and evicted inodes, with no late callback.

. /rdcache/ktap_helpers.sh
. ./lib.sh

shapes="0,0,0 1,1,1 2,3,2 3,4,5"
# The results of one shape, in order (a failed mount fails them all).
checks="find and ls -R see every entry|stat, cat and negative lookups|drop_caches evicts|a second walk re-creates|umount balances inodes, no late callback|kill_sb begun and finished once"
# shellcheck disable=SC2086 # one word per shape
set -- $shapes
nshapes=$#
ktap_print_header
# Six results per shape, and the rmmod.
ktap_set_plan $((6 * nshapes + 1))
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/rdc

for s in $shapes; do
	IFS=, read -r d f n <<EOF2
$s
EOF2
	tag="depth=$d,fanout=$f,files=$n"
	if ! mount -t rdcachefs -o "$tag" none /mnt/rdc; then
		ktap_print_msg "$tag: mount failed"
		while IFS= read -r c; do
			ktap_test_fail "$tag: $c"
		done <<EOF2
$(echo "$checks" | tr '|' '\n')
EOF2
		continue
	fi
	sb=$(rdc_last_sb)
	want=$(rdc_entries "$d" "$f" "$n")
	got=$(find /mnt/rdc | wc -l)
	# ls -R: every name once, plus a "DIR:" header and a blank line per directory.
	names=$(ls -R /mnt/rdc | grep -v -e ':$' -e '^$' | wc -l)
	ktap_print_msg "$tag: superblock #$sb, find saw $got entries, ls -R $names names, expected $want"
	if rdc_num sb want got names && [ "$got" -eq "$want" ] && [ "$names" -eq $((want - 1)) ]; then
		ktap_test_pass "$tag: find and ls -R see every entry"
	else
		ktap_test_fail "$tag: find and ls -R see every entry"
	fi

	ok=1
	if [ "$n" -gt 0 ]; then
		cat /mnt/rdc/f0 | grep -q '^rdcachefs level=0 file=0$' || ok=0
		size=$(stat -c %s /mnt/rdc/f0) || ok=0
		bytes=$(cat /mnt/rdc/f0 | wc -c)
		if ! rdc_num size bytes || [ "$size" -ne "$bytes" ]; then ok=0; fi
		[ -e /mnt/rdc/f$n ] && ok=0
	fi
	if [ "$d" -gt 0 ] && [ "$f" -gt 0 ]; then
		[ -d /mnt/rdc/d0 ] || ok=0
	fi
	[ -e /mnt/rdc/d01 ] && ok=0
	[ -e /mnt/rdc/x ] && ok=0
	if [ $ok = 1 ]; then
		ktap_test_pass "$tag: stat, cat and negative lookups"
	else
		ktap_test_fail "$tag: stat, cat and negative lookups"
	fi

	ev0=$(rdc_field "$sb" inodes_evicted)
	dropped=1
	rdc_drop_caches || { dropped=0; ktap_print_msg "$tag: writing /proc/sys/vm/drop_caches failed"; }
	ev1=$(rdc_field "$sb" inodes_evicted)
	al1=$(rdc_field "$sb" inodes_allocated)
	ktap_print_msg "$tag: drop_caches evicted $((ev1 - ev0)) inodes ($al1 allocated)"
	# The root stays pinned by the mount; everything else can go.
	if [ "$want" -gt 1 ]; then
		if [ $dropped = 1 ] && rdc_num ev0 ev1 al1 && [ "$ev1" -gt "$ev0" ]; then
			ktap_test_pass "$tag: drop_caches evicts"
		else
			ktap_test_fail "$tag: drop_caches evicts"
		fi
	elif [ $dropped = 1 ] && rdc_num ev0 ev1 al1; then
		ktap_test_pass "$tag: drop_caches evicts (nothing to evict)"
	else
		ktap_test_fail "$tag: drop_caches evicts (nothing to evict)"
	fi

	lk1=$(rdc_field "$sb" lookups)
	got2=$(find /mnt/rdc | wc -l)
	lk2=$(rdc_field "$sb" lookups)
	al2=$(rdc_field "$sb" inodes_allocated)
	ktap_print_msg "$tag: second walk: $got2 entries, $((lk2 - lk1)) lookups, $((al2 - al1)) inodes allocated"
	if rdc_num got2 al1 al2 && [ "$got2" -eq "$want" ] && { [ "$want" -eq 1 ] || [ "$al2" -gt "$al1" ]; }; then
		ktap_test_pass "$tag: a second walk re-creates"
	else
		ktap_test_fail "$tag: a second walk re-creates"
	fi

	umounted=1
	umount /mnt/rdc || { umounted=0; ktap_print_msg "$tag: umount failed"; }
	al=$(rdc_field "$sb" inodes_allocated)
	ev=$(rdc_field "$sb" inodes_evicted)
	late=$(rdc_field "$sb" late_callbacks)
	state=$(sed -n "s/^sb $sb state=\([a-z]*\).*/\1/p" $RDC_DEBUGFS/counters)
	ktap_print_msg "$tag: after umount: state=$state allocated=$al evicted=$ev late=$late"
	if [ $umounted = 1 ] && [ "$state" = dead ] && rdc_num al ev late &&
		[ "$al" -eq "$ev" ] && [ "$late" -eq 0 ]; then
		ktap_test_pass "$tag: umount balances inodes, no late callback"
	else
		ktap_test_fail "$tag: umount balances inodes, no late callback"
	fi

	kb=$(rdc_field "$sb" kill_sb_begun)
	kf=$(rdc_field "$sb" kill_sb_finished)
	if rdc_num kb kf && [ "$kb" -eq 1 ] && [ "$kf" -eq 1 ]; then
		ktap_test_pass "$tag: kill_sb begun and finished once"
	else
		ktap_test_fail "$tag: kill_sb begun and finished once"
	fi
	# A mount left behind would be walked as the next shape's.
	[ $umounted = 1 ] || ktap_exit_fail_msg "$tag: /mnt/rdc still mounted"
done
if rdc_unload; then
	ktap_test_pass "rmmod rdcache"
else
	ktap_test_fail "rmmod rdcache"
fi
ktap_finished
