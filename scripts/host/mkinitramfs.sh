#!/bin/bash
# Build the guest initramfs with the kernel tree's own usr/gen_init_cpio.
#
#   scripts/host/mkinitramfs.sh KDIR OUT.cpio.gz
#
# Holds static busybox, /init, rdcache's modules (from the clone, built
# against KDIR), the kselftest-style test directories and the tree's own
# tools/testing/selftests/kselftest/ktap_helpers.sh.
set -euo pipefail
. "$(dirname -- "$0")/../env.sh"

kdir=${1:?KDIR}
out=${2:?output}
top=$RDCACHE_TOP

gen=$kdir/usr/gen_init_cpio
[ -x "$gen" ] || die "$gen missing: is $kdir a built kernel tree?"
src=$(kernel_source_of "$kdir")
ktap=$src/tools/testing/selftests/kselftest/ktap_helpers.sh
[ -f "$ktap" ] || die "$ktap missing"
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox missing (Debian package busybox-static)"
for m in rdcache.ko rdcache_splat.ko rdcache_negctl.ko; do
	[ -f "$top/rust/$m" ] || die "$top/rust/$m missing: build the module first (make module)"
done

spec=$(mktemp)
trap 'rm -f "$spec" "$spec".*' EXIT
{
	for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /tmp /mnt /etc /root /rdcache /rdcache/tests; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	echo "file /bin/busybox $busybox 0755 0 0"
	# Every applet's link made here, not by 'busybox --install' at boot
	# (some 270 symlink() calls: a second of every boot under TCG and KASAN).
	"$busybox" --list-full | while read -r applet; do
		[ "$applet" = bin/busybox ] || echo "slink /$applet /bin/busybox 0777 0 0"
	done
	echo "file /init $top/scripts/guest/init 0755 0 0"
	for tool in rdc-sys rdc-fuzz; do
		gcc -static -Os -Wall -Werror -o "$spec.$tool" "$top/scripts/guest/$tool.c"
		echo "file /bin/$tool $spec.$tool 0755 0 0"
	done
	echo "file /rdcache/ktap_helpers.sh $ktap 0644 0 0"
	# Debug info stays on the host (decode_stacktrace.sh); the guest gets stripped copies.
	for m in rdcache rdcache_splat rdcache_negctl; do
		"llvm-strip$LLVM_SUFFIX" --strip-debug -o "$spec.$m.ko" "$top/rust/$m.ko"
		echo "file /rdcache/$m.ko $spec.$m.ko 0644 0 0"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$spec.passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$spec.group"
	echo "file /etc/passwd $spec.passwd 0644 0 0"
	echo "file /etc/group $spec.group 0644 0 0"
	for d in "$top"/scripts/selftests/*/; do
		s=$(basename "$d")
		echo "dir /rdcache/tests/$s 0755 0 0"
		for f in "$d"*; do
			[ -f "$f" ] || continue
			mode=0644
			[ -x "$f" ] && mode=0755
			echo "file /rdcache/tests/$s/$(basename "$f") $f $mode 0 0"
		done
	done
} >"$spec"
"$gen" "$spec" | gzip -1 >"$out.tmp"
rm -f "$spec".*
mv "$out.tmp" "$out"
