// SPDX-License-Identifier: GPL-2.0

//! Forced interleavings: each case in which 7.3's umount can meet a private
//! shrink list, made to happen on every run.
//!
//! A mount with `scenario=K` starts the scenario's own workers (one, or two
//! for `foreign-list`) instead of the random ones.  They take their steps in
//! a fixed order and *park* where the interleaving needs another task (the
//! test script's `umount(2)`, a lookup from userspace) to act: a parked
//! worker sleeps until the script writes `release` to the control file
//! (`/sys/kernel/debug/rdcache/control`), whose read shows where it is
//! parked.  The cases, and where 7.3 handles them (`fs/dcache.c`):
//!
//! 1. `steal`: a worker puts the last reference of a `drop-` entry (its
//!    `->d_delete()` says kill) into its list and parks holding the list.
//!    umount's `shrink_dcache_tree()` finds the zero-count entry on the list
//!    (`select_collect2()`) and kills it (`shrink_kill()`), leaving the husk;
//!    once released, the worker's census finds the husk, and `shrink()`
//!    frees it (`shrink_dentry_list()`, `DCACHE_DENTRY_KILLED`).
//! 2. `wait`: the worker's `shrink()` kills its entry and parks inside the
//!    kill (in `->d_release()`: lockref dead, not yet unlisted).  umount finds
//!    the dentry dying and sleeps (`d_add_waiter()`, `wait_for_completion()`)
//!    until the worker is released and `dentry_unlist()` completes it.
//! 3. `resurrection`: the worker puts the last references of `d0` (deferred)
//!    and of `f0` (marked `DCACHE_DONTCACHE`: listed) and parks; userspace
//!    takes new references (a shell's working directory, an open file).  The
//!    worker's census finds both in use, and `shrink()` takes them off the
//!    list alive (`lock_for_kill()` refuses a non-zero count), then parks
//!    again so the script can see nothing was killed.
//! 4. `foreign-list`: worker 0 puts the last reference of `d0` (deferred,
//!    on its list); worker 1 looks `d0` up again and puts that reference:
//!    the dentry is on worker 0's list, so the put leaves it to that list's
//!    owner (the seed's `__dput_to_list()` branch, `PutResult::OtherList`),
//!    whose `shrink()` then keeps it cached.
//! 5. `ancestor`: the worker holds `d0/drop-0` alone (its reference to `d0`
//!    dropped) and puts it; its `shrink()` kills the leaf, which drops `d0`'s
//!    last count, so `shrink_kill()` goes on to kill `d0`; the worker parks
//!    in `d0`'s `->d_release()`, and umount finds the parent dying: case 2
//!    one level up.
//! 6. `last-pin`: the worker parks holding an active reference; `umount(2)`
//!    returns without `->kill_sb()` (`deactivate_super()` only dropped a
//!    count), and the worker, released, drops the last active reference and
//!    runs `->kill_sb()` itself.
//!
//! 7. `deferred-kill`: the worker puts the last reference of `d0`
//!    (deferred: hashed, not on the LRU), lets go of its pin, and arms
//!    `->d_delete()` to say kill and a park in its next `->d_release()`.
//!    Its `shrink()` takes `s_umount` shared (trylock: the superblock is
//!    up) and hands `d0` to `dput()`, which now kills it and parks inside
//!    the kill.  `umount(2)` then blocks on `s_umount` until the worker is
//!    released, and runs `->kill_sb()` itself: the deferred step takes no
//!    active reference, so its thread never runs `->kill_sb()`
//!    (`kill_sb_in_shrink` stays 0).  A deferred step that pinned the
//!    superblock with `s_active` instead would let `umount(2)` return at
//!    once and run `->kill_sb()` in the worker.
//!
//! The hooks are inert unless a scenario armed them: [`on_release`] and
//! [`kill_on_delete`] are one relaxed load in every `->d_release()` and
//! `->d_delete()`, and only a scenario worker parks.

use super::{registry, registry::Counter, workers::Workers, RdcacheFs};
use crate::dcache::{ActiveSuper, DentryRef, PutResult, ShrinkList, WeakSuper};
use core::fmt;
use kernel::{
    prelude::*,
    sync::atomic::{Acquire, Atomic, Relaxed, Release},
    time::{delay::fsleep, Delta},
};
use pin_init::stack_pin_init;

