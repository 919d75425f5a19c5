#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rdcachefs mounts with several shapes; find sees every entry; stat and cat
# work; drop_caches evicts (counters move); a second walk re-creates; umount
# balances allocated and evicted inodes, with no late callback.

. /rdcache/ktap_helpers.sh
. ./lib.sh

shapes="0,0,0 1,1,1 2,3,2 3,4,5"
ktap_print_header
ktap_set_plan 24
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
mkdir -p /mnt/rdc

for s in $shapes; do
	IFS=, read -r d f n <<EOF2
$s
EOF2
	tag="depth=$d,fanout=$f,files=$n"
	if ! mount -t rdcachefs -o "$tag" none /mnt/rdc; then
		ktap_test_fail "$tag: mount"
		continue
	fi
	sb=$(rdc_last_sb)
	want=$(rdc_entries "$d" "$f" "$n")
	got=$(find /mnt/rdc | wc -l)
	# ls -R: every name once, plus a "DIR:" header and a blank line per directory.
	names=$(ls -R /mnt/rdc | grep -v -e ':$' -e '^$' | wc -l)
	ktap_print_msg "$tag: superblock #$sb, find saw $got entries, ls -R $names names, expected $want"
	[ "$got" -eq "$want" ] && [ "$names" -eq $((want - 1)) ] &&
		ktap_test_pass "$tag: find and ls -R see every entry" ||
		ktap_test_fail "$tag: find and ls -R see every entry"

	ok=1
	if [ "$n" -gt 0 ]; then
		cat /mnt/rdc/f0 | grep -q '^rdcachefs level=0 file=0$' || ok=0
		[ "$(stat -c %s /mnt/rdc/f0)" -eq "$(cat /mnt/rdc/f0 | wc -c)" ] || ok=0
		[ -e /mnt/rdc/f$n ] && ok=0
	fi
	[ "$d" -gt 0 ] && [ "$f" -gt 0 ] && { [ -d /mnt/rdc/d0 ] || ok=0; }
	[ -e /mnt/rdc/d01 ] && ok=0
	[ -e /mnt/rdc/x ] && ok=0
	[ $ok = 1 ] && ktap_test_pass "$tag: stat, cat and negative lookups" ||
		ktap_test_fail "$tag: stat, cat and negative lookups"

	ev0=$(rdc_field "$sb" inodes_evicted)
	rdc_drop_caches
	ev1=$(rdc_field "$sb" inodes_evicted)
	al1=$(rdc_field "$sb" inodes_allocated)
	ktap_print_msg "$tag: drop_caches evicted $((ev1 - ev0)) inodes ($al1 allocated)"
	# The root stays pinned by the mount; everything else can go.
	if [ "$want" -gt 1 ]; then
		[ "$ev1" -gt "$ev0" ] && ktap_test_pass "$tag: drop_caches evicts" ||
			ktap_test_fail "$tag: drop_caches evicts"
	else
		ktap_test_pass "$tag: drop_caches evicts (nothing to evict)"
	fi

	lk1=$(rdc_field "$sb" lookups)
	got2=$(find /mnt/rdc | wc -l)
	lk2=$(rdc_field "$sb" lookups)
	al2=$(rdc_field "$sb" inodes_allocated)
	ktap_print_msg "$tag: second walk: $got2 entries, $((lk2 - lk1)) lookups, $((al2 - al1)) inodes allocated"
	[ "$got2" -eq "$want" ] && { [ "$want" -eq 1 ] || [ "$al2" -gt "$al1" ]; } &&
		ktap_test_pass "$tag: a second walk re-creates" ||
		ktap_test_fail "$tag: a second walk re-creates"

	umount /mnt/rdc
	al=$(rdc_field "$sb" inodes_allocated)
	ev=$(rdc_field "$sb" inodes_evicted)
	late=$(rdc_field "$sb" late_callbacks)
	state=$(sed -n "s/^sb $sb state=\([a-z]*\).*/\1/p" $RDC_DEBUGFS/counters)
	ktap_print_msg "$tag: after umount: state=$state allocated=$al evicted=$ev late=$late"
	[ "$state" = dead ] && [ "$al" -eq "$ev" ] && [ "$late" -eq 0 ] &&
		ktap_test_pass "$tag: umount balances inodes, no late callback" ||
		ktap_test_fail "$tag: umount balances inodes, no late callback"

	[ "$(rdc_field "$sb" kill_sb_begun)" -eq 1 ] && [ "$(rdc_field "$sb" kill_sb_finished)" -eq 1 ] &&
		ktap_test_pass "$tag: kill_sb begun and finished once" ||
		ktap_test_fail "$tag: kill_sb begun and finished once"
done
rdc_unload
ktap_finished
