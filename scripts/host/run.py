#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rdcache's host-side test runner.

Boots the test kernel under QEMU once per "boot" of a plan, streams each guest
test's KTAP as it arrives, slices the kernel log per test, and turns any splat,
bad taint, hang, panic or timeout into a failed test.  Ends with
'N passed, N failed' and exits non-zero on any failure.

    run.py --kdir KDIR --ksrc KSRC --initrd INITRD [--kmake-args ARGS] PLAN
    run.py --kdir KDIR --ksrc KSRC --initrd INITRD --shell

PLAN: test (everything), run (make run's demonstration), smoke, kunit,
rdcachefs, interleavings, stress, negctl, compile-fail, harness, hostile, bench, kcsan,
upstream (make upstream: a patched kernel's built-in suite).

Environment: SMP (vCPUs, default: host cores), RDCACHE_ACCEL (tcg|kvm|auto),
RDCACHE_BOOT_TIMEOUT (s, default 180), RDCACHE_JOBS (boots side by side,
default 2), RDCACHE_RESULTS (results directory), CYCLES / DURATION (stress),
RDCACHE_ONLY (comma-separated boot names: run only those boots of the plan),
RDCACHE_CASES (space-separated forced interleavings to run, default all seven).
"""

import argparse
import concurrent.futures
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import bench_report  # noqa: E402
import classify  # noqa: E402
import compile_fail  # noqa: E402
import vm  # noqa: E402

# What the classifier must call each deliberate splat.
SPLAT_KIND = {
    "warn": ("warning", "taint"),  # the log line, and the W taint bit on its own
    "lockdep": "lockdep",
    "kasan": "kasan",
    "ubsan": "ubsan",
    "sleep": "sleep-in-atomic",
    "hung": "hung-task",
    "panic": "panic",
}


# The kinds each recorded trigger's fixture must show (make record-fixtures).
RECORD_KIND = {
    "refcount": "refcount", "list": "list-corruption", "ubsan-shift": "ubsan", "might-sleep": "sleep-in-atomic",
    "hung-io": "hung-task", "rcu-stall": "rcu-stall", "rcu-exp-stall": "rcu-stall", "softlockup": "soft-lockup",
    "lockdep-irq": "lockdep", "lockdep-nest": "lockdep", "lockdep-held-exit": "lockdep",
    "lockdep-nonstatic": ("lockdep", "lockdep-off"), "lockdep-max": "lockdep-off", "rcu": "rcu",
    "spinlock": "bug", "odebug": "odebug", "slab": "slab", "bug": "bug", "null-deref": ("bug", "oops"),
    "gpf": "gpf", "flood": "printk-dropped", "rust-panic": "rust-panic", "ubsan": "ubsan",
    "lockdep-recursive": "lockdep", "lockdep-inconsistent": "lockdep", "lockdep-unbalanced": "lockdep",
    "lockdep-freed": "lockdep", "lockdep-user-return": "lockdep", "lockdep-wait-context": "lockdep",
    "lockdep-subclass": ("lockdep", "lockdep-off"), "lockdep-key": ("lockdep", "lockdep-off"),
    "rcu-stall-irqsoff": "rcu-stall", "odebug-stack": "odebug",
}


class Test:
    """A guest test: `spec` is 'suite/script.sh[:arg]' as /init takes it."""

    def __init__(self, spec, expect=None, name=None, timeout=None, config=None, exact=False, warn_at=(), allow=()):
        # RDCACHE_TEST_TIMEOUT_CAP=S: no test runs longer than S seconds, in
        # the guest too (generated mutants: one that loops for ever, even
        # printing, is caught at the cap, not after its suite's timeout).
        cap = int(os.environ.get("RDCACHE_TEST_TIMEOUT_CAP") or 0)
        if cap:
            timeout = min(timeout or settings_timeout(spec.split("/")[0]), cap)
        if timeout:
            script, colon, arg = spec.partition(":")
            spec = f"{script}@{timeout}{colon}{arg}"
        self.timeout = timeout
        self.spec = spec
        # A harness self-test: passes only if the runner reports this kind
        # (or every kind of a tuple).
        self.expect = (expect,) if isinstance(expect, str) else expect
        # exact: the expected kinds and nothing else (a KASAN report beside
        # an expected busy dentry fails it).  warn_at: the functions whose
        # WARN()s are part of the expected reports (their "WARNING: ... at
        # FUNC+" lines and the W taint they set); any other WARNING fails.
        self.exact = exact
        self.warn_at = tuple(warn_at)
        # allow (with exact): kinds that may appear but need not (a fuzzer's
        # seeds decide which leaks they make); the test's own checks say
        # which each run must show.
        self.allow = tuple(allow)
        script, _, arg = spec.partition(":")
        script = script.split("@")[0]
        base = script[:-3] if script.endswith(".sh") else script
        self.name = name or (base + (":" + arg if arg else ""))
        self.suite = script.split("/")[0]
        # The kernel options the test needs: its suite's `config` file (the
        # kselftest convention), unless the plan names its own.
        self.config = list(config) if config is not None else suite_config(self.suite)

    def guest_timeout(self):
        return self.timeout or settings_timeout(self.suite)


def settings_timeout(suite):
    """A suite's `timeout=` from its kselftest `settings` file (45 s if none)."""
    settings = os.path.join(TOP, "scripts", "selftests", suite, "settings")
    try:
        with open(settings) as f:
            for line in f:
                if line.startswith("timeout="):
                    return int(line.split("=", 1)[1])
    except OSError:
        pass
    return 45


RUNNER_KINDS = ("exit", "timeout", "guest-hang", "vm-down", "marker", "ktap")


def exact_problems(t, problems, findings, allowed):
    """For a Test(exact=True): every kind seen that is not expected, and
    every WARNING not raised in one of t.warn_at (whose W taint is then
    expected too).  [] for any other test."""
    if not t.exact:
        return []
    out = []
    for kind, text in problems:
        # The classifier's findings are judged one by one below; the
        # problem that sums them up ("kernel log: ...") is not.
        if kind in allowed or kind in RUNNER_KINDS or text.startswith("kernel log: "):
            continue
        if kind == "taint" and t.warn_at and re.fullmatch(r"kernel tainted during the test: W \([^)]*\)", text):
            continue
        out.append(f"not expected: {text}")
    warn_re = re.compile(r" at (%s)\+" % "|".join(map(re.escape, t.warn_at))) if t.warn_at else None
    for kind, line in findings:
        if kind in allowed:
            continue
        # A WARN()'s "cut here" and "end trace" lines come with its
        # "WARNING: ... at FUNC+" line, which is judged by its place.
        if kind == "warning" and warn_re and (warn_re.search(line) or not line.startswith("WARNING:")):
            continue
        out.append(f"not expected: {kind}: {line[:160]}")
    return list(dict.fromkeys(out))


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
             ("times-without-cycles-inconsistent", 30, "consistent 0 2 && echo PASS || echo FAIL", "FAIL")]
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


def taint_selftests():
    """[(name, ok, reasons)]: the taint bits the judge fails a test on are
    B, D, W and L gained during it; one set before it, and O, E and N (an
    out-of-tree, unsigned module; KUnit), are not."""
    import classify
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


def suite_config(suite):
    """The `CONFIG_X=y` lines of scripts/selftests/<suite>/config."""
    path = os.path.join(TOP, "scripts", "selftests", suite, "config")
    try:
        with open(path) as f:
            return [ln.strip() for ln in f if ln.startswith("CONFIG_")]
    except OSError:
        return []


def kernel_config(kdir):
    """{option: value} of KDIR's .config (`# CONFIG_X is not set` is absent)."""
    opts = {}
    try:
        with open(os.path.join(kdir, ".config")) as f:
            for line in f:
                m = re.match(r"(CONFIG_\w+)=(.*)", line.strip())
                if m:
                    opts[m.group(1)] = m.group(2)
    except OSError:
        pass
    return opts


def missing_config(want, have):
    """The options of `want` ('CONFIG_X=y' lines) that `have` lacks."""
    missing = []
    for line in want:
        opt, _, val = line.partition("=")
        got = have.get(opt)
        if got is None or (val in ("y", "m") and got not in ("y", "m")) or (val not in ("y", "m") and got != val):
            missing.append(line)
    return missing


def ktap_plan_problem(lines):
    """Why a test's own top-level KTAP is inconsistent, or None: no plan, or
    a number of results other than the plan (a result past the plan is as
    wrong as a missing one)."""
    plan = None
    results = 0
    for line in lines:
        if m := re.match(r"1\.\.(\d+)(\s+#.*)?\s*$", line):  # "1..0 # SKIP why" too
            if plan is not None:
                return f"two KTAP plans (1..{plan} and {line.strip()})"
            plan = int(m.group(1))
        elif re.match(r"(not )?ok \d+\b", line):
            results += 1
    if plan is None:
        return "no KTAP plan line (1..N)"
    if results != plan:
        return f"KTAP plan 1..{plan} but {results} result(s)"
    return None


class Boot:
    def __init__(self, name, tests, cmdline="", boot_timeout=None, expect_noboot=False, beside=False,
                 mem="2G", outside_expect=None, outside_name=None, smp=None, icount=False):
        self.name = name
        # Guest time counts guest instructions (QEMU -icount, one vCPU).
        self.icount = icount
        # vCPUs of this boot (default: the run's SMP).
        self.smp = smp
        # A harness self-test of the lines outside the tests' slices: the
        # kinds the outside-tests verdict must report, and its result's name.
        self.outside_expect = outside_expect
        self.outside_name = outside_name or f"{name}/outside-tests"
        self.mem = mem
        # May run beside other such boots (nothing in it is timing-sensitive).
        self.beside = beside
        self.tests = tests
        self.cmdline = cmdline
        self.boot_timeout = boot_timeout
        self.expect_noboot = expect_noboot

    def count(self):
        """Results this boot reports: its tests, and the verdict on every
        kernel-log line outside their slices (a boot that must not reach
        /init reports one result for the whole log)."""
        return 1 if self.expect_noboot else len(self.tests) + 1


def stress_boot():
    """make stress: CYCLES=N (default 1000) or DURATION=SECONDS; SMP=N vCPUs
    and WORKERS=N workers per mount (default 2); BIG=N: every N-th cycle
    mounts the big shape (default 5, 0 never)."""
    duration = int(os.environ.get("DURATION") or 0)
    cycles = 0 if duration else int(os.environ.get("CYCLES") or 1000)
    workers = int(os.environ.get("WORKERS") or 2)
    big = int(os.environ.get("BIG") or 5)
    timeout = (duration or cycles * 3) + 300
    return Boot("stress", [Test(f"stress/stress.sh:{cycles}+{duration}+{big}+{workers}", name="stress/stress",
                                timeout=timeout)])


def bench_boot():
    """make bench: BENCH_SIZES=10000,30000 overrides the umount sizes."""
    sizes = os.environ.get("BENCH_SIZES", "").replace(",", "+")
    arg = "full" + (f"+{sizes}" if sizes else "")
    # 4 vCPUs (on 2 host cores) for put on one dentry from 1, 2 and 4 threads.
    return Boot("bench", [Test(f"bench/bench.sh:{arg}", name="bench/full")], mem="6G", smp=4)


def bench_icount_boot(tiny=False):
    """The single-threaded benchmarks in instructions: one vCPU, QEMU's
    -icount shift=0,sleep=off (one nanosecond of guest time per instruction).
    RCU callbacks run in rcuc kthreads (rcutree.use_softirq=0), which
    bench.sh's SCHED_FIFO regions keep out, instead of on interrupt exit."""
    mode = "icount-tiny" if tiny else "icount"
    # BENCH_SIZES: other umount sizes here too (make bench only).
    sizes = "" if tiny else os.environ.get("BENCH_SIZES", "").replace(",", "+")
    return Boot(f"bench-{mode}", [Test(f"bench/bench.sh:{mode}" + (f"+{sizes}" if sizes else ""),
                                       name=f"bench/{mode}")],
                mem="2G" if tiny else "6G", smp=1, icount=True, beside=tiny,
                cmdline="kunit.enable=0 rcutree.use_softirq=0")


# The fuzzer logs a line for nearly every rejected input (the kernel's own
# fs_parse() messages among them), about 1.3 MB in a burst: more than the
# 128 KiB log buffer (CONFIG_LOG_BUF_SHIFT=17) holds while a busy host drains
# the serial console, and lost lines ("printk messages dropped") fail a test.
FUZZ_CMDLINE = "kunit.enable=0 log_buf_len=16M"


# The reports a fuzzed sequence may cause (its own leaks and refused calls);
# apifuzz.sh's judge.awk checks each against what the sequence announced.
APIFUZZ_KINDS = ("warning", "dentry-busy", "busy-inodes", "inode-leak")
APIFUZZ_WARNS = ("umount_check", "generic_shutdown_super", "rdc_lock_rule_warn")
# make test's bounded fuzz: these seeds, this many operations each.
APIFUZZ_FIRST, APIFUZZ_SEEDS, APIFUZZ_OPS = 1, 40, 60
# Seeds that once failed a correct layer (a false alarm of the fuzzer's
# model, each fixed in apifuzz.rs), run after the bounded ones so that the
# fix stays: DURATION runs of 2026-12-07 (docs/apifuzz.md).
APIFUZZ_REGRESSION = (5022, 5114, 5229, 100012, 100141, 100910, 101556, 101604)


def apifuzz_boot(bounded=False):
    """make apifuzz: SEED=N replays one sequence (verbose); DURATION=S runs
    fresh seeds (from FIRST=F, default the time) for S seconds; neither:
    make test's bounded set.  OPS=N operations per sequence."""
    ops = int(os.environ.get("OPS") or APIFUZZ_OPS) if not bounded else APIFUZZ_OPS
    seed = None if bounded else os.environ.get("SEED")
    duration = 0 if bounded else int(os.environ.get("DURATION") or 0)
    if seed is not None:
        arg, name, timeout = f"replay+{int(seed)}+{ops}", f"apifuzz/replay-{int(seed)}", 300
    elif duration:
        first = int(os.environ.get("FIRST") or time.time())
        arg, name, timeout = f"duration+{duration}+{first}+{ops}", "apifuzz/duration", duration + 300
    else:
        regress = "_".join(map(str, APIFUZZ_REGRESSION))
        arg, name, timeout = f"seeds+{APIFUZZ_FIRST}+{APIFUZZ_SEEDS}+{ops}+{regress}", "apifuzz/bounded", 300
    return Boot("apifuzz", [Test(f"apifuzz/apifuzz.sh:{arg}", name=name, timeout=timeout, exact=True,
                                 allow=APIFUZZ_KINDS, warn_at=APIFUZZ_WARNS)],
                cmdline="kunit.enable=0 log_buf_len=16M", beside=bounded)


def bench_plan():
    """make bench's boots; BENCH_MODES=icount (or wall): one of the two only."""
    modes = os.environ.get("BENCH_MODES", "").split() or ["wall", "icount"]
    unknown = [m for m in modes if m not in ("wall", "icount")]
    if unknown:
        raise SystemExit(f"run.py: BENCH_MODES: {' '.join(unknown)} is not wall or icount")
    return [b for b, m in ((bench_boot(), "wall"), (bench_icount_boot(), "icount")) if m in modes]


def plan(name):
    if name == "bench":
        return bench_plan()
    smoke = [Boot("main", [Test("smoke/smoke.sh")])]
    rdcachefs = [Test("rdcachefs/walk.sh"), Test("rdcachefs/options.sh"), Test("rdcachefs/lifecycle.sh"),
                 Test("rdcachefs/late-callback.sh", expect="late-callback",
                      name="rdcachefs/detects-late-callback"),
                 Test("rdcachefs/inode-leak.sh", expect="inode-leak", name="rdcachefs/detects-inode-leak"),
                 Test("rdcachefs/readdir-clamp.sh"), Test("rdcachefs/retain.sh"), Test("rdcachefs/work-limit.sh")]
    # Module exit against the workers, on the KASAN kernel: no KUnit at every insmod.
    unload = [Boot("unload-race", [Test("rdcachefs/unload-race.sh:200", timeout=900)], cmdline="kunit.enable=0",
                   beside=True)]
    # Each forced interleaving of 7.3's shrink lists against umount.
    forced = [Test(f"interleavings/force.sh:{c}", name=f"interleavings/{c}")
              for c in os.environ.get("RDCACHE_CASES",
                                         "steal wait resurrection foreign-list ancestor last-pin deferred-kill").split()]
    main = [Boot("main", [Test("smoke/smoke.sh"), Test("kunit/kunit.sh")] + rdcachefs + forced
                 + [Test("bench/bench.sh:tiny", name="bench/tiny")])]
    # The attributed stress, on 2 vCPUs and on 4 (oversubscribed: vCPUs are
    # preempted at arbitrary instructions); the big shape every 15th / 10th
    # cycle.  Short: make test stays under 10 minutes; make stress runs 1000.
    # Beside other boots: its checks are rates with margins (README), and a
    # boot beside it preempts its vCPUs too.
    stress = [Boot("stress", [Test("stress/stress.sh:30+0+15+2", name="stress/stress-2cpu")], beside=True),
              Boot("stress-smp4", [Test("stress/stress.sh:20+0+10+4", name="stress/stress-4cpu")], smp=4,
                   beside=True)]
    # Leaks from safe code cause only the reports C gives for the same leak
    # (rust/rdcachefs/sound.rs): a boot of its own, since the leaked dentry
    # stays in the dcache for ever.  Exactly these kinds, nothing else (no
    # KASAN); the script checks that they name the leaked d0 of rdcachefs.
    umount_warns = ("umount_check", "generic_shutdown_super")
    sound = [Boot("sound", [
        Test("sound/forget.sh", expect=("dentry-busy", "busy-inodes", "inode-leak"), exact=True,
             warn_at=umount_warns, name="sound/forget-umount-shrink-reports-only-the-leak"),
        # Each misuse refused with a WARN naming the rule (rdc_lock_rule_warn);
        # the refused put and drop leak their references, which umount reports.
        Test("sound/guard.sh", expect=("warning", "dentry-busy", "busy-inodes", "inode-leak"), exact=True,
             warn_at=umount_warns + ("rdc_lock_rule_warn",), name="sound/guard-misuse-refused-by-name"),
        Test("sound/irq.sh", expect=("warning", "dentry-busy", "busy-inodes", "inode-leak"), exact=True,
             warn_at=umount_warns + ("rdc_lock_rule_warn",), name="sound/irq-context-refused-by-name"),
    ], beside=True)]
    # The seed's bug on purpose; each run in a boot of its own (it corrupts the kernel).
    negctl_expect = ("dentry-busy", "busy-inodes", "late-callback", "inode-leak")
    negctl = [Boot(f"negctl-{i}", [Test("negctl/negctl.sh", expect=negctl_expect,
                                        name=f"harness/negative-control-{i}")], beside=True)
              for i in range(1, 6)]
    # Splats that leave the kernel running share a boot, each judged on its
    # own slice of the log: lockdep first, since any report that taints the
    # kernel "lockdep unreliable" (KASAN's does) turns it off; the hung-task
    # test last, since it shortens the detector's timeout.  panic needs a
    # boot of its own; the leak runs last in the kmemleak boot.
    harness = [Boot("splats", [Test(f"harness/splat.sh:{k}", expect=SPLAT_KIND[k], name=f"harness/detects-{k}")
                               for k in ("lockdep", "warn", "sleep", "ubsan", "kasan", "hung")], beside=True),
               Boot("splat-panic", [Test("harness/splat.sh:panic", expect="panic", name="harness/detects-panic")],
                    beside=True)]
    # kmemleak's scans take long on the KASAN kernel under TCG beside other
    # boots: 60 s ran out once (2026-12-04, 14 boots) with the leak found.
    leak = Test("harness/splat.sh:leak", expect="kmemleak", name="harness/detects-leak", timeout=180)
    # Statuses mean what they say: a test that exits 1, one that dies of a
    # shell syntax error (busybox sh: 2), one that prints a result past its
    # plan and exits 0.  Each must be reported as the failure it is.
    harness.append(Boot("hang", [
        Test("harness-status/exit.sh:1", expect="exit", name="harness/detects-exit-1"),
        Test("harness-status/exit.sh:syntax", expect="exit", name="harness/detects-syntax-error"),
        Test("harness-status/exit.sh:overplan", expect="exit", name="harness/detects-result-past-plan"),
        Test("harness-status/exit.sh:dup-marker", expect="marker", name="harness/detects-duplicate-marker"),
        Test("harness-timeout/overrun.sh", expect="timeout", name="harness/detects-timeout"),
        Test("harness-timeout/wedge.sh", expect="guest-hang", name="harness/detects-guest-hang"),
    ], beside=True))
    # A splat printed after the last test has ended (a work item's WARN,
    # while the guest lingers): the runner must find it outside the slices.
    harness.append(Boot("late-splat", [Test("harness/splat.sh:delayed-warn", name="harness/arms-delayed-warn")],
                        cmdline="rdcache_linger=4", outside_expect=("warning",),
                        outside_name="harness/detects-splat-after-last-test", beside=True))
    # A kernel command line that never reaches /init: the kernel falls back to
    # /bin/sh on the console and sits there.  The runner must say so in time.
    # panic=0 keeps the panicked guest sitting there instead of rebooting.
    harness.append(Boot("noboot", [], cmdline="rdinit=/nonexistent panic=0", boot_timeout=20,
                        expect_noboot=True, beside=True))
    # Hostile input and faults.  Fault injection and the load/unload cycles
    # run with kmemleak on (about 2.5x slower boots), the fuzzer without;
    # none needs the KUnit suites to run at every insmod.
    hostile = [
        Boot("faults", [Test("hostile/faults.sh:quick"), Test("hostile/cycles.sh:5"), leak],
             cmdline="kmemleak=on kunit.enable=0", beside=True),
        Boot("fuzz", [Test("hostile/fuzz.sh"), Test("hostile/privilege.sh")], cmdline=FUZZ_CMDLINE,
             beside=True),
    ]
    # make test-kcsan, on the KCSAN kernel: the stress, and KCSAN seen to fire.
    # KCSAN excludes KASAN, and this kernel has no lockdep: these tests need KCSAN instead.
    kcsan_cfg = ["CONFIG_RUST=y", "CONFIG_DEBUG_FS=y", "CONFIG_KCSAN=y"]
    kcsan = [Boot("kcsan", [Test("smoke/smoke.sh"), Test("stress/stress.sh:100+0+0+2", config=kcsan_cfg)]),
             Boot("splat-race", [Test("harness/splat.sh:race", expect="kcsan", name="harness/detects-race",
                                      config=kcsan_cfg)])]
    hostile_full = [
        Boot("faults", [Test("hostile/faults.sh:full", timeout=3000)], cmdline="kmemleak=on kunit.enable=0",
             beside=True),
        Boot("cycles", [Test("hostile/cycles.sh:100", timeout=1200)], cmdline="kmemleak=on kunit.enable=0",
             beside=True),
        Boot("fuzz", [Test("hostile/fuzz.sh:50000", timeout=1800), Test("hostile/privilege.sh")],
             cmdline=FUZZ_CMDLINE, beside=True),
    ]
    # make record-fixtures: each trigger of rdcache_splat.ko whose report
    # family has no live self-test in make test, recorded once into
    # scripts/host/fixtures/rec-<trigger>.log (its test's log slice).  Those
    # that leave lockdep on and the kernel sane share a boot; the others
    # (lockdep switches itself off after one report; oopses) get their own.
    shared = ["refcount", "list", "ubsan", "ubsan-shift", "might-sleep", "hung-io", "rcu-stall", "rcu-exp-stall",
              "softlockup"]
    alone = ["lockdep-irq", "lockdep-nest", "lockdep-held-exit", "lockdep-nonstatic", "lockdep-max", "rcu",
             "spinlock", "odebug", "slab", "bug", "null-deref", "gpf", "rust-panic", "flood",
             "lockdep-recursive", "lockdep-inconsistent", "lockdep-unbalanced", "lockdep-freed",
             "lockdep-user-return", "lockdep-wait-context", "lockdep-subclass", "lockdep-key",
             "rcu-stall-irqsoff", "odebug-stack"]
    record = [Boot("rec-shared", [Test(f"harness/splat.sh:{k}", expect=RECORD_KIND[k], name=f"record/{k}",
                                       timeout=90) for k in shared], beside=True)]
    record += [Boot(f"rec-{k}", [Test(f"harness/splat.sh:{k}", expect=RECORD_KIND[k], name=f"record/{k}",
                                      timeout=120)], beside=True) for k in alone]
    plans = {
        "record-fixtures": record,
        "smoke": smoke,
        "run": [Boot("main", [Test("smoke/smoke.sh")] + forced + [Test("stress/stress.sh:30+0+15+2",
                                                                       name="stress/stress-2cpu")]),
                negctl[0]],
        "harness": harness + [Boot("splat-leak", [leak], cmdline="kmemleak=on", beside=True)],
        "kunit": [Boot("main", [Test("kunit/kunit.sh")])],
        "rdcachefs": [Boot("main", rdcachefs)] + unload,
        "interleavings": [Boot("main", forced)],
        "stress": [stress_boot()],
        "compile-fail": [],
        # Host only: the recorded kernel logs through the classifier (make mutants).
        "classifier": [],
        # Host only: every host-side test of make test but the compile-fail
        # cases and the layout builds (generated mutants of the judge).
        "host": [],
        # make test stays under 10 minutes warm: the main boot runs beside
        # the others, and two negative-control boots (make negctl: five).
        # Longest first, so that the two boot slots end together.
        "test": hostile[:1] + unload + [Boot("main", main[0].tests, beside=True)] + hostile[1:] + stress
                + [bench_icount_boot(tiny=True)] + negctl[:2] + sound + [apifuzz_boot(bounded=True)] + harness,
        "hostile": hostile_full,
        "kcsan": kcsan,
        "negctl": negctl,
        "sound": sound,
        "apifuzz": [apifuzz_boot()],
        # Host only: the build-time layout checks fire, and the installed
        # bindgen against its bug report (make layout).
        "layout": [],
        # make upstream, on the patched kernel (whose dput_to_list() the
        # module uses): the series' built-in suite, the module's suites, the
        # forced interleavings, the stress on 2 vCPUs and a negative control.
        "upstream": [Boot("upstream", [Test("upstream/builtin-kunit.sh"), Test("kunit/kunit.sh")] + forced,
                          beside=True), stress[0], negctl[0]],
    }
    if name not in plans:
        raise SystemExit(f"run.py: unknown plan '{name}' (have: {', '.join(plans)})")
    return plans[name]


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


class Ktap:
    """Top-level KTAP writer; everything also goes to ktap.log."""

    def __init__(self, path):
        self.log = open(path, "w")
        self.n = 0
        self.counts = {"pass": 0, "fail": 0, "xfail": 0, "xpass": 0, "skip": 0, "error": 0}
        self.failed = []

    def out(self, line):
        print(line, flush=True)
        self.log.write(line + "\n")
        self.log.flush()

    def header(self, n):
        self.out("KTAP version 1")
        self.out(f"1..{n}")

    # Kernel log lines at which kunit.py's parser ends a KTAP stream
    # (tools/testing/kunit/kunit_parser.py, KTAP_END): a diagnostic that
    # quotes one says where it is instead, so the rest still parses.
    KTAP_END = re.compile(r"List of all partitions:|Kernel panic - not syncing: VFS:|reboot: System halted")

    def diag(self, msg):
        for line in str(msg).splitlines() or [""]:
            if self.KTAP_END.search(line):
                line = self.KTAP_END.sub("[a line that ends KTAP for kunit.py: see the boot's console.log]", line)
            self.out(f"# {line}")

    def nested(self, line):
        self.out("    " + line)

    def result(self, name, ok, directive=None, reasons=()):
        self.n += 1
        for r in reasons:
            self.diag(f"{name}: {r}")
        if directive == "SKIP":
            self.counts["skip"] += 1
            why = next((r[len("SKIP: "):] for r in reasons if r.startswith("SKIP: ")), "")
            self.out(f"ok {self.n} {name} # SKIP {why}".rstrip())
        elif ok:
            self.counts["pass"] += 1
            self.out(f"ok {self.n} {name}")
        else:
            self.counts["fail"] += 1
            self.failed.append(name)
            self.out(f"not ok {self.n} {name}")

    def finish(self):
        c = self.counts
        self.out(f"# Totals: pass:{c['pass']} fail:{c['fail']} xfail:{c['xfail']} xpass:{c['xpass']} "
                 f"skip:{c['skip']} error:{c['error']}")
        line = f"{c['pass']} passed, {c['fail']} failed"
        if c["skip"]:
            line += f", {c['skip']} skipped"
        self.out(line)


class Counting:
    """A Ktap or Recorder that counts the results given through it."""

    def __init__(self, k):
        self.k = k
        self.results = 0
        self.given = set()

    def diag(self, msg):
        self.k.diag(msg)

    def nested(self, line):
        self.k.nested(line)

    def result(self, *args, **kw):
        self.results += 1
        self.given.add(args[0] if args else kw.get("name"))
        self.k.result(*args, **kw)


class Recorder:
    """Stands in for Ktap while a boot runs beside others; replayed in plan
    order afterwards so that the KTAP stream stays sequential."""

    def __init__(self):
        self.events = []

    def diag(self, msg):
        self.events.append(("diag", (msg,), {}))

    def nested(self, line):
        self.events.append(("nested", (line,), {}))

    def result(self, *args, **kw):
        self.events.append(("result", args, kw))

    def replay(self, ktap):
        for what, args, kw in self.events:
            getattr(ktap, what)(*args, **kw)


def safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def running_marker(spec):
    return f"kselftest: Running tests in {spec}"


def finished_marker(spec):
    return f"kselftest: Finished tests in {spec} rc="


def marker_lines(console, spec):
    """Indexes of the console lines that are `spec`'s Running and Finished
    markers (whole markers: "...stress.sh:20" is not "...stress.sh:200")."""
    run = [i for i, ln in enumerate(console) if ln.rstrip().endswith(running_marker(spec))]
    fin = [i for i, ln in enumerate(console)
           if re.search(re.escape(finished_marker(spec)) + r"\d+\s*$", ln.rstrip())]
    return run, fin


def marker_span(console, spec):
    """(first, last) console index of a test's slice: from its Running marker
    to its Finished marker, or to the end of the log if it never finished
    (a panic, a hang).  (None, None) without a Running marker."""
    run, fin = marker_lines(console, spec)
    if not run:
        return None, None
    after = [i for i in fin if i > run[0]]
    if after:
        return run[0], after[0]
    # No Finished marker: up to the next test's Running marker, if any.
    nxt = next((i for i in range(run[0] + 1, len(console)) if "kselftest: Running tests in " in console[i]), None)
    return run[0], (None if nxt is None else nxt - 1)


class Runner:
    def __init__(self, args):
        self.args = args
        self.kernel = os.path.join(args.kdir, "arch/x86/boot/bzImage")
        self.smp = int(os.environ.get("SMP") or os.cpu_count() or 2)
        self.boot_timeout = float(os.environ.get("RDCACHE_BOOT_TIMEOUT") or 180)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        # Absolute: kunit.py changes into the kernel tree before it opens files.
        self.results = os.path.abspath(os.environ.get("RDCACHE_RESULTS")
                                       or os.path.join(TOP, "results", f"{stamp}-{args.plan}"))
        os.makedirs(self.results, exist_ok=True)
        latest = os.path.join(TOP, "results", "latest")
        if os.path.dirname(self.results) == os.path.dirname(latest):
            try:
                if os.path.islink(latest):
                    os.unlink(latest)
                os.symlink(os.path.basename(self.results), latest)
            except OSError:
                pass
        self.ktap = Ktap(os.path.join(self.results, "ktap.log"))
        self.seen = {}  # test name -> what the runner saw (for make run's verdict)
        self.jobs = max(1, int(os.environ.get("RDCACHE_JOBS") or min(2, os.cpu_count() or 1)))
        self.kconfig = kernel_config(args.kdir)
        self.accel = self.pick_accel()

    def cmdline(self, boot, tests):
        smp = (boot.smp if boot is not None else None) or self.smp
        parts = ["console=ttyS0", "ignore_loglevel", "panic=-1", "kunit.enable=1", "kunit.autorun=1",
                 f"rdcache_cpus={smp}", "rdcache_tests=" + ",".join(t.spec for t in tests)]
        # kmemleak costs ~2.5x boot time under TCG; boots that check leaks turn
        # it on ("off" first would disable it for good, whatever follows).
        if not (boot and "kmemleak=on" in boot.cmdline):
            parts.insert(5, "kmemleak=off")
        if boot and boot.cmdline:
            parts.append(boot.cmdline)
        return " ".join(parts)

    def pick_accel(self):
        want = os.environ.get("RDCACHE_ACCEL", "auto")
        if want in ("tcg", "kvm"):
            return want
        if not vm.host_has_kvm():
            return "tcg"
        # /dev/kvm can exist and still hang in firmware: a short probe decides.
        probe = vm.Boot(self.kernel, self.args.initrd, os.path.join(self.results, "kvm-probe"),
                        self.cmdline(None, []), self.smp, accel="kvm")
        probe.start()
        ok = False
        try:
            while True:
                line = probe.readline(20)
                if line is None or line == vm.EOF:
                    break
                if line.startswith("# rdcache-done"):
                    ok = probe.wait_exit(10) == 1
                    break
        finally:
            probe.close()
        return "kvm" if ok else "tcg"

    # ---- one boot ---------------------------------------------------------

    def run_boot(self, boot, k):
        """Run one boot, reporting exactly boot.count() results whatever
        happens: an exception in the runner fails the results not yet given."""
        counted = Counting(k)
        try:
            self._run_boot(boot, counted)
        except Exception as e:  # noqa: BLE001 - any runner bug must become a failed result
            why = f"runner error: {type(e).__name__}: {e}"
            k.diag(f"boot {boot.name}: {why}")
            names = [t.name for t in boot.tests] + ([] if boot.expect_noboot else [boot.outside_name])
            if boot.expect_noboot:
                names = ["harness/detects-noboot"]
            for name in [n for n in names if n not in counted.given]:
                k.result(name, False, reasons=[why])

    def _run_boot(self, boot, k):
        bdir = os.path.join(self.results, boot.name)
        # A test whose kernel options this kernel lacks is a SKIP naming them.
        runnable = []
        for t in boot.tests:
            missing = missing_config(t.config, self.kconfig)
            if missing:
                k.result(t.name, True, directive="SKIP",
                         reasons=[f"SKIP: the kernel ({self.args.kdir}) lacks {', '.join(missing)}"])
                self.seen[t.name] = {"skipped": ", ".join(missing)}
            else:
                runnable.append(t)
        if not runnable and not boot.expect_noboot:
            k.result(boot.outside_name, True, directive="SKIP",
                     reasons=["SKIP: every test of this boot was skipped, so it did not boot"])
            return
        boot = Boot(boot.name, runnable, cmdline=boot.cmdline, boot_timeout=boot.boot_timeout,
                    expect_noboot=boot.expect_noboot, beside=boot.beside, mem=boot.mem,
                    outside_expect=boot.outside_expect, outside_name=boot.outside_name, smp=boot.smp,
                    icount=boot.icount)
        smp = boot.smp or self.smp
        qemu = vm.Boot(self.kernel, self.args.initrd, bdir, self.cmdline(boot, boot.tests), smp,
                       mem=boot.mem, accel="tcg" if boot.icount else self.accel, icount=boot.icount)
        accel = "tcg icount (instructions)" if boot.icount else self.accel
        k.diag(f"boot {boot.name}: {accel}, {smp} vCPUs, {len(boot.tests)} test(s); logs in {bdir}")
        qemu.start()
        try:
            gone = self._follow(boot, qemu, k)
            if not boot.expect_noboot:
                # Until QEMU has exited: what the kernel printed after the
                # last test is judged too.
                qemu.wait_exit(10)
                self.judge_outside(boot, qemu, gone, k)
        finally:
            qemu.close()

    def judge_outside(self, boot, qemu, gone, k):
        """`<boot>/outside-tests`: every console line that is in no test's
        slice (the boot before the first test, the gaps between tests, and
        everything after the last one until QEMU exited) is classified like
        a test's slice; so is a guest that did not finish cleanly."""
        console = qemu.console_lines()
        inside = [False] * len(console)
        names = {}
        for t in boot.tests:
            begin, end = marker_span(console, t.spec)
            if begin is None:
                continue
            stop = len(console) if end is None else end + 1
            for i in range(begin, stop):
                inside[i] = True
                names[i] = t.name
        outside = [(i, ln) for i, ln in enumerate(console) if not inside[i]]
        with open(os.path.join(qemu.outdir, "outside-tests.dmesg"), "w") as f:
            f.write("\n".join(ln for _, ln in outside) + "\n")
        problems = []
        if gone:
            problems.append(gone)
        findings = self.own_findings([ln for _, ln in outside], f"{boot.name}/outside-tests", k)
        where = after_last = None
        if findings:
            kept = {text for _, text in findings}
            first = next(i for i, ln in outside if classify.strip_timestamp(ln) in kept)
            before = [names[j] for j in range(first, -1, -1) if j in names][:1]
            after = [names[j] for j in range(first, len(console)) if j in names][:1]
            after_last = f"after the last test ({boot.tests[-1].name})" if boot.tests else None
            if not before:
                where = "during boot, before the first test"
            elif not after:
                where = f"after the last test ({before[0]})"
            else:
                where = f"between {before[0]} and {after[0]}"
            problems.append(f"kernel log {where}: {classify.summary(findings)}")
            for _, line in findings[:8]:
                k.diag(f"  {line}")
            self.decode([ln for _, ln in outside], findings,
                        os.path.join(qemu.outdir, "outside-tests.decoded"), k)
        k.diag(f"{boot.outside_name}: {len(outside)} of {len(console)} console lines outside the tests' slices")
        self.seen[boot.outside_name] = {"findings": findings}
        if boot.outside_expect:
            # Only the expected kinds, only after the last test, and a
            # guest that finished: anything else outside the tests fails.
            seen = {kind for kind, _ in findings}
            missing = [e for e in boot.outside_expect if e not in seen]
            other = sorted(seen - set(boot.outside_expect))
            k.diag(f"harness self-test: underlying verdict: {'not ok' if problems else 'ok'}"
                   + (f" ({'; '.join(problems)})" if problems else ""))
            reasons = [f"the runner did not report '{e}' outside the tests" for e in missing]
            reasons += [f"unexpected outside the tests: {', '.join(other)}"] if other else []
            reasons += [f"expected after the last test, found {where}"] if findings and where != after_last else []
            reasons += [gone] if gone else []
            k.result(boot.outside_name, not reasons, reasons=reasons)
            return
        k.result(boot.outside_name, not problems, reasons=problems)

    def own_findings(self, lines, name, k):
        """The classifier's findings in `lines`, less KCSAN reports whose
        racing accesses are not in rdcache's code: those are listed, not
        failed (make test-kcsan: "0 reports in rdcache's code")."""
        findings = classify.classify(lines)
        foreign = set()
        for text, ours, via in classify.kcsan_reports(lines):
            if not ours:
                foreign.add(text)
                k.diag(f"{name}: KCSAN report outside rdcache's code (listed, not counted"
                       + ("; rdcache is in a call chain" if via else "") + f"): {text}")
        return [(kind, text) for kind, text in findings if not (kind == "kcsan" and text in foreign)]

    def _follow(self, boot, qemu, k):
        boot_timeout = boot.boot_timeout or self.boot_timeout
        started = False
        while not started:
            line = qemu.readline(boot_timeout)
            if line is None or line == vm.EOF:
                break
            if line.startswith("# rdcache-guest-start"):
                started = True
                k.diag(f"guest up after {qemu.elapsed():.1f} s: {line[2:]}")
        if not started:
            status = qemu.wait_exit(5) if line == vm.EOF else None
            why = (f"guest never reached /init within {boot_timeout:.0f} s" if line is None
                   else f"QEMU exited (status {status}) before the guest reached /init")
            splat = classify.summary(classify.classify(qemu.console_lines()))
            tail = [ln for ln in qemu.console_lines() if ln.strip()][-3:]
            reasons = [why] + ([f"kernel log: {splat}"] if splat else []) + [f"console: {t}" for t in tail]
            if boot.expect_noboot:
                in_time = qemu.elapsed() < boot_timeout + 15
                k.diag("harness self-test: the boot below never reached /init; the runner must report it")
                for r in reasons:
                    k.diag(f"underlying verdict: not ok ({r})")
                k.result("harness/detects-noboot", in_time,
                         reasons=[] if in_time else [f"took {qemu.elapsed():.0f} s"])
                return None
            for i, t in enumerate(boot.tests):
                k.result(t.name, False, reasons=reasons if i == 0 else ["not run: the VM never booted"])
            return why
        if boot.expect_noboot:
            k.result("harness/detects-noboot", False, reasons=["the guest booted, so nothing was proven"])
            return None

        pending = list(boot.tests)
        done_line = None
        vm_gone = None  # why the VM stopped early, if it did
        while pending:
            t = pending[0]
            # Wait for the test's begin line.
            begin = self._wait_for(qemu, lambda ln: ln.startswith("# rdcache-begin "), 60, k)
            if begin is None or begin == vm.EOF:
                vm_gone = "the guest stopped before the test began"
                break
            rc, taint, reason = None, (0, 0), None
            nested = []
            limit = t.guest_timeout() + 20
            t0 = time.monotonic()
            while True:
                line = qemu.readline(max(1, limit - (time.monotonic() - t0)))
                if line is None:
                    reason = ("guest-hang", f"the guest said nothing for {limit} s (hung); VM killed")
                    qemu.kill()
                    break
                if line == vm.EOF:
                    reason = ("vm-down", f"the VM went down during the test (QEMU status {qemu.wait_exit(5)})")
                    break
                if line.startswith("# rdcache-end "):
                    m = re.search(r"rc=(\d+) taint_before=(\d+) taint_after=(\d+)", line)
                    rc, taint = int(m.group(1)), (int(m.group(2)), int(m.group(3)))
                    break
                k.nested(line)
                nested.append(line)
            elapsed = time.monotonic() - t0
            self._settle_console(qemu, t, rc is not None)
            self._verdict(qemu, boot, t, rc, taint, reason, elapsed, nested, k)
            pending.pop(0)
            if reason:
                vm_gone = reason[1]
                expected = set(t.expect or ()) | ({"vm-down"} if "panic" in (t.expect or ()) else set())
                if not pending and reason[0] in expected:
                    # A harness self-test that takes the VM down on purpose
                    # (panic, wedge): its own verdict says whether it did.
                    return None
                break
        if not vm_gone:
            done_line = self._wait_for(qemu, lambda ln: ln.startswith("# rdcache-done"), 60, k)
            status = qemu.wait_exit(30)
            if done_line in (None, vm.EOF) or status not in (1, 3):
                # Nothing left to blame but the boot itself: outside-tests fails.
                vm_gone = f"the guest did not finish cleanly (QEMU status {status})"
                k.diag(f"boot {boot.name}: {vm_gone}")
                return vm_gone
            return None
        for t in pending:
            k.result(t.name, False, reasons=[f"not run: {vm_gone}"])
        return f"the VM stopped early: {vm_gone}"

    def _wait_for(self, qemu, pred, timeout, k):
        while True:
            line = qemu.readline(timeout)
            if line is None or line == vm.EOF or pred(line):
                return line
            k.nested(line)

    def _settle_console(self, qemu, t, finished):
        """Give the console a moment to catch up with the test channel."""
        if not finished:
            time.sleep(1)
            return
        marker = f"kselftest: Finished tests in {t.spec} "
        for _ in range(100):
            if any(marker in ln for ln in qemu.console_lines()):
                return
            time.sleep(0.1)

    # A broken module must fail fast: only the first few reports of a slice
    # are decoded, each from its first line to the next report or 80 lines.
    DECODE_REPORTS = 3
    DECODE_LINES = 80
    DECODE_SECONDS = 45

    @classmethod
    def decode_chunk(cls, lines, findings):
        """(report starts, lines to decode): the first DECODE_REPORTS
        reports of a slice, DECODE_LINES lines each."""
        text = [classify.strip_timestamp(ln) for ln in lines]
        starts = []
        pos = 0
        for kind, line in findings:
            if len(starts) == cls.DECODE_REPORTS:
                break
            i = text.index(line, pos)  # findings come in the slice's order
            pos = i + 1
            if not starts or i >= starts[-1] + cls.DECODE_LINES:
                starts.append(i)
        chunk = []
        for i in starts:
            chunk += lines[i:i + cls.DECODE_LINES]
        return starts, chunk

    def decode_bounded(self):
        """[(name, ok, reasons)]: a slice of 3,000 recorded WARN reports
        gives decode_stacktrace.sh three reports' worth of lines, not 3,000."""
        with open(os.path.join(HERE, "fixtures", "splat-warn.log"), errors="replace") as f:
            report = [ln for ln in f.read().splitlines() if not ln.startswith("# ")]
        lines = report * 3000
        findings = classify.classify(lines)
        t0 = time.monotonic()
        starts, chunk = self.decode_chunk(lines, findings)
        secs = time.monotonic() - t0
        ok = len(starts) == self.DECODE_REPORTS and len(chunk) <= self.DECODE_REPORTS * self.DECODE_LINES
        return [("harness/decode-is-bounded", ok,
                 [f"{len(findings)} findings in {len(lines)} lines: {len(starts)} reports, {len(chunk)} lines "
                  f"to decode, chosen in {secs:.2f} s"])]

    def decode(self, lines, findings, out, k):
        """Run the tree's scripts/decode_stacktrace.sh over the first few
        reports of a slice; list the decoded frames in rdcache's own modules."""
        tool = os.path.join(self.args.ksrc, "scripts/decode_stacktrace.sh")
        vmlinux = os.path.join(self.args.kdir, "vmlinux")
        if not (os.path.exists(tool) and os.path.exists(vmlinux)):
            return
        starts, chunk = self.decode_chunk(lines, findings)
        env = dict(os.environ, LLVM=os.environ.get("LLVM_SUFFIX", "-19"))
        proc = subprocess.Popen(["bash", tool, vmlinux, self.args.ksrc, TOP], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        try:
            stdout, stderr = proc.communicate("\n".join(chunk) + "\n", timeout=self.DECODE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the tools it started too
            proc.communicate()
            k.diag(f"  decode_stacktrace.sh gave up after {self.DECODE_SECONDS} s")
            return
        with open(out, "w") as f:
            f.write(stdout + stderr)
        ours = []
        for line in stdout.splitlines():
            t = classify.strip_timestamp(line).strip()
            if re.search(r"\[rdcache\w*\]", t) and re.search(r"\w+\.(c|rs|h):\d+", t):
                ours.append(t)
        if len(starts) == self.DECODE_REPORTS and len(findings) > sum(
                1 for kind, line in findings if line in {classify.strip_timestamp(ln) for ln in chunk}):
            k.diag(f"  decoded the first {len(starts)} report(s) only; the whole slice is in {out[:-8]}.dmesg")
        for line in ours[:6]:
            k.diag(f"  decoded: {line}")

    def kunit_parse(self, path):
        """(ok, summary) of the tree's kunit.py reading one test's KTAP: ok
        if it parsed with no failed, crashed or malformed test (its exit
        status is also 1 for a test that only skips, so it is not used)."""
        tool = os.path.join(self.args.ksrc, "tools/testing/kunit/kunit.py")
        try:
            proc = subprocess.run([sys.executable, tool, "parse", "--summary", os.path.abspath(path)],
                                  capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            return False, "kunit.py parse took more than 120 s"
        out = (proc.stdout + proc.stderr).strip().splitlines()
        summary = next((ln for ln in out if "Testing complete" in ln), None)
        if summary is None:
            return False, out[-1] if out else "no output"
        summary = re.sub(r"^\[[0-9:]+\] ", "", summary)
        bad = {k: int(v) for k, v in re.findall(r"(failed|crashed|errors): (\d+)", summary) if int(v)}
        return not bad, summary

    def _verdict(self, qemu, boot, t, rc, taint, reason, elapsed, nested, k):
        """Judge one test.  `reason` is (kind, text) when the VM failed it."""
        console = qemu.console_lines()
        run, fin = marker_lines(console, t.spec)
        begin, end = marker_span(console, t.spec)
        sl = [] if begin is None else console[begin:None if end is None else end + 1]
        with open(os.path.join(qemu.outdir, safe(t.name) + ".dmesg"), "w") as f:
            f.write("\n".join(sl) + "\n")
        ktap_file = os.path.join(qemu.outdir, safe(t.name) + ".ktap")
        with open(ktap_file, "w") as f:
            f.write("\n".join(nested) + "\n")

        # Every problem is (kind, text); the kinds are the classifier's plus
        # the runner's own: timeout, guest-hang, vm-down, exit, taint, ktap.
        problems = []
        if reason:
            problems.append(reason)
        # Without its markers a test's kernel log cannot be judged: that alone fails it.
        if not run:
            problems.append(("marker", f"no '{running_marker(t.spec)}' line in the kernel log: "
                                       "its log slice could not be judged"))
        elif len(run) > 1:
            problems.append(("marker", f"'{running_marker(t.spec)}' appears {len(run)} times"))
        if rc is not None and not fin:
            problems.append(("marker", f"no '{finished_marker(t.spec)}N' line in the kernel log"))
        elif len(fin) > 1:
            problems.append(("marker", f"'{finished_marker(t.spec)}N' appears {len(fin)} times"))
        # Only 0 passes and 4 skips: busybox sh exits 2 on a syntax or
        # arithmetic error, which is no kselftest "xfail".
        if rc == 137:
            problems.append(("timeout", f"killed after its {t.guest_timeout()} s 'settings' timeout"))
        elif rc is not None and rc not in (0, 4):
            problems.append(("exit", f"test exited {rc}" + (" (sh: syntax or arithmetic error?)" if rc == 2 else "")))
        # A test that says it passed must have printed exactly its plan's results.
        if rc in (0, 4) and (plan_problem := ktap_plan_problem(nested)):
            problems.append(("exit", plan_problem))
        findings = self.own_findings(sl, t.name, k)
        if findings:
            where = ""
            first = next(i for i, ln in enumerate(sl) if classify.classify_line(ln))
            cycle = next((m.group(1) for ln in reversed(sl[:first])
                          if (m := re.search(r"rdcache-stress: cycle (\d+)", ln))), None)
            if cycle:
                where = f" (first in stress cycle {cycle})"
            problems += [(kind, "kernel log: " + classify.summary(findings) + where) for kind in
                         dict.fromkeys(kind for kind, _ in findings)][:1]
            for _, line in findings[:8]:
                k.diag(f"  {line}")
        bad_taint = classify.new_bad_taint(*taint)
        if bad_taint:
            problems.append(("taint", "kernel tainted during the test: " + ", ".join(bad_taint)))
        kinds = [p[0] for p in problems] + [kind for kind, _ in findings]
        if rc == 0 and not t.expect:
            parsed, summary = self.kunit_parse(ktap_file)
            if not parsed:
                problems.append(("ktap", f"kunit.py parse: {summary}"))
        if t.name in ("bench/tiny", "bench/icount-tiny") and rc is not None:
            # The host half of the benchmarks must not rot either.
            meta = {"date": "-", "machine": bench_report.machine(), "wall": {}, "icount": {},
                    "kernel_config": "-", "devloop": {}}
            try:
                if t.name == "bench/tiny":
                    bench_report.table(bench_report.figures(bench_report.parse(nested)[1]), meta)
                else:
                    ifig = bench_report.figures(bench_report.parse(nested, "BENCH-ICOUNT")[1],
                                                bench_report.ICOUNT_KINDS)
                    bench_report.icount_table(ifig, meta)
                    for what, n, v, _, _ in bench_report.goal_rows(ifig):
                        k.diag(f"icount-tiny: {what}, N={n}: {v:.3f}")
            except (KeyError, ValueError, TypeError, ZeroDivisionError) as e:
                problems.append(("ktap", f"bench_report cannot read the measurements: {e!r}"))
        if findings:
            self.decode(sl, findings, os.path.join(qemu.outdir, safe(t.name) + ".decoded"), k)
        k.diag(f"{t.name}: {elapsed:.1f} s")
        self.seen[t.name] = {"kinds": kinds, "findings": findings, "nested": nested}
        texts = [text for _, text in problems]
        if t.expect or t.allow:
            k.diag(f"harness self-test: underlying verdict: {'not ok' if problems else 'ok'}"
                   + (f" ({'; '.join(texts)})" if texts else ""))
            # The self-test's own assertions must hold too: only the expected
            # kind of failure may be there, not a test that failed by itself.
            # Anything the runner itself found that the self-test did not
            # ask for (its script failing, a hang, the VM dying, a marker
            # missing) fails it: a panic implies the VM going down.
            expect = t.expect or ()
            allowed = set(expect) | set(t.allow) | ({"vm-down"} if "panic" in expect else set())
            own = [text for kind, text in problems
                   if kind in ("exit", "timeout", "guest-hang", "vm-down", "marker", "ktap") and kind not in allowed]
            missing = [e for e in expect if e not in kinds]
            k.diag(f"harness self-test: expected {', '.join(expect) or 'nothing'}"
                   + (f" (allowed: {', '.join(t.allow)})" if t.allow else "") + "; "
                   f"seen {', '.join(dict.fromkeys(kinds)) or 'nothing'}")
            own += exact_problems(t, problems, findings, allowed)
            ok = not missing and not own
            self.seen[t.name]["ok"] = ok
            k.result(t.name, ok, reasons=own + [f"the runner did not report '{e}'" for e in missing])
            return
        if rc == 4 and not problems:
            self.seen[t.name]["skipped"] = "the test skipped itself"
            k.result(t.name, True, directive="SKIP", reasons=["SKIP: the test skipped itself (its KTAP above says why)"])
            return
        self.seen[t.name]["ok"] = not problems
        k.result(t.name, not problems, reasons=texts)

    # ---- host-side tests --------------------------------------------------

    def fixture_tests(self):
        return sorted(glob.glob(os.path.join(HERE, "fixtures", "*.log")))

    def run_setup_order(self):
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

    def upstream_docs(self):
        """[(name, ok, reasons)] from `upstream.py --check-docs`: docs/upstream/
        is the series the sources make now, and checkpatch --strict is silent
        on it, each with the self-test that makes it fire.  (The builds and
        the built-in suite's boot are make upstream's, not make test's.)"""
        cache = os.environ.get("RDCACHE_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rdcache")
        cmd = ["python3", os.path.join(HERE, "upstream.py"), "--check-docs", "--ksrc", self.args.ksrc,
               "--kdir", self.args.kdir, "--cache", cache]
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

    def layout_lie(self):
        """[(name, ok, reasons)] from scripts/host/layout_lie_test.sh: a
        module build told that task_struct.pid sits 48 bytes early (what
        bindgen 0.73.2 did with CONFIG_SCHEDSTATS=n) must fail at build time,
        naming it (rust/dcache/layout.rs)."""
        script = os.path.join(HERE, "layout_lie_test.sh")
        name = "layout/wrong-task-struct-pid-offset-fails-the-build"
        try:
            proc = subprocess.run(["bash", script, self.args.kdir, self.args.kmake_args], capture_output=True,
                                  text=True, timeout=900, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return [(name, False, ["layout_lie_test.sh took more than 900 s"])]
        ok = proc.returncode == 0 and f"ok 1 {name}" in proc.stdout.splitlines()
        reasons = [ln[2:] for ln in proc.stdout.splitlines() if ln.startswith("# ")]
        return [(name, ok, [] if ok else reasons or [f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}"])]

    def bindgen_checks(self):
        """[(name, ok, reasons[, "SKIP"])]: the installed bindgen and the
        empty-aligned-struct bug (docs/reports/bindgen-empty-aligned.md),
        with the self-test that makes the check fire; see bindgen_checks()."""
        return bindgen_checks()

    def verdict_selftests(self):
        """[(name, ok, reasons)]: make run's verdict computed on made-up
        tables, one per way it must go (`make-run-verdict/<case>`)."""
        import contextlib
        import io

        n = self.RUN_CYCLES
        case_lines = [f"# case {c} cycles=5 events=7" for c in self.RUN_CASES]
        good_safe = {"ok": True, "findings": [], "nested": [
            f"# total superblocks={n} late_callbacks=0",
            f"# cycles={n} with_husks=40 bad=0 puts=100 batches=10 husks=200"] + case_lines}
        forced = {f"interleavings/{c}": {"ok": True, "findings": []} for c in self.RUN_CASES}
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
            stub = Runner.__new__(Runner)
            stub.seen = {self.RUN_SAFE: safe, **forced}
            if name == "forced-case-failed":
                stub.seen["interleavings/wait"] = {"ok": False, "findings": []}
            if name == "forced-case-not-run":
                del stub.seen["interleavings/steal"]
            if name == "forced-case-skipped":
                stub.seen["interleavings/ancestor"] = {"skipped": "the test skipped itself"}
            if neg is not None:
                stub.seen[self.RUN_NEG] = neg
            stub.ktap = Ktap(os.devnull)
            stub.ktap.failed = list(failed)
            stub.smp, stub.accel, stub.results = 2, "tcg", "-"
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                got = stub.print_verdict()
            line = next((ln for ln in out.getvalue().splitlines() if ln.startswith("rdcache verdict:")), "")
            ok = got == want and (text is None or text in line)
            res.append((f"make-run-verdict/{name}", ok, [] if ok else [f"wanted {want} ({text}); got: {line}"]))
        return res

    def classifier_coverage(self):
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

    def run_compile_fail(self):
        """The layer's misuses must not build; the intended pattern must."""
        for path in compile_fail.cases():
            name = "compile-fail/" + os.path.basename(path)[:-3]
            ok, detail = compile_fail.run_case(path, self.args.kdir, self.args.kmake_args)
            self.ktap.diag(f"{name}: {detail}")
            self.ktap.result(name, ok)

    def run_fixtures(self):
        """Recorded kernel logs fed to the classifier on the host.  A
        fixture's `# expect:` lines name every kind it must show (`clean`:
        none at all)."""
        for path in self.fixture_tests():
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
                self.ktap.result(name, False, reasons=[f"misread as {', '.join(wrong)}"])
            elif not expect:
                self.ktap.result(name, False, reasons=["fixture has no '# expect:' line"])
            elif expect == ["clean"]:
                self.ktap.result(name, not kinds, reasons=[f"false positive: {kinds}"] if kinds else [])
            else:
                missing = [e for e in expect if e not in kinds]
                self.ktap.result(name, not missing,
                                 reasons=[f"expected {', '.join(missing)}; got {', '.join(kinds) or 'nothing'}"]
                                 if missing else [])

    # ---- main -------------------------------------------------------------

    def run(self):
        boots = plan(self.args.plan)
        only = [b for b in os.environ.get("RDCACHE_ONLY", "").split(",") if b]
        if only:
            # Development: only these boots of the plan (make test RDCACHE_ONLY=faults,fuzz).
            unknown = set(only) - {b.name for b in boots}
            if unknown:
                raise SystemExit(f"run.py: RDCACHE_ONLY names no boot of plan {self.args.plan}: "
                                 f"{', '.join(sorted(unknown))} (have: {', '.join(b.name for b in boots)})")
            boots = [b for b in boots if b.name in only]
        host = self.args.plan in ("test", "host") and not only
        fixtures = self.fixture_tests() if (self.args.plan in ("harness", "classifier") and not only) or host else []
        cf = compile_fail.cases() if self.args.plan in ("test", "compile-fail") and not only else []
        # Host-side: set-up comes before every toolchain check (quick, so it
        # runs before the plan line is printed: its results are counted).
        setup_order = self.run_setup_order() if host else []
        if (self.args.plan == "run" and not only) or host:
            setup_order += self.verdict_selftests()
        if host:
            setup_order += self.decode_bounded()
            setup_order += self.upstream_docs()
            setup_order += exact_selftests()
            setup_order += genmut_selftests()
            setup_order += taint_selftests()
            setup_order += exit_status_selftests()
            setup_order += stress_threshold_results(self.args.kdir)
            setup_order += stress_judgement_selftests()
            setup_order += apifuzz_judge_selftests()
        if self.args.plan in ("test", "layout") and not only:
            setup_order += self.bindgen_checks()
            setup_order += self.layout_lie()
        coverage = self.classifier_coverage() if fixtures else []
        specs = [t.spec for b in boots for t in b.tests]
        for b in boots:
            dup = {t.spec for t in b.tests if [u.spec for u in b.tests].count(t.spec) > 1}
            if dup:
                # A test's log slice is found by its markers: one run per boot.
                raise SystemExit(f"run.py: boot {b.name} runs {', '.join(sorted(dup))} twice")
        del specs
        # The last result: the tree's kunit.py reads the whole run's KTAP.
        total = len(fixtures) + len(coverage) + len(setup_order) + len(cf) + sum(b.count() for b in boots) + 1
        self.ktap.header(total)
        self.total = total
        self.ktap.diag(f"rdcache {self.args.plan}: kernel {self.kernel}, results in {self.results}")
        if fixtures:
            self.run_fixtures()
        for name, ok, reasons, *skip in coverage + setup_order:
            self.ktap.result(name, ok, directive=skip[0] if skip else None, reasons=reasons)
        if cf:
            self.run_compile_fail()
        i = 0
        while i < len(boots):
            group = [boots[i]]
            while self.jobs > 1 and group[0].beside and i + len(group) < len(boots) \
                    and boots[i + len(group)].beside:
                group.append(boots[i + len(group)])
            i += len(group)
            if len(group) == 1:
                self.run_boot(group[0], self.ktap)
                continue
            self.ktap.diag(f"running {len(group)} boots, {self.jobs} at a time: "
                           + ", ".join(b.name for b in group))
            recs = [Recorder() for _ in group]
            with concurrent.futures.ThreadPoolExecutor(self.jobs) as pool:
                futs = [pool.submit(self.run_boot, b, r) for b, r in zip(group, recs)]
                for done, fut in enumerate(concurrent.futures.as_completed(futs), 1):
                    fut.result()
                    # Progress while the KTAP of these boots is held back.
                    print(f"rdcache: {done}/{len(group)} boots done", file=sys.stderr, flush=True)
                for rec in recs:
                    rec.replay(self.ktap)
        if self.args.plan == "record-fixtures":
            self.write_fixtures(boots)
        self.check_whole_ktap()
        self.ktap.finish()
        self.export_results()
        verdict = self.print_verdict() if self.args.plan == "run" else None
        return exit_status(self.args.plan, self.ktap.counts["fail"], verdict)

    def write_fixtures(self, boots):
        """make record-fixtures: each test's kernel-log slice becomes
        scripts/host/fixtures/rec-<trigger>.log, headed by the kinds it must
        show and where it came from."""
        when = time.strftime("%Y-%m-%d")
        for b in boots:
            for t in b.tests:
                trigger = t.name.split("/", 1)[1]
                src = os.path.join(self.results, b.name, safe(t.name) + ".dmesg")
                body = ""
                if os.path.exists(src):
                    with open(src, errors="replace") as f:
                        body = f.read()
                # Only a trigger that produced what it must (the self-test
                # passed) replaces a fixture.
                if not self.seen.get(t.name, {}).get("ok") or not body.strip():
                    self.ktap.diag(f"record: {t.name} did not pass: rec-{trigger}.log left as it was")
                    continue
                dest = os.path.join(HERE, "fixtures", f"rec-{trigger}.log")
                with open(dest, "w") as f:
                    f.write(f"# expect: {', '.join(t.expect)}\n")
                    f.write(f"# recorded: rdcache_splat.ko trigger={trigger}, the test's log slice, "
                            f"Linux 7.3.4 debug config, QEMU {self.accel} {self.smp} vCPUs, {when} "
                            f"(make record-fixtures)\n")
                    f.write(body)
                self.ktap.diag(f"record: wrote {os.path.relpath(dest, TOP)}")

    def kunit_py(self, ktap, *opts):
        """The tree's kunit.py parse over a KTAP file: (returncode, output)."""
        tool = os.path.join(self.args.ksrc, "tools/testing/kunit/kunit.py")
        proc = subprocess.run([sys.executable, tool, "parse", *opts, ktap], capture_output=True, text=True,
                              timeout=300)
        return proc.returncode, re.sub(r"(?m)^\[[0-9:]+\] ", "", proc.stdout + proc.stderr)

    def check_whole_ktap(self):
        """`ktap/kunit-parse`: the tree's kunit.py parses the whole run's KTAP
        as it stands before this result (the plan counted without it) and
        must find nothing malformed: no plan mismatch, no missing result, no
        crashed test, in any test at any level."""
        path = os.path.join(self.results, "ktap.log")
        with open(path) as f:
            lines = f.read().splitlines()
        # The top level only: each test's own KTAP (indented) was parsed on
        # its own when it ended, and a harness self-test's may be broken on
        # purpose (a panic mid-test, a result past the plan).
        # The plan is the one printed at the start, less this result: a run
        # that printed more or fewer results than it planned fails here.
        so_far = os.path.join(self.results, "kunit-parse-input.ktap")
        self.top_level_ktap(lines, so_far, plan=self.total - 1)
        try:
            _, out = self.kunit_py(so_far)
        except (OSError, subprocess.TimeoutExpired) as e:
            self.ktap.result("ktap/kunit-parse", False, reasons=[f"kunit.py parse did not run: {e!r}"])
            return
        with open(os.path.join(self.results, "kunit-parse.log"), "w") as f:
            f.write(out)
        errors = [ln for ln in out.splitlines() if "[ERROR]" in ln or "[CRASHED]" in ln]
        if self.ktap.n != self.total - 1:
            errors.append(f"the run planned {self.total} results and printed {self.ktap.n + 1}")
        summary = next((ln for ln in out.splitlines() if "Testing complete" in ln), None)
        if summary is None:
            errors.append("no 'Testing complete' line")
        else:
            got = {k: int(v) for k, v in re.findall(r"(passed|failed|skipped|crashed|errors): (\d+)", summary)}
            c = self.ktap.counts
            want = {"passed": c["pass"], "failed": c["fail"], "skipped": c["skip"]}
            if any(got.get(k, 0) != v for k, v in want.items()) or got.get("crashed") or got.get("errors"):
                errors.append(f"kunit.py counted {got}, the runner {want}")
        self.ktap.diag(f"kunit.py parse of the whole run: {summary or 'no summary'}")
        self.ktap.result("ktap/kunit-parse", not errors, reasons=errors[:10])

    @staticmethod
    def top_level_ktap(lines, path, plan=None):
        """Write the top level of the run's KTAP (each test's own, indented
        KTAP left out) to `path`, optionally with another plan line."""
        with open(path, "w") as f:
            plan_done = False
            for line in lines:
                if line.startswith("    "):
                    continue
                if plan is not None and not plan_done and re.match(r"1\.\.\d+$", line):
                    line, plan_done = f"1..{plan}", True
                f.write(line + "\n")

    def export_results(self):
        """results.json (the shape `kunit.py --json` writes: KernelCI's) and
        junit.xml, both written by the tree's kunit.py from the run's
        top-level KTAP: one entry per result of this run (a test's own
        KTAP, which a self-test may break on purpose, would shift them)."""
        jpath = os.path.join(self.results, "results.json")
        xpath = os.path.join(self.results, "junit.xml")
        with open(os.path.join(self.results, "ktap.log")) as f:
            lines = f.read().splitlines()
        top = os.path.join(self.results, "ktap-top-level.ktap")
        self.top_level_ktap(lines, top)
        try:
            _, out = self.kunit_py(top, "--json=" + jpath, "--junit=" + xpath)
            with open(jpath) as f:
                n = sum(1 for _ in json.load(f).get("test_cases", []))
        except (OSError, ValueError, subprocess.TimeoutExpired) as e:
            print(f"rdcache: kunit.py could not write {jpath} / {xpath}: {e!r}", file=sys.stderr)
            return
        if n != self.ktap.n:
            print(f"rdcache: warning: results.json holds {n} results, the run {self.ktap.n}", file=sys.stderr)
        print(f"rdcache: results: {self.results}/ktap.log, results.json, junit.xml", file=sys.stderr)

    # make run's demonstration: which tests make the two columns.
    RUN_SAFE = "stress/stress-2cpu"
    RUN_CYCLES = 30
    # The interleavings of the table's per-case rows, in the README's order.
    RUN_CASES = ("steal", "wait", "resurrection", "foreign-list", "ancestor", "last-pin")
    RUN_NEG = "harness/negative-control-1"
    # The detectors of the table's rows, by the classifier's kinds.
    RUN_DETECTORS = [
        ("BUG: Dentry ... still in use", ("dentry-busy",)),
        ("VFS: Busy inodes after unmount", ("busy-inodes",)),
        ("rdcache: INODE LEAK", ("inode-leak",)),
        ("KASAN / oops / GPF", ("kasan", "oops", "gpf")),
    ]

    def print_verdict(self):
        """make run: the safe run and the negative control side by side, and
        a verdict computed from the table: PASS only if the safe column shows
        the race happened and nothing was detected, and the negative control
        shows every detector at least once.  Returns PASS, FAIL or INCOMPLETE."""
        safe = self.seen.get(self.RUN_SAFE)
        neg = self.seen.get(self.RUN_NEG)
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
                if nums["cycles"] != self.RUN_CYCLES:
                    fail.append(f"the safe run ran {nums['cycles']} of {self.RUN_CYCLES} cycles")
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
        for c in self.RUN_CASES:
            forced = self.seen.get(f"interleavings/{c}")
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
        for label, kinds in self.RUN_DETECTORS:
            a, b = count(safe, kinds), count(neg, kinds)
            rows.append((label, a if ran_safe else "-", b if ran_neg else "-"))
            if ran_safe and a:
                fail.append(f"the safe run shows {label} {a} time(s)")
            if ran_neg and not b:
                fail.append(f"the negative control never showed {label}: that detector is blind")
        if self.ktap.failed:
            fail.append("failed: " + ", ".join(self.ktap.failed))
        w = max(len(r[0]) for r in rows)
        print()
        print(f"{'':{w}}  {'safe run (ShrinkList workers vs umount)':42}  negative control (ref held across ->kill_sb)")
        for name, a, b in rows:
            print(f"{name:{w}}  {str(a):42}  {b}")
        if fail:
            verdict = "FAIL"
            print(f"rdcache verdict: FAIL: {'; '.join(fail)} (details in {self.results})")
        elif incomplete:
            verdict = "INCOMPLETE"
            print(f"rdcache verdict: INCOMPLETE: {'; '.join(incomplete)}")
        else:
            verdict = "PASS"
            print(f"rdcache verdict: PASS: the {len(self.RUN_CASES)} interleavings forced, {nums['cycles']} racing cycles "
                  f"(umount stole from a worker's list in {nums['with_husks']}), nothing detected; "
                  f"the negative control caught by every detector; "
                  f"{self.smp}-vCPU guest ({self.accel})")
        return verdict


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kdir", required=True, help="built kernel tree")
    ap.add_argument("--ksrc", required=True, help="its source tree")
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--kmake-args", default="", help="LLVM=, RUSTC=, ... for builds against KDIR")
    ap.add_argument("--shell", action="store_true", help="interactive VM")
    ap.add_argument("plan", nargs="?", default="test")
    args = ap.parse_args()
    if args.shell:
        smp = int(os.environ.get("SMP") or os.cpu_count() or 2)
        accel = os.environ.get("RDCACHE_ACCEL", "tcg")
        out = os.path.join(TOP, "results", "shell")
        b = vm.Boot(os.path.join(args.kdir, "arch/x86/boot/bzImage"), args.initrd, out,
                    f"console=ttyS0 kmemleak=off rdcache_shell=1 rdcache_cpus={smp}", smp,
                    accel="kvm" if accel == "kvm" else "tcg", interactive=True)
        return b.interact()
    return Runner(args).run()


if __name__ == "__main__":
    sys.exit(main())
