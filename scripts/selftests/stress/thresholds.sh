#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh's judgements, in a file of their own so that the host tests them
# at their boundaries (scripts/host/run.py: stress/thresholds/<case>, with
# the busybox sh the guest runs).  They read n (the cycles run) and
# RATE_CYCLES, and report through ktap_test_pass/fail/skip.

# share NAME CYCLES MIN: a result that CYCLES of n cycles is at least MIN%.
share() {
	if [ $n -gt 0 ] && [ $(($2 * 100)) -ge $(($3 * n)) ]; then
		ktap_test_pass "$1 in $2 of $n cycles (at least $3%)"
	else
		ktap_test_fail "$1 in $2 of $n cycles (at least $3%)"
	fi
}
# rate NAME EVENTS MIN: EVENTS over n cycles is at least MIN per 1000.
# Below RATE_CYCLES cycles (default 200) it skips: at a few per 1000, a
# short run sees none by chance too often (make test's runs are 30-50
# cycles; make stress runs 1000).
rate() {
	if [ $n -lt "$RATE_CYCLES" ]; then
		ktap_test_skip "$1 $2 times in $n cycles: a rate per 1000 needs $RATE_CYCLES cycles or more"
	elif [ $(($2 * 1000)) -ge $(($3 * n)) ]; then
		ktap_test_pass "$1 $2 times in $n cycles (at least $3 per 1000)"
	else
		ktap_test_fail "$1 $2 times in $n cycles (at least $3 per 1000)"
	fi
}

# consistent CYCLES EVENTS: a case seen in CYCLES of n cycles, EVENTS times
# in all: CYCLES <= n, CYCLES <= EVENTS, and CYCLES > 0 if EVENTS > 0.
consistent() {
	[ "$1" -le "$n" ] && [ "$1" -le "$2" ] && { [ "$2" -eq 0 ] || [ "$1" -gt 0 ]; }
}

# time_up START DURATION: true once DURATION seconds (> 0; 0: no time
# bound, the run counts cycles) have passed since START (a `date +%s`).
time_up() {
	[ "$2" -gt 0 ] && [ $(($(date +%s) - $1)) -ge "$2" ]
}
