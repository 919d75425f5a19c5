// SPDX-License-Identifier: GPL-2.0

//! `rdcachefs`: rdcache's test filesystem.
//!
//! Built only on the safe dcache layer in `rust/dcache/`; no `unsafe` here.

#![deny(unsafe_code)]

use crate::dcache::fs_type;
use kernel::prelude::*;

/// The filesystem type's name, as `mount -t` and `/proc/filesystems` show it.
pub(crate) const NAME: &CStr = c"rdcachefs";

/// Registers `rdcachefs` for the lifetime of the returned object.
pub(crate) fn register(module: &'static ThisModule) -> impl PinInit<fs_type::Registration, Error> {
    fs_type::Registration::new(NAME, module)
}

#[cfg(CONFIG_KUNIT)]
mod tests;
