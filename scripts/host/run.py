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
rdcachefs, stress, negctl, compile-fail, harness, hostile, bench, kcsan.

Environment: SMP (vCPUs, default: host cores), RDCACHE_ACCEL (tcg|kvm|auto),
RDCACHE_BOOT_TIMEOUT (s, default 180), RDCACHE_JOBS (boots side by side,
default 2), RDCACHE_RESULTS (results directory), CYCLES / DURATION (stress),
RDCACHE_ONLY (comma-separated boot names: run only those boots of the plan).
"""

import argparse
import concurrent.futures
import glob
import os
import re
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
    "warn": "warning",
    "lockdep": "lockdep",
    "kasan": "kasan",
    "sleep": "sleep-in-atomic",
    "hung": "hung-task",
    "panic": "panic",
}


class Test:
    """A guest test: `spec` is 'suite/script.sh[:arg]' as /init takes it."""

    def __init__(self, spec, expect=None, name=None, timeout=None):
        if timeout:
            script, colon, arg = spec.partition(":")
            spec = f"{script}@{timeout}{colon}{arg}"
        self.timeout = timeout
        self.spec = spec
        # A harness self-test: passes only if the runner reports this kind
        # (or every kind of a tuple).
        self.expect = (expect,) if isinstance(expect, str) else expect
        script, _, arg = spec.partition(":")
        script = script.split("@")[0]
        base = script[:-3] if script.endswith(".sh") else script
        self.name = name or (base + (":" + arg if arg else ""))
        self.suite = script.split("/")[0]

    def guest_timeout(self):
        if self.timeout:
            return self.timeout
        settings = os.path.join(TOP, "scripts", "selftests", self.suite, "settings")
        try:
            with open(settings) as f:
                for line in f:
                    if line.startswith("timeout="):
                        return int(line.split("=", 1)[1])
        except OSError:
            pass
        return 45


class Boot:
    def __init__(self, name, tests, cmdline="", boot_timeout=None, expect_noboot=False, beside=False,
                 mem="2G"):
        self.name = name
        self.mem = mem
        # May run beside other such boots (nothing in it is timing-sensitive).
        self.beside = beside
        self.tests = tests
        self.cmdline = cmdline
        self.boot_timeout = boot_timeout
        self.expect_noboot = expect_noboot

    def count(self):
        return 1 if self.expect_noboot else len(self.tests)


def stress_boot():
    """make stress: CYCLES=N (default 1000) or DURATION=SECONDS."""
    duration = int(os.environ.get("DURATION") or 0)
    cycles = int(os.environ.get("CYCLES") or 1000)
    if duration:
        return Boot("stress", [Test(f"stress/stress.sh:0+{duration}", timeout=duration + 300)])
    return Boot("stress", [Test(f"stress/stress.sh:{cycles}", timeout=cycles + 300)])


def bench_boot():
    """make bench: BENCH_SIZES=10000,30000 overrides the umount sizes."""
    sizes = os.environ.get("BENCH_SIZES", "").replace(",", "+")
    arg = "full" + (f"+{sizes}" if sizes else "")
    return Boot("bench", [Test(f"bench/bench.sh:{arg}", name="bench/full")], mem="6G")


def plan(name):
    smoke = [Boot("main", [Test("smoke/smoke.sh")])]
    rdcachefs = [Test("rdcachefs/walk.sh"), Test("rdcachefs/options.sh"), Test("rdcachefs/lifecycle.sh"),
                 Test("rdcachefs/late-callback.sh", expect="late-callback",
                      name="rdcachefs/detects-late-callback"),
                 Test("rdcachefs/inode-leak.sh", expect="inode-leak", name="rdcachefs/detects-inode-leak")]
    main = [Boot("main", [Test("smoke/smoke.sh"), Test("kunit/kunit.sh")] + rdcachefs
                 + [Test("bench/bench.sh:tiny", name="bench/tiny")])]
    stress = [Boot("stress", [Test("stress/stress.sh:100")])]
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
                               for k in ("lockdep", "warn", "sleep", "kasan", "hung")], beside=True),
               Boot("splat-panic", [Test("harness/splat.sh:panic", expect="panic", name="harness/detects-panic")],
                    beside=True)]
    leak = Test("harness/splat.sh:leak", expect="kmemleak", name="harness/detects-leak")
    harness.append(Boot("hang", [
        Test("harness-timeout/overrun.sh", expect="timeout", name="harness/detects-timeout"),
        Test("harness-timeout/wedge.sh", expect="guest-hang", name="harness/detects-guest-hang"),
    ], beside=True))
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
        Boot("fuzz", [Test("hostile/fuzz.sh"), Test("hostile/privilege.sh")], cmdline="kunit.enable=0",
             beside=True),
    ]
    # make test-kcsan, on the KCSAN kernel: the stress, and KCSAN seen to fire.
    kcsan = [Boot("kcsan", [Test("smoke/smoke.sh"), Test("stress/stress.sh:100")]),
             Boot("splat-race", [Test("harness/splat.sh:race", expect="kcsan", name="harness/detects-race")])]
    hostile_full = [
        Boot("faults", [Test("hostile/faults.sh:full", timeout=3000)], cmdline="kmemleak=on kunit.enable=0",
             beside=True),
        Boot("cycles", [Test("hostile/cycles.sh:100", timeout=1200)], cmdline="kmemleak=on kunit.enable=0",
             beside=True),
        Boot("fuzz", [Test("hostile/fuzz.sh:50000", timeout=1800), Test("hostile/privilege.sh")],
             cmdline="kunit.enable=0", beside=True),
    ]
    plans = {
        "smoke": smoke,
        "run": [Boot("main", [Test("smoke/smoke.sh"), Test("stress/stress.sh:50")]), negctl[0]],
        "harness": harness + [Boot("splat-leak", [leak], cmdline="kmemleak=on", beside=True)],
        "kunit": [Boot("main", [Test("kunit/kunit.sh")])],
        "rdcachefs": [Boot("main", rdcachefs)],
        "stress": [stress_boot()],
        "compile-fail": [],
        # make test stays under 10 minutes warm: the main boot runs beside
        # the others, and two negative-control boots (make negctl: five).
        "test": stress + [Boot("main", main[0].tests, beside=True)] + hostile + negctl[:2] + harness,
        "hostile": hostile_full,
        "kcsan": kcsan,
        "negctl": negctl,
        "bench": [bench_boot()],
    }
    if name not in plans:
        raise SystemExit(f"run.py: unknown plan '{name}' (have: {', '.join(plans)})")
    return plans[name]


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

    def diag(self, msg):
        for line in str(msg).splitlines() or [""]:
            self.out(f"# {line}")

    def nested(self, line):
        self.out("    " + line)

    def result(self, name, ok, directive=None, reasons=()):
        self.n += 1
        for r in reasons:
            self.diag(f"{name}: {r}")
        if directive == "SKIP":
            self.counts["skip"] += 1
            self.out(f"ok {self.n} {name} # SKIP")
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


def slice_between(console, begin, end):
    """Console lines from the line containing `begin` to the one containing
    `end` (or the end of the log).  None if `begin` never appears."""
    start = None
    for i, line in enumerate(console):
        # The whole marker, so that "...stress.sh:20" does not match "...:200".
        if start is None and line.rstrip().endswith(begin):
            start = i
        elif start is not None and end in line:
            return console[start:i + 1]
    return None if start is None else console[start:]


class Runner:
    def __init__(self, args):
        self.args = args
        self.kernel = os.path.join(args.kdir, "arch/x86/boot/bzImage")
        self.smp = int(os.environ.get("SMP") or os.cpu_count() or 2)
        self.boot_timeout = float(os.environ.get("RDCACHE_BOOT_TIMEOUT") or 180)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.results = os.environ.get("RDCACHE_RESULTS") or os.path.join(TOP, "results", f"{stamp}-{args.plan}")
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
        self.accel = self.pick_accel()

    def cmdline(self, boot, tests):
        parts = ["console=ttyS0", "ignore_loglevel", "panic=-1", "kunit.enable=1", "kunit.autorun=1",
                 f"rdcache_cpus={self.smp}", "rdcache_tests=" + ",".join(t.spec for t in tests)]
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
        bdir = os.path.join(self.results, boot.name)
        qemu = vm.Boot(self.kernel, self.args.initrd, bdir, self.cmdline(boot, boot.tests), self.smp,
                       mem=boot.mem, accel=self.accel)
        k.diag(f"boot {boot.name}: {self.accel}, {self.smp} vCPUs, {len(boot.tests)} test(s); logs in {bdir}")
        qemu.start()
        try:
            self._follow(boot, qemu, k)
        finally:
            qemu.close()

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
                return
            for i, t in enumerate(boot.tests):
                k.result(t.name, False, reasons=reasons if i == 0 else ["not run: the VM never booted"])
            return
        if boot.expect_noboot:
            k.result("harness/detects-noboot", False, reasons=["the guest booted, so nothing was proven"])
            return

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
                break
        if not vm_gone:
            done_line = self._wait_for(qemu, lambda ln: ln.startswith("# rdcache-done"), 60, k)
            status = qemu.wait_exit(30)
            if done_line in (None, vm.EOF) or status not in (1, 3):
                vm_gone = f"the guest did not finish cleanly (QEMU status {status})"
                k.diag(f"boot {boot.name}: {vm_gone}")
                if not pending:
                    # Nothing left to blame but the boot itself: fail loudly.
                    k.result(f"{boot.name}/shutdown", False, reasons=[vm_gone])
        for t in pending:
            k.result(t.name, False, reasons=[f"not run: {vm_gone}"])

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

    def decode(self, lines, out):
        """Run the tree's scripts/decode_stacktrace.sh over a slice; return the
        decoded frames that are in rdcache's own modules."""
        tool = os.path.join(self.args.ksrc, "scripts/decode_stacktrace.sh")
        vmlinux = os.path.join(self.args.kdir, "vmlinux")
        if not (os.path.exists(tool) and os.path.exists(vmlinux)):
            return []
        env = dict(os.environ, LLVM=os.environ.get("LLVM_SUFFIX", "-19"))
        try:
            proc = subprocess.run(["bash", tool, vmlinux, self.args.ksrc, TOP], input="\n".join(lines) + "\n",
                                  capture_output=True, text=True, timeout=300, env=env)
        except subprocess.TimeoutExpired:
            return []
        with open(out, "w") as f:
            f.write(proc.stdout + proc.stderr)
        ours = []
        for line in proc.stdout.splitlines():
            text = classify.strip_timestamp(line).strip()
            if re.search(r"\[rdcache\w*\]", text) and re.search(r"\w+\.(c|rs|h):\d+", text):
                ours.append(text)
        return ours

    def kunit_parse(self, path):
        """(ok, summary) of the tree's kunit.py reading one test's KTAP."""
        tool = os.path.join(self.args.ksrc, "tools/testing/kunit/kunit.py")
        proc = subprocess.run([sys.executable, tool, "parse", "--summary", os.path.abspath(path)],
                              capture_output=True, text=True, timeout=120)
        out = (proc.stdout + proc.stderr).strip().splitlines()
        summary = next((ln for ln in out if "Testing complete" in ln), out[-1] if out else "no output")
        summary = re.sub(r"^\[[0-9:]+\] ", "", summary)
        return proc.returncode == 0, summary

    def _verdict(self, qemu, boot, t, rc, taint, reason, elapsed, nested, k):
        """Judge one test.  `reason` is (kind, text) when the VM failed it."""
        console = qemu.console_lines()
        sl = slice_between(console, f"kselftest: Running tests in {t.spec}",
                           f"kselftest: Finished tests in {t.spec} ") or []
        # Whatever the kernel said before the first test belongs to the first.
        if t is boot.tests[0]:
            first = next((i for i, ln in enumerate(console) if "kselftest: Running tests in" in ln), len(console))
            sl = console[:first] + sl
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
        if rc == 137:
            problems.append(("timeout", f"killed after its {t.guest_timeout()} s 'settings' timeout"))
        elif rc is not None and rc not in (0, 2, 4):
            problems.append(("exit", f"test exited {rc}"))
        findings = classify.classify(sl)
        # KCSAN reports whose racing accesses are not in rdcache's code are
        # listed, not failed (make test-kcsan: "0 reports in rdcache's code").
        foreign = set()
        for text, ours, via in classify.kcsan_reports(sl):
            if not ours:
                foreign.add(text)
                k.diag(f"{t.name}: KCSAN report outside rdcache's code (listed, not counted"
                       + ("; rdcache is in a call chain" if via else "") + f"): {text}")
        findings = [(kind, text) for kind, text in findings if not (kind == "kcsan" and text in foreign)]
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
        kinds = [p[0] for p in problems] + [kind for kind, _ in findings]
        bad_taint = classify.new_bad_taint(*taint)
        if bad_taint:
            problems.append(("taint", "kernel tainted during the test: " + ", ".join(bad_taint)))
        if rc is not None and not t.expect:
            parsed, summary = self.kunit_parse(ktap_file)
            if not parsed:
                problems.append(("ktap", f"kunit.py parse: {summary}"))
        if t.name == "bench/tiny" and rc is not None:
            # The host half of the benchmarks must not rot either.
            try:
                fig = bench_report.figures(bench_report.parse(nested)[1])
                bench_report.table(fig, {"date": "-", "machine": bench_report.machine(), "guest": {},
                                         "kernel_config": "-", "devloop": {}})
            except (KeyError, ValueError, TypeError, ZeroDivisionError) as e:
                problems.append(("ktap", f"bench_report cannot read the measurements: {e!r}"))
        if findings:
            decoded = self.decode(sl, os.path.join(qemu.outdir, safe(t.name) + ".decoded"))
            for line in decoded[:6]:
                k.diag(f"  decoded: {line}")
        k.diag(f"{t.name}: {elapsed:.1f} s")
        self.seen[t.name] = {"kinds": kinds, "findings": findings, "nested": nested}
        texts = [text for _, text in problems]
        if t.expect:
            k.diag(f"harness self-test: underlying verdict: {'not ok' if problems else 'ok'}"
                   + (f" ({'; '.join(texts)})" if texts else ""))
            # The self-test's own assertions must hold too: only the expected
            # kind of failure may be there, not a test that failed by itself.
            own = [text for kind, text in problems if kind == "exit"]
            missing = [e for e in t.expect if e not in kinds]
            k.diag(f"harness self-test: expected {', '.join(t.expect)}; "
                   f"seen {', '.join(dict.fromkeys(kinds)) or 'nothing'}")
            ok = not missing and not own
            k.result(t.name, ok, reasons=own + [f"the runner did not report '{e}'" for e in missing])
            return
        if rc == 4 and not problems:
            k.result(t.name, True, directive="SKIP")
            return
        k.result(t.name, not problems, reasons=texts)

    # ---- host-side tests --------------------------------------------------

    def fixture_tests(self):
        return sorted(glob.glob(os.path.join(HERE, "fixtures", "*.log")))

    def run_compile_fail(self):
        """The layer's misuses must not build; the intended pattern must."""
        for path in compile_fail.cases():
            name = "compile-fail/" + os.path.basename(path)[:-3]
            ok, detail = compile_fail.run_case(path, self.args.kdir, self.args.kmake_args)
            self.ktap.diag(f"{name}: {detail}")
            self.ktap.result(name, ok)

    def run_fixtures(self):
        """Recorded kernel logs fed to the classifier on the host."""
        for path in self.fixture_tests():
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()
            expect = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("# expect:")), None)
            body = [ln for ln in lines if not ln.startswith("# expect:")]
            kinds = sorted({kind for kind, _ in classify.classify(body)})
            name = "classifier/" + os.path.basename(path)[:-4]
            if expect is None:
                self.ktap.result(name, False, reasons=["fixture has no '# expect:' line"])
            elif expect == "clean":
                self.ktap.result(name, not kinds, reasons=[f"false positive: {kinds}"] if kinds else [])
            else:
                ok = expect in kinds
                self.ktap.result(name, ok, reasons=[] if ok else [f"expected '{expect}', got {kinds or 'nothing'}"])

    # ---- main -------------------------------------------------------------

    def run(self):
        boots = plan(self.args.plan)
        only = [b for b in os.environ.get("RDCACHE_ONLY", "").split(",") if b]
        if only:
            # Development: only these boots of the plan (make test RDCACHE_ONLY=faults,fuzz).
            boots = [b for b in boots if b.name in only]
        fixtures = self.fixture_tests() if self.args.plan in ("test", "harness") and not only else []
        cf = compile_fail.cases() if self.args.plan in ("test", "compile-fail") and not only else []
        total = len(fixtures) + len(cf) + sum(b.count() for b in boots)
        self.ktap.header(total)
        self.ktap.diag(f"rdcache {self.args.plan}: kernel {self.kernel}, results in {self.results}")
        if fixtures:
            self.run_fixtures()
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
        self.ktap.finish()
        if self.args.plan == "run":
            self.print_verdict()
        return 0 if not self.ktap.counts["fail"] else 1

    def print_verdict(self):
        """make run: the safe run and the negative control side by side."""
        safe = self.seen.get("stress/stress:50", {})
        neg = self.seen.get("harness/negative-control-1", {})
        text = "\n".join(safe.get("nested", []))
        m = re.search(r"cycles=(\d+) with_husks=(\d+) bad=(\d+) puts=(\d+) batches=(\d+) husks=(\d+)", text)
        late = re.search(r"^# total .* late_callbacks=(\d+)", text, re.M)
        nums = m.groups() if m else ("?",) * 6

        def count(d, kind):
            return sum(1 for k, _ in d.get("findings", []) if k == kind)

        rows = [
            ("runs", f"{nums[0]} mount/umount cycles", "1 boot"),
            ("dentry references put into shrink lists", nums[3], "-"),
            ("cycles where umount left husks on a worker's list", f"{nums[1]} ({nums[5]} husks)", "-"),
            ("late callbacks (rdcache counter)", late.group(1) if late else "?",
             str(count(neg, "late-callback"))),
            ("BUG: Dentry ... still in use", count(safe, "dentry-busy"), count(neg, "dentry-busy")),
            ("VFS: Busy inodes after unmount", count(safe, "busy-inodes"), count(neg, "busy-inodes")),
            ("rdcache: INODE LEAK", count(safe, "inode-leak"), count(neg, "inode-leak")),
            ("KASAN / oops / GPF", sum(count(safe, k) for k in ("kasan", "oops", "gpf")),
             sum(count(neg, k) for k in ("kasan", "oops", "gpf"))),
        ]
        w = max(len(r[0]) for r in rows)
        print()
        print(f"{'':{w}}  {'safe run (ShrinkList workers vs umount)':42}  negative control (ref held across ->kill_sb)")
        for name, a, b in rows:
            print(f"{name:{w}}  {str(a):42}  {b}")
        c = self.ktap.counts
        if c["fail"]:
            print(f"rdcache verdict: FAIL: {', '.join(self.ktap.failed)} (details above and in {self.results})")
        else:
            print(f"rdcache verdict: PASS: {nums[0]} racing cycles with nothing detected, and the negative "
                  f"control caught by every detector, on a {self.smp}-vCPU guest ({self.accel})")


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
