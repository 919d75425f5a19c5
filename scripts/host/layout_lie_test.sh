#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The build-time layout checks' self-test (rust/dcache/layout.rs): a scratch
# copy of the module is built with RDC_LAYOUT_LIE=1, which makes
# rust/dcache/layout_c.c report task_struct.pid 48 bytes early (what bindgen
# 0.73.2 does to the Rust side with CONFIG_SCHEDSTATS=n).  The build must
# fail, with a const-evaluation error (E0080) naming task_struct.pid.
#
#   scripts/host/layout_lie_test.sh KDIR "KMAKE_ARGS"
#
# KTAP-style lines on stdout ("ok 1 layout/..." / "not ok 1 ..."); exit 0 if
# the check fired as it must, 1 if not.
set -euo pipefail
kdir=${1:?KDIR}
kmake_args=${2:-}
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/rdcache-layout-lie.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
log=$top/results/layout-lie.log
mkdir -p "$top/results"

git -C "$top" ls-files -z -co --exclude-standard -- Kbuild rust |
	while IFS= read -r -d '' f; do
		[ -f "$top/$f" ] || continue
		mkdir -p "$tmp/$(dirname "$f")"
		cp "$top/$f" "$tmp/$f"
	done
rm -f "$tmp/rust/dcache/layout_c.rs"

name=layout/wrong-task-struct-pid-offset-fails-the-build
# shellcheck disable=SC2086
if make -C "$kdir" M="$tmp" $kmake_args RDC_LAYOUT_LIE=1 modules >"$log" 2>&1; then
	echo "not ok 1 $name"
	echo "# the module built with task_struct.pid reported 48 bytes early: the layout check did not fire ($log)"
	exit 1
fi
if grep -q 'error\[E0080\]' "$log" && grep -q 'offset of task_struct.pid in bindings::task_struct differs from C' "$log"; then
	echo "ok 1 $name"
	exit 0
fi
echo "not ok 1 $name"
echo "# the build failed, but not with E0080 naming task_struct.pid ($log):"
grep -m3 '^error' "$log" | sed 's/^/# /'
exit 1
