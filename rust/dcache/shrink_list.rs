// SPDX-License-Identifier: GPL-2.0

//! Private shrink lists: drop dentry references now, dispose of them later.
//!
//! C header: [`include/linux/dcache.h`](srctree/include/linux/dcache.h)
//! (`__move_to_shrink_list()`, `shrink_dentry_list()`).
//!
//! A shrink list is a `list_head` threaded through the entries' `d_lru`.  The
//! dcache's own users (`shrink_dcache_parent()`, `d_prune_aliases()`, the
//! memory shrinker) fill one under spinlocks and drain it where they may
//! sleep.  [`ShrinkList`] gives code outside `fs/` the same pattern with the
//! rules of the [module docs](super) in its types.

use super::{
    dentry::{may_lock, DentryRef, LockedDentry},
    fs_type::FileSystem,
    glue,
    super_block::NotThreadSafe,
};
use kernel::{bindings, ffi, prelude::*, task::might_sleep, types::Opaque};

// `rdc_dput_last_to_list()`'s results, as the C helper (`helpers/dcache.c`)
// numbers them (`RUST_DPUT_*`); the fifth, `RUST_DPUT_OTHER_LIST`, is the
// `_` arm of `ShrinkList::put()`.
const DPUT_DROPPED: ffi::c_int = 0;
const DPUT_CACHED: ffi::c_int = 1;
const DPUT_DEFERRED: ffi::c_int = 2;
const DPUT_LISTED: ffi::c_int = 3;

/// What [`ShrinkList::put`] did with a reference.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PutResult {
    /// It was not the last reference: it was just dropped.
    Dropped,
    /// The last reference, of a dentry `dput()` would keep: it was on the
    /// LRU already and stays there, marked referenced.  Nothing is left to do.
    Cached,
    /// The last reference, of a dentry `dput()` would keep, that is not on
    /// the LRU yet.  Putting it there is `d_lru_add()`, which the dcache
    /// keeps to itself, so the dentry waits on this list (unreferenced, like
    /// any entry), and [`ShrinkList::shrink`] hands it to `dput()` if the
    /// superblock is up and not being unmounted then, or kills it as umount
    /// would (see there).
    Deferred,
    /// The last reference, of a dentry `dput()` would kill (unhashed,
    /// `DCACHE_DONTCACHE`, `->d_delete()` said so, disconnected): it is on
    /// this list, and [`ShrinkList::shrink`] kills it.
    Listed,
    /// The last reference, but the dentry sits on a shrink list already:
    /// another thread's, or this list's own deferred part (a lookup found a
    /// deferred entry again).  That list's shrink disposes of it, as the
    /// `dput_to_list()` of the April 2019 proposal leaves it.
    OtherList,
    /// Refused, with a `WARN` naming the rule: the caller holds a dentry
    /// guard (a `ChildrenGuard` or `LockedDentry`) whose `d_lock` could
    /// deadlock with this dentry's, or runs outside task context (`d_lock`
    /// is not IRQ-safe).  The reference is leaked, as a `mem::forget()`
    /// would leak it (umount reports the dentry busy), since dropping it
    /// there could deadlock too.  A non-last reference to a dentry the
    /// guard itself holds locked is not refused: it is dropped under that
    /// lock ([`PutResult::Dropped`]).
    Refused,
}

/// What [`ShrinkList::census`] found on a list.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Census {
    /// Entries, husks included.
    pub entries: usize,
    /// Husks: entries someone else (umount, a `shrink_dcache_parent()`)
    /// killed while they were on the list, left for [`ShrinkList::shrink`]
    /// to free.
    pub husks: usize,
    /// Entries in use again: alive with a reference, which a lookup took
    /// after the last one was put.  [`ShrinkList::shrink`] takes them off
    /// the list alive, as `shrink_dentry_list()` does.
    pub in_use: usize,
    /// Entries [`ShrinkList::put`] deferred ([`PutResult::Deferred`]),
    /// husks and entries in use again among them.
    pub deferred: usize,
    /// Deferred entries in use again (counted in `in_use` too): the ones
    /// whose superblock [`ShrinkList::shrink`] never looks at.
    pub deferred_in_use: usize,
}

