# SPDX-License-Identifier: GPL-2.0
"""Compile-fail tests of the dcache layer's types.

Each rust/dcache/compile_fail/<case>.rs declares what must happen when it is
built as a module beside the real layer:

    //! expect: E0597 does not live long enough     (error code and message)
    //! expect: ok                                   (positive control)

A case may also mark lines with `//~ ERROR` (as rustc's own UI tests do): each
marked line must then be where one of the errors is reported, so a case that
tries several misuses fails if any one of them builds.

The case is built with the kernel's own rules (make -C KDIR M=<tmp>), as a
crate whose root includes rust/dcache/ by path and the case as a submodule.
A case passes only if the build fails with exactly the expected error (and
no other error code), or, for 'ok', builds.

A passing verdict is kept in the cache ($RDCACHE_CACHE/compile-fail/),
keyed by a hash of everything the build reads that can change: every file
under rust/dcache/ (the case among them), this script, the kernel tree's
.config, Module.symvers, rustc cfg and Rust crate metadata (the kernel crate
a case is checked against), the rustc it names, the make arguments and the
environment the kernel's make reads (KRUSTFLAGS, KCFLAGS, CLIPPY).  A second
make test on the same sources reuses it and says so; any edit builds again.
A failure is never cached (a full disk must not stick).
"""

import functools
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CASES = os.path.join(TOP, "rust", "dcache", "compile_fail")

ROOT = """// SPDX-License-Identifier: GPL-2.0
//! compile-fail harness crate (generated)
#![allow(dead_code)]
use kernel::prelude::*;

#[path = "{layer}"]
pub mod dcache;

#[path = "{case}"]
mod case;

module! {{
    type: Cf,
    name: "rdcache_cf",
    authors: ["rdcache developers"],
    description: "rdcache compile-fail case",
    license: "GPL",
}}

struct Cf;

impl kernel::Module for Cf {{
    fn init(_module: &'static ThisModule) -> Result<Self> {{
        Ok(Cf)
    }}
}}
"""


def cases():
    return sorted(os.path.join(CASES, f) for f in os.listdir(CASES) if f.endswith(".rs"))


def marked_lines(path):
    """The line numbers a case marks with `//~ ERROR` after code (not in
    a comment line, such as the case's own description)."""
    with open(path) as f:
        return [n for n, line in enumerate(f, 1)
                if not line.lstrip().startswith("//") and re.search(r"//~\s*ERROR\b", line)]


def unmarked_misuses(path, out):
    """The lines marked `//~ ERROR` in case `path` that no error of the
    build output `out` is reported at (rustc's `--> file:line:col`)."""
    base = re.escape(os.path.basename(path))
    seen = {int(n) for n in re.findall(r"^\s*--> \S*" + base + r":(\d+):\d+", out, re.M)}
    return [n for n in marked_lines(path) if n not in seen]


def expectation(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"//!\s*expect:\s*(\S+)\s*(.*)$", line)
            if m:
                return m.group(1), m.group(2).strip()
    return None, None


@functools.lru_cache(maxsize=4)
def tree_digest(kdir):
    """What Kbuild and rustc read of the kernel tree a case is built against
    (a KDIR= tree rebuilt in place changes these, not its path).  Once per
    run: the cases share it."""
    h = hashlib.sha256()
    tree = [os.path.join(kdir, f) for f in (".config", "Module.symvers", "include/generated/rustc_cfg")]
    tree += sorted(glob.glob(os.path.join(kdir, "rust", "*.rmeta")) + glob.glob(os.path.join(kdir, "rust", "*.so")))
    for f in tree:
        h.update(os.path.relpath(f, kdir).encode() + b"\0")
        try:
            with open(f, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
        except OSError:
            h.update(b"missing")
    return h.digest()


def cache_key(path, kdir, kmake_args, top=TOP):
    """The hash of what building `path` reads (see above)."""
    h = hashlib.sha256()
    layer = os.path.join(top, "rust", "dcache")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(layer) for f in fs
                   if not f.endswith((".o", ".cmd", ".d")))
    for name, f in [(os.path.relpath(f, top), f) for f in files] + [("compile_fail.py", os.path.abspath(__file__))]:
        h.update(name.encode() + b"\0")
        with open(f, "rb") as fh:
            h.update(fh.read() + b"\0")
    h.update(tree_digest(kdir))
    env = " ".join(f"{k}={os.environ.get(k, '')}" for k in ("KRUSTFLAGS", "KCFLAGS", "CLIPPY"))
    h.update(f"{os.path.realpath(kdir)}\0{kmake_args}\0{env}\0{os.path.relpath(path, top)}".encode())
    return h.hexdigest()[:24]


