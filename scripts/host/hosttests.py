# SPDX-License-Identifier: GPL-2.0
"""make test's host-side tests of the judge: each of its checks and the
guest scripts' judgements run on made-up or recorded input, so that a
detector is seen to fire without a boot (make host runs these and those of
projecttests.py, the project's own machinery).

Each returns [(name, ok, reasons[, "SKIP"])], one KTAP result each, or
writes its results into a Ktap (compile-fail cases, recorded fixtures).
"""

import glob
import os
import re
import subprocess
import tempfile
import time

import classify
import compile_fail
import judge
from judge import exact_problems
from plans import Test, plan

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def stress_threshold_results(kdir):
    """[(name, ok, reasons[, skip])]: for each share check of make test's
    stress runs, its false-failure probability per run, from the rates
    measured over 1000 cycles or more of the same configuration
    (scripts/host/stress_rates.py); each must be below 0.1%.  A check whose
    configuration has no such rates fails, unless its put path has none
    measured at all (then it skips).  The rate checks (wait, ancestor) skip
    below 200 cycles, so only make stress judges them."""
    import stress_rates
    try:
        with open(os.path.join(kdir, "Module.symvers")) as f:
            put = "dput_to_list" if re.search(r"\bdput_to_list\b", f.read()) else "fallback"
    except OSError:
        put = "fallback"
    res = share_checks(put, plan("test"))
    # The drift check fires: make test's 4-vCPU stress on 3 vCPUs is a
    # configuration nobody measured (of the put path whose rates are here).
    drifted = [b for b in plan("test") if b.smp == 4]
    for b in drifted:
        b.smp = 3
    fired = [r for r in share_checks("fallback", drifted) if not r[1] and "is not one measured" in r[2][0]]
    ok = bool(drifted and fired)
    res.append(("stress/false-failure-fails-an-unmeasured-configuration", ok,
                [f"{len(fired)} check(s) failed on 3 vCPUs: {fired[0][2][0] if fired else 'none'}"]))
    # The computation itself, on a threshold known to flake: 6 of 30
    # cycles (20%) against a 5% threshold fails a 30-cycle run 1% of the time.
    p = stress_rates.lower_bound(200, 1000)
    flaky = stress_rates.false_failure(30, 5, 0.2)
    ok = 0.17 < p < 0.2 and 0.009 < flaky < 0.012 and stress_rates.false_failure(30, 30, 0.87) < 1e-6
    res.append(("stress/false-failure-detects-a-flaky-threshold", ok,
                [] if ok else [f"lower bound of 200/1000 = {p:.4f}, P(fail 5% of 30 | p=0.2) = {flaky:.4f}"]))
    return res


def share_checks(put, boots):
    """stress_threshold_results()' checks of the stress tests in `boots`."""
    import stress_rates
    res = []
    # Rates enough to judge by, for this put path (make stress records
    # shorter runs too, and other shapes).
    measured = any(k.startswith(put + "/") and c["cycles"] >= stress_rates.MIN_MEASURED
                   for k, c in stress_rates.load()["configs"].items())
    for b in boots:
        for t in b.tests:
            if not t.spec.startswith("stress/stress.sh"):
                continue
            # "@N": a test timeout (RDCACHE_TEST_TIMEOUT_CAP, as the
            # generated mutants' runs set it) sits in the spec too.
            m = re.fullmatch(r"stress/stress\.sh(?:@\d+)?:(\d+)\+0\+(\d+)\+(\d+)", t.spec)
            if not m:
                # Its thresholds would be judged by nothing.
                res.append((f"stress/false-failure/{t.name.split('/')[-1]}/read", False,
                            [f"{t.spec}: not a spec this check reads (CYCLES+0+BIG+WORKERS)"]))
                continue
            if not b.smp:
                res.append((f"stress/false-failure/{t.name.split('/')[-1]}/read", False,
                            [f"boot {b.name} sets no vCPU count: its stress would run on the host's"]))
                continue
            n, big, workers = (int(v) for v in m.groups())
            for case, prob, why in stress_rates.judge(put, b.smp, workers, big, n):
                name = f"stress/false-failure/{t.name.split('/')[-1]}/{case}"
                if prob is None and measured:
                    # Rates are measured for this put path, but not for the
                    # configuration make test runs: the plan drifted from
                    # what was measured (vCPUs, workers, big-shape period),
                    # and its thresholds are judged by nothing.
                    res.append((name, False, [f"make test's stress configuration is not one measured: {why}"]))
                elif prob is None:
                    # A put path never measured (dput_to_list, on a kernel
                    # that exports it: make stress records its rates).
                    res.append((name, True, [f"SKIP: not judged yet: {why}"], "SKIP"))
                else:
                    ok = prob < stress_rates.MAX_FALSE_FAILURE
                    res.append((name, ok, [why] if ok else [f"{why}, over {stress_rates.MAX_FALSE_FAILURE}"]))
    return res


