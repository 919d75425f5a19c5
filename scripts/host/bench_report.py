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
    table.md     the markdown table the README includes
    *.png        plots (gnuplot from Debian)

Every figure is a median over repeated runs, with min..max.  Times under
TCG emulation are inflated, so the headline figures are ratios against a peer
measured in the same run.  --publish also copies table.md and the plots to
docs/bench/ and the table into README.md between its bench markers.
"""

import argparse
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
KINDS = ("put", "put-contended", "dispose", "chain", "umount")


def parse(lines):
    """(config dict, [run dicts]) from KTAP lines; numbers become ints."""
    config, runs = {}, []
    for line in lines:
        m = re.search(r"# (BENCH-CONFIG|BENCH) (.*)$", line)
        if not m:
            continue
        words = m.group(2).split()
        fields = {}
        for w in words[(0 if m.group(1) == "BENCH-CONFIG" else 1):]:
            k, _, v = w.partition("=")
            fields[k] = int(v) if re.fullmatch(r"\d+", v) else v
        if m.group(1) == "BENCH-CONFIG":
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


def figures(runs):
    """Every figure: {name: {...}}; raises KeyError if a kind is missing."""
    fig = {}
    missing = [k for k in KINDS if not any(r["kind"] == k for r in runs)]
    if missing:
        raise KeyError("no measurements of: " + ", ".join(missing))

    for kind, variants in (("put", ("rust_put_ns", "rust_dput_ns", "c_dput_ns")),
                           ("put-contended", ("rust_put_ns", "c_dput_ns"))):
        for key, rs in group(runs, kind, "n").items():
            n = key[0]
            threads = rs[0].get("threads", 1)
            entry = {"n": n, "threads": threads}
            for v in variants:
                entry[v.replace("_ns", "_ns_per_op")] = spread([r[v] / n for r in rs])
            for v in variants[:-1]:
                entry[f"ratio_{v[:-3]}_to_c_dput"] = spread([r[v] / r["c_dput_ns"] for r in rs])
            fig[kind] = entry

    fig["dispose"] = []
    for (n,), rs in sorted(group(runs, "dispose", "n").items()):
        entry = {"n": n}
        for v in ("rust_put_shrink_ns", "rust_dput_ns", "c_dput_ns"):
            entry[v.replace("_ns", "_ns_per_dentry")] = spread([r[v] / n for r in rs])
        entry["ratio_put_shrink_to_c_dput"] = spread([r["rust_put_shrink_ns"] / r["c_dput_ns"] for r in rs])
        entry["ratio_rust_dput_to_c_dput"] = spread([r["rust_dput_ns"] / r["c_dput_ns"] for r in rs])
        fig["dispose"].append(entry)

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


def table(fig, meta):
    L = []
    L.append(f"Measured {meta['date']} by `make bench` on {meta['machine']['cpu']} "
             f"({meta['machine']['cores']} cores, {meta['machine']['os']}), QEMU TCG guest with "
             f"{meta['guest'].get('cpus', '?')} vCPUs, kernel config `{meta['kernel_config']}` "
             f"(no KASAN, lockdep or other detectors).  Median (min..max) of the runs shown; "
             f"absolute times are emulated, the ratios are the figures.")
    L.append("")
    L.append("| benchmark | N | runs | Rust layer | C peer | ratio Rust / C |")
    L.append("|---|---|---|---|---|---|")
    p = fig["put"]
    L.append(f"| non-last reference: `ShrinkList::put` vs `dput(dget())`, ns/op | {p['n']} | "
             f"{p['c_dput_ns_per_op']['runs']} | {fmt_spread(p['rust_put_ns_per_op'], digits=1)} | "
             f"{fmt_spread(p['c_dput_ns_per_op'], digits=1)} | {fmt_spread(p['ratio_rust_put_to_c_dput'])} |")
    L.append(f"| non-last reference: `DentryRef` drop vs `dput(dget())`, ns/op | {p['n']} | "
             f"{p['c_dput_ns_per_op']['runs']} | {fmt_spread(p['rust_dput_ns_per_op'], digits=1)} | "
             f"{fmt_spread(p['c_dput_ns_per_op'], digits=1)} | {fmt_spread(p['ratio_rust_dput_to_c_dput'])} |")
    c = fig["put-contended"]
    L.append(f"| same, {c['threads']} threads on one dentry, ns/op per thread | {c['n']} | "
             f"{c['c_dput_ns_per_op']['runs']} | {fmt_spread(c['rust_put_ns_per_op'], digits=1)} | "
             f"{fmt_spread(c['c_dput_ns_per_op'], digits=1)} | {fmt_spread(c['ratio_rust_put_to_c_dput'])} |")
    for d in fig["dispose"]:
        L.append(f"| last references: `put` all + one `shrink()` vs N `dput()`, ns/dentry | {d['n']} | "
                 f"{d['c_dput_ns_per_dentry']['runs']} | {fmt_spread(d['rust_put_shrink_ns_per_dentry'], digits=0)} | "
                 f"{fmt_spread(d['c_dput_ns_per_dentry'], digits=0)} | "
                 f"{fmt_spread(d['ratio_put_shrink_to_c_dput'])} |")
    L.append("")
    ch = fig["chain"]
    L.append("| chain of N directories killed from its leaf | N | runs | with ancestor pruning, ms | "
             "leaf-only (no pruning), ms | leaf-only / pruning |")
    L.append("|---|---|---|---|---|---|")
    for s in ch["sizes"]:
        L.append(f"| | {s['n']} | {s['prune_ns']['runs']} | {fmt_spread(s['prune_ns'], 1e-6, 3)} | "
                 f"{fmt_spread(s['leaf_only_ns'], 1e-6, 1)} | {fmt_spread(s['ratio_leaf_only_to_prune'], digits=0)} |")
    L.append(f"| fitted exponent of time against N | | | {ch['exponent_prune']:.2f} | "
             f"{ch['exponent_leaf_only']:.2f} | |")
    L.append("")
    L.append("| umount of N dentries | shape | N | runs | rdcachefs, us/dentry | tmpfs, us/dentry | "
             "rdcachefs / tmpfs |")
    L.append("|---|---|---|---|---|---|---|")
    um = fig["umount"]
    for shape in ("chain", "wide"):
        r = um.get(f"rdcachefs/{shape}", {"sizes": [], "exponent": None})
        t = {s["n"]: s for s in um.get(f"tmpfs/{shape}", {"sizes": []})["sizes"]}
        for s in r["sizes"]:
            ts = t.get(s["n"])
            L.append(f"| | {shape} | {s['n']} | {s['umount_ns']['runs']} | "
                     f"{fmt_spread(s['ns_per_dentry'], 1e-3)} | "
                     f"{fmt_spread(ts['ns_per_dentry'], 1e-3) if ts else '-'} | "
                     f"{s.get('ratio_to_tmpfs', float('nan')):.2f} |")
        te = um.get(f"tmpfs/{shape}", {}).get("exponent")
        re_ = r["exponent"]
        L.append(f"| fitted exponent of umount time against N | {shape} | | | "
                 f"{re_:.2f} | {te:.2f} | |" if re_ is not None and te is not None else
                 f"| fitted exponent | {shape} | | | - | - | |")
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
            if key in dl:
                L.append(f"| {text} | {dl[key]:.1f} |")
    return "\n".join(L) + "\n"


def gnuplot(outdir, fig):
    """PNG plots; returns the files written."""
    if not shutil.which("gnuplot"):
        print("bench_report: gnuplot not found (Debian package gnuplot-nox): no plots", file=sys.stderr)
        return []
    written = []
    um = fig["umount"]
    series = [k for k in ("rdcachefs/chain", "tmpfs/chain", "rdcachefs/wide", "tmpfs/wide") if k in um]
    for k in series:
        with open(os.path.join(outdir, f"umount-{k.replace('/', '-')}.dat"), "w") as f:
            for s in um[k]["sizes"]:
                u = s["umount_ns"]
                f.write(f"{s['n']} {u['median'] / 1e6} {u['min'] / 1e6} {u['max'] / 1e6}\n")
    with open(os.path.join(outdir, "chain.dat"), "w") as f:
        for s in fig["chain"]["sizes"]:
            f.write(f"{s['n']} {s['prune_ns']['median'] / 1e6} {s['prune_ns']['min'] / 1e6} "
                    f"{s['prune_ns']['max'] / 1e6} {s['leaf_only_ns']['median'] / 1e6} "
                    f"{s['leaf_only_ns']['min'] / 1e6} {s['leaf_only_ns']['max'] / 1e6}\n")
    plots = [f"umount-{k.replace('/', '-')}.dat" for k in series]
    titles = [f"{k} (exponent {um[k]['exponent']:.2f})" if um[k]["exponent"] is not None else k for k in series]
    ch = fig["chain"]
    script = f"""
