#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make doc: the dcache layer's rustdoc as HTML.

The module is a crate of its own (rust/rdcache_main.rs, with the layer in
rust/dcache/), built by Kbuild against the kernel crate of the cached tree.
rustdoc documents it with the very flags Kbuild gave rustc for it, read from
Kbuild's own record of the command (rust/.rdcache_main.o.cmd): the same
target, cfgs, sanitizer flags and `--extern kernel` metadata, so what is
documented is what was built.  Only what makes rustc emit objects is left
out.  The flags keep -Dwarnings: a broken intra-doc link or any other
rustdoc warning fails it.  Links into the kernel crate go to
rust.docs.kernel.org.

    rustdoc.py [--src DIR] [--out DIR]

--src: a copy of the tree to document instead (make test's check of the
check documents a doctored copy); --out: where the HTML goes (default
results/doc; the layer's page is rdcache/dcache/index.html).  Exit status 1
on any warning or error, with rustdoc's output.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CMD_FILE = os.path.join("rust", ".rdcache_main.o.cmd")
KERNEL_DOCS = "https://rust.docs.kernel.org/"


def command(src, out):
    """(env, argv) of rustdoc for the module crate under `src`, from the
    rustc command Kbuild recorded there; None if the module was never built."""
    try:
        with open(os.path.join(src, CMD_FILE)) as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r"^savedcmd_\S+ := (.*)$", text, re.M)
    if not m:
        return None
    # Kbuild runs objtool after rustc, separated by ';'.
    words = shlex.split(m.group(1).split(" ; ")[0].split(";")[0])
    env = {}
    while words and re.match(r"^[A-Z_]+=", words[0]):
        k, _, v = words.pop(0).partition("=")
        env[k] = v
    rustc, args = words[0], words[1:]
    rustdoc = os.path.join(os.path.dirname(rustc), "rustdoc")
    argv, skip = [rustdoc], False
    for a in args:
        if skip:
            skip = False
        elif a == "--out-dir":
            skip = True
        elif not (a.startswith("--emit") or a.startswith("-Zbinary_dep_depinfo")):
            argv.append(a)
    argv += ["--crate-name", "rdcache", "--extern-html-root-url", f"kernel={KERNEL_DOCS}",
             "--extern-html-root-url", f"pin_init={KERNEL_DOCS}", "-o", out]
    # The kernel's build runs rustc with its unstable options allowed.
    env["RUSTC_BOOTSTRAP"] = "1"
    return env, argv


def build(src, out):
    """(ok, output lines) of rustdoc over the module under `src`."""
    cmd = command(src, out)
    if cmd is None:
        return False, [f"no {CMD_FILE} under {src}: build the module first (make module)"]
    env, argv = cmd
    try:
        p = subprocess.run(argv, cwd=src, env=dict(os.environ, **env), capture_output=True, text=True,
                           timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, [f"rustdoc did not run: {e!r}"]
    lines = (p.stdout + p.stderr).strip().splitlines()
    warned = any(re.match(r"(warning|error)(\[\w+\])?:", ln) for ln in lines)
    return p.returncode == 0 and not warned, lines + ([f"rustdoc exited {p.returncode}"] if p.returncode else [])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=TOP)
    ap.add_argument("--out", default=os.path.join(TOP, "results", "doc"))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    ok, lines = build(os.path.abspath(args.src), out)
    for ln in lines:
        print(ln)
    if not ok:
        print("rdcache: rustdoc failed or warned (above)", file=sys.stderr)
        return 1
    print(f"rdcache: the layer's documentation: {os.path.join(out, 'rdcache', 'dcache', 'index.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
