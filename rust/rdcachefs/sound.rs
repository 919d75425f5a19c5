// SPDX-License-Identifier: GPL-2.0

//! Sequences of safe calls that once reached undefined behaviour in the
//! dcache layer, replayed on demand (debugfs `control`), so that a boot on
//! the KASAN kernel shows they no longer do; and one that makes the layer's
//! own `might_sleep()` checks fire ([`may_sleep_in_atomic`]).
//!
//! They leak on purpose (`mem::forget()` is safe Rust), so they are not
//! KUnit tests: a suite runs at every `insmod`, and a leaked dentry makes
//! its umount report a busy dentry.  The only reports a sequence may cause
//! are the ones C gives for the same leak; its test
//! (`scripts/selftests/sound/`) names them.
//!
//! Safe code only, like the rest of `rdcachefs`.

use super::{
    scenario::{HAS_DEFERRED_STEP, NOT_LAST},
    workers::Workers,
    RdcacheFs, TYPE,
};
use crate::dcache::{
    hardirq::in_hardirq, peer, Census, DentryRef, Foreign, KernMount, PutResult, ShrinkList,
};
use kernel::alloc::VVec;
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Release},
        rcu::rcu_barrier,
        SpinLock,
    },
    time::{delay::fsleep, Delta},
};
use pin_init::stack_pin_init;

/// Issue 22's first finding, as its 13 safe lines: `put` a new dentry
/// (deferred), look it up again, `mem::forget()` the new reference,
/// unmount, and only then `shrink()` the list.  With the kernel's
/// `dput_to_list()` nothing is deferred: `d0` is marked `DCACHE_DONTCACHE`
/// first, so that its put lists it, and the rest is the same.
///
/// Umount reports the leaked dentry (`BUG: Dentry ... still in use (1)`)
/// and its inode (`VFS: Busy inodes`, `rdcache: INODE LEAK`) and frees the
/// superblock.  `shrink()` must take the entry off the list without
/// looking at that superblock: a deferred step that read `d_sb` of an entry
/// in use (as the one before it did, to pin it) reads freed memory, which
/// KASAN reports.  `EINVAL` (logged) if a step does not do what it must.
pub(crate) fn forget_umount_shrink() -> Result {
    stack_pin_init!(let list = ShrinkList::new());
    {
        let mnt = KernMount::<RdcacheFs>::new(&TYPE, Some(c"depth=1,fanout=1,files=0"))?;
        let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
        let root = pin.root();
        let d0 = root.lookup(c"d0")?;
        if !HAS_DEFERRED_STEP {
            d0.mark_dontcache()?;
        }
        let want_put = if HAS_DEFERRED_STEP {
            PutResult::Deferred
        } else {
            PutResult::Listed
        };
        let put = list.as_mut().put(d0);
        if put != want_put {
            pr_err!(
                "sound: forget-umount-shrink: put of a new d0 gave {put:?}, not {want_put:?}\n"
            );
            return Err(EINVAL);
        }
        let again = root.try_lookup(c"d0")?.ok_or(ENOENT)?;
        // Safe, and a leak: umount will find d0 busy.
        core::mem::forget(again);
        // `root`, `pin` and `mnt` drop here: `kern_unmount()` runs
        // `->kill_sb()`, which reports d0 and frees the superblock.
    }
    // The superblock's memory goes in an RCU callback's work item
    // (`__put_super()` -> `destroy_super_rcu()` -> `destroy_super_work()`):
    // give it time to be freed, so that a read of it is a KASAN report.
    rcu_barrier();
    fsleep(Delta::from_millis(200));
    let census = list.census();
    let deferred = usize::from(HAS_DEFERRED_STEP);
    let want = Census {
        entries: 1,
        husks: 0,
        in_use: 1,
        deferred,
        deferred_in_use: deferred,
    };
    let kept = list.as_mut().shrink_kept();
    pr_info!(
        "sound: forget-umount-shrink: after umount, census entries={} husks={} in_use={} deferred={}; shrink() kept {}, list empty: {}\n",
        census.entries,
        census.husks,
        census.in_use,
        census.deferred,
        kept,
        list.is_empty()
    );
    if census != want || kept != 0 || !list.is_empty() {
        pr_err!("sound: forget-umount-shrink: want census entries=1 in_use=1 deferred={deferred}, shrink() keeping 0 and leaving the list empty\n");
        return Err(EINVAL);
    }
    Ok(())
}

