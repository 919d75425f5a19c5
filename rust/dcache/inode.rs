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

use super::super_block::{ActiveSuper, SuperBlock};
use core::{marker::PhantomData, ops::Deref, ptr::NonNull};
use kernel::{bindings, types::Opaque};

/// A `struct inode`.
///
/// # Invariants
///
/// A `&Inode` is only created while the inode is alive for the reference's
/// lifetime.
#[repr(transparent)]
pub struct Inode(Opaque<bindings::inode>);

// SAFETY: `&Inode` reads fields fixed at set-up; the reference count is atomic.
unsafe impl Sync for Inode {}
// SAFETY: `iput()` may be called from any thread.
unsafe impl Send for Inode {}

impl Inode {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` points to an inode that stays alive for `'a`.
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

    /// `i_mode` (file type and permission bits).
    pub fn mode(&self) -> u32 {
        // SAFETY: Reading `i_mode` of a live inode; the file type never changes.
        u32::from(unsafe { (*self.as_raw()).i_mode })
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode() & bindings::S_IFMT == bindings::S_IFDIR
    }

    /// The inode's superblock, alive at least as long as the inode.
    pub fn sb(&self) -> &SuperBlock {
        // SAFETY: `i_sb` is constant, and a superblock outlives its inodes.
        unsafe { SuperBlock::from_raw((*self.as_raw()).i_sb) }
    }
}

/// A counted inode reference (`ihold()`/`iput()`), covered by a pin.
///
/// # Invariants
///
/// `ptr` points to an inode on which this object owns one `i_count`
/// reference, and whose superblock is kept active for `'pin`.
pub struct InodeRef<'pin> {
    ptr: NonNull<bindings::inode>,
    _pin: PhantomData<&'pin ActiveSuper>,
}

// SAFETY: `iput()` may run on any thread; the borrowed pin is `Sync`.
unsafe impl Send for InodeRef<'_> {}
// SAFETY: `&InodeRef` only gives `&Inode`, which is `Sync`.
unsafe impl Sync for InodeRef<'_> {}

impl InodeRef<'_> {
    /// Takes a new reference with `ihold()`.
    ///
    /// # Safety
    ///
    /// `inode` is alive, and its superblock is kept active for `'pin`.
    pub(crate) unsafe fn ihold<'pin>(inode: &Inode) -> InodeRef<'pin> {
        // SAFETY: `inode` is alive, so it has a reference to add to.
        unsafe { bindings::ihold(inode.as_raw()) };
        // INVARIANT: We just took the reference; the caller covers it with the pin.
        InodeRef {
            ptr: NonNull::from(inode).cast(),
            _pin: PhantomData,
        }
    }
}

impl Deref for InodeRef<'_> {
    type Target = Inode;

    fn deref(&self) -> &Inode {
        // SAFETY: Our reference keeps the inode alive while `self` is borrowed.
        unsafe { Inode::from_raw(self.ptr.as_ptr()) }
    }
}

impl Drop for InodeRef<'_> {
    /// `iput()`: may evict the inode, and may sleep.
    fn drop(&mut self) {
        // SAFETY: We own one reference (invariant) and give it up.
        unsafe { bindings::iput(self.ptr.as_ptr()) };
    }
}
