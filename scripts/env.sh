# shellcheck shell=bash
# The one place that knows the kernel version, the config fragments and the
# toolchain.  Sourced by every host-side script; never executed.
#
# Everything built outside the clone lives under $RDCACHE_CACHE so that a
# fresh clone (CI) reuses a kernel built by an earlier run on this machine.

RDCACHE_TOP=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
RDCACHE_CACHE=${RDCACHE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rdcache}

# Kernel source: Debian's linux-source package from the suite that carries it.
KERNEL_SERIES=7.3
KERNEL_SRC_PKG=linux-source-$KERNEL_SERIES
KERNEL_SRC_SUITE=trixie-backports
KERNEL_SRC_DIR=$RDCACHE_CACHE/src/linux-source-$KERNEL_SERIES

# Toolchain.  The kernel and the module must be built by the same rustc, and it
# must have library source: Debian's rustc-web, never the rustup one on PATH.
LLVM_SUFFIX=-19
export LLVM_SUFFIX
# RDCACHE_TEST_RUSTC is a test hook, unset in normal use: setup_order_test.sh
# points it at a path that does not exist, so the toolchain looks missing.
RUSTC=${RDCACHE_TEST_RUSTC:-/usr/bin/rustc}
CARGO=/usr/bin/cargo
CLIPPY_DRIVER=/usr/bin/clippy-driver
RUSTFMT=/usr/bin/rustfmt
# make rustdoc (make upstream): rustc-web's, not the rustup one on PATH.
RUSTDOC=/usr/bin/rustdoc
BINDGEN_VERSION=0.73.2
BINDGEN_ROOT=$RDCACHE_CACHE/tools
BINDGEN=$BINDGEN_ROOT/bin/bindgen
LIBCLANG_PATH=/usr/lib/llvm$LLVM_SUFFIX/lib
export LIBCLANG_PATH

# Debian packages the whole project needs (host build + VM + plots).
DEB_PACKAGES=(
	clang$LLVM_SUFFIX lld$LLVM_SUFFIX llvm$LLVM_SUFFIX libclang$LLVM_SUFFIX-dev
	rustc-web cargo-web rust-web-src rust-web-clippy rustfmt-web rust-web-analyzer
	qemu-system-x86 busybox-static
	bc flex bison libelf-dev libssl-dev cpio xz-utils gzip kmod
	make python3 git ca-certificates gcc libc6-dev gnuplot-nox
	b4 python3-venv
)

# kcidb-io (PyPI): validates the KCIDB v5 report of every run (kcidb.json),
# in a venv of its own in the cache (Debian 12 has no package of it).
KCIDB_IO_VERSION=141
KCIDB_VENV=$RDCACHE_CACHE/venv
KCIDB_PYTHON=$KCIDB_VENV/bin/python3
export KCIDB_PYTHON

# Kernel configurations: name -> fragment under qemu/.
KCONFIG_BASE=tinyconfig
kconfig_fragment() { echo "$RDCACHE_TOP/qemu/$1.config"; }

JOBS=${JOBS:-$(nproc)}

# Arguments every make against the kernel tree gets.
kmake_args() {
	echo LLVM="$LLVM_SUFFIX" RUSTC="$RUSTC" BINDGEN="$BINDGEN" \
		RUSTFMT="$RUSTFMT" RUSTDOC="$RUSTDOC" CLIPPY_DRIVER="$CLIPPY_DRIVER"
}

# Key of a built kernel: source version, the fragment's options, toolchain versions.
kernel_key() {
	local cfg=$1 ver
	ver=$(cat "$KERNEL_SRC_DIR/.rdcache-version" 2>/dev/null || echo unknown)
	{
		echo "$ver"
		echo "$KCONFIG_BASE"
		# The options only: a comment edited in a fragment rebuilds nothing.
		grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$(kconfig_fragment "$cfg")"
		"$RUSTC" --version
		"clang$LLVM_SUFFIX" --version | head -1
		"$BINDGEN" --version
		if [ -n "${KPATCH:-}" ]; then kernel_patches_key; fi
	} | sha256sum | cut -c1-12
}

# KPATCH=1: the kernel with the upstream series' C patches
# (scripts/upstream/c/*.diff: the dput_to_list() export), whose own cache key
# and tree; the module then uses the export (rust/Kbuild decides).
KERNEL_PATCHES_DIR=$RDCACHE_TOP/scripts/upstream/c
kernel_patches_key() { cat "$KERNEL_PATCHES_DIR"/*.diff | sha256sum | cut -c1-12; }
# The source tree a build uses: the pristine one, or (KPATCH=1) a patched copy.
kernel_src_dir() {
	if [ -n "${KPATCH:-}" ]; then
		echo "$KERNEL_SRC_DIR-patched-$(kernel_patches_key)"
	else
		echo "$KERNEL_SRC_DIR"
	fi
}

kernel_build_dir() { echo "$RDCACHE_CACHE/build/$1${KPATCH:+-patched}-$(kernel_key "$1")"; }

# The first Debian mirror the host's own apt sources name for its main archive
# (setup.sh fetches the kernel source from it, fresh-check.sh debootstraps from it).
host_mirror() {
	{
		cat /etc/apt/sources.list 2>/dev/null
		cat /etc/apt/sources.list.d/*.list 2>/dev/null
	} | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; break } }' |
		grep -v security | grep '/debian/*$' | head -1 | grep . && return 0
	awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | grep '/debian/*$' | head -1
}

die() { echo "rdcache: error: $*" >&2; exit 1; }
say() { echo "rdcache: $*" >&2; }

# The source tree of a built kernel tree (O= builds link it as 'source').
kernel_source_of() {
	if [ -d "$1/source" ]; then
		readlink -f "$1/source"
	else
		echo "$1"
	fi
}
