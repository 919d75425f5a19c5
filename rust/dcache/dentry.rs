// SPDX-License-Identifier: GPL-2.0

//! Dentries, counted references to them, and `d_lock` guards.
//!
//! C header: [`include/linux/dcache.h`](srctree/include/linux/dcache.h)
//!
//! # Who keeps a dentry alive
//!
//! A dentry's memory is freed after it is killed, which happens once its
//! count (`d_lockref.count`) is zero and someone (`dput()`, a shrinker,
//! umount, `ShrinkList::shrink`) evicts it.
//! This module hands out `&Dentry` only under something that prevents that:
//!
//! * a [`DentryRef`], which owns one count.  It borrows an
//!   [`ActiveSuper`] and so cannot outlive the pin that keeps `->kill_sb()`
//!   away (rule 5).  Dropping it is `dput()` and **may sleep**.
//! * a [`ChildrenGuard`], which holds a directory's `d_lock`: a child cannot
//!   be unlinked from its parent, let alone freed, without that lock.  The
//!   guard is a spinlock guard: no sleeping while it lives.
//!
//! A [`LockedDentry`] is a dentry whose own `d_lock` is held, obtained only
//! through one of those witnesses; it is what moving an *unused* dentry onto a
//! shrink list demands (rule 1).
//!
//! # `d_lock` and what may run under it
//!
//! C's rule, above `dget()` in `include/linux/dcache.h`: "it will spin if
//! @dentry->d_lock is held.  From the deadlock avoidance point of view it is
//! equivalent to spin_lock()/increment refcount/spin_unlock(), so calling it
//! under @dentry->d_lock is always a bug; so's calling it under ->d_lock on
//! any of its descendents."  The same holds for `dput()` (lockref takes
//! `d_lock` for the last reference, on contention, and always with
//! lockdep), for lookups (`__d_lookup()` takes the children's `d_lock`s, and
//! `->d_hash()`/`->d_compare()` run), and for `d_mark_dontcache()` (it takes
//! `i_lock`, the reverse of `lock_for_kill()`'s `i_lock`-then-`d_lock`).
//! And `d_lock` is not IRQ-safe: none of it may run in an interrupt.
//!
//! The types carry what they can.  Everything a `&Dentry` offers is a
//! lock-free snapshot.  [`DentryRef::lock_children`] borrows the reference
//! mutably, so nothing that takes that `d_lock` is reachable *through the
//! locked reference* while its guard lives; a guard locks at most one child
//! at a time ([`ChildrenGuard::lock_child`] borrows it mutably); a task
//! holds one guard at a time (a second [`DentryRef::lock_children`] is
//! refused), so no two directories' locks nest.
//!
//! What the types cannot carry (another [`DentryRef`], to the same dentry,
//! an ancestor or anything else, used while a guard lives) is checked at
//! run time, on every kernel, from a per-CPU record of the guard held on
//! this CPU and of the task that holds it (a load and a compare with
//! `current`): a record applies only to its owner, so a task that runs on
//! a CPU where another holds a guard (preempted there, with
//! `CONFIG_PREEMPT_RT`) is not affected by it.
//!
//! * [`DentryRef::clone`] and dropping a [`DentryRef`] of a dentry the guard
//!   itself holds locked count under that lock (`dget_dlock()`; a count
//!   above 1 dropped in place), as C does under `d_lock`;
//! * anything else that may take a `d_lock` or `i_lock` while this task
//!   holds a guard, or outside task context, is refused and `WARN`s with a
//!   line naming the rule: lookups, [`DentryRef::create_child`],
//!   [`DentryRef::mark_dontcache`], [`DentryRef::name`] and
//!   [`DentryRef::parent`] return `EDEADLK`;
//!   [`DentryRef::shrink_dcache_parent`] and [`DentryRef::d_invalidate`] do
//!   nothing; `ShrinkList::put` returns `PutResult::Refused`; dropping a
//!   [`DentryRef`] (or an [`InodeRef`]) leaks its reference (a leak, which
//!   umount reports as C does, instead of a deadlock);
//! * [`DentryRef::clone`] and [`ActiveSuper::root`] of another dentry cannot
//!   be refused (they return a reference): they `WARN` the same way and go
//!   on, and may then deadlock as `dget()` would in C.  With lockdep,
//!   lockref takes `d_lock`, and lockdep reports the recursion too.
//!
//! A guard disables migration while it lives, so its task always finds its
//! record.  A guard that is leaked (`mem::forget()`) keeps its `d_lock` held
//! for ever, as in C (lockdep reports the lock held on return to user
//! space), its task pinned to its CPU (which then cannot go offline), and
//! that CPU's record taken: its task is refused from then on, and every
//! other task's [`DentryRef::lock_children`] on that CPU is `None`.  A
//! leaked [`LockedDentry`] keeps its child's `d_lock` held for ever too, and
//! once its guard is gone nothing records it: locking that child again, or
//! a reference to it cloned or dropped by the same task, then spins on the
//! task's own lock (a deadlock, as in C).
//!
//! # Why not `ARef<Dentry>`
//!
//! 7.3's `fs/file.rs` makes `File` `AlwaysRefCounted` and hands out
//! `ARef<File>`.  An `ARef` has no lifetime, and a counted dentry reference
//! must not outlive the superblock pin that covers it (rule 5), so
//! [`DentryRef`] keeps its own type with the pin's lifetime `'pin`.

