// SPDX-License-Identifier: GPL-2.0

//! What a `->d_release()` can learn of the kill it is part of: rdcache's own
//! probe for rdcachefs's attribution counters, never part of the upstream
//! layer.
//!
//! It reads `DCACHE_SHRINK_LIST` and `dentry->waiters`, the union member
//! that `fs/dcache.c`'s static `d_add_waiter()` and `d_complete_waiters()`
//! alone write: implementation state of `shrink_dcache_tree()`, which no
//! generic filesystem may rely on, and which a test filesystem reads only to
//! tell which interleaving a kill was part of.

use super::{fs_type::FileSystem, glue, DyingDentry};

// `rdc_dying_state()`'s bits, as `glue.c` numbers them (`RUST_DYING_*`).
const DYING_ON_LIST: u32 = 1;
const DYING_WAITED: u32 = 2;

/// What [`kill_facts`] reads of a kill, in one `d_lock` section.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct KillFacts {
    /// The dentry sits on a shrink list.  Owners take an entry off their
    /// list before they kill it, so this kill is someone else's (umount's,
    /// a `shrink_dcache_parent()`'s), or the owner's own shrink pruning the
    /// entry as the parent of one it killed.  It can turn false during the
    /// callback (the owner unlinks the entry; the killer then frees it),
    /// never true.
    pub on_shrink_list: bool,
    /// A task found the dentry dying and sleeps until this kill ends:
    /// `shrink_dcache_tree()` (umount's, or a `shrink_dcache_parent()`'s)
    /// or umount's loop over secondary roots.  Waiters that come after the
    /// read are not seen.
    pub waited_on: bool,
}

/// Reads the [`KillFacts`] of the kill `d` is part of, under its `d_lock`.
/// A read of state made after this one is ordered after whatever the waiter
/// did before it queued itself (its `spin_unlock()` of `d_lock`).
pub fn kill_facts<T: FileSystem>(d: &DyingDentry<'_, T>) -> KillFacts {
    // SAFETY: `DyingDentry`'s invariant: the dentry of a `->d_iput()` or
    // `->d_release()` running for the handle's lifetime, so it is not freed
    // (`dentry_kill()` calls `dentry_free()` after both) and negative, so
    // `->waiters` is the union member in use: NULL since
    // `dentry_unlink_inode()` for a dentry that had an inode, since
    // `__d_alloc()` or `__d_lookup_unhash()` for one that never had; both
    // callbacks run with no lock held (`dentry_unlink_inode()` and
    // `dentry_kill()` drop `d_lock` and `i_lock` first), so `d_lock` may be
    // taken.
    let state = unsafe { glue::rdc_dying_state(d.as_raw()) };
    KillFacts {
        on_shrink_list: state & DYING_ON_LIST != 0,
        waited_on: state & DYING_WAITED != 0,
    }
}
