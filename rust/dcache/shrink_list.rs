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
    dentry::{DentryRef, LockedDentry},
    glue,
    super_block::NotThreadSafe,
};
use kernel::{bindings, prelude::*, task::might_sleep, types::Opaque};

/// A thread-private list of dentries to kill, threaded through `d_lru`.
///
/// * It is pinned: entries point at the head, so it cannot move once
///   initialised (rule 3).  Make one with [`ShrinkList::new`] in place, e.g.
///   `stack_pin_init!(let list = ShrinkList::new())`.
/// * It is neither `Send` nor `Sync`: only the thread that made it may touch
///   it (rule 3).
/// * Its entries carry **no** reference (rule 4).  Anyone, umount included,
///   may kill an entry meanwhile; umount then leaves a killed husk on the
///   list, which [`ShrinkList::shrink`] just frees.  So a list needs no
///   superblock pin and may be held across an unmount.
/// * [`ShrinkList::put`] and [`ShrinkList::move_to_list`] never sleep and
///   never allocate: they may run under spinlocks.  [`ShrinkList::shrink`]
///   and dropping the list may sleep.
///
/// # Invariants
///
/// `head` is an initialised `list_head` whose entries (if any) are dentries
/// with `DCACHE_SHRINK_LIST` set, placed there by `__move_to_shrink_list()`.
#[pin_data(PinnedDrop)]
pub struct ShrinkList {
    #[pin]
    head: Opaque<bindings::list_head>,
    _not_send: NotThreadSafe,
}

impl ShrinkList {
    /// An empty list, to be initialised in place.
    pub fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            head <- Opaque::ffi_init(|head: *mut bindings::list_head| {
                // SAFETY: `head` is writable and pinned; an empty list points at itself.
                unsafe {
                    (*head).next = head;
                    (*head).prev = head;
                }
            }),
            _not_send: core::marker::PhantomData,
        })
    }

    fn head(&self) -> *mut bindings::list_head {
        self.head.get()
    }

    /// Whether the list has no entries (husks count as entries).
    pub fn is_empty(&self) -> bool {
        // SAFETY: `head` is initialised (invariant); only this thread changes it (`!Sync`).
        unsafe { (*self.head()).next == self.head() }
    }

    /// How many entries are husks: killed by someone else (umount) while on
    /// this list, left for [`ShrinkList::shrink`] to free.  Walks the list;
    /// never sleeps.
    pub fn husks(&self) -> usize {
        // SAFETY: Our initialised list (invariant); entries are not freed while on it.
        unsafe { glue::rdc_shrink_list_husks(self.head()) }
    }

    /// Drops a counted reference, `dput_to_list()` style (rule 6).
    ///
    /// If the reference is not the last, it is just dropped.  If it is the
    /// last, the dentry is not killed here: it moves onto this list and is
    /// killed by the next [`ShrinkList::shrink`], unless it already sits on
    /// another thread's shrink list, whose owner then kills it.  Unlike
    /// `dput()` this never keeps the dentry on the LRU: a dentry whose last
    /// reference is put here is **evicted**, not cached.
    ///
    /// Never sleeps and never allocates: usable under a spinlock.  Because the
    /// reference is consumed, its superblock pin may be dropped right after;
    /// the list itself needs none.  Returns whether this list took the dentry.
    pub fn put(self: Pin<&mut Self>, dentry: DentryRef<'_>) -> bool {
        let d = dentry.into_raw();
        // INVARIANT: Entries are added only by `__move_to_shrink_list()`.
        // SAFETY: We hand our count to `rdc_dput_to_list()`; `head` is ours and pinned.
        unsafe { glue::rdc_dput_to_list(d, self.head()) }
    }

    /// Moves an unused dentry onto this list (`__move_to_shrink_list()`).
    ///
    /// `dentry` is the liveness witness that rule 1 demands: its `d_lock` is
    /// held and something (its parent's `d_lock`) keeps it from being freed.
    /// Returns `true` only if the list took it: `false` means it is in use, or
    /// already on another thread's list, whose owner deals with it (rule 2).
    /// Never sleeps.
    pub fn move_to_list(self: Pin<&mut Self>, dentry: &LockedDentry<'_>) -> bool {
        // INVARIANT: Entries are added only by `__move_to_shrink_list()`.
        // SAFETY: `LockedDentry`: `d_lock` held, not freed; `head` is ours and pinned.
        unsafe { bindings::__move_to_shrink_list(dentry.dentry().as_raw(), self.head()) }
    }

    /// Kills every entry (`shrink_dentry_list()`), with the unused ancestors
    /// this leaves behind, and frees umount's husks.  **May sleep**: it calls
    /// `->d_iput()`, `->d_release()` and `iput()`.  Leaves the list empty.
    pub fn shrink(self: Pin<&mut Self>) {
        might_sleep();
        if self.is_empty() {
            return;
        }
        // SAFETY: Our list of shrink-list entries (invariant); we may sleep (above).
        unsafe { bindings::shrink_dentry_list(self.head()) };
    }
}

#[pinned_drop]
impl PinnedDrop for ShrinkList {
    /// Drains the list: **may sleep**, like [`ShrinkList::shrink`].
    fn drop(self: Pin<&mut Self>) {
        self.shrink();
    }
}
