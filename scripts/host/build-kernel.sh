#!/bin/bash
# Build (or find cached) the kernel for one configuration.
#
#   scripts/host/build-kernel.sh [debug|bench|kcsan]
#
# Prints the build directory on stdout.  The tree is cached under
# $RDCACHE_CACHE/build/<config>-<key>, where the key hashes the kernel version,
# the fragment and the toolchain; a changed key builds a new tree.
set -euo pipefail
. "$(dirname -- "$0")/../env.sh"

cfg=${1:-debug}
frag=$(kconfig_fragment "$cfg")
[ -f "$frag" ] || die "no kernel config fragment $frag"
[ -f "$KERNEL_SRC_DIR/.rdcache-version" ] || die "no kernel source; run scripts/setup.sh"
[ -x "$BINDGEN" ] || die "no bindgen at $BINDGEN; run scripts/setup.sh"

out=$(kernel_build_dir "$cfg")

# "N s, S of about T steps (P%), about M min left", from the profile of an
# earlier build ("seconds steps" lines, the last one its end): the time left
# is what that build took from the same step on, scaled by how this one's
# pace compares so far.  Without a profile: seconds and steps only.
progress_line() {
	awk -v secs="$2" -v steps="$3" '
		{ t[NR] = $1; s[NR] = $2 }
		END {
			if (NR == 0 || s[NR] == 0) {
				printf "%d s, %d steps (no earlier build to compare)\n", secs, steps
				exit
			}
			total = s[NR]
			pct = int(100 * steps / total)
			if (pct > 99) pct = 99
			# When that build had done as many steps (between two of its
			# ticks: interpolated).
			at = t[NR]
			for (i = 1; i <= NR; i++) if (s[i] >= steps) {
				at = t[i]
				if (i > 1 && s[i] > s[i - 1])
					at = t[i - 1] + (t[i] - t[i - 1]) * (steps - s[i - 1]) / (s[i] - s[i - 1])
				break
			}
			pace = (at > 0) ? secs / at : 1
			left = (t[NR] - at) * pace
			if (left < 0) left = 0
			printf "%d s, %d of about %d steps (%d%%), about %d min left\n", secs, steps, total, pct, int((left + 59) / 60)
		}' "$1" 2>/dev/null || echo "$2 s, $3 steps"
}
if [ -f "$out/.rdcache-built" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$out"
log=$out/build.log
: >"$log"
say "building the $cfg kernel in $out (about 11 minutes on 2 cores; log: $log)"
start=$(date +%s)

# LLVM, RUSTC, BINDGEN, ... reach merge_config.sh's own make as command-line
# variables through MAKEFLAGS (the top Makefile's own 'RUSTC = rustc' would
# override plain environment variables), so the Rust availability check sees
# the right toolchain.
MAKEFLAGS="$(kmake_args)"
export MAKEFLAGS

# KPATCH=1: a copy of the pristine source (hard links, made once) with the
# series' C patches applied; each file a patch touches is a copy of its own
# first, so that the pristine tree never changes.
src=$(kernel_src_dir)
if [ "$src" != "$KERNEL_SRC_DIR" ] && [ ! -f "$src/.rdcache-patched" ]; then
	say "patching a copy of the kernel source: $src (scripts/upstream/c/*.diff)"
	rm -rf "$src.tmp"
	cp -al "$KERNEL_SRC_DIR" "$src.tmp"
	for d in "$KERNEL_PATCHES_DIR"/*.diff; do
		for f in $(sed -n 's|^+++ b/||p' "$d"); do
			cp --remove-destination "$KERNEL_SRC_DIR/$f" "$src.tmp/$f"
		done
		(cd "$src.tmp" && patch -p1 --no-backup-if-mismatch -s) <"$d" || die "$d does not apply to $KERNEL_SRC_DIR"
	done
	basename -a "$KERNEL_PATCHES_DIR"/*.diff >"$src.tmp/.rdcache-patched"
	# make upstream and its checks start from the pristine tree.
	echo "$KERNEL_SRC_DIR" >"$src.tmp/.rdcache-pristine"
	rm -rf "$src"
	mv "$src.tmp" "$src"
fi
cd "$src"

# tinyconfig == allnoconfig + kernel/configs/tiny.config; our fragment goes last.
if ! scripts/kconfig/merge_config.sh -n -O "$out" kernel/configs/tiny.config "$frag" \
	>"$out/merge.log" 2>&1; then
	cat "$out/merge.log" >&2
	die "merge_config.sh failed"
fi
# Any option the fragment asked for that did not stick is an error: an option
# lost to a missing dependency would silently weaken the test kernel.
if grep -A2 -e 'not in final .config' -e ' differs:$' "$out/merge.log" >&2; then
	die "options in $frag did not survive olddefconfig (above); fix their dependencies"
fi
grep -q '^CONFIG_RUST=y' "$out/.config" ||
	die "CONFIG_RUST did not stick: is '$RUSTC' usable? try: make -C $KERNEL_SRC_DIR LLVM=$LLVM_SUFFIX RUSTC=$RUSTC rustavailable"

# Progress: a line a minute with the steps done (Kbuild's "  CC ..." lines),
# the share of the steps the last build of this configuration took, and the
# time left by that build's pace at the same step.  Its profile ("seconds
# steps" every 10 s) is kept in the cache once a build ends;
# qemu/<config>.progress, committed, serves a machine that never built it.
profile=$RDCACHE_CACHE/build/$cfg.progress
[ -s "$profile" ] || profile=$RDCACHE_TOP/qemu/$cfg.progress
: >"$out/.rdcache-progress"
(
	n=0
	while sleep 10; do
		secs=$(($(date +%s) - start))
		steps=$(grep -c '^  [A-Z]' "$log" || true)
		echo "$secs $steps" >>"$out/.rdcache-progress"
		n=$((n + 1))
		[ $((n % 6)) -eq 0 ] || continue
		say "  kernel build: $(progress_line "$profile" "$secs" "$steps")"
	done
) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT

if ! make O="$out" -j"$JOBS" all >>"$log" 2>&1; then
	grep -E -B2 -A8 'error[:[]|Error [0-9]' "$log" | tail -60 >&2
	die "kernel build failed; full log: $log"
fi
kill $ticker 2>/dev/null || true
echo "$(($(date +%s) - start)) $(grep -c '^  [A-Z]' "$log" || true)" >>"$out/.rdcache-progress"
mkdir -p "$RDCACHE_CACHE/build"
cp "$out/.rdcache-progress" "$RDCACHE_CACHE/build/$cfg.progress"
# Rust helpers' bindings for rust-analyzer of the out-of-tree crate.
make O="$out" rust-analyzer >>"$log" 2>&1 || say "warning: 'make rust-analyzer' failed in the kernel tree"
cp "$frag" "$out/rdcache-fragment.config"
echo "$(($(date +%s) - start))" >"$out/.rdcache-build-seconds"
touch "$out/.rdcache-built"
say "kernel built in $(cat "$out/.rdcache-build-seconds") s"
echo "$out"
