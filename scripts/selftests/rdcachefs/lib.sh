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

RDC_KMEMLEAK=/sys/kernel/debug/kmemleak

# Forget what kmemleak suspects so far (boot-time objects): later scans
# report only what leaked after this.
rdc_kmemleak_clear() {
	[ -w $RDC_KMEMLEAK ] && echo clear >$RDC_KMEMLEAK 2>/dev/null
}

# Scan for unreferenced objects now (in a boot with kmemleak=on).  Objects
# younger than 5 s are not reported, hence the wait; two scans, as
# Documentation/dev-tools/kmemleak.rst advises.  Any report is copied to the
# kernel log, where the host's classifier turns "unreferenced object" into a
# failure.  Returns 0 if clean, 1 if something leaked, 2 if kmemleak is off.
rdc_kmemleak_scan() {
	# A kernel with kmemleak disabled keeps the file but refuses writes (EPERM).
	[ -w $RDC_KMEMLEAK ] && echo scan >$RDC_KMEMLEAK 2>/dev/null || return 2
	sleep 6
	echo scan >$RDC_KMEMLEAK || return 2
	echo scan >$RDC_KMEMLEAK || return 2
	report=$(cat $RDC_KMEMLEAK)
	[ -z "$report" ] && return 0
	echo "$report" | head -80 | while IFS= read -r line; do
		echo "kmemleak report: $line" >/dev/kmsg
	done
	return 1
}

# rdc_wait_dead SB: wait (up to 5 s) until superblock SB is dead (sh has
# no locals: the helpers' variables start with _rdc_).  A worker
# that held the last pin runs ->kill_sb() after umount returned, so counters
# read right after umount may still move.  Prints SB's counters line;
# returns 1 if it never died.
rdc_wait_dead() {
	_rdc_try=0
	while :; do
		_rdc_line=$(grep "^sb $1 " $RDC_DEBUGFS/counters)
		case "$_rdc_line" in *"state=dead"*)
			echo "$_rdc_line"
			return 0
			;;
		esac
		if [ $_rdc_try -ge 500 ]; then
			echo "$_rdc_line"
			return 1
		fi
		usleep 10000
		_rdc_try=$((_rdc_try + 1))
	done
}

# rdc_wait_quiet: wait (up to 5 s) until no superblock is live or dying.
rdc_wait_quiet() {
	_rdc_try=0
	while grep -q "state=\(live\|dying\)" $RDC_DEBUGFS/counters; do
		[ $_rdc_try -ge 500 ] && return 1
		usleep 10000
		_rdc_try=$((_rdc_try + 1))
	done
	return 0
}

# rdc_balanced: once no superblock is live or dying, whether the module-wide
# totals balance (as many inodes evicted as allocated, no late callback) and
# nothing of ours is mounted.  Leaves a one-line summary in RDC_TOTALS.
rdc_balanced() {
	rdc_wait_quiet
	_rdc_a=$(rdc_field total inodes_allocated)
	_rdc_e=$(rdc_field total inodes_evicted)
	_rdc_l=$(rdc_field total late_callbacks)
	_rdc_m=$(grep -c rdcachefs /proc/mounts)
	RDC_TOTALS="inodes_allocated=$_rdc_a inodes_evicted=$_rdc_e late_callbacks=$_rdc_l mounts=$_rdc_m"
	[ "$_rdc_a" = "$_rdc_e" ] && [ "$_rdc_l" = 0 ] && [ "$_rdc_m" = 0 ]
}