use super::fs_type::{self, FileSystem};
use super::{
    glue,
    inode::{Inode, InodeRef},
    super_block::{ActiveSuper, NotThreadSafe, SuperBlock},
};
use core::{marker::PhantomData, mem::ManuallyDrop, ops::Deref, ptr::NonNull};
use kernel::{
    bindings,
    error::from_err_ptr,
    ffi,
    prelude::*,
    task::might_sleep,
    types::{ForeignOwnable, Opaque},
};

/// A `struct dentry` of a filesystem of brand `T`.
///
/// # Invariants
///
/// A `&Dentry<T>` is only created while the dentry is alive (not freed) for
/// the reference's lifetime, and its superblock, one of `T`'s type, is kept
/// active meanwhile (so not shut down).
#[repr(transparent)]
pub struct Dentry<T>(Opaque<bindings::dentry>, PhantomData<fn(T) -> T>);

// SAFETY: `&Dentry` reads only under the dcache's own locks, atomics or `READ_ONCE`.
unsafe impl<T> Sync for Dentry<T> {}
// SAFETY: `Dentry` is only used by reference.
unsafe impl<T> Send for Dentry<T> {}

impl<T> Dentry<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points to a dentry of a superblock of `T`'s type that stays
    /// alive, with its superblock kept active, for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Self {
        // SAFETY: `repr(transparent)`; the caller guarantees the lifetime.
        unsafe { &*ptr.cast() }
    }

    /// The raw `struct dentry *`.
    pub fn as_raw(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// The dentry's superblock (`d_sb`, constant for its life).
    pub fn sb(&self) -> &SuperBlock<T> {
        // SAFETY: `d_sb` is constant; the invariant keeps the superblock up for `&self`.
        unsafe { SuperBlock::from_raw((*self.as_raw()).d_sb) }
    }

    /// The reference count (`d_lockref.count`): a racy snapshot, for tests
    /// and diagnostics only, that may change as soon as it is read; negative
    /// (-128) once the dentry is dead.
    pub fn count(&self) -> i32 {
        // SAFETY: `self` is alive; `d_count()` is a plain read.
        unsafe { glue::rdc_d_count(self.as_raw()) }
    }

    /// Sets the count to `count` under `d_lock` and returns the old one:
    /// for the tests of saturation, a stand-in for 2^30 leaked references.
    ///
    /// # Safety
    ///
    /// Until the caller sets the old count back, the dentry is not killed
    /// and no reference counted before is dropped: the count it sets
    /// must not fall to zero under them.
    #[cfg_attr(not(CONFIG_RUST_FS_DCACHE_KUNIT_TEST), allow(dead_code))]
    pub(crate) unsafe fn test_set_count(&self, count: i32) -> i32 {
        // SAFETY: `self` is alive; the count is changed under `d_lock`, as
        // lockref allows, and the caller answers for its value.
        unsafe { glue::rdc_test_d_set_count(self.as_raw(), count) }
    }

    /// Whether `DCACHE_SHRINK_LIST` is set: the dentry sits on some thread's
    /// shrink list.  A snapshot, like [`Dentry::count`].  This and the two
    /// flags below are the dcache's own state, for this crate's tests only.
    // In the kernel crate only the KUnit tests read it.
    #[cfg_attr(not(CONFIG_RUST_FS_DCACHE_KUNIT_TEST), allow(dead_code))]
    pub(crate) fn is_on_shrink_list(&self) -> bool {
        // SAFETY: `self` is alive; `READ_ONCE(d_flags)`.
        unsafe { glue::rdc_d_on_shrink_list(self.as_raw()) }
    }

    /// Whether `DCACHE_LRU_LIST` is set: the dentry is on the superblock's
    /// LRU, or on a shrink list (`d_shrink_add()` sets both flags).  The
    /// LRU drops an entry lazily: one in use again keeps the flag.  A
    /// snapshot.
    // In the kernel crate only the KUnit tests read it.
    #[cfg_attr(not(CONFIG_RUST_FS_DCACHE_KUNIT_TEST), allow(dead_code))]
    pub(crate) fn is_on_lru(&self) -> bool {
        // SAFETY: `self` is alive; `READ_ONCE(d_flags)`.
        unsafe { glue::rdc_d_on_lru(self.as_raw()) }
    }

    /// Whether `DCACHE_REFERENCED` is set: the LRU's next pass
    /// (`dentry_lru_isolate()`) gives the dentry a second chance.
    /// `retain_dentry()` sets it when a last reference goes while the
    /// dentry is on the LRU (or a shrink list); `ShrinkList::put` and
    /// `ShrinkList::shrink` set it where `dput()` would have.  A snapshot.
    // In the kernel crate only the KUnit tests read it.
    #[cfg_attr(not(CONFIG_RUST_FS_DCACHE_KUNIT_TEST), allow(dead_code))]
    pub(crate) fn is_referenced(&self) -> bool {
        // SAFETY: `self` is alive; `READ_ONCE(d_flags)`.
        unsafe { glue::rdc_d_referenced(self.as_raw()) }
    }

    /// `d_unhashed()`: whether lookups can no longer find the dentry.
    pub fn is_unhashed(&self) -> bool {
        // SAFETY: `self` is alive.
        unsafe { glue::rdc_d_unhashed(self.as_raw()) }
    }
}

/// A copy of a dentry's name (at most `NAME_MAX` bytes).
#[derive(Clone, Copy)]
pub struct DentryName {
    buf: [u8; 255],
    len: usize,
}

