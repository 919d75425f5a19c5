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

# Progress: one line per minute with the number of objects built so far.
(
	while sleep 60; do
		say "  kernel build: $(($(date +%s) - start)) s, $(grep -c '^  [A-Z]' "$log" || true) steps"
	done
) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT

if ! make O="$out" -j"$JOBS" all >>"$log" 2>&1; then
	grep -E -B2 -A8 'error[:[]|Error [0-9]' "$log" | tail -60 >&2
	die "kernel build failed; full log: $log"
fi
kill $ticker 2>/dev/null || true
# Rust helpers' bindings for rust-analyzer of the out-of-tree crate.
make O="$out" rust-analyzer >>"$log" 2>&1 || say "warning: 'make rust-analyzer' failed in the kernel tree"
cp "$frag" "$out/rdcache-fragment.config"
echo "$(($(date +%s) - start))" >"$out/.rdcache-build-seconds"
touch "$out/.rdcache-built"
say "kernel built in $(cat "$out/.rdcache-build-seconds") s"
echo "$out"
