#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rdcache's benchmarks, run in the guest.  `bench.sh tiny` (in make test,
# on the debug kernel: only that every benchmark runs and reports) or
# `bench.sh full` (make bench, on the bench kernel), in wall time; and
# `bench.sh icount-tiny` / `bench.sh icount`, the single-threaded ones in a
# guest booted with QEMU's `-icount shift=0,sleep=off` on one vCPU, where one
# nanosecond of guest time is one guest instruction.  Every measurement is
# one line "# BENCH <kind> key=value..." (wall) or "# BENCH-ICOUNT <kind>
# key=value..." (instructions) that scripts/host/bench_report.py turns into
# medians, ratios, fits and plots.
#
#   put, put-contended, dispose, retain, chain   in-module (debugfs rdcache/bench)
#   umount                               umount(2) of rdcachefs and tmpfs
#                                        trees of the same shape, timed by
#                                        rdc-sys in the guest

. /rdcache/ktap_helpers.sh
. ../rdcachefs/lib.sh

mode=${1:-tiny}
cpus=$(grep -c '^processor' /proc/cpuinfo)
# Wall time: BENCH lines, every benchmark.  Instruction counts: BENCH-ICOUNT
# lines, the single-threaded benchmarks only (icount is single-threaded).
tag=BENCH threads=""
case $mode in
tiny)
	reps=1 put_n=2000 dispose_ns="100 300" retain_ns="100 300" chain_ns="32 64"
	umount_ns="300 1000" umount_reps=1 threads="1 $cpus"
	;;
full)
	reps=5 put_n=200000 dispose_ns="1000 10000 100000" retain_ns="1000 10000 100000"
	chain_ns="256 512 1024 2048" umount_ns="10000 30000 100000 300000 1000000" umount_reps=3
	threads="1 2 4"
	;;
icount-tiny)
	tag=BENCH-ICOUNT reps=3 put_n=2000 dispose_ns="100" retain_ns="100" chain_ns=""
	umount_ns="300 1000" umount_reps=1
	;;
icount)
	# umount once per size: a 1,000,000-dentry tree takes minutes to build
	# on one emulated vCPU, and instruction counts barely move between runs.
	tag=BENCH-ICOUNT reps=5 put_n=20000 dispose_ns="1000 10000" retain_ns="1000 10000" chain_ns=""
	umount_ns="10000 100000 1000000" umount_reps=1
	;;
*) ktap_exit_fail_msg "bench.sh: mode '$mode' is none of tiny, full, icount-tiny, icount" ;;
esac
if [ $tag = BENCH-ICOUNT ] && [ "$cpus" != 1 ]; then
	ktap_exit_fail_msg "bench.sh $mode: instruction counts need one vCPU, the guest has $cpus"
fi
# bench.sh full 10000 30000: other umount sizes
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && umount_ns="$*"

ktap_print_header
ktap_set_plan 7
for n in $umount_ns; do
	rdc_num n || ktap_exit_fail_msg "bench.sh: umount size '$n' is not a number"
done
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"
B=$RDC_DEBUGFS/bench
ktap_print_msg "$tag-CONFIG mode=$mode cpus=$cpus kernel=$(uname -r) reps=$reps"

# Instruction counts: every timed region runs as SCHED_FIFO, so that on the
# one vCPU no SCHED_OTHER task runs inside it while it runs: not RCU's
# kthreads (the boot has rcutree.use_softirq=0, so callbacks run in rcuc
# kthreads, not on interrupt exit), not kworkers.  What earlier work left
# queued runs in the sleep and rcu_barrier() before each region ('settle'
# for umount(2)); what a region queues runs after it, on both sides alike.
# (umount(2) sleeps once, in namespace_unlock()'s expedited grace period;
# whatever is runnable then runs inside its region.)  Nor may the fair
# server hand the CPU to SCHED_OTHER tasks for 50 ms after a region has
# kept them off it for about 950 ms (a 1,000,000-dentry umount is 1.5-2.1
# s): it is off for the run and restored after it.
fifo= old_fs=
FAIR_SERVER=/sys/kernel/debug/sched/fair_server/cpu0/runtime
if [ $tag = BENCH-ICOUNT ]; then
	fifo=50
	[ "$(cat /sys/module/rcutree/parameters/use_softirq 2>/dev/null)" = N ] ||
		ktap_print_msg "rcutree.use_softirq is not off: RCU callbacks may run inside timed regions"
	old_fs=$(cat $FAIR_SERVER 2>/dev/null) && echo 0 >$FAIR_SERVER ||
		ktap_print_msg "could not turn the fair server off ($FAIR_SERVER): a region over about 950 ms may lose 50 ms to SCHED_OTHER tasks"
fi

