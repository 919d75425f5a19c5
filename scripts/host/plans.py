# SPDX-License-Identifier: GPL-2.0
"""The plans: which boots each target runs, and which guest tests each boot
runs, with what the harness must see of each (run.py runs them).

A plan is a list of Boot; a Boot is one QEMU run of the test kernel, its
kernel command line and a list of Test; a Test is one kselftest-style script
of scripts/selftests/ (`suite/script.sh[:arg]`, as the guest's /init takes
it), with the kinds of report a harness self-test must make the judge give.
Everything here is data: nothing boots and nothing is judged in this file.
"""

import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

SPLAT_KIND = {
    "warn": ("warning", "taint"),  # the log line, and the W taint bit on its own
    "lockdep": "lockdep",
    "kasan": "kasan",
    "ubsan": "ubsan",
    "sleep": "sleep-in-atomic",
    "hung": "hung-task",
    "panic": "panic",
}


# The kinds each recorded trigger's fixture must show (make record-fixtures).
RECORD_KIND = {
    "refcount": "refcount", "list": "list-corruption", "ubsan-shift": "ubsan", "might-sleep": "sleep-in-atomic",
    "hung-io": "hung-task", "rcu-stall": "rcu-stall", "rcu-exp-stall": "rcu-stall", "softlockup": "soft-lockup",
    "lockdep-irq": "lockdep", "lockdep-nest": "lockdep", "lockdep-held-exit": "lockdep",
    "lockdep-nonstatic": ("lockdep", "lockdep-off"), "lockdep-max": "lockdep-off", "rcu": "rcu",
    "spinlock": "bug", "odebug": "odebug", "slab": "slab", "bug": "bug", "null-deref": ("bug", "oops"),
    "gpf": "gpf", "flood": "printk-dropped", "rust-panic": "rust-panic", "ubsan": "ubsan",
    "lockdep-recursive": "lockdep", "lockdep-inconsistent": "lockdep", "lockdep-unbalanced": "lockdep",
    "lockdep-freed": "lockdep", "lockdep-user-return": "lockdep", "lockdep-wait-context": "lockdep",
    "lockdep-subclass": ("lockdep", "lockdep-off"), "lockdep-key": ("lockdep", "lockdep-off"),
    "rcu-stall-irqsoff": "rcu-stall", "odebug-stack": "odebug",
}


class Test:
    """A guest test: `spec` is 'suite/script.sh[:arg]' as /init takes it."""

    def __init__(self, spec, expect=None, name=None, timeout=None, config=None, exact=False, warn_at=(), allow=(),
                 decode=False):
        # RDCACHE_TEST_TIMEOUT_CAP=S: no test runs longer than S seconds, in
        # the guest too (generated mutants: one that loops for ever, even
        # printing, is caught at the cap, not after its suite's timeout).
        cap = int(os.environ.get("RDCACHE_TEST_TIMEOUT_CAP") or 0)
        if cap:
            timeout = min(timeout or settings_timeout(spec.split("/")[0]), cap)
        if timeout:
            script, colon, arg = spec.partition(":")
            spec = f"{script}@{timeout}{colon}{arg}"
        self.timeout = timeout
        self.spec = spec
        # A harness self-test: passes only if the runner reports this kind
        # (or every kind of a tuple).
        self.expect = (expect,) if isinstance(expect, str) else expect
        # exact: the expected kinds and nothing else (a KASAN report beside
        # an expected busy dentry fails it).  warn_at: the functions whose
        # WARN()s are part of the expected reports (their "WARNING: ... at
        # FUNC+" lines and the W taint they set); any other WARNING fails.
        self.exact = exact
        self.warn_at = tuple(warn_at)
        # allow (with exact): kinds that may appear but need not (a fuzzer's
        # seeds decide which leaks they make); the test's own checks say
        # which each run must show.
        self.allow = tuple(allow)
        # decode: the judge runs decode_stacktrace.sh over its expected
        # report too, and fails it unless a frame in rdcache's modules is
        # resolved to file:line (the decoding proven; other self-tests'
        # expected reports are not decoded).
        self.decode = decode
        script, _, arg = spec.partition(":")
        script = script.split("@")[0]
        base = script[:-3] if script.endswith(".sh") else script
        self.name = name or (base + (":" + arg if arg else ""))
        self.suite = script.split("/")[0]
        # The kernel options the test needs: its suite's `config` file (the
        # kselftest convention), unless the plan names its own.
        self.config = list(config) if config is not None else suite_config(self.suite)

    def guest_timeout(self):
        return self.timeout or settings_timeout(self.suite)