impl DentryName {
    fn from_bytes(b: &[u8]) -> Self {
        let len = b.len().min(255);
        let mut buf = [0u8; 255];
        buf[..len].copy_from_slice(&b[..len]);
        Self { buf, len }
    }

    /// The name's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

// Where a call that may take a `d_lock` or an `i_lock` is refused, as
// `rdc_lock_context()` and `rdc_ref_context()` answer (`RUST_LOCK_*` in the
// helpers; see the module docs).
pub(crate) const LOCK_OK: ffi::c_int = 0;
pub(crate) const LOCK_GUARD: ffi::c_int = 1;
pub(crate) const LOCK_NOT_TASK: ffi::c_int = 2;
/// `rdc_ref_context()` only: this task's guard holds the dentry's own `d_lock`.
pub(crate) const LOCK_HELD: ffi::c_int = 4;
/// For `rdc_lock_rule_warn()` only: the task is in a callback the VFS calls
/// under a directory's `i_rwsem` of the same superblock (`rdc_in_dir_callback()`).
pub(crate) const LOCK_DIR_CALLBACK: ffi::c_int = 5;

/// The context rules for dropping a counted reference to `d`, in one
/// helper call (every put and drop pays it): `Ok(true)` if this task's
/// guard holds `d`'s own `d_lock` and the count, not the last, was dropped
/// under it; `Ok(false)` if the caller may drop it normally; otherwise a
/// `WARN` naming `op` and the rule, and `EDEADLK` (the reference is then
/// to be leaked).
///
/// # Safety
///
/// The caller owns a count on `d`.
pub(crate) unsafe fn ref_context(d: *mut bindings::dentry, op: &CStr) -> Result<bool> {
    // SAFETY: Compares `d` with this task's guard record; no dereference.
    let mut why = unsafe { glue::rdc_ref_context(d) };
    if why == LOCK_HELD {
        // SAFETY: This task's guard holds `d_lock` (its record's owner is
        // `current`), and the caller owns a count.
        if unsafe { glue::rdc_dput_dlock(d) } {
            return Ok(true);
        }
        // The last one: it cannot be dropped under the guard.
        why = LOCK_GUARD;
    }
    if why == LOCK_OK {
        return Ok(false);
    }
    // SAFETY: `op` is NUL-terminated; `WARN()` may be called anywhere.
    unsafe { glue::rdc_lock_rule_warn(op.as_char_ptr(), why) };
    Err(EDEADLK)
}

/// Whether a layer call may take a `d_lock` or an `i_lock` here: in task
/// context, with no dentry guard held by this task, outside the filesystem
/// callbacks the dcache calls under a `d_lock` (`->d_delete()`).  Never
/// sleeps, never warns.
pub fn may_take_d_lock() -> bool {
    // SAFETY: No preconditions: compares this CPU's records' owners with
    // `current`, and reads `in_task()`.
    unsafe { glue::rdc_lock_context() == LOCK_OK }
}

/// `Ok` if `op` may take a `d_lock` or an `i_lock` here (see
/// [`may_take_d_lock`]).  Otherwise `WARN`s with a line naming `op` and the
/// rule, and returns `EDEADLK`.  Never sleeps.
pub(crate) fn may_lock(op: &CStr) -> Result {
    // SAFETY: No preconditions: compares this CPU's records' owners with
    // `current`, and reads `in_task()`.
    let why = unsafe { glue::rdc_lock_context() };
    if why == LOCK_OK {
        return Ok(());
    }
    // SAFETY: `op` is NUL-terminated; `WARN()` may be called anywhere.
    unsafe { glue::rdc_lock_rule_warn(op.as_char_ptr(), why) };
    Err(EDEADLK)
}

/// Whether the running task is outside every callback the VFS may run
/// under a directory's `i_rwsem` ([`FileSystem::lookup`], [`FileSystem::child`],
/// the teardown callbacks from [`FileSystem::d_iput`] on): in one,
/// [`DentryRef::lookup`] and [`DentryRef::create_child`] on its superblock
/// are refused.  Never warns, never sleeps; outside task context, where no
/// such callback runs, `true`.
///
/// [`FileSystem::lookup`]: super::fs_type::FileSystem::lookup
/// [`FileSystem::child`]: super::fs_type::FileSystem::child
/// [`FileSystem::d_iput`]: super::fs_type::FileSystem::d_iput
pub fn may_take_dir_locks() -> bool {
    // SAFETY: No preconditions: in task context it compares `current` with
    // the listed records under their lock; outside it, it answers at once.
    !unsafe { glue::rdc_in_any_dir_callback() }
}

/// `Ok` unless the running task is in a callback of `sb`'s type that the VFS
/// may call with a directory's `i_rwsem` held ([`FileSystem::lookup`] and
/// what it calls, [`FileSystem::child`], the teardown callbacks): there
/// `op`, which takes a directory's `i_rwsem` of `sb`, could wait for the
/// task itself, so it `WARN`s naming `op` and the rule, and returns
/// `EDEADLK`.  May sleep: called only where `op` may.
///
/// [`FileSystem::lookup`]: super::fs_type::FileSystem::lookup
/// [`FileSystem::child`]: super::fs_type::FileSystem::child
fn may_lock_dir(sb: *const bindings::super_block, op: &CStr) -> Result {
    // SAFETY: Compares `sb` and `current` with the listed records; no
    // dereference of `sb`.
    if !unsafe { glue::rdc_in_dir_callback(sb) } {
        return Ok(());
    }
    // SAFETY: `op` is NUL-terminated; `WARN()` may be called anywhere.
    unsafe { glue::rdc_lock_rule_warn(op.as_char_ptr(), LOCK_DIR_CALLBACK) };
    Err(EDEADLK)
}

/// Whether the running task's dentry guard holds `dentry`'s `d_lock`.
fn guard_holds(dentry: *mut bindings::dentry) -> bool {
    // SAFETY: Compares the pointer with this CPU's record; no dereference.
    unsafe { glue::rdc_guard_holds(dentry) }
}

/// A counted reference to a dentry (`dget()`/`dput()`), covered by a pin.
///
/// The lifetime `'pin` is a borrow of the [`ActiveSuper`] of the dentry's
/// superblock: a `DentryRef` cannot outlive that pin, so the reference it owns
/// is always dropped before `->kill_sb()` can run (rule 5).  All ways of
/// getting one start from the pin (or from another `DentryRef` under it), so
/// the pin is always the dentry's own superblock's.
///
/// Dropping it is `dput()`, which **may sleep** (it may kill the dentry and
/// its unused ancestors, calling `->d_iput()`, `->d_release()` and
/// `iput()`).  To drop one where sleeping is not allowed, hand it to
/// `ShrinkList::put` instead.
///
/// # Invariants
///
/// `ptr` points to a dentry on which this object owns one count, or whose
/// count is saturated (at least `RUST_REF_SATURATE`, helpers/dcache.c) and
/// so never falls to zero; the dentry's superblock is kept active for
/// `'pin`.
pub struct DentryRef<'pin, T> {
    ptr: NonNull<bindings::dentry>,
    _pin: PhantomData<&'pin ActiveSuper<T>>,
}