# measure COMMAND...: COMMAND, as SCHED_FIFO when counting instructions.
measure() {
	if [ -n "$fifo" ]; then
		rdc-sys fifo $fifo "$@"
	else
		"$@"
	fi
}

# bench_run KIND ARGS...: one in-module run per repetition.
bench_run() {
	kind=$1
	shift
	r=1
	while [ $r -le $reps ]; do
		if ! measure sh -c 'echo "$1" >"$2"' sh "$kind $*" "$B"; then
			ktap_print_msg "bench '$kind $*' failed: $(dmesg | grep 'rdcache.*bench' | tail -1)"
			return 1
		fi
		res=$(cat $B)
		if [ -z "$res" ]; then
			ktap_print_msg "bench '$kind $*': reading $B failed or gave nothing"
			return 1
		fi
		ktap_print_msg "$tag $res rep=$r"
		r=$((r + 1))
	done
}

ok=1
bench_run put $put_n || ok=0
if [ $ok = 1 ]; then
	ktap_test_pass "put vs dput, $reps x $put_n"
else
	ktap_test_fail "put vs dput"
fi

ok=1
if [ -z "$threads" ]; then
	ktap_test_skip "put on one dentry from several threads: wall time only (icount runs one vCPU)"
else
	for k in $threads; do bench_run put-contended $((put_n / 2)) "$k" || ok=0; done
	if [ $ok = 1 ]; then
		ktap_test_pass "put vs C on one dentry, threads $threads"
	else
		ktap_test_fail "put vs C on one dentry, threads $threads"
	fi
fi

ok=1
for n in $dispose_ns; do bench_run dispose "$n" || ok=0; done
if [ $ok = 1 ]; then
	ktap_test_pass "disposal: put + shrink vs dput, N=$dispose_ns"
else
	ktap_test_fail "disposal: put + shrink vs dput"
fi

ok=1
for n in $retain_ns; do bench_run retain "$n" || ok=0; done
if [ $ok = 1 ]; then
	ktap_test_pass "retain: put + shrink vs dput of dentries that stay cached, N=$retain_ns"
else
	ktap_test_fail "retain: put + shrink vs dput"
fi

ok=1
if [ -z "$chain_ns" ]; then
	ktap_test_skip "chain: a quadratic baseline, wall time only"
else
	for n in $chain_ns; do bench_run chain "$n" || ok=0; done
	if [ $ok = 1 ]; then
		ktap_test_pass "chain: pruning vs leaf-only, N=$chain_ns"
	else
		ktap_test_fail "chain: pruning vs leaf-only"
	fi
fi

# umount_case FS SHAPE N REP: build or walk the tree, time the umount.
umount_case() {
	fs=$1 shape=$2 n=$3
	case $shape in
	chain) d=$((n - 1)) f=1 k=0 ;;
	# 1 + 32 + 1024 directories, each with k files: ~n entries in all
	wide) d=2 f=32 k=$(((n + 528) / 1057 - 1)) ;;
	esac
	[ $k -lt 0 ] && k=0
	mkdir -p /mnt/bench
	if [ "$fs" = rdcachefs ]; then
		mount -t rdcachefs -o "depth=$d,fanout=$f,files=$k" none /mnt/bench || return 1
		build=$(rdc-sys walk /mnt/bench $d $f $k) || { umount /mnt/bench; return 1; }
	else
		mount -t tmpfs -o nr_inodes=0,size=90% none /mnt/bench || return 1
		build=$(rdc-sys mktree /mnt/bench $d $f $k) || { umount /mnt/bench; return 1; }
	fi
	echo settle >$B || { umount /mnt/bench; return 1; }
	um=$(measure rdc-sys umount /mnt/bench) || return 1
	entries=${build%% *}
	ktap_print_msg "$tag umount fs=$fs shape=$shape n=${entries#entries=} build_ns=${build##*ns=} ${um} rep=$4"
}

ok=1
for n in $umount_ns; do
	for shape in chain wide; do
		r=1
		while [ $r -le $umount_reps ]; do
			for fs in rdcachefs tmpfs; do
				umount_case $fs $shape "$n" $r || { ok=0; ktap_print_msg "umount $fs $shape $n failed"; }
			done
			r=$((r + 1))
		done
	done
done
if [ $ok = 1 ]; then
	ktap_test_pass "umount: rdcachefs vs tmpfs, chain and wide, N=$umount_ns"
else
	ktap_test_fail "umount: rdcachefs vs tmpfs"
fi

[ -n "$old_fs" ] && echo "$old_fs" >$FAIR_SERVER
if rdc_unload; then
	ktap_test_pass "rmmod rdcache"
else
	ktap_test_fail "rmmod rdcache"
fi
ktap_finished
