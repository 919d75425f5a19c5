# SPDX-License-Identifier: GPL-2.0
"""make test's host-side tests: each check of the judge, the guest scripts'
judgements and the set-up run on made-up or recorded input, so that a
detector is seen to fire without a boot (make host runs only these).

Each returns [(name, ok, reasons[, "SKIP"])], one KTAP result each, or
writes its results into a Ktap (compile-fail cases, recorded fixtures).
"""

import glob
import os
import re
import subprocess
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
    (scripts/host/stress_rates.py); each must be below 0.1%.  The rate
    checks (wait, ancestor) skip below 200 cycles, so only make stress
    judges them."""
    import stress_rates
    try:
        with open(os.path.join(kdir, "Module.symvers")) as f:
            put = "dput_to_list" if re.search(r"\bdput_to_list\b", f.read()) else "fallback"
    except OSError:
        put = "fallback"
    res = []
    for b in plan("test"):
        for t in b.tests:
            m = re.fullmatch(r"stress/stress\.sh:(\d+)\+0\+(\d+)\+(\d+)", t.spec)
            if not m:
                continue
            n, big, workers = (int(v) for v in m.groups())
            for case, prob, why in stress_rates.judge(put, b.smp or 2, workers, big, n):
                name = f"stress/false-failure/{t.name.split('/')[-1]}/{case}"
                if prob is None:
                    res.append((name, True, [f"SKIP: not judged yet: {why}"], "SKIP"))
                else:
                    ok = prob < stress_rates.MAX_FALSE_FAILURE
                    res.append((name, ok, [] if ok else [f"{why}, over {stress_rates.MAX_FALSE_FAILURE}"]))
    # The computation itself, on a threshold known to flake: 6 of 30
    # cycles (20%) against a 5% threshold fails a 30-cycle run 1% of the time.
    p = stress_rates.lower_bound(200, 1000)
    flaky = stress_rates.false_failure(30, 5, 0.2)
    ok = 0.17 < p < 0.2 and 0.009 < flaky < 0.012 and stress_rates.false_failure(30, 30, 0.87) < 1e-6
    res.append(("stress/false-failure-detects-a-flaky-threshold", ok,
                [] if ok else [f"lower bound of 200/1000 = {p:.4f}, P(fail 5% of 30 | p=0.2) = {flaky:.4f}"]))
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


def genmut_selftests():
    """[(name, ok, reasons)]: the mutant generator (make mutants GENERATED=N)
    is reproducible, and every mutant it samples applies exactly once."""
    import genmut
    cfg = genmut.load_map()
    a = [m["id"] for m in genmut.sample(cfg, 1, 150)]
    b = [m["id"] for m in genmut.sample(cfg, 1, 150)]
    c = [m["id"] for m in genmut.sample(cfg, 2, 150)]
    res = [("mutants/generated-sample-is-reproducible", a == b and a != c and len(set(a)) == len(a) >= 150,
            [] if a == b and a != c and len(set(a)) == len(a) >= 150 else
            [f"seed 1 twice {'equal' if a == b else 'differs'}, seed 2 {'differs' if a != c else 'equal'}, "
             f"{len(set(a))} distinct of {len(a)}"])]
    bad, areas = [], set()
    for m in genmut.sample(cfg, 1, 150):
        areas.add(m["area"])
        with open(os.path.join(TOP, m["file"]), errors="replace") as f:
            text = f.read()
        if text.count(m["old"]) != 1 or m["old"] == m["new"]:
            bad.append(f"{m['id']} ({m['file']}:{m['line']})")
    res.append(("mutants/generated-mutants-apply-once", not bad and areas == set(cfg["areas"]),
                bad[:5] + ([f"areas sampled: {sorted(areas)}"] if areas != set(cfg["areas"]) else [])))
    # The hand-made ones rot when their text changes: each must still apply.
    import mutants
    rotten = []
    for m in mutants.load():
        try:
            with open(os.path.join(TOP, m["file"]), errors="replace") as f:
                n = f.read().count(m["old"])
        except OSError:
            n = 0
        if n != 1:
            rotten.append(f"{m['name']}: its text occurs {n} times in {m['file']}")
    res.append(("mutants/handmade-mutants-apply-once", not rotten, rotten[:5]))
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


BINDGEN_TEST = os.path.join(HERE, "bindgen_empty_aligned_test.sh")
BINDGEN_REPORT = os.path.join(TOP, "docs", "reports", "bindgen-empty-aligned.md")
BINDGEN_VERDICT = re.compile(r"^bindgen (\S+): (affected|not affected)\b", re.M)
BINDGEN_VERSIONS = re.compile(r"^<!-- (affected|unaffected)-versions:(.*)-->$", re.M)


def run_bindgen_test(script=BINDGEN_TEST, report=None, timeout=300):
    """(exit status or None on a timeout, stdout, stdout+stderr lines) of
    bindgen_empty_aligned_test.sh, with BINDGEN_REPORT=report if given."""
    env = dict(os.environ)
    env.pop("BINDGEN_REPORT", None)
    if report:
        env["BINDGEN_REPORT"] = report
    try:
        proc = subprocess.run(["bash", script], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, env=env)
    except subprocess.TimeoutExpired:
        return None, "", [f"{os.path.basename(script)} took more than {timeout} s"]
    return proc.returncode, proc.stdout, (proc.stdout + proc.stderr).strip().splitlines()


def invert_bindgen_report(text, version, verdict):
    """The report's text with `version` listed only under the verdict it did
    not get: the expectation a working detector must contradict (exit 1).
    None if the report has no affected-/unaffected-versions lines."""
    if len(BINDGEN_VERSIONS.findall(text)) != 2:
        return None
    wrong = "unaffected" if verdict == "affected" else "affected"

    def line(m):
        kind = m.group(1)
        vers = [v for v in re.split(r"[\s,]+", m.group(2)) if v and v != version]
        if kind == wrong:
            vers.append(version)
        return f"<!-- {kind}-versions: {' '.join(vers)} -->" if vers else f"<!-- {kind}-versions: -->"

    return BINDGEN_VERSIONS.sub(line, text)


def bindgen_checks(script=BINDGEN_TEST, report=BINDGEN_REPORT, timeout=300):
    """[(name, ok, reasons[, "SKIP"])]: the installed bindgen through the
    empty-aligned-struct reproducer, its verdict against the one
    docs/reports/bindgen-empty-aligned.md records for its version; then the
    same script against a copy of the report that says the opposite for that
    version, which it must reject (exit 1)."""
    import tempfile

    name = "bindgen/empty-aligned-reproducer"
    rc, out, lines = run_bindgen_test(script, report, timeout)
    brief = [ln for ln in lines if not ln.startswith("    ")]  # without rustc's errors, quoted indented
    if rc == 0:
        res = [(name, True, brief)]
    elif rc == 4:
        why = next((ln.split("SKIP: ", 1)[1] for ln in lines if "SKIP: " in ln), "no expectation for this version")
        res = [(name, True, [f"SKIP: {why}"] + [ln for ln in brief if "SKIP: " not in ln], "SKIP")]
    else:
        res = [(name, False, lines + [f"{os.path.basename(script)} exited {rc}"])]

    name = "bindgen/empty-aligned-detector-self-test"
    m = BINDGEN_VERDICT.search(out)
    if not m:
        return res + [(name, False, ["the reproducer printed no 'bindgen <version>: ...' verdict to invert"])]
    version, verdict = m.groups()
    try:
        with open(report) as f:
            doctored = invert_bindgen_report(f.read(), version, verdict)
    except OSError as e:
        return res + [(name, False, [f"cannot read {report}: {e}"])]
    if doctored is None:
        return res + [(name, False, [f"{report} has no affected-versions and unaffected-versions lines"])]
    with tempfile.TemporaryDirectory(prefix="rdcache-bindgen-") as tmp:
        copy = os.path.join(tmp, os.path.basename(report))
        with open(copy, "w") as f:
            f.write(doctored)
        rc2, _, lines2 = run_bindgen_test(script, copy, timeout)
    said = "not affected" if verdict == "affected" else "affected"
    if rc2 == 1:
        return res + [(name, True, [f"a report saying bindgen {version} is '{said}' is rejected: exit 1"])]
    return res + [(name, False, [f"with a report saying bindgen {version} is '{said}' (it is '{verdict}'), "
                                 f"{os.path.basename(script)} exited {rc2}, not 1"] + lines2)]


def fixture_tests():
    return sorted(glob.glob(os.path.join(HERE, "fixtures", "*.log")))


def run_setup_order():
    """[(name, ok, reasons)] from scripts/host/setup_order_test.sh: every
    target runs the set-up before it checks for the toolchain."""
    script = os.path.join(HERE, "setup_order_test.sh")
    try:
        proc = subprocess.run(["bash", script], capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [("setup-order", False, ["setup_order_test.sh took more than 300 s"])]
    res = []
    for line in proc.stdout.splitlines():
        if m := re.match(r"(not )?ok \d+ (\S+)", line):
            res.append((m.group(2), not m.group(1), []))
        elif line.startswith("# ") and res and not res[-1][1]:
            res[-1][2].append(line[2:])  # a failure's diagnostics follow it
    if not res or proc.returncode not in (0, 1) or (proc.returncode == 0) != all(ok for _, ok, _ in res):
        res.append(("setup-order", False, [f"setup_order_test.sh exited {proc.returncode} with "
                                           f"{len(res)} result(s): {proc.stderr.strip()[-300:]}"]))
    return res


def upstream_docs(ksrc, kdir):
    """[(name, ok, reasons)] from `upstream.py --check-docs`: docs/upstream/
    is the series the sources make now, and checkpatch --strict is silent
    on it, each with the self-test that makes it fire.  (The builds and
    the built-in suite's boot are make upstream's, not make test's.)"""
    cache = os.environ.get("RDCACHE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rdcache")
    cmd = ["python3", os.path.join(HERE, "upstream.py"), "--check-docs", "--ksrc", ksrc,
           "--kdir", kdir, "--cache", cache]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [("upstream/check-docs", False, ["upstream.py --check-docs took more than 300 s"])]
    res = []
    for line in proc.stdout.splitlines():
        if m := re.match(r"(ok|FAIL) (\S+): (.*)", line):
            res.append((m.group(2), m.group(1) == "ok", [m.group(3)]))
    if not res or (proc.returncode == 0) != all(ok for _, ok, _ in res):
        res.append(("upstream/check-docs", False, [f"upstream.py --check-docs exited {proc.returncode} with "
                                                   f"{len(res)} result(s): {proc.stderr.strip()[-300:]}"]))
    return res


def layout_lie(kdir, kmake_args):
    """[(name, ok, reasons)] from scripts/host/layout_lie_test.sh: a
    module build told that task_struct.pid sits 48 bytes early (what
    bindgen 0.73.2 did with CONFIG_SCHEDSTATS=n) must fail at build time,
    naming it (rust/dcache/layout.rs)."""
    script = os.path.join(HERE, "layout_lie_test.sh")
    name = "layout/wrong-task-struct-pid-offset-fails-the-build"
    try:
        proc = subprocess.run(["bash", script, kdir, kmake_args], capture_output=True,
                              text=True, timeout=900, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [(name, False, ["layout_lie_test.sh took more than 900 s"])]
    ok = proc.returncode == 0 and f"ok 1 {name}" in proc.stdout.splitlines()
    reasons = [ln[2:] for ln in proc.stdout.splitlines() if ln.startswith("# ")]
    return [(name, ok, [] if ok else reasons or [f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"])]


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


def help_problems(text):
    """What is wrong with a Makefile's `make help` lines ("#> target  what
    it does"): a .PHONY target without one, one naming no such target, a
    target listed twice."""
    joined = re.sub(r"\\\n", " ", text)
    phony = set()
    for m in re.finditer(r"^\.PHONY:(.*)$", joined, re.M):
        phony.update(m.group(1).split())
    listed = [ln.split()[1] for ln in text.splitlines() if ln.startswith("#> ") and len(ln.split()) > 2]
    out = [f"no help line for target '{t}'" for t in sorted(phony - set(listed))]
    out += [f"help line for '{t}', which is no .PHONY target" for t in sorted(set(listed) - phony)]
    out += [f"'{t}' listed {listed.count(t)} times" for t in sorted(set(listed)) if listed.count(t) > 1]
    return out


def make_help_selftests():
    """[(name, ok, reasons)]: `make help` lists every target of the Makefile,
    one line each, and the check fires on a Makefile whose list lacks one."""
    path = os.path.join(TOP, "Makefile")
    with open(path) as f:
        text = f.read()
    res = []
    bad = help_problems(text)
    try:
        out = subprocess.run(["make", "-s", "-C", TOP, "help"], capture_output=True, text=True, timeout=30)
        lines = out.stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired) as e:
        lines = []
        bad.append(f"make help: {e!r}")
    want = [ln.split()[1] for ln in text.splitlines() if ln.startswith("#> ")]
    got = [ln.split()[1] for ln in lines if ln.startswith("  make ")]
    if got != want or len(lines) != len(want):
        bad.append(f"make help printed {len(lines)} line(s) naming {got[:3]}..., not the {len(want)} targets")
    res.append(("make-help/lists-every-target-once", not bad, bad[:5]))
    doctored = re.sub(r"^#> test .*\n", "", text, flags=re.M)
    fired = help_problems(doctored)
    ok = fired == ["no help line for target 'test'"]
    res.append(("make-help/check-fires-on-a-target-left-out", ok, [] if ok else [f"gave {fired}"]))
    return res


def rustdoc_selftests(results):
    """[(name, ok, reasons)]: make doc's rustdoc of the layer builds with no
    warning (into <results>/doc), and the same check fails on a copy of the
    sources whose crate docs hold a broken intra-doc link."""
    import shutil
    import tempfile

    import rustdoc
    ok, lines = rustdoc.build(TOP, os.path.join(results, "doc"))
    res = [("doc/rustdoc-builds-without-warnings", ok, [] if ok else lines[-12:])]
    with tempfile.TemporaryDirectory(prefix="rdcache-doc-") as tmp:
        shutil.copytree(os.path.join(TOP, "rust"), os.path.join(tmp, "rust"),
                        ignore=shutil.ignore_patterns("*.o", "*.ko"))
        main = os.path.join(tmp, "rust", "rdcache_main.rs")
        with open(main) as f:
            text = f.read()
        # After the crate's first doc line: a link to nothing.
        doctored = re.sub(r"^(//!.*\n)", r"\1//! See [`no_such_item_in_rdcache`].\n", text, count=1, flags=re.M)
        with open(main, "w") as f:
            f.write(doctored)
        bad, out = rustdoc.build(tmp, os.path.join(tmp, "doc"))
    fired = not bad and any("no_such_item_in_rdcache" in ln for ln in out)
    res.append(("doc/rustdoc-check-fires-on-a-broken-link", fired and doctored != text,
                [] if fired else ["rustdoc passed a broken intra-doc link: " + " | ".join(out[-4:])]))
    return res


README_LIMIT = 12000


def slug(heading):
    """GitHub's anchor for a markdown heading."""
    h = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return h.replace(" ", "-")


def link_problems(path, text):
    """The relative links of a markdown file (`path`, its `text`) whose file
    or #anchor does not exist.  Links into results/ (made by a run) and
    absolute URLs are not checked."""
    out = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("results/") or "/results/" in target:
            continue
        file, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file)) if file else path
        if not os.path.exists(dest):
            out.append(f"{os.path.relpath(path, TOP)}: {target}: no such file")
            continue
        if anchor and dest.endswith(".md"):
            with open(dest) as f:
                heads = {slug(m) for m in re.findall(r"^#+ (.*)$", f.read(), re.M)}
            if anchor not in heads:
                out.append(f"{os.path.relpath(path, TOP)}: {target}: no such heading")
    return out


def docs_selftests():
    """[(name, ok, reasons)]: the README stays short, and every relative
    link of the README and docs/ leads somewhere; the link check fires on a
    link to nothing."""
    readme = os.path.join(TOP, "README.md")
    with open(readme) as f:
        text = f.read()
    n = len(text)
    res = [("docs/readme-at-most-12000-characters", n <= README_LIMIT,
            [] if n <= README_LIMIT else [f"README.md has {n} characters"])]
    bad = []
    for path in [readme] + sorted(glob.glob(os.path.join(TOP, "docs", "*.md"))):
        with open(path) as f:
            bad += link_problems(path, f.read())
    res.append(("docs/relative-links-resolve", not bad, bad[:8]))
    fired = link_problems(readme, "[a](docs/no-such-file.md) [b](docs/api.md#no-such-heading)")
    res.append(("docs/link-check-fires-on-a-dead-link", len(fired) == 2, [] if len(fired) == 2 else [f"gave {fired}"]))
    return res


def progress_selftests():
    """[(name, ok, reasons)]: make test's time left, on made-up durations:
    boots alone add up, boots side by side share the slots, a running boot
    counts what it has left, one past its figure a tenth of it."""
    import io

    import progress
    p = progress.Progress("/x/build/debug-0123456789ab", "test", [["a"], ["b", "c", "d"]], 2, False,
                          out=io.StringIO())
    p.known = {"test/a": 100, "test/b": 50, "test/c": 50, "test/d": 100}
    p.started = []
    res = []
    cases = [("nothing-started", p.left(now=1000.0), 250)]
    # a running for 40 s: 60 left, then the group (150).
    p.running, p.started = {"a": 960.0}, ["a"]
    cases.append(("first-boot-40-s-in", p.left(now=1000.0), 210))
    # a done; b 10 s over its figure (5 s left: a tenth), c 10 s in (40
    # left); d takes the slot b frees: 5 + 100.
    p.running, p.started = {"b": 940.0, "c": 990.0}, ["a", "b", "c"]
    cases.append(("side-by-side-one-over-its-figure", p.left(now=1000.0), 105))
    for name, v, want in cases:
        ok = v is not None and abs(v - want) < 0.01
        res.append((f"progress/time-left/{name}", ok, [] if ok else [f"estimated {v}, want {want}"]))
    # The kernel build's line (build-kernel.sh's progress_line): a profile
    # of 765 s for 1789 steps; 464 steps in 184 s is 25%, and at that pace
    # (the last build had them at 198 s) 527 s are left.
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".progress") as prof:
        prof.write("0 0\n765 1789\n")
        prof.flush()
        script = os.path.join(HERE, "build-kernel.sh")
        p2 = subprocess.run(["bash", "-c", f'source <(sed -n "/^progress_line()/,/^}}/p" {script}); '
                             f'progress_line {prof.name} 184 464; progress_line /nonexistent 30 10'],
                            capture_output=True, text=True, timeout=30)
    want = ["184 s, 464 of about 1789 steps (25%), about 9 min left", "30 s, 10 steps"]
    got = p2.stdout.strip().splitlines()
    res.append(("progress/kernel-build-share-and-time-left", got == want, [] if got == want else [f"got {got}"]))
    cfg = progress.config_of("/r/build/debug-patched-10383e0569a4")
    res.append(("progress/durations-kept-per-kernel-configuration", cfg == "debug-patched", [f"got {cfg!r}"]))
    return res


def stage_problems(stages):
    """What is wrong with mutant stages [(where, plan, only, caught_by)]: a
    plan that does not exist, a boot `only` names that its plan does not
    have (the run would stop before any test: an error, or for the judge a
    false kill), a test `caught_by` names that those boots do not run (the
    mutant would be reported surviving when caught)."""
    import plans as p
    out = []
    for where, pname, only, caught_by in stages:
        try:
            boots = p.plan(pname)
        except SystemExit as e:
            out.append(f"{where}: {e}")
            continue
        missing = sorted(set(only) - {b.name for b in boots})
        if missing:
            out.append(f"{where}: plan {pname} has no boot {', '.join(missing)}")
        tests = {t.name for b in boots if not only or b.name in only for t in b.tests} | \
            {b.outside_name for b in boots if not only or b.name in only}
        lost = sorted(set(caught_by) - tests)
        if lost and pname not in ("classifier", "layout", "compile-fail"):
            out.append(f"{where}: plan {pname} runs no test {', '.join(lost)}")
    return out


def mutant_stage_selftests():
    """[(name, ok, reasons)]: every stage of the hand-made and generated
    mutants names a plan and boots that exist, and the check fires on one
    that names a boot the plan lost."""
    import genmut
    import mutants
    stages = [(m["name"], m["plan"], m.get("only", []), m.get("caught_by", [])) for m in mutants.load()]
    cfg = genmut.load_map()
    for area, a in cfg["areas"].items():
        for st in a["stages"]:
            stages.append((area, st["plan"], st.get("only", []), []))
        for rule in a.get("stages_by_file", []):
            for st in rule["stages"]:
                stages.append((f"{area} {rule['file']}", st["plan"], st.get("only", []), []))
    bad = stage_problems(stages)
    res = [("mutants/stages-name-boots-their-plans-have", not bad, bad[:6])]
    fired = stage_problems([("x", "test", ["apifuzz"], []), ("y", "no-such-plan", [], []),
                            ("z", "rdcachefs", [], ["rdcachefs/unload-race:200"])])
    res.append(("mutants/stage-check-fires-on-a-lost-boot", len(fired) == 3, [] if len(fired) == 3 else fired))
    return res


def compile_fail_cache_selftests(kdir):
    """[(name, ok, reasons)]: a compile-fail verdict is reused only for the
    same inputs: a copy of the layer gives the same key, and one byte
    changed in any of its files gives another."""
    import shutil
    import tempfile
    case = compile_fail.cases()[0]
    with tempfile.TemporaryDirectory(prefix="rdcache-cfkey-") as tmp:
        shutil.copytree(os.path.join(TOP, "rust", "dcache"), os.path.join(tmp, "rust", "dcache"),
                        ignore=shutil.ignore_patterns("*.o", ".*.cmd", "*.d"))
        twin = os.path.join(tmp, os.path.relpath(case, TOP))
        same = compile_fail.cache_key(case, kdir, "") == compile_fail.cache_key(twin, kdir, "", top=tmp)
        with open(os.path.join(tmp, "rust", "dcache", "helpers", "dcache.c"), "a") as f:
            f.write(" ")
        edited = compile_fail.cache_key(twin, kdir, "", top=tmp)
    differs = edited != compile_fail.cache_key(case, kdir, "")
    args = compile_fail.cache_key(case, kdir, "") != compile_fail.cache_key(case, kdir, "LLVM=-19")
    # A kernel tree rebuilt in place (KDIR=): its .config changed, its path not.
    keys = []
    with tempfile.TemporaryDirectory(prefix="rdcache-cfkdir-") as tmp:
        for cfg in ("CONFIG_RUST=y\n", "CONFIG_RUST=y\nCONFIG_KASAN=y\n"):
            kd = os.path.join(tmp, cfg.count("\n") * "k")
            os.makedirs(kd)
            with open(os.path.join(kd, ".config"), "w") as f:
                f.write(cfg)
            keys.append(compile_fail.tree_digest(kd))
    tree = keys[0] != keys[1]
    return [("compile-fail/cache-key-is-the-inputs", same and differs and args and tree,
             [f"same sources: {'same' if same else 'different'} key; a helper edited: "
              f"{'different' if differs else 'same'} key; other make arguments: {'different' if args else 'same'} key; "
              f"another kernel .config: {'different' if tree else 'same'} key"])]


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
