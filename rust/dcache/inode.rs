// SPDX-License-Identifier: GPL-2.0

//! Inodes.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! An [`Inode`] is seen either by reference, while something else keeps it
//! (a positive dentry's `d_inode` under `d_lock`), or as an `ARef<Inode>`
//! that owns an `i_count` reference (`ihold()`/`iput()`).  Dropping an
//! `ARef<Inode>` is `iput()`: it may evict the inode and **may sleep**.

use super::super_block::SuperBlock;
use core::ptr::NonNull;
use kernel::{bindings, sync::aref::AlwaysRefCounted, types::Opaque};

/// A `struct inode`.
///
/// # Invariants
///
/// A `&Inode` is only created while the inode is alive for the reference's
/// lifetime.
#[repr(transparent)]
pub struct Inode(Opaque<bindings::inode>);

// SAFETY: The fields read through `&Inode` are immutable after set-up; the
// reference count is atomic.
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

// SAFETY: `ihold()` and `iput()` manage `i_count`; an `Inode` is always
// reference counted by it.
unsafe impl AlwaysRefCounted for Inode {
    fn inc_ref(&self) {
        // SAFETY: `self` is alive, so it has a reference to add to.
        unsafe { bindings::ihold(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller gives up a reference it owns.
        unsafe { bindings::iput(obj.cast().as_ptr()) };
    }
}
