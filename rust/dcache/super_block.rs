// SPDX-License-Identifier: GPL-2.0

//! Superblocks and active references to them.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! A superblock has two counts.  `s_count` keeps the memory; `s_active` keeps
//! the filesystem *up*: while `s_active` is non-zero `->kill_sb()` cannot
//! begin, so nothing of the dcache under it is torn down.  umount drops the
//! mount's active reference with `deactivate_super()`; whoever drops the last
//! one runs `->kill_sb()`, in its own context.
//!
//! Every type here carries its filesystem as a *brand* `T`: a
//! [`FileSystem`](super::fs_type::FileSystem) registered through this layer, or
//! [`Foreign`](super::fs_type::Foreign) for any other.  Only the layer's own
//! constructors pick `T`, from the mount or registration they start from, so
//! a `SuperBlock<T>` is always one of `T`'s.
//!
//! [`SuperBlock`] is only ever seen by reference, borrowed from something
//! that keeps it alive (a [`KernMount`](super::mount::KernMount), an
//! [`ActiveSuper`], a counted dentry reference).  [`ActiveSuper`] is the
//! owned form: the *pin* that every counted dentry reference must be covered
//! by (rule 5 in the [module docs](super)).

use super::{
    dentry::{DentryRef, LOCK_NOT_TASK},
    glue,
};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::task::might_sleep;
use kernel::{
    bindings, new_spinlock,
    prelude::*,
    sync::{Arc, SpinLock},
    types::Opaque,
};

/// A `struct super_block` of a filesystem of brand `T`.
///
/// # Invariants
///
/// A `&SuperBlock<T>` is only created while the superblock is alive (its
/// memory is not freed) for at least the reference's lifetime, and it is a
/// superblock of `T`'s type (any type for [`Foreign`](super::fs_type::Foreign)).
#[repr(transparent)]
pub struct SuperBlock<T>(Opaque<bindings::super_block>, PhantomData<fn(T) -> T>);

// SAFETY: `&SuperBlock` reads fields fixed at set-up, or `s_active` atomically.
unsafe impl<T> Sync for SuperBlock<T> {}
// SAFETY: `SuperBlock` is only used by reference; the kernel object may be used from any thread.
unsafe impl<T> Send for SuperBlock<T> {}

impl<T> SuperBlock<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points to a `super_block` of `T`'s type that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a Self {
        // SAFETY: `repr(transparent)`; the caller guarantees it lives for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// The raw `struct super_block *`.
    pub fn as_raw(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    /// Sets `s_active` to `count` and returns the old one: for the tests of
    /// saturation, a stand-in for 2^30 leaked pins.
    ///
    /// # Safety
    ///
    /// As [`Dentry::test_set_count`](super::Dentry::test_set_count).
    #[cfg_attr(not(CONFIG_RUST_FS_DCACHE_KUNIT_TEST), allow(dead_code))]
    pub(crate) unsafe fn test_set_active(&self, count: i32) -> i32 {
        // SAFETY: `self` is alive; the caller answers for the value.
        unsafe { glue::rdc_test_sb_set_active(self.as_raw(), count) }
    }

    /// `s_id`: the device or instance name, as in `/proc/mounts` messages.
    pub fn id(&self) -> &CStr {
        // SAFETY: `s_id` is NUL-terminated, fixed before the sb is visible, lives as `self`.
        unsafe { CStr::from_char_ptr((*self.as_raw()).s_id.as_ptr()) }
    }

    /// Takes an active reference (`atomic_inc_not_zero(&s_active)`, which
    /// saturates at 2^30 instead of wrapping: helpers/dcache.c).
    ///
    /// `None` if the superblock is not fully set up or is already being shut
    /// down: a filesystem on its way out cannot be pinned again.  Never sleeps.
    pub fn try_activate(&self) -> Option<ActiveSuper<T>> {
        // SAFETY: By the type invariant `self` is alive for this call.
        if unsafe { glue::rdc_sb_try_activate(self.as_raw()) } {
            // INVARIANT: We just took an active reference, which
            // `rdc_sb_try_activate()` takes only on a born superblock with
            // its root set.
            Some(ActiveSuper {
                sb: NonNull::from(self).cast(),
                _brand: PhantomData,
            })
        } else {
            None
        }
    }
}