/// A thread-private list of dentries to dispose of, threaded through `d_lru`.
///
/// * It is pinned: entries point at its heads, so it cannot move once
///   initialised (rule 3).  Make one with [`ShrinkList::new`] in place, e.g.
///   `stack_pin_init!(let list = ShrinkList::new())`.
/// * It is neither `Send` nor `Sync`: only the thread that made it may touch
///   it (rule 3).
/// * Its entries carry **no** reference (rule 4), including those
///   [`ShrinkList::put`] defers.  Anyone, umount included, may kill an entry
///   meanwhile; umount then leaves a killed husk on the list, which
///   [`ShrinkList::shrink`] just frees.  So a list needs no superblock pin
///   and may be held across an unmount.
/// * [`ShrinkList::put`] and [`ShrinkList::move_to_list`] take only
///   spinlocks (`d_lock`, the LRU's lock in `d_lru_del()`, and whatever the
///   filesystem's `->d_delete()` takes) and never allocate, so they never
///   sleep on a kernel whose spinlocks do not (with `CONFIG_PREEMPT_RT`
///   spinlocks are sleeping locks, these included).  [`ShrinkList::shrink`] and dropping
///   the list may sleep.
///
/// # Invariants
///
/// `kill` and `keep` are initialised `list_head`s whose entries (if any) are
/// dentries with `DCACHE_SHRINK_LIST` set, placed there by
/// `__move_to_shrink_list()`.  `keep` holds the entries `put` deferred.
#[pin_data(PinnedDrop)]
pub struct ShrinkList {
    #[pin]
    kill: Opaque<bindings::list_head>,
    #[pin]
    keep: Opaque<bindings::list_head>,
    _not_send: NotThreadSafe,
}

/// An empty list head, initialised in place.
fn empty_head() -> impl PinInit<Opaque<bindings::list_head>> {
    // SAFETY: `head` is writable and pinned; `INIT_LIST_HEAD()` writes its
    // two pointers (include/linux/list.h).
    Opaque::ffi_init(|head: *mut bindings::list_head| unsafe { bindings::INIT_LIST_HEAD(head) })
}

impl ShrinkList {
    /// An empty list, to be initialised in place.
    pub fn new() -> impl PinInit<Self> {
        // INVARIANT: Both heads start empty, and the list is pinned, `!Send`
        // and `!Sync` from here on.
        pin_init!(Self {
            kill <- empty_head(),
            keep <- empty_head(),
            _not_send: core::marker::PhantomData,
        })
    }

    fn kill_head(&self) -> *mut bindings::list_head {
        self.kill.get()
    }

    fn keep_head(&self) -> *mut bindings::list_head {
        self.keep.get()
    }

    /// Whether the list has no entries (husks count as entries).
    pub fn is_empty(&self) -> bool {
        let (kill, keep) = (self.kill_head(), self.keep_head());
        // SAFETY: Both heads are initialised (invariant); only this thread changes them (`!Sync`).
        unsafe { (*kill).next == kill && (*keep).next == keep }
    }

    /// What is on the list now.  Walks the list without taking any lock
    /// (so it may be called while holding a [`ChildrenGuard`](super::ChildrenGuard)
    /// or a [`LockedDentry`] of an entry); never sleeps.  A snapshot: an
    /// entry may be found again, or killed by someone else, right after.
    pub fn census(&self) -> Census {
        let mut c = Census::default();
        let (mut killed, mut kill_in_use) = (0, 0);
        for head in [self.kill_head(), self.keep_head()] {
            killed = c.entries;
            kill_in_use = c.in_use;
            // SAFETY: Our initialised list (invariant), walked only by this
            // thread (`!Sync`); its entries are not freed while on it.
            unsafe {
                glue::rdc_shrink_list_census(head, &mut c.entries, &mut c.husks, &mut c.in_use)
            };
        }
        c.deferred = c.entries - killed;
        c.deferred_in_use = c.in_use - kill_in_use;
        c
    }

