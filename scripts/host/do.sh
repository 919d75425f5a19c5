#!/bin/bash
# The driver behind every make target: set-up, kernel, module, initramfs, VM.
#
#   scripts/host/do.sh <setup|kernel|module|clippy|fmt|fmtcheck|rust-analyzer|
#                       initramfs|test|run|smoke|harness|shell|bench|test-kcsan|...>
#
# Every target first does the set-up (scripts/setup.sh: Debian packages,
# bindgen, the kernel source), then checks the toolchain, then builds or finds
# the kernel.  KDIR=/path uses a Rust-enabled kernel tree of your own instead:
# it skips only the kernel source and the kernel build (setup.sh packages).
# KCFG=debug|bench|kcsan picks the cached kernel configuration (qemu/KCFG.config);
# bench and test-kcsan pick theirs.
#
# RDCACHE_TEST_SETUP=/path is a test hook, unset in normal use: that command
# runs instead of scripts/setup.sh, with the same argument (all|packages), so
# scripts/host/setup_order_test.sh can see that set-up comes first.
set -euo pipefail
. "$(dirname -- "$0")/../env.sh"

target=${1:?target}
cd "$RDCACHE_TOP"
declare -a phases=()
phase_start=0
phase() { phase_start=$(date +%s.%N); }
# PHASES_FILE, if set, gets "name seconds" for each phase (make bench).
phase_end() {
	local secs
	secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $phase_start" | bc)")
	phases+=("$1 $secs s")
	if [ -n "${PHASES_FILE:-}" ]; then echo "$1 $secs" >>"$PHASES_FILE"; fi
}
report_phases() { [ ${#phases[@]} -eq 0 ] || say "phases: $(
	IFS=,
	echo "${phases[*]}" | sed 's/,/, /g'
)"; }
trap report_phases EXIT

# Set-up, before anything checks for what it installs.
run_setup() {
	local mode=all
	if [ -n "${KDIR:-}" ]; then mode=packages; fi
	phase
	"${RDCACHE_TEST_SETUP:-scripts/setup.sh}" "$mode"
	phase_end setup
}

# After set-up: what it should have installed is there.
check_toolchain() {
	[ -x "$RUSTC" ] || die "$RUSTC not found after set-up: the kernel and the module are built with Debian's rustc-web (scripts/setup.sh)"
	local sysroot
	sysroot=$("$RUSTC" --print sysroot)
	[ -d "$sysroot/lib/rustlib/src/rust/library/core" ] ||
		die "$RUSTC has no library source under $sysroot/lib/rustlib/src (Debian package rust-web-src)"
	if command -v rustc >/dev/null && [ "$(command -v rustc)" != "$RUSTC" ]; then
		: # the rustup rustc earlier on PATH is never used: RUSTC= is passed to every make
	fi
}

# Kernel tree: the user's KDIR, or ours (built once, cached by key).  After set-up.
resolve_kdir() {
	if [ -n "${KDIR:-}" ]; then
		[ -f "$KDIR/.config" ] || die "KDIR=$KDIR has no .config: not a configured kernel tree"
		grep -q '^CONFIG_RUST=y' "$KDIR/.config" || die "KDIR=$KDIR is built without CONFIG_RUST"
		[ -f "$KDIR/Module.symvers" ] || die "KDIR=$KDIR is not built (no Module.symvers): run make there first"
	else
		phase
		KDIR=$(scripts/host/build-kernel.sh "${KCFG:-debug}")
		phase_end kernel
	fi
	# The rustc that built the kernel must be the one that builds the module.
	local built
	built=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"/\1/p' "$KDIR/.config")
	[ "$built" = "$("$RUSTC" --version)" ] ||
		die "$KDIR was built by '$built', but the module would be built by '$("$RUSTC" --version)' ($RUSTC); they must match"
}

# What every target but setup starts with, in this order; once per run.
prepared=
prepare() {
	[ -z "$prepared" ] || return 0
	run_setup
	check_toolchain
	resolve_kdir
	prepared=1
}

kmake() {
	# shellcheck disable=SC2046
	make -C "$KDIR" M="$RDCACHE_TOP" $(kmake_args) "$@"
}

build_module() {
	phase
	local log=$RDCACHE_TOP/results/module-build.log
	mkdir -p "$RDCACHE_TOP/results"
	if ! kmake -j"$JOBS" modules >"$log" 2>&1; then
		cat "$log" >&2
		die "module build failed"
	fi
	# Warnings are errors: rustc's and the C compiler's are (-Dwarnings,
	# -Werror in rust/Kbuild); objtool's and modpost's are not, so here.
	if grep -E '(^|: )warning:' "$log" >&2; then
		die "the module build warned (above; $log): warnings are errors here"
	fi
	phase_end module
}

build_initramfs() {
	phase
	INITRD=$RDCACHE_TOP/results/initramfs.cpio.gz
	scripts/host/mkinitramfs.sh "$KDIR" "$INITRD"
	phase_end initramfs
}

run_plan() {
	prepare
	build_module
	build_initramfs
	phase
	local rc=0
	python3 scripts/host/run.py --kdir "$KDIR" --ksrc "$(kernel_source_of "$KDIR")" \
		--kmake-args "$(kmake_args)" --initrd "$INITRD" "$1" || rc=$?
	phase_end "tests($1)"
	return $rc
}

rs_sources() { echo rust/rdcache_main.rs rust/dcache/compile_fail/*.rs; }

case $target in
setup) run_setup ;;
kernel)
	prepare
	echo "$KDIR"
	;;
module)
	prepare
	build_module
	;;
clippy)
	prepare
	# Clippy sees only what is recompiled: start from a clean module tree.
	kmake clean >/dev/null
	kmake -j"$JOBS" CLIPPY=1 modules 2>&1 | tee results/clippy.log
	if grep -E '^(warning|error)' results/clippy.log; then
		die "clippy is not clean (above)"
	fi
	kmake clean >/dev/null
	say "clippy: clean"
	;;
fmt | fmtcheck)
	prepare
	cfg=$(kernel_source_of "$KDIR")/.rustfmt.toml
	flag=
	if [ "$target" = fmtcheck ]; then flag=--check; fi
	# shellcheck disable=SC2046
	"$RUSTFMT" --edition 2021 --config-path "$cfg" $flag $(rs_sources)
	if [ "$target" = fmtcheck ]; then say "rustfmt: clean"; fi
	;;
doc)
	# The layer's rustdoc, with the flags Kbuild built the module with.
	prepare
	build_module
	python3 scripts/host/rustdoc.py --out "$RDCACHE_TOP/results/doc"
	;;
rust-analyzer)
	prepare
	kmake rust-analyzer
	say "wrote $RDCACHE_TOP/rust-project.json"
	;;
initramfs)
	prepare
	build_module
	build_initramfs
	echo "$INITRD"
	;;
test | run | smoke | harness | kunit | rdcachefs | interleavings | negctl | sound | apifuzz | layout | compile-fail | classifier | host | record-fixtures | hostile)
	run_plan "$target"
	;;
stress)
	# Its counts are the measured rates make test's thresholds are judged
	# by (scripts/host/stress_rates.py), kept in scripts/host/stress-rates.json.
	# Recorded at exit, whatever the verdict (a failed threshold is data
	# too); not through `run_plan ... || rc=$?`, which would turn off
	# errexit inside the set-up.
	export RDCACHE_RESULTS=${RDCACHE_RESULTS:-$RDCACHE_TOP/results/$(date +%Y%m%d-%H%M%S)-stress}
	record_rates() {
		if [ -f "$RDCACHE_RESULTS/ktap.log" ]; then
			python3 scripts/host/stress_rates.py record "$RDCACHE_RESULTS" ||
				say "no rates recorded from $RDCACHE_RESULTS"
		fi
		report_phases
	}
	trap record_rates EXIT
	run_plan stress
	;;
upstream)
	# The series from rust/dcache/, then its checks (scripts/host/upstream.py).
	prepare
	python3 scripts/host/upstream.py --ksrc "$(kernel_source_of "$KDIR")" --kdir "$KDIR" \
		--kmake-args "$(kmake_args)" --cache "$RDCACHE_CACHE" --rustfmt "$RUSTFMT" --jobs "$JOBS" \
		${UPSTREAM_SERIES_ONLY:+--series-only}
	;;
mutants)
	# Each mutant runs scripts/host/do.sh in a scratch copy of its own.
	prepare
	if [ -n "${GENERATED:-}" ]; then
		# Generated mutants (scripts/host/genmut.py): N sampled from SEED,
		# resumed from docs/mutants-generated.json.
		python3 scripts/host/genmut.py run --n "$GENERATED" --seed "${SEED:-1}"
	else
		# shellcheck disable=SC2086
		python3 scripts/host/mutants.py ${MUTANTS:-}
	fi
	;;
test-kcsan)
	# The stress suite on the KCSAN kernel: any data race report fails it.
	KCFG=kcsan run_plan kcsan
	;;
bench)
	# Benchmarks on the kernel without detectors, then the development loop
	# (timed by the phases above and one edit-build-boot-test cycle), then
	# the report: JSON, CSV, PNG plots and a markdown table.
	KCFG=bench
	prepare
	out=$RDCACHE_TOP/results/bench-$(date +%Y%m%d-%H%M%S)
	mkdir -p "$out"
	PHASES_FILE=$out/devloop.txt
	# The phases so far (setup, kernel), then the rest as they end.
	for p in "${phases[@]}"; do echo "${p% s}"; done >"$PHASES_FILE"
	RDCACHE_RESULTS=$out/vm run_plan bench
	say "development loop: one edit-build-boot-test cycle (touch, module, initramfs, smoke)"
	touch rust/rdcachefs/shape.rs
	cycle_start=$(date +%s.%N)
	build_module
	build_initramfs
	RDCACHE_RESULTS=$out/cycle python3 scripts/host/run.py --kdir "$KDIR" --ksrc "$(kernel_source_of "$KDIR")" \
		--kmake-args "$(kmake_args)" --initrd "$INITRD" smoke >"$out/cycle.log" 2>&1 ||
		die "the edit-run cycle's smoke test failed: $out/cycle.log"
	echo "edit-run-cycle $(echo "$(date +%s.%N) - $cycle_start" | bc)" >>"$PHASES_FILE"
	for k in debug bench; do
		f=$(kernel_build_dir $k)/.rdcache-build-seconds
		if [ -f "$f" ]; then echo "kernel-build-$k $(cat "$f")" >>"$PHASES_FILE"; fi
	done
	if [ -f "$RDCACHE_CACHE/.rdcache-setup-seconds" ]; then
		echo "cold-setup $(cut -d" " -f1 "$RDCACHE_CACHE/.rdcache-setup-seconds")" >>"$PHASES_FILE"
		echo "cold-setup-what $(cut -d" " -f2- "$RDCACHE_CACHE/.rdcache-setup-seconds")" >>"$PHASES_FILE"
	fi
	# BENCH_PUBLISH=1: also into docs/bench/ and docs/benchmarks.md's table.
	if [ -z "${BENCH_MODES:-}" ] || { [[ " $BENCH_MODES " == *" wall "* ]] && [[ " $BENCH_MODES " == *" icount "* ]]; }; then
		python3 scripts/host/bench_report.py --kdir "$KDIR" ${BENCH_PUBLISH:+--publish} "$out"
	elif [[ " $BENCH_MODES " == *" icount "* ]]; then
		# Instructions only: their table and goals, never published.
		python3 scripts/host/bench_report.py --kdir "$KDIR" --icount-only "$out"
	else
		say "BENCH_MODES=$BENCH_MODES: no report (the wall-clock table needs the icount boot too); the measurements are in $out/vm/ktap.log"
	fi
	;;
shell)
	prepare
	build_module
	build_initramfs
	python3 scripts/host/run.py --kdir "$KDIR" --ksrc "$(kernel_source_of "$KDIR")" --initrd "$INITRD" --shell
	;;
*) die "unknown target '$target'" ;;
esac
