#!/bin/bash
# Install whatever rdcache needs and is missing: Debian packages, bindgen-cli,
# kcidb-io (PyPI, into a venv in the cache),
# the Linux source.  Idempotent; quick when everything is present.
#
#   scripts/setup.sh            everything
#   scripts/setup.sh packages   only Debian packages, bindgen and kcidb-io, no source (KDIR=)
#   scripts/setup.sh source     only the kernel source
set -euo pipefail
. "$(dirname -- "$0")/env.sh"

need_root() {
	[ "$(id -u)" = 0 ] && return 0
	echo "rdcache: these steps need root, and this script does not use sudo." >&2
	echo "rdcache: run as root:  $*" >&2
	exit 1
}

setup_packages() {
	local missing=() p
	for p in "${DEB_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		need_root "apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
		say "installing Debian packages: ${missing[*]}"
		# A fresh machine has no package lists yet (or old ones): update once
		# if any missing package has no installation candidate.  Not
		# apt-cache show, which succeeds for a package another one merely
		# refers to, as on a debootstrapped root with no lists.
		for p in "${missing[@]}"; do
			if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
				apt-get update -q
				break
			fi
		done
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
		did+=" packages"
	fi
	[ -x "$RUSTC" ] || die "$RUSTC missing after install (package rustc-web)"
	[ -d /usr/lib/rustlib/src/rust/library ] ||
		die "rust library source missing under /usr/lib/rustlib/src (package rust-web-src)"
}

setup_bindgen() {
	if [ -x "$BINDGEN" ] && "$BINDGEN" --version 2>/dev/null | grep -q " $BINDGEN_VERSION\$"; then
		return 0
	fi
	[ -x "$CARGO" ] || die "$CARGO missing (Debian package cargo-web)"
	say "installing bindgen-cli $BINDGEN_VERSION into $BINDGEN_ROOT (a few minutes)"
	# Debian's cargo and rustc, like everything else here; not rustup's.
	RUSTC=$RUSTC "$CARGO" install --locked --quiet --root "$BINDGEN_ROOT" bindgen-cli --version "$BINDGEN_VERSION"
	"$BINDGEN" --version >/dev/null || die "bindgen-cli installed but does not run"
	did+=" bindgen"
}

setup_kcidb() {
	if [ -x "$KCIDB_PYTHON" ] && "$KCIDB_PYTHON" -c "import kcidb_io" 2>/dev/null &&
		[ "$("$KCIDB_PYTHON" -m pip show kcidb-io 2>/dev/null | sed -n 's/^Version: //p')" = "$KCIDB_IO_VERSION" ]; then
		return 0
	fi
	say "installing kcidb-io $KCIDB_IO_VERSION (PyPI) into $KCIDB_VENV"
	rm -rf "$KCIDB_VENV"
	python3 -m venv "$KCIDB_VENV" || die "python3 -m venv failed (Debian package python3-venv)"
	"$KCIDB_VENV/bin/pip" install --quiet --disable-pip-version-check "kcidb-io==$KCIDB_IO_VERSION" ||
		die "pip could not install kcidb-io $KCIDB_IO_VERSION from PyPI into $KCIDB_VENV"
	"$KCIDB_PYTHON" -c "import kcidb_io" || die "kcidb-io installed but does not import"
	did+=" kcidb-io"
}

setup_source() {
	if [ -f "$KERNEL_SRC_DIR/.rdcache-version" ]; then
		return 0
	fi
	need_root "$0 source"
	local mirror apt deb ver
	mirror=$(host_mirror) || true
	[ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}; cannot fetch $KERNEL_SRC_PKG"
	apt=$RDCACHE_CACHE/apt
	rm -rf "$apt"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/dl"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $KERNEL_SRC_SUITE main" \
		>"$apt/sources.list"
	# A private apt state: the system's sources, lists and cache are untouched.
	local opts=(-o "Dir::Etc::sourcelist=$apt/sources.list" -o "Dir::Etc::sourceparts=-"
		-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root")
	say "fetching $KERNEL_SRC_PKG from $mirror $KERNEL_SRC_SUITE (signed index, ~170 MB)"
	apt-get -q "${opts[@]}" update >"$apt/update.log" 2>&1 ||
		{ cat "$apt/update.log" >&2; die "apt-get update of $KERNEL_SRC_SUITE failed (see above)"; }
	if ! apt-cache "${opts[@]}" show "$KERNEL_SRC_PKG" >/dev/null 2>&1; then
		die "$KERNEL_SRC_PKG is not in $mirror $KERNEL_SRC_SUITE. Get a Rust-enabled $KERNEL_SERIES tree some other way and pass KDIR=/path/to/built/tree"
	fi
	# apt-get download checks the .deb against the hash in the signed index.
	(cd "$apt/dl" && apt-get -q "${opts[@]}" download "$KERNEL_SRC_PKG")
	deb=$(ls "$apt"/dl/"${KERNEL_SRC_PKG}"_*.deb)
	[ "$(dpkg-deb -f "$deb" Package)" = "$KERNEL_SRC_PKG" ] || die "$deb is not $KERNEL_SRC_PKG"
	ver=$(dpkg-deb -f "$deb" Version)
	say "unpacking $KERNEL_SRC_PKG $ver"
	rm -rf "$apt/x" "$KERNEL_SRC_DIR.tmp"
	dpkg-deb -x "$deb" "$apt/x"
	mkdir -p "$KERNEL_SRC_DIR.tmp"
	tar -xJf "$apt/x/usr/src/$KERNEL_SRC_PKG.tar.xz" -C "$KERNEL_SRC_DIR.tmp" --strip-components=1
	local mk=$KERNEL_SRC_DIR.tmp/Makefile
	[ "$(sed -n 's/^VERSION = //p' "$mk").$(sed -n 's/^PATCHLEVEL = //p' "$mk")" = "$KERNEL_SERIES" ] ||
		die "unpacked tree is not Linux $KERNEL_SERIES"
	[ -f "$KERNEL_SRC_DIR.tmp/tools/testing/selftests/kselftest/ktap_helpers.sh" ] ||
		die "unpacked tree lacks tools/testing/selftests/kselftest/ktap_helpers.sh"
	echo "$KERNEL_SRC_PKG $ver $(sha256sum "$deb" | cut -d' ' -f1)" >"$KERNEL_SRC_DIR.tmp/.rdcache-version"
	rm -rf "$KERNEL_SRC_DIR"
	mv "$KERNEL_SRC_DIR.tmp" "$KERNEL_SRC_DIR"
	rm -rf "$apt/x" "$apt/dl"
	say "kernel source ready: $KERNEL_SRC_DIR ($ver)"
	did+=" source"
}

did=
start=$(date +%s)
case ${1:-all} in
packages) setup_packages; setup_bindgen; setup_kcidb ;;
source) setup_source ;;
all) setup_packages; setup_bindgen; setup_kcidb; setup_source ;;
*) die "usage: $0 [all|packages|source]" ;;
esac
# A set-up that did real work leaves its time for make bench's report.
if [ -n "$did" ]; then
	mkdir -p "$RDCACHE_CACHE"
	echo "$(($(date +%s) - start)) ${1:-all}:$did" >"$RDCACHE_CACHE/.rdcache-setup-seconds"
	say "set-up took $(($(date +%s) - start)) s ($did )"
fi
