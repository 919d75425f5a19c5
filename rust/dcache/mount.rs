// SPDX-License-Identifier: GPL-2.0

//! Internal mounts.
//!
//! C header: [`include/linux/mount.h`](srctree/include/linux/mount.h)
//! (`kern_mount()`, `vfs_kern_mount()`, `kern_unmount()`).
//!
//! A [`KernMount`] is a mount that no mount namespace sees.  It keeps its
//! superblock active until it is dropped; dropping it is `kern_unmount()`,
//! which runs `->kill_sb()` if it held the last active reference, and **may
//! sleep**.
//!
//! A `KernMount<T>` of a layer filesystem `T` is made only of `T`'s own
//! type while a [`Registration<T>`](super::fs_type::Registration) holds it
//! registered ([`KernMount::new`]); a mount of any other type is a
//! `KernMount<Foreign>` ([`KernMount::foreign`]), whose tree can be read
//! but not built on.

use super::{
    fs_type::{FileSystem, Foreign, Type},
    glue,
    super_block::SuperBlock,
};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{bindings, error::from_err_ptr, prelude::*, task::might_sleep};

/// An internal mount (`kern_mount()`) of a filesystem of brand `T`.
///
/// # Invariants
///
/// `mnt` is a mount made by `kern_mount()` or `vfs_kern_mount()` that this
/// object owns, of a superblock of `T`'s type.
pub struct KernMount<T> {
    mnt: NonNull<bindings::vfsmount>,
    _brand: PhantomData<fn(T) -> T>,
}

// SAFETY: `kern_unmount()` may be called from any thread.
unsafe impl<T> Send for KernMount<T> {}
// SAFETY: `&KernMount` only reads immutable fields of the mount.
unsafe impl<T> Sync for KernMount<T> {}

/// `options` as the C side takes them: NUL-terminated, or null for none.
fn options_ptr(options: Option<&CStr>) -> *const kernel::ffi::c_char {
    options.map_or(core::ptr::null(), |o| o.as_char_ptr())
}

/// Wraps what a mount helper returned.
///
/// # Safety
///
/// `mnt` is an `ERR_PTR` or a mount the caller owns, of `T`'s type.
unsafe fn wrap<T>(mnt: *mut bindings::vfsmount) -> Result<KernMount<T>> {
    let mnt = from_err_ptr(mnt)?;
    // INVARIANT: The caller hands over its mount, of `T`'s type.
    Ok(KernMount {
        mnt: NonNull::new(mnt).ok_or(EINVAL)?,
        _brand: PhantomData,
    })
}

impl<T: FileSystem> KernMount<T> {
    /// Mounts `T`'s type, with the option string `options` (as `mount -o`
    /// takes it) if given.  `ENODEV` unless a [`Registration<T>`] holds
    /// `fs_type` registered now.  May sleep: `EDEADLK` (and a `WARN`) under
    /// a dentry guard, in `->d_delete()` or outside task context.
    ///
    /// [`Registration<T>`]: super::fs_type::Registration
    pub fn new(fs_type: &'static Type<T>, options: Option<&CStr>) -> Result<Self> {
        super::dentry::may_lock(c"KernMount::new() (kern_mount())")?;
        might_sleep();
        if !fs_type.is_registered() {
            return Err(ENODEV);
        }
        // SAFETY: A static type; the option string is NUL-terminated or null;
        // the glue mounts it only if it is the one registered under its name.
        unsafe {
            wrap(glue::rdc_kern_mount_registered(
                fs_type.as_raw(),
                options_ptr(options),
            ))
        }
    }
}

impl KernMount<Foreign> {
    /// Mounts the registered filesystem type called `name`, whatever it is,
    /// with the option string `options` if given.  May sleep.
    ///
    /// A single-instance type (`sysfs`, `proc`, `debugfs`, ...) gives its one
    /// system-wide superblock: what is shrunk or invalidated through this
    /// mount is gone for every user (`d_invalidate()` detaches mounts on it).
    /// `EDEADLK` (and a `WARN`) as for [`KernMount::new`].
    pub fn foreign(name: &CStr, options: Option<&CStr>) -> Result<Self> {
        super::dentry::may_lock(c"KernMount::foreign() (kern_mount())")?;
        might_sleep();
        // SAFETY: Both strings are NUL-terminated (or `options` null); the call may sleep.
        unsafe {
            wrap(glue::rdc_kern_mount_by_name(
                name.as_char_ptr(),
                options_ptr(options),
            ))
        }
    }
}

impl<T> KernMount<T> {
    /// The mounted superblock, kept active by the mount.
    pub fn sb(&self) -> &SuperBlock<T> {
        // SAFETY: The mount we own (invariant) keeps its superblock, of `T`'s
        // type, up for `&self`.
        unsafe { SuperBlock::from_raw(glue::rdc_mnt_sb(self.mnt.as_ptr())) }
    }
}

impl<T> Drop for KernMount<T> {
    /// `kern_unmount()`: may sleep, and may run `->kill_sb()`.  Under a
    /// dentry guard or outside task context the mount is leaked with a
    /// `WARN` naming the rule, as after a `mem::forget()`.
    fn drop(&mut self) {
        if super::dentry::may_lock(c"kern_unmount() (KernMount drop)").is_err() {
            return;
        }
        might_sleep();
        // SAFETY: We own the mount (invariant) and give it up.
        unsafe { bindings::kern_unmount(self.mnt.as_ptr()) };
    }
}