def stress_judgement_selftests():
    """[(name, ok, reasons)]: stress.sh's judgements (stress/thresholds.sh)
    at their boundaries, run by the busybox sh the guest runs."""
    script = os.path.join(TOP, "scripts", "selftests", "stress", "thresholds.sh")
    stub = "ktap_test_pass() { echo PASS; }; ktap_test_fail() { echo FAIL; }; ktap_test_skip() { echo SKIP; }; "
    cases = [("share-9-of-30-at-30-passes", 30, "share x 9 30", "PASS"),
             ("share-8-of-30-at-30-fails", 30, "share x 8 30", "FAIL"),
             ("share-of-no-cycles-fails", 0, "share x 0 0", "FAIL"),
             ("rate-below-rate-cycles-skips", 199, "rate x 0 5", "SKIP"),
             ("rate-1-in-200-at-5-passes", 200, "rate x 1 5", "PASS"),
             ("rate-0-in-200-at-5-fails", 200, "rate x 0 5", "FAIL"),
             ("counts-consistent", 30, "consistent 5 7 && echo PASS || echo FAIL", "PASS"),
             ("counts-none-consistent", 30, "consistent 0 0 && echo PASS || echo FAIL", "PASS"),
             ("more-cycles-than-run-inconsistent", 30, "consistent 31 40 && echo PASS || echo FAIL", "FAIL"),
             ("more-cycles-than-times-inconsistent", 30, "consistent 5 3 && echo PASS || echo FAIL", "FAIL"),
             ("times-without-cycles-inconsistent", 30, "consistent 0 2 && echo PASS || echo FAIL", "FAIL"),
             # make stress DURATION=S: the loop stops once S seconds passed.
             ("duration-1-after-1-s-is-up", 30, 'time_up $(($(date +%s) - 1)) 1 && echo PASS || echo FAIL', "PASS"),
             ("duration-5-after-5-s-is-up", 30, 'time_up $(($(date +%s) - 5)) 5 && echo PASS || echo FAIL', "PASS"),
             ("duration-5-after-3-s-is-not", 30, 'time_up $(($(date +%s) - 3)) 5 && echo PASS || echo FAIL', "FAIL"),
             ("duration-0-is-never-up", 30, 'time_up 0 0 && echo PASS || echo FAIL', "FAIL")]
    res = []
    for name, n, call, want in cases:
        try:
            p = subprocess.run(["/bin/busybox", "sh", "-c", f"{stub}n={n}; RATE_CYCLES=200; . {script}; {call}"],
                               capture_output=True, text=True, timeout=10)
            got = p.stdout.strip()
        except (OSError, subprocess.TimeoutExpired) as e:
            got = repr(e)
        res.append((f"stress/thresholds/{name}", got == want, [] if got == want else [f"wanted {want}, got {got!r}"]))
    return res


