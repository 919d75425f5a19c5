#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# apifuzz/apifuzz.sh: the dcache layer's safe-API fuzzer
# (rust/rdcachefs/apifuzz.rs), one sequence per seed, each judged on its
# own slice of the kernel log by judge.awk: only the reports its own leaks
# and refused calls explain, each exactly as the sequence announced it.
# The module itself fails a sequence whose twin trees (the layer's put and
# C's dput()) disagree.  A failing seed's sequence is printed as Rust-like
# lines, and `make apifuzz SEED=N` replays it alone.
#
#   apifuzz.sh seeds FIRST COUNT OPS [S_S_...]
#                                         COUNT seeds from FIRST, then the
#                                         regression seeds S (a '_'-separated
#                                         list): a result each
#   apifuzz.sh duration SECONDS FIRST OPS seeds from FIRST until SECONDS
#                                         passed: one result for them all
#   apifuzz.sh replay SEED OPS            one seed, verbose (each call logged)
#
# Then one result for the coverage: every operation and every documented
# interleaving ran (seeds mode and duration mode).

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

mode=${1:-seeds}
F=$RDC_DEBUGFS/apifuzz

# run_seed SEED OPS [verbose]: runs one sequence; sets $judged to the
# judge's complaints (empty if clean) and $rc to the write's status.
run_seed() {
	# What the log gained since the last judged slice (the insmod, the
	# script between two sequences, a late report of a test before this
	# one in the boot) is judged too: a report no sequence announced fails
	# the seed that follows it.
	before=$(dmesg -c | awk -f ./judge.awk 2>&1) || before="apifuzz-judge: judge.awk failed: $before"
	rc=0
	echo "$1 $2${3:+ $3}" >$F || rc=$?
	log=$(dmesg)
	# The judge's own errors (stderr, a non-zero exit) are complaints too:
	# a judge that cannot read the log must not pass it.
	judged=$(echo "$log" | awk -f ./judge.awk 2>&1) || judged="apifuzz-judge: judge.awk failed: $judged"
	if [ $rc -ne 0 ] && [ -z "$judged" ]; then
		judged="apifuzz-judge: the sequence failed its own checks (write status $rc)"
	fi
	if [ -n "$before" ]; then
		judged="before seed $1: $before${judged:+
$judged}"
	fi
}

# show_failure SEED: the complaints, the sequence and the log slice.
show_failure() {
	echo "$judged" | while IFS= read -r l; do ktap_print_msg "$l"; done
	ktap_print_msg "seed $1: the sequence (replay: make apifuzz SEED=$1):"
	sed -n '/^last:/,/^coverage:/p' $F | grep -v '^coverage:' | while IFS= read -r l; do ktap_print_msg "  $l"; done
	ktap_print_msg "seed $1: the reports in its log:"
	echo "$log" | grep -E 'apifuzz: (umount|expect|FAILED)|BUG:|WARNING:|KASAN|UBSAN|refused|Busy inodes|INODE LEAK' |
		head -80 | while IFS= read -r l; do ktap_print_msg "  $l"; done
}

coverage_result() {
	# And what was logged after the last sequence's slice.
	after=$(dmesg -c | awk -f ./judge.awk 2>&1) || after="apifuzz-judge: judge.awk failed: $after"
	[ -z "$after" ] || echo "$after" | while IFS= read -r l; do ktap_print_msg "after the last sequence: $l"; done
	cov=$(sed -n '/^coverage:/,$p' $F)
	ktap_print_msg "$(echo "$cov" | head -1)"
	echo "$cov" | grep -E '^(interleaving|unexercised)' | while IFS= read -r l; do ktap_print_msg "$l"; done
	ops=$(echo "$cov" | grep -c '^op ')
	pairs=$(echo "$cov" | grep -c '^pair ')
	ktap_print_msg "$ops operations, $pairs pairs of operations on one object covered"
	if echo "$cov" | grep -q '^unexercised: none' && [ -z "$after" ]; then
		ktap_test_pass "coverage: every operation and every documented interleaving ran; nothing unannounced after"
	else
		ktap_test_fail "coverage: every operation and every documented interleaving ran; nothing unannounced after"
	fi
}

ktap_print_header
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
case $mode in
seeds)
	first=$2 count=$3 ops=$4 regress=$(echo "${5:-}" | tr '_' ' ')
	seeds=$(seq "$first" $((first + count - 1)))
	ktap_set_plan $((count + $(echo $regress | wc -w) + 1))
	for s in $seeds $regress; do
		run_seed "$s" "$ops"
		if [ -z "$judged" ]; then
			ktap_test_pass "seed $s: only the announced reports, twin trees agreed"
		else
			show_failure "$s"
			ktap_test_fail "seed $s: only the announced reports, twin trees agreed"
		fi
	done
	coverage_result
	;;
duration)
	secs=$2 first=$3 ops=$4
	ktap_set_plan 2
	end=$(($(date +%s) + secs))
	s=$first n=0 failed=
	while [ "$(date +%s)" -lt "$end" ]; do
		run_seed "$s" "$ops"
		n=$((n + 1))
		if [ -n "$judged" ]; then
			show_failure "$s"
			failed="$failed $s"
		fi
		[ $((n % 100)) -eq 0 ] && ktap_print_msg "$n sequences run, failed:${failed:- none}"
		s=$((s + 1))
	done
	ktap_print_msg "seeds $first..$((s - 1)): $n sequences of $ops operations in $secs s; failed:${failed:- none}"
	if [ -z "$failed" ]; then
		ktap_test_pass "$n sequences: only the announced reports, twin trees agreed"
	else
		ktap_test_fail "$n sequences: only the announced reports, twin trees agreed"
	fi
	coverage_result
	;;
replay)
	ktap_set_plan 1
	run_seed "$2" "$3" verbose
	sed -n '/^last:/,/^coverage:/p' $F | grep -v '^coverage:' | while IFS= read -r l; do ktap_print_msg "  $l"; done
	if [ -z "$judged" ]; then
		ktap_test_pass "seed $2: only the announced reports, twin trees agreed"
	else
		show_failure "$2"
		ktap_test_fail "seed $2: only the announced reports, twin trees agreed"
	fi
	;;
*)
	ktap_exit_fail_msg "apifuzz.sh: unknown mode '$mode'"
	;;
esac
ktap_finished
