# SPDX-License-Identifier: GPL-2.0
# Helpers shared by the sound tests (sourced, after ktap_helpers.sh and
# ../rdcachefs/lib.sh).

# sound_run COMMAND NAME: writes COMMAND to rdcache's control file, with the
# kernel log cleared first, as the KTAP result NAME (the module's own checks
# pass when the write succeeds); then the log since in $log, and its
# 'sound: ' lines as diagnostics.
sound_run() {
	dmesg -c >/dev/null
	if echo "$1" >$RDC_DEBUGFS/control; then
		ktap_test_pass "$2"
	else
		ktap_test_fail "$2"
	fi
	log=$(dmesg)
	echo "$log" | grep 'sound: ' | while IFS= read -r _l; do ktap_print_msg "$_l"; done
}

# sound_busy: the dentries umount reported busy in $log, by name, sorted,
# each followed by a space.
sound_busy() {
	echo "$log" | grep 'BUG: Dentry ' | sed -n 's/.*,n=\([^}]*\)}.*/\1/p' | sort | tr '\n' ' '
}

# sound_check NAME COMMAND...: a KTAP result NAME, passing if COMMAND succeeds.
sound_check() {
	_name=$1
	shift
	if "$@"; then
		ktap_test_pass "$_name"
	else
		ktap_test_fail "$_name"
	fi
}
