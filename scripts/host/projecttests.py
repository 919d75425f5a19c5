# SPDX-License-Identifier: GPL-2.0
"""make test's host-side tests of the project's own machinery, each with
the case that makes it fire: the set-up runs before any toolchain check,
the upstream series in docs/ is what the sources make, the layout check and
bindgen's known bug, make help and make doc, the README's size and the docs'
links, the time-left estimates, the compile-fail cache's key, and the
mutants' own consistency (hosttests.py holds the judge's).

Each returns [(name, ok, reasons[, "SKIP"])], one KTAP result each.
"""

import glob
import os
import re
import subprocess

import compile_fail

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


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


def setup_order_results(out):
    """[(name, ok, reasons)] from setup_order_test.sh's KTAP lines: a
    failure's '# ' lines that follow it are its reasons; a pass's are not."""
    res = []
    for line in out.splitlines():
        if m := re.match(r"(not )?ok \d+ (\S+)", line):
            res.append((m.group(2), not m.group(1), []))
        elif line.startswith("# ") and res and not res[-1][1]:
            res[-1][2].append(line[2:])  # a failure's diagnostics follow it
    return res


def setup_order_parse_selftests():
    """[(name, ok, reasons)]: setup_order_results() on made-up output."""
    out = "# header\nok 1 setup-order/a\n# a pass's note\nnot ok 2 setup-order/b\n# why b failed\n# and more\n"
    want = [("setup-order/a", True, []), ("setup-order/b", False, ["why b failed", "and more"])]
    got = setup_order_results(out)
    return [("setup-order/parse/a-failure-keeps-its-diagnostics-a-pass-none", got == want,
             [] if got == want else [f"got {got}"])]


