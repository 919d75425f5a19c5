#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test: a test that outlives its 'settings' timeout (5 s) must be
# killed in the guest and reported as a timeout.

. /rdcache/ktap_helpers.sh

ktap_print_header
ktap_set_plan 1
ktap_print_msg "sleeping 60 s, past the 5 s timeout"
sleep 60
ktap_test_pass "not killed: the guest-side timeout did not fire"
ktap_finished
