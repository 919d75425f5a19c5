#!/bin/bash
# make fresh-check: the README's promise tried on a pristine Debian 12.  Not
# part of make test.  As root, on a Debian host:
#
#   1. debootstrap  a minimal Debian 12 root (debootstrap --variant=minbase
#                   bookworm), from the mirror the host's own apt sources name
#   2. prepare      a copy of that root, the host's CA certificates and
#                   resolv.conf in it, /proc /sys /dev mounted, git installed
#                   (what a user needs to clone), then the package lists
#                   emptied again, and a clone of this repository's HEAD
#   3. run          chroot, clean environment: cd /root/rdcache && ./rdcache run
#   4. test         the same with ./rdcache test
#
# The root's ~/.cache/rdcache starts empty: everything (packages, bindgen, the
# kernel source, the kernel) is set up cold, by the clone's own scripts.
# Each phase's wall time goes into a final table and into
# results/fresh-check-<date>/phases.txt, with each phase's full log beside it;
# the exit status is non-zero if any phase failed.  This host gets nothing but
# debootstrap (apt-get, if it is missing).
#
#   FRESH_ROOT=dir     where the roots live (default /var/tmp/rdcache-fresh):
#                      dir/base is the debootstrap output, dir/root the copy
#                      the check runs in; both removed at the start of a run
#   FRESH_KEEP=1       reuse dir/base if an earlier run completed it (skips the
#                      debootstrap phase only; dir/root is always a new copy)
#   FRESH_STEPS=run,test   which of the two to run (default both, in that order)
#
# Only committed HEAD is checked (the clone is of HEAD): a dirty work tree
# gets a warning.
set -euo pipefail
. "$(dirname -- "$0")/../env.sh"
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

[ "$(id -u)" = 0 ] || die "fresh-check needs root (debootstrap, chroot, mounts)"

SUITE=bookworm
FRESH_ROOT=${FRESH_ROOT:-/var/tmp/rdcache-fresh}
case $FRESH_ROOT in /?*) ;; *) die "FRESH_ROOT=$FRESH_ROOT: must be an absolute path" ;; esac
FRESH_ROOT=$(realpath -m -- "$FRESH_ROOT")
[ "$FRESH_ROOT" != / ] || die "FRESH_ROOT=/ would be removed"
FRESH_KEEP=${FRESH_KEEP:-0}
FRESH_STEPS=${FRESH_STEPS:-run,test}
steps=()
for s in ${FRESH_STEPS//,/ }; do
	case $s in run | test) steps+=("$s") ;; *) die "FRESH_STEPS: '$s' is neither run nor test" ;; esac
