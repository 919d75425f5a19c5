# SPDX-License-Identifier: GPL-2.0
"""A run's results as a KCIDB v5 report (kcidb.json), the shape KernelCI's
database takes: one checkout (this project's commit), one build (the test
kernel with rdcache.ko), and every result of the run as a test whose path is
`<suite>.<case>` (the KTAP name, '/' as '.'), with its status, duration and,
for a failure, its reasons as the log excerpt.

The report is validated with kcidb-io's own schema (PyPI `kcidb-io`, which
scripts/setup.sh installs into a venv in the cache: KCIDB_PYTHON).  Submit
it with kcidb's `kcidb-submit` (PyPI `kcidb`), given credentials for a
KCIDB instance:

    kcidb-submit -p <project> -t <topic> < results/latest/kcidb.json
"""

import json
import os
import re
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
ORIGIN = "rdcache"
# The schema version this writes: kcidb-io's LATEST when it was written
# (kcidb-io 141); validation says if a newer one rejects it.
VERSION = {"major": 5, "minor": 3}
EXCERPT_MAX = 16384


def python():
    """The interpreter that has kcidb-io (scripts/env.sh: KCIDB_PYTHON)."""
    return os.environ.get("KCIDB_PYTHON") or os.path.join(
        os.environ.get("RDCACHE_CACHE") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rdcache"),
        "venv", "bin", "python3")


def test_path(name):
    """KCIDB's dot-separated path for a KTAP name: 'interleavings/steal'
    is 'interleavings.steal'; characters a path may not hold become '_'."""
    parts = [re.sub(r"[^a-zA-Z0-9_-]", "_", p) for p in name.split("/") if p]
    return ".".join(parts)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e6):06d}+00:00"