def settings_timeout(suite):
    """A suite's `timeout=` from its kselftest `settings` file (45 s if none)."""
    settings = os.path.join(TOP, "scripts", "selftests", suite, "settings")
    try:
        with open(settings) as f:
            for line in f:
                if line.startswith("timeout="):
                    return int(line.split("=", 1)[1])
    except OSError:
        pass
    return 45


def suite_config(suite):
    """The `CONFIG_X=y` lines of scripts/selftests/<suite>/config."""
    path = os.path.join(TOP, "scripts", "selftests", suite, "config")
    try:
        with open(path) as f:
            return [ln.strip() for ln in f if ln.startswith("CONFIG_")]
    except OSError:
        return []


class Boot:
    def __init__(self, name, tests, cmdline="", boot_timeout=None, expect_noboot=False, beside=False,
                 mem="2G", outside_expect=None, outside_name=None, smp=None, icount=False, timed=False,
                 light=False):
        self.name = name
        # Mostly waits (a timeout run out on purpose): it runs in the light
        # lane, one beside the slots the busy boots of its group share (the
        # light boots take turns in it), so that its waiting holds none of
        # those slots.  Its boot and tests still take some CPU beside them.
        self.light = light
        # Its checks depend on timing (rates at random, a hang or a boot
        # noticed in time): it starts only once the host-side tests, which
        # run beside the other boots, are done.
        self.timed = timed
        # Guest time counts guest instructions (QEMU -icount, one vCPU).
        self.icount = icount
        # vCPUs of this boot (default: the run's SMP).
        self.smp = smp
        # A harness self-test of the lines outside the tests' slices: the
        # kinds the outside-tests verdict must report, and its result's name.
        self.outside_expect = outside_expect
        self.outside_name = outside_name or f"{name}/outside-tests"
        self.mem = mem
        # May run beside other such boots (its checks allow for a busy host;
        # the stress's rates have margins).
        self.beside = beside
        self.tests = tests
        self.cmdline = cmdline
        self.boot_timeout = boot_timeout
        self.expect_noboot = expect_noboot

    def count(self):
        """Results this boot reports: its tests, and the verdict on every
        kernel-log line outside their slices (a boot that must not reach
        /init reports one result for the whole log)."""
        return 1 if self.expect_noboot else len(self.tests) + 1


def stress_boot():
    """make stress: CYCLES=N (default 1000) or DURATION=SECONDS; SMP=N vCPUs
    and WORKERS=N workers per mount (default 2); BIG=N: every N-th cycle
    mounts the big shape (default 5, 0 never)."""
    duration = int(os.environ.get("DURATION") or 0)
    cycles = 0 if duration else int(os.environ.get("CYCLES") or 1000)
    workers = int(os.environ.get("WORKERS") or 2)
    big = int(os.environ.get("BIG") or 5)
    timeout = (duration or cycles * 3) + 300
    return Boot("stress", [Test(f"stress/stress.sh:{cycles}+{duration}+{big}+{workers}", name="stress/stress",
                                timeout=timeout)])


def bench_boot():
    """make bench: BENCH_SIZES=10000,30000 overrides the umount sizes."""
    sizes = os.environ.get("BENCH_SIZES", "").replace(",", "+")
    arg = "full" + (f"+{sizes}" if sizes else "")
    # 4 vCPUs (on 2 host cores) for put on one dentry from 1, 2 and 4 threads.
    return Boot("bench", [Test(f"bench/bench.sh:{arg}", name="bench/full")], mem="6G", smp=4)


def bench_icount_boot(tiny=False):
    """The single-threaded benchmarks in instructions: one vCPU, QEMU's
    -icount shift=0,sleep=off (one nanosecond of guest time per instruction).
    RCU callbacks run in rcuc kthreads (rcutree.use_softirq=0), which
    bench.sh's SCHED_FIFO regions keep out, instead of on interrupt exit."""
    mode = "icount-tiny" if tiny else "icount"
    # BENCH_SIZES: other umount sizes here too (make bench only).
    sizes = "" if tiny else os.environ.get("BENCH_SIZES", "").replace(",", "+")
    return Boot(f"bench-{mode}", [Test(f"bench/bench.sh:{mode}" + (f"+{sizes}" if sizes else ""),
                                       name=f"bench/{mode}")],
                mem="2G" if tiny else "6G", smp=1, icount=True, beside=tiny,
                cmdline="kunit.enable=0 rcutree.use_softirq=0")


