# SPDX-License-Identifier: GPL-2.0
"""What a run's outcome is: the exit status of every plan, and make run's
verdict, computed from the table it prints (the safe run and the negative
control side by side): PASS, FAIL or INCOMPLETE.  Each way either must go is
a host-side test here (exit-status/<case>, make-run-verdict/<case>).
"""

import io
import re


def exit_status(plan, failed, verdict=None):
    """The exit status of make test (and every plan): 1 if any result
    failed, a skip is no failure; make run's also 1 unless its verdict is
    PASS (FAIL, or INCOMPLETE: something it needs did not run)."""
    if failed:
        return 1
    if plan == "run" and verdict != "PASS":
        return 1
    return 0


def exit_status_selftests():
    """[(name, ok, reasons)]: exit_status() on each way it must go."""
    cases = [("test-all-passed", "test", 0, None, 0), ("test-one-failed", "test", 1, None, 1),
             ("run-pass", "run", 0, "PASS", 0), ("run-incomplete", "run", 0, "INCOMPLETE", 1),
             ("run-fail", "run", 0, "FAIL", 1), ("run-pass-but-a-result-failed", "run", 1, "PASS", 1)]
    return [(f"exit-status/{name}", exit_status(plan, failed, verdict) == want,
             [] if exit_status(plan, failed, verdict) == want else
             [f"exit_status({plan!r}, {failed}, {verdict!r}) = {exit_status(plan, failed, verdict)}, want {want}"])
            for name, plan, failed, verdict, want in cases]


# make run's demonstration: which tests make the two columns.
RUN_SAFE = "stress/stress-2cpu"
RUN_CYCLES = 30
# The interleavings of the table's per-case rows, in the order of docs/race-and-interleavings.md.
RUN_CASES = ("steal", "wait", "resurrection", "foreign-list", "ancestor", "last-pin")
RUN_NEG = "harness/negative-control-1"
# The detectors of the table's rows, by the classifier's kinds.
RUN_DETECTORS = [
    ("BUG: Dentry ... still in use", ("dentry-busy",)),
    ("VFS: Busy inodes after unmount", ("busy-inodes",)),
    ("rdcache: INODE LEAK", ("inode-leak",)),
    ("KASAN / oops / GPF", ("kasan", "oops", "gpf")),
]


