#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make mutants: the suite proves itself by catching deliberate bugs.

Each mutant in scripts/host/mutants.json is one real bug (docs/mutants.md
says why each is one): a text replacement in one file.  For each, a scratch
copy of the work tree gets the bug, and the boots that should catch it run
there (`scripts/host/do.sh PLAN` with RDCACHE_ONLY=...), against the same
cached kernel.  One line per mutant: the tests that failed on it, or
SURVIVED.  A mutant whose text is not found exactly once, or whose module
does not build, is an ERROR: the list has rotted and must be mended.

    scripts/host/mutants.py [NAME ...]      (default: every mutant)

Environment: MUTANTS_DIR (scratch copies, default /var/tmp/rdcache-mutants).
Exit status 0 only if every mutant was caught.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def load():
    with open(os.path.join(HERE, "mutants.json")) as f:
        return json.load(f)["mutants"]


def scratch_copy(dest):
    """The work tree as it is (tracked and untracked files, not ignored
    ones), in a clone that shares the repository's objects: the checks that
    read the history (upstream.py's series dates, the layout builds) then
    work there as in the work tree, where a bare copy failed them and every
    mutant whose stage ran them looked killed."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    subprocess.run(["git", "clone", "-q", "--shared", TOP, dest], check=True)
    files = subprocess.run(["git", "-C", TOP, "ls-files", "-z", "-co", "--exclude-standard"],
                           capture_output=True, check=True).stdout.split(b"\0")
    # Files the work tree deleted: not in the copy either.
    gone = subprocess.run(["git", "-C", TOP, "ls-files", "-z", "-d"], capture_output=True,
                          check=True).stdout.split(b"\0")
    for rel in filter(None, gone):
        path = os.path.join(dest, rel.decode())
        if os.path.exists(path):
            os.remove(path)
    for rel in filter(None, files):
        rel = rel.decode()
        src = os.path.join(TOP, rel)
        if not os.path.isfile(src):
            continue  # deleted in the work tree
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))


def apply(dest, m):
    path = os.path.join(dest, m["file"])
    with open(path) as f:
        text = f.read()
    n = text.count(m["old"])
    if n != 1:
        return f"its text occurs {n} times in {m['file']} (must be once)"
    with open(path, "w") as f:
        f.write(text.replace(m["old"], m["new"]))
    return None


def failed_tests(ktap):
    try:
        with open(ktap) as f:
            return [m.group(1) for ln in f if (m := re.match(r"not ok \d+ (\S+)", ln))]
    except OSError:
        return []


def run_one(m, base):
    dest = os.path.join(base, m["name"])
    scratch_copy(dest)
    why = apply(dest, m)
    if why:
        return "ERROR", why, []
    results = os.path.join(dest, "results", "mutant")
    env = dict(os.environ, RDCACHE_RESULTS=results, RDCACHE_ONLY=",".join(m.get("only", [])),
               **m.get("env", {}))
    env.pop("MAKEFLAGS", None)
    log = os.path.join(base, m["name"] + ".log")
    with open(log, "w") as f:
        proc = subprocess.run(["bash", "scripts/host/do.sh", m["plan"]], cwd=dest, env=env, stdout=f,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    with open(log, errors="replace") as f:
        out = f.read()
    if "module build failed" in out:
        return "ERROR", f"the mutant does not build (see {log})", []
    failed = failed_tests(os.path.join(results, "ktap.log"))
    if proc.returncode == 0 and not failed:
        return "SURVIVED", f"{m['plan']} passed (log: {log})", []
    if not failed:
        # A run that broke before any test ran proves nothing about the tests.
        return "ERROR", f"the run failed (exit {proc.returncode}) before any test failed (log: {log})", []
    return "CAUGHT", "", failed


def main():
    mutants = load()
    names = sys.argv[1:]
    if names:
        unknown = set(names) - {m["name"] for m in mutants}
        if unknown:
            raise SystemExit(f"mutants.py: no mutant {', '.join(sorted(unknown))}")
        mutants = [m for m in mutants if m["name"] in names]
    base = os.path.abspath(os.environ.get("MUTANTS_DIR", "/var/tmp/rdcache-mutants"))
    os.makedirs(base, exist_ok=True)
    tally = {"CAUGHT": 0, "SURVIVED": 0, "ERROR": 0}
    lines = []
    for i, m in enumerate(mutants, 1):
        print(f"rdcache: mutant {i}/{len(mutants)}: {m['name']} ({m['area']}): {m['plan']}"
              + (f" [{','.join(m['only'])}]" if m.get("only") else ""), file=sys.stderr, flush=True)
        t0 = time.monotonic()
        verdict, detail, failed = run_one(m, base)
        secs = time.monotonic() - t0
        expected = [t for t in m.get("caught_by", []) if t in failed]
        if verdict == "CAUGHT" and failed:
            # Caught only by a test meant to catch it: any other failure
            # (a test already broken, a flaky one) proves nothing.
            if not expected:
                verdict = "SURVIVED"
                detail = (f"none of {', '.join(m.get('caught_by', [])) or '(no caught_by)'} failed; "
                          f"failed instead: {', '.join(failed[:6])}")
            else:
                others = [t for t in failed if t not in expected]
                detail = "caught by " + ", ".join(expected) + (
                    f"; also failed: {', '.join(others[:4])}" + (f" (+{len(others) - 4})" if len(others) > 4 else "")
                    if others else "")
        tally[verdict] += 1
        line = f"mutant {m['name']:28} {verdict:8} {detail} [{secs:.0f} s]"
        lines.append(line)
        print(line, flush=True)
    print(f"{tally['CAUGHT']} caught, {tally['SURVIVED']} survived, {tally['ERROR']} errors "
          f"(of {len(mutants)} mutants)")
    with open(os.path.join(base, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return 0 if tally["CAUGHT"] == len(mutants) else 1


if __name__ == "__main__":
    sys.exit(main())