// SAFETY: `dput()` may run on any thread; the pin borrowed is `Sync`.
unsafe impl<T> Send for DentryRef<'_, T> {}
// SAFETY: `&DentryRef` gives `&Dentry` and new references, both thread-safe.
unsafe impl<T> Sync for DentryRef<'_, T> {}

impl<'pin, T> DentryRef<'pin, T> {
    /// Takes a new reference with `dget()`.
    ///
    /// # Safety
    ///
    /// `ptr` is alive, of a superblock of `T`'s type kept active for `'pin`.
    pub(crate) unsafe fn from_raw_dget(ptr: *mut bindings::dentry) -> Self {
        // One helper call for the context rules, as for a put.
        // SAFETY: Compares `ptr` with this task's guard record; no dereference.
        let why = unsafe { glue::rdc_ref_context(ptr) };
        if why == LOCK_HELD {
            // SAFETY: `rdc_ref_context()`: the running task's guard (its
            // record's owner is `current`) holds `ptr`'s `d_lock`, and the
            // caller guarantees it is alive: `dget_dlock()` counts under it.
            unsafe { glue::rdc_dget_dlock(ptr) };
        } else {
            if why != LOCK_OK {
                // Cannot be refused: warns, then goes on (module docs).
                // SAFETY: NUL-terminated; `WARN()` may be called anywhere.
                unsafe {
                    glue::rdc_lock_rule_warn(
                        c"dget() (DentryRef::clone, ActiveSuper::root)".as_char_ptr(),
                        why,
                    )
                };
            }
            // SAFETY: The caller guarantees `ptr` is alive.
            if unsafe { glue::rdc_d_saturated(ptr) } {
                // SAFETY: Alive (caller); `rdc_dget_saturating()` takes its
                // `d_lock` as `lockref_get()` would when the lockless path fails.
                unsafe { glue::rdc_dget_saturating(ptr) };
            } else {
                // SAFETY: The caller guarantees `ptr` is alive, so not null:
                // `dget()` of it is `lockref_get(&dentry->d_lockref)`
                // (include/linux/dcache.h), called here as C's inlined
                // `dget()` calls it (lib/lockref.c exports it).  A count that
                // reached `RUST_REF_SATURATE` meanwhile, racing, goes past it
                // by at most one per task: the gap to `RUST_REF_SATURATED` and
                // to `INT_MAX` absorbs that (helpers/dcache.c).
                unsafe { bindings::lockref_get(&raw mut (*ptr).d_lockref) };
            }
        }
        // INVARIANT: `dget()` gave us a count, or the count is saturated and
        // will never fall to zero (helpers/dcache.c); the caller covers it
        // with the pin.
        Self {
            // SAFETY: `ptr` is alive (caller), so not null.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _pin: PhantomData,
        }
    }

    /// Wraps a reference the caller owns.
    ///
    /// # Safety
    ///
    /// `ptr` is a non-null dentry on which the caller owns a count, which it
    /// hands over; its superblock, of `T`'s type, is kept active for `'pin`.
    /// The caller may take `ptr`'s `d_lock` (task context, no dentry guard).
    unsafe fn from_raw_owned(ptr: *mut bindings::dentry) -> Self {
        // SAFETY: We own a count on `ptr` (caller), so it is alive.
        if unsafe { glue::rdc_d_saturated(ptr) } {
            // SAFETY: Alive, and the caller may take its `d_lock`: the
            // count we were given goes back into the saturated count.
            unsafe { glue::rdc_d_absorb(ptr) };
        }
        // INVARIANT: The caller hands over its count (or it was absorbed
        // into a saturated count, which never falls to zero), covered by the
        // pin.
        Self {
            // SAFETY: The caller guarantees `ptr` is not null.
            ptr: unsafe { NonNull::new_unchecked(ptr) },
            _pin: PhantomData,
        }
    }

