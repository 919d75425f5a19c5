# SPDX-License-Identifier: GPL-2.0
"""Host-side tests of what a boot does that a boot cannot show on demand:
the runner's handling of a kernel that hangs before /init (vmrun.py, with a
stand-in for QEMU), kunit.sh's verdicts on a module load that fails (run by
the guest's busybox sh, with the module tools stubbed), and which kernel
options make a test a SKIP (judge.missing_config(), on made-up configs)."""

import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def kunit_script_selftests():
    """[(name, ok, reasons)]: kunit.sh's verdicts, run by the busybox sh
    the guest runs, with the module tools stubbed: each way a load can go
    wrong fails the test with status 1, a kernel without KUnit skips (4),
    and only a load whose suites all passed and which unloaded passes."""
    script = os.path.join(TOP, "scripts", "selftests", "kunit", "kunit.sh")
    good = "[    1.0] KTAP version 1\n[    1.0] 1..1\n[    1.0] ok 1 rust_fs_dcache\n"
    bad = good.replace("1..1", "1..2") + "[    1.1] not ok 2 rdcachefs\n"
    # (name, kunit built in, insmod ok, kernel log, rmmod ok, module still listed, status, output wanted)
    cases = [("insmod-failure-bails-out-with-1", 1, 0, good, 1, 0, 1, "Bail out! insmod rdcache.ko failed"),
             ("all-suites-ok-and-unloaded-passes", 1, 1, good, 1, 0, 0, "ok 1 rust_fs_dcache"),
             ("a-failed-suite-fails", 1, 1, bad, 1, 0, 1, "not ok 2 rdcachefs"),
             ("no-ktap-in-the-log-fails", 1, 1, "[    1.0] rdcache: loaded\n", 1, 0, 1, "# no KUnit results"),
             ("rmmod-failure-fails", 1, 1, good, 0, 0, 1, "# rmmod rdcache failed"),
             ("module-still-listed-fails", 1, 1, good, 1, 1, 1, "# rmmod rdcache failed"),
             ("kernel-without-kunit-skips-with-4", 0, 1, good, 1, 0, 4, "1..0 # SKIP kernel without CONFIG_KUNIT")]
    res = []
    with tempfile.TemporaryDirectory(prefix="rdcache-kunit-sh.") as tmp:
        for name, built, ins, log, rm, listed, want_rc, want_out in cases:
            stub = (f"insmod() {{ return {1 - ins}; }}; rmmod() {{ return {1 - rm}; }}; "
                    "dmesg() { [ \"$1\" = -c ] || printf \"$LOG\"; }; "
                    "grep() { case \"$*\" in *kallsyms*) return " + str(1 - built) + ";; "
                    "*/proc/modules*) return " + str(1 - listed) + ";; esac; command grep \"$@\"; }; ")
            env = dict(os.environ, LOG=log, KUNIT_KTAP=os.path.join(tmp, "kunit.ktap"))
            try:
                p = subprocess.run(["/bin/busybox", "sh", "-c", f"{stub}. {script}"], env=env,
                                   capture_output=True, text=True, timeout=10)
                rc, out = p.returncode, p.stdout
            except (OSError, subprocess.TimeoutExpired) as e:
                rc, out = None, repr(e)
            ok = rc == want_rc and want_out in out
            res.append((f"kunit/script/{name}", ok,
                        [] if ok else [f"wanted status {want_rc} and {want_out!r}, got {rc} and {out.strip()[-200:]!r}"]))
    return res