/// The name whose `lookup()` calls back into the layer on a `reentry=1`
/// mount.
pub(crate) const REENTER: &[u8] = b"reenter";

/// On a `reentry=1` mount, from inside its `lookup()` of [`REENTER`] or its
/// first `child()` of a listing (`callback`), each run by the VFS with the
/// directory's `i_rwsem` held shared: the layer calls that would take that
/// lock again (`lookup()`, `create_child()` on this superblock) must be
/// refused, each with a `WARN` naming itself and the rule, and one that
/// takes no such lock (`try_lookup()`, the dcache only) allowed.  Logs a
/// `sound: ok:` or `sound: FAILED:` line per check
/// (`scripts/selftests/sound/reentry.sh` reads them).
pub(crate) fn reenter(w: &Workers, callback: &str) {
    // A pin taken inside the callback is not the last: whoever made the VFS
    // call this holds the superblock active (a mount, or a pin).
    let Some(pin) = w.sb().and_then(|sb| sb.try_activate()) else {
        pr_err!("sound: FAILED: reentry in {callback}: the superblock could not be pinned\n");
        return;
    };
    let root = pin.root();
    let checks = [
        (
            "lookup() refused (EDEADLK)",
            root.lookup(c"d0").err() == Some(EDEADLK),
        ),
        (
            "create_child() refused (EDEADLK)",
            root.create_child(c"reentered", false).err() == Some(EDEADLK),
        ),
        (
            "try_lookup() allowed (the dcache only)",
            root.try_lookup(c"d0").is_ok(),
        ),
    ];
    for (what, ok) in checks {
        if ok {
            pr_info!("sound: ok: reentry in {callback}: {what}\n");
        } else {
            pr_err!("sound: FAILED: reentry in {callback}: {what}\n");
        }
    }
}

/// Counts the checks of [`guard_misuse`] that failed, logging each.
struct Checks(u32);

impl Checks {
    fn check(&mut self, what: &str, ok: bool) {
        if ok {
            pr_info!("sound: ok: {what}\n");
        } else {
            pr_err!("sound: FAILED: {what}\n");
            self.0 += 1;
        }
    }
}

