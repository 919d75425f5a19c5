#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# rdcache's in-module KUnit suites: they run when rdcache.ko loads and print
# KTAP to the kernel log.  This prints that KTAP as its own output (the host
# reads it with kunit.py parse) and fails if any suite or test failed.
# Needs kunit.enable=1 on the kernel command line (the runner passes it).

if [ ! -d /sys/module/kunit ] && ! grep -q kunit /proc/kallsyms 2>/dev/null; then
	echo "1..0 # SKIP kernel without CONFIG_KUNIT"
	exit 4
fi

# The guest's /init keeps other tests' module loads from running the
# suites (kunit.filter_glob); this load runs all of them.
glob=/sys/module/kunit/parameters/filter_glob
old_glob=$(cat $glob 2>/dev/null)
[ -w $glob ] && printf '*.*' >$glob
dmesg -c >/dev/null
loaded=1
insmod /rdcache/rdcache.ko || loaded=0
case $old_glob in '' | '(null)') ;; *) printf '%s' "$old_glob" >$glob ;; esac
if [ $loaded = 0 ]; then
	echo "Bail out! insmod rdcache.ko failed"
	exit 1
fi
# Suites run synchronously during the load; their KTAP is in the log now.
# (KUNIT_KTAP: where the host's self-tests of this script keep it.)
ktap=${KUNIT_KTAP:-/tmp/kunit.ktap}
dmesg | sed -e 's/^\[ *[0-9.]*\] //' | sed -n '/^KTAP version 1$/,$p' >"$ktap"
unloaded=1
rmmod rdcache || unloaded=0
cat "$ktap"
if ! grep -q '^ok ' "$ktap"; then
	echo "# no KUnit results in the kernel log"
	exit 1
fi
if grep -q '^not ok ' "$ktap"; then
	exit 1
fi
if [ $unloaded = 0 ] || grep -qw rdcache /proc/modules; then
	echo "# rmmod rdcache failed after the KUnit suites"
	exit 1
fi
exit 0