def early_hang_selftests():
    """[(name, ok, reasons)]: the runner boots again, once, a kernel that
    hung silently before /init with no rdcache code run (vmrun.py,
    BOOT_AGAIN), keeping the hung boot's logs; a second hang, a hang after
    rdcache printed, one with a splat, and the noboot self-test are not
    booted again.  QEMU is a stand-in that replays each boot's story."""
    import vm
    import vmrun
    from plans import Boot, Test

    class Kt:
        def __init__(self):
            self.results, self.diags = [], []

        def result(self, name, ok, directive=None, reasons=()):
            self.results.append((name, ok, list(reasons)))

        def diag(self, text):
            self.diags.append(text)

        def nested(self, line):
            pass

    class Judge:
        def test(self, qemu, boot, t, rc, taint, reason, elapsed, nested, k):
            k.result(t.name, rc == 0 and not reason, reasons=[reason[1]] if reason else [])

        def outside(self, boot, qemu, gone, k):
            k.result(boot.outside_name, gone is None, reasons=[gone] if gone else [])

    stories = []

    class FakeQemu:
        """One boot: 'hang' says nothing (the kernel log ends with `log`);
        'exit' is QEMU gone before /init; 'ok' runs the one test, passing."""

        def __init__(self, kernel, initrd, outdir, cmdline, smp, mem="2G", accel="tcg", icount=False):
            self.outdir = outdir
            self.story, self.log = stories.pop(0)
            os.makedirs(outdir, exist_ok=True)
            with open(os.path.join(outdir, "console.log"), "w") as f:
                f.write("\n".join(self.log) + "\n")
            self.lines = {"ok": ["# rdcache-guest-start", "# rdcache-begin x",
                                 "# rdcache-end rc=0 taint_before=0 taint_after=0", "# rdcache-done"],
                          "exit": [vm.EOF]}.get(self.story, [])

        def start(self):
            pass

        def readline(self, timeout):
            return self.lines.pop(0) if self.lines else (None if self.story == "hang" else vm.EOF)

        def elapsed(self):
            return 1.0

        def wait_exit(self, timeout):
            return 1 if self.story == "ok" else 0

        def kill(self):
            pass

        def close(self):
            pass

        def console_lines(self):
            return self.log

        def vcpus(self):
            return [(0, 0xffffffff81000010, self.story == "hang")]

    quiet = ["[    0.000] Command line: console=ttyS0 rdcache_cpus=2 rdcache_tests=smoke/smoke.sh",
             "[    0.100] Kernel command line: console=ttyS0 rdcache_cpus=2 rdcache_tests=smoke/smoke.sh",
             "[    0.921] mtrr: corrected configuration."]
    ours = quiet + ["[    0.950] rdcache: built-in self-test starts"]
    splat = quiet + ["[    0.930] BUG: kernel NULL pointer dereference, address: 0000000000000000"]
    ktap = quiet + ["[    0.950] KTAP version 1"]
    # (name, boot's stories, expect noboot, wanted results ok, wanted boots, wanted a hung-1 log)
    done = ["[    9.000] kselftest: Finished tests in smoke/smoke.sh rc=0"]
    cases = [("a-silent-early-hang-is-booted-again-once", [("hang", quiet), ("ok", done)], False, [True, True], 2, True),
             ("a-second-early-hang-fails-the-boot", [("hang", quiet), ("hang", quiet)], False, [False, False], 2, True),
             ("a-hang-after-rdcache-printed-is-not-booted-again", [("hang", ours), ("ok", [])], False,
              [False, False], 1, False),
             ("a-hang-with-a-splat-is-not-booted-again", [("hang", splat), ("ok", [])], False, [False, False], 1, False),
             ("a-hang-after-built-in-ktap-is-not-booted-again", [("hang", ktap), ("ok", [])], False, [False, False], 1,
              False),
             ("qemu-gone-before-init-is-not-booted-again", [("exit", quiet), ("ok", [])], False, [False, False], 1,
              False),
             ("the-noboot-self-test-is-not-booted-again", [("hang", quiet), ("ok", [])], True, [False], 1, False)]
    res = []
    real = vmrun.vm.Boot
    vmrun.vm.Boot = FakeQemu
    try:
        for name, story, noboot, want, boots, hung in cases:
            with tempfile.TemporaryDirectory(prefix="rdcache-early-hang.") as tmp:
                runner = object.__new__(vmrun.BootRunner)
                runner.kdir, runner.initrd, runner.results, runner.judge = tmp, "", tmp, Judge()
                test = Test("smoke/smoke.sh")
                runner.seen, runner.kernel, runner.smp = {}, "", 2
                runner.kconfig = {opt: val for opt, _, val in (c.partition("=") for c in test.config)}
                runner.boot_timeout, runner.accel, runner._symbols = 1, "tcg", vmrun.Symbols(os.devnull)
                runner.vcpu_sample_gap = 0
                stories[:] = list(story)
                k = Kt()
                boot = Boot("early-hang", [test], expect_noboot=noboot)
                runner.run_boot(boot, k)
                got = [ok for _, ok, _ in k.results]
                ran = len(story) - len(stories)
                kept = os.path.exists(os.path.join(tmp, "early-hang", "hung-1", "console.log"))
                bad = ([f"results {got}, wanted {want}"] if got != want else []) + \
                      ([f"{ran} boot(s), wanted {boots}"] if ran != boots else []) + \
                      ([f"hung boot's log kept: {kept}, wanted {hung}"] if kept != hung else [])
                if name.startswith("a-silent") and not any("booting it again once" in d for d in k.diags):
                    bad.append("no diagnostic line says the boot is booted again")
                if name.startswith("a-second") and not any("never reached /init" in r for _, _, rs in k.results
                                                           for r in rs):
                    bad.append(f"the failure does not say the guest never reached /init: {k.results}")
                res.append((f"harness/early-hang/{name}", not bad, bad))
    finally:
        vmrun.vm.Boot = real
    return res