/// Every layer call that could deadlock under a dentry guard, made under
/// one (the dcache layer's lock rule, `rust/dcache/dentry.rs`): each is
/// refused with a `WARN` naming the rule, or, for the guarded dentry
/// itself, counted under the held lock.
///
/// The refused `put` and the refused drop leak their references (d1's
/// and f0's), as the rule documents, so the umount at the end reports them:
/// the only reports besides the `WARN`s.  `EINVAL` (logged) if a call does
/// not do what the rule says.
pub(crate) fn guard_misuse() -> Result {
    let mut c = Checks(0);
    stack_pin_init!(let list = ShrinkList::new());
    {
        let mnt = KernMount::<RdcacheFs>::new(&TYPE, Some(c"depth=1,fanout=2,files=1"))?;
        let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
        let mut root = pin.root();
        let other = root.clone();
        let d0 = root.lookup(c"d0")?;
        let mut d1 = root.lookup(c"d1")?;
        let f0 = root.lookup(c"f0")?;
        // An entry to kill, on the list before the guard is taken.
        let doomed = root.lookup(c"drop-0")?;
        c.check(
            "drop-0's last put is listed",
            list.as_mut().put(doomed) == PutResult::Listed,
        );
        // For `DputBatch::new()` under the guard: made and dropped outside
        // it (dropping a `VVec` may sleep, in `vfree()`).
        let mut none = VVec::<DentryRef<'_, RdcacheFs>>::new();
        {
            let mut guard = root.lock_children().ok_or(EBUSY)?;
            // The guarded directory itself: counted under its held lock.
            let n = other.count();
            let extra = other.clone();
            c.check(
                "clone of the guarded directory counts under its lock",
                extra.count() == n + 1,
            );
            let put = list.as_mut().put(extra);
            c.check(
                "a non-last put of the guarded directory drops under its lock",
                put == NOT_LAST && other.count() == n,
            );
            // Refused, each with a WARN naming the rule.
            c.check(
                "try_lookup() refused (EDEADLK)",
                other.try_lookup(c"d0").err() == Some(EDEADLK),
            );
            c.check(
                "lookup() refused (EDEADLK)",
                other.lookup(c"d0").err() == Some(EDEADLK),
            );
            c.check(
                "create_child() refused (EDEADLK)",
                other.create_child(c"new", false).err() == Some(EDEADLK),
            );
            c.check(
                "mark_dontcache() refused (EDEADLK)",
                d0.mark_dontcache().err() == Some(EDEADLK),
            );
            c.check("name() refused (EDEADLK)", d0.name().err() == Some(EDEADLK));
            // Mounting sleeps: refused before it could.
            c.check(
                "KernMount::new() refused (EDEADLK)",
                KernMount::<RdcacheFs>::new(&TYPE, None).err() == Some(EDEADLK),
            );
            c.check(
                "KernMount::foreign() refused (EDEADLK)",
                KernMount::<Foreign>::foreign(c"ramfs", None).err() == Some(EDEADLK),
            );
            c.check(
                "parent() refused (EDEADLK)",
                d0.parent().err() == Some(EDEADLK),
            );
            // The benchmarks' C loops: refused, doing nothing.
            let before = d0.count();
            peer::dget_dput_loop(&d0, 1);
            peer::dget_put_or_lock_loop(&d0, 1);
            c.check(
                "peer loops refused: the count unchanged",
                d0.count() == before,
            );
            // It allocates with `GFP_KERNEL`: refused before it could.
            c.check(
                "DputBatch::new() refused (EDEADLK)",
                peer::DputBatch::new(&mut none).err() == Some(EDEADLK),
            );
            let before = d0.count();
            d0.shrink_dcache_parent();
            d0.d_invalidate();
            c.check(
                "shrink_dcache_parent() and d_invalidate() did nothing",
                d0.count() == before && !d0.is_unhashed(),
            );
            c.check(
                "a second lock_children() refused",
                d1.lock_children().is_none(),
            );
            c.check(
                "shrink() refused: nothing killed, the list kept",
                list.as_mut().shrink_kept() == 0 && list.census().entries == 1,
            );
            c.check(
                "put of another dentry refused (leaked)",
                list.as_mut().put(d1) == PutResult::Refused,
            );
            // A locked child: its own references count under its lock.
            {
                let locked = guard.lock_child(|ch| ch.name() == b"d0").ok_or(ENOENT)?;
                let n = locked.count();
                let again = d0.clone();
                c.check(
                    "clone of the locked child counts under its lock",
                    locked.count() == n + 1,
                );
                drop(again);
                c.check(
                    "a non-last drop of the locked child drops under its lock",
                    locked.count() == n,
                );
            }
            // Refused: leaked with a WARN.
            drop(f0);
        }
        c.check(
            "without the guard, lookups work again",
            other.try_lookup(c"d0").is_ok_and(|d| d.is_some()),
        );
        list.as_mut().shrink();
        c.check(
            "without the guard, shrink() kills drop-0",
            list.is_empty() && other.try_lookup(c"drop-0").is_ok_and(|d| d.is_none()),
        );
        drop(d0);
        drop(other);
        // `root`, `pin` and `mnt` drop here: umount reports d1 and f0.
    }
    if c.0 > 0 {
        pr_err!("sound: guard-misuse: {} check(s) failed\n", c.0);
        return Err(EINVAL);
    }
    Ok(())
}

