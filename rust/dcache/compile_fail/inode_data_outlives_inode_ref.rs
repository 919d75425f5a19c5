// SPDX-License-Identifier: GPL-2.0
//! expect: E0505 cannot move out of `i` because it is borrowed
//!
//! An inode's data is borrowed from the reference whose count keeps the
//! inode from eviction (which drops the data): it cannot be used once that
//! reference is dropped.

use crate::dcache::{fs_type::FileSystem, InodeRef};

pub(crate) fn misuse<T: FileSystem<InodeData = u64>>(i: InodeRef<'_, T>) -> u64 {
    let data = i.data();
    drop(i);
    data.copied().unwrap_or(0)
}