done
[ ${#steps[@]} -gt 0 ] || die "FRESH_STEPS is empty"

BASE=$FRESH_ROOT/base
BASE_DONE=$FRESH_ROOT/base.debootstrapped # outside the root: base stays as debootstrap left it
ROOT=$FRESH_ROOT/root
MARK=$FRESH_ROOT/.rdcache-fresh-root
CLONE=/root/rdcache

MIRROR=$(host_mirror) || true
[ -n "$MIRROR" ] || die "no Debian mirror in this host's apt sources (/etc/apt/sources.list{,.d})"
# This repository, whoever owns it (root's git would call it dubious).
hgit() { git -c safe.directory="$RDCACHE_TOP" -C "$RDCACHE_TOP" "$@"; }
commit=$(hgit rev-parse HEAD)
branch=$(hgit symbolic-ref -q HEAD) || branch=
dirty=$(hgit status --porcelain | wc -l)
if [ "$dirty" -gt 0 ]; then
	say "warning: the work tree has $dirty uncommitted change(s); only committed HEAD ${commit:0:12} is checked"
fi

stamp=$(date +%Y%m%d-%H%M%S)
out=$RDCACHE_TOP/results/fresh-check-$stamp
mkdir -p "$out"

# Everything mounted below $1 (not $1 itself), deepest first.
mounts_under() {
	awk -v p="$1" '{ m = $5; gsub(/\\040/, " ", m); if (index(m, p "/") == 1) print m }' \
		/proc/self/mountinfo | sort -r
}

# Processes whose root directory is $ROOT (what this script started in it).
root_pids() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		if [ "$r" = "$ROOT" ]; then echo "${p#/proc/}"; fi
	done
}

cleanup() {
	local pids m i list
	pids=$(root_pids)
	if [ -n "$pids" ]; then
		say "stopping what still runs in $ROOT: $(echo "$pids" | tr '\n' ' ')"
		# shellcheck disable=SC2086
		kill $pids 2>/dev/null || true
		for i in 1 2 3 4 5 6 7 8 9 10; do
			pids=$(root_pids)
			[ -n "$pids" ] || break
			sleep 1
		done
		# shellcheck disable=SC2086
		if [ -n "$pids" ]; then kill -KILL $pids 2>/dev/null || true; fi
	fi
	# Stacked mounts are listed once each: a few passes.
	for i in 1 2 3; do
		list=$(mounts_under "$FRESH_ROOT")
		[ -n "$list" ] || return 0
		while IFS= read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done <<<"$list"
	done
	list=$(mounts_under "$FRESH_ROOT")
	if [ -n "$list" ]; then say "warning: still mounted: $(echo "$list" | tr '\n' ' ')"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# Remove what we made under FRESH_ROOT (never anything else, never through a
# mount).
remove_ours() {
	cleanup
	if [ -n "$(mounts_under "$FRESH_ROOT")" ]; then
		die "still mounted under $FRESH_ROOT: $(mounts_under "$FRESH_ROOT" | tr '\n' ' ')"
	fi
	rm -rf --one-file-system -- "$@"
}

if [ -e "$FRESH_ROOT" ] && [ ! -e "$MARK" ] && [ -n "$(ls -A "$FRESH_ROOT")" ]; then
	die "$FRESH_ROOT exists, is not empty and was not made by fresh-check: refusing to use it"
fi
if [ "$FRESH_KEEP" = 1 ] && [ -f "$BASE_DONE" ]; then
	remove_ours "$ROOT"
else
	remove_ours "$ROOT" "$BASE" "$BASE_DONE"
fi
mkdir -p "$FRESH_ROOT"
echo "made by rdcache's scripts/host/fresh-check.sh; removed by its next run" >"$MARK"
# The root grows to the packages, the kernel source and a debug kernel build.
avail=$(df -Pk "$FRESH_ROOT" | awk 'NR == 2 { print int($4 / 1048576) }')
if [ "$avail" -lt 10 ]; then say "warning: $avail GB free under $FRESH_ROOT; a cold run needs several GB"; fi

# Inside the root, as root, in the environment a fresh login would not even
# improve on: nothing from this host's environment gets in.
in_root() {
	env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb "$(command -v chroot)" "$ROOT" "$@"
}

phase_debootstrap() {
	if ! [ -x /usr/sbin/debootstrap ]; then
		echo "installing debootstrap on this host"
		if ! apt-cache show debootstrap >/dev/null 2>&1; then apt-get update -q; fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
	fi
	rm -f "$BASE_DONE"
	echo "debootstrap --variant=minbase $SUITE $BASE $MIRROR"
	debootstrap --variant=minbase "$SUITE" "$BASE" "$MIRROR"
	echo "$SUITE $MIRROR $(date -Is)" >"$BASE_DONE"
}

phase_prepare() {
	echo "copying $BASE to $ROOT"
	cp -a "$BASE" "$ROOT"
	# A pristine root: none of what the set-up installs, no cache.
	local f
	for f in /usr/bin/make /usr/bin/rustc /usr/bin/git /root/.cache/rdcache; do
		if [ -e "$ROOT$f" ]; then
			echo "$BASE is not pristine: it has $f (run again without FRESH_KEEP=1)" >&2
			return 1
		fi
	done
	# The host's CA certificates (this host may reach the network through a
	# TLS proxy with its own CA: without them cargo install fails), and its
	# resolver.
	mkdir -p "$ROOT/etc/ssl" "$ROOT/usr/share" "$ROOT/usr/local/share"
	rm -rf "$ROOT/etc/ssl/certs" "$ROOT/usr/share/ca-certificates"
	cp -a /etc/ssl/certs "$ROOT/etc/ssl/certs"
	cp -a /usr/share/ca-certificates "$ROOT/usr/share/ca-certificates"
	if [ -d /usr/local/share/ca-certificates ]; then
		rm -rf "$ROOT/usr/local/share/ca-certificates"
		cp -a /usr/local/share/ca-certificates "$ROOT/usr/local/share/ca-certificates"
	fi
	if [ -f /etc/ca-certificates.conf ]; then cp /etc/ca-certificates.conf "$ROOT/etc/"; fi
	rm -f "$ROOT/etc/resolv.conf"
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
	# No daemon a package installs starts inside the chroot (the usual
	# policy-rc.d; rdcache installs no service it uses).
	printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"
	# /dev and /sys with what is mounted below them (/dev/pts, /dev/shm),
	# as slaves: nothing unmounted here propagates back to the host.
	mkdir -p "$ROOT/proc" "$ROOT/sys" "$ROOT/dev"
	mount -t proc proc "$ROOT/proc"
	mount --rbind /sys "$ROOT/sys"
	mount --make-rslave "$ROOT/sys"
	mount --rbind /dev "$ROOT/dev"
	mount --make-rslave "$ROOT/dev"
	echo "mounted: $(mounts_under "$ROOT" | tr '\n' ' ')"
	# What a user does before cloning: install git.
	in_root apt-get update -q
	in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends git
	# ... and then the stricter start for ./rdcache: no package lists at
	# all (as in Debian's container images), so it must apt-get update.
	in_root apt-get clean
	rm -rf "$ROOT"/var/lib/apt/lists/*
	# The clone: of committed HEAD (and its branch), through a bundle, by
	# the root's own git.
	local refs=(HEAD)
	if [ -n "$branch" ]; then refs+=("$branch"); fi
	hgit bundle create "$ROOT/root/rdcache.bundle" "${refs[@]}"
	in_root git clone /root/rdcache.bundle "$CLONE"
	rm -f "$ROOT/root/rdcache.bundle"
	local got
	got=$(in_root git -C "$CLONE" rev-parse HEAD)
	if [ "$got" != "$commit" ]; then
		echo "the clone is at $got, not HEAD $commit" >&2
		return 1
	fi
	echo "clone: $CLONE at $commit${branch:+ (${branch#refs/heads/})}"
	echo "cache: /root/.cache/rdcache absent (a cold run)"
}

phase_step() {
	in_root /bin/sh -c "cd $CLONE && exec ./rdcache $1" </dev/null
}

# Phases: name, seconds, status (ok, reused, FAIL rc=N, skipped).  run_phase
# leaves the phase's status in last_rc and returns 0: called as a condition
# (`run_phase ... || x`), bash would run the phase with set -e ignored.
declare -a p_name=() p_secs=() p_status=()
failed=0
last_rc=0
run_phase() {
	local name=$1 log=$out/$1.log start rc
	shift
	say "phase $name (log: $log)"
	start=$(date +%s.%N)
	set +e
	(
		set -e
		"$@"
	) 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	p_name+=("$name")
	p_secs+=("$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')")
	if [ "$rc" = 0 ]; then
		p_status+=(ok)
	else
		p_status+=("FAIL rc=$rc")
		failed=1
	fi
	last_rc=$rc
}
mmss() { if [ "$1" = - ]; then echo -; else awk -v s="$1" 'BEGIN { printf "%dm%02ds", s / 60, s % 60 }'; fi; }
skip_phase() {
	p_name+=("$1")
	p_secs+=(-)
	p_status+=("${2:-skipped}")
}

ok=1
if [ "$FRESH_KEEP" = 1 ] && [ -f "$BASE_DONE" ]; then
	say "phase debootstrap: reusing $BASE ($(cat "$BASE_DONE"))"
	skip_phase debootstrap reused
else
	run_phase debootstrap phase_debootstrap
	[ "$last_rc" = 0 ] || ok=0
fi
if [ $ok = 1 ]; then
	run_phase prepare phase_prepare
	[ "$last_rc" = 0 ] || ok=0
else
	skip_phase prepare
fi
for s in "${steps[@]}"; do
	if [ $ok = 1 ]; then
		# A failed run does not stop the test: each is its own evidence.
		run_phase "$s" phase_step "$s"
		if [ -d "$ROOT$CLONE/results" ]; then
			rm -rf "$out/$s-results"
			cp -a "$ROOT$CLONE/results" "$out/$s-results"
		fi
	else
		skip_phase "$s"
	fi
done
cleanup

{
	echo "# make fresh-check $stamp: commit $commit, $SUITE minbase from $MIRROR, root $ROOT"
	if [ "$dirty" -gt 0 ]; then echo "# the work tree had $dirty uncommitted change(s), not checked"; fi
	printf '%-12s %10s %9s  %s\n' phase seconds wall status
	for i in "${!p_name[@]}"; do
		printf '%-12s %10s %9s  %s\n' "${p_name[$i]}" "${p_secs[$i]}" "$(mmss "${p_secs[$i]}")" "${p_status[$i]}"
	done
	# What the clone's own scripts timed inside the root.
	cache=$ROOT/root/.cache/rdcache
	if [ -f "$cache/.rdcache-setup-seconds" ]; then
		echo "# inside: last set-up that did real work: $(cat "$cache/.rdcache-setup-seconds") (seconds what)"
	fi
	for f in "$cache"/build/*/.rdcache-build-seconds; do
		if [ -f "$f" ]; then echo "# inside: kernel build $(basename "$(dirname "$f")"): $(cat "$f") s"; fi
	done
} >"$out/phases.txt"
echo
cat "$out/phases.txt"
say "fresh-check: logs and phases.txt in $out; the root stays in $ROOT until the next run"
if [ $failed = 1 ] || [ $ok = 0 ]; then
	say "fresh-check: FAIL"
	exit 1
fi
say "fresh-check: PASS"
