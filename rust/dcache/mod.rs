// SPDX-License-Identifier: GPL-2.0

//! Safe abstractions over the kernel's dcache, and private shrink lists.
//!
//! C headers: [`include/linux/dcache.h`](srctree/include/linux/dcache.h),
//! [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h).
//!
//! This directory is written as if it lived in `rust/kernel/fs/`: it knows
//! nothing of rdcache's test filesystem and, with the C glue in `glue.c`, it
//! is the only code of the module that uses `unsafe`.
//!
//! # The rules, and where the types enforce them
//!
//! The conditions for using `__move_to_shrink_list()` and
//! `shrink_dentry_list()` safely were never written down in C (a 2025-26
//! user of them shipped a use-after-free).  Here they are:
//!
//! 1. **Insertion needs a liveness witness.** A dentry goes onto a list under
//!    its `d_lock`, and something must keep it from being freed.
//!    [`ShrinkList::move_to_list`] takes a [`LockedDentry`], which only a
//!    [`ChildrenGuard`] (the parent's `d_lock`) can make; a bare `&Dentry`
//!    does not compile.
//! 2. **Only a `true` return transfers the dentry.** `move_to_list()` and
//!    `put()` return it; `false` means someone else's list has it, and its
//!    owner deals with it.
//! 3. **A list is thread-private and must not move while linked.**
//!    [`ShrinkList`] is pinned and neither `Send` nor `Sync`.  An abandoned
//!    list would leak: dropping one drains it.
//! 4. **Entries carry no reference.** [`ShrinkList::put`] consumes the
//!    [`DentryRef`]; nothing can be `dput()` after it.  So a list needs no
//!    superblock pin: umount may kill its entries and leave husks, which
//!    [`ShrinkList::shrink`] frees.
//! 5. **Counted references need a pin.** A [`DentryRef`] borrows an
//!    [`ActiveSuper`] (`s_active`), so it cannot outlive it: `->kill_sb()`
//!    never finds one still held (`BUG: Dentry ... still in use`, the seed's
//!    late `->d_iput()`).
//! 6. **`dput_to_list` out of tree.** [`ShrinkList::put`] drops a non-last
//!    reference locklessly and moves the dentry of a last one onto the list.
//!    It bypasses `retain_dentry()`, so such a dentry is evicted, not cached.
//! 7. **Context.** [`ShrinkList::put`] and [`ShrinkList::move_to_list`]
//!    never sleep; [`ShrinkList::shrink`], dropping a [`ShrinkList`], a
//!    [`DentryRef`] (`dput()`), an [`ActiveSuper`] (`deactivate_super()`) or a
//!    [`KernMount`] may, and say so.
//! 8. **Module exit.** A [`fs::Registration`] makes the module the
//!    filesystem type's owner, so it cannot be unloaded while a superblock
//!    of the type exists.
//!
//! # The pattern
//!
//! Take an empty list, `put` any number of references while holding a
//! spinlock, release the lock, then `shrink`:
//!
//! ```ignore
//! stack_pin_init!(let list = ShrinkList::new());
//! let mut list = list;
//! {
//!     let _guard = table.lock();               // a SpinLock: no sleeping here
//!     for d in refs.drain(..) {                // DentryRef<'pin>s
//!         list.as_mut().put(d);                // never sleeps, never allocates
//!     }
//! }
//! list.as_mut().shrink();                      // may sleep: kills them all
//! ```

pub mod dentry;
pub mod fs;
mod glue;
pub mod inode;
pub mod mount;
pub mod peer;
pub mod shrink_list;
pub mod super_block;

#[cfg(CONFIG_KUNIT)]
mod tests;

pub use dentry::{ChildrenGuard, Dentry, DentryRef, LockedDentry};
pub use inode::{Inode, InodeRef};
pub use mount::KernMount;
pub use shrink_list::ShrinkList;
pub use super_block::{ActiveSuper, SuperBlock, WeakSuper};
