// SPDX-License-Identifier: GPL-2.0

//! Counters, and the late-callback detector.
//!
//! Every `rdcachefs` superblock gets a slot here, in module-owned memory, for
//! the module's lifetime; its number is the superblock's *tag*, which
//! `rdcachefs` keeps in the data of each of its dentries (a
//! [`DentryWord`](crate::dcache::DentryWord)) and inodes, through the
//! layer's `dentry_data()`/`inode_data()`.  A dentry or inode callback therefore finds its
//! superblock's counters and state without touching the superblock, which
//! may be gone: a callback that arrives after `->kill_sb()` finished tearing
//! the superblock down (after `generic_shutdown_super()` returned) is a *late
//! callback*, the failure the seed describes.  It is counted and reported
//! with the prefix `rdcache: LATE CALLBACK`.

use super::RdcacheFs;
use crate::dcache::{probe, DyingDentry};
use core::fmt;
use kernel::{
    prelude::*,
    sync::atomic::{Atomic, Relaxed},
    time::{delay::fsleep, Delta},
};

/// Slots: the newest this many superblocks keep their own counters (older
/// ones count in the totals only); this many may be mounted at once.
pub(crate) const MAX_SUPERBLOCKS: usize = 4096;

/// What is counted, per superblock and module-wide.
#[derive(Clone, Copy)]
pub(crate) enum Counter {
    Lookups,
    InodesAllocated,
    InodesEvicted,
    DRelease,
    DIput,
    KillSbBegun,
    KillSbFinished,
    LateCallbacks,
    WorkerBatches,
    WorkerPuts,
    HuskLists,
    Husks,
    PutDropped,
    PutCached,
    PutDeferred,
    PutListed,
    PutOtherList,
    ShrinkKept,
    UmountSteals,
    OtherSteals,
    TeardownKills,
    TeardownWaits,
    AncestorWaits,
    ShrinkInUse,
    KillSbByWorker,
    KillSbInShrink,
    DeferredAfterUmount,
    PutRefused,
    PutReleased,
}

const NCOUNTERS: usize = 29;
const NAMES: [&str; NCOUNTERS] = [
    "lookups",
    "inodes_allocated",
    "inodes_evicted",
    "d_release",
    "d_iput",
    "kill_sb_begun",
    "kill_sb_finished",
    "late_callbacks",
    "worker_batches",
    "worker_puts",
    "husk_lists",
    "husks",
    "put_dropped",
    "put_cached",
    "put_deferred",
    "put_listed",
    "put_other_list",
    "shrink_kept",
    "umount_steals",
    "other_steals",
    "teardown_kills",
    "teardown_waits",
    "ancestor_waits",
    "shrink_in_use",
    "kill_sb_by_worker",
    "kill_sb_in_shrink",
    "deferred_after_umount",
    "put_refused",
    "put_released",
];

struct Counters([Atomic<u64>; NCOUNTERS]);

impl Counters {
    const fn new() -> Self {
        Self([const { Atomic::new(0) }; NCOUNTERS])
    }

    pub(crate) fn get(&self, c: Counter) -> u64 {
        self.0[c as usize].load(Relaxed)
    }

    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, name) in NAMES.iter().enumerate() {
            write!(f, " {}={}", name, self.0[i].load(Relaxed))?;
        }
        Ok(())
    }
}

/// Workers a slot records (`workers::MAX_WORKERS`).
const MAX_WORKER_PIDS: usize = super::workers::MAX_WORKERS as usize;

const FREE: u32 = 0;
const LIVE: u32 = 1;
const DYING: u32 = 2;
const DEAD: u32 = 3;

struct Slot {
    /// The superblock using the slot now (slots are reused round-robin).
    tag: Atomic<u32>,
    state: Atomic<u32>,
    /// The task running `->kill_sb()` (0: none yet, or it returned).
    killer: Atomic<i32>,
    /// `slow_kill=`, in microseconds.
    slow_kill: Atomic<u32>,
    /// Pids of the superblock's workers (0: free), for `slow_kill=`.
    workers: [Atomic<i32>; MAX_WORKER_PIDS],
    counters: Counters,
}