def taint_selftests():
    """[(name, ok, reasons)]: the taint bits the judge fails a test on are
    B, D, W and L gained during it; one set before it, and O, E and N (an
    out-of-tree, unsigned module; KUnit), are not."""
    cases = [("gained-b-d-w-l-fail", 0, 1 << 5 | 1 << 7 | 1 << 9 | 1 << 14, ["B", "D", "W", "L"]),
             ("set-before-does-not-count", 1 << 9, 1 << 9, []),
             ("o-e-n-are-allowed", 0, 1 << 12 | 1 << 13 | 1 << 18, [])]
    res = []
    for name, before, after, want in cases:
        got = [t.split()[0] for t in classify.new_bad_taint(before, after)]
        res.append((f"harness/taint-bits/{name}", got == want, [] if got == want else [f"wanted {want}, got {got}"]))
    return res


def noboot_selftests():
    """[(name, ok, reasons)]: the noboot self-test counts only the boot it
    stands for (vmrun.noboot_as_meant()): its recorded kernel log passes;
    one where an init ran, or where no root-fs panic came, does not."""
    from vmrun import noboot_as_meant
    panic = "[    5.902732] Kernel panic - not syncing: VFS: Unable to mount root fs on \"\" or unknown-block(0,0)"
    check = "[    5.700000] check access for rdinit=/nonexistent failed: -2, ignoring"
    init = "[    5.800000] Run /sbin/init as init process"
    cases = [("root-fs-panic-is-the-boot-meant", [check, panic], True),
             ("an-init-that-ran-is-not", [check, init, panic], False),
             ("no-root-fs-panic-is-not", [check], False)]
    res = []
    for name, lines, want in cases:
        ok, why = noboot_as_meant(lines)
        res.append((f"harness/noboot/{name}", ok == want, [] if ok == want else [f"got {ok} ({why})"]))
    return res


def exact_selftests():
    """[(name, ok, reasons)]: exact_problems() on made-up findings, one case
    per way it must go (harness/exact-expect/<case>)."""
    t = Test("sound/forget.sh", expect=("dentry-busy", "busy-inodes"), exact=True, warn_at=("umount_check",))
    allowed = set(t.expect)
    busy = ("dentry-busy", "BUG: Dentry ffff{i=1,n=d0}  still in use (1) [unmount of rdcachefs rdcachefs]")
    inodes = ("busy-inodes", "VFS: Busy inodes after unmount of rdcachefs (rdcachefs)")
    warn = ("warning", "WARNING: fs/dcache.c:1795 at umount_check+0x1/0x2, CPU#0: sh/1")
    cut = ("warning", "------------[ cut here ]------------")
    w_taint = ("taint", "kernel tainted during the test: W (warning)")
    cases = [
        ("only-the-expected-passes", [("warning", "kernel log: warning+dentry-busy: -----"), w_taint],
         [cut, busy, warn, inodes], False),
        ("kasan-beside-them-fails", [w_taint], [busy, warn, inodes, ("kasan", "BUG: KASAN: slab-use-after-free in x")],
         True),
        ("warning-elsewhere-fails", [w_taint], [busy, warn, ("warning", "WARNING: a.c:1 at other_func+0x1/0x2, "
                                                                        "CPU#0: sh/1")], True),
        ("oops-taint-fails", [("taint", "kernel tainted during the test: D (kernel died (oops or BUG))")],
         [busy, inodes], True),
    ]
    res = []
    for name, problems, findings, want_fail in cases:
        got = exact_problems(t, problems, findings, allowed)
        ok = bool(got) == want_fail
        res.append((f"harness/exact-expect/{name}", ok,
                    [] if ok else [f"exact_problems() gave {got or 'nothing'}"]))
    # A sleep-in-atomic report sets the W taint (__might_resched()): an
    # exact test expecting it takes its taint, one expecting none does not.
    sleep = ("sleep-in-atomic", "BUG: sleeping function called from invalid context at rust/dcache/dentry.rs:1")
    for name, expect, want_fail in (("expected-sleep-report-takes-its-w-taint", ("sleep-in-atomic",), False),
                                    ("w-taint-without-warn-or-sleep-report-fails", ("dentry-busy",), True)):
        st = Test("sound/may-sleep.sh", expect=expect, exact=True)
        got = exact_problems(st, [w_taint], [sleep] if not want_fail else [busy], set(st.expect))
        ok = bool(got) == want_fail
        res.append((f"harness/exact-expect/{name}", ok, [] if ok else [f"exact_problems() gave {got or 'nothing'}"]))
    loose = Test("x/y.sh", expect=("dentry-busy",))
    got = exact_problems(loose, [], [busy, ("kasan", "BUG: KASAN: x")], {"dentry-busy"})
    res.append(("harness/exact-expect/not-exact-is-unchanged", not got, [f"gave {got}"] if got else []))
    return res


