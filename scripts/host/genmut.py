#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make mutants GENERATED=N SEED=S: mutants nobody chose.

Operators, not hands, make these: every site where an operator applies, in
every file of the areas below, is a candidate; SEED picks N of them
reproducibly (a stratified sample: the same share of every area's sites),
and each is run, in a scratch copy of the work tree, against the boots and
host tests that cover its file (scripts/host/mutants-map.json), cheapest
first, stopping at the first that fails.

    genmut.py list   [--seed S] [--n N]     the sample, one line each
    genmut.py run    [--seed S] [--n N]     run it (resumes: see below)
    genmut.py score                         the score per area, from the store
    genmut.py sites                         how many sites per area/operator

Results go to docs/mutants-generated.json, one record per mutant, keyed by
what it changes (file, the line and its replacement, which occurrence): a
second `run` skips every mutant the store has a verdict for, so an
interrupted run goes on where it stopped, across sessions.  A verdict stays
valid while the mutated line still reads the same in its file; one whose
text is gone is dropped from the score (reported as stale).

Verdicts: killed (a mapped test failed that passes in the same stage
without the mutant, the stage's baseline: which, at which stage), survived
(every mapped stage passed), stillborn (the mutant does not build: the
compiler caught it, which says nothing of the tests; not scored), error
(the run broke before any test ran).  A survivor is triaged by hand in
docs/mutants.md: equivalent (and why), or killed by a test added since
(named), after which `genmut.py run --again ID` runs it again (only the
mutants --again names run then, sampled or not).

The operators (per language; a site is one occurrence on one code line,
never in a comment):
  rel       == <-> !=, < <-> <=, > <-> >= (with spaces around; shell:
            -eq/-ne, -lt/-le, -gt/-ge, = <-> != in tests)
  logic     && <-> ||  (Python: and <-> or)
  bool      true <-> false (Python: True <-> False)
  not       Rust/C `if cond {`/`if (cond)` -> negated; Python `if x:` ->
            `if not (x):`; shell `if cmd` -> `if ! cmd`
  const     a decimal literal n -> n + 1 and n - 1 (n - 1 only if n > 0);
            in shell, only in a test, a status or arithmetic
  delete    a statement that is a call on a line of its own, removed
  return    shell `return 1`/`exit 1` -> 0 and back; Python `return True`
            <-> `return False`
"""

import argparse
import hashlib
import itertools
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import mutants as handmade  # noqa: E402

STORE = os.path.join(TOP, "docs", "mutants-generated.json")
MAP = os.path.join(HERE, "mutants-map.json")


def load_map():
    with open(MAP) as f:
        return json.load(f)


def area_files(areas):
    """{area: [relative paths]} from the map's globs, tracked files only."""
    r = subprocess.run(["git", "-C", TOP, "ls-files"], capture_output=True, text=True)
    if r.returncode == 0:
        files = r.stdout.split()
    else:
        # A scratch copy (make mutants) is no git tree: it holds the tracked
        # files only, so its files are the same list.
        files = [os.path.relpath(os.path.join(d, f), TOP) for d, _, fs in os.walk(TOP)
                 if "/results" not in d and "/.git" not in d for f in fs]
    out = {}
    for name, a in areas.items():
        inc = [re.compile(g) for g in a["files"]]
        exc = [re.compile(g) for g in a.get("exclude", [])]
        out[name] = sorted(f for f in files if any(r.fullmatch(f) for r in inc)
                           and not any(r.fullmatch(f) for r in exc))
    return out


def lang(path):
    if path.endswith(".rs"):
        return "rust"
    if path.endswith((".c", ".h")):
        return "c"
    if path.endswith(".py"):
        return "python"
    if path.endswith((".sh", ".awk")) or "/" not in path:
        return "sh"
    return "sh"


def code_part(line, language):
    """The line without its trailing comment, and whether it is code at all."""
    s = line.strip()
    if not s:
        return None
    if language in ("rust", "c"):
        if s.startswith(("//", "/*", "*", "#[", "#!", "#include", "#define", "#if", "#else", "#endif")):
            return None
        i = line.find("//")
        return line if i < 0 else line[:i]
    if s.startswith("#"):
        return None
    # Python and shell: a `#` after code starts a comment only after a space.
    m = re.search(r"\s#", line)
    return line if not m else line[:m.start()]


def in_string(code, pos):
    """Whether `pos` is inside a double- or single-quoted string of `code`."""
    dq = sq = False
    for i, ch in enumerate(code[:pos]):
        if ch == "\\":
            continue
        if ch == '"' and not sq and (i == 0 or code[i - 1] != "\\"):
            dq = not dq
        elif ch == "'" and not dq and (i == 0 or code[i - 1] != "\\"):
            sq = not sq
    return dq or sq


# (operator, regex, replacement function) per language; each match outside a
# string is one site.
SWAPS = {
    "rust": [("rel", r" (==|!=|<=|>=|<|>) ", None), ("logic", r" (&&|\|\|) ", None),
             ("bool", r"\b(true|false)\b", None)],
    "c": [("rel", r" (==|!=|<=|>=|<|>) ", None), ("logic", r" (&&|\|\|) ", None),
          ("bool", r"\b(true|false)\b", None)],
    "python": [("rel", r" (==|!=|<=|>=|<|>) ", None), ("logic", r" (and|or) ", None),
               ("bool", r"\b(True|False)\b", None)],
    "sh": [("rel", r" (-eq|-ne|-lt|-le|-gt|-ge|=|!=) ", None), ("logic", r" (&&|\|\|) ", None)],
}
FLIP = {"==": "!=", "!=": "==", "<=": "<", "<": "<=", ">=": ">", ">": ">=", "&&": "||", "||": "&&",
        "true": "false", "false": "true", "True": "False", "False": "True", "and": "or", "or": "and",
        "-eq": "-ne", "-ne": "-eq", "-lt": "-le", "-le": "-lt", "-gt": "-ge", "-ge": "-gt", "=": "!="}


def sites(path):
    """Every (line number, operator, old line, new line) of `path`."""
    language = lang(path)
    with open(os.path.join(TOP, path), errors="replace") as f:
        lines = f.read().split("\n")
    out = []
    in_doc = False
    for no, line in enumerate(lines, 1):
        if language == "python":
            # Docstrings and other triple-quoted text are not code.
            quotes = line.count('"""') + line.count("'''")
            if in_doc or quotes:
                if quotes % 2:
                    in_doc = not in_doc
                continue
        code = code_part(line, language)
        if code is None:
            continue
        for op, rx, _ in SWAPS[language]:
            for m in re.finditer(rx, code):
                if in_string(code, m.start(1)):
                    continue
                tok = m.group(1)
                if language == "rust" and tok in ("<", ">") and re.search(r"\w<|->|=>", code[m.start() - 1:m.end() + 1]):
                    continue
                if language == "sh" and tok == "=" and not re.search(r"\[|test ", code[:m.start()]):
                    continue
                new = line[:m.start(1)] + FLIP[tok] + line[m.end(1):]
                out.append((no, op, line, new))
        # Decimal constants (not in identifiers, strings, or 0x.. / 1e..).
        for m in re.finditer(r"(?<![\w.])(\d+)(?![\w.])", code):
            if in_string(code, m.start()) or len(m.group(1)) > 9:
                continue
            # Shell: only the constants a check or a status uses (not
            # delays, sizes or option values, whose off-by-one is slack).
            if language == "sh" and not re.search(r"(-eq|-ne|-lt|-le|-gt|-ge|exit|return) *\"?$|\$\(\(.*[-+*/%<>] *$",
                                                 code[:m.start()]):
                continue
            n = int(m.group(1))
            for v in (n + 1, n - 1):
                if v >= 0:
                    out.append((no, "const", line, line[:m.start()] + str(v) + line[m.end():]))
        s = code.strip()
        if language in ("rust", "c"):
            m = re.match(r"^(\s*)(\}\s*else\s+)?if \((.*)\)(\s*\{?)\s*$", code) if language == "c" else \
                re.match(r"^(\s*)(\}\s*else\s+)?if (?!let )(.*) \{\s*$", code)
            if m and m.group(3):
                cond = m.group(3)
                new = (f"{m.group(1)}{m.group(2) or ''}if (!({cond})){m.group(4)}" if language == "c"
                       else f"{m.group(1)}{m.group(2) or ''}if !({cond}) {{")
                out.append((no, "not", line, new))
            if re.match(r"^[\w:.()&*\->\[\]]+\(.*\);$", s) and not re.match(r"^(return|let|break|continue)\b", s) \
                    and not re.match(r"^(MODULE_\w+|pr_debug|static_assert|kernel::static_assert)\b", s) \
                    and "=" not in s.split("(")[0] and s.count("(") == s.count(")"):
                out.append((no, "delete", line, line[:len(line) - len(line.lstrip())] + ("();" if language == "rust" else ";")))
        elif language == "python":
            m = re.match(r"^(\s*)(el)?if (.*):\s*$", code)
            if m:
                out.append((no, "not", line, f"{m.group(1)}{m.group(2) or ''}if not ({m.group(3)}):"))
            m = re.match(r"^(\s*)return (True|False)\s*$", code)
            if m:
                out.append((no, "return", line, f"{m.group(1)}return {FLIP[m.group(2)]}"))
        elif language == "sh":
            m = re.match(r"^(\s*)(el)?if (?!!)(.*)$", code)
            if m and "; then" in m.group(3):
                out.append((no, "not", line, f"{m.group(1)}{m.group(2) or ''}if ! {m.group(3)}"))
            m = re.match(r"^(\s*)(return|exit) ([01])\s*$", code)
            if m:
                out.append((no, "return", line, f"{m.group(1)}{m.group(2)} {1 - int(m.group(3))}"))
    # One site per distinct replacement (a constant's n+1 of one line and
    # another operator's may coincide).
    seen, uniq = set(), []
    for s_ in out:
        if (s_[0], s_[3]) not in seen and s_[2] != s_[3]:
            seen.add((s_[0], s_[3]))
            uniq.append(s_)
    return uniq, lines


def unique_context(lines, no, new):
    """(old, new) texts for mutants.apply(): the line, widened with its
    neighbours until the old text occurs once in the file."""
    text = "\n".join(lines)
    lo = hi = no - 1
    while True:
        old = "\n".join(lines[lo:hi + 1])
        if text.count(old) == 1:
            repl = "\n".join(lines[lo:no - 1] + [new] + lines[no:hi + 1])
            return old, repl
        if lo > 0:
            lo -= 1
        if hi < len(lines) - 1:
            hi += 1
        if lo == 0 and hi == len(lines) - 1:
            return None, None


def mutant_id(path, line, new, occurrence):
    return hashlib.sha1(f"{path}\0{line}\0{new}\0{occurrence}".encode()).hexdigest()[:10]


def candidates(cfg):
    """Every candidate mutant, per area: [{id, area, file, line, op, old, new}]."""
    out = {}
    for area, files in area_files(cfg["areas"]).items():
        lst = []
        for path in files:
            ss, lines = sites(path)
            count = {}
            for no, op, line, new in ss:
                key = (line, new)
                count[key] = count.get(key, 0) + 1
                old, repl = unique_context(lines, no, new)
                if old is None:
                    continue
                lst.append({"id": mutant_id(path, line, new, count[key]), "area": area, "file": path,
                            "line": no, "op": op, "old": old, "new": repl,
                            "show": f"{line.strip()}  ->  {new.strip()}"})
        out[area] = lst
    return out


def sample(cfg, seed, n):
    """A stratified sample of about `n`: each area gets its share of the
    sites, but at least n / (2 * areas): those whose hash with the seed
    ranks first."""
    cands = candidates(cfg)
    total = sum(len(v) for v in cands.values())
    picked = []
    # Each area at least its share of half the sample split evenly, so
    # that a small area still gets a score worth the name.
    floor = n // (2 * len(cands))
    for area in sorted(cands):
        lst = cands[area]
        k = min(len(lst), max(1, floor, round(n * len(lst) / total))) if lst else 0
        # Ranked by a hash of the seed and the mutant's own id (what it
        # changes, not where the line is), so that editing one file does not
        # reshuffle the whole sample: a mutant stays sampled while its line
        # reads the same and its area keeps its size.
        rank = sorted(lst, key=lambda m: hashlib.sha1(f"{seed}:{m['id']}".encode()).hexdigest())
        picked += rank[:k]
    return picked


def load_store():
    try:
        with open(STORE) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"mutants": {}}


def save_store(store):
    tmp = STORE + ".tmp"
    with open(tmp, "w") as f:
        json.dump(store, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, STORE)


def stages_for(cfg, area, path):
    """The (plan, only, env) stages that cover `path`, cheapest first."""
    for rule in cfg["areas"][area].get("stages_by_file", []):
        if re.fullmatch(rule["file"], path):
            return rule["stages"]
    return cfg["areas"][area]["stages"]


def say(msg):
    print(f"rdcache: {msg}", file=sys.stderr, flush=True)


# {stage key: the tests that fail in that stage on the unmutated tree}: a
# mutant is killed only by a test that passes there (a check the scratch
# copy or the stage's settings break is not the mutant's doing).  Run once
# per stage and process, the first time a mutant fails that stage.
BASELINE = {}


def stage_key(st):
    return json.dumps([st["plan"], st.get("only", []), st.get("env", {})], sort_keys=True)


def baseline_failures(st, m, base, hm):
    key = stage_key(st)
    if key not in BASELINE:
        say(f"baseline of stage {st['plan']} {','.join(st.get('only', []))}: the tree without a mutant")
        same = dict(hm, name="baseline", new=m["old"])
        verdict, detail, failed = handmade.run_one(same, base)
        if verdict == "ERROR":
            raise SystemExit(f"genmut: the baseline of stage {key} failed to run: {detail}")
        BASELINE[key] = set(failed)
        if failed:
            say(f"baseline of stage {key}: {len(failed)} test(s) fail without a mutant, "
                f"so they kill nothing: {', '.join(failed[:6])}")
    return BASELINE[key]


def run_mutant(cfg, m, base):
    """Runs `m` through its stages; returns the record to store."""
    rec = {k: m[k] for k in ("area", "file", "line", "op", "show")}
    t0 = time.monotonic()
    for i, st in enumerate(stages_for(cfg, m["area"], m["file"]), 1):
        # A test that loops for ever is caught at 300 s (the longest of
        # make test's, unload-race, takes under 120 s).
        hm = {"name": "gen-" + m["id"], "file": m["file"], "old": m["old"], "new": m["new"],
              "plan": st["plan"], "only": st.get("only", []),
              "env": {"RDCACHE_TEST_TIMEOUT_CAP": "300", **st.get("env", {})}}
        verdict, detail, failed = handmade.run_one(hm, base)
        if verdict == "CAUGHT":
            failed = [t for t in failed if t not in baseline_failures(st, m, base, hm)]
            if not failed:
                verdict = "SURVIVED"
        if verdict == "ERROR" and "does not build" in detail:
            rec.update(verdict="stillborn", detail="the mutant does not build")
            break
        if verdict == "ERROR" and m["area"] == "judge" and "before any test failed" in detail:
            # The judge itself broke: make test would end non-zero with no
            # verdict, which CI reports as a failure.
            rec.update(verdict="killed", detail=f"stage {i} ({st['plan']}): the harness itself failed",
                       killed_by=["(the harness's exit status)"])
            break
        if verdict == "ERROR":
            rec.update(verdict="error", detail=f"stage {i} ({st['plan']}): {detail}")
            break
        if verdict == "CAUGHT":
            rec.update(verdict="killed", detail=f"stage {i} ({st['plan']}"
                       + (f" {','.join(st['only'])}" if st.get("only") else "") + ")", killed_by=failed[:8])
            break
    else:
        rec.update(verdict="survived", detail="every stage passed: "
                   + "; ".join(s["plan"] + (" " + ",".join(s.get("only", [])) if s.get("only") else "")
                               for s in stages_for(cfg, m["area"], m["file"])))
    rec["seconds"] = round(time.monotonic() - t0)
    rec["commit"] = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"], capture_output=True,
                                   text=True).stdout.strip()
    return rec


