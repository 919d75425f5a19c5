# SPDX-License-Identifier: GPL-2.0
"""Kernel log classifier: which lines of a dmesg slice mean the run is broken.

How PATTERNS was derived: for every detector that the test kernels enable
(tinyconfig + qemu/debug.config, and qemu/kcsan.config), the printk()/pr_*()
format strings that open a report were read in the Linux 7.3 source and turned
into a regex, prefix included: a file's pr_fmt() ("rcu: ", "watchdog: ",
"ODEBUG: ", "kmemleak: ", a Rust crate's "<name>: " from rust/kernel/print.rs)
is part of the line, printk() and WARN() messages carry none.  Each entry's
third element says where the format string is, as "file: function()"; every
citation is against the 7.3.4 tree (linux-source-7.3 7.3.4-1~bpo13+1), so a
reviewer can check each regex against the source it names (rdcache's own two
are against this repository).
scripts/host/classify_selftest.py proves each pattern with a recorded log
(scripts/host/fixtures/*.log).

A pattern matches the line after strip_timestamp(); most are anchored at its
start, as the kernel prints them.  Order matters: the first pattern that
matches a line names it, so specific patterns come before the catch-alls
(`^BUG: `, the `WARNING:` forms) at the end.

Detectors of the family that 7.3 has but these configs do not build are said
so in their citation (e.g. HARDLOCKUP_DETECTOR=n); such a pattern is kept only
where the runner depends on its kind.  What was left out on purpose: __warn()'s
file-less "WARNING: at %pS" (DEBUG_BUGVERBOSE=y gives every WARN a file:line;
the cut-here and end-trace lines would still catch one), the pre-7.x
"WARNING: CPU: N PID: N at" header (7.3 never prints it), the UBSAN_TRAP
"UBSAN: array index out of bounds" strings (UBSAN_TRAP=n), and fs/inode.c's
dump_inode() (DEBUG_VFS=n); include/linux/list.h's hlist helpers have no
checks at all in 7.3 (only lib/list_debug.c reports).

Switching a detector off is a failure of its own: "lockdep-off" means that
lockdep is blind from that line on, so a clean rest of the log proves nothing
about locking; "printk-dropped" means console lines were lost, and a splat or
a test's marker may have been among them.
"""

import re

