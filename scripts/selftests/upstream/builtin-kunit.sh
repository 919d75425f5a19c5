#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The upstream series' built-in KUnit suite (rust_fs_dcache): it ran at boot,
# before /init, on a kernel built by `make upstream`.  This prints its KTAP
# from the kernel log as its own output (the host reads it with kunit.py
# parse) and fails if the suite is missing or any of its tests failed.

suite=rust_fs_dcache
dmesg | sed -e 's/^\[ *[0-9.]*\] //' | sed -n '/^KTAP version 1$/,$p' |
	grep -E '^ *(KTAP version|TAP version|1\.\.|ok |not ok |# )' >/tmp/builtin.ktap
if ! grep -q "^ok [0-9]* $suite\$" /tmp/builtin.ktap && ! grep -q "^not ok [0-9]* $suite\$" /tmp/builtin.ktap; then
	echo "Bail out! no $suite suite in the boot log: is CONFIG_RUST_FS_DCACHE_KUNIT_TEST=y, kunit.enable=1?"
	exit 1
fi
cat /tmp/builtin.ktap
grep -q "^ok [0-9]* $suite\$" /tmp/builtin.ktap || exit 1
! grep -q '^not ok ' /tmp/builtin.ktap
