#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host-side self-check of classify.PATTERNS against the recorded kernel logs.

Every pattern must be proven by a recorded 7.3 console log: at least one line
of some scripts/host/fixtures/*.log must be *named* by it, i.e. it is the
first pattern of PATTERNS that matches the line (after NOISE).  A pattern
whose every matching line an earlier pattern already names is dead code and
counts as uncovered, like one that matches nothing.

A fixture's '# ...' comment lines are not classified.  '# expect: <kind>'
says what the log must show, 'clean' that it must show nothing; a log that
must show several kinds has several '# expect:' lines or one
'# expect: a, b'.  Every expected kind must be one of PATTERNS'
kinds (or 'clean', alone).

    classify_selftest.py          # per kind, the fixtures that prove it; the
                                  # uncovered patterns; the fixtures' verdicts

Exit status: 0 all proven, 1 some pattern uncovered, 2 a fixture is wrong
(unknown kind, no '# expect:', or the classifier disagrees with it).

run.py can turn coverage() and fixture_problems() into KTAP results;
NOT_PRODUCIBLE says which uncovered patterns no trigger can prove on the
test kernels' config (a SKIP rather than a failure, if run.py wants).
"""

import glob
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import classify  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")

# Patterns that no trigger can produce on the test kernels' config, and why.
# They stay in `uncovered`; the reason is printed beside them.
NOT_PRODUCIBLE = {
    r"^WARNING: chain_key collision$": "print_collision() is built only with DEBUG_LOCKDEP (=n)",
    r"^WARNING: bad contention detected!$": "print_lock_contention_bug() is built only with LOCK_STAT (=n)",
    r"^watchdog: CPU\d+: Watchdog detected hard LOCKUP on cpu \d+$": "HARDLOCKUP_DETECTOR=n",
    r"^INFO: rcu_tasks detected stalls on tasks:$":
        "needs a Tasks-RCU grace period held out for rcu_task_stall_timeout (10 min)",
    r"^ODEBUG: Out of memory\. ODEBUG disabled$": "needs debugobjects' object pool exhausted",
    r"^BUG: KCSAN: (data-race|assert: race) in ":
        "KCSAN excludes KASAN, so not on the debug kernel: make test-kcsan's harness/detects-race is its live "
        "self-test, on qemu/kcsan.config",
    r"^dentry=\S+ d_flags=0x[0-9a-f]+":
        "fs/dcache.c's D_FLAG_VERIFY() checks the dcache's own state; no module can set it up without "
        "corrupting a dentry the dcache then frees",
    r"^VFS: Lookup of '.*' in \S+ \S+ would have caused loop":
        "d_splice_alias() of a directory inode already aliased above itself: rdcachefs makes a new inode "
        "per lookup, so its tree cannot express it",
    r"^BUG: Bad page (state|map|cache)\b":
        "needs a struct page corrupted under the page allocator; not produced on purpose on a shared test kernel",
}

# Patterns a trigger could produce on this config but none does yet: each
# is derived from its 7.3 format string (the citation beside it in
# classify.py) and unproven by a recording.  Listed, not failed, so that the
# gap is visible in every run; a new pattern that is neither proven nor
# listed here or in NOT_PRODUCIBLE fails classifier/covers/<kind>.
NOT_YET_RECORDED = {
    r"^WARNING: possible irq lock inversion dependency detected$":
        "an irq-safe lock and an irq-unsafe one taken in both orders, the unsafe one last in irq context",
}


def fixture_paths():
    return sorted(glob.glob(os.path.join(FIXTURES, "*.log")))


def fixture_name(path):
    return os.path.basename(path)[:-4]


def read_fixture(path):
    """(expected kinds, body lines) of a fixture: the kinds of all its
    '# expect:' lines in order, and its lines that are not '# ' comments (as
    run.py's run_fixtures() reads them: a console line never starts so)."""
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    expects = [k.strip() for ln in lines if ln.startswith("# expect:")
               for k in ln.split(":", 1)[1].split(",") if k.strip()]
    body = [ln for ln in lines if not ln.startswith("# ")]
    return expects, body


def naming_pattern(line):
    """Index into PATTERNS of the pattern that names `line`, or None (the
    same decision as classify.classify_line())."""
    text = classify.strip_timestamp(line)
    if any(rx.search(text) for rx in classify._NOISE):
        return None
    for i, (_, rx) in enumerate(classify._PATTERNS):
        if rx.search(text):
            return i
    return None


def kinds():
    """PATTERNS' kinds, in order of first appearance."""
    return list(dict.fromkeys(p[0] for p in classify.PATTERNS))


def coverage():
    """(covered, uncovered): covered maps each kind to the fixtures (names,
    without .log) that prove one of its patterns; uncovered lists the
    (kind, regex) of every pattern no fixture line is named by."""
    covered = {}
    named = set()
    for path in fixture_paths():
        _, body = read_fixture(path)
        for line in body:
            i = naming_pattern(line)
            if i is None:
                continue
            named.add(i)
            names = covered.setdefault(classify.PATTERNS[i][0], [])
            if fixture_name(path) not in names:
                names.append(fixture_name(path))
    uncovered = [(p[0], p[1]) for i, p in enumerate(classify.PATTERNS) if i not in named]
    return covered, uncovered


def fixture_problems():
    """[(fixture, problem)] for every fixture whose '# expect:' is missing,
    names an unknown kind, or disagrees with what the classifier finds."""
    known = set(kinds())
    problems = []
    for path in fixture_paths():
        name = fixture_name(path)
        expects, body = read_fixture(path)
        found = sorted({kind for kind, _ in classify.classify(body)})
        if not expects:
            problems.append((name, "no '# expect:' line"))
            continue
        unknown = [e for e in expects if e != "clean" and e not in known]
        if unknown:
            problems.append((name, f"'# expect:' names kinds PATTERNS does not have: {', '.join(unknown)}"))
        if "clean" in expects:
            if len(expects) > 1:
                problems.append((name, "'clean' cannot be expected together with other kinds"))
            elif found:
                problems.append((name, f"expected clean, classifier found {', '.join(found)}"))
            continue
        missing = [e for e in expects if e in known and e not in found]
        if missing:
            problems.append((name, f"expected {', '.join(missing)}, classifier found {', '.join(found) or 'nothing'}"))
    return problems


def main():
    covered, uncovered = coverage()
    source = {(p[0], p[1]): (p[2] if len(p) > 2 else "") for p in classify.PATTERNS}
    width = max(len(k) for k in kinds())
    print(f"{len(classify.PATTERNS)} patterns, {len(kinds())} kinds, {len(fixture_paths())} fixtures")
    print("\nkinds and the fixtures that prove them:")
    for kind in kinds():
        print(f"  {kind:<{width}}  {', '.join(covered.get(kind, [])) or '-- no fixture'}")
    without = [k for k in kinds() if k not in covered]
    if without:
        print(f"\nkinds without any fixture ({len(without)}): {', '.join(without)}")
    if uncovered:
        print(f"\npatterns without a fixture line they name ({len(uncovered)}):")
        for kind, rx in uncovered:
            why = NOT_PRODUCIBLE.get(rx)
            print(f"  {kind:<{width}}  {rx}")
            print(f"  {'':<{width}}    from {source[(kind, rx)]}" + (f"; not producible here: {why}" if why else ""))
    problems = fixture_problems()
    if problems:
        print(f"\nfixture problems ({len(problems)}):")
        for name, why in problems:
            print(f"  {name}: {why}")
    else:
        print("\nevery fixture's '# expect:' holds")
    return 2 if problems else 1 if uncovered else 0


if __name__ == "__main__":
    sys.exit(main())