# (kind, regex, source) -- kind is what a failure report names; source is the
# 7.3.4 file and function that prints the line.
PATTERNS = [
    # --- rdcache's own detectors (Rust pr_err!: "rdcache: " is the module's
    # __LOG_PREFIX, rust/kernel/print.rs call_printk() format "%s: %pA")
    ("late-callback", r"^rdcache: LATE CALLBACK",
     "rust/rdcachefs/registry.rs (rdcache): callback()"),
    ("inode-leak", r"^rdcache: INODE LEAK",
     "rust/rdcachefs/registry.rs (rdcache): kill_sb_end()"),

    # --- KASAN, KCSAN
    ("kasan", r"^BUG: KASAN: [\w-]+ in ",
     "mm/kasan/report.c: print_error_description()"),
    ("kasan", r"^KASAN: (null-ptr-deref|probably user-memory-access|probably wild-memory-access"
              r"|maybe wild-memory-access) in range \[0x[0-9a-f]+-0x[0-9a-f]+\]",
     "mm/kasan/report.c: kasan_non_canonical_hook() (after a GPF's Oops line)"),
    ("kcsan", r"^BUG: KCSAN: (data-race|assert: race) in ",
     "kernel/kcsan/report.c: print_report()"),

    # --- UBSAN (UBSAN_BOUNDS and UBSAN_SHIFT are what the config enables;
    # UBSAN_BOOL/ENUM/ALIGNMENT end up =n under merge_config.sh -n)
    ("ubsan", r"^UBSAN: array-index-out-of-bounds in \S+:\d+:\d+",
     "lib/ubsan.c: __ubsan_handle_out_of_bounds() via ubsan_prologue()"),
    ("ubsan", r"^UBSAN: shift-out-of-bounds in \S+:\d+:\d+",
     "lib/ubsan.c: __ubsan_handle_shift_out_of_bounds() via ubsan_prologue()"),

    # --- the VFS's own checks
    ("dentry-busy", r"^BUG: Dentry \S+\{i=[0-9a-f]*,n=.*\}\s+still in use \(-?\d+\) \[unmount of ",
     "fs/dcache.c: umount_check()"),
    ("busy-inodes", r"^VFS: Busy inodes after unmount of ",
     "fs/super.c: generic_shutdown_super() (CHECK_DATA_CORRUPTION: a WARN, BUG_ON_DATA_CORRUPTION=n)"),
    ("dentry-flags", r"^dentry=\S+ d_flags=0x[0-9a-f]+",
     "fs/dcache.c: dentry_free(), D_FLAG_VERIFY() (DENTRY_WARN_ONCE)"),
    ("dentry-loop", r"^VFS: Lookup of '.*' in \S+ \S+ would have caused loop",
     "fs/dcache.c: d_splice_alias_ops()"),

    # --- sleeping in atomic context (DEBUG_ATOMIC_SLEEP)
    ("sleep-in-atomic", r"^BUG: sleeping function called from invalid context at \S+:\d+",
     "kernel/sched/core.c: __might_resched()"),
    ("sleep-in-atomic", r"^BUG: scheduling while atomic: .+/\d+/0x[0-9a-f]+",
     "kernel/sched/core.c: __schedule_bug()"),
    ("sleep-in-atomic", r"^BUG: scheduling in a non-blocking section: ",
     "kernel/sched/core.c: schedule_debug()"),
    ("sleep-in-atomic", r"^BUG: assuming (atomic|non migratable) context at \S+:\d+",
     "kernel/sched/core.c: __cant_sleep(), __cant_migrate()"),
    ("sleep-in-atomic", r"^do not call blocking ops when !TASK_RUNNING; state=[0-9a-f]+ set at ",
     "kernel/sched/core.c: __might_sleep() (WARN_ONCE)"),

    # --- lockdep (PROVE_LOCKING): every report header of lockdep.c
    ("lockdep", r"^WARNING: possible circular locking dependency detected$",
     "kernel/locking/lockdep.c: print_circular_bug_header()"),
    ("lockdep", r"^WARNING: possible recursive locking detected$",
     "kernel/locking/lockdep.c: print_deadlock_bug()"),
    ("lockdep", r"^WARNING: inconsistent lock state$",
     "kernel/locking/lockdep.c: print_usage_bug()"),
    ("lockdep", r"^WARNING: possible irq lock inversion dependency detected$",
     "kernel/locking/lockdep.c: print_irq_inversion_bug()"),
    ("lockdep", r"^WARNING: (HARDIRQ|SOFTIRQ)(-READ)?-safe -> (HARDIRQ|SOFTIRQ)(-READ)?-unsafe lock order detected$",
     "kernel/locking/lockdep.c: print_bad_irq_dependency() (state names: lockdep_states.h)"),
    ("lockdep", r"^WARNING: bad unlock balance detected!$",
     "kernel/locking/lockdep.c: print_unlock_imbalance_bug()"),
    ("lockdep", r"^WARNING: held lock freed!$",
     "kernel/locking/lockdep.c: print_freed_lock_bug()"),
    ("lockdep", r"^WARNING: lock held when returning to user space!$",
     "kernel/locking/lockdep.c: lockdep_sys_exit()"),
    ("lockdep", r"^WARNING: Nested lock was not taken$",
     "kernel/locking/lockdep.c: print_lock_nested_lock_not_held()"),
    ("lockdep", r"^WARNING: .+/\d+ still has locks held!$",
     "kernel/locking/lockdep.c: print_held_locks_bug(), from debug_check_no_locks_held() in kernel/exit.c do_exit()"),
    ("lockdep", r"^WARNING: chain_key collision$",
     "kernel/locking/lockdep.c: print_collision() (only with DEBUG_LOCKDEP, =n here)"),
    ("lockdep", r"^WARNING: bad contention detected!$",
     "kernel/locking/lockdep.c: print_lock_contention_bug() (only with LOCK_STAT, =n here)"),
    ("lockdep", r"^\[ BUG: Invalid wait context \]$",
     "kernel/locking/lockdep.c: print_lock_invalid_wait_context() (PROVE_RAW_LOCK_NESTING=y)"),
    ("lockdep", r"^INFO: trying to register non-static key\.$",
     "kernel/locking/lockdep.c: assign_lock_key()"),
    ("lockdep", r"^BUG: looking up invalid subclass: \d+$",
     "kernel/locking/lockdep.c: look_up_lock_class()"),
    ("lockdep", r"^BUG: key \S+ has not been registered!$",
     "kernel/locking/lockdep.c: lockdep_init_map_type()"),
    ("rcu", r"^WARNING: suspicious RCU usage$",
     "kernel/locking/lockdep.c: lockdep_rcu_suspicious() (PROVE_RCU's RCU_LOCKDEP_WARN)"),

    # --- lockdep switching itself off: blind from here
    ("lockdep-off", r"^BUG: MAX_(LOCKDEP_KEYS|LOCKDEP_ENTRIES|LOCKDEP_CHAINS|LOCKDEP_CHAIN_HLOCKS"
                    r"|STACK_TRACE_ENTRIES|LOCK_DEPTH) too low!$",
     "kernel/locking/lockdep.c: print_lockdep_off() from register_lock_class(), alloc_list_entry(), "
     "add_chain_cache(), save_trace(), __lock_acquire() (KERN_DEBUG, shown: debug_locks_off() "
     "calls console_verbose())"),
    ("lockdep-off", r"^turning off the locking correctness validator\.$",
     "kernel/locking/lockdep.c: print_lockdep_off(), look_up_lock_class(), assign_lock_key()"),
    ("lockdep-off", r"^Disabling lock debugging due to kernel taint$",
     "kernel/panic.c: add_taint() (LOCKDEP_NOW_UNRELIABLE: KASAN, bad page, slab errors, Oops)"),
    ("lockdep-off", r"^DEBUG_LOCKS_WARN_ON\(.*\)",
     "include/linux/debug_locks.h: DEBUG_LOCKS_WARN_ON() (debug_locks_off(), then this WARN message)"),
    ("lockdep-off", r"^INFO: lockdep is turned off\.$",
     "kernel/locking/lockdep.c: debug_show_all_locks(), debug_show_held_locks()"),

    # --- RCU stalls
    ("rcu-stall", r"^rcu: INFO: \w+ self-detected stall on CPU$",
     "kernel/rcu/tree_stall.h: print_cpu_stall()"),
    ("rcu-stall", r"^rcu: INFO: \w+ detected stalls on CPUs/tasks:$",
     "kernel/rcu/tree_stall.h: print_other_cpu_stall()"),
    ("rcu-stall", r"^rcu: INFO: \w+ detected expedited stalls on CPUs/tasks: \{",
     "kernel/rcu/tree_exp.h: synchronize_rcu_expedited_stall()"),
    ("rcu-stall", r"^INFO: rcu_tasks detected stalls on tasks:$",
     "kernel/rcu/tasks.h: check_holdout_task() (TASKS_RCU=y; rcu_task_stall_timeout 10 min)"),

    # --- hung tasks (DETECT_HUNG_TASK)
    ("hung-task", r"^INFO: task .+:\d+ blocked in I/O wait for more than \d+ seconds\.$",
     "kernel/hung_task.c: hung_task_info() (t->in_iowait)"),
    ("hung-task", r"^INFO: task .+:\d+ blocked for more than \d+ seconds\.$",
     "kernel/hung_task.c: hung_task_info()"),

    # --- lockups
    ("soft-lockup", r"^watchdog: BUG: soft lockup - CPU#\d+ stuck for \d+s! \[.+:\d+\]$",
     "kernel/watchdog.c: watchdog_timer_fn()"),
    ("hard-lockup", r"^watchdog: CPU\d+: Watchdog detected hard LOCKUP on cpu \d+$",
     "kernel/watchdog.c: watchdog_hardlockup_check() (HARDLOCKUP_DETECTOR=n here)"),

    # --- refcount_t, lists
    ("refcount", r"^refcount_t: (saturated; leaking memory|addition on 0; use-after-free|underflow; use-after-free"
                 r"|decrement hit 0; leaking memory|unknown saturation event!\?)\.$",
     "lib/refcount.c: refcount_warn_saturate() (REFCOUNT_WARN), refcount_dec_not_one()"),
    ("list-corruption", r"^list_add (corruption\. |double add: new=)",
     "lib/list_debug.c: __list_add_valid_or_report() (CHECK_DATA_CORRUPTION: a WARN)"),
    ("list-corruption", r"^list_del corruption[,.] ",
     "lib/list_debug.c: __list_del_entry_valid_or_report() (CHECK_DATA_CORRUPTION: a WARN)"),

    # --- Rust
    ("rust-panic", r"^rust_kernel: panicked at \S+:\d+:\d+:",
     "rust/kernel/lib.rs: panic() (#[panic_handler], pr_emerg!(\"{}\\n\", info); 'rust_kernel: ' is "
     "the kernel crate's __LOG_PREFIX, rust/kernel/print.rs call_printk())"),

    # --- kmemleak: the report lines are not anchored, the scan's debugfs
    # report reaches the log as "kmemleak report: ..." (rdcachefs/lib.sh)
    ("kmemleak", r"unreferenced object( \(percpu\)| \(phys\))? 0x[0-9a-f]+ \(size \d+\):",
     "mm/kmemleak.c: __print_unreferenced()"),
    ("kmemleak", r"^kmemleak: \d+ new suspected memory leaks \(see /sys/kernel/debug/kmemleak\)$",
     "mm/kmemleak.c: kmemleak_scan()"),

    # --- debug objects (DEBUG_OBJECTS, with DEBUG_OBJECTS_RCU_HEAD only)
    ("odebug", r"^ODEBUG: (init|activate|deactivate|destroy|free|assert_init|active_state) "
               r"(none|initialized|inactive|active|destroyed|not available) \(active state \d+\) "
               r"object: \S+ object type: \S+ hint: ",
     "lib/debugobjects.c: debug_print_object() (state names: obj_states[])"),
    ("odebug", r"^ODEBUG: object \S+ is (NOT )?on stack \S+, but (NOT )?annotated\.$",
     "lib/debugobjects.c: debug_object_is_on_stack()"),
    ("odebug", r"^rcu: __call_rcu_common\(\): Double-freed CB \S+->.*\(\)!!!",
     "kernel/rcu/tree.c: __call_rcu_common() (DEBUG_OBJECTS_RCU_HEAD)"),
    ("odebug-off", r"^ODEBUG: Out of memory\. ODEBUG disabled$",
     "lib/debugobjects.c: debug_objects_oom()"),

    # --- slab (SLUB_DEBUG=y: a cache destroyed with objects still allocated)
    ("slab", r"^BUG \S+ \(.*\): ",
     "mm/slub.c: __slab_bug() (list_slab_objects(), slab_err(), object_err())"),
    ("slab", r"^kmem_cache_destroy \S+: Slab cache still has objects when called from ",
     "mm/slab_common.c: kmem_cache_destroy()"),

    # --- printk lost lines (ttyS0 is an nbcon console in 7.3)
    ("printk-dropped", r"^\*\* \d+ printk messages dropped \*\*$",
     "kernel/printk/printk.c: console_prepend_dropped(), from nbcon_emit_next_record() "
     "(kernel/printk/nbcon.c) and console_emit_next_record()"),

    # --- bad pages
    ("bad-page", r"^BUG: Bad page (state|map|cache)\b",
     "mm/page_alloc.c: bad_page(); mm/memory.c: print_bad_page_map(); mm/filemap.c: filemap_unaccount_folio()"),

    # --- Oops, GPF, NULL dereference, BUG(), panic
    ("gpf", r"^Oops: (segment-related )?general protection fault",
     "arch/x86/kernel/traps.c: exc_general_protection() (GPFSTR) via arch/x86/kernel/dumpstack.c __die_header()"),
    ("oops", r"^Oops: .+: [0-9a-f]{4} \[#\d+\]",
     "arch/x86/kernel/dumpstack.c: __die_header()"),
    ("bug", r"^BUG: (kernel NULL pointer dereference, address|unable to handle page fault for address): ",
     "arch/x86/mm/fault.c: show_fault_oops()"),
    ("bug", r"^kernel BUG at \S+",
     "lib/bug.c: __report_bug()"),
    ("panic", r"^Kernel panic - not syncing: ",
     "kernel/panic.c: vpanic()"),

    # --- catch-alls, last
    ("warning", r"^WARNING: \S+:\d+ at .+, CPU#\d+: .+/\d+$",
     "kernel/panic.c: __warn() (7.3: 'WARNING: %s:%d at %pS, CPU#%d: %s/%d')"),
    ("warning", r"^-+\[ cut here \]-+$",
     "include/asm-generic/bug.h: CUT_HERE, printed by lib/bug.c __report_bug(), kernel/panic.c "
     "__warn_printk(), lib/ubsan.c ubsan_prologue()"),
    ("warning", r"^---\[ end trace [0-9a-f]{16} \]---$",
     "kernel/panic.c: print_oops_end_marker()"),
    ("bug", r"^BUG: ",
     "catch-all: kernel/locking/spinlock_debug.c spin_dump(), rwlock_bug(); kernel/workqueue.c "
     "process_one_work(); arch/x86/kernel/traps.c handle_stack_overflow(); kernel/fork.c check_mm()"),
]

