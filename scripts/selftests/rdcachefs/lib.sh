# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the rdcachefs tests (sourced, after ktap_helpers.sh).

RDC_DEBUGFS=/sys/kernel/debug/rdcache

rdc_load() {
	grep -qw rdcachefs /proc/filesystems || insmod /rdcache/rdcache.ko
}

# rdc_unload: unload rdcache if it is loaded.  Fails if rmmod fails or the
# module is still there afterwards; succeeds if it was not loaded.
rdc_unload() {
	if grep -qw rdcache /proc/modules; then
		rmmod rdcache || return 1
	fi
	! grep -qw rdcache /proc/modules
}

# rdc_num NAME...: whether each variable NAME holds a non-empty decimal
# number.  A counter that could not be read is empty, and two empty strings
# compare equal: check with this before comparing counters (with -eq).
# Prints the first offending variable.
rdc_num() {
	for _rdc_n in "$@"; do
		case $_rdc_n in
		'' | [!A-Za-z_]* | *[!A-Za-z0-9_]*)
			ktap_print_msg "rdc_num: '$_rdc_n' is not a variable name"
			return 1
			;;
		esac
		eval "_rdc_v=\${$_rdc_n-}"
		case $_rdc_v in
		'' | *[!0-9]*)
			ktap_print_msg "not a number: $_rdc_n='$_rdc_v'"
			return 1
			;;
		esac
	done
	return 0
}

# The number of the newest superblock in the counters file.
rdc_last_sb() {
	sed -n 's/^sb \([0-9]*\) .*/\1/p' $RDC_DEBUGFS/counters | tail -1
}

# rdc_field SCOPE KEY: SCOPE is "total" or a superblock number.
# rdc_put_path: which ShrinkList::put() the loaded module uses:
# dput_to_list (the kernel exports it) or fallback (stock 7.3).
rdc_put_path() {
	sed -n 's/^put: //p' $RDC_DEBUGFS/control
}

rdc_field() {
	if [ "$1" = total ]; then
		sed -n "s/^total .* $2=\([0-9a-z]*\).*/\1/p" $RDC_DEBUGFS/counters
	else
		sed -n "s/^sb $1 \(.* \)\{0,1\}$2=\([0-9a-z]*\).*/\2/p" $RDC_DEBUGFS/counters
	fi
}

# Expected entries of a shape, root included: sum over levels of F^l * (1 + N).
rdc_entries() {
	_rdc_d=$1 _rdc_f=$2 _rdc_k=$3 _rdc_total=0 _rdc_dirs=1 _rdc_l=0
	while [ $_rdc_l -le "$_rdc_d" ]; do
		_rdc_total=$((_rdc_total + _rdc_dirs * (1 + _rdc_k)))
		_rdc_dirs=$((_rdc_dirs * _rdc_f))
		_rdc_l=$((_rdc_l + 1))
	done
	echo $_rdc_total
}

# Drop dentries and inodes.  7.3 takes 1..4 only: 4 first silences the
# one-off "drop_caches: 2" message, then 2 drops the slab caches.  Fails if
# a write fails.
rdc_drop_caches() {
	sync
	echo 4 >/proc/sys/vm/drop_caches && echo 2 >/proc/sys/vm/drop_caches
}

RDC_KMEMLEAK=/sys/kernel/debug/kmemleak

# Forget what kmemleak suspects so far (boot-time objects): later scans
# report only what leaked after this.
rdc_kmemleak_clear() {
	[ -w $RDC_KMEMLEAK ] && echo clear >$RDC_KMEMLEAK 2>/dev/null
}

# Scan for unreferenced objects now (in a boot with kmemleak=on).  Objects
# younger than 5 s are not reported (mm/kmemleak.c: MSECS_MIN_AGE), hence
# the wait; two scans, since the report read after them lists only what
# the last one still found unreferenced (kmemleak_seq_show()): an object
# that only looked leaked, its pointer in a register or on a stack for a
# moment (the transient false positives of kmemleak.rst), drops out of
# it.  Any report is copied to the kernel
# log, where the host's classifier turns "unreferenced object" into a
# failure.  Returns 0 if clean, 1 if something leaked, 2 if kmemleak is off,
# 3 if the boot asked for it (kmemleak=on) but it is off: it disables itself
# for good on an internal error, such as a failed allocation of its own.
rdc_kmemleak_scan() {
	_rdc_off=2
	grep -qw kmemleak=on /proc/cmdline && _rdc_off=3
	# A kernel with kmemleak disabled keeps the file but refuses every
	# write but "clear" (kmemleak_write(): EPERM).  "stack=on" is the
	# default already: a probe that costs nothing, where a scan before the
	# wait cost 7 s on the KASAN kernel under TCG and could report nothing
	# the two after it do not (min_unref_scans is 1).
	[ -w $RDC_KMEMLEAK ] && echo stack=on >$RDC_KMEMLEAK 2>/dev/null || return $_rdc_off
	sleep 6
	echo scan >$RDC_KMEMLEAK || return $_rdc_off
	echo scan >$RDC_KMEMLEAK || return $_rdc_off
	_rdc_report=$(cat $RDC_KMEMLEAK) || return 1
	[ -z "$_rdc_report" ] && return 0
	echo "$_rdc_report" | head -80 | while IFS= read -r _rdc_line; do
		echo "kmemleak report: $_rdc_line" >/dev/kmsg
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

# rdc_wait_quiet: wait (up to 5 s) until no superblock is live or dying;
# returns 1 if some still is, or the counters cannot be read.
rdc_wait_quiet() {
	_rdc_try=0
	[ -r $RDC_DEBUGFS/counters ] || return 1
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
# Fails if a superblock is still live or dying after 5 s, or a counter
# cannot be read as a number.
rdc_balanced() {
	_rdc_q=0
	rdc_wait_quiet || _rdc_q=1
	_rdc_a=$(rdc_field total inodes_allocated)
	_rdc_e=$(rdc_field total inodes_evicted)
	_rdc_l=$(rdc_field total late_callbacks)
	_rdc_m=$(grep -c rdcachefs /proc/mounts)
	RDC_TOTALS="inodes_allocated=$_rdc_a inodes_evicted=$_rdc_e late_callbacks=$_rdc_l mounts=$_rdc_m"
	if [ $_rdc_q = 1 ]; then
		RDC_TOTALS="$RDC_TOTALS; a superblock still live or dying after 5 s"
		return 1
	fi
	rdc_num _rdc_a _rdc_e _rdc_l _rdc_m &&
		[ "$_rdc_a" -eq "$_rdc_e" ] && [ "$_rdc_l" -eq 0 ] && [ "$_rdc_m" -eq 0 ]
}