def missing_config_selftests():
    """[(name, ok, reasons)]: judge.missing_config(), which turns a test the
    kernel cannot run into a SKIP naming the options it lacks: y wants y or
    m, m the same, a value that exact value, and an option the .config does
    not have is missing whatever it wants."""
    import judge
    have = {"CONFIG_A": "y", "CONFIG_B": "m", "CONFIG_NR": "4", "CONFIG_S": '"x"'}
    cases = [("y-is-met-by-y", ["CONFIG_A=y"], []),
             ("y-is-met-by-m", ["CONFIG_B=y"], []),
             ("m-is-met-by-y", ["CONFIG_A=m"], []),
             ("y-is-not-met-by-a-value", ["CONFIG_NR=y"], ["CONFIG_NR=y"]),
             ("a-value-is-met-by-itself", ["CONFIG_NR=4"], []),
             ("a-value-is-not-met-by-another", ["CONFIG_NR=5"], ["CONFIG_NR=5"]),
             ("a-string-is-met-by-itself", ['CONFIG_S="x"'], []),
             ("a-value-is-not-met-by-y", ["CONFIG_A=4"], ["CONFIG_A=4"]),
             ("an-absent-option-is-missing", ["CONFIG_Z=y", "CONFIG_A=y", "CONFIG_Q=3"], ["CONFIG_Z=y", "CONFIG_Q=3"])]
    res = []
    for name, want, missing in cases:
        got = judge.missing_config(want, have)
        res.append((f"harness/missing-config/{name}", got == missing,
                    [] if got == missing else [f"wanted {missing}, got {got}"]))
    return res


def kvm_probe_selftests():
    """[(name, ok, reasons)]: where /dev/kvm seems usable, a short probe boot
    decides (vmrun.pick_accel()): KVM only if the probe guest finished and
    exited as a guest does (status 1); a probe that hangs, or whose QEMU
    exits early, means TCG.  QEMU is a stand-in that replays each story."""
    import tempfile
    import vm
    import vmrun

    class Probe:
        story = None

        def __init__(self, *args, **kw):
            self.lines = {"done": ["# rdcache-guest-start", "# rdcache-done"],
                          "exit": [vm.EOF]}.get(Probe.story, [])

        def start(self):
            pass

        def readline(self, timeout):
            # A runner that reads on after a hang or EOF would loop for ever.
            self.reads = getattr(self, "reads", 0) + 1
            if self.reads > 20:
                raise RuntimeError("the probe went on reading after it hung or ended")
            return self.lines.pop(0) if self.lines else (None if Probe.story == "hang" else vm.EOF)

        def wait_exit(self, timeout):
            return 1 if Probe.story == "done" else 0

        def close(self):
            pass

    cases = [("a-probe-that-finishes-picks-kvm", "done", "kvm"),
             ("a-probe-that-hangs-picks-tcg", "hang", "tcg"),
             ("a-probe-whose-qemu-exits-picks-tcg", "exit", "tcg")]
    res = []
    real = (vmrun.vm.Boot, vmrun.vm.host_has_kvm, os.environ.pop("RDCACHE_ACCEL", None))
    vmrun.vm.Boot, vmrun.vm.host_has_kvm = Probe, lambda: True
    try:
        for name, story, want in cases:
            with tempfile.TemporaryDirectory(prefix="rdcache-kvm-probe.") as tmp:
                runner = object.__new__(vmrun.BootRunner)
                runner.kernel, runner.initrd, runner.results, runner.smp = "", "", tmp, 2
                Probe.story = story
                try:
                    got = runner.pick_accel()
                except Exception as e:  # noqa: BLE001 - a runner bug is this test's failure
                    got = f"{type(e).__name__}: {e}"
                res.append((f"harness/kvm-probe/{name}", got == want, [] if got == want else [f"got {got}"]))
    finally:
        vmrun.vm.Boot, vmrun.vm.host_has_kvm = real[0], real[1]
        if real[2] is not None:
            os.environ["RDCACHE_ACCEL"] = real[2]
    return res