APIFUZZ_JUDGE = os.path.join(TOP, "scripts", "selftests", "apifuzz", "judge.awk")


def apifuzz_judge_selftests():
    """[(name, ok, reasons)]: the guest's judge of a fuzzed sequence
    (scripts/selftests/apifuzz/judge.awk) on made-up kernel logs, one case
    per way it must go (harness/apifuzz-judge/<case>): it accepts exactly
    what a sequence announced, and each other case must make it complain."""
    begin = "[1] rdcache: apifuzz: umount #5 rdcachefs begins: expect busy d0:4a(1) x0:0(2); busy inodes 3, counted 2"
    busy_d0 = "[2] BUG: Dentry 0000000011112222{i=4a,n=d0}  still in use (1) [unmount of rdcachefs rdcachefs]"
    warn = "[2] WARNING: fs/dcache.c:1803 at umount_check+0x75/0x1a0, CPU#1: sh/63"
    busy_x0 = "[3] BUG: Dentry 0000000033334444{i=0,n=x0}  still in use (2) [unmount of rdcachefs rdcachefs]"
    inodes = "[4] VFS: Busy inodes after unmount of rdcachefs (rdcachefs)"
    leak = "[5] rdcache: INODE LEAK: rdcachefs superblock #5: 5 inodes allocated, 3 evicted at the end of ->kill_sb()"
    end = "[6] rdcache: apifuzz: umount #5 ends"
    clean = [begin, busy_d0, warn, busy_x0, inodes, leak, end]
    announce = "[7] rdcache: apifuzz: expect refusal: ShrinkList::put()"
    refused = ("[8] dcache: ShrinkList::put() while this CPU holds a dentry guard refused: a d_lock or i_lock "
               "taken under a d_lock can deadlock")
    refused_warn = "[8] WARNING: rust/dcache/helpers/dcache.c:201 at rdc_lock_rule_warn+0x1f/0x30 [rdcache]"
    cases = [
        ("announced-reports-pass", clean + [announce, refused, refused_warn], False),
        ("busy-dentry-of-another-inode-fails", [begin, busy_d0.replace("i=4a", "i=4b"), busy_x0, inodes, leak, end],
         True),
        ("busy-dentry-count-differs-fails", [begin, busy_d0.replace("(1)", "(2)"), busy_x0, inodes, leak, end], True),
        ("announced-busy-dentry-missing-fails", [begin, busy_d0, inodes, leak, end], True),
        ("busy-dentry-outside-umount-fails", [busy_d0] + clean, True),
        ("inode-leak-count-differs-fails", [begin, busy_d0, busy_x0, inodes, leak.replace("3 evicted", "4 evicted"),
                                            end], True),
        ("announced-inode-leak-missing-fails", [begin, busy_d0, busy_x0, inodes, end], True),
        ("busy-inodes-missing-fails", [begin, busy_d0, busy_x0, leak, end], True),
        ("refusal-not-announced-fails", clean + [refused, refused_warn], True),
        ("announced-refusal-missing-fails", clean + [announce], True),
        ("refusal-of-another-rule-fails", clean + [announce, refused.replace(
            "while this CPU holds a dentry guard refused", "outside task context refused")], True),
        ("kasan-fails", clean + ["[9] BUG: KASAN: slab-use-after-free in down_read_trylock+0x56/0x2f0"], True),
        ("lockdep-fails", clean + ["[9] WARNING: possible recursive locking detected"], True),
        ("other-warning-fails", clean + ["[9] WARNING: fs/dcache.c:1 at dput+0x1/0x2, CPU#0: sh/1"], True),
        ("umount-never-ending-fails", clean[:-1], True),
        ("own-failure-fails", clean + ["[9] rdcache: apifuzz: FAILED: twin trees differ in /"], True),
        # Only inodes rdcachefs does not count (create_child()'s) stay busy:
        # the VFS reports them, rdcachefs's balance must not.
        ("replayed-program-lines-are-not-reports", clean + [
            "[9] rdcache: apifuzz: | e6.try_lookup(c\"f0\") -> Err(Error(35)); // refused under the guard"], False),
        ("uncounted-inodes-pass", [begin.replace("counted 2", "counted 0"), busy_d0, warn, busy_x0, inodes, end],
         False),
        ("inode-leak-when-none-counted-fails", [begin.replace("counted 2", "counted 0"), busy_d0, busy_x0, inodes,
                                                leak, end], True),
    ]
    res = []
    # The guest's awk (busybox's, the one the initramfs carries), run as
    # apifuzz.sh runs it: stderr and a non-zero exit count as complaints.
    # Debian's mawk accepts regexes busybox's refuses ('{' unescaped).
    awk = ["/bin/busybox", "awk"]
    for name, lines, want_fail in cases:
        try:
            p = subprocess.run(awk + ["-f", APIFUZZ_JUDGE], input="\n".join(lines) + "\n", capture_output=True,
                               text=True, timeout=30)
            out = p.stdout + p.stderr + (f"exit {p.returncode}" if p.returncode else "")
        except (OSError, subprocess.SubprocessError) as e:
            res.append((f"harness/apifuzz-judge/{name}", False, [f"awk: {e}"]))
            continue
        complained = bool(out.strip())
        ok = complained == want_fail
        res.append((f"harness/apifuzz-judge/{name}", ok,
                    [] if ok else [f"judge.awk said: {out.strip() or 'nothing'}"]))
    return res