    /// Gives up ownership of the count without dropping it: the caller owns
    /// that count now, and must give it back (`dput()`) or leak it.  `None`
    /// if the count is saturated (helpers/dcache.c): there is none to hand
    /// over, and the reference is gone.
    // Used by `ShrinkList::put()`, which comes in a later patch upstream.
    #[allow(dead_code)]
    pub(crate) fn into_raw(self) -> Option<*mut bindings::dentry> {
        let d = ManuallyDrop::new(self).ptr.as_ptr();
        // SAFETY: We own a count on `d` until we return.  Below
        // `RUST_REF_SATURATE` every reference is counted, and a saturated
        // count does not fall back below it (every give-back is checked
        // just before it is made: helpers/dcache.c), so a count that reads
        // below is one of ours.  The caller gives it back at once, or
        // checks again just before (`DputBatch`).
        (!unsafe { glue::rdc_d_saturated(d) }).then_some(d)
    }

    /// A counted reference to the parent (`dget_parent()`); the root's parent
    /// is itself.  **May sleep**: `dget_parent()` drops a parent that a
    /// rename replaced meanwhile with `dput()`.  `EDEADLK` (and a `WARN`)
    /// under a dentry guard or outside task context.
    pub fn parent(&self) -> Result<DentryRef<'pin, T>> {
        may_lock(c"DentryRef::parent() (dget_parent())")?;
        might_sleep();
        // SAFETY: `dget_parent()` gives a counted, non-null dentry of our
        // superblock: same pin; no guard is held (`may_lock()` above).
        Ok(unsafe { DentryRef::from_raw_owned(bindings::dget_parent(self.as_raw())) })
    }

    /// The inode of a positive dentry, with its own reference (`ihold()`),
    /// covered by the same pin, or `None` for a negative one.  Lock-free and
    /// never sleeps; dropping the result is `iput()` and may.
    pub fn inode(&self) -> Option<InodeRef<'pin, T>> {
        // SAFETY: `self` is alive; see `rdc_d_inode()` for why a non-null
        // `d_inode` stays while we hold our count.
        let inode = unsafe { glue::rdc_d_inode(self.as_raw()) };
        if inode.is_null() {
            return None;
        }
        // SAFETY: The positive dentry holds a reference to its inode for as
        // long as our count keeps it positive (above): alive, `i_count > 0`,
        // of our superblock.
        let inode = unsafe { Inode::<T>::from_raw(inode) };
        // SAFETY: As above; `'pin` keeps the superblock active.
        Some(unsafe { InodeRef::ihold(inode) })
    }

    /// Copies the name out under `d_lock`.  Never sleeps, never allocates.
    ///
    /// If this task's dentry guard holds this `d_lock` already, the name is
    /// read under it; under any other guard, or outside task context,
    /// `EDEADLK` (and a `WARN`): use the guard's [`Child::name`] or
    /// [`LockedDentry::name`] instead.
    pub fn name(&self) -> Result<DentryName> {
        let held = guard_holds(self.as_raw());
        if !held {
            may_lock(c"DentryRef::name()")?;
            // SAFETY: We own a count, so the dentry is alive; `d_name` is
            // stable under its `d_lock`.
            unsafe { glue::rdc_d_lock(self.as_raw()) };
        }
        let mut len: kernel::ffi::c_uint = 0;
        // SAFETY: `d_lock` is held; the name stays valid until we unlock.
        let ptr = unsafe { glue::rdc_d_name(self.as_raw(), &mut len) };
        // SAFETY: `d_name.name` points to `len` bytes while `d_lock` is held.
        let bytes = unsafe { core::slice::from_raw_parts(ptr, len as usize) };
        let name = DentryName::from_bytes(bytes);
        if !held {
            // SAFETY: We took `d_lock` above.
            unsafe { glue::rdc_d_unlock(self.as_raw()) };
        }
        Ok(name)
    }
}

/// Whether `name` may become a new entry: 1..=`NAME_MAX` bytes, not `.` or
/// `..`, no `/` (what `lookup_one_common()` and `may_create()` refuse).
fn valid_new_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= bindings::NAME_MAX as usize
        && name != b"."
        && name != b".."
        && !name.contains(&b'/')
}

/// `ENAMETOOLONG` for a name longer than `NAME_MAX` bytes, as
/// `lookup_noperm_common()` refuses it.
fn check_name(name: &CStr) -> Result {
    if name.to_bytes().len() > bindings::NAME_MAX as usize {
        return Err(ENAMETOOLONG);
    }
    Ok(())
}