# The fuzzer logs a line for nearly every rejected input (the kernel's own
# fs_parse() messages among them), about 1.3 MB in a burst: more than the
# 128 KiB log buffer (CONFIG_LOG_BUF_SHIFT=17) holds while a busy host drains
# the serial console, and lost lines ("printk messages dropped") fail a test.
FUZZ_CMDLINE = "kunit.enable=0 log_buf_len=16M"
# make test's seed of hostile/fuzz.sh (rdc-fuzz), fixed: see the fuzz boot.
FUZZ_TEST_SEED = 1796643275


# The reports a fuzzed sequence may cause (its own leaks and refused calls);
# apifuzz.sh's judge.awk checks each against what the sequence announced.
APIFUZZ_KINDS = ("warning", "dentry-busy", "busy-inodes", "inode-leak")
APIFUZZ_WARNS = ("umount_check", "generic_shutdown_super", "rdc_lock_rule_warn")
# make test's bounded fuzz: these seeds, this many operations each.
APIFUZZ_FIRST, APIFUZZ_SEEDS, APIFUZZ_OPS = 1, 40, 60
# Seeds that once failed a correct layer (a false alarm of the fuzzer's
# model, each fixed in apifuzz.rs), run after the bounded ones so that the
# fix stays: DURATION runs of 2026-12-07 (docs/apifuzz.md).
APIFUZZ_REGRESSION = (5022, 5114, 5229, 100012, 100141, 100910, 101556, 101604)


def apifuzz_boot(bounded=False):
    """make apifuzz: SEED=N replays one sequence (verbose); DURATION=S runs
    fresh seeds (from FIRST=F, default the time) for S seconds; neither:
    make test's bounded set.  OPS=N operations per sequence."""
    return Boot("apifuzz", [apifuzz_test(bounded)], cmdline=FUZZ_CMDLINE, beside=bounded)


def apifuzz_test(bounded=False):
    """The fuzzer's test of make apifuzz (see apifuzz_boot), or make test's
    bounded set."""
    ops = int(os.environ.get("OPS") or APIFUZZ_OPS) if not bounded else APIFUZZ_OPS
    seed = None if bounded else os.environ.get("SEED")
    duration = 0 if bounded else int(os.environ.get("DURATION") or 0)
    if seed is not None:
        arg, name, timeout = f"replay+{int(seed)}+{ops}", f"apifuzz/replay-{int(seed)}", 300
    elif duration:
        first = int(os.environ.get("FIRST") or time.time())
        arg, name, timeout = f"duration+{duration}+{first}+{ops}", "apifuzz/duration", duration + 300
    else:
        regress = "_".join(map(str, APIFUZZ_REGRESSION))
        arg, name, timeout = f"seeds+{APIFUZZ_FIRST}+{APIFUZZ_SEEDS}+{ops}+{regress}", "apifuzz/bounded", 300
    return Test(f"apifuzz/apifuzz.sh:{arg}", name=name, timeout=timeout, exact=True, allow=APIFUZZ_KINDS,
                warn_at=APIFUZZ_WARNS)


def bench_plan():
    """make bench's boots; BENCH_MODES=icount (or wall): one of the two only."""
    modes = os.environ.get("BENCH_MODES", "").split() or ["wall", "icount"]
    unknown = [m for m in modes if m not in ("wall", "icount")]
    if unknown:
        raise SystemExit(f"run.py: BENCH_MODES: {' '.join(unknown)} is not wall or icount")
    return [b for b, m in ((bench_boot(), "wall"), (bench_icount_boot(), "icount")) if m in modes]