/// An active reference to a superblock: the superblock *pin*.
///
/// While it exists, `->kill_sb()` of the superblock cannot start, so every
/// dentry reference covered by it is dropped before the filesystem shuts
/// down.  Counted dentry references ([`DentryRef`]) borrow it and so cannot
/// outlive it.
///
/// Dropping it is `deactivate_super()`, which **may sleep**, and which runs
/// `->kill_sb()` in the dropping thread when the pin is the last active
/// reference (after a concurrent umount, for instance).  Never drop one under
/// a spinlock or in a thread that `->kill_sb()` waits for.
///
/// Why not `ARef<SuperBlock>`: `AlwaysRefCounted` lets any `&T` become an
/// owned reference by `inc_ref()`, but a `&SuperBlock` only promises the
/// memory; an active reference can only be *tried*
/// (`atomic_inc_not_zero(&s_active)`), so it is its own type.
///
/// # Invariants
///
/// `sb` points to a superblock of `T`'s type on which this object owns one
/// `s_active` reference (or whose `s_active` is saturated, helpers/dcache.c,
/// and so never falls to zero), and which is born (`SB_BORN`, set by
/// `vfs_get_tree()` only after the type's `->get_tree()`, and so its
/// `fill_super`, succeeded) with its root set: the only constructor,
/// [`SuperBlock::try_activate`], takes the reference only then
/// (`rdc_sb_try_activate()`).  For a type of this layer, that `fill_super`
/// set `s_fs_info` (`fs_type.rs`), which stays until `->kill_sb()`, which the
/// reference holds off.
pub struct ActiveSuper<T> {
    sb: NonNull<bindings::super_block>,
    _brand: PhantomData<fn(T) -> T>,
}

// SAFETY: `deactivate_super()` may be called from any thread.
unsafe impl<T> Send for ActiveSuper<T> {}
// SAFETY: `&ActiveSuper` gives `&SuperBlock` and dentry refs, both thread-safe.
unsafe impl<T> Sync for ActiveSuper<T> {}

impl<T> ActiveSuper<T> {
    /// The pinned superblock.
    pub fn sb(&self) -> &SuperBlock<T> {
        // SAFETY: The active reference keeps the superblock alive (invariant).
        unsafe { SuperBlock::from_raw(self.sb.as_ptr()) }
    }

    /// A counted reference to the root dentry (`dget(sb->s_root)`).  Never
    /// sleeps.  Like [`DentryRef::clone`] under a dentry guard: counted under
    /// the guard's lock if it holds the root's, else a `WARN` naming the rule.
    pub fn root(&self) -> DentryRef<'_, T> {
        // SAFETY: Born (`try_activate()`), so `s_root` is set until `->kill_sb()`: pinned off.
        let root = unsafe { (*self.sb.as_ptr()).s_root };
        // SAFETY: `root` is alive (above); the new reference is covered by `self`.
        unsafe { DentryRef::from_raw_dget(root) }
    }
}

impl<T> Drop for ActiveSuper<T> {
    /// `deactivate_super()`: may sleep, and may run `->kill_sb()`.  Under a
    /// dentry guard or outside task context (`->kill_sb()` kills every
    /// dentry, under their `d_lock`s) the reference is leaked with a `WARN`
    /// naming the rule: the superblock then stays up for ever, as after a
    /// `mem::forget()`.
    fn drop(&mut self) {
        // SAFETY: We own one active reference (invariant): the superblock is alive.
        if unsafe { glue::rdc_sb_active_saturated(self.sb.as_ptr()) } {
            // Saturated by leaks (2^30, helpers/dcache.c): nothing is given back.
            return;
        }
        if super::dentry::may_lock(c"deactivate_super() (ActiveSuper drop)").is_err() {
            return;
        }
        might_sleep();
        // SAFETY: We own one active reference (invariant) and give it up.
        unsafe { bindings::deactivate_super(self.sb.as_ptr()) };
    }
}