/// The scenarios, numbered as `scenario=K` takes them (0: none).
pub(crate) const NAMES: [&str; 7] = [
    "steal",
    "wait",
    "resurrection",
    "foreign-list",
    "ancestor",
    "last-pin",
    "deferred-kill",
];

/// Most `scenario=` takes.
pub(crate) const MAX: u32 = NAMES.len() as u32;
/// `deferred-kill`'s number: it needs [`HAS_DEFERRED_STEP`].
pub(crate) const DEFERRED_KILL: u32 = 7;
/// Whether `put()` defers keeping new dentries to `shrink()`: only with the
/// fallback for kernels that do not export `dput_to_list()`.
pub(crate) const HAS_DEFERRED_STEP: bool = cfg!(not(rdc_dput_to_list));

/// What `put()` says of a reference that is not the last: `Dropped` with the
/// fallback, `Released` with the kernel's `dput_to_list()`.
pub(crate) const NOT_LAST: PutResult = if HAS_DEFERRED_STEP {
    PutResult::Dropped
} else {
    PutResult::Released
};

/// What the put of `d0`'s last reference says in `resurrection` and
/// `foreign-list`: with the fallback, `d0` is kept through the deferred step,
/// on the worker's list; with `dput_to_list()` a kept `d0` would go to the
/// LRU at once, so it is marked `DCACHE_DONTCACHE` first, and listed.
const D0_PUT: PutResult = if HAS_DEFERRED_STEP {
    PutResult::Deferred
} else {
    PutResult::Listed
};
/// What worker 1's put of `d0`, found on worker 0's list, says.
const D0_PUT_AGAIN: PutResult = if HAS_DEFERRED_STEP {
    PutResult::OtherList
} else {
    PutResult::Released
};

/// `d0`, looked up for `resurrection` or `foreign-list`, made such that its
/// last put leaves it on the worker's list (see [`D0_PUT`]).
fn d0_for_the_list<'a>(root: &DentryRef<'a, RdcacheFs>) -> Result<DentryRef<'a, RdcacheFs>> {
    let d = root.lookup(c"d0")?;
    if !HAS_DEFERRED_STEP {
        d.mark_dontcache()?;
    }
    Ok(d)
}

/// How many workers scenario `k` runs.
pub(crate) fn workers(k: u32) -> u32 {
    if k == 4 {
        2
    } else {
        1
    }
}

/// Where a worker parks; shown by the control file's read.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Point {
    None = 0,
    /// Holding a non-empty list, unpinned.
    Listed = 1,
    /// Inside the kill of a dentry, in its `->d_release()`.
    Killing = 2,
    /// Holding an active reference to the superblock.
    Pinned = 3,
    /// After `shrink()`, before exiting.
    Shrunk = 4,
}

const POINT_NAMES: [&str; 5] = ["none", "listed", "killing", "pinned", "shrunk"];

/// How long a parked worker waits for `release` before it goes on by
/// itself (and logs it), so that a script that died cannot hang umount or
/// module exit for ever.
const PARK_TIMEOUT_MS: u32 = 60_000;

/// The one parking spot, module-wide: one scenario runs at a time.
struct Park {
    /// Where a worker is parked now ([`Point`]).
    at: Atomic<u32>,
    /// Set by `release`, cleared by the parked worker when it goes on.
    released: Atomic<bool>,
    /// Non-zero: this task parks in its `kill_nth`-th `->d_release()`.
    kill_pid: Atomic<i32>,
    kill_nth: Atomic<u32>,
    kill_seen: Atomic<u32>,
    /// Non-zero: `->d_delete()` says kill for every dentry this task puts.
    delete_pid: Atomic<i32>,
    /// Steps between the two workers of `foreign-list`.
    step: Atomic<u32>,
    /// Scenario workers not finished yet: non-zero while a scenario runs.
    active: Atomic<u32>,
}

static PARK: Park = Park {
    at: Atomic::new(0),
    released: Atomic::new(false),
    kill_pid: Atomic::new(0),
    kill_nth: Atomic::new(0),
    kill_seen: Atomic::new(0),
    delete_pid: Atomic::new(0),
    step: Atomic::new(0),
    active: Atomic::new(0),
};