def plan(name):
    if name == "bench":
        return bench_plan()
    smoke = [Boot("main", [Test("smoke/smoke.sh")])]
    rdcachefs = [Test("rdcachefs/walk.sh"), Test("rdcachefs/options.sh"), Test("rdcachefs/lifecycle.sh"),
                 Test("rdcachefs/late-callback.sh", expect="late-callback",
                      name="rdcachefs/detects-late-callback"),
                 Test("rdcachefs/inode-leak.sh", expect="inode-leak", name="rdcachefs/detects-inode-leak"),
                 Test("rdcachefs/readdir-clamp.sh"), Test("rdcachefs/retain.sh"), Test("rdcachefs/work-limit.sh")]
    # Module exit against the workers, on the KASAN kernel: no KUnit at every
    # insmod.  30 cycles in make test (each cycle is one chance at the race,
    # and rmmod met a lingering worker in 98 of 100 cycles on dd8f4e1; the
    # 100 cycles before took 276 s of a 12-minute run; make hostile runs
    # 1000).
    unload = [Boot("unload-race", [Test("rdcachefs/unload-race.sh:30", timeout=900)], cmdline="kunit.enable=0",
                   beside=True)]
    # Each forced interleaving of 7.3's shrink lists against umount.
    forced = [Test(f"interleavings/force.sh:{c}", name=f"interleavings/{c}")
              for c in os.environ.get("RDCACHE_CASES",
                                         "steal wait resurrection foreign-list ancestor last-pin deferred-kill").split()]
    main = [Boot("main", [Test("smoke/smoke.sh"), Test("kunit/kunit.sh")] + rdcachefs + forced
                 + [Test("bench/bench.sh:tiny", name="bench/tiny")])]
    # The attributed stress, on 2 vCPUs and on 4 (oversubscribed: vCPUs are
    # preempted at arbitrary instructions); the big shape every 15th / 10th
    # cycle.  Short: make test stays under 10 minutes; make stress runs 1000.
    # Beside other boots: its checks are rates with margins (docs/race-and-interleavings.md), and a
    # boot beside it preempts its vCPUs too.
    stress = [Boot("stress", [Test("stress/stress.sh:30+0+15+2", name="stress/stress-2cpu")], smp=2,
                   beside=True, timed=True),
              # 10 cycles on 4 vCPUs (one of the big shape): each share check
              # still fails by chance below 0.1% of runs (hosttests.py
              # stress_threshold_results()); 20 took 195-265 s of a warm
              # make test of 10-12 minutes on a slower machine, where the
              # big shape's cycle alone took 80-106 s.
              Boot("stress-smp4", [Test("stress/stress.sh:10+0+10+4", name="stress/stress-4cpu")], smp=4,
                   beside=True, timed=True)]
    # Leaks from safe code cause only the reports C gives for the same leak
    # (rust/rdcachefs/sound.rs): a boot of its own, since the leaked dentry
    # stays in the dcache for ever.  Exactly these kinds, nothing else (no
    # KASAN); the script checks that they name the leaked d0 of rdcachefs.
    umount_warns = ("umount_check", "generic_shutdown_super")
    sound = [Boot("sound", [
        Test("sound/forget.sh", expect=("dentry-busy", "busy-inodes", "inode-leak"), exact=True,
             warn_at=umount_warns, name="sound/forget-umount-shrink-reports-only-the-leak"),
        # Each misuse refused with a WARN naming the rule (rdc_lock_rule_warn);
        # the refused put and drop leak their references, which umount reports.
        Test("sound/guard.sh", expect=("warning", "dentry-busy", "busy-inodes", "inode-leak"), exact=True,
             warn_at=umount_warns + ("rdc_lock_rule_warn",), name="sound/guard-misuse-refused-by-name"),
        Test("sound/irq.sh", expect=("warning", "dentry-busy", "busy-inodes", "inode-leak"), exact=True,
             warn_at=umount_warns + ("rdc_lock_rule_warn",), name="sound/irq-context-refused-by-name"),
        # Layer calls that take a directory's i_rwsem, from callbacks the VFS
        # calls under it: refused by name, nothing leaked.
        Test("sound/reentry.sh", expect=("warning",), exact=True, warn_at=("rdc_lock_rule_warn",),
             name="sound/dir-callback-reentry-refused-by-name"),
        # Calls that may sleep, each under a spinlock where nothing sleeps:
        # one "sleeping function called from invalid context" each, naming
        # the layer's own line; nothing else, nothing leaked.
        Test("sound/may-sleep.sh", expect=("sleep-in-atomic",), exact=True,
             name="sound/may-sleep-calls-report-an-atomic-caller-by-their-own-line"),
    ], beside=True)]
    # The seed's bug on purpose; each run in a boot of its own (it corrupts the kernel).
    negctl_expect = ("dentry-busy", "busy-inodes", "late-callback", "inode-leak")
    negctl = [Boot(f"negctl-{i}", [Test("negctl/negctl.sh", expect=negctl_expect,
                                        name=f"harness/negative-control-{i}")], beside=True)
              for i in range(1, 6)]
    # Splats that leave the kernel running share a boot, each judged on its
    # own slice of the log: lockdep first, since any report that taints the
    # kernel "lockdep unreliable" (KASAN's does) turns it off; the hung-task
    # test last, since it shortens the detector's timeout.  panic needs a
    # boot of its own (as the last test of this one, its slice would run to
    # the end of the log and take in a late report of the others', and the
    # boot's clean end would go unchecked); the leak runs last in the
    # kmemleak boot.
    harness = [Boot("splats", [Test(f"harness/splat.sh:{k}", expect=SPLAT_KIND[k], name=f"harness/detects-{k}",
                                    decode=k == "warn")
                               for k in ("lockdep", "warn", "sleep", "ubsan", "kasan", "hung")], beside=True,
                    timed=True),
               Boot("splat-panic", [Test("harness/splat.sh:panic", expect="panic", name="harness/detects-panic")],
                    beside=True)]
    # kmemleak's scans take long on the KASAN kernel under TCG beside other
    # boots: 60 s ran out once (2026-12-04, 14 boots) with the leak found.
    leak = Test("harness/splat.sh:leak", expect="kmemleak", name="harness/detects-leak", timeout=180)
    # Statuses mean what they say: a test that exits 1, one that dies of a
    # shell syntax error (busybox sh: 2), one that prints a result past its
    # plan and exits 0.  Each must be reported as the failure it is.
    harness.append(Boot("hang", [
        Test("harness-status/exit.sh:1", expect="exit", name="harness/detects-exit-1"),
        Test("harness-status/exit.sh:syntax", expect="exit", name="harness/detects-syntax-error"),
        Test("harness-status/exit.sh:overplan", expect="exit", name="harness/detects-result-past-plan"),
        Test("harness-status/exit.sh:dup-marker", expect="marker", name="harness/detects-duplicate-marker"),
        Test("harness-timeout/overrun.sh", expect="timeout", name="harness/detects-timeout"),
        Test("harness-timeout/wedge.sh", expect="guest-hang", name="harness/detects-guest-hang"),
    ], beside=True, timed=True, light=True))
    # A splat printed after the last test has ended (a work item's WARN,
    # while the guest lingers): the runner must find it outside the slices.
    harness.append(Boot("late-splat", [Test("harness/splat.sh:delayed-warn", name="harness/arms-delayed-warn")],
                        cmdline="rdcache_linger=4", outside_expect=("warning",),
                        outside_name="harness/detects-splat-after-last-test", beside=True, timed=True))
    # A kernel command line that never reaches /init: rdinit= names no file,
    # so the kernel ignores it, looks for a root filesystem, finds none and
    # panics (kernel_init_freeable()); panic=0 keeps the panicked guest
    # sitting there instead of rebooting.  The runner must say so in time:
    # within the boot's own timeout, which must outlast the guest's way to
    # that panic (about 10 s of guest time under TCG; 20 s of wall time was
    # too short beside two boots on a slower machine of two cores, where the
    # guest had only freed the initrd when the runner gave up).
    harness.append(Boot("noboot", [], cmdline="rdinit=/nonexistent panic=0", boot_timeout=60,
                        expect_noboot=True, beside=True, timed=True, light=True))
    # Hostile input and faults.  Fault injection and the load/unload cycles
    # run with kmemleak on (about 2.5x slower boots), the fuzzer without;
    # none needs the KUnit suites to run at every insmod.
    hostile = [
        # 1 GiB: every kmemleak scan reads every struct page (kmemleak_scan()),
        # and the sweeps need far less.
        Boot("faults", [Test("hostile/faults.sh:quick"), Test("hostile/cycles.sh:5"), leak],
             cmdline="kmemleak=on kunit.enable=0", mem="1G", beside=True),
        # One seed, of a typical run's cost (36 s on 2026-12-07): fresh seeds
        # once made a run take 295 s and 888 s (the shapes they mount);
        # make hostile explores fresh seeds, 50,000 cases.  The safe-API
        # fuzzer's bounded set comes last: it leaks dentries on purpose.
        Boot("fuzz", [Test(f"hostile/fuzz.sh:10000+{FUZZ_TEST_SEED}", name="hostile/fuzz"),
                      Test("hostile/privilege.sh"), apifuzz_test(bounded=True)], cmdline=FUZZ_CMDLINE,
             beside=True),
    ]
    # make test-kcsan, on the KCSAN kernel: the stress, and KCSAN seen to fire.
    # KCSAN excludes KASAN, and this kernel has no lockdep: these tests need KCSAN instead.
    kcsan_cfg = ["CONFIG_RUST=y", "CONFIG_DEBUG_FS=y", "CONFIG_KCSAN=y"]
    kcsan = [Boot("kcsan", [Test("smoke/smoke.sh"), Test("stress/stress.sh:100+0+0+2", config=kcsan_cfg)]),
             Boot("splat-race", [Test("harness/splat.sh:race", expect="kcsan", name="harness/detects-race",
                                      config=kcsan_cfg)])]
    hostile_full = [
        Boot("faults", [Test("hostile/faults.sh:full", timeout=3000)], cmdline="kmemleak=on kunit.enable=0",
             beside=True),
        Boot("cycles", [Test("hostile/cycles.sh:100", timeout=1200)], cmdline="kmemleak=on kunit.enable=0",
             beside=True),
        Boot("unload-race", [Test("rdcachefs/unload-race.sh:1000", timeout=3000)], cmdline="kunit.enable=0",
             beside=True),
        Boot("fuzz", [Test("hostile/fuzz.sh:50000", timeout=1800), Test("hostile/privilege.sh")],
             cmdline=FUZZ_CMDLINE, beside=True),
    ]
    # make record-fixtures: each trigger of rdcache_splat.ko whose report
    # family has no live self-test in make test, recorded once into
    # scripts/host/fixtures/rec-<trigger>.log (its test's log slice).  Those
    # that leave lockdep on and the kernel sane share a boot; the others
    # (lockdep switches itself off after one report; oopses) get their own.
    shared = ["refcount", "list", "ubsan", "ubsan-shift", "might-sleep", "hung-io", "rcu-stall", "rcu-exp-stall",
              "softlockup"]
    alone = ["lockdep-irq", "lockdep-nest", "lockdep-held-exit", "lockdep-nonstatic", "lockdep-max", "rcu",
             "spinlock", "odebug", "slab", "bug", "null-deref", "gpf", "rust-panic", "flood",
             "lockdep-recursive", "lockdep-inconsistent", "lockdep-unbalanced", "lockdep-freed",
             "lockdep-user-return", "lockdep-wait-context", "lockdep-subclass", "lockdep-key",
             "rcu-stall-irqsoff", "odebug-stack"]
    record = [Boot("rec-shared", [Test(f"harness/splat.sh:{k}", expect=RECORD_KIND[k], name=f"record/{k}",
                                       timeout=90) for k in shared], beside=True)]
    record += [Boot(f"rec-{k}", [Test(f"harness/splat.sh:{k}", expect=RECORD_KIND[k], name=f"record/{k}",
                                      timeout=120)], beside=True) for k in alone]
    plans = {
        "record-fixtures": record,
        "smoke": smoke,
        "run": [Boot("main", [Test("smoke/smoke.sh")] + forced + [Test("stress/stress.sh:30+0+15+2",
                                                                       name="stress/stress-2cpu")]),
                negctl[0]],
        "harness": harness + [Boot("splat-leak", [leak], cmdline="kmemleak=on", beside=True)],
        "kunit": [Boot("main", [Test("kunit/kunit.sh")])],
        "rdcachefs": [Boot("main", rdcachefs)] + unload,
        "interleavings": [Boot("main", forced)],
        "stress": [stress_boot()],
        "compile-fail": [],
        # Host only: the recorded kernel logs through the classifier (make mutants).
        "classifier": [],
        # Host only: every host-side test of make test but the compile-fail
        # cases and the layout builds (generated mutants of the judge).
        "host": [],
        # make test stays under 8 minutes warm: the main boot runs beside
        # the others, one negative-control boot (make negctl: five; each
        # reproduces the seed's failure).  Longest first, so that the two
        # boot slots end together.
        "test": hostile[:1] + unload + [Boot("main", main[0].tests, beside=True)] + hostile[1:] + stress
                + [bench_icount_boot(tiny=True)] + negctl[:1] + sound + harness,
        "hostile": hostile_full,
        "kcsan": kcsan,
        "negctl": negctl,
        "sound": sound,
        "apifuzz": [apifuzz_boot()],
        # Host only: the build-time layout checks fire, and the installed
        # bindgen against its bug report (make layout).
        "layout": [],
        # make upstream, on the patched kernel (whose dput_to_list() the
        # module uses): the series' built-in suite, the module's suites, the
        # forced interleavings, the stress on 2 vCPUs and a negative control.
        "upstream": [Boot("upstream", [Test("upstream/builtin-kunit.sh"), Test("kunit/kunit.sh")] + forced,
                          beside=True), stress[0], negctl[0]],
    }
    if name not in plans:
        raise SystemExit(f"run.py: unknown plan '{name}' (have: {', '.join(plans)})")
    return plans[name]
