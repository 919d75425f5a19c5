#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side test: does the installed bindgen drop the alignment of an empty
# aligned struct (docs/reports/bindgen-empty-aligned.md)?  A few seconds;
# builds nothing of the kernel or the module.
#
#   scripts/host/bindgen_empty_aligned_test.sh
#
# The reproducer goes through $BINDGEN (scripts/env.sh) WITH its layout tests
# (bindgen's default; the kernel turns them off), and the output is compiled
# by $RUSTC --edition 2021 --crate-type lib: the layout tests are compile-time
# assertions, so a lost alignment is a compile error in one of them.  Any
# other compile error is a failure of this test itself.  A control (the same
# struct, not empty) must compile: if it does not, the detector is broken.
#
# Prints 'bindgen <version>: affected (...)' or '... not affected', and
# compares it with the report's machine-readable lines
#   <!-- affected-versions: ... -->  and  <!-- unaffected-versions: ... -->
# Exit: 0 the verdict is the report's for this version; 1 it contradicts the
# report, or the control is "affected"; 2 the test itself failed (bindgen or
# rustc missing or failing otherwise, report unreadable); 4 SKIP: the report
# lists no expectation for this version (the verdict is printed anyway).
#
# Environment: BINDGEN_REPORT (default docs/reports/bindgen-empty-aligned.md;
# make test's self-test points it at a doctored copy), RDCACHE_TEST_BINDGEN
# (another bindgen binary to judge instead of $BINDGEN).
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/env.sh
. "$here/../env.sh"

me=bindgen_empty_aligned_test
report=${BINDGEN_REPORT:-$RDCACHE_TOP/docs/reports/bindgen-empty-aligned.md}
bindgen=${RDCACHE_TEST_BINDGEN:-$BINDGEN}

broken() { echo "$me: test failed: $*" >&2; exit 2; }

[ -x "$bindgen" ] || broken "no bindgen at $bindgen (make setup installs it)"
[ -x "$RUSTC" ] || broken "no rustc at $RUSTC"
version=$("$bindgen" --version 2>/dev/null | awk '$1 == "bindgen" { print $2; exit }') || true
[ -n "$version" ] || broken "$bindgen --version printed no 'bindgen <version>'"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The reproducer: an empty struct aligned to 64 inside another one.  In C
# (clang and gcc) sizeof(struct e) is 0, _Alignof is 64, offsetof(o, p) 64.
cat >"$tmp/empty.h" <<'EOF'
struct e {} __attribute__((aligned(64)));
struct o { char a; struct e s; int p; };
EOF
# The control: the same, but the aligned struct has a member.
cat >"$tmp/control.h" <<'EOF'
struct e { long x; } __attribute__((aligned(64)));
struct o { char a; struct e s; int p; };
EOF

# judge NAME: 'affected' if only layout assertions fail to compile, 'not
# affected' if it compiles; anything else ends the test (exit 2).
judge() {
	local name=$1 rs=$tmp/$1.rs err=$tmp/$1.err rc=0 line bad=0 layout=0 src
	if ! "$bindgen" "$tmp/$name.h" -o "$rs" 2>"$err"; then
		broken "bindgen failed on the $name case: $(tr '\n' ' ' <"$err")"
	fi
	# Without its compile-time layout assertions the output cannot tell.
	if ! grep -q '\["Alignment of e"\]' "$rs"; then
		broken "bindgen $version wrote no compile-time layout assertion for struct e ($name case)"
	fi
	"$RUSTC" --edition 2021 --crate-type lib --error-format=short \
		-o "$tmp/lib$name.rlib" "$rs" >"$err" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "not affected"
		return
	fi
	# Short format: '<file>:<line>:<col>: error[CODE]: ...', then 'error:
	# aborting due to N previous errors'.  A layout assertion's failure is an
	# E0080 (const evaluation) whose line is one of bindgen's assertions.
	while IFS= read -r line; do
		case $line in
		"error: aborting due to"*) ;;
		"$rs":*": error[E0080]:"*)
			src=$(sed -n "$(echo "${line#"$rs":}" | cut -d: -f1)p" "$rs")
			case $src in
			*'["Size of '* | *'["Alignment of '* | *'["Offset of field: '*)
				layout=$((layout + 1)) ;;
			*) bad=$((bad + 1)) ;;
			esac ;;
		*": error"* | error*) bad=$((bad + 1)) ;;
		esac
	done <"$err"
	if [ "$bad" -gt 0 ] || [ "$layout" -eq 0 ]; then
		broken "rustc failed on the $name case other than by a layout assertion (exit $rc): $(head -c 600 "$err" | tr '\n' ' ')"
	fi
	echo "affected"
}

control=$(judge control)
[ "$control" = "not affected" ] || {
	echo "$me: the detector is broken: the control (a non-empty aligned struct) is '$control':" >&2
	sed 's/^/    /' "$tmp/control.err" >&2
	exit 1
}
verdict=$(judge empty)
if [ "$verdict" = affected ]; then
	echo "bindgen $version: affected (empty aligned struct loses its alignment)"
	sed 's/^/    /' "$tmp/empty.err" >&2
else
	echo "bindgen $version: not affected"
fi

# The report's expectation for this version.
[ -r "$report" ] || broken "cannot read the report $report"
listed() { # affected|unaffected: the versions of that line, one per line
	sed -n "s/^<!-- $1-versions:\(.*\)-->\$/\1/p" "$report" | tr ', ' '\n\n' | grep . || true
}
grep -q '^<!-- affected-versions:.*-->$' "$report" && grep -q '^<!-- unaffected-versions:.*-->$' "$report" ||
	broken "$report has no '<!-- affected-versions: ... -->' and '<!-- unaffected-versions: ... -->' lines"
in_aff=$(listed affected | grep -cxF "$version" || true)
in_unaff=$(listed unaffected | grep -cxF "$version" || true)
if [ "$in_aff" -gt 0 ] && [ "$in_unaff" -gt 0 ]; then
	broken "$report lists bindgen $version as both affected and unaffected"
elif [ "$in_aff" -gt 0 ]; then
	expected=affected
elif [ "$in_unaff" -gt 0 ]; then
	expected="not affected"
else
	echo "$me: SKIP: $report has no expectation for bindgen $version (add it to one of its versions lines)" >&2
	exit 4
fi
if [ "$verdict" != "$expected" ]; then
	echo "$me: bindgen $version is '$verdict', but $report says '$expected'" >&2
	exit 1
fi
echo "$me: as $report says for bindgen $version" >&2