/// Operations that look up, evict or change a tree: only on filesystems of
/// this layer, whose dentry and inode operations are this layer's.  On a
/// [`Foreign`](super::Foreign) mount they are not offered: the lookups
/// (`lookup_noperm*()`) are "purely a helper for filesystem usage and
/// should not be called by generic code" (fs/namei.c), with no permission
/// checks and none of the filesystem's own rules (kernfs, procfs and tmpfs
/// each have theirs), and evicting (`shrink_dcache_parent()`,
/// `d_invalidate()`, which also detaches other users' mounts) is the
/// filesystem's business too.  A foreign tree can be held and dropped:
/// [`ActiveSuper::root`], [`DentryRef::parent`], clones, shrink lists.
impl<'pin, T: FileSystem> DentryRef<'pin, T> {
    /// The data [`FileSystem::dentry_data`] gave this dentry, if any (none
    /// for the dentries the layer did not look up: `create_child()`'s, and
    /// what `simple_lookup()` caches under its directories).  Never sleeps.
    pub fn data(&self) -> Option<<T::DentryData as ForeignOwnable>::Borrowed<'_>> {
        // SAFETY: A dentry of `T`'s type (invariant); the count we hold keeps
        // `->d_release()`, which drops the data, from running while `&self`
        // lives.
        unsafe { fs_type::dentry_data::<T>(self.as_raw()) }
    }

    /// Locks this dentry's `d_lock` to work on its children.  Never sleeps;
    /// the guard is a spinlock guard, so nothing may sleep while it lives.
    /// It borrows `self` mutably: nothing that takes this `d_lock` again is
    /// reachable through `self` until it is dropped (see the module docs for
    /// other references).
    ///
    /// `None` if this task holds a [`ChildrenGuard`] already (two directory
    /// locks would nest in one lock class, or invert the dcache's
    /// parent-then-child order), or outside task context (`d_lock` is not
    /// IRQ-safe).  It may also be `None` because this CPU's one record is
    /// taken by another task's guard: one preempted with
    /// `CONFIG_PREEMPT_RT`, or one leaked (see the module docs).
    pub fn lock_children(&mut self) -> Option<ChildrenGuard<'_, T>> {
        // SAFETY: `self` is alive.
        if !unsafe { glue::rdc_guard_lock(self.as_raw()) } {
            return None;
        }
        // INVARIANT: We hold the parent's `d_lock`.
        Some(ChildrenGuard {
            parent: self,
            _not_send: PhantomData,
        })
    }

    /// The cached child called `name`, with a reference
    /// (`try_lookup_noperm()`); `None` if it is not in the dcache.  Never
    /// sleeps, and never asks the filesystem to look anything up
    /// (`->lookup()`), but may call its `->d_hash()`
    /// (`lookup_noperm_common()`) and `->d_compare()` (`d_lookup()`).
    /// `ENAMETOOLONG` past `NAME_MAX` bytes; `EDEADLK`
    /// (and a `WARN`) under a dentry guard or outside task context.
    pub fn try_lookup(&self, name: &CStr) -> Result<Option<DentryRef<'pin, T>>> {
        check_name(name)?;
        may_lock(c"DentryRef::try_lookup() (try_lookup_noperm())")?;
        // SAFETY: `self` is alive and `name` is NUL-terminated.
        let d = from_err_ptr(unsafe { glue::rdc_try_lookup(self.as_raw(), name.as_char_ptr()) })?;
        Ok(NonNull::new(d).map(|d| {
            // SAFETY: The lookup gave us a count on a child in our
            // superblock; no guard is held (`may_lock()` above).
            unsafe { DentryRef::from_raw_owned(d.as_ptr()) }
        }))
    }

    /// The child called `name`, asking the filesystem (`->lookup()`) if it
    /// is not cached (`lookup_noperm_unlocked()`), with a reference.  The
    /// result may be negative (no inode).  `ENOTDIR` if this dentry is not a
    /// directory (a negative one included), `ENAMETOOLONG` past `NAME_MAX`
    /// bytes, `EDEADLK` (and a `WARN`) under a dentry guard or outside task
    /// context.  **May sleep**: it takes the directory's inode lock.
    pub fn lookup(&self, name: &CStr) -> Result<DentryRef<'pin, T>> {
        check_name(name)?;
        may_lock(c"DentryRef::lookup() (lookup_noperm_unlocked())")?;
        might_sleep();
        may_lock_dir(
            self.sb().as_raw(),
            c"DentryRef::lookup() (lookup_noperm_unlocked())",
        )?;
        // SAFETY: `self` is alive, `name` NUL-terminated; the caller may sleep (see above).
        let d = from_err_ptr(unsafe { glue::rdc_lookup(self.as_raw(), name.as_char_ptr()) })?;
        // SAFETY: The lookup gave us a count on a child in our superblock;
        // no guard is held (`may_lock()` above).
        Ok(unsafe { DentryRef::from_raw_owned(d) })
    }

    /// Evicts every unused dentry below this one (`shrink_dcache_parent()`),
    /// waiting for kills other threads have in progress there.  **May
    /// sleep.**  Under a dentry guard or outside task context it does
    /// nothing but `WARN`.
    pub fn shrink_dcache_parent(&self) {
        if may_lock(c"DentryRef::shrink_dcache_parent()").is_err() {
            return;
        }
        might_sleep();
        // SAFETY: `self` is alive; the context may sleep.
        unsafe { bindings::shrink_dcache_parent(self.as_raw()) };
    }

    /// Unhashes this dentry and evicts what is unused below it
    /// (`d_invalidate()`), detaching mounts on it.  Our own reference keeps
    /// it alive.  **May sleep.**  Under a dentry guard or outside task
    /// context it does nothing but `WARN`.
    pub fn d_invalidate(&self) {
        if may_lock(c"DentryRef::d_invalidate()").is_err() {
            return;
        }
        might_sleep();
        // SAFETY: `self` is alive; the context may sleep.
        unsafe { bindings::d_invalidate(self.as_raw()) };
    }

    /// Creates `name` in this directory with a new inode, as
    /// `simple_fill_super()` does for its files (`d_alloc_name()` +
    /// `new_inode()` + `d_add()` under the directory's inode lock), and
    /// returns a reference to it.  `ENAMETOOLONG` past `NAME_MAX` bytes,
    /// `EINVAL` for a name that cannot be an entry (empty, `.`, `..`, with a
    /// `/`), `ENOTDIR` if
    /// this is not a directory, `ENOENT` if it was removed, `EEXIST` if the
    /// name is cached already, `EDEADLK` (and a `WARN`) under a dentry guard
    /// or outside task context.  May sleep.
    pub fn create_child(&self, name: &CStr, dir: bool) -> Result<DentryRef<'pin, T>> {
        check_name(name)?;
        if !valid_new_name(name.to_bytes()) {
            return Err(EINVAL);
        }
        may_lock(c"DentryRef::create_child()")?;
        might_sleep();
        may_lock_dir(self.sb().as_raw(), c"DentryRef::create_child()")?;
        let mode = if dir {
            bindings::S_IFDIR | 0o755
        } else {
            bindings::S_IFREG | 0o644
        };
        // The mode fits `umode_t`: file type and permission bits only.
        let mode = mode as bindings::umode_t;
        // SAFETY: `self` is alive, `name` NUL-terminated; the caller may sleep (see above).
        let d = from_err_ptr(unsafe {
            glue::rdc_create_child(self.as_raw(), name.as_char_ptr(), mode)
        })?;
        // SAFETY: The new dentry comes with the count we now own, in our
        // superblock; no guard is held (`may_lock()` above).
        Ok(unsafe { DentryRef::from_raw_owned(d) })
    }

    /// Marks a positive dentry's inode, and with it every alias, not to be
    /// cached once unused (`d_mark_dontcache()`): their last `dput()` (or
    /// `ShrinkList::put`) kills them.  `ENOENT` for
    /// a negative dentry.  Takes the inode's `i_lock` and the aliases'
    /// `d_lock`s; never sleeps.  `EDEADLK` (and a `WARN`) under a dentry
    /// guard (taking `i_lock` under `d_lock` inverts `lock_for_kill()`'s
    /// order) or outside task context.
    pub fn mark_dontcache(&self) -> Result {
        may_lock(c"DentryRef::mark_dontcache() (i_lock)")?;
        // SAFETY: `self` is alive and counted.
        let inode = unsafe { glue::rdc_d_inode(self.as_raw()) };
        if inode.is_null() {
            return Err(ENOENT);
        }
        // SAFETY: A counted dentry that is positive stays so, and its alias
        // keeps the inode's reference (`rdc_d_inode()`'s comment in the
        // helpers); `d_mark_dontcache()` (fs/dcache.c) takes only the inode's
        // `i_lock` and its aliases' `d_lock`s.
        unsafe { bindings::d_mark_dontcache(inode) };
        Ok(())
    }
}

