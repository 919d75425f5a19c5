# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the rdcachefs tests (sourced, after ktap_helpers.sh).

RDC_DEBUGFS=/sys/kernel/debug/rdcache

rdc_load() {
	grep -qw rdcachefs /proc/filesystems || insmod /rdcache/rdcache.ko
}

rdc_unload() {
	grep -qw rdcache /proc/modules && rmmod rdcache
}

# The number of the newest superblock in the counters file.
rdc_last_sb() {
	sed -n 's/^sb \([0-9]*\) .*/\1/p' $RDC_DEBUGFS/counters | tail -1
}

# rdc_field SCOPE KEY: SCOPE is "total" or a superblock number.
rdc_field() {
	if [ "$1" = total ]; then
		sed -n "s/^total .* $2=\([0-9a-z]*\).*/\1/p" $RDC_DEBUGFS/counters
	else
		sed -n "s/^sb $1 .*$2=\([0-9a-z]*\).*/\1/p" $RDC_DEBUGFS/counters
	fi
}

# Expected entries of a shape, root included: sum over levels of F^l * (1 + N).
rdc_entries() {
	d=$1 f=$2 n=$3 total=0 dirs=1 l=0
	while [ $l -le "$d" ]; do
		total=$((total + dirs * (1 + n)))
		dirs=$((dirs * f))
		l=$((l + 1))
	done
	echo $total
}

# Drop dentries and inodes.  7.3 takes 1..4 only: 4 first silences the
# one-off "drop_caches: 2" message, then 2 drops the slab caches.
rdc_drop_caches() {
	sync
	echo 4 >/proc/sys/vm/drop_caches
	echo 2 >/proc/sys/vm/drop_caches
}