static SLOTS: [Slot; MAX_SUPERBLOCKS] = [const {
    Slot {
        tag: Atomic::new(0),
        state: Atomic::new(FREE),
        killer: Atomic::new(0),
        slow_kill: Atomic::new(0),
        workers: [const { Atomic::new(0) }; MAX_WORKER_PIDS],
        counters: Counters::new(),
    }
}; MAX_SUPERBLOCKS];
/// Tags handed out so far; the next one is `NEXT + 1`.
static NEXT: Atomic<u32> = Atomic::new(0);
static TOTAL: Counters = Counters::new();
/// Superblocks whose inodes did not balance after umount.
static UNBALANCED: Atomic<u64> = Atomic::new(0);

fn slot_of(tag: u32) -> &'static Slot {
    &SLOTS[(tag.wrapping_sub(1) as usize) % MAX_SUPERBLOCKS]
}

/// The slot of superblock `tag`, unless the slot has been reused since.
fn slot(tag: u32) -> Option<&'static Slot> {
    let s = slot_of(tag);
    (tag != 0 && s.tag.load(Relaxed) == tag).then_some(s)
}

/// The tags still in their slots, oldest first.
fn recent_tags() -> impl DoubleEndedIterator<Item = u32> {
    let next = NEXT.load(Relaxed);
    let first = next.saturating_sub(MAX_SUPERBLOCKS as u32) + 1;
    first..=next
}

/// The largest tag: 29 bits, so that a tag and a directory bit fit a
/// `DentryWord` on 32-bit machines too (`super::word`).
pub(crate) const MAX_TAG: u32 = (1 << 29) - 1;

/// A slot for a new superblock and its tag (1..=[`MAX_TAG`]).  Slots are
/// reused round-robin; `None` if the one due is still in use by a mounted
/// superblock (`MAX_SUPERBLOCKS` mounts at once), or once `MAX_TAG` mounts
/// were made.
///
/// `slow_kill`: microseconds each `->d_release()` run by one of the
/// superblock's workers (not in `->kill_sb()`) sleeps first.
pub(crate) fn new_superblock(slow_kill: u32) -> Option<u32> {
    let tag = NEXT.fetch_add(1, Relaxed).wrapping_add(1);
    if tag == 0 || tag > MAX_TAG {
        // A tag and a directory bit share a dentry's word (`super::word`),
        // which holds 30 bits on 32-bit machines: 2^29 - 1 mounts per load.
        return None;
    }
    let s = slot_of(tag);
    if matches!(s.state.load(Relaxed), LIVE | DYING) {
        return None;
    }
    for c in &s.counters.0 {
        c.store(0, Relaxed);
    }
    s.killer.store(0, Relaxed);
    s.slow_kill.store(slow_kill, Relaxed);
    for w in &s.workers {
        w.store(0, Relaxed);
    }
    s.tag.store(tag, Relaxed);
    s.state.store(LIVE, Relaxed);
    Some(tag)
}

/// Counts `c` for the superblock `tag` and module-wide.
pub(crate) fn count(tag: u32, c: Counter) {
    add(tag, c, 1);
}

/// Adds `n` to `c` for the superblock `tag` (if its slot is still its own)
/// and module-wide.
pub(crate) fn add(tag: u32, c: Counter, n: u64) {
    if let Some(s) = slot(tag) {
        s.counters.0[c as usize].add(n, Relaxed);
    }
    TOTAL.0[c as usize].add(n, Relaxed);
}

/// The counter `c` of superblock `tag`, if its slot is still its own.  Only
/// the KUnit tests read one counter (the bench kernel has no KUnit).
#[cfg(CONFIG_KUNIT)]
pub(crate) fn get(tag: u32, c: Counter) -> Option<u64> {
    slot(tag).map(|s| s.counters.get(c))
}

