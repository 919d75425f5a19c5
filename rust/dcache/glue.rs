// SPDX-License-Identifier: GPL-2.0

//! Declarations of the C glue in `glue.c`, for what the kernel's bindings lack.
//!
//! C header: `rust/dcache/glue.h` (in this module).  Keep the two in step.

use kernel::bindings;

extern "C" {
    /// `->init_fs_context()` of a filesystem whose superblock is an empty
    /// directory set up by `simple_fill_super()`.
    pub(crate) fn rdc_init_fs_context(fc: *mut bindings::fs_context) -> kernel::ffi::c_int;
}