def still_valid(rec_id, cands_by_id):
    return rec_id in cands_by_id


def score(cfg, store):
    """{area: (killed, survived, equivalent, stillborn, error, stale)}"""
    cands = {m["id"]: m for lst in candidates(cfg).values() for m in lst}
    out = {a: {"killed": 0, "survived": 0, "equivalent": 0, "stillborn": 0, "error": 0, "stale": 0}
           for a in cfg["areas"]}
    for mid, rec in store["mutants"].items():
        a = rec["area"]
        if a not in out:
            continue
        if mid not in cands:
            out[a]["stale"] += 1
            continue
        v = rec["verdict"]
        if v == "survived" and rec.get("triage", {}).get("equivalent"):
            v = "equivalent"
        out[a][v] += 1
    return out


def print_score(cfg, store):
    sc = score(cfg, store)
    print("| area | goal | killed | survived | equivalent | score | stillborn | error | stale |")
    print("|---|---|---|---|---|---|---|---|---|")
    for a in sorted(sc):
        s = sc[a]
        judged = s["killed"] + s["survived"]
        pct = f"{100 * s['killed'] / judged:.0f}%" if judged else "-"
        print(f"| {a} | {cfg['areas'][a]['goal']}% | {s['killed']} | {s['survived']} | {s['equivalent']} | "
              f"{pct} | {s['stillborn']} | {s['error']} | {s['stale']} |")
    n = sum(s["killed"] + s["survived"] + s["equivalent"] + s["stillborn"] + s["error"] for s in sc.values())
    print(f"\n{n} generated mutants with a verdict")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=("list", "run", "score", "sites", "survivors", "triage"))
    ap.add_argument("id", nargs="?", help="triage: the mutant")
    ap.add_argument("--equivalent", help="triage: why the survivor cannot be told from the original")
    ap.add_argument("--test", help="triage: the test added that kills it (run it --again to prove it)")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED", "1")))
    ap.add_argument("--n", type=int, default=int(os.environ.get("GENERATED", "50")))
    ap.add_argument("--again", action="append", default=[], help="run this mutant id again (sampled or not)")
    ap.add_argument("--area", action="append", default=os.environ.get("AREAS", "").split(),
                    help="run/list only this area's share of the sample (repeatable; AREAS='a b' in make)")
    args = ap.parse_args()
    cfg = load_map()
    if args.cmd == "sites":
        per = {}
        for area, lst in candidates(cfg).items():
            for m in lst:
                per.setdefault(area, {}).setdefault(m["op"], 0)
                per[area][m["op"]] += 1
        for area in sorted(per):
            print(f"{area}: {sum(per[area].values())} sites: "
                  + ", ".join(f"{op} {n}" for op, n in sorted(per[area].items())))
        return 0
    store = load_store()
    if args.cmd == "score":
        print_score(cfg, store)
        return 0
    if args.cmd == "survivors":
        live = {m["id"] for lst in candidates(cfg).values() for m in lst}
        for mid, rec in sorted(store["mutants"].items(), key=lambda kv: (kv[1]["area"], kv[1]["file"])):
            if rec["verdict"] == "survived":
                t = rec.get("triage", {})
                what = ("equivalent: " + t["why"]) if t.get("equivalent") else \
                       ("test added: " + t["test"]) if t.get("test") else "UNTRIAGED"
                if mid not in live:
                    what = "stale (the line changed since; not scored): " + what
                print(f"{mid} {rec['area']:16} {rec['file']}:{rec['line']} {rec['op']}: {rec['show'][:90]} -- {what}")
        return 0
    if args.cmd == "triage":
        rec = store["mutants"].get(args.id or "")
        if not rec or rec["verdict"] != "survived" or bool(args.equivalent) == bool(args.test):
            ap.error("triage ID needs a survivor's id and one of --equivalent WHY or --test NAME")
        rec["triage"] = ({"equivalent": True, "why": args.equivalent} if args.equivalent
                         else {"test": args.test})
        save_store(store)
        return 0
    picked = sample(cfg, args.seed, args.n)
    if args.area:
        unknown = set(args.area) - set(cfg["areas"])
        if unknown:
            ap.error(f"no such area: {' '.join(sorted(unknown))} (areas: {' '.join(sorted(cfg['areas']))})")
        # The sample is drawn over every area first, so that naming one
        # does not change which of its mutants are picked.
        picked = [m for m in picked if m["area"] in args.area]
    if args.again:
        # A survivor triaged "test added" may have left the sample since (the
        # sample is drawn anew as files change): it runs all the same.
        cands = {m["id"]: m for lst in candidates(cfg).values() for m in lst}
        unknown = [i for i in args.again if i not in cands]
        if unknown:
            ap.error(f"--again: no such mutant now: {' '.join(unknown)} (its line changed: see genmut.py survivors)")
        have = {m["id"] for m in picked}
        picked += [cands[i] for i in dict.fromkeys(args.again) if i not in have]
    if args.cmd == "list":
        for m in picked:
            v = store["mutants"].get(m["id"], {}).get("verdict", "-")
            print(f"{m['id']} {m['area']:10} {m['op']:6} {m['file']}:{m['line']}: {m['show'][:110]}  [{v}]")
        return 0
    base = os.path.abspath(os.environ.get("MUTANTS_DIR", "/var/tmp/rdcache-mutants"))
    os.makedirs(base, exist_ok=True)
    # --again: those mutants, and only them.
    todo = [m for m in picked if m["id"] in args.again] if args.again else \
        [m for m in picked if m["id"] not in store["mutants"]]
    # Round-robin over the areas, so that a run cut short leaves a score
    # for each of them.
    by_area = {}
    for m in todo:
        by_area.setdefault(m["area"], []).append(m)
    todo = [m for group in itertools.zip_longest(*by_area.values()) for m in group if m]
    if args.again:
        print(f"rdcache: generated mutants: {len(todo)} to run again ({' '.join(args.again)})",
              file=sys.stderr, flush=True)
    else:
        print(f"rdcache: generated mutants: seed {args.seed}, {len(picked)} sampled, {len(picked) - len(todo)} "
              f"already judged, {len(todo)} to run", file=sys.stderr, flush=True)
    t_start = time.monotonic()
    for i, m in enumerate(todo, 1):
        done = time.monotonic() - t_start
        eta = f", about {done / (i - 1) * (len(todo) - i + 1) / 60:.0f} min left" if i > 1 else ""
        print(f"rdcache: generated mutant {i}/{len(todo)} ({100 * (i - 1) // len(todo)}%{eta}): {m['id']} "
              f"{m['file']}:{m['line']} {m['op']}", file=sys.stderr, flush=True)
        rec = run_mutant(cfg, m, base)
        # Merged into the store as it is now, so that a triage written
        # meanwhile is kept.
        store = load_store()
        if m["id"] in store["mutants"] and "triage" in store["mutants"][m["id"]]:
            rec["triage"] = store["mutants"][m["id"]]["triage"]
        store["mutants"][m["id"]] = rec
        save_store(store)
        print(f"mutant {m['id']} {rec['verdict']:9} {m['file']}:{m['line']} {m['op']}: {m['show'][:80]} "
              f"({rec['detail']}) [{rec['seconds']} s]", flush=True)
    print_score(cfg, store)
    return 0


if __name__ == "__main__":
    sys.exit(main())