def print_verdict(seen, failed, smp, accel, results, out=None):
    """make run: the safe run and the negative control side by side, and
    a verdict computed from the table: PASS only if the safe column shows
    the race happened and nothing was detected, and the negative control
    shows every detector at least once.  Returns PASS, FAIL or INCOMPLETE."""
    safe = seen.get(RUN_SAFE)
    neg = seen.get(RUN_NEG)
    fail, incomplete = [], []

    def count(d, kinds):
        return sum(1 for k, _ in (d or {}).get("findings", []) if k in kinds)

    for name, d in (("the safe run", safe), ("the negative control", neg)):
        if d is None:
            incomplete.append(f"{name} did not run")
        elif "skipped" in d:
            incomplete.append(f"{name} was skipped ({d['skipped']})")
        elif not d.get("ok"):
            fail.append(f"{name}'s test failed (see its KTAP above)")
    ran_safe = safe is not None and "skipped" not in safe
    ran_neg = neg is not None and "skipped" not in neg
    text = "\n".join((safe or {}).get("nested", []))
    m = re.search(r"cycles=(\d+) with_husks=(\d+) bad=(\d+) puts=(\d+) batches=(\d+) husks=(\d+)", text)
    late = re.search(r"^# total .* late_callbacks=(\d+)", text, re.M)
    nums = dict(zip(("cycles", "with_husks", "bad", "puts", "batches", "husks"),
                    (int(v) for v in m.groups()))) if m else {}
    if ran_safe:
        if not m:
            fail.append("the safe run printed no cycles=... line")
        else:
            if nums["cycles"] != RUN_CYCLES:
                fail.append(f"the safe run ran {nums['cycles']} of {RUN_CYCLES} cycles")
            if nums["bad"]:
                fail.append(f"{nums['bad']} cycle(s) of the safe run ended unbalanced or late")
            if not nums["puts"]:
                fail.append("the safe run's workers put no reference into a list")
            if not nums["with_husks"]:
                fail.append("umount never left husks on a worker's list: the race did not happen")
        if not late:
            fail.append("the safe run printed no late_callbacks total")
        elif int(late.group(1)):
            fail.append(f"the safe run counted {late.group(1)} late callback(s)")
        # The log too: a LATE CALLBACK line the counter missed is one.
        if count(safe, ("late-callback",)):
            fail.append(f"the safe run logged {count(safe, ('late-callback',))} late callback(s)")
    neg_late = count(neg, ("late-callback",))
    put = re.search(r"ShrinkList::put\(\) uses (\S+)", text)
    rows = [
        ("ShrinkList::put()", {"dput_to_list": "the kernel's dput_to_list()",
                               "fallback": "fallback (7.3 keeps dput_to_list() to fs/)"}.get(
                                   put.group(1), put.group(1)) if put else "?", "-"),
        ("runs", f"{nums.get('cycles', '?')} mount/umount cycles" if ran_safe else "not run",
         "1 boot" if ran_neg else "not run"),
        ("dentry references put into shrink lists", nums.get("puts", "?") if ran_safe else "-", "-"),
        ("cycles where umount killed entries on a worker's list (husks)",
         f"{nums.get('with_husks', '?')} ({nums.get('husks', '?')} husks)" if ran_safe else "-", "-"),
        ("late callbacks (rdcache counter / log)", late.group(1) if late else "?",
         neg_late if ran_neg else "-"),
    ]
    cases = {c: (int(n), int(e)) for c, n, e in
             re.findall(r"^# case (\S+) cycles=(\d+) events=(\d+)", text, re.M)}
    for c in RUN_CASES:
        forced = seen.get(f"interleavings/{c}")
        if forced is None:
            f = "not run"
            incomplete.append(f"the forced {c} did not run")
        elif "skipped" in forced:
            f = "skipped"
            incomplete.append(f"the forced {c} was skipped")
        else:
            f = "pass" if forced.get("ok") else "FAIL"
            if not forced.get("ok"):
                fail.append(f"the forced {c} failed")
        if not ran_safe:
            r = "-"
        elif c not in cases:
            r = "?"
            fail.append(f"the safe run printed no count of {c}")
        else:
            r = f"{cases[c][0]} of {nums.get('cycles', '?')} cycles ({cases[c][1]} times)"
        rows.append((f"{c}: forced / at random", f"{f} / {r}", "-"))
    if ran_neg and not neg_late:
        fail.append("the negative control's late callback was not seen: that detector is blind")
    for label, kinds in RUN_DETECTORS:
        a, b = count(safe, kinds), count(neg, kinds)
        rows.append((label, a if ran_safe else "-", b if ran_neg else "-"))
        if ran_safe and a:
            fail.append(f"the safe run shows {label} {a} time(s)")
        if ran_neg and not b:
            fail.append(f"the negative control never showed {label}: that detector is blind")
    if failed:
        fail.append("failed: " + ", ".join(failed))
    w = max(len(r[0]) for r in rows)
    print(file=out)
    print(f"{'':{w}}  {'safe run (ShrinkList workers vs umount)':42}  negative control (ref held across ->kill_sb)",
          file=out)
    for name, a, b in rows:
        print(f"{name:{w}}  {str(a):42}  {b}", file=out)
    if fail:
        verdict = "FAIL"
        print(f"rdcache verdict: FAIL: {'; '.join(fail)} (details in {results})", file=out)
    elif incomplete:
        verdict = "INCOMPLETE"
        print(f"rdcache verdict: INCOMPLETE: {'; '.join(incomplete)}", file=out)
    else:
        verdict = "PASS"
        print(f"rdcache verdict: PASS: the {len(RUN_CASES)} interleavings forced, {nums['cycles']} racing cycles "
              f"(umount stole from a worker's list in {nums['with_husks']}), nothing detected; "
              f"the negative control caught by every detector; "
              f"{smp}-vCPU guest ({accel})", file=out)
    return verdict


