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
    dentry::{may_lock, ref_context, DentryRef, LockedDentry},
    fs_type::FileSystem,
    glue,
    super_block::NotThreadSafe,
};
use kernel::{bindings, prelude::*, task::might_sleep, types::Opaque};

// rdcache-only {
// On a kernel that keeps `dput_to_list()` to `fs/` (stock 7.3), `put()` and
// `shrink()` use rdcache's fallback (`fallback.c`), which `make upstream`
// leaves out of the series, whose first patch exports `dput_to_list()`.
// `rdc_dput_last_to_list()`'s results, as `fallback.c` numbers them
// (`RUST_DPUT_*`); the fifth, `RUST_DPUT_OTHER_LIST`, is the `_` arm of
// `ShrinkList::put()`.
#[cfg(not(rdc_dput_to_list))]
const DPUT_DROPPED: kernel::ffi::c_int = 0;
#[cfg(not(rdc_dput_to_list))]
const DPUT_CACHED: kernel::ffi::c_int = 1;
#[cfg(not(rdc_dput_to_list))]
const DPUT_DEFERRED: kernel::ffi::c_int = 2;
#[cfg(not(rdc_dput_to_list))]
const DPUT_LISTED: kernel::ffi::c_int = 3;
// } rdcache-only

/// What [`ShrinkList::put`] did with a reference.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PutResult {
    /// `dput_to_list()` put the dentry on this list: it was the last
    /// reference, of a dentry `dput()` would kill (unhashed,
    /// `DCACHE_DONTCACHE`, `->d_delete()` said so, disconnected), and the
    /// next [`ShrinkList::shrink`] kills it.
    Listed,
    /// `dput_to_list()` did not put the dentry on this list: it was not the
    /// last reference; or the last, of a dentry `dput()` keeps, which stays
    /// cached as `retain_dentry()` leaves it (put on the LRU, or marked
    /// referenced if it was there already); or the last, of a dentry on a
    /// shrink list already (another thread's, or this one's, where a lookup
    /// found an entry again), whose shrink disposes of it.  `dput_to_list()`
    /// does not say which.
    Released,
    // rdcache-only {
    // The fallback for kernels that keep `dput_to_list()` to `fs/` tells
    // these apart (its `Listed` is the same), and never says `Released`.
    /// Fallback only: not the last reference; it was just dropped.
    Dropped,
    /// Fallback only: the last reference, of a dentry `dput()` would keep:
    /// it was on the LRU already and stays there, marked referenced.
    /// Nothing is left to do.
    Cached,
    /// Fallback only: the last reference, of a dentry `dput()` would keep,
    /// that is not on the LRU yet.  Putting it there is `d_lru_add()`,
    /// which the dcache keeps to itself, so the dentry waits on this list
    /// (unreferenced, like any entry), and [`ShrinkList::shrink`] hands it
    /// to `dput()` if the superblock is up and not being unmounted then, or
    /// kills it as umount would (see there).
    Deferred,
    /// Fallback only: the last reference, but the dentry sits on a shrink
    /// list already: another thread's, or this list's own deferred part (a
    /// lookup found a deferred entry again).  That list's shrink disposes
    /// of it, as `dput_to_list()` leaves it.
    OtherList,
    // } rdcache-only
    /// Refused, with a `WARN` naming the rule: the caller holds a dentry
    /// guard (a `ChildrenGuard` or `LockedDentry`) whose `d_lock` could
    /// deadlock with this dentry's, or runs outside task context (`d_lock`
    /// is not IRQ-safe).  The reference is leaked, as a `mem::forget()`
    /// would leak it (umount reports the dentry busy), since dropping it
    /// there could deadlock too.  A non-last reference to a dentry the
    /// guard itself holds locked is not refused: it is dropped under that
    /// lock ([`PutResult::Released`]).
    // rdcache-only {
    // The fallback says `Dropped` there.
    // } rdcache-only
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
    // rdcache-only {
    /// Fallback only (0 with `dput_to_list()`): entries [`ShrinkList::put`]
    /// deferred ([`PutResult::Deferred`]), husks and entries in use again
    /// among them.
    pub deferred: usize,
    /// Fallback only: deferred entries in use again (counted in `in_use`
    /// too): the ones whose superblock [`ShrinkList::shrink`] never looks at.
    pub deferred_in_use: usize,
    // } rdcache-only
}

