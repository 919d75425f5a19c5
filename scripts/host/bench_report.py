#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn make bench's raw measurements into figures, tables and plots.

    bench_report.py [--kdir KDIR] [--publish] RESULTS_DIR

Reads RESULTS_DIR/vm/ktap.log (the "# BENCH ..." lines that
scripts/selftests/bench/bench.sh prints in the guest) and
RESULTS_DIR/devloop.txt (the harness's own timings), and writes into
RESULTS_DIR:

    bench.json   every raw run, and every figure with its spread
    bench.csv    the figures, one row each
    table.md     the markdown table docs/benchmarks.md includes
    *.png        plots (gnuplot from Debian)

Every figure is a median over repeated runs, with min..max.  Times under
TCG emulation are inflated, so the headline figures are ratios against a peer
measured in the same run.  --publish also copies table.md and the plots to
docs/bench/ and the table into docs/benchmarks.md between its bench markers.
"""

import argparse
import glob
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KINDS = ("put", "put-contended", "dispose", "retain", "chain", "umount")
# The single-threaded benchmarks, measured again in instructions.
ICOUNT_KINDS = ("put", "dispose", "retain", "umount")
# Goals for the instruction counts: the abstraction costs nothing (Rust / C
# at most this), and umount stays linear (fitted exponent at most this).
GOALS = {"put": 1.01, "clone-drop": 1.01, "dispose": 1.0, "retain": 1.05, "umount": 1.0, "exponent": 1.05}


def parse(lines, tag="BENCH"):
    """(config dict, [run dicts]) from KTAP lines tagged `tag` (BENCH: wall
    time, BENCH-ICOUNT: instructions); numbers become ints."""
    config, runs = {}, []
    rx = re.compile(rf"# ({re.escape(tag)}-CONFIG|{re.escape(tag)}) (.*)$")
    for line in lines:
        m = rx.search(line)
        if not m:
            continue
        words = m.group(2).split()
        fields = {}
        for w in words[(0 if m.group(1).endswith("-CONFIG") else 1):]:
            k, _, v = w.partition("=")
            fields[k] = int(v) if re.fullmatch(r"\d+", v) else v
        if m.group(1).endswith("-CONFIG"):
            config = fields
        else:
            fields["kind"] = words[0]
            runs.append(fields)
    return config, runs


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def fit_exponent(points):
    """Least-squares slope of log(t) against log(n): t ~ n^slope."""
    pts = [(math.log(n), math.log(t)) for n, t in points if n > 0 and t > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return None if sxx == 0 else sum((x - mx) * (y - my) for x, y in pts) / sxx


def group(runs, kind, *keys):
    out = {}
    for r in runs:
        if r["kind"] == kind:
            out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


# The rows that compare the layer with the same split written in C (only on a
# kernel that exports dput_to_list(): KPATCH=1, or the upstream series).
LIST_PEER = "`put` + `shrink()` vs C `dput_to_list()` + `shrink_dentry_list()`"


def pair(rs, rust, c, per):
    """Per-unit spreads of a Rust variant and its C peer, and of their ratio
    (each run's own ratio: the peer ran in the same boot)."""
    return {"rust": spread([r[rust] / per for r in rs]), "c": spread([r[c] / per for r in rs]),
            "ratio": spread([r[rust] / r[c] for r in rs])}


def figures(runs, kinds=KINDS):
    """Every figure of `kinds`: {name: ...}; raises KeyError if one is missing."""
    fig = {}
    missing = [k for k in kinds if not any(r["kind"] == k for r in runs)]
    if missing:
        raise KeyError("no measurements of: " + ", ".join(missing))

    if "put" in kinds:
        for (n,), rs in group(runs, "put", "n").items():
            fig["put"] = {"n": n, "put": pair(rs, "rust_put_ns", "c_put_ns", n),
                          "clone-drop": pair(rs, "rust_dput_ns", "c_dput_ns", n)}
    if "put-contended" in kinds:
        fig["put-contended"] = [{"n": n, "threads": k, **pair(rs, "rust_put_ns", "c_put_ns", n)}
                                for (n, k), rs in sorted(group(runs, "put-contended", "n", "threads").items(),
                                                         key=lambda kv: kv[0][1])]
    if "dispose" in kinds:
        fig["dispose"] = []
        for (n,), rs in sorted(group(runs, "dispose", "n").items()):
            d = {"n": n, **pair(rs, "rust_put_shrink_ns", "c_dput_ns", n),
                 "rust_dput": spread([r["rust_dput_ns"] / n for r in rs])}
            # The C peer of the same split, on a kernel that exports dput_to_list().
            if all("c_list_ns" in r for r in rs):
                d["list"] = pair(rs, "rust_put_shrink_ns", "c_list_ns", n)
            fig["dispose"].append(d)
    if "retain" in kinds:
        fig["retain"] = []
        for (n,), rs in sorted(group(runs, "retain", "n").items()):
            d = {"n": n, "new": pair(rs, "rust_new_ns", "c_new_ns", n),
                 "lru": pair(rs, "rust_lru_ns", "c_lru_ns", n)}
            for k in ("new", "lru"):
                if all(f"c_{k}_list_ns" in r for r in rs):
                    d[f"{k}_list"] = pair(rs, f"rust_{k}_ns", f"c_{k}_list_ns", n)
            fig["retain"].append(d)
    if "chain" in kinds:
        chain = []
        for (n,), rs in sorted(group(runs, "chain", "n").items()):
            chain.append({"n": n, "prune_ns": spread([r["prune_ns"] for r in rs]),
                          "leaf_only_ns": spread([r["leaf_only_ns"] for r in rs]),
                          "ratio_leaf_only_to_prune": spread([r["leaf_only_ns"] / r["prune_ns"] for r in rs])})
        fig["chain"] = {
            "sizes": chain,
            "exponent_prune": fit_exponent([(c["n"], c["prune_ns"]["median"]) for c in chain]),
            "exponent_leaf_only": fit_exponent([(c["n"], c["leaf_only_ns"]["median"]) for c in chain]),
        }
    if "umount" in kinds:
        um = {}
        for (fs, shape, n), rs in sorted(group(runs, "umount", "fs", "shape", "n").items()):
            um.setdefault(f"{fs}/{shape}", []).append({
                "n": n, "umount_ns": spread([r["umount_ns"] for r in rs]),
                "ns_per_dentry": spread([r["umount_ns"] / n for r in rs]),
                "build_ns": spread([r["build_ns"] for r in rs]),
            })
        fig["umount"] = {}
        for key, sizes in um.items():
            fs, shape = key.split("/")
            peer = {s["n"]: s for s in um.get(f"tmpfs/{shape}", [])}
            for s in sizes:
                if fs == "rdcachefs" and s["n"] in peer:
                    s["ratio_to_tmpfs"] = s["umount_ns"]["median"] / peer[s["n"]]["umount_ns"]["median"]
            fig["umount"][key] = {
                "sizes": sizes,
                "exponent": fit_exponent([(s["n"], s["umount_ns"]["median"]) for s in sizes]),
            }
    return fig


def goal_rows(fig):
    """[(what, n, value, goal, met)] for each instruction-count goal."""
    rows = []
    if "put" in fig:
        p = fig["put"]
        rows.append(("`put` of a non-last reference vs `dget()` + `lockref_put_or_lock()`", p["n"],
                     p["put"]["ratio"]["median"], GOALS["put"]))
        rows.append(("`DentryRef` clone + drop vs `dput(dget())`", p["n"], p["clone-drop"]["ratio"]["median"],
                     GOALS["clone-drop"]))
    for d in fig.get("dispose", []):
        rows.append(("N last references: `put` + one `shrink()` vs N `dput()`", d["n"], d["ratio"]["median"],
                     GOALS["dispose"]))
    for d in fig.get("retain", []):
        rows.append(("retain, new dentries: `put` + `shrink()` vs `dput()`", d["n"], d["new"]["ratio"]["median"],
                     GOALS["retain"]))
        rows.append(("retain, on the LRU: `put` + `shrink()` vs `dput()`", d["n"], d["lru"]["ratio"]["median"],
                     GOALS["retain"]))
    for shape in ("chain", "wide"):
        r = fig.get("umount", {}).get(f"rdcachefs/{shape}")
        if not r:
            continue
        for s in r["sizes"]:
            if "ratio_to_tmpfs" in s:
                rows.append((f"umount per dentry, {shape}, rdcachefs vs tmpfs", s["n"], s["ratio_to_tmpfs"],
                             GOALS["umount"]))
        if r["exponent"] is not None:
            rows.append((f"umount, {shape}: fitted exponent of instructions against N", "", r["exponent"],
                         GOALS["exponent"]))
    return [(w, n, v, g, v <= g) for w, n, v, g in rows]


def devloop(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                name, _, v = line.strip().partition(" ")
                if v:
                    try:
                        out[name] = float(v)
                    except ValueError:
                        out[name] = v
    except OSError:
        pass
    return out


def guest_boot_seconds(ktap_lines):
    for line in ktap_lines:
        m = re.search(r"guest up after ([\d.]+) s", line)
        if m:
            return float(m.group(1))
    return None


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    except OSError:
        pass
    return {"host": platform.node(), "kernel": platform.release(), "cpu": cpu, "cores": os.cpu_count(),
            "os": platform.freedesktop_os_release().get("PRETTY_NAME", "?")
            if hasattr(platform, "freedesktop_os_release") else "?"}


def fmt_spread(s, scale=1.0, digits=2):
    return (f"{s['median'] * scale:.{digits}f} ({s['min'] * scale:.{digits}f}..{s['max'] * scale:.{digits}f})")


def fmt_pct(s):
    """The spread of a ratio over its runs, as a share of its median."""
    return f"{100 * (s['max'] - s['min']) / s['median']:.2f}%" if s["median"] else "-"


def header(meta, mode):
    m, g = meta["machine"], meta.get(mode, {}).get("guest", {})
    what = ("guest instructions (QEMU TCG, `-accel tcg,thread=single -icount shift=0,sleep=off`: one "
            "nanosecond of guest time per instruction)" if mode == "icount" else
            "wall-clock time of an emulated guest (QEMU TCG, multi-threaded; absolute times are emulated, "
            "the ratios against a peer of the same run are the figures)")
    return (f"Measured {meta['date']} by `make bench` on {m['cpu']} ({m['cores']} cores, {m['os']}, host "
            f"`{m['host']}`): {what}; {g.get('cpus', '?')} vCPU(s); kernel config `{meta['kernel_config']}` "
            f"(no KASAN, lockdep or other detectors).  Median (min..max) of the runs shown.")


def pair_row(label, n, e, unit_digits=1, spread_pct=False):
    """A Rust-vs-C row; spread_pct: also the ratio's spread in percent."""
    return (f"| {label} | {n} | {e['c']['runs']} | {fmt_spread(e['rust'], digits=unit_digits)} | "
            f"{fmt_spread(e['c'], digits=unit_digits)} | {fmt_spread(e['ratio'], digits=3)} |"
            + (f" {fmt_pct(e['ratio'])} |" if spread_pct else ""))


def table(fig, meta):
    """The wall-clock table."""
    L = ["**Wall clock.** " + header(meta, "wall"), ""]
    L.append("| benchmark | N | runs | Rust layer | C peer (same work) | ratio Rust / C |")
    L.append("|---|---|---|---|---|---|")
    p = fig["put"]
    L.append(pair_row("non-last reference: clone + `ShrinkList::put` vs `dget()` + `lockref_put_or_lock()`, "
                      "ns/op", p["n"], p["put"]))
    L.append(pair_row("non-last reference: `DentryRef` clone + drop vs `dput(dget())`, ns/op", p["n"],
                      p["clone-drop"]))
    for c in fig["put-contended"]:
        L.append(pair_row(f"`put` vs C on one dentry, {c['threads']} thread(s) at once, ns/op per thread",
                          c["n"], c))
    for d in fig["dispose"]:
        L.append(pair_row("last references: `put` all + one `shrink()` vs N `dput()`, ns/dentry", d["n"], d, 0))
        if "list" in d:
            L.append(pair_row(f"{LIST_PEER}, last references, ns/dentry", d["n"], d["list"], 0))
    for d in fig["retain"]:
        L.append(pair_row("retain, new: `put` all + `shrink()` vs N `dput()`, ns/dentry", d["n"], d["new"], 0))
        L.append(pair_row("retain, on the LRU: `put` all + `shrink()` vs N `dput()`, ns/dentry", d["n"],
                          d["lru"], 0))
        for k, what in (("new_list", "retain, new"), ("lru_list", "retain, on the LRU")):
            if k in d:
                L.append(pair_row(f"{LIST_PEER}, {what}, ns/dentry", d["n"], d[k], 0))
    L.append("")
    ch = fig["chain"]
    L.append("| chain of N directories killed from its leaf | N | runs | with ancestor pruning, ms | "
             "leaf-only (no pruning), ms | leaf-only / pruning |")
    L.append("|---|---|---|---|---|---|")
    for s in ch["sizes"]:
        L.append(f"| | {s['n']} | {s['prune_ns']['runs']} | {fmt_spread(s['prune_ns'], 1e-6, 3)} | "
                 f"{fmt_spread(s['leaf_only_ns'], 1e-6, 1)} | {fmt_spread(s['ratio_leaf_only_to_prune'], digits=0)} |")
    if ch["exponent_prune"] is not None and ch["exponent_leaf_only"] is not None:
        L.append(f"| fitted exponent of time against N | | | {ch['exponent_prune']:.2f} | "
                 f"{ch['exponent_leaf_only']:.2f} | |")
    L.append("")
    L += umount_rows(fig["umount"], "us/dentry", 1e-3)
    L.append("")
    dl = meta["devloop"]
    if dl:
        L.append("| development loop (timed by the harness) | seconds |")
        L.append("|---|---|")
        what = dl.get("cold-setup-what", "?")
        names = [("cold-setup", f"cold set-up, last time it did real work ({what})"),
                 ("kernel-build-debug", "kernel build, test config (KASAN, lockdep), last time it ran"),
                 ("kernel-build-bench", "kernel build, bench config, last time it ran"),
                 ("module", "module build, this run"),
                 ("initramfs", "initramfs, this run"),
                 ("boot", "boot to /init (bench kernel), this run"),
                 ("edit-run-cycle", "one edit-run cycle: touch a source, module, initramfs, boot, smoke test")]
        for key, text in names:
            if key in dl and isinstance(dl[key], float):
                L.append(f"| {text} | {dl[key]:.1f} |")
    return "\n".join(L) + "\n"


def umount_rows(um, unit, scale):
    L = [f"| umount of N dentries | shape | N | runs | rdcachefs, {unit} | tmpfs, {unit} | rdcachefs / tmpfs | "
         f"rdcachefs - tmpfs, {unit} |",
         "|---|---|---|---|---|---|---|---|"]
    for shape in ("chain", "wide"):
        r = um.get(f"rdcachefs/{shape}", {"sizes": [], "exponent": None})
        t = {s["n"]: s for s in um.get(f"tmpfs/{shape}", {"sizes": []})["sizes"]}
        for s in r["sizes"]:
            ts = t.get(s["n"])
            L.append(f"| | {shape} | {s['n']} | {s['umount_ns']['runs']} | "
                     f"{fmt_spread(s['ns_per_dentry'], scale)} | "
                     f"{fmt_spread(ts['ns_per_dentry'], scale) if ts else '-'} | "
                     f"{s.get('ratio_to_tmpfs', float('nan')):.3f} | "
                     + (f"{(s['ns_per_dentry']['median'] - ts['ns_per_dentry']['median']) * scale:+.2f} |"
                        if ts else "- |"))
        te = um.get(f"tmpfs/{shape}", {}).get("exponent")
        re_ = r["exponent"]
        L.append(f"| fitted exponent of umount cost against N | {shape} | | | "
                 f"{re_:.3f} | {te:.3f} | | |" if re_ is not None and te is not None else
                 f"| fitted exponent | {shape} | | | - | - | | |")
    return L


def icount_table(fig, meta):
    """The instruction-count table, and the goals."""
    L = ["**Instructions.** " + header(meta, "icount"), ""]
    L.append("| operation | N | runs | Rust layer, instructions | C peer (same work), instructions | "
             "ratio Rust / C | ratio's spread |")
    L.append("|---|---|---|---|---|---|---|")
    p = fig["put"]
    for label, e in (("non-last reference: clone + `ShrinkList::put` vs `dget()` + `lockref_put_or_lock()`, per op",
                      p["put"]), ("`DentryRef` clone + drop vs `dput(dget())`, per op", p["clone-drop"])):
        L.append(pair_row(label, p["n"], e, spread_pct=True))
    for d in fig["dispose"]:
        L.append(pair_row("N last references: `put` + one `shrink()` vs N `dput()`, per dentry", d["n"], d, 0,
                          spread_pct=True))
        if "list" in d:
            L.append(pair_row(f"{LIST_PEER}, N last references, per dentry", d["n"], d["list"], 0,
                              spread_pct=True))
    for d in fig["retain"]:
        for k, label in (("new", "retain, new dentries"), ("lru", "retain, on the LRU")):
            L.append(pair_row(f"{label}: `put` + `shrink()` vs `dput()`, per dentry", d["n"], d[k], 0,
                              spread_pct=True))
            if f"{k}_list" in d:
                L.append(pair_row(f"{LIST_PEER}, {label}, per dentry", d["n"], d[f"{k}_list"], 0,
                                  spread_pct=True))
    L.append("")
    L += umount_rows(fig["umount"], "instructions/dentry", 1.0)
    L.append("")
    L.append("| goal (instructions) | N | measured | goal | met |")
    L.append("|---|---|---|---|---|")
    for what, n, v, g, met in goal_rows(fig):
        L.append(f"| {what} | {n} | {v:.3f} | <= {g:.2f} | {'yes' if met else '**no**, by ' + f'{100 * (v / g - 1):.2f}%'} |")
    return "\n".join(L) + "\n"


def gnuplot(outdir, fig, ifig=None):
    """PNG plots; returns the files written."""
    if not shutil.which("gnuplot"):
        print("bench_report: gnuplot not found (Debian package gnuplot-nox): no plots", file=sys.stderr)
        return []

    def umount_dat(um, tag):
        series = [k for k in ("rdcachefs/chain", "tmpfs/chain", "rdcachefs/wide", "tmpfs/wide") if k in um]
        for k in series:
            with open(os.path.join(outdir, f"umount{tag}-{k.replace('/', '-')}.dat"), "w") as f:
                for s in um[k]["sizes"]:
                    u = s["ns_per_dentry"]
                    f.write(f"{s['n']} {u['median']} {u['min']} {u['max']}\n")
        return ", ".join(f'"umount{tag}-{k.replace("/", "-")}.dat" using 1:2:3:4 with yerrorlines title '
                         f'"{k}' + (f' (exponent {um[k]["exponent"]:.2f})"' if um[k]["exponent"] is not None
                                     else '"') for k in series)

    with open(os.path.join(outdir, "chain.dat"), "w") as f:
        for s in fig["chain"]["sizes"]:
            f.write(f"{s['n']} {s['prune_ns']['median'] / 1e6} {s['prune_ns']['min'] / 1e6} "
                    f"{s['prune_ns']['max'] / 1e6} {s['leaf_only_ns']['median'] / 1e6} "
                    f"{s['leaf_only_ns']['min'] / 1e6} {s['leaf_only_ns']['max'] / 1e6}\n")
    with open(os.path.join(outdir, "contention.dat"), "w") as f:
        for c in fig["put-contended"]:
            f.write(f"{c['threads']} {c['rust']['median']} {c['rust']['min']} {c['rust']['max']} "
                    f"{c['c']['median']} {c['c']['min']} {c['c']['max']}\n")
    ch = fig["chain"]
    script = f"""
set terminal pngcairo size 900,600 font ",11" noenhanced
set grid
set key top left
set output "contention.png"
set title "put on one dentry from K threads at once: wall clock, emulated (median, min..max)"
set xlabel "threads (vCPUs)"
set ylabel "ns per operation per thread"
set xtics (1, 2, 4, 8, 16)
plot "contention.dat" using 1:2:3:4 with yerrorlines title "Rust: clone + ShrinkList::put", \\
     "contention.dat" using 1:5:6:7 with yerrorlines title "C: dget() + lockref_put_or_lock()"
set xtics autofreq
set logscale xy
set output "umount.png"
set title "umount cost per dentry, wall clock, emulated (median, min..max)"
set xlabel "dentries N"
set ylabel "ns per dentry"
plot {umount_dat(fig["umount"], "")}
set output "chain.png"
set title "Killing a chain of N directories from its leaf, wall clock"
set ylabel "time, ms"
plot "chain.dat" using 1:2:3:4 with yerrorlines title "ancestor pruning (exponent {ch['exponent_prune'] or 0:.2f})", \\
     "chain.dat" using 1:5:6:7 with yerrorlines title "leaf-only, no pruning (exponent {ch['exponent_leaf_only'] or 0:.2f})"
"""
    pngs = ["contention.png", "umount.png", "chain.png"]
    if ifig:
        script += f"""
set output "umount-icount.png"
set title "umount cost per dentry in guest instructions (median, min..max)"
set xlabel "dentries N"
set ylabel "instructions per dentry"
plot {umount_dat(ifig["umount"], "-icount")}
"""
        pngs.append("umount-icount.png")
    with open(os.path.join(outdir, "plots.gp"), "w") as f:
        f.write(script)
    proc = subprocess.run(["gnuplot", "plots.gp"], cwd=outdir, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"bench_report: gnuplot failed: {proc.stderr.strip()}", file=sys.stderr)
        return []
    return [os.path.join(outdir, p) for p in pngs]


def write_csv(path, fig, ifig=None):
    rows = [("mode", "benchmark", "variant", "shape", "n", "median", "min", "max", "runs", "unit")]

    def walk(mode, unit, bench, shape, n, e, prefix=""):
        for k, v in e.items():
            if isinstance(v, dict) and "median" in v:
                u = "ratio" if k.startswith("ratio") else unit
                rows.append((mode, bench, prefix + k, shape, n, f"{v['median']:.6g}", f"{v['min']:.6g}",
                             f"{v['max']:.6g}", v["runs"], u))
            elif isinstance(v, dict):
                walk(mode, unit, bench, shape, n, v, prefix + k + "/")

    for mode, f, unit in (("wall", fig, "ns"), ("icount", ifig, "instructions")):
        if not f:
            continue
        if "put" in f:
            walk(mode, unit + "/op", "put", "", f["put"]["n"], f["put"])
        for c in f.get("put-contended", []):
            walk(mode, unit + "/op", f"put-contended-{c['threads']}", "", c["n"], c)
        for kind in ("dispose", "retain"):
            for e in f.get(kind, []):
                walk(mode, unit + "/dentry", kind, "", e["n"], e)
        for e in f.get("chain", {}).get("sizes", []):
            walk(mode, unit, "chain", "chain", e["n"], e)
        for key, u in f.get("umount", {}).items():
            fs, shape = key.split("/")
            for s in u["sizes"]:
                walk(mode, unit, "umount", shape, s["n"], {f"{fs}_umount": s["umount_ns"],
                                                            f"{fs}_per_dentry": s["ns_per_dentry"]})
    with open(path, "w") as fh:
        for r in rows:
            fh.write(",".join(str(x) for x in r) + "\n")


def publish(outdir, md, plots):
    docs = os.path.join(TOP, "docs", "bench")
    os.makedirs(docs, exist_ok=True)
    # No plot of an earlier run stays beside this table.
    for old in glob.glob(os.path.join(docs, "*.png")):
        os.unlink(old)
    shutil.copy(os.path.join(outdir, "table.md"), docs)
    shutil.copy(os.path.join(outdir, "bench.json"), docs)
    for p in plots:
        shutil.copy(p, docs)
    page = os.path.join(TOP, "docs", "benchmarks.md")
    with open(page) as f:
        text = f.read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        # Relative to docs/benchmarks.md.
        body = md + "".join(f"\n![{os.path.basename(p)[:-4]}](bench/{os.path.basename(p)})\n" for p in plots)
        with open(page, "w") as f:
            f.write(head + begin + "\n" + body + end + tail)
        print(f"bench_report: updated {page} and {docs}", file=sys.stderr)


def compare_icount(prev_json, ifig):
    """[(what, n, previous, now, difference %)] of every instruction-count
    ratio against an earlier run's bench.json."""
    try:
        with open(prev_json) as f:
            prev = json.load(f).get("icount_figures")
    except (OSError, ValueError):
        return None
    if not prev:
        return None
    before = {(w, str(n)): v for w, n, v, _, _ in goal_rows(prev)}
    out = []
    for w, n, v, _, _ in goal_rows(ifig):
        if (w, str(n)) in before:
            b = before[(w, str(n))]
            out.append((w, n, b, v, 100 * abs(v - b) / b if b else float("inf")))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kdir", default="", help="the benchmarked kernel tree (for its config name)")
    ap.add_argument("--publish", action="store_true", help="copy to docs/bench/ and docs/benchmarks.md")
    ap.add_argument("--icount-only", action="store_true",
                    help="only the instruction counts (BENCH_MODES=icount): their table, written and printed")
    ap.add_argument("results")
    args = ap.parse_args()
    if args.icount_only and args.publish:
        ap.error("--publish needs both tables: not with --icount-only")
    ktap = os.path.join(args.results, "vm", "ktap.log")
    with open(ktap, errors="replace") as f:
        lines = f.read().splitlines()
    config, runs = parse(lines)
    iconfig, iruns = parse(lines, "BENCH-ICOUNT")
    if args.icount_only:
        meta = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "wall": {},
                "icount": {"guest": iconfig}, "kernel_config": os.path.basename(args.kdir.rstrip("/")) or "?",
                "devloop": {}}
        md = icount_table(figures(iruns, ICOUNT_KINDS), meta)
        with open(os.path.join(args.results, "table.md"), "w") as f:
            f.write(md)
        print(md)
        print(f"bench_report: wrote table.md in {args.results}", file=sys.stderr)
        return 0
    fig = figures(runs)
    ifig = figures(iruns, ICOUNT_KINDS)
    dl = devloop(os.path.join(args.results, "devloop.txt"))
    boot = guest_boot_seconds(lines)
    if boot is not None:
        dl["boot"] = boot
    meta = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "wall": {"guest": config},
            "icount": {"guest": iconfig}, "kernel_config": os.path.basename(args.kdir.rstrip("/")) or "?",
            "devloop": dl}
    # The run before this one, for the instruction counts' run-to-run check.
    prev = sorted(p for p in glob.glob(os.path.join(os.path.dirname(os.path.abspath(args.results)), "bench-*",
                                                    "bench.json"))
                  if os.path.dirname(p) != os.path.abspath(args.results))
    cmp = compare_icount(prev[-1], ifig) if prev else None
    with open(os.path.join(args.results, "bench.json"), "w") as f:
        json.dump({"meta": meta, "figures": fig, "icount_figures": ifig, "runs": runs, "icount_runs": iruns},
                  f, indent=1)
    write_csv(os.path.join(args.results, "bench.csv"), fig, ifig)
    md = icount_table(ifig, meta) + "\n" + table(fig, meta)
    if cmp:
        worst = max(cmp, key=lambda c: c[4])
        md += (f"\nInstruction-count ratios against the previous `make bench` "
               f"({os.path.basename(os.path.dirname(prev[-1]))}): {len(cmp)} compared, largest difference "
               f"{worst[4]:.2f}% ({worst[0]}, N={worst[1]}: {worst[2]:.4f} then, {worst[3]:.4f} now).\n")
    with open(os.path.join(args.results, "table.md"), "w") as f:
        f.write(md)
    plots = gnuplot(args.results, fig, ifig)
    print(md)
    print(f"bench_report: wrote bench.json, bench.csv, table.md{''.join(', ' + os.path.basename(p) for p in plots)}"
          f" in {args.results}", file=sys.stderr)
    if args.publish:
        publish(args.results, md, plots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