def fixture_tests():
    return sorted(glob.glob(os.path.join(HERE, "fixtures", "*.log")))


def classifier_coverage():
    """[(name, ok, reasons)], one `classifier/covers/<kind>` per kind of
    the classifier: every pattern of the kind names at least one line of
    a recorded fixture (scripts/host/classify_selftest.py).  A pattern no
    trigger can produce on these kernels' config (NOT_PRODUCIBLE, with
    its reason) is listed, and a kind that has only such patterns is a
    SKIP saying why."""
    try:
        import classify_selftest  # noqa: E402
    except ImportError as e:
        return [("classifier/covers", False, [f"scripts/host/classify_selftest.py: {e}"])]
    covered, uncovered = classify_selftest.coverage()
    res = []
    problems = classify_selftest.fixture_problems()
    for fixture, why in problems:
        res.append((f"classifier/fixture/{fixture}", False, [why]))
    for kind in classify_selftest.kinds():
        missing = [rx for k, rx in uncovered if k == kind]
        listed = {**classify_selftest.NOT_PRODUCIBLE, **classify_selftest.NOT_YET_RECORDED}
        blind = [rx for rx in missing if rx not in listed]
        notes = [f"not producible here, so unproven: {rx!r} ({classify_selftest.NOT_PRODUCIBLE[rx]})"
                 for rx in missing if rx in classify_selftest.NOT_PRODUCIBLE]
        notes += [f"no recording yet (a trigger could: {classify_selftest.NOT_YET_RECORDED[rx]}): {rx!r}"
                  for rx in missing if rx in classify_selftest.NOT_YET_RECORDED]
        name = f"classifier/covers/{kind}"
        if blind:
            res.append((name, False, [f"no fixture line is named by {rx!r}" for rx in blind] + notes))
        elif kind not in covered:
            res.append((name, True, ["SKIP: " + "; ".join(notes)], "SKIP"))
        else:
            res.append((name, True, [f"proven by {', '.join(covered[kind][:4])}"] + notes))
    return res