# Lines that are expected and harmless (checked before PATTERNS).
NOISE = [
    # every rdcache module is out of tree, and its KUnit modules are test modules
    # (kernel/module/main.c: module_augment_kernel_taints())
    r"^\S+: loading (out-of-tree|test) module taints kernel\.$",
    # the modules are not signed (kernel/module/main.c: module_augment_kernel_taints())
    r"^\S+: module verification failed: signature and/or required key missing - tainting kernel$",
    # the tests drop caches on purpose (fs/drop_caches.c: drop_caches_sysctl_handler())
    r"^.+ \(\d+\): drop_caches: \d+$",
]

# What a kind means for the rest of the log, added to summary().
NOTES = {
    "lockdep-off": "lockdep blind from here",
    "odebug-off": "debugobjects blind from here",
    "printk-dropped": "console lines lost: a splat or marker may be among them",
}

_PATTERNS = [(p[0], re.compile(p[1])) for p in PATTERNS]
_NOISE = [re.compile(r) for r in NOISE]
_TIMESTAMP = re.compile(r"^\s*\[\s*\d+\.\d+\]\s?")

# /proc/sys/kernel/tainted bits that mean something went wrong.  Out-of-tree
# (O), unsigned (E) and test (N) modules are expected.
BAD_TAINT = {
    5: ("B", "bad page"),
    7: ("D", "kernel died (oops or BUG)"),
    9: ("W", "warning"),
    14: ("L", "soft lockup"),
}


