#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test: every vCPU stops (halts) with interrupts off, so the guest can
# answer nothing, not even its own timeout.  The host must notice the silence
# and fail the test.

. /rdcache/ktap_helpers.sh

ktap_print_header
ktap_set_plan 1
ktap_print_msg "wedging every CPU"
insmod /rdcache/rdcache_splat.ko trigger=wedge || ktap_exit_fail_msg "insmod rdcache_splat.ko trigger=wedge failed"
ktap_test_pass "not wedged"
ktap_finished
