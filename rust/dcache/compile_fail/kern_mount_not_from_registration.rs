// SPDX-License-Identifier: GPL-2.0
//! expect: E0308 mismatched types
//!
//! A `KernMount<T>` of a layer filesystem comes only from `T`'s registered
//! static type (`KernMount::new(&TYPE, ..)`); a mount by name is `Foreign`
//! and cannot pass for one.

use crate::dcache::{fs_type::FileSystem, KernMount};
use kernel::prelude::*;

pub(crate) fn misuse<T: FileSystem>() -> Result<KernMount<T>> {
    let mnt: Result<KernMount<T>> = KernMount::foreign(c"sysfs", None);
    mnt
}
