# SPDX-License-Identifier: GPL-2.0
"""The judge: what a guest test's results, exit status, taint and kernel-log
slice say, and what the lines outside every test's slice say.

A test passes only if it exited 0 (4: it skipped itself) after printing
exactly its plan's KTAP results, its Running and Finished markers are in the
kernel log once each, the classifier (classify.py) finds nothing in its
slice, it gained no bad taint (B, D, W, L), and the tree's kunit.py parses
its KTAP.  A harness self-test (Test.expect) passes only if the judge
reports each expected kind, and, for an exact one, nothing else.  The first
reports of a failed slice go through the tree's decode_stacktrace.sh.
"""

import os
import re
import signal
import subprocess
import sys

import bench_report
import classify

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

RUNNER_KINDS = ("exit", "timeout", "guest-hang", "vm-down", "marker", "ktap")


def exact_problems(t, problems, findings, allowed):
    """For a Test(exact=True): every kind seen that is not expected, and
    every WARNING not raised in one of t.warn_at (whose W taint is then
    expected too, as it is with an expected sleep-in-atomic report, which
    sets it: __might_resched()).  [] for any other test."""
    if not t.exact:
        return []
    out = []
    for kind, text in problems:
        # The classifier's findings are judged one by one below; the
        # problem that sums them up ("kernel log: ...") is not.
        if kind in allowed or kind in RUNNER_KINDS or text.startswith("kernel log: "):
            continue
        if kind == "taint" and (t.warn_at or "sleep-in-atomic" in allowed) and re.fullmatch(r"kernel tainted during the test: W \([^)]*\)", text):
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


class Judge:
    """Judges the tests and boots of one run against the kernel tree
    `kdir` (built from `ksrc`), noting in `seen` what it saw of each test
    (make run's verdict reads it)."""

    def __init__(self, kdir, ksrc, seen):
        self.kdir = kdir
        self.ksrc = ksrc
        self.seen = seen

    def outside(self, boot, qemu, gone, k):
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
            if not boot.outside_expect:
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

    # A frame decode_stacktrace.sh resolved in one of rdcache's modules:
    # "func (path/file.c:NN) rdcache_splat" (the raw log has no such line).
    DECODED_OURS = re.compile(r"\(([^()\s]+\.(c|rs|h)):\d+\)\s+rdcache\w*$")

    def decode(self, lines, findings, out, k):
        """Run the tree's scripts/decode_stacktrace.sh over the first few
        reports of a slice; list the decoded frames in rdcache's own modules
        and return them (None if the tool or vmlinux is missing, or it gave
        up).  Only a failed test's slice is decoded, and the one self-test
        that checks the decoding (Test.decode): decoding a splat a self-test
        asked for proves nothing and cost make test minutes."""
        tool = os.path.join(self.ksrc, "scripts/decode_stacktrace.sh")
        vmlinux = os.path.join(self.kdir, "vmlinux")
        if not (os.path.exists(tool) and os.path.exists(vmlinux)):
            return None
        starts, chunk = self.decode_chunk(lines, findings)
        env = dict(os.environ, LLVM=os.environ.get("LLVM_SUFFIX", "-19"))
        proc = subprocess.Popen(["bash", tool, vmlinux, self.ksrc, TOP], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        try:
            stdout, stderr = proc.communicate("\n".join(chunk) + "\n", timeout=self.DECODE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the tools it started too
            proc.communicate()
            k.diag(f"  decode_stacktrace.sh gave up after {self.DECODE_SECONDS} s")
            return None
        with open(out, "w") as f:
            f.write(stdout + stderr)
        ours = []
        for line in stdout.splitlines():
            t = classify.strip_timestamp(line).strip()
            if self.DECODED_OURS.search(t):
                ours.append(t)
        if len(starts) == self.DECODE_REPORTS and len(findings) > sum(
                1 for kind, line in findings if line in {classify.strip_timestamp(ln) for ln in chunk}):
            k.diag(f"  decoded the first {len(starts)} report(s) only; the whole slice is in {out[:-8]}.dmesg")
        for line in ours[:6]:
            k.diag(f"  decoded: {line}")
        return ours

    def kunit_parse(self, path):
        """(ok, summary) of the tree's kunit.py reading one test's KTAP: ok
        if it parsed with no failed, crashed or malformed test (its exit
        status is also 1 for a test that only skips, so it is not used)."""
        tool = os.path.join(self.ksrc, "tools/testing/kunit/kunit.py")
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

    def test(self, qemu, boot, t, rc, taint, reason, elapsed, nested, k):
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
        decoded = os.path.join(qemu.outdir, safe(t.name) + ".decoded")
        if findings and not (t.expect or t.allow):
            self.decode(sl, findings, decoded, k)
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
            if "guest-hang" in expect:
                # The wedge halts every vCPU: the hang report must say where
                # each was (the QEMU monitor's registers, vmrun.where_vcpus()).
                hang = next((text for kind, text in problems if kind == "guest-hang"), "")
                said = re.findall(r"vCPU \d+ at [^;]*", hang)
                if not said or not all(w.endswith("(halted)") for w in said):
                    own.append(f"the hang report does not say each vCPU sat halted: {hang!r}")
            if findings and (own or missing or t.decode):
                ours = self.decode(sl, findings, decoded, k)
                if t.decode and not ours:
                    own.append("decode_stacktrace.sh resolved no frame in rdcache's modules "
                               f"(func (file:line) module): see {decoded}")
            ok = not missing and not own
            self.seen[t.name]["ok"] = ok
            k.result(t.name, ok, reasons=own + [f"the runner did not report '{e}'" for e in missing],
                     duration=elapsed)
            return
        if rc == 4 and not problems:
            self.seen[t.name]["skipped"] = "the test skipped itself"
            k.result(t.name, True, directive="SKIP",
                     reasons=["SKIP: the test skipped itself (its KTAP above says why)"], duration=elapsed)
            return
        self.seen[t.name]["ok"] = not problems
        k.result(t.name, not problems, reasons=texts, duration=elapsed)

    # ---- host-side tests --------------------------------------------------
