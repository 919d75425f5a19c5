#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rdcache's host-side test runner.

Boots the test kernel under QEMU once per "boot" of a plan, streams each guest
test's KTAP as it arrives, slices the kernel log per test, and turns any splat,
bad taint, hang, panic or timeout into a failed test.  Ends with
'N passed, N failed' and exits non-zero on any failure.

    run.py --kdir KDIR --ksrc KSRC --initrd INITRD [--kmake-args ARGS] PLAN
    run.py --kdir KDIR --ksrc KSRC --initrd INITRD --shell

PLAN: test (everything), run (make run's demonstration), smoke, kunit,
rdcachefs, interleavings, stress, negctl, compile-fail, harness, hostile, bench, kcsan,
upstream (make upstream: a patched kernel's built-in suite).

Environment: SMP (vCPUs, default: host cores), RDCACHE_ACCEL (tcg|kvm|auto),
RDCACHE_BOOT_TIMEOUT (s, default 180), RDCACHE_JOBS (boots side by side,
default 2), RDCACHE_RESULTS (results directory), CYCLES / DURATION (stress),
RDCACHE_ONLY (comma-separated boot names: run only those boots of the plan),
RDCACHE_CASES (space-separated forced interleavings to run, default all seven).

The harness, one concern per file (as tools/testing/kunit splits its own):
  run.py        this: the command line, and one run of a plan
  plans.py      the plans, boots and tests, as data
  vmrun.py      the boots: QEMU (vm.py) followed test by test
  judge.py      a test's verdict from its KTAP, status, taint and log slice
  classify.py   what a kernel-log line reports (splats, leaks, taint)
  ktap.py       the run's KTAP stream, kunit.py's parse of it, results.json
  verdict.py    the exit status, and make run's computed verdict
  hosttests.py  the host-side tests of the judge, on made-up input
  projecttests.py  those of the project's machinery (set-up, docs, caches)
  progress.py   the time left; kcidb.py the KCIDB report; rustdoc.py make doc
"""

import argparse
import concurrent.futures
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import boottests  # noqa: E402
import hosttests  # noqa: E402
import judge  # noqa: E402
import kcidb  # noqa: E402
import plans  # noqa: E402
import progress  # noqa: E402
import projecttests  # noqa: E402
import verdict  # noqa: E402
from judge import safe  # noqa: E402
import vm  # noqa: E402
from ktap import Ktap, Recorder, check_whole_ktap, export_results  # noqa: E402
from vmrun import BootRunner  # noqa: E402


class Runner:
    """One run of a plan: its host-side tests, then its boots (two at a
    time where they may run beside each other), into one KTAP stream."""

    def __init__(self, args):
        self.args = args
        self.started = time.time()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.started))
        # Absolute: kunit.py changes into the kernel tree before it opens files.
        self.results = os.path.abspath(os.environ.get("RDCACHE_RESULTS")
                                       or os.path.join(TOP, "results", f"{stamp}-{args.plan}"))
        os.makedirs(self.results, exist_ok=True)
        latest = os.path.join(TOP, "results", "latest")
        if os.path.dirname(self.results) == os.path.dirname(latest):
            try:
                if os.path.islink(latest):
                    os.unlink(latest)
                os.symlink(os.path.basename(self.results), latest)
            except OSError:
                pass
        self.ktap = Ktap(os.path.join(self.results, "ktap.log"))
        self.seen = {}  # test name -> what the runner saw (for make run's verdict)
        self.jobs = max(1, int(os.environ.get("RDCACHE_JOBS") or min(2, os.cpu_count() or 1)))
        self.vm = BootRunner(args.kdir, args.initrd, self.results, judge.Judge(args.kdir, args.ksrc, self.seen),
                             self.seen)

    def run(self):
        boots = plans.plan(self.args.plan)
        only = [b for b in os.environ.get("RDCACHE_ONLY", "").split(",") if b]
        if only:
            # Development: only these boots of the plan (make test RDCACHE_ONLY=faults,fuzz).
            unknown = set(only) - {b.name for b in boots}
            if unknown:
                raise SystemExit(f"run.py: RDCACHE_ONLY names no boot of plan {self.args.plan}: "
                                 f"{', '.join(sorted(unknown))} (have: {', '.join(b.name for b in boots)})")
            boots = [b for b in boots if b.name in only]
        host = self.args.plan in ("test", "host") and not only
        groups = self.groups(boots)
        self.progress = progress.Progress(self.args.kdir, self.args.plan, [[b.name for b in g] for g in groups],
                                          self.jobs, host,
                                          light={b.name for g in groups if len(g) > 1 for b in g if b.light})
        if boots:
            self.progress.begin()
        for b in boots:
            dup = {t.spec for t in b.tests if [u.spec for u in b.tests].count(t.spec) > 1}
            if dup:
                # A test's log slice is found by its markers: one run per boot.
                raise SystemExit(f"run.py: boot {b.name} runs {', '.join(sorted(dup))} twice")
        # The host-side tests run beside the boots that may run beside others
        # (they are mostly one process on one core); a boot whose checks
        # depend on timing (Boot.timed: the stress and its rates, the
        # hung-task, hang and boot timeouts, the splat after the last test)
        # and any boot that must run alone start once
        # they are done.  Their results come first in the KTAP all the same:
        # the plan line waits for them.
        host_pool = concurrent.futures.ThreadPoolExecutor(1)
        host_side = host_pool.submit(self.host_side, host, only)

        def header():
            if self.total is None:
                rec = host_side.result()
                n = sum(1 for what, _, _ in rec.events if what == "result")
                # The last results: the run's own KCIDB report validated
                # (make test, make host), then the tree's kunit.py reading
                # the whole run's KTAP.
                self.total = n + sum(b.count() for b in boots) + int(host) + 1
                self.ktap.header(self.total)
                self.ktap.diag(f"rdcache {self.args.plan}: kernel {self.vm.kernel}, results in {self.results}")
                rec.replay(self.ktap)

        self.total = None
        for group in groups:
            if len(group) == 1 and not group[0].beside:
                # Alone, after the host side: its KTAP as it comes.
                header()
                self.run_boot(group[0], self.ktap)
                continue
            recs = [Recorder() for _ in group]
            # The light boots (Boot.light: they mostly wait) take turns in
            # one lane beside the pool; their KTAP keeps its place.
            with concurrent.futures.ThreadPoolExecutor(self.jobs) as pool, \
                    concurrent.futures.ThreadPoolExecutor(1) as side:
                futs = [(side if b.light and len(group) > 1 else pool).submit(
                            self.run_boot, b, r, host_side if b.timed else None)
                        for b, r in zip(group, recs)]
                for fut in concurrent.futures.as_completed(futs):
                    fut.result()
            header()
            if len(group) > 1:
                light = [b.name for b in group if b.light]
                self.ktap.diag(f"ran {len(group)} boots, {self.jobs} at a time"
                               + (f" and {', '.join(light)} beside them (light)" if light else "") + ": "
                               + ", ".join(b.name for b in group))
            for rec in recs:
                rec.replay(self.ktap)
        header()
        host_pool.shutdown()
        self.progress.finish()
        if self.args.plan == "record-fixtures":
            self.write_fixtures(boots)
        if host:
            self.check_kcidb()
        check_whole_ktap(self.ktap, self.results, self.total, self.args.ksrc)
        self.ktap.finish()
        export_results(self.ktap, self.results, self.args.ksrc)
        self.write_kcidb()
        outcome = verdict.print_verdict(self.seen, self.ktap.failed, self.vm.smp, self.vm.accel,
                                        self.results) if self.args.plan == "run" else None
        return verdict.exit_status(self.args.plan, self.ktap.counts["fail"], outcome)

    def host_side(self, host, only):
        """The plan's host-side tests, into a Recorder (replayed ahead of
        the boots' results): recorded kernel logs through the classifier,
        the judge's and the set-up's self-tests, the compile-fail cases."""
        rec = Recorder()
        plan = self.args.plan
        fixtures = hosttests.fixture_tests() if (plan in ("harness", "classifier") and not only) or host else []
        # Set-up comes before every toolchain check.
        results = projecttests.run_setup_order() if host else []
        if (plan == "run" and not only) or host:
            results += verdict.verdict_selftests()
        if host:
            results += hosttests.decode_bounded()
            results += hosttests.decoded_frame_selftests()
            results += hosttests.kcsan_window_selftests()
            results += hosttests.decode_tool_selftests()
            results += projecttests.upstream_docs(self.args.ksrc, self.args.kdir)
            results += hosttests.exact_selftests()
            results += projecttests.genmut_selftests()
            results += projecttests.mutant_stage_selftests()
            results += projecttests.guest_map_selftests()
            results += hosttests.taint_selftests()
            results += hosttests.noboot_selftests()
            results += boottests.early_hang_selftests()
            results += boottests.missing_config_selftests()
            results += boottests.kvm_probe_selftests()
            results += projecttests.setup_order_parse_selftests()
            results += verdict.exit_status_selftests()
            results += hosttests.stress_threshold_results(self.args.kdir)
            results += hosttests.stress_judgement_selftests()
            results += boottests.kunit_script_selftests()
            results += hosttests.apifuzz_judge_selftests()
            results += projecttests.make_help_selftests()
            results += projecttests.docs_selftests()
            results += kcidb.selftests(self.args.kdir, self.results)
            results += projecttests.progress_selftests()
            results += projecttests.rustdoc_selftests(self.results)
            results += projecttests.compile_fail_cache_selftests(self.args.kdir)
            results += projecttests.compile_fail_marks_selftests()
        if plan in ("test", "layout") and not only:
            results += projecttests.bindgen_checks()
            results += projecttests.layout_lie(self.args.kdir, self.args.kmake_args)
        if fixtures:
            hosttests.run_fixtures(rec)
            results = hosttests.classifier_coverage() + results
        for name, ok, reasons, *skip in results:
            rec.result(name, ok, directive=skip[0] if skip else None, reasons=reasons)
        if plan in ("test", "compile-fail") and not only:
            hosttests.run_compile_fail(rec, self.args.kdir, self.args.kmake_args)
        self.progress.host_done()
        return rec

    def groups(self, boots):
        """The plan's boots in the groups they run in: one alone, or a run
        of boots that may run beside each other, self.jobs at a time."""
        out, i = [], 0
        while i < len(boots):
            group = [boots[i]]
            while self.jobs > 1 and group[0].beside and i + len(group) < len(boots) \
                    and boots[i + len(group)].beside:
                group.append(boots[i + len(group)])
            i += len(group)
            out.append(group)
        return out

    def run_boot(self, boot, k, after=None):
        """One boot (once the future `after` is done, if given), its start
        and end shown with the time left (progress.py; the KTAP of boots
        side by side is held back)."""
        if after is not None:
            concurrent.futures.wait([after])
        self.progress.boot_started(boot.name)
        try:
            self.vm.run_boot(boot, k)
        finally:
            self.progress.boot_done(boot.name)

    def write_kcidb(self):
        """kcidb.json: the run as a KCIDB v5 report (kcidb.py)."""
        path = os.path.join(self.results, "kcidb.json")
        kcidb.write(self.ktap.records, self.args.plan, self.args.kdir, self.started,
                    os.path.basename(self.results), path)
        return path

    def check_kcidb(self):
        """`kcidb/run-report-validates`: the run's report so far (every
        result before this one) passes kcidb-io's schema."""
        ok, why = kcidb.validate(self.write_kcidb())
        self.ktap.result("kcidb/run-report-validates", ok, reasons=[why])

    def write_fixtures(self, boots):
        """make record-fixtures: each test's kernel-log slice becomes
        scripts/host/fixtures/rec-<trigger>.log, headed by the kinds it must
        show and where it came from."""
        when = time.strftime("%Y-%m-%d")
        for b in boots:
            for t in b.tests:
                trigger = t.name.split("/", 1)[1]
                src = os.path.join(self.results, b.name, safe(t.name) + ".dmesg")
                body = ""
                if os.path.exists(src):
                    with open(src, errors="replace") as f:
                        body = f.read()
                # Only a trigger that produced what it must (the self-test
                # passed) replaces a fixture.
                if not self.seen.get(t.name, {}).get("ok") or not body.strip():
                    self.ktap.diag(f"record: {t.name} did not pass: rec-{trigger}.log left as it was")
                    continue
                dest = os.path.join(HERE, "fixtures", f"rec-{trigger}.log")
                with open(dest, "w") as f:
                    f.write(f"# expect: {', '.join(t.expect)}\n")
                    f.write(f"# recorded: rdcache_splat.ko trigger={trigger}, the test's log slice, "
                            f"Linux 7.3.4 debug config, QEMU {self.vm.accel} {self.vm.smp} vCPUs, {when} "
                            f"(make record-fixtures)\n")
                    f.write(body)
                self.ktap.diag(f"record: wrote {os.path.relpath(dest, TOP)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kdir", required=True, help="built kernel tree")
    ap.add_argument("--ksrc", required=True, help="its source tree")
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--kmake-args", default="", help="LLVM=, RUSTC=, ... for builds against KDIR")
    ap.add_argument("--shell", action="store_true", help="interactive VM")
    ap.add_argument("plan", nargs="?", default="test")
    args = ap.parse_args()
    if args.shell:
        smp = int(os.environ.get("SMP") or os.cpu_count() or 2)
        accel = os.environ.get("RDCACHE_ACCEL", "tcg")
        out = os.path.join(TOP, "results", "shell")
        b = vm.Boot(os.path.join(args.kdir, "arch/x86/boot/bzImage"), args.initrd, out,
                    f"console=ttyS0 kmemleak=off rdcache_shell=1 rdcache_cpus={smp}", smp,
                    accel="kvm" if accel == "kvm" else "tcg", interactive=True)
        return b.interact()
    return Runner(args).run()


if __name__ == "__main__":
    sys.exit(main())