def run_compile_fail(k, kdir, kmake_args):
    """The layer's misuses must not build; the intended pattern must."""
    for path in compile_fail.cases():
        name = "compile-fail/" + os.path.basename(path)[:-3]
        ok, detail = compile_fail.run_case_cached(path, kdir, kmake_args)
        k.diag(f"{name}: {detail}")
        k.result(name, ok)


def run_fixtures(k):
    """Recorded kernel logs fed to the classifier on the host.  A
    fixture's `# expect:` lines name every kind it must show (`clean`:
    none at all)."""
    for path in fixture_tests():
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
        expect = [kind.strip() for ln in lines if ln.startswith("# expect:")
                  for kind in ln.split(":", 1)[1].split(",") if kind.strip()]
        # expect-not: kinds that must not be seen (a misreading).
        expect_not = [kind.strip() for ln in lines if ln.startswith("# expect-not:")
                      for kind in ln.split(":", 1)[1].split(",") if kind.strip()]
        body = [ln for ln in lines if not ln.startswith("# ")]
        kinds = sorted({kind for kind, _ in classify.classify(body)})
        name = "classifier/" + os.path.basename(path)[:-4]
        wrong = [k for k in expect_not if k in kinds]
        if wrong:
            k.result(name, False, reasons=[f"misread as {', '.join(wrong)}"])
        elif not expect:
            k.result(name, False, reasons=["fixture has no '# expect:' line"])
        elif expect == ["clean"]:
            k.result(name, not kinds, reasons=[f"false positive: {kinds}"] if kinds else [])
        else:
            missing = [e for e in expect if e not in kinds]
            k.result(name, not missing,
                     reasons=[f"expected {', '.join(missing)}; got {', '.join(kinds) or 'nothing'}"]
                     if missing else [])

# ---- main -------------------------------------------------------------


def decode_bounded():
    """[(name, ok, reasons)]: a slice of 3,000 recorded WARN reports
    gives decode_stacktrace.sh three reports' worth of lines, not 3,000."""
    with open(os.path.join(HERE, "fixtures", "splat-warn.log"), errors="replace") as f:
        report = [ln for ln in f.read().splitlines() if not ln.startswith("# ")]
    lines = report * 3000
    findings = classify.classify(lines)
    t0 = time.monotonic()
    starts, chunk = judge.Judge.decode_chunk(lines, findings)
    secs = time.monotonic() - t0
    j = judge.Judge
    ok = len(starts) == j.DECODE_REPORTS and len(chunk) <= j.DECODE_REPORTS * j.DECODE_LINES
    return [("harness/decode-is-bounded", ok,
             [f"{len(findings)} findings in {len(lines)} lines: {len(starts)} reports, {len(chunk)} lines "
              f"to decode, chosen in {secs:.2f} s"])]


def kcsan_window_selftests():
    """[(name, ok, reasons)]: both sides of the classifier's window for a
    KCSAN report's call chains (the 119 lines after the title, or up to
    the closing ===== line): a frame of rdcache's on the
    window's last line makes the report "via" rdcache, one line further
    does not, and a ===== line ends the window early."""
    n = 120  # the title and the 119 lines kcsan_reports() reads after it
    title = "[    5.0] BUG: KCSAN: data-race in d_walk / dput"
    frame = "[    5.1]  rdc_put_to_list+0x10/0x20 [rdcache]"
    filler = "[    5.1]  __d_lookup+0x1/0x2"
    cases = [("frame-on-the-last-line-is-via", [title] + [filler] * (n - 2) + [frame], True),
             ("frame-one-line-past-is-not", [title] + [filler] * (n - 1) + [frame], False),
             ("closing-line-ends-the-window", [title, filler, "[    5.1] =====", frame], False)]
    res = []
    for name, lines, want in cases:
        got = classify.kcsan_reports(lines)
        ok = len(got) == 1 and not got[0][1] and got[0][2] == want
        res.append((f"classifier/kcsan-window/{name}", ok,
                    [] if ok else [f"{len(lines)} lines: want via={want}, got {got[:1]}"]))
    return res