    /// Drops a counted reference, `dput_to_list()` style (rule 6): what
    /// `dput()` would keep cached stays cached, what it would kill is killed,
    /// but nothing sleeps here.
    ///
    /// * Not the last reference: it is dropped ([`PutResult::Dropped`]).
    /// * The last, and `dput()` would keep the dentry: if it is on the LRU it
    ///   stays there, marked referenced, as `retain_dentry()` marks it
    ///   ([`PutResult::Cached`]); if it is not, it waits on this list, and
    ///   [`ShrinkList::shrink`] hands it to `dput()`, which puts it on the LRU
    ///   ([`PutResult::Deferred`]).  The test is `retain_dentry()`'s: hashed,
    ///   not disconnected, not `DCACHE_DONTCACHE`, and `->d_delete()` (called
    ///   under `d_lock`, as there) does not ask to drop it.
    /// * The last, and `dput()` would kill it: it goes onto this list and the
    ///   next [`ShrinkList::shrink`] kills it ([`PutResult::Listed`]).
    /// * The last, but the dentry is on a shrink list already (another
    ///   thread's, or this one's deferred part): that list's shrink disposes
    ///   of it ([`PutResult::OtherList`]).
    ///
    /// Never sleeps and never allocates: usable under a spinlock, but not
    /// under a dentry guard ([`ChildrenGuard`](super::ChildrenGuard) or
    /// [`LockedDentry`]) nor outside task context: the count is dropped
    /// under `d_lock` when lockref cannot do it locklessly (the last
    /// reference, contention, lockdep, PREEMPT_RT), and taking a `d_lock`
    /// under another can deadlock, as C's `dput()` there would.  There it
    /// is refused ([`PutResult::Refused`]), except for a non-last reference
    /// to a dentry the guard holds locked, dropped under that lock.  Because
    /// the reference is consumed, its superblock pin may be dropped right
    /// after; the list itself needs none.
    pub fn put<T>(self: Pin<&mut Self>, dentry: DentryRef<'_, T>) -> PutResult {
        let d = dentry.into_raw();
        // SAFETY: `d` is alive: we own a count on it (the caller's).
        if unsafe { glue::rdc_guard_holds(d) } {
            // SAFETY: `rdc_guard_holds()`: the running task's guard holds
            // `d_lock` (its record's owner is `current`), and we own a count.
            if unsafe { glue::rdc_dput_dlock(d) } {
                return PutResult::Dropped;
            }
        }
        if may_lock(c"ShrinkList::put()").is_err() {
            // Leaked: `d`'s count is never given back (see `Refused`).
            return PutResult::Refused;
        }
        // SAFETY: We own a count on `d`, which keeps it alive.  A count that
        // is not the last is dropped without `d_lock`, as `fast_dput()`'s
        // `lockref_put_return()` drops it (fs/dcache.c:951); otherwise this
        // returns with `d_lock` held and the count (ours) at 1 (lib/lockref.c:108-124):
        // unlike `fast_dput()`, the last reference is always decided under `d_lock`.
        if unsafe { bindings::lockref_put_or_lock(&raw mut (*d).d_lockref) } {
            return PutResult::Dropped;
        }
        // INVARIANT: Entries are added only by `__move_to_shrink_list()`.
        // SAFETY: `d_lock` is held and the count is ours, so `d` is alive; we
        // hand both to `rdc_dput_last_to_list()`.  Both heads are ours and
        // pinned.
        let r = unsafe { glue::rdc_dput_last_to_list(d, self.kill_head(), self.keep_head()) };
        match r {
            DPUT_DROPPED => PutResult::Dropped,
            DPUT_CACHED => PutResult::Cached,
            DPUT_DEFERRED => PutResult::Deferred,
            DPUT_LISTED => PutResult::Listed,
            _ => PutResult::OtherList,
        }
    }

    /// Moves an unused dentry onto this list (`__move_to_shrink_list()`), to
    /// be killed by [`ShrinkList::shrink`].
    ///
    /// `dentry` is the liveness witness that rule 1 demands: its `d_lock` is
    /// held and something (its parent's `d_lock`) keeps it from being freed.
    /// Only on a filesystem of this layer: evicting a
    /// [`Foreign`](super::Foreign) tree's
    /// dentries is that filesystem's business (see
    /// [`DentryRef`](super::DentryRef)'s `T: FileSystem` methods).
    /// Returns `true` only if the list took it: `false` means it is in use
    /// (`__move_to_shrink_list()` refuses a non-zero count), or already on
    /// another thread's list, whose owner deals with it (rule 2).  Never
    /// sleeps.
    pub fn move_to_list<T: FileSystem>(self: Pin<&mut Self>, dentry: &LockedDentry<'_, T>) -> bool {
        // INVARIANT: Entries are added only by `__move_to_shrink_list()`.
        // SAFETY: `LockedDentry`: `d_lock` held, not freed; the head is ours and pinned.
        unsafe { bindings::__move_to_shrink_list(dentry.dentry().as_raw(), self.kill_head()) }
    }