pub(crate) use kernel::types::NotThreadSafe;

/// Whether this runs in task context; if not, logs that `op` is refused.
fn in_task(op: &CStr) -> bool {
    // SAFETY: No preconditions: reads `in_task()` and this CPU's records.
    if unsafe { glue::rdc_lock_context() } != LOCK_NOT_TASK {
        return true;
    }
    pr_warn!("dcache: {op} outside task context refused: its lock is not IRQ-safe\n");
    false
}

/// A superblock handle that may outlive the superblock (`WeakSuper`).
///
/// The filesystem layer ([`fs_type`](super::fs_type)) makes one for each superblock it
/// sets up and clears it when `->kill_sb()` begins, before the superblock can
/// be freed.  [`WeakSuper::try_activate`] therefore pins the superblock while
/// it is up and fails once its teardown has begun or it is gone: it is the
/// "known alive" that taking an active reference needs, for threads the
/// filesystem starts (workers) and that may run on past an umount.
///
/// # Invariants
///
/// The anchor's pointer is null, or a live superblock of `T`'s type whose
/// `->kill_sb()` has not begun.
pub struct WeakSuper<T>(Arc<SbAnchor>, PhantomData<fn(T) -> T>);

impl<T> Clone for WeakSuper<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), PhantomData)
    }
}

/// The shared part of a [`WeakSuper`] and its clones.
///
/// # Invariants
///
/// `sb` is null, or points to a live superblock whose `->kill_sb()` has not
/// begun; it changes only to null, under the lock.
#[pin_data]
pub(crate) struct SbAnchor {
    #[pin]
    sb: SpinLock<SbPtr>,
}

/// The anchored superblock, or null once `->kill_sb()` began.
///
/// # Invariants
///
/// Non-null only while the superblock it points to is live (see [`SbAnchor`]).
pub(crate) struct SbPtr(*mut bindings::super_block);

// SAFETY: Dereferenced only under the anchor's lock, while the sb exists.
unsafe impl Send for SbPtr {}

impl<T> WeakSuper<T> {
    /// Anchors `sb`.
    ///
    /// # Safety
    ///
    /// `sb` is a live superblock of `T`'s type, and [`WeakSuper::clear`] is
    /// called for it before its memory can be freed.
    pub(crate) unsafe fn new(sb: *mut bindings::super_block) -> Result<Self> {
        // INVARIANT: `sb` is live and of `T`'s type (caller), and it is
        // cleared before it can be freed (caller).
        Ok(Self(
            Arc::pin_init(
                pin_init!(SbAnchor {
                    sb <- new_spinlock!(SbPtr(sb), "SuperBlock::anchor"),
                }),
                GFP_KERNEL,
            )?,
            PhantomData,
        ))
    }

    /// Forgets the superblock: from now on `try_activate()` fails.
    pub(crate) fn clear(&self) {
        // INVARIANT: Null is always allowed.
        self.0.sb.lock().0 = core::ptr::null_mut();
    }

    /// Whether `->kill_sb()` has begun (the superblock is going or gone).
    /// Outside task context it cannot tell (see [`WeakSuper::try_activate`])
    /// and says `true`, with a warning.
    pub fn is_gone(&self) -> bool {
        if !in_task(c"WeakSuper::is_gone()") {
            return true;
        }
        self.0.sb.lock().0.is_null()
    }

    /// An active reference if the superblock is still up.  Never sleeps.
    /// `None`, with a warning, outside task context: the anchor's lock is
    /// not IRQ-safe, and the interrupted task may hold it (`clear()`, or a
    /// worker's `try_activate()`).
    pub fn try_activate(&self) -> Option<ActiveSuper<T>> {
        if !in_task(c"WeakSuper::try_activate()") {
            return None;
        }
        let guard = self.0.sb.lock();
        if guard.0.is_null() {
            return None;
        }
        // SAFETY: Not cleared: `->kill_sb()` has not begun; the lock holds `clear()` off.
        // `new()`'s caller vouched that it is of `T`'s type.
        let sb = unsafe { SuperBlock::<T>::from_raw(guard.0) };
        sb.try_activate()
    }
}
