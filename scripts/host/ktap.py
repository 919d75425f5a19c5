# SPDX-License-Identifier: GPL-2.0
"""The run's KTAP: the top-level stream every plan prints (one result per
guest test, per boot's outside-tests verdict and per host-side test), the
check that the tree's kunit.py parses it whole, and the machine-readable
results made from it (kunit.py's --json and --junit).

Boots that run side by side report into a Recorder, replayed into the Ktap
in plan order afterwards, so that the stream stays sequential.
"""

import json
import os
import re
import subprocess
import sys
import time


class Ktap:
    """Top-level KTAP writer; everything also goes to ktap.log."""

    def __init__(self, path):
        self.log = open(path, "w")
        self.n = 0
        self.counts = {"pass": 0, "fail": 0, "xfail": 0, "xpass": 0, "skip": 0, "error": 0}
        self.failed = []
        # Every result as given, for the reports made from the run (kcidb.py).
        self.records = []

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

    def result(self, name, ok, directive=None, reasons=(), duration=None, at=None):
        """One result: ok or not, or a SKIP; `reasons` become diagnostics
        above it; `duration` (s) and `at` (when it ended, time.time()) go
        into the records only."""
        self.n += 1
        self.records.append({"n": self.n, "name": name, "status": "SKIP" if directive == "SKIP" else
                             "PASS" if ok else "FAIL", "reasons": list(reasons), "duration": duration,
                             "at": at or time.time()})
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
        # When it ended, not when it is replayed.
        self.events.append(("result", args, {"at": time.time(), **kw}))

    def replay(self, ktap):
        for what, args, kw in self.events:
            getattr(ktap, what)(*args, **kw)


def kunit_py(ksrc, ktap, *opts):
    """The tree's kunit.py parse over a KTAP file: (returncode, output)."""
    tool = os.path.join(ksrc, "tools/testing/kunit/kunit.py")
    proc = subprocess.run([sys.executable, tool, "parse", *opts, ktap], capture_output=True, text=True,
                          timeout=300)
    return proc.returncode, re.sub(r"(?m)^\[[0-9:]+\] ", "", proc.stdout + proc.stderr)


def check_whole_ktap(k, results, total, ksrc):
    """`ktap/kunit-parse`: the tree's kunit.py parses the whole run's KTAP
    as it stands before this result (the plan counted without it) and
    must find nothing malformed: no plan mismatch, no missing result, no
    crashed test, in any test at any level."""
    path = os.path.join(results, "ktap.log")
    with open(path) as f:
        lines = f.read().splitlines()
    # The top level only: each test's own KTAP (indented) was parsed on
    # its own when it ended, and a harness self-test's may be broken on
    # purpose (a panic mid-test, a result past the plan).
    # The plan is the one printed at the start, less this result: a run
    # that printed more or fewer results than it planned fails here.
    so_far = os.path.join(results, "kunit-parse-input.ktap")
    top_level_ktap(lines, so_far, plan=total - 1)
    try:
        _, out = kunit_py(ksrc, so_far)
    except (OSError, subprocess.TimeoutExpired) as e:
        k.result("ktap/kunit-parse", False, reasons=[f"kunit.py parse did not run: {e!r}"])
        return
    with open(os.path.join(results, "kunit-parse.log"), "w") as f:
        f.write(out)
    errors = [ln for ln in out.splitlines() if "[ERROR]" in ln or "[CRASHED]" in ln]
    if k.n != total - 1:
        errors.append(f"the run planned {total} results and printed {k.n + 1}")
    summary = next((ln for ln in out.splitlines() if "Testing complete" in ln), None)
    if summary is None:
        errors.append("no 'Testing complete' line")
    else:
        got = {k: int(v) for k, v in re.findall(r"(passed|failed|skipped|crashed|errors): (\d+)", summary)}
        c = k.counts
        want = {"passed": c["pass"], "failed": c["fail"], "skipped": c["skip"]}
        if any(got.get(k, 0) != v for k, v in want.items()) or got.get("crashed") or got.get("errors"):
            errors.append(f"kunit.py counted {got}, the runner {want}")
    k.diag(f"kunit.py parse of the whole run: {summary or 'no summary'}")
    k.result("ktap/kunit-parse", not errors, reasons=errors[:10])


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


def export_results(k, results, ksrc):
    """results.json (the shape `kunit.py --json` writes: KernelCI's) and
    junit.xml, both written by the tree's kunit.py from the run's
    top-level KTAP: one entry per result of this run (a test's own
    KTAP, which a self-test may break on purpose, would shift them)."""
    jpath = os.path.join(results, "results.json")
    xpath = os.path.join(results, "junit.xml")
    with open(os.path.join(results, "ktap.log")) as f:
        lines = f.read().splitlines()
    top = os.path.join(results, "ktap-top-level.ktap")
    top_level_ktap(lines, top)
    try:
        _, out = kunit_py(ksrc, top, "--json=" + jpath, "--junit=" + xpath)
        with open(jpath) as f:
            n = sum(1 for _ in json.load(f).get("test_cases", []))
    except (OSError, ValueError, subprocess.TimeoutExpired) as e:
        print(f"rdcache: kunit.py could not write {jpath} / {xpath}: {e!r}", file=sys.stderr)
        return
    if n != k.n:
        print(f"rdcache: warning: results.json holds {n} results, the run {k.n}", file=sys.stderr)
    print(f"rdcache: results: {results}/ktap.log, results.json, junit.xml, kcidb.json", file=sys.stderr)