def strip_timestamp(line):
    return _TIMESTAMP.sub("", line.rstrip("\r\n"))


def classify_line(line):
    """The kind of failure a single log line shows, or None."""
    text = strip_timestamp(line)
    for noise in _NOISE:
        if noise.search(text):
            return None
    for kind, rx in _PATTERNS:
        if rx.search(text):
            return kind
    return None


_REPLAY = "** replaying previous printk message **"


def classify(lines):
    """[(kind, line)] for every line of `lines` that means failure.  A line
    that printk cut short on the console and then replays in full (the
    next line says so) is judged by its replay only: cut short, a busy
    dentry's report reads as a bare BUG."""
    found = []
    lines = list(lines)
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and _REPLAY in lines[i + 1]:
            continue
        kind = classify_line(line)
        if kind:
            found.append((kind, strip_timestamp(line)))
    return found


def new_bad_taint(before, after):
    """Bad taint bits set in `after` that were not in `before`, as text."""
    gained = after & ~before
    return [f"{letter} ({why})" for bit, (letter, why) in sorted(BAD_TAINT.items()) if gained & (1 << bit)]


def summary(findings):
    """One line naming the splat(s): 'kasan: BUG: KASAN: ... (+3 more lines)'.

    A kind that blinds a detector or loses lines says so at the end, e.g.
    '[lockdep-off: lockdep blind from here]'."""
    if not findings:
        return ""
    kinds = []
    for kind, _ in findings:
        if kind not in kinds:
            kinds.append(kind)
    first = findings[0][1]
    notes = "".join(f" [{k}: {NOTES[k]}]" for k in kinds if k in NOTES)
    return (f"{'+'.join(kinds)}: {first[:160]}" + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else "")
            + notes)


def kcsan_reports(lines):
    """[(report line, ours, via)] for each KCSAN report in `lines`.

    `ours`: one of the two racing accesses is in rdcache's code, i.e. the
    report's title ("data-race in A / B") names a function of rdcache's
    modules (`[rdcache...]`) or its C glue (`rdc_*`).  `via`: rdcache is only
    somewhere in the call chains (up to the closing ===== line), e.g. as the
    `->lookup()` that called into fs/dcache.c, read from at most the 119
    lines after the title.  make test-kcsan fails only on reports that are
    ours.
    """
    out = []
    for i, line in enumerate(lines):
        text = strip_timestamp(line)
        if "BUG: KCSAN: " not in text:
            continue
        block = []
        for following in lines[i + 1:i + 120]:
            t = strip_timestamp(following)
            if t.startswith("====="):
                break
            block.append(t)
        ours = bool(re.search(r"\[rdcache\w*\]|\brdc_\w+|rdcache", text))
        via = any(re.search(r"\[rdcache\w*\]|\brdc_\w+", t) for t in block)
        out.append((text, ours, via))
    return out
