#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Lengths a filesystem hands the layer reach C clamped.  A zero-length
# read(2) of a file returns 0 (not EFAULT).  A filesystem's child() claims a name longer than the layer's 64-byte name
# buffer (rdcachefs namelen=N): the layer must clamp the length before
# dir_emit() sees it, so a listing from user space shows names of exactly 64
# bytes (the real name, then the 'x's rdcachefs filled the buffer with) and
# nothing past them; unclamped, dir_emit() would copy kernel stack out.

. /rdcache/ktap_helpers.sh
. ./lib.sh

M=/mnt/rdc-clamp
mkdir -p $M
x62=$(printf '%062d' 0 | tr 0 x)
# A 64-byte name's record: ALIGN(19 + 64 + 1, 8) = 88 bytes (fs/readdir.c);
# an unclamped 4000 or 65536 would give a larger one (or none at all).
want=$(printf '%s reclen=88\n' "d0$x62" "d1$x62" "f0$x62" | sort)

ktap_print_header
ktap_set_plan 5
rdc_load || ktap_exit_fail_msg "insmod rdcache.ko failed"

for n in 4000 65 64 65536; do
	if ! mount -t rdcachefs -o "depth=1,fanout=2,files=1,namelen=$n" none $M; then
		ktap_test_fail "readdir-clamp: namelen=$n: names are clamped to 64 bytes"
		continue
	fi
	# Not ls: busybox ls stats every name, and these names do not exist.
	names=$(rdc-sys readdir $M) || ktap_print_msg "namelen=$n: readdir failed"
	got=$(echo "$names" | grep -v -e '^\. ' -e '^\.\. ' | sort)
	lens=$(echo "$got" | awk '{ print length($1) }' | sort -u | tr '\n' ' ')
	umount $M || ktap_print_msg "namelen=$n: umount failed"
	ktap_print_msg "namelen=$n: name lengths seen: $lens"
	if [ "$got" = "$want" ]; then
		ktap_test_pass "readdir-clamp: namelen=$n: names are clamped to 64 bytes"
	else
		ktap_print_msg "namelen=$n: got: $(echo "$got" | tr '\n' ' ')"
		ktap_test_fail "readdir-clamp: namelen=$n: names are clamped to 64 bytes"
	fi
done
if mount -t rdcachefs none $M; then
	out=$(rdc-sys read0 $M/f0 2>&1)
	umount $M || ktap_print_msg "read0: umount failed"
else
	out="mount failed"
fi
ktap_print_msg "zero-length read: $out"
if [ "$out" = "read=0" ]; then
	ktap_test_pass "read: a zero-length read(2) of a file returns 0"
else
	ktap_test_fail "read: a zero-length read(2) of a file returns 0"
fi
ktap_finished