/// The context rule outside task context: in a hard interrupt (an `hrtimer`
/// callback), `lock_children()` is `None`, `try_lookup()` is refused
/// (`EDEADLK`, with a `WARN` naming the rule) and `put()` is refused
/// (`PutResult::Refused`, with a `WARN`), its reference leaked: `d_lock` is
/// not IRQ-safe, and the interrupted task may hold it.  `WeakSuper`'s anchor
/// lock is not either: `try_activate()` is `None` and `is_gone()` `true`,
/// each with a warning line (no `WARN`).
///
/// The leaked reference to d0 makes the umount at the end report it: the
/// only report besides the two `WARN`s.  `EINVAL` (logged) if a call does
/// not do what the rule says.
pub(crate) fn irq_refusals() -> Result {
    let mnt = KernMount::<RdcacheFs>::new(&TYPE, Some(c"depth=1,fanout=1,files=0"))?;
    let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
    let mut root = pin.root();
    let d0 = root.lookup(c"d0")?;
    let weak = pin.weak();
    let seen = Atomic::new(0u32);
    in_hardirq(|| {
        let mut r = 0;
        // The anchor's lock is not IRQ-safe either: refused, with a warning.
        if weak.try_activate().is_none() {
            r |= 8;
        }
        if weak.is_gone() {
            r |= 16;
        }
        if root.lock_children().is_none() {
            r |= 1;
        }
        if root.try_lookup(c"d0").err() == Some(EDEADLK) {
            r |= 2;
        }
        stack_pin_init!(let list = ShrinkList::new());
        if list.as_mut().put(d0) == PutResult::Refused {
            r |= 4;
        }
        seen.store(r, Release);
    })?;
    let r = seen.load(Acquire);
    let mut c = Checks(0);
    c.check("lock_children() in a hard interrupt is None", r & 1 != 0);
    c.check(
        "try_lookup() in a hard interrupt refused (EDEADLK)",
        r & 2 != 0,
    );
    c.check("put() in a hard interrupt refused (leaked)", r & 4 != 0);
    c.check(
        "WeakSuper::try_activate() in a hard interrupt refused (None)",
        r & 8 != 0,
    );
    c.check(
        "WeakSuper::is_gone() in a hard interrupt cannot tell: true",
        r & 16 != 0,
    );
    c.check(
        "back in the task, WeakSuper::try_activate() works",
        weak.try_activate().is_some(),
    );
    c.check(
        "back in the task, lock_children() works",
        root.lock_children().is_some(),
    );
    if c.0 > 0 {
        pr_err!("sound: irq-refusals: {} check(s) failed\n", c.0);
        return Err(EINVAL);
    }
    Ok(())
}

/// Runs `f` under `lock`, a spinlock no dentry guard knows of, a second
/// after the last report: the kernel prints one "sleeping function called
/// from invalid context" report a second at most (`__might_resched()`), so
/// each call gets a second of its own.  Logs `sound: may-sleep: WHAT` first
/// (`scripts/selftests/sound/may-sleep.sh` ties each report to it).
fn under_spinlock<R>(lock: &SpinLock<()>, what: &str, f: impl FnOnce() -> R) -> R {
    fsleep(Delta::from_millis(1100));
    pr_info!("sound: may-sleep: {what}\n");
    let _guard = lock.lock();
    f()
}