    /// Disposes of every entry: kills those to be killed
    /// (`shrink_dentry_list()`), with the unused ancestors this leaves
    /// behind, and frees umount's husks.  Each deferred entry
    /// ([`PutResult::Deferred`]) is judged as it is found, under its
    /// `d_lock`:
    ///
    /// * in use again (a lookup took a reference after the last one was
    ///   put), or dead: only taken off the list, so that its holder's
    ///   `dput()` caches it (`retain_dentry()` puts it on the LRU).  Its
    ///   superblock is never looked at: a leaked reference keeps a dentry,
    ///   not its superblock, which umount frees anyway;
    /// * unused: handed to `dput()` (which caches it on the LRU, or kills it
    ///   if something changed its mind) while `s_umount` is held shared
    ///   through a trylock and the superblock is up and not dying, as the
    ///   memory shrinker's `super_cache_scan()` holds it; an umount that
    ///   comes meanwhile waits for that `dput()`.  If `s_umount` is taken
    ///   (umount, a remount, a `freeze_super()` under way) it is killed as
    ///   umount would kill it.  That `dput()` runs the filesystem's
    ///   callbacks under `s_umount` held shared, as the memory shrinker does
    ///   (`FileSystem::callback` says what they must not do there).
    ///
    /// No active superblock reference is taken or dropped, so `->kill_sb()`
    /// never runs here, and a list may outlive its entries' superblocks.  A
    /// holder that drops its reference to an entry in use again in the few
    /// instructions between the two `d_lock` sections of taking it off the
    /// list leaves it on the list unused, and it is killed: a lost cache
    /// entry, nothing worse.  Returns how many deferred entries went through
    /// `dput()`.  Under a dentry guard or outside task context it does
    /// nothing but `WARN` (and returns 0).
    ///
    /// **May sleep**: it calls `->d_iput()`, `->d_release()`, `iput()` and
    /// `dput()`.  Never call it (or drop the list) while holding a
    /// [`ChildrenGuard`](super::ChildrenGuard): killing an entry takes its
    /// parent's `d_lock`.  Never call it while holding `s_umount` of an
    /// entry's superblock for writing (it would kill what it could keep),
    /// nor from a callback of a filesystem whose superblock it may dispose
    /// of while that callback holds locks its eviction takes.  Leaves the
    /// list empty.
    pub fn shrink(self: Pin<&mut Self>) -> usize {
        if self.is_empty() {
            return 0;
        }
        if may_lock(c"ShrinkList::shrink()").is_err() {
            // Left as it is: a later shrink(), or the drop, disposes of it.
            return 0;
        }
        might_sleep();
        // SAFETY: Our list of shrink-list entries (invariant); we may sleep (above).
        unsafe { bindings::shrink_dentry_list(self.kill_head()) };
        // SAFETY: Our list of unreferenced deferred entries (invariant); we may sleep.
        unsafe { glue::rdc_shrink_keep(self.keep_head()) }
    }
}

#[pinned_drop]
impl PinnedDrop for ShrinkList {
    /// Drains the list: **may sleep**, like [`ShrinkList::shrink`].
    ///
    /// A non-empty list dropped under a dentry guard or outside task
    /// context `WARN`s, and is drained all the same: its entries point at
    /// its heads, which are going away, so leaving them would corrupt the
    /// dcache.  That drain may deadlock (a kill takes its parent's `d_lock`)
    /// and sleeps where it must not: a bug of the caller's, reported first.
    fn drop(self: Pin<&mut Self>) {
        if self.is_empty() {
            return;
        }
        let _ = may_lock(c"ShrinkList drop (non-empty)");
        might_sleep();
        // SAFETY: Our list of shrink-list entries (invariant).
        unsafe { bindings::shrink_dentry_list(self.kill_head()) };
        // SAFETY: Our list of unreferenced deferred entries (invariant).
        unsafe { glue::rdc_shrink_keep(self.keep_head()) };
    }
}
