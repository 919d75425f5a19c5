# SPDX-License-Identifier: GPL-2.0
"""Kernel log classifier: which lines of a dmesg slice mean the run is broken.

The patterns are the 7.3 formats that syzkaller, xfstests' _check_dmesg,
KernelCI and LKFT match on (see ../../README.md, "Deciding that a run is
broken").  Order matters: the first pattern that matches a line names it, so
specific patterns come before the catch-alls.
"""

import re

# (kind, regex) -- kind is what a failure report names.
PATTERNS = [
    ("kasan", r"BUG: KASAN: "),
    ("kcsan", r"BUG: KCSAN: "),
    ("ubsan", r"UBSAN: "),
    ("dentry-busy", r"BUG: Dentry \S+\{i=\S*,n=.*\}\s+still in use \(-?\d+\) \[unmount of "),
    ("busy-inodes", r"VFS: Busy inodes after unmount of "),
    ("dentry-flags", r"\bdentry=[0-9a-fx]+ d_flags=0x[0-9a-f]+"),
    ("late-callback", r"rdcache: LATE CALLBACK"),
    ("inode-leak", r"rdcache: INODE LEAK"),
    ("sleep-in-atomic", r"BUG: sleeping function called from invalid context"),
    ("sleep-in-atomic", r"BUG: scheduling while atomic"),
    ("lockdep", r"WARNING: possible circular locking dependency detected"),
    ("lockdep", r"WARNING: possible recursive locking detected"),
    ("lockdep", r"WARNING: inconsistent lock state"),
    ("lockdep", r"WARNING: possible irq lock inversion dependency detected"),
    ("lockdep", r"WARNING: bad unlock balance detected"),
    ("lockdep", r"WARNING: held lock freed"),
    ("lockdep", r"WARNING: lock held when returning to user space"),
    ("lockdep", r"WARNING: (bad contention|nested lock|suspicious unlock)"),
    ("lockdep", r"BUG: held lock freed"),
    ("rcu", r"WARNING: suspicious RCU usage"),
    ("rcu-stall", r"rcu: INFO: .*detected stalls"),
    ("hung-task", r"INFO: task \S.*:\d+ blocked for more than \d+ seconds"),
    ("soft-lockup", r"watchdog: BUG: soft lockup"),
    ("hard-lockup", r"watchdog: .*hard LOCKUP"),
    ("refcount", r"refcount_t: (underflow|overflow|saturated|addition on 0|decrement hit 0)"),
    ("list-corruption", r"list_(add|del) corruption"),
    ("rust-panic", r"\bpanicked at "),
    ("kmemleak", r"unreferenced object 0x[0-9a-f]+"),
    ("panic", r"Kernel panic - not syncing:"),
    ("bug", r"kernel BUG at "),
    ("oops", r"Oops: "),
    ("gpf", r"general protection fault"),
    ("bad-page", r"BUG: Bad page (state|map)"),
    ("bug", r"BUG: (unable to handle|kernel NULL pointer dereference)"),
    ("warning", r"WARNING: \S+:\d+ at \S+"),  # 7.3: WARNING: file:line at func+0x../0x.., CPU#N
    ("warning", r"WARNING: at \S+, CPU#\d+"),  # 7.3, WARN without file:line
    ("warning", r"WARNING: CPU: \d+ PID: \d+ at "),  # pre-7.x format
    ("warning", r"-+\[ cut here \]-+"),
    ("warning", r"---\[ end trace [0-9a-f]+ \]---"),
    ("bug", r"^BUG: "),
]

# Lines that look alarming but are expected (checked before PATTERNS).
NOISE = [
    r"loading out-of-tree module taints kernel",
    r"module verification failed",
    r"BUG: MAX_\w+ too low",
    r"turning off the locking correctness validator",
    r"drop_caches: \d+",
]

_PATTERNS = [(k, re.compile(r)) for k, r in PATTERNS]
_NOISE = [re.compile(r) for r in NOISE]
_TIMESTAMP = re.compile(r"^\s*\[\s*\d+\.\d+\]\s?")

# /proc/sys/kernel/tainted bits that mean something went wrong.  Out-of-tree
# (O), unsigned (E) and test (N) modules are expected.
BAD_TAINT = {
    5: ("B", "bad page"),
    7: ("D", "kernel died (oops or BUG)"),
    9: ("W", "warning"),
    14: ("L", "soft lockup"),
}


def strip_timestamp(line):
    return _TIMESTAMP.sub("", line.rstrip("\r\n"))


def classify_line(line):
    """The kind of failure a single log line shows, or None."""
    text = strip_timestamp(line)
    for noise in _NOISE:
        if noise.search(text):
            return None
    for kind, rx in _PATTERNS:
        if rx.search(text):
            return kind
    return None


def classify(lines):
    """[(kind, line)] for every line of `lines` that means failure."""
    found = []
    for line in lines:
        kind = classify_line(line)
        if kind:
            found.append((kind, strip_timestamp(line)))
    return found


def new_bad_taint(before, after):
    """Bad taint bits set in `after` that were not in `before`, as text."""
    gained = after & ~before
    return [f"{letter} ({why})" for bit, (letter, why) in sorted(BAD_TAINT.items()) if gained & (1 << bit)]


def summary(findings):
    """One line naming the splat(s): 'kasan: BUG: KASAN: ... (+3 more lines)'."""
    if not findings:
        return ""
    kinds = []
    for kind, _ in findings:
        if kind not in kinds:
            kinds.append(kind)
    first = findings[0][1]
    return f"{'+'.join(kinds)}: {first[:160]}" + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else "")


def kcsan_reports(lines):
    """[(report line, ours, via)] for each KCSAN report in `lines`.

    `ours`: one of the two racing accesses is in rdcache's code, i.e. the
    report's title ("data-race in A / B") names a function of rdcache's
    modules (`[rdcache...]`) or its C glue (`rdc_*`).  `via`: rdcache is only
    somewhere in the call chains (up to the closing ===== line), e.g. as the
    `->lookup()` that called into fs/dcache.c.  make test-kcsan fails only on
    reports that are ours.
    """
    out = []
    for i, line in enumerate(lines):
        text = strip_timestamp(line)
        if "BUG: KCSAN: " not in text:
            continue
        block = []
        for following in lines[i + 1:i + 120]:
            t = strip_timestamp(following)
            if t.startswith("====="):
                break
            block.append(t)
        ours = bool(re.search(r"\[rdcache\w*\]|\brdc_\w+|rdcache", text))
        via = any(re.search(r"\[rdcache\w*\]|\brdc_\w+", t) for t in block)
        out.append((text, ours, via))
    return out