def git(*args):
    try:
        return subprocess.run(["git", "-C", TOP, *args], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def kernel_config(kdir):
    """(config name, compilers) of the kernel tree: its cache key
    (debug-<hash>) and the C and Rust compilers its .config names."""
    cc = rustc = ""
    try:
        with open(os.path.join(kdir, ".config")) as f:
            for line in f:
                if m := re.match(r'CONFIG_CC_VERSION_TEXT="(.*)"', line):
                    cc = m.group(1)
                elif m := re.match(r'CONFIG_RUSTC_VERSION_TEXT="(.*)"', line):
                    rustc = m.group(1)
    except OSError:
        pass
    return os.path.basename(os.path.normpath(kdir)), ", ".join(x for x in (cc, rustc) if x)


def report(records, plan, kdir, started, run_id):
    """The KCIDB v5 report of `records` (Ktap.records) from a run of
    `plan` on the kernel of `kdir` that started at `started` (time.time())."""
    commit = git("rev-parse", "HEAD")
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    checkout_id = f"{ORIGIN}:{commit or 'unknown'}{'-dirty' if dirty else ''}"
    config, compiler = kernel_config(kdir)
    build_id = f"{checkout_id}:{config}"
    checkout = {"id": checkout_id, "origin": ORIGIN, "tree_name": "rdcache", "start_time": iso(started),
                "comment": f"rdcache {plan}: the module's sources at {commit[:12] or 'an unknown commit'}"
                + (" with local changes" if dirty else "") + ", against Linux 7.3",
                "misc": {"plan": plan}}
    if commit:
        checkout["git_commit_hash"] = commit
    if not dirty and commit:
        checkout["valid"] = True
    build = {"id": build_id, "checkout_id": checkout_id, "origin": ORIGIN, "architecture": "x86_64",
             "config_name": config, "status": "PASS", "start_time": iso(started),
             "comment": "the test kernel (scripts/env.sh's configuration) with rdcache.ko built against it"}
    if compiler:
        build["compiler"] = compiler
    tests = []
    for r in records:
        t = {"id": f"{ORIGIN}:{run_id}:{r['n']}", "build_id": build_id, "origin": ORIGIN,
             "path": test_path(r["name"]), "status": r["status"],
             "misc": {"ktap_name": r["name"], "ktap_number": r["n"]}}
        # A test the VM never reached did not run: the harness's miss.
        if r["status"] == "FAIL" and r["reasons"] and all(x.startswith("not run:") for x in r["reasons"]):
            t["status"] = "MISS"
        if r.get("duration") is not None:
            t["duration"] = round(r["duration"], 3)
            t["start_time"] = iso(r["at"] - r["duration"])
        if r["status"] != "PASS" and r["reasons"]:
            t["log_excerpt"] = "\n".join(r["reasons"])[:EXCERPT_MAX].replace("\0", "")
        tests.append(t)
    return {"version": dict(VERSION), "checkouts": [checkout], "builds": [build], "tests": tests}


def validate(path):
    """(ok, why) of kcidb-io's schema on the report in `path`."""
    # Exit 3: the schema rejects it (jsonschema's ValidationError, its
    # message printed); anything else kcidb-io raises is its own failure.
    code = ("import json, sys, jsonschema, kcidb_io\n"
            "v = kcidb_io.schema.LATEST\n"
            "with open(sys.argv[1]) as f:\n"
            "    data = json.load(f)\n"
            "try:\n"
            "    v.validate(data)\n"
            "except jsonschema.exceptions.ValidationError as e:\n"
            "    print(f'{e.message} (at {\"/\".join(map(str, e.absolute_path))})')\n"
            "    sys.exit(3)\n"
            "print(f'valid: KCIDB v{data[\"version\"][\"major\"]}.{data[\"version\"][\"minor\"]}, '\n"
            "      f'{len(data.get(\"tests\", []))} tests (kcidb-io schema v{v.major}.{v.minor})')\n")
    py = python()
    if not os.path.exists(py):
        return False, f"{py} is missing: scripts/setup.sh installs kcidb-io into a venv (make setup)"
    try:
        p = subprocess.run([py, "-c", code, path], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"kcidb-io did not run: {e!r}"
    if p.returncode == 3:
        return False, "kcidb-io rejects it: " + p.stdout.strip()[:600]
    if p.returncode:
        err = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
        return False, f"kcidb-io failed (exit {p.returncode}): " + " | ".join(err[-3:])[:600]
    return True, p.stdout.strip()


def write(records, plan, kdir, started, run_id, path):
    with open(path, "w") as f:
        json.dump(report(records, plan, kdir, started, run_id), f, indent=1)
        f.write("\n")


def selftests(kdir, tmp):
    """[(name, ok, reasons)]: a report of made-up results validates, and
    kcidb-io rejects one with a status KCIDB has no word for (so that the
    check of the run's own report is seen to fire)."""
    now = time.time()
    recs = [{"n": 1, "name": "suite/case", "status": "PASS", "reasons": [], "duration": 1.5, "at": now},
            {"n": 2, "name": "suite/a:b", "status": "FAIL", "reasons": ["why"], "duration": None, "at": now},
            {"n": 3, "name": "suite/skipped", "status": "SKIP", "reasons": ["SKIP: x"], "duration": None, "at": now},
            {"n": 4, "name": "suite/never", "status": "FAIL", "reasons": ["not run: the VM never booted"],
             "duration": None, "at": now}]
    good = report(recs, "selftest", kdir, now, "selftest")
    res = []
    paths = [t["path"] for t in good["tests"]]
    statuses = [t["status"] for t in good["tests"]]
    gp = os.path.join(tmp, "kcidb-good.json")
    with open(gp, "w") as f:
        json.dump(good, f)
    ok, why = validate(gp)
    shape = paths == ["suite.case", "suite.a_b", "suite.skipped", "suite.never"] and \
        statuses == ["PASS", "FAIL", "SKIP", "MISS"]
    res.append(("kcidb/made-up-report-validates", ok and shape,
                [why] + ([] if shape else [f"paths {paths}, statuses {statuses}"])))
    bad = json.loads(json.dumps(good))
    bad["tests"][0]["status"] = "MAYBE"
    bp = os.path.join(tmp, "kcidb-bad.json")
    with open(bp, "w") as f:
        json.dump(bad, f)
    rejected, why = validate(bp)
    fired = not rejected and "rejects" in why
    res.append(("kcidb/validation-fires-on-a-bad-status", fired, [] if fired else [f"kcidb-io said: {why}"]))
    return res