/// Which dentry or inode callback ran.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Event {
    /// `->d_release()`.
    DRelease,
    /// `->d_iput()`.
    DIput,
    /// `->evict_inode()`.
    EvictInode,
}

/// A dentry or inode callback for superblock `tag`: counts it, and reports
/// it if it is late.  Returns whether it came while the superblock's slot was
/// live or dying (not late).
pub(crate) fn event(tag: u32, what: Event) -> bool {
    // A slot reused since means the superblock died `MAX_SUPERBLOCKS`
    // mounts ago: certainly late.
    let dead = slot(tag).is_none_or(|s| s.state.load(Relaxed) == DEAD);
    count(
        tag,
        match what {
            Event::DRelease => Counter::DRelease,
            Event::DIput => Counter::DIput,
            Event::EvictInode => Counter::InodesEvicted,
        },
    );
    if dead {
        count(tag, Counter::LateCallbacks);
        pr_err!("LATE CALLBACK: {what:?} for rdcachefs superblock #{tag} after its ->kill_sb() finished\n");
    }
    !dead
}

/// A `->d_release()` of a dentry of superblock `tag` (`dir`: made for a
/// directory): counted as an [`Event`], and attributed, from what the
/// callback can see without touching the superblock: the running task, the
/// task running `->kill_sb()` (recorded by [`kill_sb_begin`]), and what
/// [`probe::kill_facts`] reads of the dentry:
///
/// * `umount_steals`: the task running `->kill_sb()` killed an entry of
///   someone's shrink list (`select_collect2()` then `shrink_kill()` in
///   `shrink_dcache_tree()`), leaving its husk to the list's owner;
/// * `other_steals`: another task did (a worker's `shrink_dcache_parent()`
///   or `d_invalidate()`), or a list's owner pruned a listed entry as the
///   parent of one it killed;
/// * `teardown_kills`: a task other than the one running `->kill_sb()` killed
///   a dentry while `->kill_sb()` was under way (a worker's `shrink()`
///   overlapping umount's walk);
/// * `teardown_waits` / `ancestor_waits`: such a kill, of a file or
///   negative entry / of a directory, while a `shrink_dcache_tree()` waited
///   for it to end (`d_add_waiter()`).  During the teardown that is
///   umount's: no other task can run one then, since workers call
///   `shrink_dcache_parent()` only while they hold an active reference,
///   and `->kill_sb()` does not begin until the last is dropped.  A
///   directory is mostly a parent a worker's `shrink()` pruned (the
///   `ancestor` case), but can also be one it killed as a leaf (a deferred
///   directory, once the superblock is dying): `->d_release()` cannot tell.
pub(crate) fn release(tag: u32, dir: bool, d: &DyingDentry<'_, RdcacheFs>) {
    if !event(tag, Event::DRelease) {
        return;
    }
    let Some(s) = slot(tag) else { return };
    let me = kernel::current!().pid();
    let us = s.slow_kill.load(Relaxed);
    if us > 0 && s.killer.load(Relaxed) != me && s.workers.iter().any(|w| w.load(Relaxed) == me) {
        // `slow_kill=`: before the facts are read, so that a umount that
        // comes meanwhile is seen waiting.  `->d_release()` may sleep
        // (Documentation/filesystems/locking.rst).
        fsleep(Delta::from_micros(us.into()));
    }
    // The facts first: a waiter seen under `d_lock` orders the state
    // loads below after the killer's `kill_sb_begin()` stores.
    let facts = probe::kill_facts(d);
    let killer = s.killer.load(Relaxed);
    let by_killer = killer != 0 && killer == me;
    let dying = s.state.load(Relaxed) == DYING;
    if facts.on_shrink_list {
        count(
            tag,
            if by_killer {
                Counter::UmountSteals
            } else {
                Counter::OtherSteals
            },
        );
    }
    if dying && !by_killer {
        count(tag, Counter::TeardownKills);
        if facts.waited_on {
            count(
                tag,
                if dir {
                    Counter::AncestorWaits
                } else {
                    Counter::TeardownWaits
                },
            );
        }
    }
}

