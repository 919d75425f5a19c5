#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test, guest side: a test whose status says it failed.
#
#   exit.sh 1          one failed result, exit 1 (ktap_finished)
#   exit.sh syntax     a shell syntax error: busybox sh exits 2
#   exit.sh overplan   plan 1, a pass and then a failure, exit 0: the
#                      kselftest helpers count only passes against the plan
#   exit.sh dup-marker passes, but writes its own Running marker to the
#                      kernel log a second time: its slice is ambiguous
#
# The host must report each as a failure of kind "exit" ("marker" for
# dup-marker); the self-test passes only then.

. /rdcache/ktap_helpers.sh

ktap_print_header
ktap_set_plan 1
case $1 in
1)
	ktap_test_fail "a result that failed"
	ktap_finished
	;;
syntax)
	ktap_test_pass "a result that passed"
	# An arithmetic syntax error, as a typo would make one.
	n=$((1 +* 2))
	echo "not reached: $n"
	;;
overplan)
	ktap_test_pass "the one planned result"
	ktap_test_fail "a result past the plan"
	ktap_finished
	;;
dup-marker)
	# The marker /init wrote for this test, by the name /init gave it (a
	# timeout cap adds @SECONDS to the spec).
	echo "kselftest: Running tests in ${RDCACHE_TEST_NAME:-harness-status/exit.sh:dup-marker}" >/dev/kmsg
	ktap_test_pass "a result that passed"
	ktap_finished
	;;
*) ktap_exit_fail_msg "unknown case '$1'" ;;
esac