def verdict_selftests():
    """[(name, ok, reasons)]: make run's verdict computed on made-up
    tables, one per way it must go (`make-run-verdict/<case>`)."""
    n = RUN_CYCLES
    case_lines = [f"# case {c} cycles=5 events=7" for c in RUN_CASES]
    good_safe = {"ok": True, "findings": [], "nested": [
        f"# total superblocks={n} late_callbacks=0",
        f"# cycles={n} with_husks=40 bad=0 puts=100 batches=10 husks=200"] + case_lines}
    forced = {f"interleavings/{c}": {"ok": True, "findings": []} for c in RUN_CASES}
    neg_kinds = ["dentry-busy", "busy-inodes", "late-callback", "inode-leak", "kasan"]
    good_neg = {"ok": True, "findings": [(k, k) for k in neg_kinds]}

    def variant(d, **kw):
        return {**d, **kw}

    cases = [
        ("pass", good_safe, good_neg, [], "PASS", None),
        ("negative-control-without-kasan", good_safe,
         variant(good_neg, findings=[(k, k) for k in neg_kinds[:-1]]), [], "FAIL", "KASAN / oops / GPF"),
        ("race-never-happened", variant(good_safe, nested=[good_safe["nested"][0],
                                                           f"# cycles={n} with_husks=0 bad=0 puts=100 batches=10 "
                                                           "husks=0"] + case_lines),
         good_neg, [], "FAIL", "the race did not happen"),
        ("case-not-counted", variant(good_safe, nested=good_safe["nested"][:-1]), good_neg, [], "FAIL",
         "printed no count of last-pin"),
        ("safe-run-detects-something", variant(good_safe, findings=[("dentry-busy", "BUG: Dentry")]), good_neg,
         [], "FAIL", "BUG: Dentry"),
        ("negative-control-not-booted", good_safe, None, [], "INCOMPLETE", "did not run"),
        ("safe-run-skipped", {"skipped": "CONFIG_KASAN=y"}, good_neg, [], "INCOMPLETE", "CONFIG_KASAN=y"),
        ("another-test-failed", good_safe, good_neg, ["smoke/smoke"], "FAIL", "smoke/smoke"),
    ]

    def safe_with(total=None, cycles=None):
        nested = [total or good_safe["nested"][0], cycles or good_safe["nested"][1]] + case_lines
        return variant(good_safe, nested=nested)

    cycles_line = "# cycles={} with_husks=40 bad={} puts={} batches=10 husks=200"
    cases += [
        ("safe-run-late-callback", safe_with(total=f"# total superblocks={n} late_callbacks=1"), good_neg,
         [], "FAIL", "counted 1 late callback"),
        ("safe-run-no-late-total", safe_with(total=f"# total superblocks={n}"), good_neg, [], "FAIL",
         "printed no late_callbacks total"),
        ("safe-run-short", safe_with(cycles=cycles_line.format(n - 1, 0, 100)), good_neg, [], "FAIL",
         f"ran {n - 1} of {n} cycles"),
        ("safe-run-unbalanced-cycle", safe_with(cycles=cycles_line.format(n, 1, 100)), good_neg, [], "FAIL",
         "1 cycle(s) of the safe run ended unbalanced or late"),
        ("safe-run-put-nothing", safe_with(cycles=cycles_line.format(n, 0, 0)), good_neg, [], "FAIL",
         "put no reference"),
        ("safe-run-no-cycles-line", variant(good_safe, nested=[good_safe["nested"][0]] + case_lines),
         good_neg, [], "FAIL", "printed no cycles=... line"),
        ("safe-run-test-failed", variant(good_safe, ok=False), good_neg, [], "FAIL",
         "the safe run's test failed"),
        ("negative-control-skipped", good_safe, {"skipped": "CONFIG_KASAN=y"}, [], "INCOMPLETE",
         "the negative control was skipped"),
        ("fail-outranks-incomplete", variant(good_safe, findings=[("kasan", "BUG: KASAN")]), None, [], "FAIL",
         "KASAN"),
        ("negative-control-gpf-for-kasan", good_safe,
         variant(good_neg, findings=[(k, k) for k in neg_kinds[:-1]] + [("gpf", "general protection")]),
         [], "PASS", None),
    ] + [(f"safe-run-shows-{k}", variant(good_safe, findings=[(k, k)]), good_neg, [], "FAIL",
          "logged 1 late callback" if k == "late-callback" else "time(s)")
         for k in ("busy-inodes", "inode-leak", "kasan", "late-callback")] + [
        (f"negative-control-without-{k}", good_safe,
         variant(good_neg, findings=[(j, j) for j in neg_kinds if j != k]), [], "FAIL", "that detector is blind")
        for k in ("dentry-busy", "busy-inodes", "late-callback", "inode-leak")]
    res = []
    cases.append(("forced-case-failed", good_safe, good_neg, [], "FAIL", "the forced wait failed"))
    cases.append(("forced-case-skipped", good_safe, good_neg, [], "INCOMPLETE", "the forced ancestor was skipped"))
    cases.append(("forced-case-not-run", good_safe, good_neg, [], "INCOMPLETE", "the forced steal did not run"))
    for name, safe, neg, failed, want, text in cases:
        seen = {RUN_SAFE: safe, **forced}
        if name == "forced-case-failed":
            seen["interleavings/wait"] = {"ok": False, "findings": []}
        if name == "forced-case-not-run":
            del seen["interleavings/steal"]
        if name == "forced-case-skipped":
            seen["interleavings/ancestor"] = {"skipped": "the test skipped itself"}
        if neg is not None:
            seen[RUN_NEG] = neg
        out = io.StringIO()
        got = print_verdict(seen, list(failed), 2, "tcg", "-", out=out)
        line = next((ln for ln in out.getvalue().splitlines() if ln.startswith("rdcache verdict:")), "")
        ok = got == want and (text is None or text in line)
        res.append((f"make-run-verdict/{name}", ok, [] if ok else [f"wanted {want} ({text}); got: {line}"]))
    return res
