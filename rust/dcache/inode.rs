// SPDX-License-Identifier: GPL-2.0

//! Inodes.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! An [`Inode`] is seen either by reference, while something else keeps it
//! (a positive dentry's `d_inode` under `d_lock`), or as an [`InodeRef`]
//! that owns an `i_count` reference (`ihold()`/`iput()`).  Like a counted
//! dentry reference, an inode reference must be dropped before `->kill_sb()`
//! (an inode still held then is a "Busy inode", and its final `iput()` runs
//! on a dead superblock), so [`InodeRef`] borrows the superblock pin too.
//! Dropping it is `iput()`: it may evict the inode and **may sleep**.

use super::{
    glue,
    super_block::{ActiveSuper, SuperBlock},
};
use core::{marker::PhantomData, ops::Deref, ptr::NonNull};
use kernel::{bindings, task::might_sleep, types::Opaque};

/// A `struct inode` of a filesystem of brand `T`.
///
/// # Invariants
///
/// A `&Inode<T>` is only created while the inode is alive and not evicted
/// (an `i_count` reference covers it: its own, or a positive dentry's seen
/// under `d_lock`) for the reference's lifetime, and its superblock is of
/// `T`'s type.
#[repr(transparent)]
pub struct Inode<T>(Opaque<bindings::inode>, PhantomData<fn(T) -> T>);

// SAFETY: `&Inode` reads fields fixed at set-up; the reference count is atomic.
unsafe impl<T> Sync for Inode<T> {}
// SAFETY: `iput()` may be called from any thread.
unsafe impl<T> Send for Inode<T> {}

impl<T> Inode<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points to an inode of a superblock of `T`'s type that stays
    /// alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: `repr(transparent)`; the caller guarantees the lifetime.
        unsafe { &*ptr.cast() }
    }

    /// The raw `struct inode *`.
    pub fn as_raw(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// `i_ino`.
    pub fn ino(&self) -> u64 {
        // SAFETY: `i_ino` is set before the inode is visible and not changed after.
        unsafe { (*self.as_raw()).i_ino }
    }

    /// `i_generation`, as the filesystem set it (0 for the inodes of this
    /// layer's [`FileSystem`](super::fs_type::FileSystem)s): a snapshot, as
    /// some filesystems change it on a live inode.
    pub fn generation(&self) -> u32 {
        // SAFETY: `self` is alive.  A volatile read, as C's `READ_ONCE()`:
        // most filesystems set `i_generation` once, but some rewrite it on a
        // live inode under its inode lock, which this does not take
        // (`FS_IOC_SETVERSION` in ext2_ioctl() and __ext4_ioctl(), and
        // swap_inode_boot_loader(), in fs/ext2/ioctl.c and fs/ext4/ioctl.c),
        // for a foreign mount of such a filesystem.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).i_generation) }
    }

    /// `i_mode` (file type and permission bits): a snapshot, as the
    /// permission bits may change (`chmod`) as soon as it is read.
    pub fn mode(&self) -> u32 {
        // SAFETY: `self` is alive.  A volatile read, as C's `READ_ONCE()`:
        // the permission bits may be written meanwhile under locks this does
        // not take, by `setattr_copy()` (fs/attr.c, under the inode lock)
        // and, on a foreign kernfs mount such as sysfs, by
        // `kernfs_refresh_inode()` (fs/kernfs/inode.c) at every permission
        // check; the file type never changes.
        u32::from(unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).i_mode) })
    }

    /// Sets `i_count` to `count` and returns the old one: for the tests of
    /// saturation, a stand-in for 2^30 leaked references.
    ///
    /// # Safety
    ///
    /// As [`Dentry::test_set_count`](super::Dentry::test_set_count).
    #[cfg_attr(not(CONFIG_RUST_FS_DCACHE_KUNIT_TEST), allow(dead_code))]
    pub(crate) unsafe fn test_set_count(&self, count: i32) -> i32 {
        // SAFETY: `self` is alive; the caller answers for the value.
        unsafe { glue::rdc_test_i_set_count(self.as_raw(), count) }
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode() & bindings::S_IFMT == bindings::S_IFDIR
    }

    /// The inode's superblock, alive at least as long as the inode.
    pub fn sb(&self) -> &SuperBlock<T> {
        // SAFETY: `i_sb` is constant, and a superblock outlives its inodes.
        unsafe { SuperBlock::from_raw((*self.as_raw()).i_sb) }
    }
}

/// A counted inode reference (`ihold()`/`iput()`), covered by a pin.
///
/// # Invariants
///
/// `ptr` points to an inode on which this object owns one `i_count`
/// reference, or whose `i_count` is saturated (helpers/dcache.c) and so
/// never falls to zero; its superblock is kept active for `'pin`.
pub struct InodeRef<'pin, T> {
    ptr: NonNull<bindings::inode>,
    _pin: PhantomData<&'pin ActiveSuper<T>>,
}

// SAFETY: `iput()` may run on any thread; the borrowed pin is `Sync`.
unsafe impl<T> Send for InodeRef<'_, T> {}
// SAFETY: `&InodeRef` only gives `&Inode`, which is `Sync`.
unsafe impl<T> Sync for InodeRef<'_, T> {}

impl<T> InodeRef<'_, T> {
    /// Takes a new reference with `ihold()`.
    ///
    /// # Safety
    ///
    /// `inode` is alive with `i_count > 0` (`ihold()` warns otherwise: it
    /// may only add to a reference someone holds, `fs/inode.c`), and its
    /// superblock is kept active for `'pin`.
    pub(crate) unsafe fn ihold<'pin>(inode: &Inode<T>) -> InodeRef<'pin, T> {
        // SAFETY: `inode` is alive with a reference held (contract) to add
        // to: `rdc_ihold_saturating()` is `ihold()`, saturating
        // (helpers/dcache.c).
        unsafe { glue::rdc_ihold_saturating(inode.as_raw()) };
        // INVARIANT: We just took the reference, or `i_count` is saturated
        // and never falls to zero; the caller covers it with the pin.
        InodeRef {
            ptr: NonNull::from(inode).cast(),
            _pin: PhantomData,
        }
    }
}

impl<T> Deref for InodeRef<'_, T> {
    type Target = Inode<T>;

    fn deref(&self) -> &Inode<T> {
        // SAFETY: Our reference keeps the inode alive while `self` is borrowed.
        unsafe { Inode::from_raw(self.ptr.as_ptr()) }
    }
}

impl<T> Drop for InodeRef<'_, T> {
    /// `iput()`: may evict the inode, and may sleep.  Under a dentry guard
    /// or outside task context (`iput()` takes `i_lock`, and may sleep) the
    /// reference is leaked with a `WARN` naming the rule, as a
    /// `mem::forget()` would leak it.  A count saturated by leaks (2^30,
    /// helpers/dcache.c) is not given back either.
    fn drop(&mut self) {
        // SAFETY: We own one reference (invariant), so the inode is alive.
        if unsafe { glue::rdc_i_saturated(self.ptr.as_ptr()) } {
            return;
        }
        if super::dentry::may_lock(c"iput() (InodeRef drop)").is_err() {
            return;
        }
        might_sleep();
        // SAFETY: We own one reference (invariant) and give it up.
        unsafe { bindings::iput(self.ptr.as_ptr()) };
    }
}