def decode_tool_selftests():
    """[(name, ok, reasons)]: the judge runs decode_stacktrace.sh only when
    both it and vmlinux exist (a stand-in tool records each run): without
    either, decode() answers None and runs nothing; with both, it runs on
    the report and returns the decoded frames in rdcache's modules."""
    lines = ["[    1.0] ------------[ cut here ]------------",
             "[    1.0] WARNING: rust/x.c:1 at f+0x1/0x2 [rdcache], CPU#0: sh/1",
             "[    1.0] RIP: 0010:f+0x1/0x2 [rdcache]"]
    findings = classify.classify(lines)
    if not findings:
        return [("harness/decode-tool/sample-is-a-report", False, ["the classifier reads no report in the sample"])]
    decoded = "RIP: 0010:f (/w/rust/rdcache/x.c:1) rdcache"
    res = []
    for name, tool, vmlinux, want in (("no-vmlinux-runs-nothing", True, False, None),
                                      ("no-tool-runs-nothing", False, True, None),
                                      ("tool-and-vmlinux-run-and-decode", True, True, [decoded])):
        with tempfile.TemporaryDirectory(prefix="rdcache-decode.") as tmp:
            ksrc, kdir = os.path.join(tmp, "src"), os.path.join(tmp, "build")
            os.makedirs(os.path.join(ksrc, "scripts"))
            os.makedirs(kdir)
            ran = os.path.join(tmp, "ran")
            if tool:
                with open(os.path.join(ksrc, "scripts", "decode_stacktrace.sh"), "w") as f:
                    f.write(f"cat >{ran}; echo '{decoded}'\n")
            if vmlinux:
                open(os.path.join(kdir, "vmlinux"), "w").close()
            diags = []
            k = type("Diag", (), {"diag": lambda self, line: diags.append(line)})()
            got = judge.Judge(kdir, ksrc, {}).decode(lines, findings, os.path.join(tmp, "out"), k)
            ran_it = os.path.exists(ran)
            fed = open(ran).read() if ran_it else ""
            ok = got == want and ran_it == (tool and vmlinux) and (not ran_it or "WARNING: rust/x.c:1" in fed)
            res.append((f"harness/decode-tool/{name}", ok,
                        [] if ok else [f"tool {tool}, vmlinux {vmlinux}: got {got}, ran {ran_it}; {diags}"]))
    return res


def decoded_frame_selftests():
    """[(name, ok, reasons)]: the judge counts a frame as decoded only in
    decode_stacktrace.sh's form ("func (file:line) module"): no line of a
    raw recorded WARN report passes for one, a decoded RIP line does."""
    with open(os.path.join(HERE, "fixtures", "splat-warn.log"), errors="replace") as f:
        raw = [classify.strip_timestamp(ln).strip() for ln in f.read().splitlines() if not ln.startswith("# ")]
    fooled = [ln for ln in raw if judge.Judge.DECODED_OURS.search(ln)]
    decoded = "RIP: 0010:init_module (/w/rust/selftest/rdcache_splat.c:416) rdcache_splat"
    ok = not fooled and bool(judge.Judge.DECODED_OURS.search(decoded))
    return [("harness/decoded-frame-is-decode-stacktrace-output", ok,
             [] if ok else [f"raw lines taken for decoded: {fooled[:2]}"] if fooled else ["a decoded line not seen"])]
