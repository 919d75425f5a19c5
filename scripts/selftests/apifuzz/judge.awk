# SPDX-License-Identifier: GPL-2.0
#
# judge.awk: the kernel log of one apifuzz sequence, judged against what the
# sequence said it would cause (rust/rdcachefs/apifuzz.rs).  Accepted, and
# each exactly as announced:
#   - between "apifuzz: umount #T FS begins: expect busy NAME:INO(C) ...;
#     busy inodes N, counted M" and "apifuzz: umount #T ends":
#     umount_check()'s "BUG: Dentry ...{i=INO,n=NAME} still in use (C)" for
#     each NAME:INO(C) listed, no other; "VFS: Busy inodes after unmount"
#     once if N > 0, else never; for rdcachefs (T > 0), "INODE LEAK:
#     rdcachefs superblock #T: A inodes allocated, E evicted" with A - E = M
#     if M > 0 (the inodes rdcachefs counts: not create_child()'s), else
#     never; the
#     WARNING lines of umount_check and generic_shutdown_super;
#   - after "apifuzz: expect refusal: OP": one "dcache: OP ... while this
#     CPU holds a dentry guard refused" WARN (rdc_lock_rule_warn), no more.
# Anything else that looks like a report fails: one line per problem on
# stdout, "apifuzz-judge: ..." (nothing printed means the log is clean).

function bad(msg) {
	print "apifuzz-judge: " msg
	nbad++
}

BEGIN { win = 0; nbad = 0 }

# A replay's program lines (verbose mode): the sequence, not reports.
/apifuzz: \| / { next }

/apifuzz: umount #[0-9]+ [a-z]+ begins: expect busy/ {
	if (win)
		bad("umount of #" wtag " never ended before the next began")
	win = 1
	s = $0
	sub(/.*apifuzz: umount #/, "", s)
	wtag = s
	sub(/ .*/, "", wtag)
	names = s
	sub(/.*expect busy/, "", names)
	sub(/;.*/, "", names)
	inodes = s
	sub(/.*busy inodes /, "", inodes)
	sub(/[^0-9].*/, "", inodes)
	inodes += 0
	counted = s
	sub(/.*, counted /, "", counted)
	sub(/[^0-9].*/, "", counted)
	counted += 0
	delete want
	n = split(names, arr, " ")
	for (i = 1; i <= n; i++)
		if (arr[i] != "")
			want[arr[i]]++
	seen_inodes = 0
	seen_leak = 0
	next
}

/apifuzz: umount #[0-9]+ ends/ {
	if (!win) {
		bad("umount end without a beginning: " $0)
		next
	}
	for (k in want)
		if (want[k] > 0)
			bad("umount of #" wtag ": expected busy " k " was not reported")
	if (inodes && seen_inodes != 1)
		bad("umount of #" wtag ": busy inodes reported " seen_inodes " times, expected once")
	if (!inodes && seen_inodes)
		bad("umount of #" wtag ": busy inodes reported, none expected")
	if (wtag > 0 && counted && seen_leak != 1)
		bad("umount of #" wtag ": INODE LEAK reported " seen_leak " times, expected once")
	win = 0
	next
}

/BUG: Dentry .* still in use \(/ {
	name = $0
	sub(/.*,n=/, "", name)
	sub(/[}].*/, "", name)
	ino = $0
	sub(/.*[{]i=/, "", ino)
	sub(/,.*/, "", ino)
	cnt = $0
	sub(/.*still in use \(/, "", cnt)
	sub(/\).*/, "", cnt)
	key = name ":" ino "(" cnt ")"
	if (!win)
		bad("busy dentry outside an umount: " key)
	else if (want[key] > 0)
		want[key]--
	else
		bad("umount of #" wtag ": busy " key " not expected")
	next
}

/VFS: Busy inodes after unmount of/ {
	if (!win)
		bad("busy inodes outside an umount")
	seen_inodes++
	next
}

/INODE LEAK: rdcachefs superblock #/ {
	t = $0
	sub(/.*superblock #/, "", t)
	sub(/[^0-9].*/, "", t)
	al = $0
	sub(/.*: /, "", al)
	ev = al
	sub(/ inodes allocated.*/, "", al)
	sub(/.* allocated, /, "", ev)
	sub(/ evicted.*/, "", ev)
	seen_leak++
	if (!win || t != wtag || !counted)
		bad("INODE LEAK of #" t " not expected here")
	else if (al - ev != counted)
		bad("umount of #" wtag ": " al - ev " inodes leaked, expected " counted)
	next
}

/apifuzz: expect refusal: / {
	op = $0
	sub(/.*apifuzz: expect refusal: /, "", op)
	pend[op]++
	next
}

/dcache: .* refused/ {
	found = 0
	for (op in pend)
		if (pend[op] > 0 && index($0, "dcache: " op) > 0 && $0 ~ /while this CPU holds a dentry guard refused/) {
			pend[op]--
			found = 1
			break
		}
	if (!found)
		bad("refusal not announced: " $0)
	next
}

/WARNING:/ {
	if (win && $0 ~ / at (umount_check|generic_shutdown_super)\+/)
		next
	if ($0 ~ / at rdc_lock_rule_warn\+/)
		next
	bad("unexpected: " $0)
	next
}

/apifuzz: FAILED/ { bad($0); next }

/BUG:|UBSAN|KASAN|Oops|general protection|Kernel panic|possible recursive|possible circular|inconsistent lock|suspicious RCU|bad unlock|sleeping function|scheduling while atomic|LATE CALLBACK|refcount_t|list_add corruption|list_del corruption|kernel BUG/ {
	bad("unexpected: " $0)
	next
}

END {
	if (win)
		bad("umount of #" wtag " never ended")
	for (op in pend)
		if (pend[op] > 0)
			bad("announced refusal of " op " not seen " pend[op] " time(s)")
}