/// The layer's own `might_sleep()` checks, made to fire where nothing else
/// would: each call the layer documents as **may sleep** is made under a
/// spinlock (which no dentry guard knows of, so the context check lets it
/// through), on a path where nothing it calls sleeps or says it may: the
/// cached lookup, `dget_parent()`'s fast path, `d_invalidate()` of an
/// unhashed dentry, `create_child()` on a file (`ENOTDIR` before any lock),
/// a non-last `deactivate_super()` and `iput()`, `shrink()` of a list whose
/// one entry is in use again, an empty `DputBatch`.  Each must give a
/// report naming the layer's own line (the C callee's `might_sleep()`,
/// where it has one: `iput()`, the empty batch's `vfree(NULL)`, the
/// fallback's `rdc_shrink_keep()`, comes later in the same second and is
/// not printed).
/// Nothing sleeps and nothing leaks.  `EINVAL` (logged) if a call does not
/// do what it must.
pub(crate) fn may_sleep_in_atomic() -> Result {
    let mut c = Checks(0);
    let lock = KBox::pin_init(new_spinlock!(()), GFP_KERNEL)?;
    stack_pin_init!(let list = ShrinkList::new());
    {
        let mnt = KernMount::<RdcacheFs>::new(&TYPE, Some(c"depth=1,fanout=1,files=1"))?;
        let pin = mnt.sb().try_activate().ok_or(EINVAL)?;
        let root = pin.root();
        let d0 = root.lookup(c"d0")?;
        let f0 = root.lookup(c"f0")?;
        let gone = root.create_child(c"gone", false)?;
        gone.d_invalidate();
        c.check(
            "a created child is unhashed by d_invalidate()",
            gone.is_unhashed(),
        );

        let parent = under_spinlock(&lock, "DentryRef::parent()", || d0.parent());
        c.check(
            "parent() of d0 under a spinlock is the root",
            parent.is_ok_and(|p| p.as_raw() == root.as_raw()),
        );
        let again = under_spinlock(&lock, "DentryRef::lookup()", || root.lookup(c"d0"));
        c.check(
            "lookup() of the cached d0 under a spinlock found it",
            again.is_ok_and(|d| d.as_raw() == d0.as_raw()),
        );
        under_spinlock(&lock, "DentryRef::d_invalidate()", || gone.d_invalidate());
        let child = under_spinlock(&lock, "DentryRef::create_child()", || {
            f0.create_child(c"x", false)
        });
        c.check(
            "create_child() in a file under a spinlock: ENOTDIR",
            child.err() == Some(ENOTDIR),
        );
        let extra = mnt.sb().try_activate().ok_or(EINVAL)?;
        under_spinlock(&lock, "ActiveSuper drop", || drop(extra));
        let inode = d0.inode().ok_or(ENOENT)?;
        under_spinlock(&lock, "InodeRef drop", || drop(inode));
        let mut none = VVec::<DentryRef<'_, RdcacheFs>>::new();
        let batch = under_spinlock(&lock, "DputBatch::new()", || {
            peer::DputBatch::new(&mut none)
        })?;
        under_spinlock(&lock, "DputBatch::run()", || batch.run());
        // f0's last put, then f0 found again: the list's one entry is in
        // use, and its shrink only takes it off (as the one in
        // forget_umount_shrink()).
        if !HAS_DEFERRED_STEP {
            f0.mark_dontcache()?;
        }
        let want_put = if HAS_DEFERRED_STEP {
            PutResult::Deferred
        } else {
            PutResult::Listed
        };
        c.check(
            "f0's last put is listed (deferred, on the fallback)",
            list.as_mut().put(f0) == want_put,
        );
        let f0 = root.try_lookup(c"f0")?.ok_or(ENOENT)?;
        under_spinlock(&lock, "ShrinkList::shrink()", || list.as_mut().shrink());
        c.check(
            "shrink() under a spinlock took the entry in use off the list",
            list.is_empty() && f0.count() == 1,
        );
        // Everything else drops here, outside the spinlock.
    }
    if c.0 > 0 {
        pr_err!("sound: may-sleep: {} check(s) failed\n", c.0);
        return Err(EINVAL);
    }
    Ok(())
}
