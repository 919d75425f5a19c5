// SPDX-License-Identifier: GPL-2.0

// rdcache's safe dcache layer.  Laid out as `rust/kernel/fs/` would hold it:
// `make upstream` turns `dentry.rs`, `fs_type.rs`, `inode.rs`, `mount.rs`,
// `shrink_list.rs`, `super_block.rs` and `tests.rs` into files of that
// directory, `helpers/*.c` into `rust/helpers/`, and the `//!` text below
// (from "# The rules" on) into `rust/kernel/fs.rs`'s.  `glue.rs`, `glue.c`,
// `hardirq.rs`, `layout.rs`, `layout_c.c`, `layout_tests.rs`, `peer.rs`,
// `probe.rs` and `workqueue.rs` are rdcache's own.  With the helpers and `glue.c`, this
// directory is the only code of the module that uses `unsafe`.

//! Safe abstractions over the kernel's dcache, and private shrink lists.
//!
//! C headers: [`include/linux/dcache.h`](srctree/include/linux/dcache.h),
//! [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h).
//!
//! # The rules, and where the types enforce them
//!
//! The conditions for using `__move_to_shrink_list()` and
//! `shrink_dentry_list()` safely were never written down in C.  Here they
//! are:
//!
//! 1. **Insertion needs a liveness witness.** A dentry goes onto a list under
//!    its `d_lock`, and something must keep it from being freed.
//!    [`ShrinkList::move_to_list`] takes a [`LockedDentry`], which only a
//!    [`ChildrenGuard`] (the parent's `d_lock`) can make; a bare `&Dentry`
//!    does not compile.
//! 2. **Only a `true` return transfers the dentry.** `move_to_list()`
//!    returns it, `put()` says so in its [`PutResult`] ([`PutResult::Listed`]);
//!    `false` means a list has it already (someone else's), whose shrink
//!    deals with it.
//! 3. **A list is thread-private and must not move while linked.**
//!    [`ShrinkList`] is pinned and neither `Send` nor `Sync`.  An abandoned
//!    list would leak: dropping one drains it.
//! 4. **Entries carry no reference.** [`ShrinkList::put`] consumes the
//!    [`DentryRef`]; nothing can be `dput()` after it.  So a list needs no
//!    superblock pin: umount may kill its entries and leave husks, which
//!    [`ShrinkList::shrink`] frees.
//! 5. **Counted references need a pin.** A [`DentryRef`] borrows an
//!    [`ActiveSuper`] (`s_active`), so it cannot outlive it: `->kill_sb()`
//!    never finds one still held (`BUG: Dentry ... still in use`, then a
//!    late `->d_iput()`).  This holds for code that does not leak: a
//!    `mem::forget()` of a [`DentryRef`] (safe in Rust, as every leak is)
//!    keeps its count for ever, and umount reports that dentry as busy and
//!    frees the superblock anyway, as it does for the same leak in C (2^30
//!    leaks to one dentry, inode or superblock saturate its count instead
//!    of wrapping it, as `refcount_t` does: `helpers/dcache.c`).  So
//!    the layer never follows a dentry to its superblock unless a pin keeps
//!    that superblock.  An entry with a count (maybe a leaked one) is never
//!    followed there, so a leak leads to those reports and to nothing
//!    worse (C's reports: on a kernel with
//!    `CONFIG_BUG_ON_DATA_CORRUPTION=y` the busy inodes are a `BUG()` in
//!    `generic_shutdown_super()`, and `panic_on_warn` makes
//!    `umount_check()`'s `WARN` a panic, as for the same leak in C).
// rdcache-only {
//!    (The fallback's deferred step of rule 6 follows one more: an entry,
//!    unused and alive under its `d_lock`, which umount's
//!    `shrink_dcache_tree()` must kill before `generic_shutdown_super()`
//!    can return, so its superblock is there while it is.)
// } rdcache-only
//! 6. **`put` keeps what `dput` keeps, and pins nothing.**
//!    [`ShrinkList::put`] is `dput_to_list()`, the pattern of Al Viro's
//!    April 2019 proposal: a non-last reference is dropped (locklessly
//!    where lockref can, else under `d_lock`); for the last,
//!    `retain_dentry()` decides (hashed, not disconnected, not
//!    `DCACHE_DONTCACHE`, `->d_delete()` does not object).  What `dput()`
//!    would keep stays cached, on the LRU, at once; what it would kill goes
//!    onto the list, and [`ShrinkList::shrink`] kills it and prunes its
//!    unused ancestors as `shrink_dentry_list()` does.  No active
//!    superblock reference is taken or dropped, so `->kill_sb()` never runs
//!    in a put, a shrink or a list's drop.  See [`PutResult`].
// rdcache-only {
//!
//!    On a kernel that keeps `dput_to_list()` to `fs/` (stock 7.3), rdcache
//!    builds a fallback: putting a dentry on the LRU is `d_lru_add()`,
//!    private to `fs/dcache.c`, so a dentry `dput()` would keep and that is
//!    not on the LRU yet waits, unreferenced, on the list
//!    ([`PutResult::Deferred`]), and [`ShrinkList::shrink`] disposes of it
//!    without ever taking or dropping an active superblock reference: an
//!    entry in use again is only taken off the list (its holder's `dput()`
//!    caches it) and its superblock is never read; an unused one goes to
//!    `dput()` while `s_umount` is held shared through a trylock and the
//!    superblock is up (what the memory shrinker does,
//!    `super_cache_scan()`), and is otherwise killed as umount would kill
//!    it.
// } rdcache-only
//! 7. **Context.** [`ShrinkList::put`] and [`ShrinkList::move_to_list`]
//!    take only spinlocks and never allocate, so they never sleep where
//!    spinlocks do not (`CONFIG_PREEMPT_RT` makes every spinlock a sleeping
//!    lock, these included); [`ShrinkList::shrink`], dropping a
//!    [`ShrinkList`], a [`DentryRef`] (`dput()`), an [`InodeRef`]
//!    (`iput()`), an [`ActiveSuper`] (`deactivate_super()`) or a
//!    [`KernMount`] may sleep, say so, and call `might_sleep()`.  Nothing
//!    that takes a `d_lock` is reachable through a reference whose
//!    [`ChildrenGuard`] is held (see [`dentry`]).  Nothing that takes a
//!    directory's `i_rwsem` (`DentryRef::lookup()`, `create_child()`) is
//!    reachable from the callbacks the VFS runs under one of the same
//!    superblock ([`fs_type::FileSystem::lookup`],
//!    [`fs_type::FileSystem::child`]): refused
//!    there with a `WARN`.
//! 8. **Module exit.** A [`fs_type::Registration`] makes the module the
//!    filesystem type's owner, so it cannot be unloaded while a superblock
//!    of the type exists; the type itself is static ([`fs_type::Type`]), so a
//!    registration dropped early leaves no superblock with a freed
//!    `s_type`.  Work items that hold these objects must have returned
//!    before module exit (a workqueue the module destroys in its exit waits
//!    for them); a registration, like every owner of such work, must be
//!    dropped by module exit: a leaked one outlives the module, and the
//!    filesystem list or the queue then reads unloaded memory (not closed
//!    yet: a module-exit step would have to unregister what was leaked).
//!
//! # Brands
//!
//! Superblocks, dentries, inodes, pins and mounts carry the filesystem they
//! belong to as a type parameter `T`: a [`fs_type::FileSystem`] registered
//! through this layer, or [`Foreign`].  A `KernMount<T>` comes only from
//! `T`'s registered static type; every other object is reached from one
//! (or from the [`WeakSuper`] the layer gives `T`), so the brand is always
//! right.  Every brand is invariant in `T` (`PhantomData<fn(T) -> T>`):
//! with a covariant one, a `KernMount<A>` would pass for a `KernMount<B>`
//! wherever `A` is a subtype of `B`, and such pairs can both be filesystems
//! (`for<'a> fn(&'a ())` and `fn(&'static ())`: rustc accepts an impl for
//! each, with only the `coherence_leak_check` warning), so `B`'s code would
//! read `A`'s data as its own.  Looking a tree up, evicting from it or building on it
//! ([`DentryRef::lookup`], [`DentryRef::try_lookup`],
//! [`DentryRef::shrink_dcache_parent`], [`DentryRef::d_invalidate`],
//! [`DentryRef::create_child`], [`DentryRef::mark_dontcache`]) needs
//! `T: FileSystem`: those are the filesystem's own business ("purely a
//! helper for filesystem usage and should not be called by generic code",
//! `fs/namei.c` on `lookup_noperm*()`).  Holding one and dropping what is
//! held (references, [`DentryRef::parent`], shrink lists) works on any.

