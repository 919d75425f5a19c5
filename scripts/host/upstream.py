#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make upstream: the dcache layer as a patch series against Linux 7.3.

The series is made from the files the module builds (rust/dcache/), by a
mechanical rewrite and nothing else:

  rust/dcache/<x>.rs        -> rust/kernel/fs/<x>.rs  (glue::rdc_f -> bindings::f,
                               kernel:: -> crate::, other rdc_f -> rust_helper_f)
  rust/dcache/helpers/<x>.c -> rust/helpers/<x>.c     (rdc_f -> rust_helper_f)
  rust/dcache/mod.rs        -> rust/kernel/fs.rs      (its `pub mod`/`pub use`
                               lines and its //! text from "# Brands" and
                               "# The rules" on, added to 7.3's own)

plus the in-tree wiring (helpers.c includes, Kconfig.test, .kunitconfig,
MAINTAINERS) and the commit messages of scripts/upstream/.  Then it checks,
printing one line per check:

  apply        the patches apply, one by one, to a pristine 7.3 tree
  checkpatch   scripts/checkpatch.pl --strict: nothing on any patch
  build K/N    the tree with patches 1..K builds (CLIPPY=1, the project's
               debug config plus the suite's option) with no warning that
               the pristine build did not have
  rustfmtcheck make rustfmtcheck on the patched tree
  rustdoc      make rustdoc: no warning about the series' files
  module       rdcache.ko still builds, against the patched tree
  kunit        the built-in rust_fs_dcache suite passes at boot, and the
               whole boot log is clean (the project's runner judges it)

The series is written to docs/upstream/ (with checks.txt, this run's lines).
Trees and builds live in $RDCACHE_CACHE/upstream/.
"""

import argparse
import email.message as email_message
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAYER = os.path.join(TOP, "rust", "dcache")
MSGS = os.path.join(TOP, "scripts", "upstream")
DOCS = os.path.join(TOP, "docs", "upstream")

# The layer's Rust files and the patch that adds each; the rest of
# rust/dcache/ (glue.rs, glue.c, hardirq.rs, layout.rs, layout_c.c,
# layout_tests.rs, peer.rs, workqueue.rs) is rdcache's own.
RUST = {"dentry.rs": 3, "fs_type.rs": 3, "inode.rs": 3, "mount.rs": 3, "super_block.rs": 3,
        "shrink_list.rs": 4, "tests.rs": 5}
HELPERS = {"dcache.c": 2, "fs_type.c": 2}
# The C patches, first in the series: (diff under scripts/upstream/c/, the
# patch that applies it).  A kernel with them is the "patched kernel" the
# out-of-tree module detects at build time (rust/Kbuild).
C_PATCHES = [("dcache-export-dput_to_list.diff", 1)]
KCONFIG = "RUST_FS_DCACHE_KUNIT_TEST"
SUITE = "rust_fs_dcache"
PATCHES = ["0-dcache-export.txt", "1-helpers.txt", "2-types.txt", "3-shrink-list.txt", "4-kunit.txt"]
# Which sections of mod.rs's //! text go into fs.rs, from which patch.
DOC_SECTIONS = {"Brands": 3, "The rules": 4, "The pattern": 4}
C_TOUCHED = ["fs/dcache.c", "fs/internal.h", "include/linux/dcache.h"]
TOUCHED = ["MAINTAINERS", "rust/helpers/helpers.c", "rust/kernel/Kconfig.test", "rust/kernel/fs.rs"] + C_TOUCHED


def say(msg):
    print(f"upstream: {msg}", file=sys.stderr, flush=True)


def read(path):
    with open(path) as f:
        return f.read()


def write(path, text):
    """Write via rename, never in place (trees may share inodes)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".rdcache-tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


# ---- the rewrite ----------------------------------------------------------

def strip_rdcache_only(text, what):
    """Drop what only the out-of-tree module needs: the lines from a
    `// rdcache-only {` line to its `// } rdcache-only` line (the fallback
    for kernels without the dput_to_list() export), and the
    `#[cfg(rdc_dput_to_list)]` attributes, which the series' kernel always
    meets.  Anything else naming rdc_dput_to_list is an error."""
    out, depth = [], 0
    for ln in text.split("\n"):
        s = ln.strip()
        if s in ("// rdcache-only {", "/* rdcache-only { */"):
            depth += 1
        elif s in ("// } rdcache-only", "/* } rdcache-only */"):
            if not depth:
                raise SystemExit(f"upstream: {what}: '{s}' without its opening line")
            depth -= 1
        elif not depth and s != "#[cfg(rdc_dput_to_list)]":
            out.append(ln)
    if depth:
        raise SystemExit(f"upstream: {what}: an rdcache-only block is not closed")
    text = "\n".join(out)
    if "rdc_dput_to_list" in text or "rdcache-only" in text:
        raise SystemExit(f"upstream: {what}: rdc_dput_to_list or rdcache-only left after the strip")
    return text


def rewrite_rust(text):
    text = re.sub(r"\bglue::rdc_(\w+)", r"bindings::\1", text)
    text = re.sub(r"^use super::glue;\n", "", text, flags=re.M)
    text = re.sub(r"^\s+glue,\n", "", text, flags=re.M)
    text = re.sub(r"\{glue, ", "{", text)
    text = re.sub(r", glue\}", "}", text)
    text = re.sub(r", glue, ", ", ", text)
    text = re.sub(r"use super::\{([^,{}]+)\};", r"use super::\1;", text)
    text = re.sub(r"\bkernel::", "crate::", text)
    text = re.sub(r"\brdc_(\w+)", r"rust_helper_\1", text)
    if "glue" in re.sub(r"//.*", "", text):
        raise SystemExit("upstream: a layer file still uses glue after the rewrite")
    return text


def rewrite_c(text):
    """rdc_f -> rust_helper_f, with the continuation lines of a renamed
    definition or call re-aligned to its open parenthesis (kernel style)."""
    out, col, depth = [], None, 0
    for line in text.split("\n"):
        new = re.sub(r"\brdc_", "rust_helper_", line)
        if col is not None:
            new = "\t" * (col // 8) + " " * (col % 8) + new.lstrip()
            depth += new.count("(") - new.count(")")
            if depth <= 0:
                col = None
        elif new != line and new.count("(") > new.count(")"):
            m = re.search(r"\brust_helper_\w+\(", new)
            if m:
                col = len(new[:m.end()].expandtabs(8))
                depth = new.count("(") - new.count(")")
        out.append(new)
    return "\n".join(out)


def doc_sections():
    """mod.rs's //! text, split at its '# ' headings: {title: lines}."""
    sections, title = {}, None
    for line in strip_rdcache_only(read(os.path.join(LAYER, "mod.rs")), "mod.rs").splitlines():
        if not line.startswith("//!"):
            continue
        m = re.match(r"//! # (.*)", line)
        if m:
            title = next((t for t in DOC_SECTIONS if m.group(1).startswith(t)), None)
            if title is None:
                raise SystemExit(f"upstream: mod.rs section '{m.group(1)}' has no patch")
            sections[title] = []
        if title:
            sections[title].append(line)
    for t in sections:
        while sections[t] and sections[t][-1] == "//!":
            sections[t].pop()
    return sections


def fs_rs(pristine, stage):
    mod = read(os.path.join(LAYER, "mod.rs"))
    lines = pristine.split("\n")
    first = next(i for i, ln in enumerate(lines) if ln.startswith("//!"))
    end = next(i for i in range(first, len(lines)) if not lines[i].startswith("//!"))
    header, rest = "\n".join(lines[:end]), "\n".join(lines[end:]).lstrip("\n")
    header = header.replace(
        "//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)",
        "//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),\n"
        "//! [`include/linux/dcache.h`](srctree/include/linux/dcache.h),\n"
        "//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h)")
    secs = doc_sections()
    docs = [secs[t] for t in secs if DOC_SECTIONS[t] <= stage]
    doc = "\n//!\n".join("\n".join(d) for d in docs)
    mods = [m for m, s in RUST.items() if s <= stage and m != "tests.rs"]
    names = sorted(m[:-3] for m in mods)
    # 64-bit only: never built for a 32-bit kernel (no known dependency
    # on 64 bits is left: data and node ids are values).  Not with
    # CONFIG_RUST_INLINE_HELPERS: every crate would link its own copy of the
    # helpers' per-CPU guard and callback records, and a record written by
    # one crate's code would not be seen by another's checks.
    cfg = "CONFIG_64BIT, not(CONFIG_RUST_INLINE_HELPERS)"
    items = "".join(f"#[cfg(all({cfg}))]\npub mod {n};\n" for n in names)
    if RUST["tests.rs"] <= stage:
        items += f"\n#[cfg(all({cfg}, CONFIG_{KCONFIG}))]\nmod tests;\n"
    uses = [f"#[cfg(all({cfg}))]\n" + ln for ln in mod.splitlines() if re.match(r"pub use (\w+)::", ln)
            and re.match(r"pub use (\w+)::", ln).group(1) in names]
    missing = [n for n in names if not re.search(rf"^pub mod {n};$", mod, re.M)]
    if missing:
        raise SystemExit(f"upstream: mod.rs has no 'pub mod' for {missing}")
    return f"{header}\n//!\n{doc}\n\n{rest.rstrip()}\n\n{items}\n" + "\n".join(uses) + "\n"


def helpers_c(pristine, stage):
    text = pristine
    for name in sorted(HELPERS):
        inc = f'#include "{name}"\n'
        lines = [ln for ln in text.splitlines(keepends=True)]
        incs = [i for i, ln in enumerate(lines) if re.match(r'#include "[^/]*\.c"', ln)]
        pos = next((i for i in incs if lines[i] > inc), incs[-1] + 1)
        lines.insert(pos, inc)
        text = "".join(lines)
    return text


KCONFIG_TEXT = f"""config {KCONFIG}
	bool "KUnit tests for the Rust dentry and shrink-list abstractions" if !KUNIT_ALL_TESTS
	default KUNIT_ALL_TESTS
	help
	  This option enables KUnit tests for the Rust dentry, superblock,
	  mount and shrink-list abstractions (rust/kernel/fs/).  They register
	  and mount a small file system of their own.  These are only for
	  development and testing, not for regular kernel use cases.

	  If unsure, say N.

"""


def kconfig_test(pristine):
    i = pristine.rindex("endif")
    return pristine[:i] + KCONFIG_TEXT + pristine[i:]


def maintainers(pristine, stage, author):
    files = sorted([f"rust/helpers/{h}" for h, s in HELPERS.items() if s <= stage]
                   + [f"rust/kernel/fs/{r}" for r, s in RUST.items() if s <= stage]
                   + (["rust/kernel/fs/.kunitconfig"] if RUST["tests.rs"] <= stage else []))
    entry = ("RUST [DCACHE]\n"
             f"M:\t{author}\n"
             "L:\tlinux-fsdevel@vger.kernel.org\n"
             "L:\trust-for-linux@vger.kernel.org\n"
             "S:\tMaintained\n" + "".join(f"F:\t{f}\n" for f in files) + "\n")
    anchor = "\nRUST [INTEROP]\n"
    if anchor not in pristine:
        raise SystemExit("upstream: MAINTAINERS has no 'RUST [INTEROP]' entry to insert before")
    return pristine.replace(anchor, "\n" + entry + anchor[1:], 1)


def c_files(pristine, stage):
    """{path: text} of the C files, with the C patches up to `stage` applied
    (git apply, in a scratch directory, to the pristine texts)."""
    diffs = [d for d, s in C_PATCHES if s <= stage]
    if not diffs:
        return dict(pristine)
    with tempfile.TemporaryDirectory(prefix="rdcache-cpatch-") as tmp:
        for p, text in pristine.items():
            write(os.path.join(tmp, p), text)
        for d in diffs:
            r = subprocess.run(["git", "apply", "--whitespace=error", os.path.join(MSGS, "c", d)],
                               cwd=tmp, capture_output=True, text=True)
            if r.returncode:
                raise SystemExit(f"upstream: scripts/upstream/c/{d} does not apply to 7.3: {r.stderr.strip()}")
        return {p: read(os.path.join(tmp, p)) for p in pristine}


def stage_files(ksrc, stage, author):
    """{path: text} of every file the series touches, after patch `stage`."""
    out = {}
    pristine = {p: read(os.path.join(ksrc, p)) for p in TOUCHED}
    rust_in = stage >= min(HELPERS.values())
    out["MAINTAINERS"] = maintainers(pristine["MAINTAINERS"], stage, author) if rust_in else pristine["MAINTAINERS"]
    out["rust/helpers/helpers.c"] = helpers_c(pristine["rust/helpers/helpers.c"], stage) if rust_in else \
        pristine["rust/helpers/helpers.c"]
    for h, s in HELPERS.items():
        if s <= stage:
            out[f"rust/helpers/{h}"] = rewrite_c(strip_rdcache_only(read(os.path.join(LAYER, "helpers", h)), h))
    out.update(c_files({p: pristine[p] for p in C_TOUCHED}, stage))
    out["rust/kernel/fs.rs"] = fs_rs(pristine["rust/kernel/fs.rs"], stage) if stage >= RUST["dentry.rs"] else \
        pristine["rust/kernel/fs.rs"]
    for r, s in RUST.items():
        if s <= stage:
            out[f"rust/kernel/fs/{r}"] = rewrite_rust(strip_rdcache_only(read(os.path.join(LAYER, r)), r))
    if RUST["tests.rs"] <= stage:
        out["rust/kernel/Kconfig.test"] = kconfig_test(pristine["rust/kernel/Kconfig.test"])
        out["rust/kernel/fs/.kunitconfig"] = (
            "CONFIG_KUNIT=y\nCONFIG_RUST=y\nCONFIG_RUST_KUNIT_TESTS=y\n"
            f"CONFIG_{KCONFIG}=y\n")
    else:
        out["rust/kernel/Kconfig.test"] = pristine["rust/kernel/Kconfig.test"]
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, **kw)


def git(repo, *args, env=None, capture=True):
    e = dict(os.environ, **(env or {}))
    return subprocess.run(["git", "-C", repo] + list(args), check=True, text=True, env=e,
                          capture_output=capture).stdout


def rustfmt(ksrc, paths, args):
    """rustfmt each file on its own (stdin: its `mod` items are not followed)."""
    for p in paths:
        r = subprocess.run([args.rustfmt, "--edition", "2021", "--config-path", os.path.join(ksrc, ".rustfmt.toml")],
                           input=read(p), capture_output=True, text=True)
        if r.returncode:
            raise SystemExit(f"upstream: rustfmt failed on {p}: {r.stderr.strip()[:500]}")
        write(p, r.stdout)


# Domains no person's mail goes to (RFC 2606, RFC 6761), and single labels.
RESERVED_TLDS = ("example", "invalid", "test", "localhost", "local", "arpa", "internal", "lan", "home")
RESERVED_DOMAINS = ("example.com", "example.org", "example.net")


def placeholder(name, email):
    """Why `name <email>` cannot sign a Developer's Certificate of Origin,
    or None."""
    if not name or not email:
        return "no identity (neither UPSTREAM_AUTHOR nor git config user.name/user.email)"
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", email):
        return f"'{email}' is not a mail address"
    domain = email.rsplit("@", 1)[1].lower().rstrip(".")
    labels = domain.split(".")
    if (len(labels) < 2 or labels[-1] in RESERVED_TLDS
            or any(domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS)):
        return f"'{email}' is in a reserved or local domain, which no person reads"
    if re.search(r"no-?reply", email, re.I):
        return f"'{email}' is a no-reply address"
    if re.search(r"\bmaintainers\b|\bplaceholder\b|\bunknown\b", name, re.I) or len(name.split()) < 2:
        return f"'{name}' is not a person's full name"
    return None


def identity():
    """(name, email, where from, why it cannot sign or None): the person the
    series is from, UPSTREAM_AUTHOR='Full Name <address>' or else git config
    user.name and user.email."""
    env = os.environ.get("UPSTREAM_AUTHOR", "").strip()
    if env:
        m = re.fullmatch(r"([^<>]+?)\s*<([^<>\s]+)>", env)
        if not m:
            raise SystemExit(f"upstream: UPSTREAM_AUTHOR='{env}' is not 'Full Name <address>'")
        name, email, source = m.group(1).strip(), m.group(2), "UPSTREAM_AUTHOR"
    else:
        def cfg(key):
            return subprocess.run(["git", "-C", TOP, "config", key], capture_output=True, text=True).stdout.strip()
        name, email, source = cfg("user.name"), cfg("user.email"), "git config"
    return name, email, source, placeholder(name, email)


def series_env():
    """Git's environment for the series: who (identity(); a marked stand-in
    if there is none) and one date for every commit, from the sources, so
    that the same sources give the same series."""
    name, email, _, _ = identity()
    if not name or not email:
        name, email = "rdcache (unsigned)", "unsigned@rdcache.invalid"
    date = git(TOP, "log", "-1", "--format=%cI", "--", "rust/dcache", "scripts/upstream",
               "scripts/host/upstream.py").strip() or "2026-12-01T00:00:00+00:00"
    return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}


def identity_check():
    """(ok, detail) of make upstream's identity check."""
    name, email, source, problem = identity()
    if not problem:
        return True, f"signed off by {name} <{email}> ({source})"
    return False, (f"not signed off: {problem} ({source}); set UPSTREAM_AUTHOR='Full Name <address>' "
                   "or git config user.name/user.email to a person's, who certifies the DCO")


def make_series(ksrc, cache, args, repo_name="series"):
    """Build the series repository; format-patch it into a new directory.
    Signed off only by an identity that can sign (identity()); otherwise
    unsigned, and make upstream's identity check fails."""
    env = series_env()
    name, email, problem = env["GIT_AUTHOR_NAME"], env["GIT_AUTHOR_EMAIL"], identity()[3]
    author = f"{name} <{email}>"
    repo = repo_name if os.path.isabs(repo_name) else os.path.join(cache, repo_name)
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    git(repo, "init", "-q")
    git(repo, "config", "core.autocrlf", "false")
    prev = {}
    for stage in range(0, len(PATCHES) + 1):
        files = stage_files(ksrc, stage, author)
        for p in prev:
            if p not in files:
                os.unlink(os.path.join(repo, p))
        for p, text in files.items():
            write(os.path.join(repo, p), text)
        rustfmt(ksrc, [os.path.join(repo, p) for p in files if p.endswith(".rs") and stage], args)
        prev = files
        git(repo, "add", "-A")
        if stage == 0:
            git(repo, "commit", "-q", "-m", "linux-source-7.3: the files the series touches", env=env)
            continue
        msg = read(os.path.join(MSGS, PATCHES[stage - 1])).rstrip() + "\n"
        if not problem:
            msg += f"\nSigned-off-by: {author}\n"
        subprocess.run(["git", "-C", repo, "commit", "-q", "-F", "-"], input=msg, text=True,
                       check=True, env=dict(os.environ, **env))
    # b4 makes the mails, as a submitter would: b4 prep enrolls the branch
    # (its cover letter is an empty commit), get_maintainer.pl gives To and
    # Cc (b4 prep --auto-to-cc), b4 send -o writes them without sending.
    git(repo, "checkout", "-q", "-b", "rust-fs-dcache")
    git(repo, "config", "user.name", name)
    git(repo, "config", "user.email", email)
    getm = (f"perl {os.path.join(ksrc, 'scripts', 'get_maintainer.pl')} --no-tree "
            f"--mpath {os.path.join(repo, 'MAINTAINERS')} --nogit --nogit-fallback --nogit-chief-penguins "
            "--norolestats")
    git(repo, "config", "b4.send-auto-to-cmd", getm + " --nol")
    git(repo, "config", "b4.send-auto-cc-cmd", getm + " --nom")
    b4(repo, "prep", "-e", f"HEAD~{len(PATCHES)}", env=env)
    out = b4_mails(repo, cover_text(None, None), env)
    patches = sorted(glob.glob(os.path.join(out, "*.patch")))
    return repo, out, patches


def b4(repo, *args, env=None, editor=None):
    """Runs b4 in the series repository; its output on failure."""
    e = dict(os.environ, **(env or {}))
    if editor:
        e["EDITOR"] = e["GIT_EDITOR"] = editor
    r = subprocess.run(["b4"] + list(args), cwd=repo, capture_output=True, text=True, env=e)
    if r.returncode:
        raise SystemExit(f"upstream: b4 {' '.join(args)} failed: {(r.stdout + r.stderr).strip()[-800:]}")
    return r.stdout


def cover_text(checks, kunit):
    """The cover letter: subject, blank line, body, from scripts/upstream/
    cover-letter.txt with the evidence and the checks filled in."""
    blurb = read(os.path.join(MSGS, "cover-letter.txt"))
    subject, body = blurb.split("\n", 1)
    _, _, _, problem = identity()
    if problem:
        body = (textwrap.fill("NOT SIGNED OFF: make upstream signs only for a person's identity "
                              f"(UPSTREAM_AUTHOR or git config); here {problem}.", 72)
                + "\n\n" + body.lstrip("\n"))
    body = body.replace("@EVIDENCE@", evidence(kunit)).replace(
        "@CHECKS@", "\n".join("  " + ln for ln in checks.lines) if checks and checks.lines else "  (not run)")
    return subject.strip() + "\n\n" + body.strip() + "\n"


def b4_mails(repo, cover, env):
    """Sets the cover letter to `cover` (b4 prep --edit-cover), collects To
    and Cc (b4 prep --auto-to-cc), and writes the mails (b4 send -o) into a
    new directory, as NNNN-*.patch; returns it."""
    tmp = tempfile.mkdtemp(prefix="rdcache-b4-")
    text = os.path.join(tmp, "cover.txt")
    write(text, cover)
    editor = os.path.join(tmp, "editor.sh")
    # Keeps b4's tracking section, replaces the rest.
    write(editor, "#!/bin/sh\n{ cat " + shlex.quote(text) + "; echo; "
          "sed -n '/^--- b4-submit-tracking ---$/,$p' \"$1\"; } >\"$1.new\" && mv \"$1.new\" \"$1\"\n")
    os.chmod(editor, 0o755)
    b4(repo, "prep", "--edit-cover", env=env, editor=editor)
    b4(repo, "prep", "--auto-to-cc", env=env)
    out = os.path.join(tmp, "mails")
    b4(repo, "send", "--no-sign", "-o", out, env=env)
    for f in glob.glob(os.path.join(out, "*.eml")):
        os.rename(f, f[:-len(".eml")] + ".patch")
    return out


# ---- the checks -----------------------------------------------------------

class Checks:
    def __init__(self):
        self.lines = []
        self.failed = 0

    def result(self, ok, name, detail):
        line = f"{'ok' if ok else 'FAIL'} {name}: {detail}"
        self.lines.append(line)
        if not ok:
            self.failed += 1
        print(line, flush=True)
        return ok


def ticker(what, start):
    stop = threading.Event()

    def tick():
        while not stop.wait(60):
            say(f"  {what}: {int(time.time() - start)} s")
    threading.Thread(target=tick, daemon=True).start()
    return stop


def warning_keys(log):
    """Warnings of a build log, without line numbers: a set of strings."""
    keys = set()
    lines = log.splitlines()
    for i, ln in enumerate(lines):
        if not re.search(r"\bwarning\b", ln, re.I) or re.match(r"warning: \d+ warnings? emitted", ln):
            continue
        if re.match(r"\s*=", ln):
            continue
        where = ""
        if ln.startswith("warning"):
            nxt = next((x for x in lines[i + 1:i + 4] if x.strip().startswith("-->")), "")
            where = re.sub(r":\d+(:\d+)?", "", nxt.strip())
        keys.add(re.sub(r":\d+(:\d+)?", "", ln.strip()) + (" " + where if where else ""))
    return keys


def new_warnings(log, base, ours):
    """(sorted warnings of build log `log` that `base` lacks and that name a
    path of `ours`, how many others `base` lacks): only the first count
    against the series (7.3's own files may warn under CLIPPY=1 and a newer
    rustc than its pristine build's log saw)."""
    keys = warning_keys(log) - base
    new = sorted(k for k in keys if any(o in k for o in ours))
    return new, len(keys) - len(new)


def kmake(tree, build, target, args, log, extra=()):
    cmd = ["make", "-C", tree, f"O={build}", f"-j{args.jobs}"] + args.kmake + list(extra) + [target]
    start = time.time()
    stop = ticker(f"make {target}", start)
    try:
        with open(log, "w") as f:
            rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
    finally:
        stop.set()
    return rc, time.time() - start


def series_paths(repo, n):
    """The paths the last `n` commits of the series repository touch."""
    return git(repo, "diff", "--name-only", f"HEAD~{n}", "HEAD").split()


def stage_tree_files(repo, stage, n, paths):
    """{path: text or None (absent)} of `paths` after patch `stage` of `n`."""
    out = {}
    for p in paths:
        r = subprocess.run(["git", "-C", repo, "show", f"HEAD~{n - stage}:{p}"], capture_output=True, text=True)
        out[p] = r.stdout if r.returncode == 0 else None
    return out


def sync_tree(tree, ksrc, files):
    """Make `tree`'s series files `files` ({path: text or None}), writing
    only those whose text differs (their mtimes drive the rebuild).  A path
    the series does not have yet gets the pristine text, or goes; so does a
    path an earlier version of the series touched and this one does not
    (the tree records them in .rdcache-series-paths)."""
    record = os.path.join(tree, ".rdcache-series-paths")
    earlier = read(record).split() if os.path.exists(record) else []
    files = dict(files)
    for p in earlier:
        files.setdefault(p, None)
    write(record, "\n".join(sorted(files)) + "\n")
    for p, text in files.items():
        dst = os.path.join(tree, p)
        if text is None and os.path.exists(os.path.join(ksrc, p)):
            text = read(os.path.join(ksrc, p))
        if text is None:
            if os.path.exists(dst):
                os.unlink(dst)
        elif not os.path.exists(dst) or read(dst) != text:
            write(dst, text)


def apply_check(ksrc, repo, series):
    """None if the patches apply in order to the pristine files they touch;
    else what went wrong."""
    with tempfile.TemporaryDirectory(prefix="rdcache-apply-") as tmp:
        for p in series_paths(repo, len(series)):
            if os.path.exists(os.path.join(ksrc, p)):
                write(os.path.join(tmp, p), read(os.path.join(ksrc, p)))
        for p in series:
            r = subprocess.run(["git", "apply", "--whitespace=error", p], cwd=tmp, capture_output=True, text=True)
            if r.returncode:
                return f"{os.path.basename(p)} does not apply: {r.stderr.strip()[:300]}"
    return None


def olddefconfig(tree, build, args, base=None, add=""):
    """The build's .config: `base` (or the current one) plus `add`, through
    make olddefconfig."""
    os.makedirs(build, exist_ok=True)
    cfg = read(base or os.path.join(build, ".config")) + add
    write(os.path.join(build, ".config"), cfg)
    run(["make", "-C", tree, f"O={build}"] + args.kmake + ["olddefconfig"], stdout=subprocess.DEVNULL)
    return read(os.path.join(build, ".config"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ksrc", required=True, help="pristine 7.3 source")
    ap.add_argument("--kdir", required=True, help="the project's debug kernel build (its .config is used)")
    ap.add_argument("--kmake-args", default="")
    ap.add_argument("--cache", required=True)
    ap.add_argument("--rustfmt", default="/usr/bin/rustfmt")
    ap.add_argument("--jobs", default=str(os.cpu_count() or 2))
    ap.add_argument("--series-only", action="store_true", help="write the series, run no check")
    ap.add_argument("--check-docs", action="store_true",
                    help="make test's host check: make the series afresh (in a scratch repository), "
                         "compare it with docs/upstream/ and run checkpatch on it; prints one "
                         "'ok|FAIL name: detail' line per check")
    args = ap.parse_args()
    # A patched tree (KPATCH=1) names the pristine one it was made from: the
    # series is made and checked against the pristine files.
    origin = os.path.join(args.ksrc, ".rdcache-pristine")
    if os.path.exists(origin):
        args.ksrc = read(origin).strip()
    args.kmake = args.kmake_args.split() + ["CLIPPY=1"]
    cache = os.path.join(args.cache, "upstream")
    os.makedirs(cache, exist_ok=True)
    if args.check_docs:
        return check_docs(cache, args)

    repo, out, patches = make_series(args.ksrc, cache, args)
    series = [p for p in patches if not os.path.basename(p).startswith("0000-")]
    say(f"{len(series)} patches in {out}")
    checks = Checks()
    if args.series_only:
        # The checks of the last full run still describe this series if the
        # series is the same (mail headers and who makes it aside): keep them.
        old = os.path.join(DOCS, "checks.txt")
        fresh = {os.path.basename(p): p for p in series}
        if os.path.exists(old) and not series_differences(fresh, DOCS):
            # Who signs is not part of the comparison: judge it anew.
            ok, detail = identity_check()
            now = f"{'ok' if ok else 'FAIL'} identity: {detail}"
            checks.lines = [now if re.match(r"(ok|FAIL) identity:", ln) else ln
                            for ln in read(old).splitlines() if ln.strip()]
            say("the series is unchanged: keeping the checks of the last make upstream")
        publish(repo, out, checks, args, None)
        return 0

    # A tree of our own: a copy of the pristine source, whose series files
    # are reset before every run.
    tree = os.path.join(cache, "linux")
    if not os.path.isfile(os.path.join(tree, ".rdcache-copied")):
        say(f"copying the pristine source to {tree} (once)")
        shutil.rmtree(tree, ignore_errors=True)
        run(["cp", "-a", args.ksrc, tree])
        write(os.path.join(tree, ".rdcache-copied"), "")
    build = os.path.join(cache, "build")
    logs = os.path.join(cache, "logs")
    shutil.rmtree(logs, ignore_errors=True)
    os.makedirs(logs)

    # checkpatch, on each patch (from the pristine tree, as a maintainer would).
    bad = []
    for p in series:
        r = subprocess.run(["perl", os.path.join(tree, "scripts/checkpatch.pl"), "--strict"] + unsigned_ignore() + [p],
                           cwd=tree, capture_output=True, text=True)
        total = re.search(r"total: (\d+) errors, (\d+) warnings, (\d+) checks", r.stdout)
        with open(os.path.join(logs, "checkpatch-" + os.path.basename(p) + ".log"), "w") as f:
            f.write(r.stdout + r.stderr)
        if not total or total.groups() != ("0", "0", "0"):
            bad.append(f"{os.path.basename(p)}: {total.group(0) if total else 'no total line'}")
    checks.result(not bad, "checkpatch", "; ".join(bad) if bad else
                  f"--strict: 0 errors, 0 warnings, 0 checks on each of {len(series)} patches"
                  + (" (its missing Signed-off-by aside: see identity)" if unsigned_ignore() else ""))
    ok, detail = identity_check()
    checks.result(ok, "identity", detail)

    # apply: the patches, one by one, to the pristine files they touch (a
    # scratch copy of those, with git apply as a maintainer would).
    problem = apply_check(args.ksrc, repo, series)
    checks.result(problem is None, "apply", problem or f"all {len(series)} patches apply in order to pristine "
                  "linux-source-7.3 (git apply --whitespace=error)")
    if problem:
        publish(repo, out, checks, args, None)
        return 1

    # Builds, patch by patch, in one tree whose series files are written only
    # where their text changes: a C header rewritten to the same text would
    # rebuild the whole kernel.  The first build of a fresh tree builds
    # everything (about 15 minutes); later ones rebuild what changed.  The
    # pristine tree is not built: a warning counts against the series when
    # it names a file the series touches and was not in a build of the
    # pristine source (the project's kernel's build.log, and any earlier
    # pristine build of this tree).
    cfg = olddefconfig(tree, build, args, os.path.join(args.kdir, ".config"), "\nCONFIG_RUST_KUNIT_TESTS=y\n")
    if "CONFIG_RUST_KUNIT_TESTS=y" not in cfg:
        raise SystemExit("upstream: CONFIG_RUST_KUNIT_TESTS did not stick on the pristine tree")
    base = set()
    for f in (os.path.join(args.kdir, "build.log"), os.path.join(cache, "baseline-warnings.txt")):
        if os.path.exists(f):
            base |= warning_keys(read(f)) if f.endswith(".log") else \
                {ln for ln in read(f).splitlines() if ln.strip()}
    ours = series_paths(repo, len(series))
    broken = None
    for i, p in enumerate(series, 1):
        if broken:
            checks.result(False, f"build {i}/{len(series)}", f"not built: {broken}")
            continue
        sync_tree(tree, args.ksrc, stage_tree_files(repo, i, len(series), ours))
        if i == RUST["tests.rs"]:
            if f"CONFIG_{KCONFIG}=y" not in olddefconfig(tree, build, args, add=f"CONFIG_{KCONFIG}=y\n"):
                checks.result(False, f"build {i}/{len(series)}", f"CONFIG_{KCONFIG} did not stick")
        log = os.path.join(logs, f"build-{i}.log")
        say(f"building with patches 1..{i}")
        rc, secs = kmake(tree, build, "all", args, log)
        new, other = new_warnings(read(log), base, ours)
        subject = re.search(r"^Subject: \[PATCH [^]]*\] (.*)", read(p), re.M).group(1)
        checks.result(rc == 0 and not new, f"build {i}/{len(series)}",
                      (f"{secs:.0f} s, CLIPPY=1, no new warnings in the series' files"
                       + (f" ({other} in 7.3's own files, not judged: {log})" if other else "")
                       + f" ({subject})" if rc == 0 and not new else
                       f"does not build ({log})" if rc else f"{len(new)} new warning(s): {new[0]} ({log})"))
        if rc:
            broken = f"build {i}/{len(series)} failed"

    rc, _ = kmake(tree, build, "rustfmtcheck", args, os.path.join(logs, "rustfmtcheck.log"))
    checks.result(rc == 0, "rustfmtcheck", "make rustfmtcheck: clean" if rc == 0 else
                  f"not clean: {logs}/rustfmtcheck.log")
    if broken:
        for name in ("rustdoc", "module", "kunit"):
            checks.result(False, name, f"not run: {broken}")
        publish(repo, out, checks, args, None)
        return 1
    rc, _ = kmake(tree, build, "rustdoc", args, os.path.join(logs, "rustdoc.log"))
    doclog = read(os.path.join(logs, "rustdoc.log"))
    ours = [k for k in warning_keys(doclog) if "rust/kernel/fs" in k or "rust/helpers/" in k]
    checks.result(rc == 0 and not ours, "rustdoc",
                  "make rustdoc: the new docs build without warnings" if rc == 0 and not ours else
                  f"rc={rc}, {len(ours)} warning(s) in the series' files: {ours[:2]} ({logs}/rustdoc.log)")

    kunit = boot_suite(tree, build, args, checks, logs)
    publish(repo, out, checks, args, kunit)
    print(f"make upstream: {len(checks.lines)} checks, {len(checks.lines) - checks.failed} passed, "
          f"{checks.failed} failed")
    return 1 if checks.failed else 0


# Lines that differ between two makings of the same series: commit ids and dates.
VOLATILE = re.compile(r"^(From [0-9a-f]{40} |Date: |index [0-9a-f]+\.\.[0-9a-f]+)")
# Lines that name who makes the series (git config, UPSTREAM_AUTHOR): the
# same sources give the same series whoever makes it.
WHO = re.compile(r"^(From: |Signed-off-by: |\+M:\t| <[^<>]*@[^<>]*>$)")


def comparable(mail):
    """The lines of a patch mail that the sources decide: its Subject and its
    body, without the mail headers (dates, message ids, To/Cc), the lines
    naming who makes it, blob ids, and the signature (b4's git version)."""
    head, _, body = mail.partition("\n\n")
    # The Subject, with its folded lines.
    subject = re.findall(r"^Subject: .*(?:\n[ \t].*)*", head, re.M)
    # The signature: the last "-- " line and what follows (b4's git version).
    cut = body.rfind("\n-- \n")
    body = body[:cut] if cut >= 0 else body
    return subject + [ln for ln in body.splitlines() if not VOLATILE.match(ln) and not WHO.match(ln)]


def series_differences(fresh, docs_dir):
    """How the patches in `fresh` ({name: path}) differ from docs_dir's."""
    docs = {os.path.basename(p): p for p in glob.glob(os.path.join(docs_dir, "0*.patch"))
            if not os.path.basename(p).startswith("0000-")}
    differ = []
    for name in sorted(set(fresh) | set(docs)):
        if name not in fresh or name not in docs:
            differ.append(f"{name} {'only in docs/upstream' if name in docs else 'not in docs/upstream'}")
            continue
        a, b = comparable(read(fresh[name])), comparable(read(docs[name]))
        if a != b:
            first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            differ.append(f"{name} differs from line {first + 1}")
    return differ


def unsigned_ignore():
    """checkpatch's options for an unsigned series (identity() cannot sign):
    its missing Signed-off-by is the identity check's failure, not
    checkpatch's."""
    return ["--ignore", "MISSING_SIGN_OFF"] if identity()[3] else []


def checkpatch_problems(ksrc, patches):
    """['name: total ...: first report'] for each patch checkpatch --strict is not silent on."""
    bad = []
    for name, p in sorted(patches.items()):
        r = subprocess.run(["perl", os.path.join(ksrc, "scripts/checkpatch.pl"), "--strict"] + unsigned_ignore()
                           + [p], cwd=ksrc, capture_output=True, text=True)
        total = re.search(r"total: (\d+) errors, (\d+) warnings, (\d+) checks", r.stdout)
        if not total or total.groups() != ("0", "0", "0"):
            first = next((ln for ln in r.stdout.splitlines() if re.match(r"(ERROR|WARNING|CHECK):", ln)), "")
            bad.append(f"{name}: {total.group(0) if total else 'no total line'}: {first}")
    return bad


def helper_names(text):
    """The names `bindings::` gives the helpers of a helper file's text."""
    return re.findall(r"^__rust_helper\s+[^(]*?\b(?:rdc|rust_helper)_(\w+)\(", text, re.M)


def clashing_helpers(kdir, names):
    """Helper names that are functions of the kernel's own bindings already.
    rust/bindings/lib.rs lets such a function win over the helper, so the
    layer would call the C function, not its helper: silently where the
    types agree."""
    gen = os.path.join(kdir, "rust", "bindings", "bindings_generated.rs")
    have = set(re.findall(r"\bpub fn (\w+)\(", read(gen)))
    return sorted(n for n in names if n in have)


def check_docs(cache, args):
    """make test's host checks, each with the self-test that makes it fire."""
    checks = Checks()
    # A repository of this run's own: make test and make upstream may run
    # side by side, or two make tests in two clones.
    scratch = tempfile.mkdtemp(prefix="rdcache-upstream-check-")
    repo, out, patches = make_series(args.ksrc, cache, args, repo_name=os.path.join(scratch, "series"))
    try:
        fresh = {os.path.basename(p): p for p in patches if not os.path.basename(p).startswith("0000-")}
        differ = series_differences(fresh, DOCS)
        checks.result(not differ, "upstream/series-in-sync",
                      "; ".join(differ) + " (rerun make upstream)" if differ else
                      f"docs/upstream/ is the series the sources make ({len(fresh)} patches)")
        # The detector fires: the fresh series itself, with one added line
        # of its last patch changed, must differ there and only there.
        stale = os.path.join(scratch, "stale")
        os.makedirs(stale)
        for p in fresh.values():
            shutil.copy(p, stale)
        victim = sorted(fresh)[-1]
        lines = read(os.path.join(stale, victim)).split("\n")
        i = next(i for i, ln in enumerate(lines) if ln.startswith("+") and not ln.startswith("+++"))
        lines[i] += " (stale)"
        write(os.path.join(stale, victim), "\n".join(lines))
        found = series_differences(fresh, stale)
        checks.result(len(found) == 1 and found[0].startswith(victim),
                      "upstream/series-in-sync-detects-a-changed-line",
                      f"the series with line {i + 1} of {victim} changed: {found or 'no difference seen'}")
        names = [n for h in HELPERS for n in helper_names(read(os.path.join(LAYER, "helpers", h)))]
        clash = clashing_helpers(args.kdir, names)
        checks.result(bool(names) and not clash, "upstream/helper-names-are-free",
                      f"clash with functions of the kernel's bindings: {clash}" if clash else
                      f"none of the {len(names)} helpers is named as a function the bindings have")
        # The detector fires: d_mark_dontcache() is an exported C function
        # (fs/inode.c) that once had a helper of the same name.
        found = clashing_helpers(args.kdir, names + ["d_mark_dontcache"])
        checks.result(found == ["d_mark_dontcache"], "upstream/helper-names-detects-a-clash",
                      f"a helper named d_mark_dontcache: found {found}")
        # make upstream's "no new warnings" detector, on logs whose lines it
        # must tell apart: the same warning at other line numbers is old; a
        # C and a Rust warning the baseline lacks, in the series' files, are
        # new; one the baseline lacks in 7.3's own files is counted, not
        # judged.
        base = warning_keys("rust/helpers/dcache.c:10:5: warning: unused variable 'x' [-Wunused-variable]\n"
                            "warning: 1 warning emitted\n")
        new, other = new_warnings(
            "rust/helpers/dcache.c:12:5: warning: unused variable 'x' [-Wunused-variable]\n"
            "rust/helpers/dcache.c:140:9: warning: static function 'f' is used in an inline "
            "function with external linkage [-Wstatic-in-inline]\n"
            "warning: unused import: `to_result`\n  --> rust/kernel/fs/dentry.rs:57:27\n"
            "drivers/a.c:30:1: warning: unused function 'y' [-Wunused-function]\n", base,
            ["rust/helpers/dcache.c", "rust/kernel/fs/dentry.rs"])
        checks.result(len(new) == 2 and other == 1 and all(("'f'" in k) or ("dentry.rs" in k) for k in new),
                      "upstream/new-warning-detector",
                      f"{len(new)} new in the series' files and {other} elsewhere, of 4 warnings (wanted 2 "
                      f"and 1: a moved old one is not new): {new}")
        # Nothing of the out-of-tree fallback reaches the series: the strip
        # leaves no rdcache-only text, and refuses an unclosed block.
        leaked = [n for n, p in fresh.items() for ln in read(p).splitlines()
                  if ln.startswith("+") and re.search(r"rdc_dput_to_list|rdcache-only|rdc_shrink_keep|"
                                                      r"dput_last_to_list|Deferred\b", ln)]
        checks.result(not leaked, "upstream/no-fallback-in-series",
                      f"fallback text in {sorted(set(leaked))}" if leaked else
                      "the series has no line of the dput_to_list() fallback (rdcache-only blocks, cfgs, "
                      "rdc_shrink_keep, Deferred)")
        # Citations name functions, not line numbers, which go stale with
        # every release: no "file.c:123" in the series, nor in the module's
        # own sources of the layer (fallback.c, glue.c are read by the same
        # reviewers).
        cited = line_citations([(n, read(p)) for n, p in fresh.items()] +
                               [(os.path.relpath(f, TOP), read(f)) for f in sorted(
                                   glob.glob(os.path.join(LAYER, "*.rs")) + glob.glob(os.path.join(LAYER, "*.c"))
                                   + glob.glob(os.path.join(LAYER, "helpers", "*.c")))
                                if not os.path.basename(f).startswith("layout_c")])
        checks.result(not cited, "upstream/cites-functions-not-lines",
                      f"line-number citations: {cited[:3]}" if cited else
                      "no 'file.c:N' citation in the series or the layer's sources")
        found = line_citations([("self-test", "+ * as dput() does (fs/dcache.c:876 in 7.3.4)\n")])
        checks.result(len(found) == 1, "upstream/cites-functions-detects-a-line-number",
                      f"a 'fs/dcache.c:876' citation: found {found}")
        cases = [("Seed 86e7fb7a maintainers", "maintainers@users.noreply.r-seed-86e7fb7a.example", False),
                 ("Jane Hacker", "jane@example.com", False), ("Jane Hacker", "jane@host.invalid", False),
                 ("Jane Hacker", "jane@mail.example.com", False), ("Jane Hacker", "jane@nas.home.arpa", False),
                 ("root", "root@localhost", False), ("", "", False), ("Jane Hacker", "jane@kernel.org", True)]
        wrong = [f"{n} <{e}>" for n, e, ok in cases if (placeholder(n, e) is None) != ok]
        checks.result(not wrong, "upstream/identity-refuses-placeholders",
                      f"misjudged: {wrong}" if wrong else
                      f"{sum(not ok for *_, ok in cases)} placeholders refused, a person's address taken")
        # rust/dcache/dput_to_list.mk: the module's choice of put() from the
        # kernel it is built against, on made-up trees: 7.3's own header
        # without the export, the series' header with it, and each without
        # the other (refused).
        seen = kbuild_choices(args.ksrc)
        want = {"stock": "fallback", "patched": "dput_to_list", "declared only": "refused",
                "exported only": "refused"}
        checks.result(seen == want, "upstream/kbuild-chooses-put-by-kernel",
                      f"{seen}" if seen != want else "stock 7.3: fallback; with the series' C patch: "
                      "dput_to_list; a header and Module.symvers that disagree: refused")
        try:
            strip_rdcache_only("a\n// rdcache-only {\nb\n", "self-test")
            refused = None
        except SystemExit as e:
            refused = str(e)
        checks.result(refused is not None and "not closed" in refused, "upstream/strip-detects-an-open-block",
                      refused or "an rdcache-only block left open was not refused")
        bad = checkpatch_problems(args.ksrc, fresh)
        checks.result(not bad, "upstream/checkpatch", "; ".join(bad) if bad else
                      f"--strict: nothing on any of {len(fresh)} patches")
        # The detector fires: a patch with one added line made too long.
        name = sorted(fresh)[-1]
        lines = read(fresh[name]).split("\n")
        i = next(i for i, ln in enumerate(lines) if re.match(r"\+\s*// ", ln))
        lines[i] = lines[i] + " " + "x" * 100
        long_patch = os.path.join(scratch, name)
        write(long_patch, "\n".join(lines))
        found = checkpatch_problems(args.ksrc, {name: long_patch})
        checks.result(bool(found) and "line length" in found[0], "upstream/checkpatch-detects-a-long-line",
                      found[0] if found else "checkpatch was silent on a 100-column overrun")
    finally:
        shutil.rmtree(os.path.dirname(out), ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if checks.failed else 0


def kbuild_choices(ksrc):
    """{case: fallback|dput_to_list|refused}: what rust/dcache/dput_to_list.mk
    decides for a kernel with 7.3's header or the series' (the C patches
    applied to a copy of linux/dcache.h), and a Module.symvers with or
    without dput_to_list."""
    stock = read(os.path.join(ksrc, "include", "linux", "dcache.h"))
    patched = c_files({p: read(os.path.join(ksrc, p)) for p in C_TOUCHED}, 1)["include/linux/dcache.h"]
    symvers = "0x00000000\t__move_to_shrink_list\tvmlinux\tEXPORT_SYMBOL\t\n"
    export = "0x00000000\tdput_to_list\tvmlinux\tEXPORT_SYMBOL_GPL\t\n"
    cases = {"stock": (stock, symvers), "patched": (patched, symvers + export),
             "declared only": (patched, symvers), "exported only": (stock, symvers + export)}
    out = {}
    with tempfile.TemporaryDirectory(prefix="rdcache-kbuild-") as tmp:
        mk = os.path.join(tmp, "Makefile")
        write(mk, f"include {os.path.join(LAYER, 'dput_to_list.mk')}\n"
                  "all: ; @echo 'fallback=$(rdc_fallback) flags=$(rdc_dput_to_list_rustflags)'\n")
        for case, (header, table) in cases.items():
            tree = os.path.join(tmp, case.replace(" ", "-"))
            write(os.path.join(tree, "include", "linux", "dcache.h"), header)
            write(os.path.join(tree, "Module.symvers"), table)
            r = subprocess.run(["make", "-s", "-f", mk, f"srctree={tree}", f"objtree={tree}"],
                               capture_output=True, text=True)
            out[case] = ("refused" if r.returncode and "differently" in r.stderr else
                         "dput_to_list" if "flags=--cfg rdc_dput_to_list" in r.stdout and "fallback= " in r.stdout
                         else "fallback" if "fallback=y flags=" in r.stdout else f"? {r.stdout}{r.stderr}".strip())
    return out


LINE_CITATION = re.compile(r"\b[\w./-]+\.(?:c|h|rs):\d+")


def line_citations(texts):
    """['name: citation'] of the line-number citations in [(name, text)]."""
    return [f"{name}: {m.group(0)}" for name, text in texts for m in LINE_CITATION.finditer(text)]


def boot_suite(tree, build, args, checks, logs):
    """Build rdcache.ko against the patched tree in a scratch copy of the
    project, then boot the patched kernel with the project's runner: its
    built-in suite runs before /init, the guest script checks its KTAP, and
    the runner judges the whole kernel log."""
    scratch = tempfile.mkdtemp(prefix="rdcache-upstream-")
    try:
        for p in ["Kbuild", "Makefile", "rust", "scripts", "qemu"]:
            src = os.path.join(TOP, p)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(scratch, p), ignore=shutil.ignore_patterns(
                    "*.o", "*.ko", "*.mod", "*.mod.c", ".*.cmd", "*.rmeta", "*.d", "modules.order"))
            else:
                shutil.copy(src, scratch)
        log = os.path.join(logs, "module.log")
        with open(log, "w") as f:
            rc = subprocess.run(["make", "-C", build, f"M={scratch}", f"-j{args.jobs}"] + args.kmake_args.split()
                                + ["modules"], stdout=f, stderr=subprocess.STDOUT).returncode
        warns = warning_keys(read(log))
        checks.result(rc == 0 and not warns, "module",
                      "rdcache.ko builds against the patched tree from the same sources, no warnings"
                      if rc == 0 and not warns else f"rc={rc}, {len(warns)} warning(s): {log}")
        if rc:
            checks.result(False, "kunit", "not run: the module did not build")
            return None
        initrd = os.path.join(scratch, "initramfs.cpio.gz")
        run(["bash", os.path.join(scratch, "scripts/host/mkinitramfs.sh"), build, initrd], stdout=subprocess.DEVNULL)
        results = os.path.join(logs, "boot")
        env = dict(os.environ, RDCACHE_RESULTS=results)
        r = subprocess.run(["python3", os.path.join(scratch, "scripts/host/run.py"), "--kdir", build, "--ksrc", tree,
                            "--kmake-args", args.kmake_args, "--initrd", initrd, "upstream"],
                           capture_output=True, text=True, env=env)
        with open(os.path.join(logs, "boot.log"), "w") as f:
            f.write(r.stdout + r.stderr)
        ktap = r.stdout
        suite = re.search(rf"# {SUITE}: pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)", ktap)
        summary = re.search(r"^(\d+) passed, (\d+) failed.*$", ktap, re.M)
        ok = suite is not None and suite.group(2) == "0" and suite.group(1) == suite.group(4)
        detail = (f"{SUITE}: {suite.group(1)}/{suite.group(4)} passed built in"
                  if suite else f"no {SUITE} results")
        checks.result(ok, "kunit", detail + ("" if ok else f" ({logs}/boot.log)"))
        # One line per test of the runner's plan (the module's KUnit suites,
        # the forced interleavings, the stress, the negative control), each
        # judged with its whole kernel log by the runner.
        put = re.search(r"rdcachefs: registered; ShrinkList::put\(\) uses (\S+)", read_boot_logs(results))
        checks.result(bool(put) and put.group(1) == "dput_to_list", "put path",
                      f"the module's ShrinkList::put() uses {put.group(1)}" if put else
                      "no 'rdcachefs: registered' line in the boot logs")
        tests = re.findall(r"^(ok|not ok) \d+ (\S+)(?: # (SKIP.*))?$", ktap, re.M)
        for res, name, skip in tests:
            if name.startswith("upstream/"):
                continue
            checks.result(res == "ok", f"patched {name}", skip or ("passed" if res == "ok" else
                                                                    f"failed ({logs}/boot.log)"))
        checks.result(r.returncode == 0 and summary is not None, "runner",
                      (summary.group(0) if summary else "no summary line") + f" (exit {r.returncode})")
        return {"suite": suite.groups() if suite else None, "summary": summary.group(0) if summary else "",
                "tests": tests}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def read_boot_logs(results):
    """The guests' kernel logs a runner wrote under `results` (one string)."""
    text = []
    for f in sorted(glob.glob(os.path.join(results, "**", "*.log"), recursive=True)):
        try:
            text.append(read(f))
        except (OSError, UnicodeDecodeError):
            pass
    return "\n".join(text)


# ---- docs/upstream ----------------------------------------------------------

def latest_test_run(patched=False):
    """(results dir, KTAP) of the latest complete make test on stock 7.3 (or,
    `patched`, on the kernel with the series' C patches: KPATCH=1)."""
    runs = sorted(d for d in glob.glob(os.path.join(TOP, "results", "*-test")) if
                  os.path.isfile(os.path.join(d, "ktap.log")))
    for d in reversed(runs):
        text = read(os.path.join(d, "ktap.log"))
        kernel = re.search(r"^# rdcache test: kernel (\S+)", text, re.M)
        if (re.search(r"^\d+ passed, \d+ failed", text, re.M) and kernel
                and ("-patched-" in kernel.group(1)) == patched):
            return d, text
    return None, ""


def evidence(kunit):
    lines = []
    pd, ptext = latest_test_run(patched=True)
    d, text = latest_test_run()
    if d:
        total = re.findall(r"^(\d+ passed, \d+ failed.*)$", text, re.M)[-1]
        lines.append(f"- The project's `make test` on stock 7.3, through its fallback (its latest run "
                     f"here, {os.path.basename(d)[:15]}): {total}.")
    if pd:
        total = re.findall(r"^(\d+ passed, \d+ failed.*)$", ptext, re.M)[-1]
        lines.append(f"- The same suite on 7.3 with patch 1 (`KPATCH=1 make test`, {os.path.basename(pd)[:15]}): "
                     f"{total}.")
        for m in re.finditer(r"# boot (stress[\w-]*): [^,]*, (\d+) vCPUs", text):
            block = text[m.end():]
            tot = re.search(r"# total superblocks=(\d+).*?put_dropped=(\d+) put_cached=(\d+) "
                            r"put_deferred=(\d+) put_listed=(\d+) put_other_list=(\d+)", block)
            late = re.search(r"late_callbacks=(\d+)", block)
            cases = re.findall(r"# case (\S+) cycles=(\d+) events=(\d+)", block[:4000])
            if tot:
                lines.append(f"- Its stress boot `{m.group(1)}` ({m.group(2)} vCPUs): {tot.group(1)} "
                             f"superblocks; puts dropped/cached/deferred/listed/other-list "
                             f"{tot.group(2)}/{tot.group(3)}/{tot.group(4)}/{tot.group(5)}/{tot.group(6)}; "
                             f"late callbacks {late.group(1) if late else '?'}; interleavings (cycles): "
                             + ", ".join(f"{c} {n}" for c, n, _ in cases[:6]) + ".")
        neg = re.findall(r"^ok \d+ (harness/negative-control-\d+)", text, re.M)
        if neg:
            lines.append(f"- Negative controls ({', '.join(neg)}): the failure of the April 2019 mail (a dentry "
                         "reference held across ->kill_sb(), then a late ->d_iput()) reproduced and detected on the run.")
    bench = bench_evidence()
    if bench:
        lines += bench
    else:
        lines += table_evidence()
    if kunit and kunit.get("suite"):
        p, f, s, n = kunit["suite"]
        lines.append(f"- This series' own suite, built in, on the patched kernel: {p}/{n} passed ({SUITE}).")
    return "\n".join(lines)


REPORT = os.path.join(TOP, "docs", "reports", "bindgen-empty-aligned.md")


def report_mail():
    """The bindgen report (docs/reports/bindgen-empty-aligned.md) as a mail
    of its own to rust-for-linux, not part of the series: its text, minus
    the markers make test's check of the installed bindgen reads."""
    name, email, _, problem = identity()
    text = read(REPORT)
    title = text.splitlines()[0].lstrip("# ").strip()
    body = "\n".join(ln for ln in text.splitlines()[1:] if not ln.startswith("<!--")).strip()
    # The first paragraph is about the draft and this project's check of it:
    # the mail keeps only what it says of the machine.
    first, rest = body.split("\n\n", 1)
    machine = re.search(r"All run on [^.]*(?:\.\d[^.]*)*\.", " ".join(first.split()))
    body = (textwrap.fill(machine.group(0), 72) + "\n\n" if machine else "") + rest + "\n"
    if problem:
        body = (textwrap.fill(f"NOT SENT: no sender who can be answered; here {problem}.", 72)
                + "\n\n" + body)
    msg = email_message.EmailMessage()
    msg["From"] = f"{name} <{email}>" if name and email else "rdcache (unsigned) <unsigned@rdcache.invalid>"
    msg["To"] = "rust-for-linux@vger.kernel.org"
    msg["Subject"] = f"bindgen: {title.split(': ', 1)[-1]}"
    msg.set_content(body, cte="8bit")
    return msg.as_string()


def table_evidence():
    """The benchmark lines of docs/bench/table.md (make bench BENCH_PUBLISH=1)."""
    table = os.path.join(TOP, "docs", "bench", "table.md")
    if not os.path.exists(table):
        return []
    first = read(table).split("\n\n")
    lines = ["- Benchmarks (`make bench`, " + first[0].split(" by ")[0].replace("Measured ", "measured ")
             + "; emulated wall time, ratios Rust / C):"]
    for row in first[1].splitlines()[2:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) >= 6:
            lines.append(f"    {cells[0]} (N={cells[1]}): {cells[5]}")
    return lines


BENCH_ROWS = [("put", "rust_put_ns", "c_put_ns", "non-last reference: clone + put vs dget() + lockref_put_or_lock()"),
              ("dispose", "rust_put_shrink_ns", "c_dput_ns", "N last references to kill: put + one shrink() vs N dput()"),
              ("retain", "rust_new_ns", "c_new_ns", "retain, new dentries: put + shrink() vs dput()"),
              ("retain", "rust_lru_ns", "c_lru_ns", "retain, on the LRU: put + shrink() vs dput()")]


def bench_figures(ktap):
    """{(row, n): (rust, c)} per operation, medians, from a bench icount log."""
    reps = {}
    for m in re.finditer(r"BENCH-ICOUNT (put|dispose|retain) n=(\d+) (.*) rep=\d+", ktap):
        kv = dict(x.split("=", 1) for x in m.group(3).split())
        reps.setdefault((m.group(1), int(m.group(2))), []).append({k: int(v) for k, v in kv.items()})
    out = {}
    for kind, rk, ck, label in BENCH_ROWS:
        for (k, n), rs in reps.items():
            if k == kind and rk in rs[0]:
                med = sorted(r[rk] for r in rs)[len(rs) // 2], sorted(r[ck] for r in rs)[len(rs) // 2]
                out[(label, n)] = (med[0] / n, med[1] / n)
    return out


def bench_evidence():
    """The latest make bench icount runs on the stock and the patched bench
    kernels (results/bench-*), side by side, in instructions."""
    runs = {}
    for d in sorted(glob.glob(os.path.join(TOP, "results", "bench-*"))):
        log = os.path.join(d, "vm", "ktap.log")
        if not os.path.isfile(log):
            continue
        text = read(log)
        m = re.search(r"kernel \S*/build/(bench-\S+?)/arch", text)
        if not m or "BENCH-ICOUNT put" not in text:
            continue
        runs["dput_to_list" if "-patched-" in m.group(1) else "fallback"] = (os.path.basename(d)[6:21], text)
    if set(runs) != {"fallback", "dput_to_list"}:
        return []
    fb, ex = bench_figures(runs["fallback"][1]), bench_figures(runs["dput_to_list"][1])
    lines = ["- Benchmarks, in guest instructions (`BENCH_MODES=icount make bench`, QEMU -icount, one vCPU,",
             f"  the bench kernel: stock 7.3 {runs['fallback'][0]}, with patch 1 (KPATCH=1) "
             f"{runs['dput_to_list'][0]}); per op, ratio Rust / C in the same boot:"]
    for (label, n), (r, c) in fb.items():
        if (label, n) in ex:
            r2, c2 = ex[(label, n)]
            lines.append(f"    {label} (N={n}): fallback {r:.0f}/{c:.0f} = {r / c:.3f}; "
                         f"dput_to_list() {r2:.0f}/{c2:.0f} = {r2 / c2:.3f}")
    return lines


def publish(repo, out, checks, args, kunit):
    """docs/upstream/: the mails again, with this run's evidence and checks
    in the cover letter, and checks.txt."""
    mails = b4_mails(repo, cover_text(checks, kunit), series_env())
    shutil.rmtree(DOCS, ignore_errors=True)
    os.makedirs(DOCS)
    for p in sorted(glob.glob(os.path.join(mails, "*.patch"))):
        shutil.copy(p, DOCS)
    shutil.rmtree(os.path.dirname(mails), ignore_errors=True)
    write(os.path.join(DOCS, "checks.txt"), "\n".join(checks.lines) + "\n")
    # The bindgen report: a mail of its own, beside the series, not in it.
    write(os.path.join(TOP, "docs", "reports", "bindgen-empty-aligned.eml"), report_mail())
    shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    say(f"series written to {DOCS}")


if __name__ == "__main__":
    sys.exit(main())