def run_setup_order():
    """[(name, ok, reasons)] from scripts/host/setup_order_test.sh: every
    target runs the set-up before it checks for the toolchain."""
    script = os.path.join(HERE, "setup_order_test.sh")
    try:
        proc = subprocess.run(["bash", script], capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return [("setup-order", False, ["setup_order_test.sh took more than 300 s"])]
    res = setup_order_results(proc.stdout)
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
    boots alone add up, boots side by side share the slots, a light boot
    has a lane of its own, a running boot counts what it has left, one past
    its figure a tenth of it."""
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
    # A light boot (h, 120 s) in its lane beside the pool: the group takes
    # the longer of the pool's 150 s and the lane's 120 s; with h 100 s in
    # and the pool's b and c 30 s in, d still to come: max(20 + 100, 20).
    p = progress.Progress("/x/build/debug-0123456789ab", "test", [["a"], ["b", "c", "d", "h"]], 2, False,
                          out=io.StringIO(), light={"h"})
    p.known = {"test/a": 100, "test/b": 50, "test/c": 50, "test/d": 100, "test/h": 120}
    p.started = []
    cases.append(("light-boot-in-a-lane-of-its-own", p.left(now=1000.0), 250))
    p.known["test/h"] = 200
    cases.append(("light-boot-longer-than-the-pool", p.left(now=1000.0), 300))
    p.known["test/h"] = 120
    p.running, p.started = {"b": 970.0, "c": 970.0, "h": 900.0}, ["a", "b", "c", "h"]
    cases.append(("light-boot-running-beside-the-pool", p.left(now=1000.0), 120))
    # A group of two side by side, not started: the longer of the two.
    p = progress.Progress("/x/build/debug-0123456789ab", "test", [["a"], ["b", "c"]], 2, False,
                          out=io.StringIO())
    p.known = {"test/a": 100, "test/b": 50, "test/c": 80}
    p.started = []
    cases.append(("a-group-of-two-takes-the-longer", p.left(now=1000.0), 180))
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
    # Progress is for a person watching a long run: each line must reach a
    # pipe as it is printed, not when the buffer fills or the run ends.
    r, w = os.pipe()
    # The reader outlives the writer, whose close flushes what is left.
    with os.fdopen(r) as inp, os.fdopen(w, "w") as out:
        os.set_blocking(r, False)
        p3 = progress.Progress("/x/build/debug-0123456789ab", "test", [["a"]], 2, False, out=out)
        p3.known, p3.started = {"test/a": 100}, []
        seen = {}
        for name, call in (("begin", p3.begin), ("line", lambda: p3.line("boot a started"))):
            call()
            try:
                seen[name] = inp.read()
            except (BlockingIOError, TypeError):
                seen[name] = ""
    ok = all(v.startswith("rdcache: ") for v in seen.values())
    res.append(("progress/each-line-reaches-a-pipe-at-once", ok, [f"read at once: {seen}"]))
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


def sourced_scripts(script, seen=None):
    """`script` (a path under scripts/selftests/) and every file it
    sources (`. ./lib.sh`, `. ../rdcachefs/lib.sh`), transitively."""
    seen = set() if seen is None else seen
    if script in seen or not os.path.isfile(os.path.join(TOP, script)):
        return seen
    seen.add(script)
    with open(os.path.join(TOP, script)) as f:
        for line in f:
            m = re.match(r"\s*\.\s+(\.\.?/\S+)\s*$", line)
            if m:
                dep = os.path.normpath(os.path.join(os.path.dirname(script), m.group(1)))
                sourced_scripts(dep, seen)
    return seen


def guest_map_gaps(boots, rules, default):
    """The boots of make test that run a guest script (or source it) but
    that no stage of that script's rule in the generated mutants' map
    boots: a mutant there would be called a survivor without ever running.
    `boots`: make test's boots; `rules`: [(file regex, stages)]; `default`:
    the area's stages."""
    runs = {}
    for b in boots:
        for t in b.tests:
            script = "scripts/selftests/" + t.spec.split(":")[0].split("@")[0]
            for f in sourced_scripts(script):
                runs.setdefault(f, set()).add(b.name)
    gaps = []
    for f, names in sorted(runs.items()):
        stages = next((st for rx, st in rules if re.fullmatch(rx, f)), default)
        covered = set()
        for st in stages:
            if st["plan"] == "test":
                covered |= set(st.get("only") or names)
        lost = sorted(names - covered)
        if lost:
            gaps.append(f"{f}: run in {', '.join(lost)}, which no stage of its map boots")
    return gaps


def guest_map_selftests():
    """[(name, ok, reasons)]: every make test boot that runs a guest
    script, or a file it sources, is among the stages the generated
    mutants' map gives that file; and the check fires on a map that leaves
    one out."""
    import genmut
    import plans as p
    a = genmut.load_map()["areas"]["guest-scripts"]
    rules = [(r["file"], r["stages"]) for r in a.get("stages_by_file", [])]
    gaps = guest_map_gaps(p.plan("test"), rules, a["stages"])
    lost = guest_map_gaps(p.plan("test"), [(r"scripts/selftests/rdcachefs/lib\.sh",
                                             [{"plan": "test", "only": ["main"]}])] + rules, a["stages"])
    return [("mutants/guest-map-boots-every-boot-that-runs-the-file", not gaps, gaps[:6]),
            ("mutants/guest-map-check-fires-on-a-lost-boot",
             any(g.startswith("scripts/selftests/rdcachefs/lib.sh:") for g in lost), lost[:3])]


def compile_fail_marks_selftests():
    """[(name, ok, reasons)]: a case's `//~ ERROR` lines are each checked
    (compile_fail.unmarked_misuses()): with an error reported at every
    marked line, none is missed; with one line's error gone (that misuse
    built), that line is named."""
    case = os.path.join(compile_fail.CASES, "brand_is_invariant.rs")
    marked = compile_fail.marked_lines(case)
    rel = os.path.relpath(case, TOP)
    out = "".join(f"error[E0308]: mismatched types\n   --> {rel}:{n}:5\n" for n in marked)
    dropped = "".join(f"error[E0308]: mismatched types\n   --> {rel}:{n}:5\n" for n in marked[1:])
    every = compile_fail.unmarked_misuses(case, out)
    one_built = compile_fail.unmarked_misuses(case, dropped)
    return [("compile-fail/marks/every-marked-line-has-its-error", len(marked) >= 2 and every == [],
             [f"{len(marked)} marked lines; missed: {every}"]),
            ("compile-fail/marks/a-marked-line-that-built-is-named", one_built == marked[:1],
             [f"first marked line {marked[:1]}; named: {one_built}"])]


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
