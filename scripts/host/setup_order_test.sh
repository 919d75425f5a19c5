#!/bin/bash
# Host-side test (KTAP): every target does its set-up before anything checks
# for what the set-up installs, so that a missing toolchain leads to set-up,
# not to an error.  A few seconds; builds, installs and boots nothing.
#
#   scripts/host/setup_order_test.sh
#
# For each target of the Makefile's do.sh rule, with and without KDIR=,
# scripts/host/do.sh <target> runs with the two test hooks set:
#   RDCACHE_TEST_RUSTC=<a path that does not exist>   the toolchain looks missing
#   RDCACHE_TEST_SETUP=<stub>   instead of scripts/setup.sh: records its argument
#                               and exits 97, which stops the target right there
# and RDCACHE_CACHE in a temporary directory.  A target passes if do.sh exited
# 97 (the stub ran, and nothing failed before it: a toolchain check first
# would have died with 1) and the stub was called once, with 'all' (no KDIR)
# or 'packages' (KDIR=: no kernel source, no kernel build).
set -uo pipefail
top=$(cd -- "$(dirname -- "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

STUB_RC=97
calls=$tmp/calls
stub=$tmp/setup-stub
printf '#!/bin/sh\necho "$*" >>"%s"\nexit %d\n' "$calls" "$STUB_RC" >"$stub"
chmod +x "$stub"
no_rustc=$tmp/no-toolchain/rustc

# A KDIR that passes do.sh's checks of a user's tree, should they come first.
kdir=$tmp/kdir
mkdir -p "$kdir"
printf 'CONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT="rustc (fake)"\n' >"$kdir/.config"
: >"$kdir/Module.symvers"

# The targets make hands to do.sh: the rule whose recipe is '@$(DO) $@'.
makefile_targets() {
	awk '/\\$/ { sub(/\\$/, ""); buf = buf $0 " "; next }
		{ line = buf $0; buf = "" }
		line ~ /^\t@\$\(DO\) \$@/ { sub(/:.*/, "", prev); print prev }
		{ prev = line }' "$top/Makefile" | tr -s ' \t' '\n' | grep .
}
# setup first: if even it runs the real set-up, the hook is broken, and the
# other targets are not run (they could install or fetch things).
mapfile -t all < <(makefile_targets)
targets=()
for t in "${all[@]}"; do [ "$t" = setup ] || targets+=("$t"); done
if [[ " ${all[*]} " == *" setup "* ]]; then targets=(setup "${targets[@]}"); fi
required=(test run module clippy fmt fmtcheck shell bench test-kcsan kernel initramfs setup)

n=0
failed=0
result() { # ok|notok name [diagnostic lines...]
	local verdict=$1 name=$2 line
	shift 2
	n=$((n + 1))
	if [ "$verdict" = ok ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
	for line in "$@"; do
		while IFS= read -r line; do echo "# $line"; done <<<"$line"
	done
}

echo "KTAP version 1"
echo "1..$((2 + 2 * ${#targets[@]}))"

missing=()
for t in "${required[@]}"; do
	# Not `printf | grep -q`: grep exits at the first match, printf then
	# dies of SIGPIPE, and pipefail made that a miss now and then.
	[[ " ${targets[*]} " == *" $t "* ]] || missing+=("$t")
done
if [ ${#missing[@]} -eq 0 ]; then
	result ok setup-order/makefile-targets "${#targets[@]} targets: ${targets[*]}"
else
	result notok setup-order/makefile-targets "not found in the Makefile's do.sh rule: ${missing[*]}"
fi

# The hook really makes the toolchain look missing (else the rest proves nothing).
seen=$(RDCACHE_TEST_RUSTC=$no_rustc bash -c '. "$1/scripts/env.sh" && echo "$RUSTC"' _ "$top")
if [ "$seen" = "$no_rustc" ] && [ ! -e "$no_rustc" ]; then
	result ok setup-order/toolchain-looks-missing
else
	result notok setup-order/toolchain-looks-missing "env.sh's RUSTC is '$seen', not the missing '$no_rustc'"
fi

hook_ok=1
for t in "${targets[@]}"; do
	for variant in plain kdir; do
		name=setup-order/$t
		want=all
		kd=()
		if [ $variant = kdir ]; then
			name+=:kdir
			want=packages
			kd=(KDIR="$kdir")
		fi
		if [ $hook_ok = 0 ]; then
			result notok "$name" "not run: do.sh ignored RDCACHE_TEST_SETUP for 'setup'"
			continue
		fi
		: >"$calls"
		out=$(env -u KDIR -u KCFG -u MAKEFLAGS -u MAKELEVEL \
			RDCACHE_TEST_SETUP="$stub" RDCACHE_TEST_RUSTC="$no_rustc" RDCACHE_CACHE="$tmp/cache" "${kd[@]}" \
			timeout -k 5 30 "$top/scripts/host/do.sh" "$t" 2>&1 </dev/null)
		rc=$?
		got=$(cat "$calls")
		why=()
		if [ "$rc" != "$STUB_RC" ]; then why+=("do.sh exited $rc, not the stub's $STUB_RC"); fi
		if [ -z "$got" ]; then
			why+=("set-up was not called")
		elif [ "$got" != "$want" ]; then
			why+=("set-up was called as '$(paste -sd ' ' <<<"$got")', not once as '$want'")
		fi
		if [ ${#why[@]} -eq 0 ]; then
			result ok "$name"
		else
			# Each diagnostic names its test ('<target>[:kdir]: ...').
			[ -n "$out" ] || out="(nothing)"
			short=${name#setup-order/}
			result notok "$name" "$short: $(printf '%s; ' "${why[@]}")with ${kd[*]:-no KDIR}, do.sh $t printed:" \
				"$(tail -n 5 <<<"$out" | sed "s|^|$short:   |")"
			if [ "$t" = setup ] && [ -z "$got" ]; then hook_ok=0; fi
		fi
	done
done
echo "# setup-order: $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