impl<T> Deref for DentryRef<'_, T> {
    type Target = Dentry<T>;

    fn deref(&self) -> &Dentry<T> {
        // SAFETY: Our count keeps the dentry alive for `&self`; the pin keeps its sb up.
        unsafe { Dentry::from_raw(self.ptr.as_ptr()) }
    }
}

impl<T> Clone for DentryRef<'_, T> {
    /// `dget()`; never sleeps.  If this task's dentry guard holds this
    /// dentry's `d_lock`, `dget_dlock()` under it.  Under any other dentry
    /// guard, or outside task context, it `WARN`s naming the rule and goes
    /// on: it may then deadlock, as `dget()` there does in C (see the module
    /// docs).
    fn clone(&self) -> Self {
        // SAFETY: `self` is alive and covered by the same pin.
        unsafe { DentryRef::from_raw_dget(self.as_raw()) }
    }
}

impl<T> Drop for DentryRef<'_, T> {
    /// `dput()`: may sleep (`dput()` says so itself, with `might_sleep()`).
    ///
    /// If this task's dentry guard holds this dentry's `d_lock` and the
    /// count is not the last, it is dropped under that lock.  Otherwise,
    /// under a dentry guard or outside task context, the reference is
    /// leaked with a `WARN` naming the rule, as a `mem::forget()` would leak
    /// it: umount then reports the dentry busy, as in C.  A count saturated
    /// by leaks (2^30, helpers/dcache.c) is not given back either.
    fn drop(&mut self) {
        let d = self.ptr.as_ptr();
        // SAFETY: We own one count (invariant), so `d` is alive.
        if unsafe { glue::rdc_d_saturated(d) } {
            // Saturated: nothing is given back (helpers/dcache.c).
            return;
        }
        // SAFETY: We own one count (invariant).
        match unsafe { ref_context(d, c"dput() (DentryRef drop)") } {
            // Dropped under this task's guard, or refused (leaked).
            Ok(true) | Err(_) => {}
            // SAFETY: We own one count (invariant) and give it up here.
            Ok(false) => unsafe { bindings::dput(d) },
        }
    }
}

/// A directory's `d_lock`, held: its children cannot be unlinked or freed.
///
/// # Invariants
///
/// The current thread holds `parent`'s `d_lock`.
pub struct ChildrenGuard<'a, T> {
    parent: &'a Dentry<T>,
    _not_send: NotThreadSafe,
}

