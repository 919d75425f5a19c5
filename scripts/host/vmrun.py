# SPDX-License-Identifier: GPL-2.0
"""The boots: one QEMU run of the test kernel per Boot of a plan (vm.py
starts QEMU), each guest test's KTAP followed as it arrives on the test
channel, and each test handed to the judge (judge.py) when it ends, with
what the VM did: its exit status and taint, or a hang, a timeout, the VM
gone.  Every boot reports exactly Boot.count() results, whatever happens.
"""

import bisect
import copy
import os
import re
import time

import classify
import judge
import vm
from ktap import Counting

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def noboot_as_meant(console):
    """(ok, why not) for the noboot self-test's kernel log: rdinit= names
    no file, so the kernel ignores it, looks for a root filesystem, finds
    none and panics (kernel_init_freeable(), mount_root()) before any init
    runs; not a boot that failed some other way."""
    ran = [ln.split("] ", 1)[-1] for ln in console if " as init process" in ln]
    panicked = any("VFS: Unable to mount root fs" in ln for ln in console)
    if not ran and panicked:
        return True, ""
    return False, f"not the boot meant: {'; '.join(ran) or 'no init ran'}, " + \
        ("and the root fs panic" if panicked else "and no 'VFS: Unable to mount root fs' panic")


class Symbols:
    """Kernel addresses to symbol+offset, from the build's System.map (the
    test kernels are built without KASLR: tinyconfig has no RANDOMIZE_BASE)."""

    def __init__(self, path):
        self.addrs, self.names = [], []
        try:
            with open(path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3 and parts[1] in "tTwW":
                        self.addrs.append(int(parts[0], 16))
                        self.names.append(parts[2])
        except OSError:
            pass

    MODULES = (0xffffffffa0000000, 0xffffffffff000000)  # x86-64 MODULES_VADDR..MODULES_END, no KASLR

    def name(self, addr):
        i = bisect.bisect_right(self.addrs, addr) - 1
        if i < 0 or addr - self.addrs[i] > 0x100000:
            return f"{addr:#x}" + (" (in a module)" if self.MODULES[0] <= addr < self.MODULES[1] else "")
        return f"{self.names[i]}+{addr - self.addrs[i]:#x}"


def where_vcpus(qemu, symbols, samples=3, gap=1.0):
    """One line per vCPU of a live VM: the functions its RIP was seen in
    over a few samples `gap` s apart, and whether it sat halted (HLT)."""
    seen = {}
    for i in range(samples):
        for cpu, rip, halted in qemu.vcpus():
            names, halts = seen.setdefault(cpu, ([], []))
            sym = symbols.name(rip)
            if sym not in names:
                names.append(sym)
            halts.append(halted)
        if i + 1 < samples:
            time.sleep(gap)
    return [f"vCPU {cpu} at {', '.join(names)}" + (" (halted)" if all(halts) else "")
            for cpu, (names, halts) in sorted(seen.items())]


BOOT_AGAIN = object()  # _follow(): the boot hung before /init and is booted again


def rdcache_ran(console):
    """Whether any code of this project left a line in a kernel log: the
    module's or its self-tests' messages, or KUnit's KTAP (the upstream
    kernel runs the layer's KUnit suite built in, before /init); the
    command line, which names rdcache's parameters, is not such a line."""
    return any(re.search(r"rdcache|rdcachefs|KTAP version|rust_fs_dcache", ln)
               and "ommand line" not in ln for ln in console)


class BootRunner:
    """Runs the boots of one run on the kernel of `kdir` with `initrd`,
    their logs under `results`; `jdg` judges each test and boot."""

    def __init__(self, kdir, initrd, results, jdg, seen):
        self.kdir = kdir
        self.initrd = initrd
        self.results = results
        self.judge = jdg
        self.seen = seen  # test name -> what the runner saw (for make run's verdict)
        self.kernel = os.path.join(kdir, "arch/x86/boot/bzImage")
        self.smp = int(os.environ.get("SMP") or os.cpu_count() or 2)
        self.boot_timeout = float(os.environ.get("RDCACHE_BOOT_TIMEOUT") or 180)
        self.kconfig = judge.kernel_config(kdir)
        self.accel = self.pick_accel()
        self._symbols = None
        self.vcpu_sample_gap = 1.0  # s between the samples of a hung VM's vCPUs

    def symbols(self):
        # With KASLR the map's addresses are not the running kernel's: raw
        # addresses then, not names that would be wrong.
        if self._symbols is None:
            kaslr = self.kconfig.get("CONFIG_RANDOMIZE_BASE") == "y"
            self._symbols = Symbols(os.devnull if kaslr else os.path.join(self.kdir, "System.map"))
        return self._symbols

    def cmdline(self, boot, tests):
        smp = (boot.smp if boot is not None else None) or self.smp
        parts = ["console=ttyS0", "ignore_loglevel", "panic=-1", "kunit.enable=1", "kunit.autorun=1",
                 f"rdcache_cpus={smp}", "rdcache_tests=" + ",".join(t.spec for t in tests)]
        # kmemleak costs ~2.5x boot time under TCG; boots that check leaks turn
        # it on ("off" first would disable it for good, whatever follows).
        if not (boot and "kmemleak=on" in boot.cmdline):
            parts.insert(5, "kmemleak=off")
        if boot and boot.cmdline:
            parts.append(boot.cmdline)
        return " ".join(parts)

    def pick_accel(self):
        want = os.environ.get("RDCACHE_ACCEL", "auto")
        if want in ("tcg", "kvm"):
            return want
        if not vm.host_has_kvm():
            return "tcg"
        # /dev/kvm can exist and still hang in firmware: a short probe decides.
        probe = vm.Boot(self.kernel, self.initrd, os.path.join(self.results, "kvm-probe"),
                        self.cmdline(None, []), self.smp, accel="kvm")
        probe.start()
        ok = False
        try:
            while True:
                line = probe.readline(20)
                if line is None or line == vm.EOF:
                    break
                if line.startswith("# rdcache-done"):
                    ok = probe.wait_exit(10) == 1
                    break
        finally:
            probe.close()
        return "kvm" if ok else "tcg"

    # ---- one boot ---------------------------------------------------------

    def run_boot(self, boot, k):
        """Run one boot, reporting exactly boot.count() results whatever
        happens: an exception in the runner fails the results not yet given."""
        counted = Counting(k)
        try:
            self._run_boot(boot, counted)
        except Exception as e:  # noqa: BLE001 - any runner bug must become a failed result
            why = f"runner error: {type(e).__name__}: {e}"
            k.diag(f"boot {boot.name}: {why}")
            names = [t.name for t in boot.tests] + ([] if boot.expect_noboot else [boot.outside_name])
            if boot.expect_noboot:
                names = ["harness/detects-noboot"]
            for name in [n for n in names if n not in counted.given]:
                k.result(name, False, reasons=[why])

    def _run_boot(self, boot, k):
        bdir = os.path.join(self.results, boot.name)
        # A test whose kernel options this kernel lacks is a SKIP naming them.
        runnable = []
        for t in boot.tests:
            missing = judge.missing_config(t.config, self.kconfig)
            if missing:
                k.result(t.name, True, directive="SKIP",
                         reasons=[f"SKIP: the kernel ({self.kdir}) lacks {', '.join(missing)}"])
                self.seen[t.name] = {"skipped": ", ".join(missing)}
            else:
                runnable.append(t)
        if not runnable and not boot.expect_noboot:
            k.result(boot.outside_name, True, directive="SKIP",
                     reasons=["SKIP: every test of this boot was skipped, so it did not boot"])
            return
        # The same boot with the runnable tests only (a copy: every field
        # of Boot carried, not a list of them to keep in step).
        boot = copy.copy(boot)
        boot.tests = runnable
        smp = boot.smp or self.smp
        accel = "tcg icount (instructions)" if boot.icount else self.accel
        for attempt in (1, 2):
            qemu = vm.Boot(self.kernel, self.initrd, bdir, self.cmdline(boot, boot.tests), smp,
                           mem=boot.mem, accel="tcg" if boot.icount else self.accel, icount=boot.icount)
            k.diag(f"boot {boot.name}: {accel}, {smp} vCPUs, {len(boot.tests)} test(s); logs in {bdir}")
            gone = None
            try:
                qemu.start()
                # icount boots are deterministic: one that hung would hang again.
                gone = self._follow(boot, qemu, k, may_boot_again=attempt == 1 and not boot.icount)
                if gone is BOOT_AGAIN:
                    continue
                if not boot.expect_noboot:
                    # Until QEMU has exited: what the kernel printed after the
                    # last test is judged too.
                    qemu.wait_exit(10)
                    self.judge.outside(boot, qemu, gone, k)
                return
            finally:
                qemu.close()
                if gone is BOOT_AGAIN:
                    keep = os.path.join(bdir, f"hung-{attempt}")
                    os.makedirs(keep, exist_ok=True)
                    for f in ("console.log", "ttyS1.log", "qemu.cmd"):
                        if os.path.exists(os.path.join(bdir, f)):
                            os.replace(os.path.join(bdir, f), os.path.join(keep, f))

    def _follow(self, boot, qemu, k, may_boot_again=False):
        boot_timeout = boot.boot_timeout or self.boot_timeout
        started = False
        while not started:
            line = qemu.readline(boot_timeout)
            if line is None or line == vm.EOF:
                break
            if line.startswith("# rdcache-guest-start"):
                started = True
                k.diag(f"guest up after {qemu.elapsed():.1f} s: {line[2:]}")
        if not started:
            status = qemu.wait_exit(5) if line == vm.EOF else None
            why = (f"guest never reached /init within {boot_timeout:.0f} s" if line is None
                   else f"QEMU exited (status {status}) before the guest reached /init")
            # Where the vCPUs are, while the hung VM still runs.
            where = where_vcpus(qemu, self.symbols(), gap=self.vcpu_sample_gap) if line is None else []
            console = qemu.console_lines()
            splat = classify.summary(classify.classify(console))
            tail = [ln for ln in console if ln.strip()][-3:]
            reasons = [why] + ([f"kernel log: {splat}"] if splat else []) + [f"console: {t}" for t in tail] + where
            if may_boot_again and line is None and not boot.expect_noboot and not splat \
                    and not rdcache_ran(console):
                # A kernel that hangs silently in its own boot, before any
                # code of this project ran (no module loads before /init; the
                # upstream kernel's built-in KUnit prints its KTAP first) and
                # without a splat, says nothing of
                # rdcache: QEMU TCG does this now and then (docs/testing.md,
                # "early-boot hangs").  Once per boot it is booted again;
                # a second hang fails its tests.
                for r in reasons:
                    k.diag(f"boot {boot.name}: early-boot hang: {r}")
                k.diag(f"boot {boot.name}: the kernel hung before /init, with no rdcache code run and no splat; "
                       f"booting it again once (the hung boot's logs: {qemu.outdir}/hung-1)")
                qemu.kill()
                return BOOT_AGAIN
            if boot.expect_noboot:
                in_time = qemu.elapsed() < boot_timeout + 15
                as_meant, what = noboot_as_meant(qemu.console_lines())
                k.diag("harness self-test: the boot below never reached /init; the runner must report it")
                for r in reasons:
                    k.diag(f"underlying verdict: not ok ({r})")
                k.result("harness/detects-noboot", in_time and as_meant,
                         reasons=([] if in_time else [f"took {qemu.elapsed():.0f} s"])
                         + ([] if as_meant else [what]))
                return None
            for i, t in enumerate(boot.tests):
                k.result(t.name, False, reasons=reasons if i == 0 else ["not run: the VM never booted"])
            return why
        if boot.expect_noboot:
            k.result("harness/detects-noboot", False, reasons=["the guest booted, so nothing was proven"])
            return None

        pending = list(boot.tests)
        done_line = None
        vm_gone = None  # why the VM stopped early, if it did
        while pending:
            t = pending[0]
            # Wait for the test's begin line.
            begin = self._wait_for(qemu, lambda ln: ln.startswith("# rdcache-begin "), 60, k)
            if begin is None or begin == vm.EOF:
                vm_gone = "the guest stopped before the test began"
                break
            rc, taint, reason = None, (0, 0), None
            nested = []
            limit = t.guest_timeout() + 20
            t0 = time.monotonic()
            while True:
                line = qemu.readline(max(1, limit - (time.monotonic() - t0)))
                if line is None:
                    where = where_vcpus(qemu, self.symbols(), gap=self.vcpu_sample_gap)
                    reason = ("guest-hang", f"the guest said nothing for {limit} s (hung); VM killed"
                              + "".join(f"; {w}" for w in where))
                    qemu.kill()
                    break
                if line == vm.EOF:
                    reason = ("vm-down", f"the VM went down during the test (QEMU status {qemu.wait_exit(5)})")
                    break
                if line.startswith("# rdcache-end "):
                    m = re.search(r"rc=(\d+) taint_before=(\d+) taint_after=(\d+)", line)
                    rc, taint = int(m.group(1)), (int(m.group(2)), int(m.group(3)))
                    break
                k.nested(line)
                nested.append(line)
            elapsed = time.monotonic() - t0
            self._settle_console(qemu, t, rc is not None)
            self.judge.test(qemu, boot, t, rc, taint, reason, elapsed, nested, k)
            pending.pop(0)
            if reason:
                vm_gone = reason[1]
                expected = set(t.expect or ()) | ({"vm-down"} if "panic" in (t.expect or ()) else set())
                if not pending and reason[0] in expected:
                    # A harness self-test that takes the VM down on purpose
                    # (panic, wedge): its own verdict says whether it did.
                    return None
                break
        if not vm_gone:
            done_line = self._wait_for(qemu, lambda ln: ln.startswith("# rdcache-done"), 60, k)
            status = qemu.wait_exit(30)
            if done_line in (None, vm.EOF) or status not in (1, 3):
                # Nothing left to blame but the boot itself: outside-tests fails.
                vm_gone = f"the guest did not finish cleanly (QEMU status {status})"
                k.diag(f"boot {boot.name}: {vm_gone}")
                return vm_gone
            return None
        for t in pending:
            k.result(t.name, False, reasons=[f"not run: {vm_gone}"])
        return f"the VM stopped early: {vm_gone}"

    def _wait_for(self, qemu, pred, timeout, k):
        while True:
            line = qemu.readline(timeout)
            if line is None or line == vm.EOF or pred(line):
                return line
            k.nested(line)

    def _settle_console(self, qemu, t, finished):
        """Give the console a moment to catch up with the test channel."""
        if not finished:
            time.sleep(1)
            return
        marker = f"kselftest: Finished tests in {t.spec} "
        for _ in range(100):
            if any(marker in ln for ln in qemu.console_lines()):
                return
            time.sleep(0.1)

    # A broken module must fail fast: only the first few reports of a slice
    # are decoded, each from its first line to the next report or 80 lines.
    DECODE_REPORTS = 3
    DECODE_LINES = 80
    DECODE_SECONDS = 45