/// Parks the current task at `point` until `release` (or the timeout).
fn park(point: Point) {
    PARK.released.store(false, Relaxed);
    PARK.at.store(point as u32, Release);
    let mut waited = 0;
    while !PARK.released.load(Acquire) {
        if waited >= PARK_TIMEOUT_MS {
            pr_warn!(
                "scenario: parked at '{}' for {} s without a release: going on\n",
                POINT_NAMES[point as usize],
                PARK_TIMEOUT_MS / 1000
            );
            break;
        }
        fsleep(Delta::from_millis(1));
        waited += 1;
    }
    PARK.at.store(Point::None as u32, Release);
}

/// The control file's `release`: lets the parked worker go on.  `ENOENT`
/// (logged) if none is parked.
pub(crate) fn release() -> Result {
    if PARK.at.load(Acquire) == Point::None as u32 {
        pr_err!("control: release: no scenario worker is parked\n");
        return Err(ENOENT);
    }
    PARK.released.store(true, Release);
    Ok(())
}

/// The control file's read: where a worker is parked.
pub(crate) fn report(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let at = PARK.at.load(Acquire) as usize;
    writeln!(f, "parked: {}", POINT_NAMES.get(at).unwrap_or(&"?"))
}

/// Every `->d_release()`: parks a scenario worker that armed a kill park
/// (inert otherwise).  Before the callback's facts are read, so that a
/// waiter umount adds meanwhile is seen.
pub(crate) fn on_release() {
    let pid = PARK.kill_pid.load(Relaxed);
    if pid == 0 || pid != kernel::current!().pid() {
        return;
    }
    if PARK.kill_seen.fetch_add(1, Relaxed) + 1 == PARK.kill_nth.load(Relaxed) {
        PARK.kill_pid.store(0, Relaxed);
        park(Point::Killing);
    }
}

/// Every `->d_delete()`: whether a scenario worker armed it to say kill
/// for the dentries it drops (inert otherwise: `false`).
pub(crate) fn kill_on_delete() -> bool {
    let pid = PARK.delete_pid.load(Relaxed);
    pid != 0 && pid == kernel::current!().pid()
}

/// Arms a park in the current task's `nth` next `->d_release()`.
fn arm_kill(nth: u32) {
    PARK.kill_seen.store(0, Relaxed);
    PARK.kill_nth.store(nth, Relaxed);
    PARK.kill_pid.store(kernel::current!().pid(), Relaxed);
}

/// Waits (up to the park timeout) until the other worker reached `step`.
fn wait_step(step: u32) -> bool {
    for _ in 0..PARK_TIMEOUT_MS {
        if PARK.step.load(Acquire) >= step {
            return true;
        }
        fsleep(Delta::from_millis(1));
    }
    pr_err!("scenario foreign-list: the other worker never reached step {step}\n");
    false
}

/// An active reference, once the mount is visible (`None`: it is gone).
fn activate(sb: &WeakSuper<RdcacheFs>) -> Option<ActiveSuper<RdcacheFs>> {
    loop {
        if let Some(pin) = sb.try_activate() {
            return Some(pin);
        }
        if sb.is_gone() {
            return None;
        }
        fsleep(Delta::from_millis(1));
    }
}

/// Counts a put's result, and logs it if it is not the one the scenario needs.
fn expect_put(tag: u32, what: &str, got: PutResult, want: PutResult) {
    registry::count(tag, Counter::WorkerPuts);
    registry::count(tag, super::workers::put_counter(got));
    if got != want {
        pr_err!("scenario: put of {what} returned {got:?}, the scenario needs {want:?}\n");
    }
}

/// Counts what a census of `list` finds, then shrinks it as worker `id`.
fn census_and_shrink(w: &Workers, id: u32, tag: u32, list: Pin<&mut ShrinkList>) {
    super::workers::count_census(tag, &list);
    let kept = w.shrink(id, list) as u64;
    registry::add(tag, Counter::ShrinkKept, kept);
}

/// Claims the parking spot for a new scenario mount of `n` workers, before
/// they start.  `EBUSY` (logged) while another scenario's workers run: there
/// is one spot.
pub(crate) fn claim(n: u32) -> Result {
    if PARK.active.cmpxchg(0, n, Relaxed).is_err() {
        pr_err!("mount: scenario=: another scenario is still running\n");
        return Err(EBUSY);
    }
    PARK.step.store(0, Relaxed);
    PARK.kill_pid.store(0, Relaxed);
    PARK.delete_pid.store(0, Relaxed);
    Ok(())
}

