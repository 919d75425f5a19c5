// SPDX-License-Identifier: GPL-2.0

//! Internal mounts.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//! (`kern_mount()`, `vfs_kern_mount()`, `kern_unmount()`).
//!
//! A [`KernMount`] is a mount of a registered filesystem type that no mount
//! namespace sees.  It keeps its superblock active until it is dropped;
//! dropping it is `kern_unmount()`, which runs `->kill_sb()` if it held the
//! last active reference, and **may sleep**.

use super::{glue, super_block::SuperBlock};
use core::ptr::NonNull;
use kernel::{bindings, error::from_err_ptr, prelude::*};

/// An internal mount (`kern_mount()`).
///
/// # Invariants
///
/// `mnt` is a mount made by `kern_mount()` or `vfs_kern_mount()` that this
/// object owns.
pub struct KernMount {
    mnt: NonNull<bindings::vfsmount>,
}

// SAFETY: `kern_unmount()` may be called from any thread.
unsafe impl Send for KernMount {}
// SAFETY: `&KernMount` only reads immutable fields of the mount.
unsafe impl Sync for KernMount {}

impl KernMount {
    /// Mounts the registered filesystem type called `fs_type`.  May sleep.
    pub fn new(fs_type: &CStr) -> Result<Self> {
        Self::mount(fs_type, None)
    }

    /// Mounts `fs_type` with the option string `options` (as `mount -o`
    /// takes it), parsed by the filesystem.  May sleep.
    pub fn with_options(fs_type: &CStr, options: &CStr) -> Result<Self> {
        Self::mount(fs_type, Some(options))
    }

    fn mount(fs_type: &CStr, options: Option<&CStr>) -> Result<Self> {
        let data = options.map_or(core::ptr::null(), |o| o.as_char_ptr());
        // SAFETY: Both strings are NUL-terminated (or `data` null); the call may sleep, as we may.
        let mnt = unsafe { glue::rdc_kern_mount_by_name(fs_type.as_char_ptr(), data) };
        let mnt = from_err_ptr(mnt)?;
        // INVARIANT: We own the new mount.
        Ok(Self {
            mnt: NonNull::new(mnt).ok_or(EINVAL)?,
        })
    }

    /// The mounted superblock, kept active by the mount.
    pub fn sb(&self) -> &SuperBlock {
        // SAFETY: The mount we own (invariant) keeps its superblock up for `&self`.
        unsafe { SuperBlock::from_raw(glue::rdc_mnt_sb(self.mnt.as_ptr())) }
    }
}

impl Drop for KernMount {
    /// `kern_unmount()`: may sleep, and may run `->kill_sb()`.
    fn drop(&mut self) {
        // SAFETY: We own the mount (invariant) and give it up.
        unsafe { bindings::kern_unmount(self.mnt.as_ptr()) };
    }
}