//! # The pattern
//!
//! Take an empty list, `put` any number of references while holding a
//! spinlock, release the lock, then `shrink`:
//!
//! ```ignore
//! stack_pin_init!(let list = ShrinkList::new());
//! {
//!     let _guard = table.lock();               // a SpinLock: no sleeping here
//!     for d in refs.drain(..) {                // DentryRef<'pin, T>s
//!         list.as_mut().put(d);                // never sleeps, never allocates
//!     }
//! }
//! list.as_mut().shrink();                      // may sleep: kills what dput()
//!                                              // would kill
//! ```

pub mod dentry;
pub mod fs_type;
mod glue;
pub mod hardirq;
pub mod inode;
pub mod mount;
pub mod peer;
pub mod probe;
pub mod shrink_list;
pub mod super_block;
pub mod workqueue;

mod layout;
#[cfg(CONFIG_KUNIT)]
mod layout_tests;
#[cfg(CONFIG_KUNIT)]
pub(crate) mod tests;

pub use dentry::{Child, ChildrenGuard, Dentry, DentryRef, LockedDentry};
pub use fs_type::{DeletingDentry, DentryWord, DyingDentry, EvictingInode, Foreign};
pub use inode::{Inode, InodeRef};
pub use mount::KernMount;
pub use shrink_list::{Census, PutResult, ShrinkList};
pub use super_block::{ActiveSuper, SuperBlock, WeakSuper};