/// A worker of superblock `tag` started in the current task (for
/// `slow_kill=`; workers past [`MAX_WORKER_PIDS`] are not recorded).
pub(crate) fn worker_started(tag: u32) {
    let Some(s) = slot(tag) else { return };
    let pid = kernel::current!().pid();
    for w in &s.workers {
        if w.cmpxchg(0, pid, Relaxed).is_ok() {
            return;
        }
    }
}

/// `->kill_sb()` of `tag` begins, in the current task; `by_worker`: one of
/// the superblock's workers dropped its last active reference.
pub(crate) fn kill_sb_begin(tag: u32, by_worker: bool, in_shrink: bool) {
    if let Some(s) = slot(tag) {
        s.killer.store(kernel::current!().pid(), Relaxed);
        s.state.store(DYING, Relaxed);
    }
    count(tag, Counter::KillSbBegun);
    if by_worker {
        count(tag, Counter::KillSbByWorker);
    }
    if in_shrink {
        // Nothing in `ShrinkList::shrink()` may take or drop an active
        // reference (the dcache layer's rule 6), so this stays 0.
        pr_err!("rdcache: KILL_SB IN SHRINK: superblock #{tag}'s ->kill_sb() runs inside a worker's ShrinkList::shrink()\n");
        count(tag, Counter::KillSbInShrink);
    }
}

/// `->kill_sb()` of `tag` is done with the dcache: checks that every inode
/// allocated was evicted, and reports it if not.
pub(crate) fn kill_sb_end(tag: u32) {
    let Some(s) = slot(tag) else {
        return;
    };
    s.state.store(DEAD, Relaxed);
    s.killer.store(0, Relaxed);
    count(tag, Counter::KillSbFinished);
    let (a, e) = (
        s.counters.get(Counter::InodesAllocated),
        s.counters.get(Counter::InodesEvicted),
    );
    if a != e {
        UNBALANCED.add(1, Relaxed);
        pr_err!("INODE LEAK: rdcachefs superblock #{tag}: {a} inodes allocated, {e} evicted at the end of ->kill_sb()\n");
    }
}

/// The tag of the most recent superblock still mounted.
pub(crate) fn last_live() -> Option<u32> {
    recent_tags()
        .rev()
        .find(|&t| slot(t).is_some_and(|s| s.state.load(Relaxed) == LIVE))
}

/// The tag of the most recent superblock whose `->kill_sb()` finished.
pub(crate) fn last_dead() -> Option<u32> {
    recent_tags()
        .rev()
        .find(|&t| slot(t).is_some_and(|s| s.state.load(Relaxed) == DEAD))
}

/// The counters file: one `total` line, then one `sb` line per superblock.
///
/// ```text
/// total superblocks=N unbalanced=N lookups=N inodes_allocated=N ... late_callbacks=N
/// sb 1 state=dead lookups=N inodes_allocated=N ... late_callbacks=N
/// ```
pub(crate) fn report(f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(
        f,
        "total superblocks={} unbalanced={}",
        NEXT.load(Relaxed),
        UNBALANCED.load(Relaxed)
    )?;
    TOTAL.write(f)?;
    writeln!(f)?;
    for tag in recent_tags() {
        let Some(s) = slot(tag) else { continue };
        let state = match s.state.load(Relaxed) {
            LIVE => "live",
            DYING => "dying",
            DEAD => "dead",
            _ => "free",
        };
        write!(f, "sb {tag} state={state}")?;
        s.counters.write(f)?;
        writeln!(f)?;
    }
    Ok(())
}