/// `n` claimed workers will not run (they could not be started).
pub(crate) fn unclaim(n: u32) {
    PARK.active.fetch_sub(n, Relaxed);
}

/// The steps of worker `id` of scenario `k` before it lets go of its pin:
/// the lookups and puts.
fn take(
    k: u32,
    id: u32,
    tag: u32,
    root: &DentryRef<'_, RdcacheFs>,
    mut list: Pin<&mut ShrinkList>,
) -> Result {
    match (k, id) {
        // steal, wait
        (1 | 2, _) => {
            let d = root.lookup(c"drop-0")?;
            expect_put(tag, "drop-0", list.as_mut().put(d), PutResult::Listed);
        }
        // deferred-kill
        (7, _) => {
            let d = root.lookup(c"d0")?;
            expect_put(tag, "d0", list.as_mut().put(d), PutResult::Deferred);
        }
        // resurrection
        (3, _) => {
            let d = d0_for_the_list(root)?;
            expect_put(tag, "d0", list.as_mut().put(d), D0_PUT);
            let f = root.lookup(c"f0")?;
            f.mark_dontcache()?;
            expect_put(tag, "f0", list.as_mut().put(f), PutResult::Listed);
        }
        // foreign-list
        (4, 0) => {
            let d = d0_for_the_list(root)?;
            expect_put(tag, "d0", list.as_mut().put(d), D0_PUT);
        }
        (4, _) => {
            if wait_step(1) {
                let d = root.lookup(c"d0")?;
                expect_put(tag, "d0 again", list.as_mut().put(d), D0_PUT_AGAIN);
            }
        }
        // ancestor
        (5, _) => {
            let p = root.lookup(c"d0")?;
            let c = p.lookup(c"drop-0")?;
            drop(p);
            expect_put(tag, "d0/drop-0", list.as_mut().put(c), PutResult::Listed);
        }
        _ => (),
    }
    Ok(())
}

/// Worker `id` of scenario `k` (1-based) on the superblock `tag`.
pub(crate) fn run(w: &Workers, sb: &WeakSuper<RdcacheFs>, k: u32, id: u32, tag: u32) {
    w.record_pid();
    let name = NAMES[k as usize - 1];
    stack_pin_init!(let list = ShrinkList::new());
    let Some(pin) = activate(sb) else {
        pr_err!("scenario {name}: the superblock went before the worker ran\n");
        PARK.active.fetch_sub(1, Relaxed);
        return;
    };
    let root = pin.root();
    if let Err(e) = take(k, id, tag, &root, list.as_mut()) {
        pr_err!("scenario {name}: worker {id}: a lookup failed ({e:?})\n");
    }
    drop(root);
    match (k, id) {
        (1 | 3, _) => {
            drop(pin);
            park(Point::Listed);
            census_and_shrink(w, id, tag, list.as_mut());
            if k == 3 {
                park(Point::Shrunk);
            }
        }
        (2 | 5, _) => {
            drop(pin);
            arm_kill(if k == 2 { 1 } else { 2 });
            census_and_shrink(w, id, tag, list.as_mut());
            PARK.kill_pid.store(0, Relaxed);
        }
        (4, 0) => {
            drop(pin);
            PARK.step.store(1, Release);
            wait_step(2);
            census_and_shrink(w, id, tag, list.as_mut());
        }
        (4, _) => {
            drop(pin);
            census_and_shrink(w, id, tag, list.as_mut());
            PARK.step.store(2, Release);
        }
        (7, _) => {
            drop(pin);
            PARK.delete_pid.store(kernel::current!().pid(), Relaxed);
            arm_kill(1);
            census_and_shrink(w, id, tag, list.as_mut());
            PARK.delete_pid.store(0, Relaxed);
            PARK.kill_pid.store(0, Relaxed);
        }
        _ => {
            park(Point::Pinned);
            // The last active reference, if umount(2) came meanwhile:
            // `->kill_sb()` runs here.
            drop(pin);
        }
    }
    registry::count(tag, Counter::WorkerBatches);
    PARK.active.fetch_sub(1, Relaxed);
}