impl<'a, T> ChildrenGuard<'a, T> {
    /// The directory's children (cursors of open directories skipped).
    pub fn iter(&self) -> Children<'_, T> {
        // SAFETY: We hold the parent's `d_lock` (invariant).
        let first = unsafe { glue::rdc_d_first_child(self.parent.as_raw()) };
        // INVARIANT: `first` is null or a child of the parent, locked for `'_`.
        Children {
            next: first,
            _guard: PhantomData,
        }
    }

    /// Locks the `d_lock` of the first child for which `pick` returns true
    /// (nested inside its parent's), giving the witness that
    /// `ShrinkList::move_to_list` needs.
    /// `None` if no child is picked.
    ///
    /// The result borrows the guard mutably: one child is locked at a time,
    /// so no child is locked twice and no two siblings nest.  Never sleeps.
    pub fn lock_child(
        &mut self,
        mut pick: impl FnMut(&Child<'_, T>) -> bool,
    ) -> Option<LockedDentry<'_, T>> {
        let child = self.iter().find(|c| pick(c))?.dentry.as_raw();
        // SAFETY: A child of the locked parent (`iter()`), not the parent
        // itself (a root is its own parent but not on its own `d_children`):
        // the order `DENTRY_D_LOCK_NESTED` names.
        unsafe { glue::rdc_guard_lock_child(child) };
        // INVARIANT: We hold `child`'s `d_lock` while the result borrows the
        // guard, whose parent `d_lock` keeps the child from being freed.
        Some(LockedDentry {
            // SAFETY: As for `iter()`'s children, for as long as the guard is borrowed.
            dentry: unsafe { Dentry::from_raw(child) },
            _not_send: PhantomData,
        })
    }
}

impl<T> Drop for ChildrenGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: We hold the parent's `d_lock`, taken by `rdc_guard_lock()` (invariant).
        unsafe { glue::rdc_guard_unlock(self.parent.as_raw()) };
    }
}

/// Iterator over a locked directory's children.
///
/// # Invariants
///
/// `next` is null or a child of the directory whose `d_lock` the
/// [`ChildrenGuard`] borrowed for `'g` holds.
pub struct Children<'g, T> {
    next: *mut bindings::dentry,
    _guard: PhantomData<&'g Dentry<T>>,
}

impl<'g, T> Iterator for Children<'g, T> {
    type Item = Child<'g, T>;

    fn next(&mut self) -> Option<Child<'g, T>> {
        while !self.next.is_null() {
            let d = self.next;
            // SAFETY: `d` is linked under the parent whose `d_lock` the guard holds.
            self.next = unsafe { glue::rdc_d_next_sibling(d) };
            // SAFETY: As above; `d_flags` is read with `READ_ONCE`.
            if unsafe { glue::rdc_d_is_cursor(d) } {
                continue;
            }
            // SAFETY: The child cannot be freed while the guard (`'g`) holds
            // its parent's `d_lock`; it is in the parent's superblock, which
            // the parent's counted reference keeps active.
            let dentry = unsafe { Dentry::from_raw(d) };
            // INVARIANT: Likewise, it stays a child of the locked parent.
            return Some(Child { dentry });
        }
        None
    }
}

/// A child seen under its parent's `d_lock` ([`ChildrenGuard::iter`]).
///
/// Not `Clone`: the guard hands out each child once per walk.
///
/// # Invariants
///
/// For `'g` the current thread holds the `d_lock` of `dentry`'s parent.
pub struct Child<'g, T> {
    dentry: &'g Dentry<T>,
}

impl<'g, T> Child<'g, T> {
    /// The child.
    pub fn dentry(&self) -> &'g Dentry<T> {
        self.dentry
    }

    /// The name, borrowed: renames take the parent's `d_lock`, which is held.
    pub fn name(&self) -> &'g [u8] {
        let mut len: kernel::ffi::c_uint = 0;
        // SAFETY: The parent's `d_lock` (invariant) keeps child and name stable for `'g`.
        let ptr = unsafe { glue::rdc_d_name(self.dentry.as_raw(), &mut len) };
        // SAFETY: As above, `len` bytes at `ptr` stay valid for `'g`.
        unsafe { core::slice::from_raw_parts(ptr, len as usize) }
    }
}

/// A dentry whose `d_lock` the current thread holds, obtained through a
/// liveness witness ([`ChildrenGuard::lock_child`]).
///
/// # Invariants
///
/// The current thread holds `dentry`'s `d_lock`, and `dentry` cannot be freed
/// for `'a`.
pub struct LockedDentry<'a, T> {
    dentry: &'a Dentry<T>,
    _not_send: NotThreadSafe,
}

impl<T> LockedDentry<'_, T> {
    /// The dentry.  Everything `&Dentry` offers is lock-free.
    pub fn dentry(&self) -> &Dentry<T> {
        self.dentry
    }

    /// The name, borrowed: stable while `d_lock` is held.
    pub fn name(&self) -> &[u8] {
        let mut len: kernel::ffi::c_uint = 0;
        // SAFETY: We hold `d_lock` (invariant).
        let ptr = unsafe { glue::rdc_d_name(self.dentry.as_raw(), &mut len) };
        // SAFETY: `len` bytes at `ptr`, stable under `d_lock`, which outlives `&self`.
        unsafe { core::slice::from_raw_parts(ptr, len as usize) }
    }

    /// The reference count; exact while `d_lock` is held.
    pub fn count(&self) -> i32 {
        self.dentry.count()
    }
}

impl<T> Drop for LockedDentry<'_, T> {
    fn drop(&mut self) {
        // SAFETY: We hold `d_lock`, taken by `rdc_guard_lock_child()` (invariant).
        unsafe { glue::rdc_guard_unlock_child(self.dentry.as_raw()) };
    }
}