/// A thread-private list of dentries to dispose of, threaded through `d_lru`.
///
/// * It is pinned: entries point at its head, so it cannot move once
///   initialised (rule 3).  Make one with [`ShrinkList::new`] in place, e.g.
///   `stack_pin_init!(let list = ShrinkList::new())`.
/// * It is neither `Send` nor `Sync`: only the thread that made it may touch
///   it (rule 3).
/// * Its entries carry **no** reference (rule 4).  Anyone, umount included, may kill an entry
///   meanwhile; umount then leaves a killed husk on the list, which
///   [`ShrinkList::shrink`] just frees.  So a list needs no superblock pin
///   and may be held across an unmount.
/// * [`ShrinkList::put`] and [`ShrinkList::move_to_list`] take only
///   spinlocks (`d_lock`, the LRU's lock in `d_lru_add()` and
///   `d_lru_del()`, and whatever the filesystem's `->d_delete()` takes) and
///   never allocate, so they never sleep on a kernel whose spinlocks do not
///   (with `CONFIG_PREEMPT_RT` spinlocks are sleeping locks, these
///   included).  [`ShrinkList::shrink`] and dropping the list may sleep.
///
/// # Invariants
///
/// `head` is an initialised `list_head` whose entries (if any) are dentries
/// with `DCACHE_SHRINK_LIST` set, placed there by `__move_to_shrink_list()`.
// rdcache-only {
// So is `keep`, the fallback's list of the entries `put()` deferred (always
// empty with `dput_to_list()`).
// } rdcache-only
#[pin_data(PinnedDrop)]
pub struct ShrinkList {
    #[pin]
    head: Opaque<bindings::list_head>,
    // rdcache-only {
    #[pin]
    keep: Opaque<bindings::list_head>,
    // } rdcache-only
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
        // INVARIANT: The head starts empty, and the list is pinned, `!Send`
        // and `!Sync` from here on.
        pin_init!(Self {
            head <- empty_head(),
            // rdcache-only {
            keep <- empty_head(),
            // } rdcache-only
            _not_send: core::marker::PhantomData,
        })
    }

    fn head(&self) -> *mut bindings::list_head {
        self.head.get()
    }

    // rdcache-only {
    fn keep_head(&self) -> *mut bindings::list_head {
        self.keep.get()
    }

    fn keep_is_empty(&self) -> bool {
        let keep = self.keep_head();
        // SAFETY: An initialised head (invariant); only this thread changes it (`!Sync`).
        unsafe { (*keep).next == keep }
    }
    // } rdcache-only

    /// Whether the list has no entries (husks count as entries).
    pub fn is_empty(&self) -> bool {
        // rdcache-only {
        if !self.keep_is_empty() {
            return false;
        }
        // } rdcache-only
        let head = self.head();
        // SAFETY: An initialised head (invariant); only this thread changes it (`!Sync`).
        unsafe { (*head).next == head }
    }

    /// What is on the list now.  Walks the list without taking any lock
    /// (so it may be called while holding a [`ChildrenGuard`](super::ChildrenGuard)
    /// or a [`LockedDentry`] of an entry); never sleeps.  A snapshot: an
    /// entry may be found again, or killed by someone else, right after.
    pub fn census(&self) -> Census {
        let mut c = Census::default();
        // SAFETY: Our initialised list (invariant), walked only by this
        // thread (`!Sync`); its entries are not freed while on it.
        unsafe {
            glue::rdc_shrink_list_census(self.head(), &mut c.entries, &mut c.husks, &mut c.in_use)
        };
        // rdcache-only {
        let (listed, listed_in_use) = (c.entries, c.in_use);
        // SAFETY: As above, for the fallback's list of deferred entries.
        unsafe {
            glue::rdc_shrink_list_census(
                self.keep_head(),
                &mut c.entries,
                &mut c.husks,
                &mut c.in_use,
            )
        };
        c.deferred = c.entries - listed;
        c.deferred_in_use = c.in_use - listed_in_use;
        // } rdcache-only
        c
    }

    /// Drops a counted reference with `dput_to_list()` (rule 6): what
    /// `dput()` would keep cached stays cached, what it would kill goes onto
    /// this list and is killed by the next [`ShrinkList::shrink`], and
    /// nothing sleeps here.
    ///
    /// * The last reference, of a dentry `dput()` would kill: it goes onto
    ///   this list ([`PutResult::Listed`]).  The test is `retain_dentry()`'s:
    ///   unhashed, disconnected, `DCACHE_DONTCACHE`, or `->d_delete()`
    ///   (called under `d_lock`, as there) asks to drop it.
    /// * Otherwise ([`PutResult::Released`]): a reference that was not the
    ///   last is dropped; the last, of a dentry `dput()` would keep, leaves
    ///   it cached on the LRU, as `dput()` leaves it; the last, of a dentry
    ///   on a shrink list already (another thread's, or this one's, where a
    ///   lookup found an entry again), leaves it to that list's shrink.
    ///
    /// Never sleeps and never allocates: usable under a spinlock, but not
    /// under a dentry guard ([`ChildrenGuard`](super::ChildrenGuard) or
    /// [`LockedDentry`]) nor outside task context: the count is dropped
    /// under `d_lock` when lockref cannot do it locklessly (the last
    /// reference, contention, lockdep, PREEMPT_RT), and taking a `d_lock`
    /// under another can deadlock, as C's `dput()` there would.  There it
    /// is refused ([`PutResult::Refused`]), except for a non-last reference
    /// to a dentry the guard holds locked, dropped under that lock.  A
    /// reference whose count has saturated (2^30, helpers/dcache.c) gives
    /// nothing back anywhere, and is reported as not the last.  Because
    /// the reference is consumed, its superblock pin may be dropped right
    /// after; the list itself needs none.
    // rdcache-only {
    // On a kernel that keeps `dput_to_list()` to `fs/`, the fallback
    // (`fallback.c`) decides as it would, and tells the cases apart:
    // `Dropped` (not the last), `Cached` (the last, kept, on the LRU
    // already), `Deferred` (the last, kept, not on the LRU: it waits on this
    // list, and `shrink()` hands it to `dput()`), `OtherList` (the last, on
    // a shrink list already).
    // } rdcache-only
    pub fn put<T>(self: Pin<&mut Self>, dentry: DentryRef<'_, T>) -> PutResult {
        let Some(d) = dentry.into_raw() else {
            // A saturated count: nothing to give back, so not the last.
            // rdcache-only {
            #[cfg(not(rdc_dput_to_list))]
            return PutResult::Dropped;
            // } rdcache-only
            #[cfg(rdc_dput_to_list)]
            return PutResult::Released;
        };
        // SAFETY: We own a count on `d` (the caller's).
        match unsafe { ref_context(d, c"ShrinkList::put()") } {
            // rdcache-only {
            #[cfg(not(rdc_dput_to_list))]
            Ok(true) => return PutResult::Dropped,
            // } rdcache-only
            #[cfg(rdc_dput_to_list)]
            Ok(true) => return PutResult::Released,
            // Leaked: `d`'s count is never given back (see `Refused`).
            Err(_) => return PutResult::Refused,
            Ok(false) => {}
        }
        self.put_last(d)
    }

    /// The rest of `put()`, once the caller may take `d_lock`s: hands the
    /// reference (`d`, alive, a count of ours) to `dput_to_list()`.
    #[cfg(rdc_dput_to_list)]
    fn put_last(self: Pin<&mut Self>, d: *mut bindings::dentry) -> PutResult {
        let head = self.head();
        // SAFETY: Our initialised head (invariant); only this thread changes
        // it (`!Sync`).
        let first = unsafe { (*head).next };
        // INVARIANT: Entries are added only by `__move_to_shrink_list()`,
        // which `dput_to_list()` calls.
        // SAFETY: We own a count on `d` and hand it over.  No dentry guard is
        // held and we run in task context (`put()`'s `ref_context()`), so the
        // `d_lock` `dput_to_list()` may take nests under no other `d_lock`
        // (its kernel-doc in fs/dcache.c).  The head is ours and pinned.
        unsafe { bindings::dput_to_list(d, head) };
        // `__move_to_shrink_list()` adds at the head (`d_shrink_add()`), and
        // only this thread adds to or unlinks from this list, so the first
        // entry changed if and only if `d` went onto it.  `d` itself is not
        // looked at again: unless it is on this list, it may be gone.
        // SAFETY: As above.
        if unsafe { (*head).next } != first {
            PutResult::Listed
        } else {
            PutResult::Released
        }
    }

    // rdcache-only {
    /// The fallback's `put_last()`, on a kernel that keeps `dput_to_list()`
    /// to `fs/`: `d` is alive, a count of ours, and we may take its `d_lock`.
    #[cfg(not(rdc_dput_to_list))]
    fn put_last(self: Pin<&mut Self>, d: *mut bindings::dentry) -> PutResult {
        // SAFETY: We own a count on `d`, which keeps it alive.  A count that
        // is not the last is dropped without `d_lock`, as `fast_dput()`'s
        // `lockref_put_return()` drops it; otherwise this returns with
        // `d_lock` held and the count (ours) at 1 (lib/lockref.c,
        // `lockref_put_or_lock()`): unlike `fast_dput()`, the last reference
        // is always decided under `d_lock`.
        if unsafe { bindings::lockref_put_or_lock(&raw mut (*d).d_lockref) } {
            return PutResult::Dropped;
        }
        // INVARIANT: Entries are added only by `__move_to_shrink_list()`.
        // SAFETY: `d_lock` is held and the count is ours, so `d` is alive; we
        // hand both to `rdc_dput_last_to_list()`.  Both heads are ours and
        // pinned.
        let r = unsafe { glue::rdc_dput_last_to_list(d, self.head(), self.keep_head()) };
        match r {
            DPUT_DROPPED => PutResult::Dropped,
            DPUT_CACHED => PutResult::Cached,
            DPUT_DEFERRED => PutResult::Deferred,
            DPUT_LISTED => PutResult::Listed,
            _ => PutResult::OtherList,
        }
    }
    // } rdcache-only

    /// Moves an unused dentry onto this list (`__move_to_shrink_list()`), to
    /// be killed by [`ShrinkList::shrink`].
    ///
    /// `dentry` is the liveness witness that rule 1 demands: its `d_lock` is
    /// held and something (its parent's `d_lock`) keeps it from being freed.
    /// Only on a filesystem of this layer: evicting a
    /// [`Foreign`](super::Foreign) tree's
    /// dentries is that filesystem's business (see
    /// [`DentryRef`]'s `T: FileSystem` methods).
    /// Returns `true` only if the list took it: `false` means it is in use
    /// (`__move_to_shrink_list()` refuses a non-zero count), or already on
    /// another thread's list, whose owner deals with it (rule 2).  Never
    /// sleeps.
    pub fn move_to_list<T: FileSystem>(self: Pin<&mut Self>, dentry: &LockedDentry<'_, T>) -> bool {
        // INVARIANT: Entries are added only by `__move_to_shrink_list()`.
        // SAFETY: `LockedDentry`: `d_lock` held, not freed; the head is ours and pinned.
        unsafe { bindings::__move_to_shrink_list(dentry.dentry().as_raw(), self.head()) }
    }

    /// Disposes of every entry (`shrink_dentry_list()`): kills it, with
    /// the unused ancestors this leaves behind; takes one in use again (a
    /// lookup found it after its last reference was put) off the list
    /// alive, for its holder's `dput()` to decide; frees umount's husks.
    ///
    /// No active superblock reference is taken or dropped, so `->kill_sb()`
    /// never runs here, and a list may outlive its entries' superblocks.
    /// Under a dentry guard or outside task context it does nothing but
    /// `WARN`.
    ///
    /// **May sleep**: it calls `->d_iput()`, `->d_release()` and `iput()`.
    /// Never call it (or drop the list) while holding a
    /// [`ChildrenGuard`](super::ChildrenGuard): killing an entry takes its
    /// parent's `d_lock`.  Never call it from a callback of a filesystem
    /// whose superblock it may dispose of while that callback holds locks
    /// its eviction takes.  Leaves the list empty.
    // rdcache-only {
    // With the fallback, each deferred entry (`PutResult::Deferred`) is
    // judged as it is found, under its `d_lock` (`rdc_shrink_keep()`):
    //
    // * in use again, or dead: only taken off the list, so that its
    //   holder's `dput()` caches it.  Its superblock is never looked at: a
    //   leaked reference keeps a dentry, not its superblock, which umount
    //   frees anyway;
    // * unused: handed to `dput()` (which caches it on the LRU, or kills it
    //   if something changed its mind) while `s_umount` is held shared
    //   through a trylock and the superblock is up and not dying, as the
    //   memory shrinker's `super_cache_scan()` holds it; an umount that
    //   comes meanwhile waits for that `dput()`.  If `s_umount` is taken
    //   (umount, a remount, a `freeze_super()` under way) it is killed as
    //   umount would kill it.  That `dput()` runs the filesystem's
    //   callbacks under `s_umount` held shared, as the memory shrinker does
    //   (`FileSystem::d_iput` says what they must not do there), so
    //   never call it while holding `s_umount` of an entry's superblock for
    //   writing (it would kill what it could keep).
    //
    // A holder that drops its reference to an entry in use again in the few
    // instructions between the two `d_lock` sections of taking it off the
    // list leaves it on the list unused, and it is killed: a lost cache
    // entry, nothing worse.  `ShrinkList::shrink_kept()` says how many
    // deferred entries a shrink handed to `dput()`.
    // } rdcache-only
    pub fn shrink(self: Pin<&mut Self>) {
        if self.is_empty() {
            return;
        }
        if may_lock(c"ShrinkList::shrink()").is_err() {
            // Left as it is: a later shrink(), or the drop, disposes of it.
            return;
        }
        might_sleep();
        self.dispose();
    }

    /// `shrink()` once allowed, and the drop of a non-empty list.
    fn dispose(self: Pin<&mut Self>) {
        // SAFETY: Our list of shrink-list entries (invariant); the callers
        // may sleep (`might_sleep()`).
        unsafe { bindings::shrink_dentry_list(self.head()) };
        // rdcache-only {
        self.dispose_deferred();
        // } rdcache-only
    }

    // rdcache-only {
    /// [`ShrinkList::shrink`], returning how many deferred entries the
    /// fallback handed to `dput()` (0 with `dput_to_list()`: nothing is
    /// deferred).
    pub fn shrink_kept(self: Pin<&mut Self>) -> usize {
        if self.is_empty() || may_lock(c"ShrinkList::shrink()").is_err() {
            return 0;
        }
        might_sleep();
        // SAFETY: As in `dispose()`.
        unsafe { bindings::shrink_dentry_list(self.head()) };
        self.dispose_deferred()
    }

    /// The fallback's deferred step, after the shrink of the rest.
    fn dispose_deferred(&self) -> usize {
        #[cfg(not(rdc_dput_to_list))]
        // SAFETY: Our list of unreferenced deferred entries (invariant); the
        // callers may sleep.
        let kept = unsafe { glue::rdc_shrink_keep(self.keep_head()) };
        #[cfg(rdc_dput_to_list)]
        let kept = 0;
        kept
    }
    // } rdcache-only
}

#[pinned_drop]
impl PinnedDrop for ShrinkList {
    /// Drains the list: **may sleep**, like [`ShrinkList::shrink`].
    ///
    /// A non-empty list dropped under a dentry guard or outside task
    /// context `WARN`s, and is drained all the same: its entries point at
    /// its head, which is going away, so leaving them would corrupt the
    /// dcache.  That drain may deadlock (a kill takes its parent's `d_lock`)
    /// and sleeps where it must not: a bug of the caller's, reported first.
    fn drop(self: Pin<&mut Self>) {
        if self.is_empty() {
            return;
        }
        let _ = may_lock(c"ShrinkList drop (non-empty)");
        might_sleep();
        self.dispose();
    }
}