set terminal pngcairo size 900,600 font ",11"
set logscale xy
set grid
set key top left
set output "umount.png"
set title "umount time against dentries (median, min..max)"
set xlabel "dentries N"
set ylabel "umount time, ms"
plot {", ".join(f'"{p}" using 1:2:3:4 with yerrorlines title "{t}"' for p, t in zip(plots, titles))}
set output "chain.png"
set title "Killing a chain of N directories from its leaf"
set ylabel "time, ms"
plot "chain.dat" using 1:2:3:4 with yerrorlines title "ancestor pruning (exponent {ch['exponent_prune'] or 0:.2f})", \\
     "chain.dat" using 1:5:6:7 with yerrorlines title "leaf-only, no pruning (exponent {ch['exponent_leaf_only'] or 0:.2f})"
"""
    with open(os.path.join(outdir, "plots.gp"), "w") as f:
        f.write(script)
    proc = subprocess.run(["gnuplot", "plots.gp"], cwd=outdir, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"bench_report: gnuplot failed: {proc.stderr.strip()}", file=sys.stderr)
        return []
    for p in ("umount.png", "chain.png"):
        written.append(os.path.join(outdir, p))
    return written


def write_csv(path, fig):
    rows = [("benchmark", "variant", "shape", "n", "median", "min", "max", "runs", "unit")]

    def add(bench, variant, shape, n, s, unit):
        rows.append((bench, variant, shape, n, f"{s['median']:.6g}", f"{s['min']:.6g}", f"{s['max']:.6g}",
                     s["runs"], unit))
    for kind in ("put", "put-contended"):
        e = fig[kind]
        for k, v in e.items():
            if isinstance(v, dict):
                add(kind, k, "", e["n"], v, "ratio" if k.startswith("ratio") else "ns/op")
    for e in fig["dispose"]:
        for k, v in e.items():
            if isinstance(v, dict):
                add("dispose", k, "", e["n"], v, "ratio" if k.startswith("ratio") else "ns/dentry")
    for e in fig["chain"]["sizes"]:
        for k, v in e.items():
            if isinstance(v, dict):
                add("chain", k, "chain", e["n"], v, "ratio" if k.startswith("ratio") else "ns")
    for key, u in fig["umount"].items():
        fs, shape = key.split("/")
        for s in u["sizes"]:
            add("umount", f"{fs}_umount_ns", shape, s["n"], s["umount_ns"], "ns")
            add("umount", f"{fs}_ns_per_dentry", shape, s["n"], s["ns_per_dentry"], "ns/dentry")
    with open(path, "w") as f:
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")


def publish(outdir, md, plots):
    docs = os.path.join(TOP, "docs", "bench")
    os.makedirs(docs, exist_ok=True)
    shutil.copy(os.path.join(outdir, "table.md"), docs)
    shutil.copy(os.path.join(outdir, "bench.json"), docs)
    for p in plots:
        shutil.copy(p, docs)
    readme = os.path.join(TOP, "README.md")
    with open(readme) as f:
        text = f.read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        body = md + "\n![umount time against dentry count](docs/bench/umount.png)\n"
        with open(readme, "w") as f:
            f.write(head + begin + "\n" + body + end + tail)
        print(f"bench_report: updated {readme} and {docs}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kdir", default="", help="the benchmarked kernel tree (for its config name)")
    ap.add_argument("--publish", action="store_true", help="copy to docs/bench/ and README.md")
    ap.add_argument("results")
    args = ap.parse_args()
    ktap = os.path.join(args.results, "vm", "ktap.log")
    with open(ktap, errors="replace") as f:
        lines = f.read().splitlines()
    config, runs = parse(lines)
    fig = figures(runs)
    dl = devloop(os.path.join(args.results, "devloop.txt"))
    boot = guest_boot_seconds(lines)
    if boot is not None:
        dl["boot"] = boot
    meta = {"date": time.strftime("%Y-%m-%d"), "machine": machine(), "guest": config,
            "kernel_config": os.path.basename(args.kdir.rstrip("/")) or "?", "devloop": dl}
    with open(os.path.join(args.results, "bench.json"), "w") as f:
        json.dump({"meta": meta, "figures": fig, "runs": runs}, f, indent=1)
    write_csv(os.path.join(args.results, "bench.csv"), fig)
    md = table(fig, meta)
    with open(os.path.join(args.results, "table.md"), "w") as f:
        f.write(md)
    plots = gnuplot(args.results, fig)
    print(md)
    print(f"bench_report: wrote bench.json, bench.csv, table.md{''.join(', ' + os.path.basename(p) for p in plots)}"
          f" in {args.results}", file=sys.stderr)
    if args.publish:
        publish(args.results, md, plots)
    return 0


if __name__ == "__main__":
    sys.exit(main())