def cache_dir():
    return os.path.join(os.environ.get("RDCACHE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rdcache"), "compile-fail")


def run_case_cached(path, kdir, kmake_args):
    """run_case(), or its verdict for the same inputs from the cache:
    (ok, detail)."""
    entry = os.path.join(cache_dir(), cache_key(path, kdir, kmake_args) + ".json")
    try:
        with open(entry) as f:
            rec = json.load(f)
        return rec["ok"], f"{rec['detail']} (cached: the same inputs built on {rec['when']})"
    except (OSError, ValueError, KeyError):
        pass
    ok, detail = run_case(path, kdir, kmake_args)
    if not ok:
        return ok, detail
    try:
        os.makedirs(cache_dir(), exist_ok=True)
        with open(entry + ".tmp", "w") as f:
            json.dump({"ok": ok, "detail": detail, "when": time.strftime("%Y-%m-%d %H:%M")}, f)
        os.replace(entry + ".tmp", entry)
    except OSError:
        pass
    return ok, detail


def run_case(path, kdir, kmake_args):
    """(ok, detail) for one case."""
    code, message = expectation(path)
    if not code:
        return False, "no '//! expect:' line"
    tmp = tempfile.mkdtemp(prefix="rdcache-cf-")
    try:
        with open(os.path.join(tmp, "Kbuild"), "w") as f:
            f.write("rustflags-y += -Dwarnings\nobj-m := rdcache_cf.o\n"
                    "rdcache_cf-y := cf_main.o glue.o helpers/dcache.o helpers/fs_type.o\n"
                    f"include {os.path.join(TOP, 'rust', 'dcache', 'dput_to_list.mk')}\n"
                    "rustflags-y += $(rdc_dput_to_list_rustflags) $(rdc_rustc_rustflags)\n"
                    "rdcache_cf-$(rdc_fallback) += fallback.o\n")
            for o in ("helpers/dcache.o", "helpers/fs_type.o"):
                f.write(f"CFLAGS_{o} += -D__rust_helper=\n"
                        f"CFLAGS_REMOVE_{o} += -Wmissing-prototypes -Wmissing-declarations\n")
        for name in ("glue.c", "glue.h", "fallback.c"):
            shutil.copy(os.path.join(TOP, "rust", "dcache", name), tmp)
        shutil.copytree(os.path.join(TOP, "rust", "dcache", "helpers"), os.path.join(tmp, "helpers"))
        with open(os.path.join(tmp, "cf_main.rs"), "w") as f:
            f.write(ROOT.format(layer=os.path.join(TOP, "rust", "dcache", "mod.rs"), case=path))
        proc = subprocess.run(["make", "-C", kdir, f"M={tmp}"] + kmake_args.split() + ["modules"],
                              capture_output=True, text=True, timeout=600)
        out = proc.stdout + proc.stderr
        with open(os.path.join(TOP, "results", "compile-fail-" + os.path.basename(path)[:-3] + ".log"), "w") as f:
            f.write(out)
        errors = sorted(set(re.findall(r"^error\[(E\d{4})\]", out, re.M)))
        first = next((ln for ln in out.splitlines() if ln.startswith("error")), "")
        if code == "ok":
            return proc.returncode == 0, "builds" if proc.returncode == 0 else f"does not build: {first}"
        if proc.returncode == 0:
            return False, f"built, but {code} was expected"
        if errors != [code]:
            return False, f"expected only {code}, got {errors or 'no error code'}: {first}"
        if message and message not in out:
            return False, f"{code} without '{message}': {first}"
        missed = unmarked_misuses(path, out)
        if missed:
            return False, f"built without an error at line(s) {', '.join(map(str, missed))} marked //~ ERROR"
        return True, first
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
