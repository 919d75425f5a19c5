// SPDX-License-Identifier: GPL-2.0

//! Filesystem type registration.
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! A [`Registration`] owns a `struct file_system_type` for as long as the type
//! is registered.  Its `owner` is the registering module, so the VFS holds a
//! module reference for every superblock of the type: the module cannot be
//! unloaded (`EBUSY`) while any mount exists, which is what keeps the type's
//! callbacks alive after `unregister_filesystem()` returns.

use super::glue;
use kernel::{bindings, error::to_result, prelude::*, types::Opaque, ThisModule};

/// A registered filesystem type.
///
/// # Invariants
///
/// `fs` is registered with the VFS from the end of [`Registration::new`]'s
/// initialiser until [`Registration`] is dropped, and does not move meanwhile.
#[pin_data(PinnedDrop)]
pub struct Registration {
    #[pin]
    fs: Opaque<bindings::file_system_type>,
}

// SAFETY: After registration the VFS only reads `fs`, under its own locking;
// `Registration` itself has no interior state that another thread could see
// half-updated.
unsafe impl Send for Registration {}
// SAFETY: `&Registration` exposes nothing; see the `Send` impl.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers a filesystem type called `name`, owned by `module`.
    ///
    /// Mounting it gives an empty directory (the foundation's placeholder;
    /// the test filesystem replaces it with its own superblock set-up).
    pub fn new(name: &'static CStr, module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            fs <- Opaque::try_ffi_init(|ptr: *mut bindings::file_system_type| {
                // SAFETY: `try_ffi_init` hands us a valid, exclusive, pinned slot;
                // an all-zero `file_system_type` is a valid initial value.
                unsafe { ptr.write(core::mem::zeroed()) };
                // SAFETY: `ptr` was initialised just above and is still ours.
                let fs = unsafe { &mut *ptr };
                fs.name = name.as_char_ptr();
                fs.owner = module.as_ptr();
                fs.init_fs_context = Some(glue::rdc_init_fs_context);
                fs.kill_sb = Some(bindings::kill_anon_super);
                // SAFETY: `fs` is fully initialised, pinned (it lives in the
                // pinned `Registration`), and outlives the registration because
                // `PinnedDrop` unregisters it before the memory goes away.
                to_result(unsafe { bindings::register_filesystem(ptr) })
            }),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for Registration {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant `fs` is registered.  The module holds
        // no superblocks of the type here: each one pins the owner module, so
        // module exit cannot run while one exists.
        unsafe { bindings::unregister_filesystem(self.fs.get()) };
    }
}
